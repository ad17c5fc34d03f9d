"""The directory's revision of the vault's history (v0006_directory), on SQLite and
PostgreSQL: it follows v0005_notices, creates its table and index, and goes back down
leaving the earlier tables as they were."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from backend.core.db import make_engine
from backend.vault.db import alembic_config, upgrade


def test_the_directory_revision_goes_up_and_down(directory_db):
    url = directory_db[1]
    config = alembic_config(url)
    script = ScriptDirectory.from_config(config)
    assert script.get_revision("v0006_directory").down_revision == "v0005_notices"
    upgrade(url)
    engine = make_engine(url)
    try:
        tables = inspect(engine).get_table_names()
        assert {"directory_entries", "notice_receipts", "public_texts"} <= set(tables)
        assert "ix_directory_entries_category" in {i["name"] for i in inspect(engine).get_indexes("directory_entries")}
        command.downgrade(config, "v0005_notices")
        tables = inspect(engine).get_table_names()
        assert "directory_entries" not in tables and "notice_receipts" in tables
        upgrade(url)
        assert "directory_entries" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
