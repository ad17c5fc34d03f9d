"""Vault maintenance: `python -m backend.vault upgrade | rotate-key | new-key`.

Rotating the key:

    python -m backend.vault new-key                      # prints a fresh key
    export LINLI_VAULT_PREVIOUS_KEYS='["<old key>"]' LINLI_VAULT_KEY=<new key>
    python -m backend.vault rotate-key                   # re-encrypts every row, one transaction
    # then drop the old key from LINLI_VAULT_PREVIOUS_KEYS

Settings come from the LINLI_ environment (backend/core/config.py).
"""

from __future__ import annotations

import argparse
import base64
import secrets
import sys

from backend.core.config import PROJECT_ROOT, Settings
from backend.vault.chain import ChainUnavailable, load_communities, manifests_for
from backend.vault.crypto import DecryptionError, VaultKeyError, load_keyring
from backend.vault.db import make_vault_engine, upgrade
from backend.vault.store import rotate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.vault", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="bring the vault database to the newest schema")
    sub.add_parser("rotate-key", help="re-encrypt every ciphertext under LINLI_VAULT_KEY")
    sub.add_parser("new-key", help="print a fresh random vault key (base64)")
    args = parser.parse_args(argv)

    if args.command == "new-key":
        print(base64.b64encode(secrets.token_bytes(32)).decode())
        return 0
    settings = Settings()
    upgrade(settings.vault_database_url)
    if args.command == "upgrade":
        print("vault database at the newest schema")
        return 0
    try:
        served = load_communities(manifests_for(settings, PROJECT_ROOT))
        keys = load_keyring(settings, [community.chain_id for community in served.values()])
    except (VaultKeyError, ChainUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    engine = make_vault_engine(settings.vault_database_url)
    try:
        with engine.begin() as conn:
            moved = rotate(conn, keys)
    except DecryptionError as exc:
        print(f"error: {exc}; add the key it was written with to LINLI_VAULT_PREVIOUS_KEYS. Nothing was changed.",
              file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"re-encrypted {moved} ciphertexts under key {keys.current_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
