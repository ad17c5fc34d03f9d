"""The FastAPI application: `python -m backend.api --host 127.0.0.1 --port 8000`.

Read-only REST under /api/v1 (one router per domain), /health, /metrics, /docs; the
writes: the vote relayer (POST …/assembly/ballots), the vault (/vault), the public
texts (POST /texts), documents (POST /documents), owners' receipts of notices and
reminder choices. `/` serves the resident pages.

`python -m backend.api` (backend/api/__main__.py) starts uvicorn with the settings'
workers, graceful stop and proxy handling. Around the routes, outermost first: metrics,
the client's address (clients.py), security headers (security.py), body bounds
(bodies.py), admission (admission.py), CORS.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from backend.api.routes import (
    accounts,
    activities,
    assembly,
    ballots,
    cashier,
    committee,
    community,
    compose,
    consent,
    culture,
    directory,
    district,
    documents,
    events,
    fees,
    health,
    notices,
    notify,
    passkeys,
    points,
    promotions,
    relayer,
    services,
    suggestions,
    texts,
    units,
)
from backend.api.admission import Admission, Drain, retry_after
from backend.api.bodies import BodyLimit
from backend.api.clients import ForwardedClient
from backend.api.errors import errors
from backend.api.routes import vault as vault_routes
from backend.api.security import SecurityHeaders, inline_script_hashes, pages_policy
from backend.core.config import Settings, get_settings
from backend.core.db import make_engine, make_sessionmaker
from backend.web import STATIC, install_pages

API_PREFIX = "/api/v1"


class RequestMetrics:
    """Pure ASGI middleware: request count and latency per route template."""

    def __init__(self, app, registry: CollectorRegistry):
        self.app = app
        self.requests = Counter("linli_api_requests_total", "API requests", ["method", "route", "status"],
                                registry=registry)
        self.latency = Histogram("linli_api_request_seconds", "API request latency", ["route"], registry=registry,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.requests.labels(scope["method"], route, str(status["code"])).inc()
            self.latency.labels(route).observe(time.perf_counter() - started)


EXCERPT_CHARS = 64  # of a refused input echoed in a 422, never the whole of it
EXCERPT_ITEMS = 5
MAX_ERRORS = 20


def _cut(text: str, limit: int) -> str:
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate: its \\uXXXX escape
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def _excerpt(value, depth: int = 0):
    """A short stand-in for a value echoed in a 422: strings cut to EXCERPT_CHARS, lists
    and objects to EXCERPT_ITEMS entries, nesting to three levels."""
    if isinstance(value, str):
        return _cut(value, EXCERPT_CHARS)
    if isinstance(value, (dict, list)) and depth >= 3:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())
        cut = {_cut(str(k), EXCERPT_CHARS): _excerpt(v, depth + 1) for k, v in items[:EXCERPT_ITEMS]}
        if len(items) > EXCERPT_ITEMS:
            cut["…"] = f"{len(items) - EXCERPT_ITEMS} more"
        return cut
    if isinstance(value, list):
        cut = [_excerpt(v, depth + 1) for v in value[:EXCERPT_ITEMS]]
        return cut + ([f"… {len(value) - EXCERPT_ITEMS} more"] if len(value) > EXCERPT_ITEMS else [])
    return value


def _short_error(error: dict) -> dict:
    """One validation error with its location, message and echoed input cut short (its own
    keys kept, so it still matches FastAPI's ValidationError schema)."""
    short = {key: _excerpt(value) for key, value in error.items() if key not in ("loc", "msg", "type")}
    short["loc"] = [part if isinstance(part, int) else _cut(str(part), EXCERPT_CHARS) for part in error.get("loc", ())]
    short["msg"] = _cut(str(error.get("msg", "")), 300)
    short["type"] = str(error.get("type", ""))
    return short


async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422, with only an excerpt of each refused input: the default echoes it
    whole (four 50 MB ballots were each answered with 200 MB), and never failing to
    encode (a lone surrogate, JSON "\\ud800", would turn it into a 500)."""
    errors_ = exc.errors()
    detail = [_short_error(error) for error in jsonable_encoder(errors_[:MAX_ERRORS])]
    if len(errors_) > MAX_ERRORS:
        detail.append({"loc": [], "msg": f"{len(errors_) - MAX_ERRORS} more errors", "type": "too_many_errors"})
    return JSONResponse(status_code=422, content={"detail": detail})


async def database_busy(request: Request, exc: Exception) -> JSONResponse:
    """No connection within LINLI_API_POOL_TIMEOUT_S, or the database refused one: a 503
    the client may retry, never a 500."""
    settings = request.app.state.settings
    why = "no database connection was free in time" if isinstance(exc, PoolTimeout) else \
        "the database is unavailable"
    return JSONResponse(status_code=503, content={"detail": f"{why}: try again shortly"},
                        headers={"Retry-After": retry_after(settings.api_retry_after_s)})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    drain = Drain()

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        # Every request admitted at once must find a worker thread (backend/api/admission.py).
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, settings.worker_threads())
        # On SIGTERM the requests waiting for admission are answered 503 at once, so the stop
        # waits only for the few running ones.
        drain.on_stop_signals()
        if settings.district_warm_at_start:
            district.warm(_app)  # the district's answers, built in a thread before anyone asks
        yield
        district.close(_app)  # the district answers' background rebuild, if one runs (routes/district.py)

    docs = settings.serves_docs()
    app = FastAPI(
        title="Linli community index",
        version="1.0.0",
        description="Read-only API over the indexed contracts of Linli communities. Areas in 0.01 m²; "
        "addresses lower-case; lists paginate with `cursor`/`next_cursor`.",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    # One connection for each request admitted at once (reads + writes), none to wait for.
    # And one each for the district answers' two threads (their start's build and their
    # rebuilds, routes/district.py), which no admission counts.
    engine = make_engine(settings.database_url, echo=settings.database_echo, pool_size=settings.pool_size() + 2,
                         max_overflow=0, pool_timeout=settings.api_pool_timeout_s)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(PoolTimeout, database_busy)
    app.add_exception_handler(OperationalError, database_busy)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.metrics_registry = CollectorRegistry()
    app.state.community_records = {}
    app.state.summary_cache = {}  # community -> (index version, summary); see routes/community.py
    # Bodies are bounded (backend/api/bodies.py): this by default, more where a router says so.
    body_bound = settings.api_max_body_bytes
    # Every route may be turned away (503 busy); the index's routes answer 404 for a
    # community not indexed or an item not known. Routes declare their other answers.
    for router in (community.router, units.router, points.router, events.router, fees.router, assembly.router,
                   culture.router, activities.router, promotions.router, services.router, suggestions.router,
                   consent.router, notices.router, accounts.router, ballots.router, passkeys.router,
                   relayer.router):
        app.include_router(router, prefix=API_PREFIX, responses=errors(404, 503), max_body_size=body_bound)
    # A cashier's bank statement checked before recording: a file of up to MAX_STATEMENT_CHARS.
    app.include_router(cashier.router, prefix=API_PREFIX, responses=errors(404, 503),
                       max_body_size=max(body_bound, 4 * cashier.MAX_STATEMENT_CHARS))
    # The committee's proposed Safe transactions and their members' signatures (backend/committee).
    app.include_router(committee.router, prefix=API_PREFIX, responses=errors(404, 503),
                       max_body_size=max(body_bound, committee.UNITS_CHECK_MAX_BODY))
    # An assembly proposal's calls composed from typed actions (backend/chain/proposal_actions.py).
    app.include_router(compose.router, prefix=API_PREFIX, responses=errors(404, 503), max_body_size=body_bound)
    # The street office's view over every community in the index (no community in the path).
    app.include_router(district.router, prefix=API_PREFIX, responses=errors(503), max_body_size=body_bound)
    # The vault (backend/vault): SIWE sessions, writes, logged reads; its own database, built on first use.
    app.state.vault = None
    app.state.texts = None
    if settings.vault_enabled:
        app.include_router(vault_routes.router, prefix=API_PREFIX, responses=errors(503), max_body_size=body_bound)
        # Public texts share the vault's database and its sign-in (backend/texts); their own bound.
        app.include_router(texts.router, prefix=API_PREFIX, responses=errors(503))
        # Documents and owners' receipts of notices too (backend/documents, backend/notices);
        # a document's bound is the store's own (LINLI_DOCUMENTS_MAX_BYTES).
        app.include_router(documents.router, prefix=API_PREFIX, responses=errors(503),
                           max_body_size=settings.documents_max_bytes)
        # Reminder choices, beside the addresses.
        app.include_router(notify.router, prefix=API_PREFIX, responses=errors(503), max_body_size=body_bound)
        # The directory of organisations (backend/directory): names for wallets, signed; same database.
        app.include_router(directory.router, prefix=API_PREFIX, responses=errors(404, 503), max_body_size=body_bound)
    # /health always; /metrics only when the settings serve it (off in production by default).
    operations = APIRouter()
    operations.routes.extend(route for route in health.router.routes
                             if settings.serves_metrics() or getattr(route, "path", None) != "/metrics")
    app.include_router(operations, responses=errors(503), max_body_size=body_bound)
    install_pages(app, settings)  # last: `/` and the static mounts
    # Middleware, innermost first (each add wraps the ones before).
    app.add_middleware(CORSMiddleware, allow_origins=settings.allowed_origins(settings.manifest_chain_id()),
                       allow_methods=["GET"], allow_headers=["*"])
    app.add_middleware(Admission, max_reads=settings.api_max_reads, max_writes=settings.api_max_writes,
                       queue=settings.api_queue, wait_s=settings.api_queue_wait_s,
                       retry_after_s=settings.api_retry_after_s, drain=drain)
    app.add_middleware(BodyLimit, default=body_bound, by_prefix={
        f"{API_PREFIX}/texts": texts.MAX_BODY_BYTES, f"{API_PREFIX}/documents": settings.documents_max_bytes},
        by_suffix={"/fees/statement-check": max(body_bound, 4 * cashier.MAX_STATEMENT_CHARS),
                   "/committee/units-check": max(body_bound, committee.UNITS_CHECK_MAX_BODY),
                   "/committee/transactions": max(body_bound, committee.PROPOSAL_MAX_BODY)})
    app.add_middleware(SecurityHeaders, policy=pages_policy(inline_script_hashes(STATIC / "index.html"),
                                                            settings.wallet_rpc_url()))
    app.add_middleware(ForwardedClient, trusted=settings.trusted_proxies)
    app.add_middleware(RequestMetrics, registry=app.state.metrics_registry)
    return app


def __getattr__(name: str):
    # `uvicorn backend.api.main:app` builds the app from the environment on first access,
    # so importing this module (tests, tools) does not need a configured environment.
    if name == "app":
        global app
        app = create_app()
        return app
    raise AttributeError(name)
