# SPDX-License-Identifier: AGPL-3.0-only
"""Response headers that keep the pages and the API from being framed, sniffed or made
to run someone else's script.

The pages are plain ES modules from /static and /vendor with a few inline scripts in
index.html (the large-text class before the first paint, the import map, the page
module's preload), each allowed by its SHA-256 (computed from the file at start, so an
edited script stays allowed). Pages set widths of bars with style attributes
(`style="width:…"`), hence `style-src-attr 'unsafe-inline'`; style elements and sheets
come only from /static. The browser talks to the API (same origin) and may read the
chain's node itself (the public RPC URL). /docs and /redoc load Swagger UI and ReDoc
from their CDN with inline scripts: they get a policy of their own (and are off in
production unless LINLI_DOCS_ENABLED).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
DOCS_PATHS = ("/docs", "/redoc")


def inline_script_hashes(html_file: Path) -> list[str]:
    """CSP source expressions ('sha256-…') for the inline scripts of a page."""
    try:
        html = html_file.read_text(encoding="utf-8")
    except OSError:
        return []
    return [f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
            for body in _INLINE_SCRIPT.findall(html)]


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def pages_policy(script_hashes: list[str], node_url: str | None) -> str:
    connect = ["'self'"] + ([origin] if node_url and (origin := _origin(node_url)) else [])
    return "; ".join([
        "default-src 'self'",
        "script-src " + " ".join(["'self'", *script_hashes]),
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src " + " ".join(connect),
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
               "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
               "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    """Pure ASGI middleware: adds the headers to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp, *, policy: str, docs_policy: str = DOCS_POLICY):
        self.app = app
        common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                  (b"x-frame-options", b"DENY")]
        self.headers = [*common, (b"content-security-policy", policy.encode())]
        self.docs_headers = [*common, (b"content-security-policy", docs_policy.encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.docs_headers if scope["path"].startswith(DOCS_PATHS) else self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                message = {**message, "headers": [*message.get("headers", ()),
                                                   *(h for h in extra if h[0] not in present)]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
