"""Database engines and sessions: SQLite (embedded default) or PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Use psycopg 3 for a bare postgresql:// URL (SQLAlchemy would pick psycopg2)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, echo: bool = False, pool_size: int = 5, max_overflow: int | None = None,
                pool_timeout: float = 30.0) -> Engine:
    """An engine tuned for the indexer's bulk writes and the API's short reads.

    `pool_size` connections are kept (SQLite files too), `max_overflow` more are opened
    when busy (default: SQLAlchemy's 10 on SQLite, as many again on PostgreSQL), and a
    checkout waits `pool_timeout` seconds before sqlalchemy.exc.TimeoutError. The API sizes
    its pool to the requests it admits at once (backend/api/admission.py), so none of its
    requests waits for a connection."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        overflow = 10 if max_overflow is None else max_overflow
        pooled = {} if path in ("", ":memory:") else {"pool_size": pool_size, "max_overflow": overflow,
                                                     "pool_timeout": pool_timeout}
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}, **pooled)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            # WAL: the API reads while the indexer writes. synchronous=NORMAL in WAL mode: a
            # transaction (a batch's rows and its checkpoint) is committed atomically or not
            # at all; a process crash loses nothing committed, a power cut may lose the last
            # commits but never a part of one, so the indexer resumes from a consistent
            # checkpoint. OFF could corrupt the file on a power cut, hence not used.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA cache_size=-65536")
            # Pages read through the OS page cache instead of copied per connection, and
            # temporary b-trees in memory: a little less CPU per bulk insert (backfill).
            # Neither changes durability: a commit is still one atomic WAL append.
            cursor.execute("PRAGMA mmap_size=268435456")
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()

        return engine
    overflow = pool_size if max_overflow is None else max_overflow
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=overflow, pool_timeout=pool_timeout,
                         pool_pre_ping=True)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)


def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read session for one API request."""
    with factory() as session:
        yield session
