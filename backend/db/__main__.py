"""`python -m backend.db upgrade`: migrate LINLI_DATABASE_URL to the newest schema
(the indexer does this itself at start; run it before starting the API alone)."""

from __future__ import annotations

import sys

from backend.core.config import get_settings
from backend.db.migrate import upgrade


def main(argv: list[str]) -> int:
    if argv != ["upgrade"]:
        print(__doc__, file=sys.stderr)
        return 2
    upgrade(get_settings().database_url)
    print(f"database at the newest schema: {get_settings().database_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
