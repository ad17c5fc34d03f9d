"""The resident pages: static ES modules served by the API process itself, so a
community runs one backend and residents open one address.

- `/` is the single page (index.html); `/static/…` its modules, styles and the zh/en
  dictionaries; `/vendor/<package>/…` the JavaScript libraries npm installed
  (ethers, chart.js), served from node_modules so a private deployment needs no CDN.
- `/api/v1/pages/config` tells the page which chain to ask the wallet for, where the
  contracts are and their ABIs, all read from the deployment manifest the backend is
  given (LINLI_MANIFEST), and whether the vote relayer is on.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from backend.core.config import PROJECT_ROOT, Settings
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


def install_pages(app: FastAPI, settings: Settings) -> None:
    """Add the pages to the API app (after the API routers: nothing here shadows them)."""
    app.include_router(config_router, prefix="/api/v1")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        # no-cache: the page is tiny and must follow the modules it imports after an upgrade.
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for package, folder in VENDOR.items():
        directory = NODE_MODULES / folder
        # A missing folder means `make install` (npm ci) has not run: the page says so
        # in the browser rather than the API refusing to start.
        app.mount(f"/vendor/{package}", StaticFiles(directory=directory, check_dir=False), name=f"vendor-{package}")
