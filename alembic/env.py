"""Alembic environment: the models' metadata, the URL from the settings."""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context

from backend.core.config import get_settings
from backend.core.db import make_engine, normalise_url
from backend.db.models import Base

config = context.config
# alembic.ini's logging is for the `alembic` command alone: a program that migrates at its
# start (the indexer, the tests) has set up its own, which fileConfig would replace (the
# root logger to WARNING, lines without a time).
if (config.config_file_name is not None and config.attributes.get("configure_logger", True)
        and not logging.getLogger().handlers):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    return normalise_url(url) if url else get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
