"""A sliding-window request limit per key (an address, a client), kept in the process.

Enough for one API process; several workers each count on their own, so the limit a
client meets is at most workers × the setting.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class SlidingWindowLimit:
    """At most `limit` hits per key in any `window_s` seconds."""

    def __init__(self, limit: int, window_s: float, clock=time.monotonic):
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count a hit; None if allowed, else the seconds until the next one would be."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window_s - now
            hits.append(now)
            if len(self._hits) > 100_000:  # forget idle keys so memory stays bounded
                for stale in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window_s]:
                    del self._hits[stale]
            return None
