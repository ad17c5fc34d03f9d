"""Property fees, treasury, budgets, expenses, maintenance fund and satisfaction
(PropertyFees, which bills and holds the money, and CommunityTreasury, which decides
every payout).

Unit statements are computed from the indexed events exactly as the contract's
`statement(unit_id)` view computes them (rate segments from the approved service
contracts, the unit's first unpaid month from its payments, the late fee rule from
the settings, the area from the registry's events), at the time of the indexed
head block. Computing from the index instead of calling the node keeps the answer
consistent with `indexed_block`, keeps the API up when the node is down and costs
no RPC round trip; tests/backend/test_api_fees.py compares it with the view.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response
from sqlalchemy import and_, func, literal_column, or_, select
from sqlalchemy.orm import Session

from backend.api.deps import (
    MAX_BLOCK,
    AddressQuery,
    BlockQuery,
    CommunityContext,
    CommunityDep,
    CursorQuery,
    LimitDep,
    OrderQuery,
    SessionDep,
)
from backend.api.listing import csv_response, event_page, event_position, head_timestamp, require_contract
from backend.api.schemas import (
    BudgetsOut,
    CashierDayOut,
    DisbursementOut,
    EmergencyRepairOut,
    ExpenseDetail,
    ExpenseOut,
    FeeConfigOut,
    MaintenanceProjectDetail,
    MaintenanceProjectOut,
    MonthlyFlowsOut,
    Page,
    PaymentOut,
    PublicIncomeOut,
    RateHistoryOut,
    RecordDisputeOut,
    SatisfactionListOut,
    ServiceContractOut,
    StatementOut,
    TreasuryOut,
)
from backend.db.models import (
    AnnualBudget,
    BudgetApproval,
    CommissionPayment,
    DecisionPayout,
    EmergencyCapsChange,
    EmergencyRepair,
    Expense,
    FeeDisbursement,
    FeeDisputeAnswer,
    FeePayment,
    FeePointsClaim,
    FeeRecord,
    FeeRecordDispute,
    FeeSetting,
    LumpSumPayment,
    MaintenanceDeposit,
    MaintenanceProject,
    MaintenanceProjectClosure,
    MilestoneRelease,
    PublicIncome,
    RoleMember,
    ServiceContractApproval,
    ServiceContractProposal,
    ServiceRating,
    TreasuryModuleSet,
    Unit,
    UnitBillingStart,
)

router = APIRouter(tags=["fees"])

FEES = "PropertyFees"
BPS = 10_000
BEIJING = timezone(timedelta(hours=8))
MAX_MONTH = 2**32 - 1  # the API accepts any month a uint32 holds; the contract's go to 2**20 - 1
SOURCES = {1: "parking", 2: "advertising", 3: "promotion", 4: "service_fee", 5: "other"}
FUNDS = {0: "fee_income", 1: "public_income", 2: "maintenance_fund"}
MODES = {1: "lump_sum", 2: "commission"}  # 包干制, 酬金制
EMERGENCIES = {1: "elevator", 2: "roof_leak", 3: "fire_system", 4: "water_supply", 5: "facade", 6: "other_danger"}
# keccak256("linli.role.assembly"): the registry's role of the owners' assembly.
ASSEMBLY_ROLE = "0x71a17674673a6ff40f6cb16dce44b905526433962a67dd55e335f47e680359d3"
CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "CSV with a header row"}}

MonthQuery = Annotated[int | None, Query(ge=0, le=MAX_MONTH, description="Month index (year * 12 + month - 1)")]
UnitIdPath = Annotated[int, Path(ge=1, le=MAX_BLOCK, description="Unit id (1, 2, …)")]
IdPath = Annotated[int, Path(ge=1, le=MAX_BLOCK)]
UnitQuery = Annotated[int | None, Query(ge=1, le=MAX_BLOCK)]
CategoryQuery = Annotated[int | None, Query(ge=0, le=255, description="Expense category")]
FundQuery = Annotated[int | None, Query(ge=0, le=1, description="0 fee income, 1 public income")]
AnyFundQuery = Annotated[int | None, Query(ge=0, le=2, description="0 fee income, 1 public income, 2 maintenance fund")]
SourceQuery = Annotated[int | None, Query(ge=1, le=5, description="1 parking … 5 other")]
YearQuery = Annotated[int | None, Query(ge=0, le=MAX_MONTH // 12, description="Calendar year")]


# ---------------------------------------------------------------- the contract's arithmetic


def month_of(timestamp: int) -> int:
    """Beijing-time month index of a Unix timestamp."""
    moment = datetime.fromtimestamp(timestamp, BEIJING)
    return moment.year * 12 + moment.month - 1


def month_label(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def monthly_amount(area: int, rate: int) -> int:
    return (area * rate + 50) // 100


def _late_units(k: int, rate: int, cap: int) -> int:
    if k == 0 or rate == 0:
        return 0
    linear = cap // rate
    if k <= linear:
        return rate * (k * (k + 1) // 2)
    return rate * (linear * (linear + 1) // 2) + cap * (k - linear)


def rate_at(segments: list[tuple[int, int, int]], month: int) -> tuple[int, int]:
    """(rate, contract id) in force in `month`; segments are (start, rate, contract) oldest first."""
    for start, rate, contract_id in reversed(segments):
        if month >= start:
            return rate, contract_id
    return 0, 0


def charge(area: int, first: int, end: int, current: int, late_rate: int, late_cap: int,
           segments: list[tuple[int, int, int]]) -> tuple[int, int]:
    """Dues and late fee of months [first, end) seen from `current` (PropertyFees._charge)."""
    dues = late_units = 0
    hi = end
    for start, rate, _ in reversed(segments):
        lo = max(first, start)
        if lo < hi:
            monthly = monthly_amount(area, rate)
            dues += monthly * (hi - lo)
            if lo < current:
                top = min(hi, current)
                late_units += monthly * (_late_units(current - lo, late_rate, late_cap)
                                         - _late_units(current - top, late_rate, late_cap))
            hi = lo
        if start <= first:
            break
    return dues, late_units // BPS


# ---------------------------------------------------------------- shared reads


def _settings(session: Session, community: str) -> dict[str, tuple[int, int | None]]:
    rows = session.execute(
        select(FeeSetting.setting, FeeSetting.value, FeeSetting.value2).where(FeeSetting.community == community)
        .order_by(FeeSetting.block_number, FeeSetting.log_index)
    ).all()
    found: dict[str, tuple[int, int | None]] = {}
    for name, value, value2 in rows:
        found[name] = (int(value), None if value2 is None else int(value2))
    return found


def _segments(session: Session, community: str) -> list[tuple[int, int, int]]:
    rows = session.execute(
        select(ServiceContractApproval.start_month, ServiceContractApproval.rate, ServiceContractApproval.contract_id)
        .where(ServiceContractApproval.community == community).order_by(ServiceContractApproval.segment)
    ).all()
    return [(int(s), int(r), int(c)) for s, r, c in rows]


def _fees_context(session: Session, ctx: CommunityContext) -> tuple[str, int]:
    address = require_contract(ctx, FEES)
    return address, month_of(head_timestamp(session, ctx))


def _sum(session: Session, column, *conditions) -> int:
    return int(session.execute(select(func.coalesce(func.sum(column), 0)).where(*conditions)).scalar() or 0)


# ---------------------------------------------------------------- configuration and service contracts


@router.get("/communities/{community}/fees/config", response_model=FeeConfigOut,
            summary="Fee configuration, governance and the rate in force")
def fee_config(ctx: CommunityDep, session: SessionDep):
    address, current = _fees_context(session, ctx)
    settings = _settings(session, ctx.community)
    segments = _segments(session, ctx.community)
    rate, contract_id = rate_at(segments, current)
    # The assembly: the latest account given the registry's ASSEMBLY_ROLE that still holds it.
    governance = session.execute(
        select(RoleMember.account).where(RoleMember.community == ctx.community, RoleMember.role == ASSEMBLY_ROLE)
        .order_by(RoleMember.granted_block.desc(), RoleMember.account).limit(1)
    ).scalar()
    module = session.execute(
        select(TreasuryModuleSet.treasury).where(TreasuryModuleSet.community == ctx.community)
        .order_by(TreasuryModuleSet.block_number.desc(), TreasuryModuleSet.log_index.desc()).limit(1)
    ).scalar()
    terms = session.execute(
        select(ServiceContractProposal.mode, ServiceContractProposal.commission_bps)
        .where(ServiceContractProposal.community == ctx.community, ServiceContractProposal.contract_id == contract_id)
    ).first() if contract_id else None
    late = settings.get("late_fee", (0, 0))
    return {
        "fees_contract": address, "billing_start_month": settings.get("billing_start", (0,))[0],
        "late_fee_bps": late[0], "late_fee_cap_bps": late[1] or 0,
        "prepay_limit_months": settings.get("prepay_limit", (0,))[0],
        "maintenance_share_bps": settings.get("maintenance_share", (0,))[0],
        "points_rate": settings.get("points_rate", (0,))[0], "governance": governance, "treasury_module": module,
        "current_month": current, "current_month_label": month_label(current),
        "rate_in_force": rate, "contract_in_force": contract_id,
        "fee_income_mode": MODES.get(terms[0]) if terms and terms[0] is not None else None,
        "commission_bps": terms[1] if terms else None, **ctx.position(),
    }


def _service_contracts(session: Session, community: str, *conditions, limit: int | None = None):
    query = (
        select(ServiceContractProposal, ServiceContractApproval)
        .outerjoin(ServiceContractApproval, and_(ServiceContractApproval.community == ServiceContractProposal.community,
                                                 ServiceContractApproval.contract_id == ServiceContractProposal.contract_id))
        .where(ServiceContractProposal.community == community, *conditions)
        .order_by(ServiceContractProposal.contract_id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [{
        "contract_id": p.contract_id, "company": p.company, "doc_hash": p.doc_hash, "start_month": p.start_month,
        "end_month": p.end_month, "rate": int(p.rate), "service_items": list(p.service_items or []),
        "proposed_by": p.proposed_by, "proposed_block": p.block_number, "approved": a is not None,
        "approved_by": a.approved_by if a else None, "approved_block": a.block_number if a else None,
        "segment": a.segment if a else None,
        "mode": MODES.get(p.mode) if p.mode is not None else None, "commission_bps": p.commission_bps,
    } for p, a in session.execute(query).all()]


@router.get("/communities/{community}/fees/service-contracts", response_model=Page[ServiceContractOut],
            summary="Property service contracts (物业服务合同) proposed and approved, by id")
def service_contracts(ctx: CommunityDep, session: SessionDep, limit: LimitDep,
                      cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None):
    require_contract(ctx, FEES)
    conditions = [ServiceContractProposal.contract_id > int(cursor)] if cursor is not None else []
    items = _service_contracts(session, ctx.community, *conditions, limit=limit + 1)
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": str(items[-1]["contract_id"]) if more else None, **ctx.position()}


@router.get("/communities/{community}/fees/service-contracts/{contract_id}", response_model=ServiceContractOut,
            summary="One service contract")
def service_contract(ctx: CommunityDep, session: SessionDep, contract_id: IdPath):
    require_contract(ctx, FEES)
    items = _service_contracts(session, ctx.community, ServiceContractProposal.contract_id == contract_id)
    if not items:
        raise HTTPException(status_code=404, detail=f"service contract {contract_id} is not known")
    return items[0]


@router.get("/communities/{community}/fees/rates", response_model=RateHistoryOut,
            summary="The fee schedule: rate segments, oldest first")
def rate_history(ctx: CommunityDep, session: SessionDep):
    require_contract(ctx, FEES)
    rows = session.execute(
        select(ServiceContractApproval).where(ServiceContractApproval.community == ctx.community)
        .order_by(ServiceContractApproval.segment)
    ).scalars().all()
    return {"items": [{"block_number": r.block_number, "log_index": r.log_index, "tx_hash": r.tx_hash,
                       "block_timestamp": r.block_timestamp, "segment": r.segment, "start_month": r.start_month,
                       "start_month_label": month_label(r.start_month), "rate": int(r.rate),
                       "contract_id": r.contract_id} for r in rows], **ctx.position()}


# ---------------------------------------------------------------- statements and payments


def _latest_by_unit(session: Session, model, value, community: str, unit_ids: list[int] | None,
                    *conditions) -> dict[int, tuple[int, int, int]]:
    """Each unit's latest row of `model` (by chain position): (block, log index, `value`)."""
    rank = func.row_number().over(partition_by=model.unit_id,
                                  order_by=(model.block_number.desc(), model.log_index.desc())).label("rank")
    query = select(model.unit_id, model.block_number, model.log_index, value.label("value"), rank) \
        .where(model.community == community, *conditions)
    if unit_ids is not None:
        query = query.where(model.unit_id.in_(unit_ids))
    ranked = query.subquery()
    return {int(u): (int(b), int(i), int(v)) for u, b, i, v in session.execute(
        select(ranked.c.unit_id, ranked.c.block_number, ranked.c.log_index, ranked.c.value).where(ranked.c.rank == 1))}


def _by_unit(session: Session, model, aggregate, community: str, unit_ids: list[int] | None) -> dict[int, int]:
    query = select(model.unit_id, aggregate).where(model.community == community)
    if unit_ids is not None:
        query = query.where(model.unit_id.in_(unit_ids))
    return {int(u): int(v or 0) for u, v in session.execute(query.group_by(model.unit_id))}


def unit_statements(session: Session, ctx: CommunityContext, unit_ids: list[int] | None = None,
                    month: int | None = None) -> dict[int, dict]:
    """The statements of `unit_ids` (every registered unit: None) at `month` (the index's
    current month: None), by unit id, in a fixed number of queries whatever the units:
    the unit route and the district's table (routes/district.py) read the same figures."""
    _, current = _fees_context(session, ctx)
    if month is not None:
        current = month
    c = ctx.community
    query = select(Unit.unit_id, Unit.area).where(Unit.community == c)
    if unit_ids is not None:
        query = query.where(Unit.unit_id.in_(unit_ids))
    areas = {int(u): int(a) for u, a in session.execute(query.order_by(Unit.unit_id))}
    if not areas:
        return {}
    settings = _settings(session, c)
    segments = _segments(session, c)
    last_paid = _latest_by_unit(session, FeePayment, FeePayment.to_month, c, unit_ids)
    own_start = _latest_by_unit(session, UnitBillingStart, UnitBillingStart.month, c, unit_ids)
    # An upheld dispute moved the unit's months back (PropertyFees.answer_dispute).
    voided = _latest_by_unit(session, FeeDisputeAnswer, FeeDisputeAnswer.first_unpaid_month, c, unit_ids,
                             FeeDisputeAnswer.upheld.is_(True))
    earned = _by_unit(session, FeePayment, func.sum(FeePayment.points), c, unit_ids)
    claimed = _by_unit(session, FeePointsClaim, func.sum(FeePointsClaim.amount), c, unit_ids)
    taken_back = _by_unit(session, FeeDisputeAnswer, func.sum(FeeDisputeAnswer.points_taken_back), c, unit_ids)
    payments = _by_unit(session, FeePayment, func.count(), c, unit_ids)
    late_rate, late_cap = settings.get("late_fee", (0, 0))
    statements = {}
    for unit_id, area in areas.items():
        first = settings.get("billing_start", (0,))[0]
        latest = None
        for position, after in ((own_start.get(unit_id), 0), (last_paid.get(unit_id), 1), (voided.get(unit_id), 0)):
            if position is not None and (latest is None or (position[0], position[1]) > latest):
                latest = (position[0], position[1])
                first = position[2] + after
        months_due = months_overdue = dues = late = 0
        if first <= current:
            months_due, months_overdue = current + 1 - first, current - first
            if segments:
                dues, late = charge(area, first, current + 1, current, late_rate, late_cap or 0, segments)
        statements[unit_id] = {
            "unit_id": unit_id, "area": area, "current_month": current, "current_month_label": month_label(current),
            "first_unpaid_month": first, "first_unpaid_month_label": month_label(first), "months_due": months_due,
            "months_overdue": months_overdue, "monthly_amount": monthly_amount(area, rate_at(segments, current)[0]),
            "dues": dues, "late_fee": late, "total": dues + late,
            "claimable_points": earned.get(unit_id, 0) - claimed.get(unit_id, 0) - taken_back.get(unit_id, 0),
            "payments": payments.get(unit_id, 0), "computed_from": "index", **ctx.position(),
        }
    return statements


@router.get("/communities/{community}/units/{unit_id}/statement", response_model=StatementOut,
            summary="A unit's statement: months due, dues, late fee, total (as the contract computes them)")
def statement(ctx: CommunityDep, session: SessionDep, unit_id: UnitIdPath, month: MonthQuery = None):
    found = unit_statements(session, ctx, [unit_id], month).get(unit_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"unit {unit_id} is not registered")
    return found


def _payment(row) -> dict:
    return {**event_position(row), "unit_id": row["unit_id"], "payer": row["payer"],
            "from_month": row["from_month"], "to_month": row["to_month"],
            "from_month_label": month_label(row["from_month"]), "to_month_label": month_label(row["to_month"]),
            "dues": int(row["dues"]), "late_fee": int(row["late_fee"]), "amount": int(row["amount"]),
            "to_maintenance": int(row["to_maintenance"]), "points": int(row["points"])}


CHANNELS = {0: "token", 1: "wechat", 2: "alipay", 3: "bank", 4: "cash"}


def _with_records(session: Session, community: str, items: list[dict]) -> list[dict]:
    """Each payment with how it was paid: a cashier's record of the same transaction,
    unit and months gives its channel, recorder, reference and dispute."""
    hashes = {item["tx_hash"] for item in items}
    if not hashes:
        return items
    records = {(r.tx_hash, r.unit_id, r.from_month): r for r in session.execute(
        select(FeeRecord).where(FeeRecord.community == community, FeeRecord.tx_hash.in_(hashes))).scalars()}
    references = {r.reference for r in records.values()}
    disputes = _dispute_states(session, community, references)
    for item in items:
        record = records.get((item["tx_hash"], item["unit_id"], item["from_month"]))
        channel = record.channel if record is not None else 0
        state = disputes.get(record.reference) if record is not None else None
        item.update(channel=channel, channel_name=CHANNELS.get(channel, str(channel)),
                    recorded_by=record.cashier if record is not None else None,
                    reference=record.reference if record is not None else None,
                    dispute=state, void=state == "upheld")
    return items


def _dispute_states(session: Session, community: str, references: set[str]) -> dict[str, str]:
    if not references:
        return {}
    states = {ref: "open" for ref in session.execute(
        select(FeeRecordDispute.reference).where(FeeRecordDispute.community == community,
                                                 FeeRecordDispute.reference.in_(references))).scalars()}
    for ref, upheld in session.execute(
            select(FeeDisputeAnswer.reference, FeeDisputeAnswer.upheld)
            .where(FeeDisputeAnswer.community == community, FeeDisputeAnswer.reference.in_(references))).all():
        states[ref] = "upheld" if upheld else "rejected"
    return states


def _payment_filters(table, unit_id, payer, from_month, to_month) -> list:
    filters = []
    if unit_id is not None:
        filters.append(table.c.unit_id == unit_id)
    if payer is not None:
        filters.append(table.c.payer == payer.lower())
    # A payment matches a month range when the months it covers meet the range.
    if from_month is not None:
        filters.append(table.c.to_month >= from_month)
    if to_month is not None:
        filters.append(table.c.from_month <= to_month)
    return filters


@router.get("/communities/{community}/fees/payments", response_model=Page[PaymentOut],
            summary="Fee payments; from_month/to_month select payments covering months in the range")
def payments(ctx: CommunityDep, session: SessionDep, limit: LimitDep, unit_id: UnitQuery = None,
             payer: AddressQuery = None, from_month: MonthQuery = None, to_month: MonthQuery = None,
             from_block: BlockQuery = None, to_block: BlockQuery = None, cursor: CursorQuery = None,
             order: OrderQuery = "asc"):
    require_contract(ctx, FEES)
    table = FeePayment.__table__
    page = event_page(session, table, ctx, filters=_payment_filters(table, unit_id, payer, from_month, to_month),
                      from_block=from_block, to_block=to_block, cursor=cursor, order=order, limit=limit,
                      to_item=_payment)
    page["items"] = _with_records(session, ctx.community, page["items"])
    return page


@router.get("/communities/{community}/fees/payments.csv", summary="Fee payments as CSV (same filters)",
            response_class=Response, responses=CSV_RESPONSE)
def payments_csv(ctx: CommunityDep, session: SessionDep, unit_id: UnitQuery = None, payer: AddressQuery = None,
                 from_month: MonthQuery = None, to_month: MonthQuery = None):
    require_contract(ctx, FEES)
    table = FeePayment.__table__
    rows = session.execute(
        select(table).where(table.c.community == ctx.community,
                            *_payment_filters(table, unit_id, payer, from_month, to_month))
        .order_by(table.c.block_number, table.c.log_index)
    ).mappings().all()
    header = ["block_number", "block_time_utc", "tx_hash", "unit_id", "payer", "from_month", "to_month", "dues_fen",
              "late_fee_fen", "amount_fen", "to_maintenance_fen", "points", "channel", "recorded_by", "reference",
              "dispute"]
    items = _with_records(session, ctx.community, [_payment(r) for r in rows])
    return csv_response(f"payments-{ctx.community}.csv", header, (
        [r["block_number"], _utc(r["block_timestamp"]), r["tx_hash"], r["unit_id"], r["payer"],
         month_label(r["from_month"]), month_label(r["to_month"]), int(r["dues"]), int(r["late_fee"]),
         int(r["amount"]), int(r["to_maintenance"]), int(r["points"]), item["channel_name"],
         item["recorded_by"] or "", item["reference"] or "", item["dispute"] or ""] for r, item in zip(rows, items)))


@router.get("/communities/{community}/fees/disputes", response_model=Page[RecordDisputeOut],
            summary="Owners' disputes of cashiers' records and their answers")
def disputes(ctx: CommunityDep, session: SessionDep, limit: LimitDep, unit_id: UnitQuery = None,
             cursor: CursorQuery = None, order: OrderQuery = "asc"):
    require_contract(ctx, FEES)
    table = FeeRecordDispute.__table__
    filters = [] if unit_id is None else [table.c.unit_id == unit_id]
    page = event_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit,
                      to_item=lambda row: {**event_position(row), "reference": row["reference"],
                                           "unit_id": row["unit_id"], "owner": row["owner"], "reason": row["reason"],
                                           "state": "open", "answered_by": None, "answer": None})
    references = {item["reference"] for item in page["items"]}
    answers = {} if not references else {a.reference: a for a in session.execute(
        select(FeeDisputeAnswer).where(FeeDisputeAnswer.community == ctx.community,
                                       FeeDisputeAnswer.reference.in_(references))).scalars()}
    for item in page["items"]:
        answer = answers.get(item["reference"])
        if answer is not None:
            item.update(state="upheld" if answer.upheld else "rejected", answered_by=answer.answered_by,
                        answer=answer.answer)
    return page


@router.get("/communities/{community}/fees/cashier-days", response_model=list[CashierDayOut],
            summary="Each cashier's daily total of payments received off chain, as the contract published it")
def cashier_days(ctx: CommunityDep, session: SessionDep, cashier: AddressQuery = None,
                 from_day: Annotated[int | None, Query(ge=0, le=10**7)] = None,
                 to_day: Annotated[int | None, Query(ge=0, le=10**7)] = None):
    require_contract(ctx, FEES)
    conditions = [FeeRecord.community == ctx.community]
    if cashier is not None:
        conditions.append(FeeRecord.cashier == cashier.lower())
    if from_day is not None:
        conditions.append(FeeRecord.day >= from_day)
    if to_day is not None:
        conditions.append(FeeRecord.day <= to_day)
    rows = session.execute(
        select(FeeRecord.cashier, FeeRecord.day, func.max(FeeRecord.day_total), func.count())
        .where(*conditions).group_by(FeeRecord.cashier, FeeRecord.day)
        .order_by(FeeRecord.day, FeeRecord.cashier).limit(1_000)
    ).all()
    epoch = datetime(1970, 1, 1)
    return [{"cashier": c, "day": int(d), "date": (epoch + timedelta(days=int(d))).strftime("%Y-%m-%d"),
             "total": int(total), "records": int(n)} for c, d, total, n in rows]


def _utc(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- treasury


@router.get("/communities/{community}/treasury", response_model=TreasuryOut,
            summary="Balances by fund (fee income, public income, maintenance fund) and totals, from the events")
def treasury(ctx: CommunityDep, session: SessionDep):
    require_contract(ctx, FEES)
    c = ctx.community
    # Payments a cashier recorded count as collected (less those an upheld dispute voided)
    # but were received off chain: they are not held here.
    upheld = select(FeeDisputeAnswer.reference).where(FeeDisputeAnswer.community == c, FeeDisputeAnswer.upheld.is_(True))
    voided = _sum(session, FeeRecord.amount, FeeRecord.community == c, FeeRecord.reference.in_(upheld))
    # The receipts (FeePaid) of the voided records: the same transaction, unit and first month.
    voided_receipts = select(FeePayment.dues, FeePayment.late_fee).join(FeeRecord, and_(
        FeeRecord.community == FeePayment.community, FeeRecord.tx_hash == FeePayment.tx_hash,
        FeeRecord.unit_id == FeePayment.unit_id, FeeRecord.from_month == FeePayment.from_month,
    )).where(FeePayment.community == c, FeeRecord.reference.in_(upheld)).subquery()
    voided_dues = _sum(session, voided_receipts.c.dues)
    voided_late = _sum(session, voided_receipts.c.late_fee)
    recorded = _sum(session, FeeRecord.amount, FeeRecord.community == c) - voided
    fees_collected = _sum(session, FeePayment.amount, FeePayment.community == c) - voided
    to_fund = _sum(session, FeePayment.to_maintenance, FeePayment.community == c)
    public_by_source = {SOURCES.get(int(s), str(s)): int(a) for s, a in session.execute(
        select(PublicIncome.source, func.sum(PublicIncome.amount)).where(PublicIncome.community == c)
        .group_by(PublicIncome.source)).all()}
    public = sum(public_by_source.values())
    spent = {int(f): int(a) for f, a in session.execute(
        select(Expense.fund, func.sum(Expense.amount)).where(Expense.community == c).group_by(Expense.fund)).all()}
    # Every payout leaves PropertyFees through one Disbursed event, whatever decided it.
    paid_out = {int(f): int(a) for f, a in session.execute(
        select(FeeDisbursement.fund, func.sum(FeeDisbursement.amount)).where(FeeDisbursement.community == c)
        .group_by(FeeDisbursement.fund)).all()}
    deposits = _sum(session, MaintenanceDeposit.amount, MaintenanceDeposit.community == c)
    milestones = _sum(session, MilestoneRelease.amount, MilestoneRelease.community == c)
    unreserved = _sum(session, MaintenanceProjectClosure.unreserved, MaintenanceProjectClosure.community == c)
    reserved = _sum(session, MaintenanceProject.total, MaintenanceProject.community == c) - milestones - unreserved
    return {
        "balances": {"fee_income": fees_collected - recorded - to_fund - paid_out.get(0, 0),
                     "public_income": public - paid_out.get(1, 0),
                     "maintenance_fund": to_fund + deposits - paid_out.get(2, 0), "maintenance_reserved": reserved},
        "fees_collected": fees_collected, "fees_recorded_off_chain": recorded,
        "dues_collected": _sum(session, FeePayment.dues, FeePayment.community == c) - voided_dues,
        "late_fees_collected": _sum(session, FeePayment.late_fee, FeePayment.community == c) - voided_late,
        "to_maintenance": to_fund, "public_income_received": public, "public_income_by_source": public_by_source,
        "maintenance_deposits": deposits, "expenses_from_fee_income": spent.get(0, 0),
        "expenses_from_public_income": spent.get(1, 0), "maintenance_paid_out": paid_out.get(2, 0),
        "milestones_paid_out": milestones, "emergency": _emergency_use(session, ctx),
        "commission_accrued": _sum(session, Expense.commission, Expense.community == c),
        "commission_paid": _sum(session, CommissionPayment.amount, CommissionPayment.community == c),
        "lump_sum_paid": _sum(session, LumpSumPayment.amount, LumpSumPayment.community == c),
        "decision_payouts": _sum(session, DecisionPayout.amount, DecisionPayout.community == c), **ctx.position(),
    }


def _emergency_use(session: Session, ctx: CommunityContext) -> dict:
    c = ctx.community
    caps = session.execute(
        select(EmergencyCapsChange.per_use, EmergencyCapsChange.per_year).where(EmergencyCapsChange.community == c)
        .order_by(EmergencyCapsChange.block_number.desc(), EmergencyCapsChange.log_index.desc()).limit(1)
    ).first()
    year = month_of(head_timestamp(session, ctx)) // 12
    return {"cap_per_use": int(caps[0]) if caps else 0, "cap_per_year": int(caps[1]) if caps else 0, "year": year,
            "paid_this_year": _sum(session, EmergencyRepair.amount, EmergencyRepair.community == c,
                                   EmergencyRepair.year == year),
            "paid_out": _sum(session, EmergencyRepair.amount, EmergencyRepair.community == c),
            "repairs": int(session.execute(select(func.count()).select_from(EmergencyRepair)
                                           .where(EmergencyRepair.community == c)).scalar() or 0)}


def _month_column(session: Session, table) -> object:
    """SQL for the Beijing month index of a row's block timestamp (UTC+8, no DST)."""
    column = f"{table.name}.block_timestamp"
    if session.get_bind().dialect.name == "postgresql":
        moment = f"(to_timestamp({column} + 28800) AT TIME ZONE 'UTC')"
        sql = f"(CAST(EXTRACT(YEAR FROM {moment}) AS BIGINT) * 12 + CAST(EXTRACT(MONTH FROM {moment}) AS BIGINT) - 1)"
    else:
        sql = (f"(CAST(strftime('%Y', {column} + 28800, 'unixepoch') AS INTEGER) * 12"
               f" + CAST(strftime('%m', {column} + 28800, 'unixepoch') AS INTEGER) - 1)")
    return literal_column(sql)


@router.get("/communities/{community}/treasury/monthly", response_model=MonthlyFlowsOut,
            summary="Income and expenses by Beijing month, fund and category")
def treasury_monthly(ctx: CommunityDep, session: SessionDep, from_month: MonthQuery = None,
                     to_month: MonthQuery = None):
    require_contract(ctx, FEES)
    c = ctx.community
    flows: list[dict] = []

    def add(month, flow, fund, kind, category, amount, count, channel=None):
        if (from_month is None or month >= from_month) and (to_month is None or month <= to_month):
            flows.append({"month": int(month), "month_label": month_label(int(month)), "flow": flow, "fund": fund,
                          "kind": kind, "category": category, "amount": int(amount), "count": int(count),
                          "channel": channel})

    # Income on a cash basis: the month the money arrived, by the way it was paid (tokens, or
    # a cashier's record of WeChat, Alipay, bank or cash). A record an upheld dispute voided
    # was never received: its receipt is left out, as the treasury's totals leave it out.
    month = _month_column(session, FeePayment.__table__)
    upheld = select(FeeDisputeAnswer.reference).where(FeeDisputeAnswer.community == c,
                                                      FeeDisputeAnswer.upheld.is_(True))
    channel = func.coalesce(FeeRecord.channel, 0)
    for m, ch, amount, share, count in session.execute(
        select(month, channel, func.sum(FeePayment.amount), func.sum(FeePayment.to_maintenance), func.count())
        .select_from(FeePayment).outerjoin(FeeRecord, and_(
            FeeRecord.community == FeePayment.community, FeeRecord.tx_hash == FeePayment.tx_hash,
            FeeRecord.unit_id == FeePayment.unit_id, FeeRecord.from_month == FeePayment.from_month))
        .where(FeePayment.community == c, or_(FeeRecord.reference.is_(None), FeeRecord.reference.not_in(upheld)))
        .group_by(month, channel)
    ).all():
        name = CHANNELS.get(int(ch), str(ch))
        add(m, "income", "fee_income", "property_fee", None, int(amount) - int(share), count, name)
        if int(share):
            add(m, "income", "maintenance_fund", "maintenance_share", None, share, count, name)
    month = _month_column(session, PublicIncome.__table__)
    for m, source, amount, count in session.execute(
        select(month, PublicIncome.source, func.sum(PublicIncome.amount), func.count())
        .where(PublicIncome.community == c).group_by(month, PublicIncome.source)
    ).all():
        add(m, "income", "public_income", SOURCES.get(int(source), "other"), None, amount, count)
    month = _month_column(session, MaintenanceDeposit.__table__)
    for m, amount, count in session.execute(
        select(month, func.sum(MaintenanceDeposit.amount), func.count())
        .where(MaintenanceDeposit.community == c).group_by(month)
    ).all():
        add(m, "income", "maintenance_fund", "deposit", None, amount, count)
    # Expenses by the period they belong to (the month budgets count them in).
    for period, fund, category, amount, count in session.execute(
        select(Expense.period, Expense.fund, Expense.category, func.sum(Expense.amount), func.count())
        .where(Expense.community == c).group_by(Expense.period, Expense.fund, Expense.category)
    ).all():
        add(int(period), "expense", FUNDS.get(int(fund), str(fund)), "expense", int(category), amount, count)
    month = _month_column(session, MilestoneRelease.__table__)
    for m, amount, count in session.execute(
        select(month, func.sum(MilestoneRelease.amount), func.count())
        .where(MilestoneRelease.community == c).group_by(month)
    ).all():
        add(m, "expense", "maintenance_fund", "milestone", None, amount, count)
    # Emergency repairs stand apart from projects; the company's commission and lump sum
    # and the assembly's direct payouts apart from budgeted expenses.
    for model, fund, kind in ((EmergencyRepair, "maintenance_fund", "emergency_repair"),
                              (CommissionPayment, "fee_income", "commission"),
                              (LumpSumPayment, "fee_income", "lump_sum")):
        month = _month_column(session, model.__table__)
        for m, amount, count in session.execute(
            select(month, func.sum(model.amount), func.count()).where(model.community == c).group_by(month)
        ).all():
            add(m, "expense", fund, kind, None, amount, count)
    month = _month_column(session, DecisionPayout.__table__)
    for m, fund, amount, count in session.execute(
        select(month, DecisionPayout.fund, func.sum(DecisionPayout.amount), func.count())
        .where(DecisionPayout.community == c).group_by(month, DecisionPayout.fund)
    ).all():
        add(m, "expense", FUNDS.get(int(fund), str(fund)), "decision", None, amount, count)
    flows.sort(key=lambda f: (f["month"], f["flow"] != "income", f["fund"], f["kind"], f["category"] or 0,
                              f["channel"] or ""))
    return {"items": flows, **ctx.position()}


def _expense(row) -> dict:
    return {**event_position(row), "expense_id": row["expense_id"], "category": row["category"],
            "payee": row["payee"], "amount": int(row["amount"]), "invoice_hash": row["invoice_hash"],
            "period": int(row["period"]), "period_label": month_label(int(row["period"])),
            "fund": FUNDS.get(row["fund"], str(row["fund"])), "budget_spent": int(row["budget_spent"]),
            "recorded_by": row["recorded_by"],
            "commission": None if row["commission"] is None else int(row["commission"]),
            "contract_id": row["contract_id"]}


def _expense_filters(table, category, fund, payee, from_period, to_period) -> list:
    filters = []
    if category is not None:
        filters.append(table.c.category == category)
    if fund is not None:
        filters.append(table.c.fund == fund)
    if payee is not None:
        filters.append(table.c.payee == payee.lower())
    if from_period is not None:
        filters.append(table.c.period >= from_period)
    if to_period is not None:
        filters.append(table.c.period <= to_period)
    return filters


@router.get("/communities/{community}/treasury/expenses", response_model=Page[ExpenseOut],
            summary="Expenses with their invoice hashes")
def expenses(ctx: CommunityDep, session: SessionDep, limit: LimitDep, category: CategoryQuery = None,
             fund: FundQuery = None, payee: AddressQuery = None, from_period: MonthQuery = None,
             to_period: MonthQuery = None, cursor: CursorQuery = None, order: OrderQuery = "asc"):
    require_contract(ctx, FEES)
    table = Expense.__table__
    return event_page(session, table, ctx, filters=_expense_filters(table, category, fund, payee, from_period,
                                                                     to_period),
                      cursor=cursor, order=order, limit=limit, to_item=_expense)


@router.get("/communities/{community}/treasury/expenses.csv", summary="Expenses as CSV (same filters)",
            response_class=Response, responses=CSV_RESPONSE)
def expenses_csv(ctx: CommunityDep, session: SessionDep, category: CategoryQuery = None, fund: FundQuery = None,
                 payee: AddressQuery = None, from_period: MonthQuery = None, to_period: MonthQuery = None):
    require_contract(ctx, FEES)
    table = Expense.__table__
    rows = session.execute(
        select(table).where(table.c.community == ctx.community,
                            *_expense_filters(table, category, fund, payee, from_period, to_period))
        .order_by(table.c.block_number, table.c.log_index)
    ).mappings().all()
    header = ["expense_id", "block_number", "block_time_utc", "tx_hash", "period", "category", "fund", "payee",
              "amount_fen", "invoice_hash", "recorded_by"]
    return csv_response(f"expenses-{ctx.community}.csv", header, (
        [r["expense_id"], r["block_number"], _utc(r["block_timestamp"]), r["tx_hash"], month_label(int(r["period"])),
         r["category"], FUNDS.get(r["fund"], r["fund"]), r["payee"], int(r["amount"]), r["invoice_hash"],
         r["recorded_by"]] for r in rows))


@router.get("/communities/{community}/treasury/expenses/{expense_id}", response_model=ExpenseDetail,
            summary="One expense")
def expense(ctx: CommunityDep, session: SessionDep, expense_id: IdPath):
    require_contract(ctx, FEES)
    table = Expense.__table__
    row = session.execute(select(table).where(table.c.community == ctx.community,
                                              table.c.expense_id == expense_id)).mappings().first()
    if row is None:
        raise HTTPException(status_code=404, detail=f"expense {expense_id} is not known")
    return {**_expense(row), **ctx.position()}


@router.get("/communities/{community}/treasury/public-income", response_model=Page[PublicIncomeOut],
            summary="Public income (公共收益) received")
def public_income(ctx: CommunityDep, session: SessionDep, limit: LimitDep, source: SourceQuery = None,
                  payer: AddressQuery = None, cursor: CursorQuery = None, order: OrderQuery = "asc"):
    require_contract(ctx, FEES)
    table = PublicIncome.__table__
    filters = []
    if source is not None:
        filters.append(table.c.source == source)
    if payer is not None:
        filters.append(table.c.payer == payer.lower())
    return event_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit,
                      to_item=lambda r: {**event_position(r), "payer": r["payer"],
                                         "source": SOURCES.get(r["source"], "other"), "source_code": r["source"],
                                         "amount": int(r["amount"]), "paid_by": r["paid_by"]})


@router.get("/communities/{community}/treasury/budgets", response_model=BudgetsOut,
            summary="The assembly's annual budgets per year and fund, and the committee's category budgets "
                    "with spent and remaining")
def budgets(ctx: CommunityDep, session: SessionDep, year: YearQuery = None):
    require_contract(ctx, FEES)
    c = ctx.community
    # Expenses count against the budget of their period's calendar year and their fund.
    spent: dict[tuple[int, int, int], int] = defaultdict(int)
    for period, fund, category, amount in session.execute(
        select(Expense.period, Expense.fund, Expense.category, func.sum(Expense.amount)).where(Expense.community == c)
        .group_by(Expense.period, Expense.fund, Expense.category)
    ).all():
        spent[(int(period) // 12, int(fund), int(category))] += int(amount)

    query = select(BudgetApproval).where(BudgetApproval.community == c)
    if year is not None:
        query = query.where(BudgetApproval.year == year)
    approved: dict[tuple[int, int | None, int], dict] = {}
    for row in session.execute(query.order_by(BudgetApproval.block_number, BudgetApproval.log_index)).scalars():
        key = (int(row.year), row.fund, row.category)
        entry = approved.setdefault(key, {"approvals": 0})
        entry.update(budget=int(row.amount), approved_block=row.block_number)
        entry["approvals"] += 1

    def spent_of(y: int, fund: int | None, category: int) -> int:
        # A budget from before the funds were budgeted apart counts both funds.
        if fund is None:
            return sum(spent[(y, f, category)] for f in FUNDS)
        return spent[(y, fund, category)]

    items = [{"year": y, "fund": FUNDS.get(f) if f is not None else None, "category": cat, "budget": e["budget"],
              "spent": spent_of(y, f, cat), "remaining": e["budget"] - spent_of(y, f, cat), "approvals": e["approvals"],
              "approved_block": e["approved_block"]}
             for (y, f, cat), e in sorted(approved.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0, kv[0][2]))]

    query = select(AnnualBudget).where(AnnualBudget.community == c)
    if year is not None:
        query = query.where(AnnualBudget.year == year)
    annual: dict[tuple[int, int], dict] = {}
    for row in session.execute(query.order_by(AnnualBudget.block_number, AnnualBudget.log_index)).scalars():
        entry = annual.setdefault((int(row.year), row.fund), {"approvals": 0})
        entry.update(amount=int(row.amount), doc_hash=row.doc_hash, approved_block=row.block_number,
                     approved_by=row.approved_by)
        entry["approvals"] += 1
    allocated: dict[tuple[int, int], int] = defaultdict(int)
    for (y, f, _cat), e in approved.items():
        if f is not None:
            allocated[(y, f)] += e["budget"]
    annual_items = []
    for (y, f), e in sorted(annual.items()):
        used = sum(amount for (sy, sf, _), amount in spent.items() if (sy, sf) == (y, f))
        annual_items.append({"year": y, "fund": FUNDS.get(f, str(f)), "amount": e["amount"],
                             "allocated": allocated[(y, f)], "spent": used, "remaining": e["amount"] - used,
                             "doc_hash": e["doc_hash"], "approvals": e["approvals"],
                             "approved_block": e["approved_block"], "approved_by": e["approved_by"]})
    return {"items": items, "annual": annual_items, **ctx.position()}


# ---------------------------------------------------------------- maintenance fund


def _projects(session: Session, community: str, *conditions, limit: int | None = None) -> list[dict]:
    query = select(MaintenanceProject).where(MaintenanceProject.community == community, *conditions) \
        .order_by(MaintenanceProject.project_id)
    if limit is not None:
        query = query.limit(limit)
    projects = session.execute(query).scalars().all()
    if not projects:
        return []
    releases: dict[int, list[dict]] = defaultdict(list)
    for r in session.execute(
        select(MilestoneRelease).where(MilestoneRelease.community == community,
                                       MilestoneRelease.project_id.in_([p.project_id for p in projects]))
        .order_by(MilestoneRelease.block_number, MilestoneRelease.log_index)
    ).scalars():
        releases[r.project_id].append({"block_number": r.block_number, "log_index": r.log_index, "tx_hash": r.tx_hash,
                                       "block_timestamp": r.block_timestamp, "index": r.milestone_index,
                                       "amount": int(r.amount), "remaining": int(r.remaining)})
    closed = set(session.execute(
        select(MaintenanceProjectClosure.project_id).where(
            MaintenanceProjectClosure.community == community,
            MaintenanceProjectClosure.project_id.in_([p.project_id for p in projects]))
    ).scalars())
    out = []
    for p in projects:
        paid = sum(r["amount"] for r in releases[p.project_id])
        out.append({"project_id": p.project_id, "payee": p.payee, "total": int(p.total),
                    "milestones": [int(m) for m in p.milestones or []], "doc_hash": p.doc_hash,
                    "approved_block": p.block_number, "approved_tx": p.tx_hash,
                    "released": len(releases[p.project_id]), "paid": paid, "remaining": int(p.total) - paid,
                    "closed": p.project_id in closed, "releases": releases[p.project_id]})
    return out


@router.get("/communities/{community}/treasury/maintenance-projects", response_model=Page[MaintenanceProjectOut],
            summary="Maintenance projects paid from the fund, with their milestone releases")
def maintenance_projects(ctx: CommunityDep, session: SessionDep, limit: LimitDep,
                         cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None):
    require_contract(ctx, FEES)
    conditions = [MaintenanceProject.project_id > int(cursor)] if cursor is not None else []
    items = _projects(session, ctx.community, *conditions, limit=limit + 1)
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": str(items[-1]["project_id"]) if more else None, **ctx.position()}


@router.get("/communities/{community}/treasury/maintenance-projects/{project_id}",
            response_model=MaintenanceProjectDetail, summary="One maintenance project")
def maintenance_project(ctx: CommunityDep, session: SessionDep, project_id: IdPath):
    require_contract(ctx, FEES)
    items = _projects(session, ctx.community, MaintenanceProject.project_id == project_id)
    if not items:
        raise HTTPException(status_code=404, detail=f"maintenance project {project_id} is not known")
    return {**items[0], **ctx.position()}


@router.get("/communities/{community}/treasury/emergency-repairs", response_model=Page[EmergencyRepairOut],
            summary="Emergency repairs paid from the maintenance fund by the committee without a vote "
                    "(民法典 第二百八十一条), each with the housing authority's approval hash")
def emergency_repairs(ctx: CommunityDep, session: SessionDep, limit: LimitDep, payee: AddressQuery = None,
                      cursor: CursorQuery = None, order: OrderQuery = "asc"):
    require_contract(ctx, FEES)
    table = EmergencyRepair.__table__
    filters = [table.c.payee == payee.lower()] if payee is not None else []
    return event_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit,
                      to_item=lambda r: {**event_position(r), "repair_id": r["repair_id"],
                                         "kind": EMERGENCIES.get(r["kind"], "other_danger"), "kind_code": r["kind"],
                                         "payee": r["payee"], "amount": int(r["amount"]),
                                         "approval_hash": r["approval_hash"], "year": int(r["year"]),
                                         "paid_this_year": int(r["paid_this_year"]), "paid_by": r["paid_by"]})


@router.get("/communities/{community}/treasury/disbursements", response_model=Page[DisbursementOut],
            summary="Every payout out of PropertyFees (expenses, commission, lump sum, decisions, milestones, "
                    "emergency repairs), by fund")
def disbursements(ctx: CommunityDep, session: SessionDep, limit: LimitDep, fund: AnyFundQuery = None,
                  payee: AddressQuery = None, cursor: CursorQuery = None, order: OrderQuery = "asc"):
    require_contract(ctx, FEES)
    table = FeeDisbursement.__table__
    filters = []
    if fund is not None:
        filters.append(table.c.fund == fund)
    if payee is not None:
        filters.append(table.c.payee == payee.lower())
    return event_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit,
                      to_item=lambda r: {**event_position(r), "fund": FUNDS.get(r["fund"], str(r["fund"])),
                                         "payee": r["payee"], "amount": int(r["amount"]),
                                         "balance_after": int(r["balance_after"])})


# ---------------------------------------------------------------- satisfaction


@router.get("/communities/{community}/satisfaction", response_model=SatisfactionListOut,
            summary="Ratings of the property service per month: count, sum, average")
def satisfaction(ctx: CommunityDep, session: SessionDep, from_period: MonthQuery = None,
                 to_period: MonthQuery = None):
    require_contract(ctx, FEES)
    query = select(ServiceRating.period, func.count(), func.sum(ServiceRating.score)) \
        .where(ServiceRating.community == ctx.community)
    if from_period is not None:
        query = query.where(ServiceRating.period >= from_period)
    if to_period is not None:
        query = query.where(ServiceRating.period <= to_period)
    rows = session.execute(query.group_by(ServiceRating.period).order_by(ServiceRating.period)).all()
    return {"items": [{"period": int(p), "period_label": month_label(int(p)), "count": int(n), "sum": int(s),
                       "average": round(int(s) / int(n), 4)} for p, n, s in rows], **ctx.position()}
