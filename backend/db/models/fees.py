"""PropertyFees event tables."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Address, Base, EventRow, Hash32, Uint256, by_position

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
        by_position("fee_payments"),
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
        by_position("fee_points_claims"),
        Index("ix_fee_points_claims_unit", "community", "unit_id"),
    )

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    claimant: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)


class PublicIncome(EventRow, Base):
    """PublicIncomeReceived (公共收益): parking, advertising, promotion, service fees."""

    __tablename__ = "public_incomes"
    __table_args__ = (by_position("public_incomes"),)

    payer: Mapped[str] = Address(nullable=False)
    source: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    paid_by: Mapped[str] = Address(nullable=False)


class MaintenanceDeposit(EventRow, Base):
    __tablename__ = "maintenance_deposits"
    __table_args__ = (by_position("maintenance_deposits"),)

    depositor: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    source: Mapped[str] = Hash32(nullable=False)


class Expense(EventRow, Base):
    """ExpenseRecorded: money leaving fee income (fund 0) or public income (fund 1)."""

    __tablename__ = "expenses"
    __table_args__ = (
        by_position("expenses"),
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
        by_position("budget_approvals"),
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
        by_position("service_contract_proposals"),
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
    __table_args__ = (by_position("service_contract_approvals"),)

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
    __table_args__ = (by_position("fee_settings"), Index("ix_fee_settings_setting", "community", "setting"))

    setting: Mapped[str] = mapped_column(String(32), nullable=False)
    value: Mapped[int] = mapped_column(Uint256, nullable=False)
    # The late fee's cap (LateFeeSet only).
    value2: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    set_by: Mapped[str | None] = Address(nullable=True)


class UnitBillingStart(EventRow, Base):
    __tablename__ = "unit_billing_starts"
    __table_args__ = (by_position("unit_billing_starts"), Index("ix_unit_billing_starts_unit", "community", "unit_id"))

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    month: Mapped[int] = mapped_column(BigInteger, nullable=False)


class GovernanceChange(EventRow, Base):
    __tablename__ = "fee_governance_changes"
    __table_args__ = (by_position("fee_governance_changes"),)

    previous: Mapped[str] = Address(nullable=False)
    governance: Mapped[str] = Address(nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


class MaintenanceProject(EventRow, Base):
    """MaintenanceProjectApproved: a repair paid from the fund in milestones (首款, 尾款 …)."""

    __tablename__ = "maintenance_projects"
    __table_args__ = (
        by_position("maintenance_projects"),
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
        by_position("milestone_releases"),
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
    __table_args__ = (by_position("service_ratings"), Index("ix_service_ratings_period", "community", "period"))

    period: Mapped[int] = mapped_column(Uint256, nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    rater: Mapped[str] = Address(nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total: Mapped[int] = mapped_column(Uint256, nullable=False)
