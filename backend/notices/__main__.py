# SPDX-License-Identifier: AGPL-3.0-only
"""`python -m backend.notices anchor [--every SECONDS]`: anchor owners' receipts of notices.

Each round seals the receipts that wait into one batch per community (a Merkle root per
period: the period is the interval between rounds) and sends its root to the board. A
round interrupted after sealing is finished by the next: the batch's root is found on
chain or sent then.
"""

from __future__ import annotations

import argparse
import logging
import time

from backend.core.config import get_settings
from backend.notices.service import ChainUnavailable, Notices


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.notices")
    sub = parser.add_subparsers(dest="command", required=True)
    anchor = sub.add_parser("anchor", help="anchor the receipts that wait")
    anchor.add_argument("--every", type=float, default=0, help="seconds between rounds (0: one round)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    notices = Notices(get_settings())
    while True:
        try:
            for batch in notices.anchor_round():
                print(f"batch {batch['batch']}: {batch['receipts']} receipts, root {batch['root']}")
        except ChainUnavailable as exc:
            logging.getLogger("linli.notices").warning("anchoring waits: %s", exc)
        if not args.every:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    raise SystemExit(main())
