"""Alembic environment of the vault database (not the index's: own tables, own version table).

The URL comes from the caller (backend.vault.db.upgrade) or LINLI_VAULT_DATABASE_URL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from backend.core.db import make_engine, normalise_url
from backend.documents.models import metadata as documents_metadata
from backend.notices.models import metadata as notices_metadata
from backend.notify.models import metadata as notify_metadata
from backend.texts.models import metadata as texts_metadata
from backend.vault.db import VERSION_TABLE
from backend.vault.models import metadata

config = context.config
# The vault's own tables and the public texts (backend/texts), which share its database and history.
target_metadata = [metadata, texts_metadata, documents_metadata, notices_metadata, notify_metadata]
# Any constant: serialises API workers that migrate the same PostgreSQL vault at start.
_PG_LOCK_KEY = 0x6C696E6C69_7661  # "linli" "va"


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return normalise_url(url)
    from backend.core.config import get_settings

    return get_settings().vault_database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True,
                      version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          version_table=VERSION_TABLE)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
