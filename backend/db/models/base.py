"""Column types, the declarative base and the columns every event row has."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    Numeric,
    String,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

INT64_MAX = 2**63 - 1


class Uint256(TypeDecorator):
    """A uint256: NUMERIC(78, 0) on PostgreSQL, INTEGER (64-bit) on SQLite."""

    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(78, 0))
        return dialect.type_descriptor(BigInteger())

    def process_bind_param(self, value, dialect):
        if value is not None and dialect.name != "postgresql" and value > INT64_MAX:
            raise OverflowError(
                f"value {value} does not fit SQLite's 64-bit INTEGER; index this community into PostgreSQL"
            )
        return value

    def process_result_value(self, value, dialect):
        if isinstance(value, Decimal):
            return int(value)
        return value


def Address(**kw) -> Mapped[str]:
    return mapped_column(String(42), **kw)


def Hash32(**kw) -> Mapped[str]:
    return mapped_column(String(66), **kw)


class Base(DeclarativeBase):
    pass


# --------------------------------------------------------------------- event tables


class EventRow:
    """Columns every event row has."""

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx_hash: Mapped[str] = Hash32(primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    community: Mapped[str] = Address(nullable=False)
    block_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    block_timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)


def by_position(table: str) -> Index:
    return Index(f"ix_{table}_position", "community", "block_number", "log_index")
