"""SQL schema of the indexed community data (SQLAlchemy models, migrated by Alembic)."""
