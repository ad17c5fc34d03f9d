# SPDX-License-Identifier: AGPL-3.0-only
"""Admission: how many requests the API runs at once, and a quick 503 beyond.

Why it exists: FastAPI runs each sync dependency and the endpoint in a worker thread of
its own. A request takes a thread to check out a database connection (get_db, then the
community lookup), gives it back, and needs another thread to run the endpoint while it
still holds the connection. With more requests in flight than connections, every thread
could end up waiting for a connection held by a request that waits for a thread: the
whole API stopped until the pool's timeout, then answered 500 (issue 17, item 1).

So a request is admitted only while fewer than `max_reads` (GET, HEAD, OPTIONS) or `max_writes`
(the rest: ballots, sign-in, vault and texts, which may wait seconds on the chain) are
running, and the database pool and the thread limiter are sized to hold all of them at
once: an admitted request never waits for a connection or a thread. Beyond, it waits in
a bounded queue for a bounded time (nothing held but its socket); a full queue or a
wait that runs out answers 503 with Retry-After at once, so under any load every
request is answered and a stop (SIGTERM) is never held up for long.
"""

from __future__ import annotations

import json
import math

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class _Gate:
    """Up to `limit` requests running; up to `queue` more waiting, each at most `wait_s`.

    anyio's Semaphore serves waiters first come, first served, and hands a slot on when
    a waiter gives up after being woken, so a slot is never lost to a timeout."""

    def __init__(self, limit: int, queue: int, wait_s: float):
        self.limit, self.queue, self.wait_s = limit, queue, wait_s
        self.waiting = 0
        self._slots = anyio.Semaphore(limit)

    async def enter(self) -> bool:
        """True once admitted (leave() after); False when the request is to be turned away."""
        try:
            self._slots.acquire_nowait()
            return True
        except anyio.WouldBlock:
            pass
        if self.waiting >= self.queue or self.wait_s <= 0:
            return False
        self.waiting += 1
        try:
            with anyio.move_on_after(self.wait_s):
                await self._slots.acquire()
                return True
            return False
        finally:
            self.waiting -= 1

    def leave(self) -> None:
        self._slots.release()


class Admission:
    """Pure ASGI middleware; one per app (its counters are per process)."""

    def __init__(self, app: ASGIApp, *, max_reads: int, max_writes: int, queue: int, wait_s: float,
                 retry_after_s: int):
        self.app = app
        self.reads = _Gate(max_reads, queue, wait_s)
        self.writes = _Gate(max_writes, queue, wait_s)
        self.retry_after_s = retry_after_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gate = self.reads if scope["method"] in READ_METHODS else self.writes
        if not await gate.enter():
            await self._busy(send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            gate.leave()

    async def _busy(self, send: Send) -> None:
        body = json.dumps({"detail": f"the server is busy: try again in {self.retry_after_s} s"}).encode()
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"retry-after", str(self.retry_after_s).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
