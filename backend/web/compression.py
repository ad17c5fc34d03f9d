"""gzip for what the pages load: the static files and the page configuration (its ABIs are
70 KB of JSON). Only the pages' own routes use it; the API's answers are not compressed."""

from __future__ import annotations

import gzip

from starlette.datastructures import Headers


def accepts_gzip(headers: Headers) -> bool:
    """Whether the request's Accept-Encoding allows gzip (q=0 refuses it)."""
    for part in headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def compress(content: bytes) -> bytes:
    # mtime=0: the same bytes every time, so caches and ETags agree.
    return gzip.compress(content, compresslevel=9, mtime=0)
