# SPDX-License-Identifier: AGPL-3.0-only
"""Run the API: `python -m backend.api [--host H] [--port P]`.

uvicorn with what the settings say (LINLI_API_HOST, LINLI_API_PORT, LINLI_API_WORKERS,
LINLI_API_GRACEFUL_SHUTDOWN_S) and with uvicorn's own proxy-header handling off: uvicorn
would believe X-Forwarded-For from 127.0.0.1 by default, so anything on the same host
could name its own address to the rate limits. The app believes only the proxies in
LINLI_TRUSTED_PROXIES (backend/api/clients.py).

On SIGTERM uvicorn stops accepting, the requests still waiting for admission are
answered 503 at once (backend/api/admission.py, Drain), the running ones may finish
for up to LINLI_API_GRACEFUL_SHUTDOWN_S seconds, and the process exits.
"""

from __future__ import annotations

import argparse

import uvicorn

from backend.core.config import get_settings


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m backend.api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=settings.api_host)
    parser.add_argument("--port", type=int, default=settings.api_port)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args(argv)
    uvicorn.run(
        "backend.api.main:app",
        host=args.host,
        port=args.port,
        workers=settings.api_workers,
        proxy_headers=False,
        forwarded_allow_ips="",
        server_header=False,
        timeout_graceful_shutdown=settings.api_graceful_shutdown_s,
        log_level=args.log_level,
        access_log=not args.no_access_log,
    )


if __name__ == "__main__":
    main()
