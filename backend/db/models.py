"""Tables of the index.

Three kinds of table, every row tagged with its `community` (the registry address,
lower-case hex) so one database can hold a whole district:

- event tables: one row per decoded event, keyed by (chain_id, tx_hash, log_index),
  written only by the indexer and filled through the spec table in
  backend/indexer/specs.py; `raw_events` holds every event of every contract;
- state tables (units, owners, residents, role members, merchants, points balances):
  projections of the event tables, rebuilt from them after a reorganisation;
- bookkeeping: the checkpoint of each community and the recent block hashes.

Addresses and hashes are stored as lower-case 0x-hex strings; amounts and areas as
integers (NUMERIC(78) on PostgreSQL, so any uint256 fits; 64-bit on SQLite).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Index,
    Integer,
    Numeric,
    String,
    Text,
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


def Address(**kw) -> Mapped[str]:  # noqa: N802 - reads like a column type
    return mapped_column(String(42), **kw)


def Hash32(**kw) -> Mapped[str]:  # noqa: N802
    return mapped_column(String(66), **kw)


class Base(DeclarativeBase):
    pass


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


class IndexedBlock(Base):
    """Recent block hashes (the unfinalized window) for reorg detection."""

    __tablename__ = "indexed_blocks"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    community: Mapped[str] = Address(primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    block_hash: Mapped[str] = Hash32(nullable=False)
    parent_hash: Mapped[str] = Hash32(nullable=False)
    timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)


# --------------------------------------------------------------------- event tables


class EventRow:
    """Columns every event row has."""

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx_hash: Mapped[str] = Hash32(primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    community: Mapped[str] = Address(nullable=False)
    block_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    block_timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)


def _by_position(table: str) -> Index:
    return Index(f"ix_{table}_position", "community", "block_number", "log_index")


class RawEvent(EventRow, Base):
    """Every event of every contract in the manifest, decoded to JSON arguments."""

    __tablename__ = "raw_events"
    __table_args__ = (
        _by_position("raw_events"),
        Index("ix_raw_events_name", "community", "event", "block_number", "log_index"),
    )

    block_hash: Mapped[str] = Hash32(nullable=False)
    address: Mapped[str] = Address(nullable=False)
    contract: Mapped[str] = mapped_column(String(64), nullable=False)
    # Null for a log whose topic no ABI in the manifest knows.
    event: Mapped[str | None] = mapped_column(String(64), nullable=True)
    args: Mapped[dict | None] = mapped_column(JSON, nullable=True)


# HouseholdRegistry -----------------------------------------------------------


class UnitRegistration(EventRow, Base):
    __tablename__ = "unit_registrations"
    __table_args__ = (_by_position("unit_registrations"),)

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    label: Mapped[str] = mapped_column(String(64), nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    owner: Mapped[str] = Address(nullable=False)
    commitment: Mapped[str] = Hash32(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)


class UnitAreaChange(EventRow, Base):
    __tablename__ = "unit_area_changes"
    __table_args__ = (_by_position("unit_area_changes"), Index("ix_unit_area_changes_unit", "community", "unit_id"))

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    label: Mapped[str] = mapped_column(String(64), nullable=False)
    old_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    new_area: Mapped[int] = mapped_column(Uint256, nullable=False)


class OwnerWeightChange(EventRow, Base):
    __tablename__ = "owner_weight_changes"
    __table_args__ = (
        _by_position("owner_weight_changes"),
        Index("ix_owner_weight_changes_identity", "community", "identity"),
    )

    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    commitment: Mapped[str] = Hash32(nullable=False)
    wallet: Mapped[str] = Address(nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    units: Mapped[int] = mapped_column(BigInteger, nullable=False)


class TotalsChange(EventRow, Base):
    __tablename__ = "totals_changes"
    __table_args__ = (_by_position("totals_changes"),)

    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    heads: Mapped[int] = mapped_column(BigInteger, nullable=False)


class TransferRequest(EventRow, Base):
    __tablename__ = "unit_transfer_requests"
    __table_args__ = (_by_position("unit_transfer_requests"),)

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    current_owner: Mapped[str] = Address(nullable=False)
    new_owner: Mapped[str] = Address(nullable=False)
    commitment: Mapped[str] = Hash32(nullable=False)
    eta: Mapped[int] = mapped_column(BigInteger, nullable=False)


class TransferCancellation(EventRow, Base):
    __tablename__ = "unit_transfer_cancellations"
    __table_args__ = (_by_position("unit_transfer_cancellations"),)

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cancelled_by: Mapped[str] = Address(nullable=False)


class UnitTransfer(EventRow, Base):
    __tablename__ = "unit_transfers"
    __table_args__ = (_by_position("unit_transfers"), Index("ix_unit_transfers_unit", "community", "unit_id"))

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    previous_owner: Mapped[str] = Address(nullable=False)
    new_owner: Mapped[str] = Address(nullable=False)
    label: Mapped[str] = mapped_column(String(64), nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    previous_identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    new_identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    commitment: Mapped[str] = Hash32(nullable=False)


class RecoveryRequest(EventRow, Base):
    __tablename__ = "recovery_requests"
    __table_args__ = (_by_position("recovery_requests"),)

    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    current_wallet: Mapped[str] = Address(nullable=False)
    new_wallet: Mapped[str] = Address(nullable=False)
    eta: Mapped[int] = mapped_column(BigInteger, nullable=False)


class RecoveryCancellation(EventRow, Base):
    __tablename__ = "recovery_cancellations"
    __table_args__ = (_by_position("recovery_cancellations"),)

    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cancelled_by: Mapped[str] = Address(nullable=False)


class WalletRecovery(EventRow, Base):
    __tablename__ = "wallet_recoveries"
    __table_args__ = (_by_position("wallet_recoveries"),)

    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    previous_wallet: Mapped[str] = Address(nullable=False)
    new_wallet: Mapped[str] = Address(nullable=False)
    commitment: Mapped[str] = Hash32(nullable=False)


class ResidentChange(EventRow, Base):
    """ResidentLinked (linked = true) and ResidentUnlinked (linked = false)."""

    __tablename__ = "resident_changes"
    __table_args__ = (_by_position("resident_changes"),)

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    wallet: Mapped[str] = Address(nullable=False)
    linked: Mapped[bool] = mapped_column(Boolean, nullable=False)
    commitment: Mapped[str | None] = Hash32(nullable=True)
    changed_by: Mapped[str] = Address(nullable=False)


class RoleChange(EventRow, Base):
    """RoleGranted (granted = true) and RoleRevoked (granted = false)."""

    __tablename__ = "role_changes"
    __table_args__ = (_by_position("role_changes"),)

    role: Mapped[str] = Hash32(nullable=False)
    account: Mapped[str] = Address(nullable=False)
    granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    changed_by: Mapped[str] = Address(nullable=False)


# CommunityPoints -------------------------------------------------------------


class PointsMovement(EventRow, Base):
    """Every ERC-20 Transfer of the points (mints from and burns to the zero address)."""

    __tablename__ = "points_movements"
    __table_args__ = (
        _by_position("points_movements"),
        Index("ix_points_movements_sender", "community", "sender", "block_number", "log_index"),
        Index("ix_points_movements_receiver", "community", "receiver", "block_number", "log_index"),
    )

    sender: Mapped[str] = Address(nullable=False)
    receiver: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)


class PointsMint(EventRow, Base):
    __tablename__ = "points_mints"
    __table_args__ = (_by_position("points_mints"),)

    recipient: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    reason: Mapped[int] = mapped_column(Integer, nullable=False)
    minter: Mapped[str] = Address(nullable=False)


class PointsRedemption(EventRow, Base):
    __tablename__ = "points_redemptions"
    __table_args__ = (_by_position("points_redemptions"),)

    merchant: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    settlement_ref: Mapped[str] = Hash32(nullable=False)


class MerchantSync(EventRow, Base):
    __tablename__ = "merchant_syncs"
    __table_args__ = (_by_position("merchant_syncs"),)

    account: Mapped[str] = Address(nullable=False)
    is_merchant: Mapped[bool] = mapped_column(Boolean, nullable=False)


class MinterChange(EventRow, Base):
    __tablename__ = "minter_changes"
    __table_args__ = (_by_position("minter_changes"),)

    minter: Mapped[str] = Address(nullable=False)
    status: Mapped[bool] = mapped_column(Boolean, nullable=False)


# --------------------------------------------------------------------- state tables


class Unit(Base):
    __tablename__ = "units"

    community: Mapped[str] = Address(primary_key=True)
    unit_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    label: Mapped[str] = mapped_column(String(64), nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    registered_block: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_block: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Owner(Base):
    """An owner identity (dense index) with its current weight."""

    __tablename__ = "owners"

    community: Mapped[str] = Address(primary_key=True)
    identity: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    commitment: Mapped[str] = Hash32(nullable=False)
    wallet: Mapped[str] = Address(nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    units: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_block: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Resident(Base):
    __tablename__ = "residents"

    community: Mapped[str] = Address(primary_key=True)
    wallet: Mapped[str] = Address(primary_key=True)
    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    commitment: Mapped[str] = Hash32(nullable=False)
    linked_block: Mapped[int] = mapped_column(BigInteger, nullable=False)


class RoleMember(Base):
    __tablename__ = "role_members"

    community: Mapped[str] = Address(primary_key=True)
    role: Mapped[str] = Hash32(primary_key=True)
    account: Mapped[str] = Address(primary_key=True)
    granted_block: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Merchant(Base):
    """The points contract's mirror of the merchant role."""

    __tablename__ = "merchants"

    community: Mapped[str] = Address(primary_key=True)
    account: Mapped[str] = Address(primary_key=True)
    synced_block: Mapped[int] = mapped_column(BigInteger, nullable=False)


class PointsBalance(Base):
    __tablename__ = "points_balances"
    __table_args__ = (Index("ix_points_balances_balance", "community", "balance"),)

    community: Mapped[str] = Address(primary_key=True)
    holder: Mapped[str] = Address(primary_key=True)
    balance: Mapped[int] = mapped_column(Uint256, nullable=False)
