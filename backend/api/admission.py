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
request is answered. Once the server is told to stop (SIGTERM, `Drain`), the waiting
requests and any new one are answered 503 at once: only the few running ones are left
for the stop to wait for.
"""

from __future__ import annotations

import json
import math
import signal
import threading

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
        self.closed = False
        self._slots = anyio.Semaphore(limit)
        self._waits: set[anyio.CancelScope] = set()

    async def enter(self) -> bool:
        """True once admitted (leave() after); False when the request is to be turned away."""
        if self.closed:
            return False
        try:
            self._slots.acquire_nowait()
            return True
        except anyio.WouldBlock:
            pass
        if self.waiting >= self.queue or self.wait_s <= 0:
            return False
        self.waiting += 1
        try:
            with anyio.move_on_after(self.wait_s) as wait:
                self._waits.add(wait)
                await self._slots.acquire()
                return True
            return False
        finally:
            self._waits.discard(wait)
            self.waiting -= 1

    def leave(self) -> None:
        self._slots.release()

    def close(self) -> None:
        """Turn away everyone waiting and everyone after (the server is stopping)."""
        self.closed = True
        for wait in list(self._waits):
            wait.cancel()


class Drain:
    """The server has been told to stop: every gate registered here closes."""

    def __init__(self):
        self.gates: list[_Gate] = []
        self.draining = False

    def start(self) -> None:
        self.draining = True
        for gate in self.gates:
            gate.close()

    def on_stop_signals(self) -> None:
        """Chain onto the SIGTERM/SIGINT handlers uvicorn installed (call from the app's
        startup, on the event loop): a stop first closes the gates, then does what it did.
        Only in the main thread, where signals are handled (not under TestClient)."""
        if threading.current_thread() is not threading.main_thread():
            return
        import asyncio

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(sig)
            if not callable(previous):
                continue

            def handler(signum, frame, previous=previous):
                loop.call_soon_threadsafe(self.start)  # the gates belong to the event loop
                previous(signum, frame)

            signal.signal(sig, handler)


class Admission:
    """Pure ASGI middleware; one per app (its counters are per process)."""

    def __init__(self, app: ASGIApp, *, max_reads: int, max_writes: int, queue: int, wait_s: float,
                 retry_after_s: int, drain: Drain | None = None):
        self.app = app
        self.reads = _Gate(max_reads, queue, wait_s)
        self.writes = _Gate(max_writes, queue, wait_s)
        self.retry_after_s = retry_after_s
        if drain is not None:
            drain.gates += [self.reads, self.writes]
            if drain.draining:
                drain.start()

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
        state = "stopping" if self.reads.closed else "busy"
        body = json.dumps({"detail": f"the server is {state}: try again in {self.retry_after_s} s"}).encode()
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"retry-after", str(self.retry_after_s).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
