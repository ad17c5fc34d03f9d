"""The resident pages: static ES modules served by the API process itself, so a
community runs one backend and residents open one address.

- `/` is the single page (index.html); `/static/…` its modules, styles and the zh/en
  dictionaries; `/vendor/<package>/…` the JavaScript libraries npm installed
  (ethers, chart.js), served from node_modules so a private deployment needs no CDN.
- `/api/v1/pages/config` tells the page which chain to ask the wallet for, where the
  contracts are and their ABIs, all read from the deployment manifest the backend is
  given (LINLI_MANIFEST), and whether the vote relayer is on.

Static files go out gzip-compressed when the browser accepts it (compressed once, kept
in memory: ethers is 522 KB as a file, 140 KB on the wire) with a strong ETag from their
content and `Cache-Control: no-cache`, so a browser asks again after an upgrade and gets
a 304 when nothing changed. Only these mounts compress: the API's answers do not pass
through here.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.responses import Response

from backend.core.config import PROJECT_ROOT, Settings
from backend.web.compression import accepts_gzip, compress
from backend.web.config import router as config_router

STATIC = Path(__file__).resolve().parent / "static"
NODE_MODULES = PROJECT_ROOT / "node_modules"
# Only these packages' built files are served, never the rest of node_modules.
VENDOR = {
    "ethers": "ethers/dist",
    "chart.js": "chart.js/dist",
    "@kurkle/color": "@kurkle/color/dist",  # chart.js imports it
    "@paulmillr/qr": "@paulmillr/qr/esm",  # check-in codes as QR codes (activities)
}


# Text files worth compressing; images and fonts are compressed already.
COMPRESSIBLE = {".js", ".mjs", ".css", ".json", ".html", ".svg", ".map", ".txt"}
MIN_COMPRESS_BYTES = 1024
CACHE_CONTROL = "no-cache"  # revalidate each time: a 304 when the file did not change


@dataclass(frozen=True)
class _Encoded:
    etag: str  # strong, from the content: the same file gives the same tag on every server
    gzipped: bytes | None  # None: not worth compressing


_encoded: dict[tuple[str, int, int], _Encoded] = {}
_encoded_lock = threading.Lock()


def _encode(path: Path, stat_result: os.stat_result) -> _Encoded:
    key = (str(path), stat_result.st_mtime_ns, stat_result.st_size)
    with _encoded_lock:
        found = _encoded.get(key)
    if found is not None:
        return found
    content = path.read_bytes()
    gzipped = None
    if path.suffix in COMPRESSIBLE and len(content) >= MIN_COMPRESS_BYTES:
        gzipped = compress(content)
    encoded = _Encoded(etag=hashlib.sha256(content).hexdigest()[:32], gzipped=gzipped)
    with _encoded_lock:
        for stale in [k for k in _encoded if k[0] == key[0]]:
            del _encoded[stale]
        _encoded[key] = encoded
    return encoded


class PageFiles(StaticFiles):
    """StaticFiles with gzip for text files, content ETags and revalidation."""

    def file_response(self, full_path, stat_result: os.stat_result, scope, status_code: int = 200) -> Response:
        request_headers = Headers(scope=scope)
        encoded = _encode(Path(full_path), stat_result)
        use_gzip = (encoded.gzipped is not None and accepts_gzip(request_headers)
                    and "range" not in request_headers)
        etag = f'"{encoded.etag}{"-gz" if use_gzip else ""}"'
        headers = {"etag": etag, "cache-control": CACHE_CONTROL}
        if encoded.gzipped is not None:
            headers["vary"] = "Accept-Encoding"
        if_none_match = request_headers.get("if-none-match")
        if if_none_match and (if_none_match.strip() == "*" or etag in
                              [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]):
            return Response(status_code=304, headers=headers)
        if use_gzip:
            response = FileResponse(full_path, stat_result=stat_result)  # for its media type and Last-Modified
            return Response(encoded.gzipped, status_code=status_code, media_type=response.media_type,
                            headers={**headers, "content-encoding": "gzip",
                                     "last-modified": response.headers["last-modified"]})
        return FileResponse(full_path, status_code=status_code, stat_result=stat_result, headers=headers)


# What a first visit loads after index.html, compressed when index.html is first asked for.
FIRST_VISIT = ["ethers/dist/ethers.min.js", "chart.js/dist/chart.js", "chart.js/dist/chunks/index.js",
               "@kurkle/color/dist/color.esm.js"]
_warmed = threading.Event()


def _warm() -> None:
    """Compress the pages' files once, off the request path."""
    files = [p for p in STATIC.rglob("*") if p.suffix in COMPRESSIBLE and p.is_file()]
    files += [NODE_MODULES / name for name in FIRST_VISIT]
    for path in files:
        try:
            _encode(path, path.stat())
        except OSError:
            pass


def install_pages(app: FastAPI, settings: Settings) -> None:
    """Add the pages to the API app (after the API routers: nothing here shadows them)."""
    app.include_router(config_router, prefix="/api/v1")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        if not _warmed.is_set():
            _warmed.set()
            threading.Thread(target=_warm, name="pages-gzip", daemon=True).start()
        # no-cache: the page is tiny and must follow the modules it imports after an upgrade.
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", PageFiles(directory=STATIC), name="static")
    for package, folder in VENDOR.items():
        directory = NODE_MODULES / folder
        # A missing folder means `make install` (npm ci) has not run: the page says so
        # in the browser rather than the API refusing to start.
        app.mount(f"/vendor/{package}", PageFiles(directory=directory, check_dir=False), name=f"vendor-{package}")

