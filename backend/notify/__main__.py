# SPDX-License-Identifier: AGPL-3.0-only
"""`python -m backend.notify run [--every SECONDS] [--produce]`: reminders' rounds.

Each round delivers what the outbox holds due; with --produce it first enqueues what is
due now from the index (LINLI_DATABASE_URL) for every community of LINLI_MANIFEST /
LINLI_VAULT_MANIFESTS. Run it under scripts/supervise.sh or systemd: a kill loses
nothing and sends nothing twice.
"""

from __future__ import annotations

import argparse
import logging
import time

from sqlalchemy.exc import DBAPIError

from backend.core.config import PROJECT_ROOT, get_settings
from backend.notify.sender import Sender


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.notify")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="deliver due reminders (and with --produce, enqueue them first)")
    run.add_argument("--every", type=float, default=0, help="seconds between rounds (0: one round)")
    run.add_argument("--produce", action="store_true", help="enqueue what is due from the index first")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    sender = Sender(settings)
    communities, index = [], None
    if args.produce:
        from backend.chain.deployment import read_manifest
        from backend.core.db import make_engine
        from backend.vault.chain import manifests_for

        communities = [read_manifest(p)["community"] for p in manifests_for(settings, PROJECT_ROOT)]
        index = make_engine(settings.database_url)
    while True:
        try:
            if index is not None:
                from backend.notify.reminders import index_time, produce

                for community in communities:
                    now = index_time(index, community)
                    if now is not None:  # nothing indexed yet: nothing can be due
                        produce(index, sender.engine, community, now, send_at=int(sender.clock()))
            counts = sender.deliver_due()
            if any(counts.values()):
                logging.getLogger("linli.notify").info("round: %s", counts)
        except DBAPIError as exc:
            logging.getLogger("linli.notify").warning("database unavailable, next round: %s", type(exc.orig).__name__)
        if not args.every:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    raise SystemExit(main())
