"""The FastAPI application: `uvicorn backend.api.main:app --host 127.0.0.1 --port 8000`.

Read-only REST under /api/v1 (one router per domain), /health, /metrics, /docs; the
writes: the vote relayer (POST …/assembly/ballots), the vault (/vault) and the public
texts (POST /texts). `/` serves the resident pages.
"""

from __future__ import annotations

import time

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter, Histogram

from backend.api.routes import (
    accounts,
    activities,
    assembly,
    ballots,
    community,
    consent,
    culture,
    documents,
    events,
    fees,
    health,
    notices,
    notify,
    points,
    promotions,
    services,
    suggestions,
    texts,
    units,
)
from backend.api.routes import vault as vault_routes
from backend.core.config import Settings, get_settings
from backend.core.db import make_engine, make_sessionmaker
from backend.web import install_pages

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


def _utf8_safe(value):
    """`value` with every string encodable as UTF-8: a lone surrogate becomes its \\uXXXX escape."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_utf8_safe(k): _utf8_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_utf8_safe(v) for v in value]
    return value


async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422, except that it never fails to encode: the default echoes the input, and
    an input with a lone surrogate (JSON "\\ud800") would turn the 422 into a 500."""
    return JSONResponse(status_code=422, content={"detail": _utf8_safe(jsonable_encoder(exc.errors()))})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Linli community index",
        version="1.0.0",
        description="Read-only API over the indexed contracts of Linli communities. Areas in 0.01 m²; "
        "addresses lower-case; lists paginate with `cursor`/`next_cursor`.",
    )
    engine = make_engine(settings.database_url, echo=settings.database_echo, pool_size=10)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.metrics_registry = CollectorRegistry()
    app.state.community_records = {}
    app.state.summary_cache = {}  # community -> (index version, summary); see routes/community.py
    for router in (community.router, units.router, points.router, events.router, fees.router, assembly.router,
                   culture.router, activities.router, promotions.router, services.router, suggestions.router,
                   consent.router, notices.router):
        app.include_router(router, prefix=API_PREFIX)
    for router in (accounts.router, ballots.router):
        app.include_router(router, prefix=API_PREFIX)
    # The vault (backend/vault): SIWE sessions, writes, logged reads; its own database, built on first use.
    app.state.vault = None
    app.state.texts = None
    if settings.vault_enabled:
        app.include_router(vault_routes.router, prefix=API_PREFIX)
        # Public texts share the vault's database and its sign-in (backend/texts).
        app.include_router(texts.router, prefix=API_PREFIX)
        # Documents and owners' receipts of notices too (backend/documents, backend/notices).
        app.include_router(documents.router, prefix=API_PREFIX)
        app.include_router(notify.router, prefix=API_PREFIX)  # reminder choices, beside the addresses
    app.include_router(health.router)
    install_pages(app, settings)  # last: `/` and the static mounts
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET"], allow_headers=["*"])
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
