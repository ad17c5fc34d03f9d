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


# --------------------------------------------------------------------- PropertyFees
#
# Event tables only: balances, budgets, statements and satisfaction are aggregated
# from them at read time, so a reorganisation needs no state table rebuilt. Months
# are the contract's Beijing-time month indices (year * 12 + month - 1); amounts are
# in fen (the settlement token has 2 decimals).


class FeePayment(EventRow, Base):
    """FeePaid: a payment of `months` [from_month, to_month] of a unit's dues."""

    __tablename__ = "fee_payments"
    __table_args__ = (
        _by_position("fee_payments"),
        Index("ix_fee_payments_unit", "community", "unit_id", "block_number", "log_index"),
        Index("ix_fee_payments_payer", "community", "payer", "block_number", "log_index"),
    )

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    payer: Mapped[str] = Address(nullable=False)
    from_month: Mapped[int] = mapped_column(BigInteger, nullable=False)
    to_month: Mapped[int] = mapped_column(BigInteger, nullable=False)
    dues: Mapped[int] = mapped_column(Uint256, nullable=False)
    late_fee: Mapped[int] = mapped_column(Uint256, nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    to_maintenance: Mapped[int] = mapped_column(Uint256, nullable=False)
    # Points earned by an on-time payment, accrued to the unit until claimed.
    points: Mapped[int] = mapped_column(Uint256, nullable=False)


class FeePointsClaim(EventRow, Base):
    """PointsClaimed: a unit's accrued points minted to its owner or resident."""

    __tablename__ = "fee_points_claims"
    __table_args__ = (
        _by_position("fee_points_claims"),
        Index("ix_fee_points_claims_unit", "community", "unit_id"),
    )

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    claimant: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)


class PublicIncome(EventRow, Base):
    """PublicIncomeReceived (公共收益): parking, advertising, promotion, service fees."""

    __tablename__ = "public_incomes"
    __table_args__ = (_by_position("public_incomes"),)

    payer: Mapped[str] = Address(nullable=False)
    source: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    paid_by: Mapped[str] = Address(nullable=False)


class MaintenanceDeposit(EventRow, Base):
    __tablename__ = "maintenance_deposits"
    __table_args__ = (_by_position("maintenance_deposits"),)

    depositor: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    source: Mapped[str] = Hash32(nullable=False)


class Expense(EventRow, Base):
    """ExpenseRecorded: money leaving fee income (fund 0) or public income (fund 1)."""

    __tablename__ = "expenses"
    __table_args__ = (
        _by_position("expenses"),
        Index("ix_expenses_id", "community", "expense_id"),
        Index("ix_expenses_period", "community", "period", "category"),
    )

    expense_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    category: Mapped[int] = mapped_column(Integer, nullable=False)
    payee: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    invoice_hash: Mapped[str] = Hash32(nullable=False)
    period: Mapped[int] = mapped_column(Uint256, nullable=False)
    fund: Mapped[int] = mapped_column(Integer, nullable=False)
    budget_spent: Mapped[int] = mapped_column(Uint256, nullable=False)
    recorded_by: Mapped[str] = Address(nullable=False)


class BudgetApproval(EventRow, Base):
    __tablename__ = "budget_approvals"
    __table_args__ = (
        _by_position("budget_approvals"),
        Index("ix_budget_approvals_year", "community", "year", "category"),
    )

    year: Mapped[int] = mapped_column(Uint256, nullable=False)
    category: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    spent: Mapped[int] = mapped_column(Uint256, nullable=False)
    approved_by: Mapped[str] = Address(nullable=False)


class ServiceContractProposal(EventRow, Base):
    """ServiceContractProposed: a property service contract (物业服务合同) on the record."""

    __tablename__ = "service_contract_proposals"
    __table_args__ = (
        _by_position("service_contract_proposals"),
        Index("ix_service_contract_proposals_id", "community", "contract_id"),
    )

    contract_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    company: Mapped[str] = Address(nullable=False)
    doc_hash: Mapped[str] = Hash32(nullable=False)
    start_month: Mapped[int] = mapped_column(BigInteger, nullable=False)
    end_month: Mapped[int] = mapped_column(BigInteger, nullable=False)
    rate: Mapped[int] = mapped_column(Uint256, nullable=False)
    service_items: Mapped[list | None] = mapped_column(JSON, nullable=True)
    proposed_by: Mapped[str] = Address(nullable=False)


class ServiceContractApproval(EventRow, Base):
    """ServiceContractApproved: the contract's rate becomes segment `segment` of the schedule."""

    __tablename__ = "service_contract_approvals"
    __table_args__ = (_by_position("service_contract_approvals"),)

    contract_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    company: Mapped[str] = Address(nullable=False)
    start_month: Mapped[int] = mapped_column(BigInteger, nullable=False)
    rate: Mapped[int] = mapped_column(Uint256, nullable=False)
    segment: Mapped[int] = mapped_column(BigInteger, nullable=False)
    approved_by: Mapped[str] = Address(nullable=False)


class FeeSetting(EventRow, Base):
    """The fee configuration's changes: one row per LateFeeSet, PrepayLimitSet,
    PointsRateSet, BillingStartSet or MaintenanceShareSet (`setting` says which)."""

    __tablename__ = "fee_settings"
    __table_args__ = (_by_position("fee_settings"), Index("ix_fee_settings_setting", "community", "setting"))

    setting: Mapped[str] = mapped_column(String(32), nullable=False)
    value: Mapped[int] = mapped_column(Uint256, nullable=False)
    # The late fee's cap (LateFeeSet only).
    value2: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    set_by: Mapped[str | None] = Address(nullable=True)


class UnitBillingStart(EventRow, Base):
    __tablename__ = "unit_billing_starts"
    __table_args__ = (_by_position("unit_billing_starts"), Index("ix_unit_billing_starts_unit", "community", "unit_id"))

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    month: Mapped[int] = mapped_column(BigInteger, nullable=False)


class GovernanceChange(EventRow, Base):
    __tablename__ = "fee_governance_changes"
    __table_args__ = (_by_position("fee_governance_changes"),)

    previous: Mapped[str] = Address(nullable=False)
    governance: Mapped[str] = Address(nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


class MaintenanceProject(EventRow, Base):
    """MaintenanceProjectApproved: a repair paid from the fund in milestones (首款, 尾款 …)."""

    __tablename__ = "maintenance_projects"
    __table_args__ = (
        _by_position("maintenance_projects"),
        Index("ix_maintenance_projects_id", "community", "project_id"),
    )

    project_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    payee: Mapped[str] = Address(nullable=False)
    total: Mapped[int] = mapped_column(Uint256, nullable=False)
    milestones: Mapped[list | None] = mapped_column(JSON, nullable=True)
    doc_hash: Mapped[str] = Hash32(nullable=False)
    reserved_after: Mapped[int] = mapped_column(Uint256, nullable=False)


class MilestoneRelease(EventRow, Base):
    __tablename__ = "milestone_releases"
    __table_args__ = (
        _by_position("milestone_releases"),
        Index("ix_milestone_releases_project", "community", "project_id"),
    )

    project_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    payee: Mapped[str] = Address(nullable=False)
    milestone_index: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    remaining: Mapped[int] = mapped_column(Uint256, nullable=False)


class ServiceRating(EventRow, Base):
    """ServiceRated: one owner identity's 1-5 score of a closed month."""

    __tablename__ = "service_ratings"
    __table_args__ = (_by_position("service_ratings"), Index("ix_service_ratings_period", "community", "period"))

    period: Mapped[int] = mapped_column(Uint256, nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    rater: Mapped[str] = Address(nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total: Mapped[int] = mapped_column(Uint256, nullable=False)


# --------------------------------------------------------------------- OwnersAssembly
#
# Proposal ids are uint256 content hashes (OpenZeppelin's hashProposal), too big for
# a 64-bit integer: `proposal_id` holds the decimal string. The indexer's spec rows
# copy event arguments as they are, so `proposal_id` is filled by the projection
# (backend/indexer/projections.py) from the raw event in the same transaction.


def ProposalId(**kw) -> Mapped[str | None]:  # noqa: N802 - reads like a column type
    return mapped_column(String(78), nullable=True, **kw)


def _by_proposal(table: str) -> Index:
    return Index(f"ix_{table}_proposal", "community", "proposal_id", "block_number", "log_index")


class ProposalCreation(EventRow, Base):
    """ProposalCreated (OpenZeppelin Governor's event): the calls and the window."""

    __tablename__ = "proposal_creations"
    __table_args__ = (_by_position("proposal_creations"), _by_proposal("proposal_creations"))

    proposal_id: Mapped[str | None] = ProposalId()
    proposer: Mapped[str] = Address(nullable=False)
    targets: Mapped[list | None] = mapped_column(JSON, nullable=True)
    call_values: Mapped[list | None] = mapped_column(JSON, nullable=True)
    calldatas: Mapped[list | None] = mapped_column(JSON, nullable=True)
    vote_start: Mapped[int] = mapped_column(BigInteger, nullable=False)
    vote_end: Mapped[int] = mapped_column(BigInteger, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)


class ProposalDetail(EventRow, Base):
    """ProposalDetails: matter, snapshot and the totals the statute counts against."""

    __tablename__ = "proposal_details"
    __table_args__ = (
        _by_position("proposal_details"),
        _by_proposal("proposal_details"),
        Index("ix_proposal_details_matter", "community", "matter"),
    )

    proposal_id: Mapped[str | None] = ProposalId()
    proposer: Mapped[str] = Address(nullable=False)
    matter: Mapped[int] = mapped_column(Integer, nullable=False)
    major: Mapped[bool] = mapped_column(Boolean, nullable=False)
    doc_hash: Mapped[str] = Hash32(nullable=False)
    snapshot_block: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    total_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cosigners_required: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objection_window: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ProposalCosign(EventRow, Base):
    __tablename__ = "proposal_cosigns"
    __table_args__ = (_by_position("proposal_cosigns"), _by_proposal("proposal_cosigns"))

    proposal_id: Mapped[str | None] = ProposalId()
    owner: Mapped[str] = Address(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cosigners: Mapped[int] = mapped_column(BigInteger, nullable=False)
    required: Mapped[int] = mapped_column(BigInteger, nullable=False)
    supported: Mapped[bool] = mapped_column(Boolean, nullable=False)


class Vote(EventRow, Base):
    """VoteCast: one owner identity's ballot (weight = its area at the snapshot, one head)."""

    __tablename__ = "votes"
    __table_args__ = (
        _by_position("votes"),
        _by_proposal("votes"),
        Index("ix_votes_voter", "community", "voter"),
    )

    proposal_id: Mapped[str | None] = ProposalId()
    voter: Mapped[str] = Address(nullable=False)
    support: Mapped[int] = mapped_column(Integer, nullable=False)
    weight: Mapped[int] = mapped_column(Uint256, nullable=False)


class VoteTally(EventRow, Base):
    """VoteTallied: the choice's running tally after a ballot (area, heads)."""

    __tablename__ = "vote_tallies"
    __table_args__ = (_by_position("vote_tallies"), _by_proposal("vote_tallies"))

    proposal_id: Mapped[str | None] = ProposalId()
    support: Mapped[int] = mapped_column(Integer, nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    heads: Mapped[int] = mapped_column(BigInteger, nullable=False)


class DelegateVote(EventRow, Base):
    """DelegateVoteCast: the ballot just before it was cast by `delegate` for `owner`."""

    __tablename__ = "delegate_votes"
    __table_args__ = (_by_position("delegate_votes"), _by_proposal("delegate_votes"))

    proposal_id: Mapped[str | None] = ProposalId()
    delegate: Mapped[str] = Address(nullable=False)
    owner: Mapped[str] = Address(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)


class DelegationChange(EventRow, Base):
    """DelegationSet (active = true) and DelegationRevoked (active = false);
    proposal_id "0" is a standing delegation."""

    __tablename__ = "delegation_changes"
    __table_args__ = (
        _by_position("delegation_changes"),
        Index("ix_delegation_changes_key", "community", "identity", "proposal_id"),
    )

    proposal_id: Mapped[str | None] = ProposalId()
    owner: Mapped[str] = Address(nullable=False)
    delegate: Mapped[str] = Address(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    previous: Mapped[str | None] = Address(nullable=True)


class ProposalComment(EventRow, Base):
    __tablename__ = "proposal_comments"
    __table_args__ = (_by_position("proposal_comments"), _by_proposal("proposal_comments"))

    proposal_id: Mapped[str | None] = ProposalId()
    author: Mapped[str] = Address(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objection: Mapped[bool] = mapped_column(Boolean, nullable=False)
    text_hash: Mapped[str] = Hash32(nullable=False)


class ProposalResult(EventRow, Base):
    """ProposalTallied: the final tallies and result, once finalized or queued."""

    __tablename__ = "proposal_results"
    __table_args__ = (_by_position("proposal_results"), _by_proposal("proposal_results"))

    proposal_id: Mapped[str | None] = ProposalId()
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    turnout_met: Mapped[bool] = mapped_column(Boolean, nullable=False)
    for_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    for_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    against_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    against_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    abstain_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    abstain_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    total_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objection_ends: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ProposalAction(EventRow, Base):
    """ProposalQueued, ProposalExecuted, ProposalCanceled (`action` says which)."""

    __tablename__ = "proposal_actions"
    __table_args__ = (_by_position("proposal_actions"), _by_proposal("proposal_actions"))

    proposal_id: Mapped[str | None] = ProposalId()
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    # The timelock eta (queued only).
    eta: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class VotingRulesChange(EventRow, Base):
    __tablename__ = "voting_rules_changes"
    __table_args__ = (_by_position("voting_rules_changes"),)

    min_notice: Mapped[int] = mapped_column(BigInteger, nullable=False)
    min_voting_period: Mapped[int] = mapped_column(BigInteger, nullable=False)
    max_voting_period: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objection_window: Mapped[int] = mapped_column(BigInteger, nullable=False)


class MajorCallChange(EventRow, Base):
    __tablename__ = "major_call_changes"
    __table_args__ = (_by_position("major_call_changes"),)

    target: Mapped[str] = Address(nullable=False)
    selector: Mapped[str] = mapped_column(String(10), nullable=False)
    major: Mapped[bool] = mapped_column(Boolean, nullable=False)
