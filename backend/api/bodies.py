# SPDX-License-Identifier: AGPL-3.0-only
"""Request bodies are bounded: a 100 MB body to /texts was read whole before the 401.

Two guards with the same numbers: this middleware refuses a body whose Content-Length is
above its route's bound before anything reads it (and before admission, sign-in or the
database), and each router's `max_body_size` (FastAPI) stops a body sent without a
length (chunked) once it passes the bound while it streams. Both answer 413 as JSON.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send


class BodyLimit:
    """Pure ASGI middleware: 413 at once for a declared length above the path's bound."""

    def __init__(self, app: ASGIApp, *, default: int, by_prefix: dict[str, int],
                 by_suffix: dict[str, int] | None = None):
        self.app = app
        self.default = default
        # Longest prefix first, so /api/v1/texts wins over a shorter one.
        self.by_prefix = sorted(by_prefix.items(), key=lambda item: -len(item[0]))
        # A route under a community's path (…/{community}/committee/units-check) by its end.
        self.by_suffix = dict(by_suffix or {})

    def bound(self, path: str) -> int:
        for suffix, limit in self.by_suffix.items():
            if path.endswith(suffix):
                return limit
        return next((limit for prefix, limit in self.by_prefix if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = next((value for name, value in scope["headers"] if name == b"content-length"), b"")
            # (uvicorn refuses a malformed length itself, before the app sees the request)
            if declared.isdigit() and int(declared) > (bound := self.bound(scope["path"])):
                await self._refuse(send, bound, int(declared))
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(send: Send, bound: int, length: int) -> None:
        body = json.dumps({"detail": f"a body of {length:,} bytes: this route takes at most {bound:,} bytes"}).encode()
        # Connection: close, so the server does not read the unread body to reuse the connection.
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
