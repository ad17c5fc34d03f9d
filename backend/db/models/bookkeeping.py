"""Bookkeeping: the communities indexed, checkpoints, indexer status, recent block hashes, and the raw log of every event."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Address, Base, EventRow, Hash32, by_position

# --------------------------------------------------------------------- bookkeeping


class CommunityRecord(Base):
    """A community the index holds, from its deployment manifest."""

    __tablename__ = "communities"

    community: Mapped[str] = Address(primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    network: Mapped[str] = mapped_column(String(64), nullable=False)
    deploy_block: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # {"HouseholdRegistry": "0x…", "CommunityPoints": "0x…", …}
    contracts: Mapped[dict] = mapped_column(JSON, nullable=False)


class Checkpoint(Base):
    """How far a community is indexed; written in the same transaction as the rows."""

    __tablename__ = "checkpoints"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    community: Mapped[str] = Address(primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    block_hash: Mapped[str | None] = Hash32(nullable=True)
    # The node's head when this checkpoint was written (for lag and finality).
    chain_head: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    finalized_block: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at: Mapped[float] = mapped_column(nullable=False, default=0.0)


class IndexerStatus(Base):
    """What the indexer last saw of the node (written outside the data transactions)."""

    __tablename__ = "indexer_status"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    community: Mapped[str] = Address(primary_key=True)
    node_reachable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    halted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[float] = mapped_column(nullable=False, default=0.0)


class DistrictListing(Base):
    """A district registry's entry (CommunityAdded), and its retirement (CommunityRetired)
    when the street office retired it: written by the district indexer
    (backend/indexer/district.py) from final blocks only, with each event's block hash so
    that a listing or retirement a reorganisation removed is found and undone. A
    community is retired when it has entries and every one of them is retired (an entry
    retired by mistake can be listed again under a new id)."""

    __tablename__ = "district_listings"
    __table_args__ = (Index("ix_district_listings_community", "community"),)

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    district: Mapped[str] = Address(primary_key=True)
    district_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    community: Mapped[str] = Address(nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    street: Mapped[str] = mapped_column(String(128), nullable=False)
    block_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    block_hash: Mapped[str] = Hash32(nullable=False)
    retired_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    retired_block_hash: Mapped[str | None] = Hash32(nullable=True)
    # sha256 of the street office's note saying why (the note itself is kept off chain).
    retired_reason_hash: Mapped[str | None] = Hash32(nullable=True)


class IndexedBlock(Base):
    """Recent block hashes (the unfinalized window) for reorg detection."""

    __tablename__ = "indexed_blocks"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    community: Mapped[str] = Address(primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    block_hash: Mapped[str] = Hash32(nullable=False)
    parent_hash: Mapped[str] = Hash32(nullable=False)
    timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)




class RawEvent(EventRow, Base):
    """Every event of every contract in the manifest, decoded to JSON arguments."""

    __tablename__ = "raw_events"
    __table_args__ = (
        by_position("raw_events"),
        Index("ix_raw_events_name", "community", "event", "block_number", "log_index"),
    )

    block_hash: Mapped[str] = Hash32(nullable=False)
    address: Mapped[str] = Address(nullable=False)
    contract: Mapped[str] = mapped_column(String(64), nullable=False)
    # Null for a log whose topic no ABI in the manifest knows.
    event: Mapped[str | None] = mapped_column(String(64), nullable=True)
    args: Mapped[dict | None] = mapped_column(JSON, nullable=True)
