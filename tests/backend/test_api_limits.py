# SPDX-License-Identifier: AGPL-3.0-only
"""Who a client is, how much it may send, and what a refusal echoes (issue 17, items 3–5).

- Rate limits keyed on the client's address believed X-Forwarded-For from 127.0.0.1
  (uvicorn's default), so a client on the same host named its own address each time:
  130 bogus ballots drew no 429. `python -m backend.api` starts uvicorn with its proxy
  headers off and the app believes only LINLI_TRUSTED_PROXIES.
- A 100 MB body to /texts was read whole before the 401; a 422 echoed its input whole.
- CORS `*` on any chain outside production; only on a local chain now.
"""

from __future__ import annotations

import json
import re
import socket
import time

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from tests.backend.apiserver import ApiProcess
from tests.backend.conftest import fresh_database_url

NONCE = "/api/v1/vault/siwe/nonce"


@pytest.fixture
def database_url(tmp_path):
    # What is tested here happens before any query: one database is enough.
    return fresh_database_url("sqlite", tmp_path)


def nonce_body(n: int) -> dict:
    return {"address": "0x" + format(n, "040x")}


# ---------------------------------------------------------------- forwarded headers


def test_a_client_on_the_same_host_cannot_name_its_own_address(rpc_url, tmp_path):
    """The API as operators start it: every request names another X-Forwarded-For, and
    still the sign-in limit per client address (5 here) answers 429."""
    env = {"LINLI_DATABASE_URL": f"sqlite:///{tmp_path / 'index.db'}", "LINLI_RPC_URL": rpc_url,
           "LINLI_VAULT_LOGIN_RATE_PER_MINUTE": "5"}
    with ApiProcess(env, tmp_path) as api:
        import httpx

        codes = [httpx.post(api.base + NONCE, json=nonce_body(n), timeout=30,
                            headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(1, 9)]
    assert codes[:5] == [200] * 5, codes
    assert codes[5:] == [429] * 3, codes


def test_forwarded_for_is_believed_only_from_named_proxies(settings):
    """In-process (TestClient's peer is 127.0.0.1 here): without LINLI_TRUSTED_PROXIES the
    header is ignored; with the proxy named, the client is the address it appended (the
    rightmost hop it does not trust), so addresses a client writes in front change nothing."""
    def app_with(**overrides):
        return create_app(settings.model_copy(update={"vault_login_rate_per_minute": 3, **overrides}))

    untrusting = TestClient(app_with(), client=("127.0.0.1", 50000))
    codes = [untrusting.post(NONCE, json=nonce_body(n), headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
             for n in range(5)]
    assert codes[3:] == [429, 429], codes

    behind_nginx = TestClient(app_with(trusted_proxies=["127.0.0.1"]), client=("127.0.0.1", 50000))
    # One resident behind the proxy, whatever they write in front of the address nginx appends.
    codes = [behind_nginx.post(NONCE, json=nonce_body(n),
                               headers={"X-Forwarded-For": f"10.9.9.{n}, 198.51.100.7"}).status_code for n in range(5)]
    assert codes[3:] == [429, 429], codes
    # Another resident is another client.
    other = behind_nginx.post(NONCE, json=nonce_body(9), headers={"X-Forwarded-For": "198.51.100.8"})
    assert other.status_code != 429
    # The proxy's own hops (trusted) are skipped: the client is the first untrusted from the right.
    hops = behind_nginx.post(NONCE, json=nonce_body(10), headers={"X-Forwarded-For": "198.51.100.7, 127.0.0.1"})
    assert hops.status_code == 429
    # A peer that is not the named proxy is itself the client, whatever it forwards.
    stranger = TestClient(app_with(trusted_proxies=["10.0.0.1"]), client=("127.0.0.1", 50000))
    codes = [stranger.post(NONCE, json=nonce_body(n), headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
             for n in range(5)]
    assert codes[3:] == [429, 429], codes


def test_trusted_proxies_must_be_addresses(settings):
    from backend.core.config import Settings

    with pytest.raises(ValueError, match="not an IP address"):
        Settings(trusted_proxies=["nginx.local"])
    assert Settings(trusted_proxies=["127.0.0.1", "10.0.0.0/8", "::1"]).trusted_proxies


# ---------------------------------------------------------------- bodies


def _complete(answer: bytes) -> bool:
    """The head and as much of the body as its Content-Length announces (they may come in
    separate segments: stopping at the head's end lost the body under load)."""
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return False
    length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    return length is None or len(body) >= int(length.group(1))


def raw_request(port: int, head: str, body_parts: list[bytes], wait_s: float = 10.0) -> bytes:
    """Send a request's head and some of its body on a socket, then read what comes back
    (without sending the rest): what a server that reads the whole body first never answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait_s) as sock:
        sock.sendall(head.encode())
        try:
            for part in body_parts:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending: what we want
        answer = b""
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and not _complete(answer):
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            answer += chunk
        return answer


@pytest.fixture
def api_process(rpc_url, tmp_path):
    env = {"LINLI_DATABASE_URL": f"sqlite:///{tmp_path / 'index.db'}", "LINLI_RPC_URL": rpc_url}
    with ApiProcess(env, tmp_path) as api:
        yield api


def test_an_oversized_body_is_refused_before_it_is_read(api_process):
    # 100 MB announced, 64 KiB sent: the 413 comes at once, before the 401 of a missing session.
    head = (f"POST /api/v1/texts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {100 * 1024 * 1024}\r\n\r\n")
    answer = raw_request(api_process.port, head, [b"x" * 65536])
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"at most 65,536 bytes" in answer or b"65,536" in answer
    # A ballot (16 KiB at most) the same way.
    head = head.replace("/api/v1/texts", f"/api/v1/communities/0x{'ab' * 20}/assembly/ballots").replace(
        str(100 * 1024 * 1024), str(50 * 1024 * 1024))
    assert raw_request(api_process.port, head, [b"x" * 4096]).startswith(b"HTTP/1.1 413")


def test_a_body_without_a_length_is_stopped_while_it_streams(api_process):
    # Chunked, never finished: the server stops reading past the route's bound and answers.
    head = ("POST /api/v1/vault/siwe/nonce HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * 8192
    parts = [f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"] * 8  # 64 KiB, the end never sent
    answer = raw_request(api_process.port, head, parts)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_bounds_per_route_in_process(settings):
    client = TestClient(create_app(settings))
    big = json.dumps({"text": "好" * 3900}).encode()  # 11.7 KB of UTF-8, 23 KB as \\u escapes
    escaped = json.dumps({"text": "好" * 3900}, ensure_ascii=True).encode()
    assert len(escaped) > 16 * 1024
    # The texts take up to 64 KiB: past the body bound to the sign-in (401).
    assert client.post("/api/v1/texts", content=escaped, headers={"content-type": "application/json"}
                       ).status_code == 401
    assert client.post("/api/v1/texts", content=big, headers={"content-type": "application/json"}).status_code == 401
    # Other routes take 16 KiB (LINLI_API_MAX_BODY_BYTES).
    reply = client.post(NONCE, content=escaped, headers={"content-type": "application/json"})
    assert reply.status_code == 413 and "at most 16,384 bytes" in reply.json()["detail"]
    tight = TestClient(create_app(settings.model_copy(update={"api_max_body_bytes": 64})))
    assert tight.post(NONCE, json=nonce_body(1)).status_code != 413
    assert tight.post(NONCE, json={"address": "0x" + "1" * 40, "language": "en" + " " * 64}).status_code == 413


def test_a_422_echoes_only_an_excerpt(settings):
    client = TestClient(create_app(settings))
    huge = "9" * 10_000
    reply = client.post("/api/v1/vault/siwe/login", json={"message": huge, "signature": "x" * 200,
                                                          "k" * 300: list(range(300))})
    assert reply.status_code == 422
    assert len(reply.content) < 3000, len(reply.content)
    detail = reply.json()["detail"]
    echoed = {error["loc"][1]: error.get("input") for error in detail}
    assert echoed["message"].startswith("9" * 64) and "(10000 characters)" in echoed["message"]
    assert all(len(str(part)) <= 100 for error in detail for part in error["loc"])
    # Every error keeps the shape FastAPI declares (loc, msg, type).
    assert all({"loc", "msg", "type"} <= set(error) for error in detail)
    # A lone surrogate still answers 422, never 500.
    reply = client.post(NONCE, content=b'{"address": "\\ud800"}', headers={"content-type": "application/json"})
    assert reply.status_code == 422


# ---------------------------------------------------------------- CORS


@pytest.mark.parametrize("chain_id, expected", [(31337, "*"), (1337, "*"), (4242, None)])
def test_cors_star_only_on_a_local_chain(settings, tmp_path, chain_id, expected):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"chain_id": chain_id, "community": "0x" + "ab" * 20, "contracts": {}}))
    client = TestClient(create_app(settings.model_copy(update={"manifest": manifest, "environment": "development"})))
    reply = client.get("/api/v1/communities", headers={"Origin": "https://elsewhere.example"})
    assert reply.headers.get("access-control-allow-origin") == expected
    # Named origins are what they say, on any chain.
    named = TestClient(create_app(settings.model_copy(update={"manifest": manifest,
                                                              "cors_origins": ["https://board.example"]})))
    assert named.get("/api/v1/communities", headers={"Origin": "https://board.example"}
                     ).headers["access-control-allow-origin"] == "https://board.example"
