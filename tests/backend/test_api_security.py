# SPDX-License-Identifier: AGPL-3.0-only
"""Headers that keep the pages and the API from being framed, sniffed or made to run
another site's script; /metrics and /docs as a setting; the error answers declared in
the OpenAPI schema (issue 17, item 6). The pages under this policy are loaded in
Chromium by tests/e2e/test_csp.py."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.web import STATIC
from tests.backend.conftest import fresh_database_url


@pytest.fixture
def database_url(tmp_path):
    return fresh_database_url("sqlite", tmp_path)


def policy(reply) -> dict[str, list[str]]:
    directives = {}
    for part in reply.headers["content-security-policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def test_every_answer_carries_the_headers(settings):
    client = TestClient(create_app(settings))
    answers = {
        "page": client.get("/"),
        "module": client.get("/static/js/app.js"),
        "api": client.get("/api/v1/communities"),
        "not found": client.get(f"/api/v1/communities/0x{'ab' * 20}"),
        "refused": client.get("/api/v1/communities/0x12"),
        "too large": client.post("/api/v1/vault/siwe/nonce", content=b"x" * 20_000,
                                 headers={"content-type": "application/json"}),
    }
    assert [reply.status_code for reply in answers.values()] == [200, 200, 200, 404, 422, 413]
    for name, reply in answers.items():
        assert reply.headers["x-content-type-options"] == "nosniff", name
        assert reply.headers["referrer-policy"] == "no-referrer", name
        assert reply.headers["x-frame-options"] == "DENY", name
        directives = policy(reply)
        assert directives["frame-ancestors"] == ["'none'"], name
        assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"], name
        assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]


def test_the_inline_scripts_are_allowed_by_their_hashes(settings):
    """index.html has three inline scripts, the large-text class set before the first paint,
    the import map and the preload of the page's own module; the policy allows exactly those
    three and no other inline script."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.DOTALL)
    assert len(inline) == 3 and "linli.large" in inline[0] and '"imports"' in inline[1] and "modulepreload" in inline[2]
    digests = [base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() for text in inline]
    directives = policy(TestClient(create_app(settings)).get("/"))
    assert directives["script-src"] == ["'self'", *(f"'sha256-{d}'" for d in digests)]
    # The node residents' wallets may be asked to reach, and nothing else beyond the API.
    assert directives["connect-src"] == ["'self'", settings.wallet_rpc_url().rstrip("/")]
    assert directives["default-src"] == ["'self'"] and directives["style-src"] == ["'self'"]


def test_the_docs_have_a_policy_of_their_own(settings):
    reply = TestClient(create_app(settings)).get("/docs")
    assert reply.status_code == 200
    directives = policy(reply)
    assert "https://cdn.jsdelivr.net" in directives["script-src"] and directives["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("environment, overrides, served", [
    ("test", {}, True),
    ("production", {}, False),
    ("production", {"metrics_enabled": True, "docs_enabled": True}, True),
    ("test", {"metrics_enabled": False, "docs_enabled": False}, False),
])
def test_metrics_and_docs_are_a_setting(settings, environment, overrides, served):
    configured = settings.model_copy(update={"environment": environment, **overrides})
    client = TestClient(create_app(configured))
    for path in ("/metrics", "/docs", "/redoc", "/openapi.json"):
        assert (client.get(path).status_code == 200) is served, path
    assert client.get("/health").status_code in (200, 503)  # /health stays


def test_the_schema_declares_the_error_answers(settings):
    """What every operation can answer besides its success, as the schema says it. The
    fuzz tests (test_api_fuzz.py, tests/vault/test_*fuzz.py) check the answers against it."""
    spec = TestClient(create_app(settings)).get("/openapi.json").json()
    operations = {(method.upper(), path): op for path, item in spec["paths"].items() for method, op in item.items()}
    for (method, path), op in operations.items():
        codes = set(op["responses"])
        assert "503" in codes, (method, path)  # busy (admission), or a dependency down
        if "{community}" in path:
            assert "404" in codes, (method, path)
        if method in ("POST", "PUT") and "requestBody" in op:
            assert {"413", "422"} <= codes, (method, path)
        if op.get("security") or any(p.get("name") == "Authorization" for p in op.get("parameters", [])):
            assert "401" in codes, (method, path)
    assert {"401", "403", "410", "429", "507"} <= set(operations[("POST", "/api/v1/texts")]["responses"])
    assert {"404", "409", "410"} <= set(operations[("GET", "/api/v1/texts/{text_hash}")]["responses"])
    notes = operations[("POST", "/api/v1/texts/retirement-notes")]
    assert {"400", "403", "404", "410", "413", "422", "429", "503", "507"} <= set(notes["responses"])
    assert "401" not in notes["responses"] and not notes.get("security")  # the hash on chain is the proof
    reads = operations[("POST", "/api/v1/vault/communities/{community}/residents/{resident}/reads")]
    assert {"401", "403", "404", "409", "429"} <= set(reads["responses"])
    assert {"400", "403", "404", "409", "429", "503"} <= set(
        operations[("POST", "/api/v1/communities/{community}/assembly/ballots")]["responses"])
    for path in ("/api/v1/communities/{community}/passkeys", "/api/v1/communities/{community}/passkeys/calls"):
        assert {"400", "403", "404", "409", "413", "422", "429", "503"} <= set(operations[("POST", path)]["responses"])
    units_check = operations[("POST", "/api/v1/communities/{community}/committee/units-check")]["responses"]
    assert {"400", "404", "413", "422", "429", "503"} <= set(units_check)
    assert units_check["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
    # /health keeps its own answer for 503 (the health report), not the error shape.
    assert operations[("GET", "/health")]["responses"]["503"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/Health"}
    error = spec["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["detail"]
