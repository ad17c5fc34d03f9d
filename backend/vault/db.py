"""The vault's database: its own engine and its own Alembic history.

The vault is not the index. The index can be dropped and rebuilt from the chain at any
time; the vault holds what exists nowhere else (encrypted personal data, the record of
served reads), so it lives in a separate database with a separate version table and
nothing that resets the index ever touches it. Back it up with the vault key.
Its history also creates the public texts' table (backend/texts), which for the same
reason shares this database.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event

from backend.core.db import make_engine, normalise_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "vault_alembic_version"
# Alembic's `context` is one module-level proxy: two upgrades at once in one process (the
# vault, texts, documents and notices stores each built by the first request that needs
# it, in the API's worker threads) tear each other's down ("KeyError: 'script'").
_upgrade_lock = threading.Lock()


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", normalise_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the vault database to the newest schema (idempotent; one at a time per process)."""
    with _upgrade_lock:
        command.upgrade(alembic_config(database_url), revision)


def make_vault_engine(database_url: str, *, pool_size: int = 5, max_overflow: int | None = None,
                      pool_timeout: float = 30.0) -> Engine:
    """The vault's engine; the API sizes its pool to the requests it admits at once."""
    engine = make_engine(database_url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _secure_delete(dbapi_connection, _record):
            # What is deleted or overwritten here (a profile cleared, a public text removed)
            # is overwritten with zeros in the file, not left in free pages.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

    return engine

