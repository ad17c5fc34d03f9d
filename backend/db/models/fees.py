"""PropertyFees and CommunityTreasury event tables."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String
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


class FeeRecord(EventRow, Base):
    """FeeRecorded: a payment received off chain (WeChat, Alipay, bank, cash) that a
    cashier recorded; the FeePaid of the same transaction and unit is its receipt."""

    __tablename__ = "fee_records"
    __table_args__ = (
        by_position("fee_records"),
        Index("ix_fee_records_unit", "community", "unit_id", "from_month"),
        Index("ix_fee_records_cashier_day", "community", "cashier", "day"),
        Index("ix_fee_records_reference", "community", "reference"),
    )

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cashier: Mapped[str] = Address(nullable=False)
    reference: Mapped[str] = Hash32(nullable=False)
    channel: Mapped[int] = mapped_column(Integer, nullable=False)
    from_month: Mapped[int] = mapped_column(BigInteger, nullable=False)
    to_month: Mapped[int] = mapped_column(BigInteger, nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    # Beijing day index (days since 1970-01-01 in UTC+8) and the cashier's total that day.
    day: Mapped[int] = mapped_column(BigInteger, nullable=False)
    day_total: Mapped[int] = mapped_column(Uint256, nullable=False)


class FeeRecordDispute(EventRow, Base):
    """RecordDisputed: the unit's owner disputes a cashier's record."""

    __tablename__ = "fee_record_disputes"
    __table_args__ = (
        by_position("fee_record_disputes"),
        Index("ix_fee_record_disputes_reference", "community", "reference"),
    )

    reference: Mapped[str] = Hash32(nullable=False)
    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    owner: Mapped[str] = Address(nullable=False)
    reason: Mapped[str] = Hash32(nullable=False)


class FeeDisputeAnswer(EventRow, Base):
    """DisputeAnswered: upheld, the record is void and the unit's first unpaid month
    goes back to `first_unpaid_month`."""

    __tablename__ = "fee_dispute_answers"
    __table_args__ = (
        by_position("fee_dispute_answers"),
        Index("ix_fee_dispute_answers_reference", "community", "reference"),
        Index("ix_fee_dispute_answers_unit", "community", "unit_id", "block_number", "log_index"),
    )

    reference: Mapped[str] = Hash32(nullable=False)
    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    answered_by: Mapped[str] = Address(nullable=False)
    upheld: Mapped[bool] = mapped_column(Boolean, nullable=False)
    answer: Mapped[str] = Hash32(nullable=False)
    first_unpaid_month: Mapped[int] = mapped_column(BigInteger, nullable=False)
    points_taken_back: Mapped[int] = mapped_column(Uint256, nullable=False)


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


class FeeDisbursement(EventRow, Base):
    """Disbursed (PropertyFees): money leaving a fund (0 fee income, 1 public income,
    2 maintenance fund) at the treasury module's call; every payout has one."""

    __tablename__ = "fee_disbursements"
    __table_args__ = (
        by_position("fee_disbursements"),
        Index("ix_fee_disbursements_fund", "community", "fund"),
    )

    fund: Mapped[int] = mapped_column(Integer, nullable=False)
    payee: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    balance_after: Mapped[int] = mapped_column(Uint256, nullable=False)
    treasury: Mapped[str] = Address(nullable=False)


class TreasuryModuleSet(EventRow, Base):
    """TreasurySet (PropertyFees): the treasury module named, once."""

    __tablename__ = "fee_treasury_modules"
    __table_args__ = (by_position("fee_treasury_modules"),)

    treasury: Mapped[str] = Address(nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


class Expense(EventRow, Base):
    """ExpenseRecorded (CommunityTreasury): money leaving fee income (fund 0, under
    酬金制, accruing the company's commission) or public income (fund 1)."""

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
    # The commission the expense accrued (酬金制) and the service contract it accrued under.
    commission: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    contract_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class AnnualBudget(EventRow, Base):
    """AnnualBudgetApproved: what the assembly lets a fund spend in a calendar year."""

    __tablename__ = "annual_budgets"
    __table_args__ = (
        by_position("annual_budgets"),
        Index("ix_annual_budgets_year", "community", "year", "fund"),
    )

    year: Mapped[int] = mapped_column(Uint256, nullable=False)
    fund: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    allocated: Mapped[int] = mapped_column(Uint256, nullable=False)
    doc_hash: Mapped[str] = Hash32(nullable=False)
    approved_by: Mapped[str] = Address(nullable=False)


class BudgetApproval(EventRow, Base):
    """BudgetAllocated: a category's budget within the assembly's annual budget of a
    year and fund, set by the committee."""

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
    # Rows from before the annual budgets have no fund nor allocation total.
    fund: Mapped[int | None] = mapped_column(Integer, nullable=True)
    allocated: Mapped[int | None] = mapped_column(Uint256, nullable=True)


class CommissionPayment(EventRow, Base):
    """CommissionPaid: the company's commission under 酬金制, paid from fee income."""

    __tablename__ = "commission_payments"
    __table_args__ = (by_position("commission_payments"),)

    contract_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    company: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    owed_after: Mapped[int] = mapped_column(Uint256, nullable=False)
    paid_by: Mapped[str] = Address(nullable=False)


class LumpSumPayment(EventRow, Base):
    """LumpSumPaid: fee income paid to the company under 包干制 (its revenue)."""

    __tablename__ = "lump_sum_payments"
    __table_args__ = (by_position("lump_sum_payments"),)

    contract_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    company: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    paid_by: Mapped[str] = Address(nullable=False)


class DecisionPayout(EventRow, Base):
    """DecisionPayout: fee or public income paid by an assembly decision, outside budgets."""

    __tablename__ = "decision_payouts"
    __table_args__ = (by_position("decision_payouts"),)

    payout_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    fund: Mapped[int] = mapped_column(Integer, nullable=False)
    payee: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    doc_hash: Mapped[str] = Hash32(nullable=False)
    paid_by: Mapped[str] = Address(nullable=False)


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


    # How fee income is used: 1 包干制 (lump sum), 2 酬金制 (commission, in bps).
    mode: Mapped[int | None] = mapped_column(Integer, nullable=True)
    commission_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)


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


class MaintenanceProjectClosure(EventRow, Base):
    """MaintenanceProjectClosed: a project closed before its last milestone; its unpaid
    reserve freed."""

    __tablename__ = "maintenance_project_closures"
    __table_args__ = (by_position("maintenance_project_closures"),)

    project_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    unreserved: Mapped[int] = mapped_column(Uint256, nullable=False)
    reserved_after: Mapped[int] = mapped_column(Uint256, nullable=False)
    closed_by: Mapped[str] = Address(nullable=False)


class EmergencyCapsChange(EventRow, Base):
    """EmergencyCapsSet: what the committee may pay for urgent repairs without a vote."""

    __tablename__ = "emergency_caps"
    __table_args__ = (by_position("emergency_caps"),)

    per_use: Mapped[int] = mapped_column(Uint256, nullable=False)
    per_year: Mapped[int] = mapped_column(Uint256, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


class EmergencyRepair(EventRow, Base):
    """EmergencyRepairPaid (民法典 第二百八十一条第二款): an urgent repair paid from the
    maintenance fund by the committee, with the housing authority's approval hash."""

    __tablename__ = "emergency_repairs"
    __table_args__ = (
        by_position("emergency_repairs"),
        Index("ix_emergency_repairs_id", "community", "repair_id"),
    )

    repair_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[int] = mapped_column(Integer, nullable=False)
    payee: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    approval_hash: Mapped[str] = Hash32(nullable=False)
    year: Mapped[int] = mapped_column(Uint256, nullable=False)
    paid_this_year: Mapped[int] = mapped_column(Uint256, nullable=False)
    paid_by: Mapped[str] = Address(nullable=False)


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
