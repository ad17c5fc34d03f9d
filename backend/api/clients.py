# SPDX-License-Identifier: AGPL-3.0-only
"""Who the client is: the address that connected, or, behind a proxy the operator named
(LINLI_TRUSTED_PROXIES), the address that proxy says it served.

The limits per client (ballots, sign-in, texts) key on this address, so it must not be
something a client can write itself. uvicorn believes X-Forwarded-For from 127.0.0.1 by
default, which lets anything on the same host (or any proxy that passes the header on)
name its own address; `python -m backend.api` starts uvicorn with its proxy headers off
and this middleware decides instead.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("["):  # [v6]:port
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class ForwardedClient:
    """Pure ASGI middleware: scope["client"] becomes the forwarded client only when the
    connection comes from a trusted proxy; X-Forwarded-For is read from the right (what
    the nearest proxy appended) past the trusted hops, so addresses a client put in
    front are ignored."""

    def __init__(self, app: ASGIApp, trusted: Iterable[str]):
        self.app = app
        self.trusted = parse_networks(trusted)

    def _trusted(self, address) -> bool:
        return address is not None and any(address in network for network in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted:
            peer = scope.get("client")
            if peer and self._trusted(_address(peer[0])):
                self._rewrite(scope)
        await self.app(scope, receive, send)

    def _rewrite(self, scope: Scope) -> None:
        forwarded_for: list[str] = []
        proto = None
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-for":
                forwarded_for += value.decode("latin-1").split(",")
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1").strip().lower()
        client = None
        for hop in reversed(forwarded_for):
            address = _address(hop)
            if address is None:
                break  # not an address a proxy would write: stop believing the header here
            client = address
            if not self._trusted(address):
                break
        if client is not None:
            scope["client"] = (str(client), 0)
        if proto in ("http", "https"):
            scope["scheme"] = proto
