"""Merchants' promotion slots (MerchantPromotions): slots sold, by month and placement,
with the money PropertyFees recorded as public income (公共收益) for each, and the
prices on offer.

A purchase pays the price into PropertyFees in the same transaction
(`PublicIncomeReceived`, source 3 promotion, paid by the promotions contract), so the
amount that reached the treasury is read from that event, not assumed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.deps import AddressQuery, CommunityContext, CommunityDep, CursorQuery, LimitDep, OrderQuery, SessionDep
from backend.api.listing import event_page, event_position, require_contract
from backend.api.routes.fees import MAX_MONTH, month_label
from backend.api.schemas import Page
from backend.api.schemas_culture import PlacementPricesOut, PromotionDetail, PromotionMonthsOut, PromotionOut
from backend.db.models import Promotion, PromotionPrice, PublicIncome

router = APIRouter(tags=["promotions"])

PROMOTIONS = "MerchantPromotions"
SOURCE_PROMOTION = 3

PlacementPath = Annotated[int, Path(ge=0, le=255, description="Placement (0..255; its meaning is the committee's)")]
PlacementQuery = Annotated[int | None, Query(ge=0, le=255, description="Placement (0..255)")]
PeriodPath = Annotated[int, Path(ge=0, le=MAX_MONTH, description="Month index (year * 12 + month - 1)")]
PeriodQuery = Annotated[int | None, Query(ge=0, le=MAX_MONTH, description="Month index (year * 12 + month - 1)")]


def _public_income(session: Session, ctx: CommunityContext, promotions_address: str, rows: list[Any]) -> dict:
    """Promotion income PropertyFees recorded in each purchase's transaction."""
    hashes = sorted({r["tx_hash"] for r in rows})
    if not hashes:
        return {}
    return {tx: int(amount) for tx, amount in session.execute(
        select(PublicIncome.tx_hash, func.sum(PublicIncome.amount))
        .where(PublicIncome.community == ctx.community, PublicIncome.chain_id == ctx.record.chain_id,
               PublicIncome.tx_hash.in_(hashes), PublicIncome.source == SOURCE_PROMOTION,
               PublicIncome.paid_by == promotions_address)
        .group_by(PublicIncome.tx_hash))}


def _promotion(row, income: dict[str, int]) -> dict:
    return {**event_position(row), "placement": row["placement"], "period": row["period"],
            "period_label": month_label(row["period"]), "merchant": row["merchant"], "price": int(row["price"]),
            "period_start": row["period_start"], "period_end": row["period_end"],
            "public_income": income.get(row["tx_hash"], 0)}


@router.get("/communities/{community}/promotions", response_model=Page[PromotionOut],
            summary="Promotion slots sold, by placement, merchant and promoted month")
def promotions(ctx: CommunityDep, session: SessionDep, limit: LimitDep, placement: PlacementQuery = None,
               merchant: AddressQuery = None, from_period: PeriodQuery = None, to_period: PeriodQuery = None,
               cursor: CursorQuery = None, order: OrderQuery = "asc"):
    address = require_contract(ctx, PROMOTIONS)
    table = Promotion.__table__
    filters = []
    if placement is not None:
        filters.append(table.c.placement == placement)
    if merchant is not None:
        filters.append(table.c.merchant == merchant.lower())
    if from_period is not None:
        filters.append(table.c.period >= from_period)
    if to_period is not None:
        filters.append(table.c.period <= to_period)
    page = event_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit, to_item=dict)
    income = _public_income(session, ctx, address, page["items"])
    page["items"] = [_promotion(r, income) for r in page["items"]]
    return page


@router.get("/communities/{community}/promotions/monthly", response_model=PromotionMonthsOut,
            summary="Slots and money by promoted month and placement, with what reached public income")
def promotions_monthly(ctx: CommunityDep, session: SessionDep, from_period: PeriodQuery = None,
                       to_period: PeriodQuery = None):
    address = require_contract(ctx, PROMOTIONS)
    table = Promotion.__table__
    query = select(table).where(table.c.community == ctx.community)
    if from_period is not None:
        query = query.where(table.c.period >= from_period)
    if to_period is not None:
        query = query.where(table.c.period <= to_period)
    # One slot per (placement, month): at most 256 rows a month, read whole.
    rows = session.execute(query.order_by(table.c.period, table.c.placement)).mappings().all()
    income = _public_income(session, ctx, address, rows)
    months: dict[int, dict[str, Any]] = {}
    for r in rows:
        month = months.setdefault(r["period"], {"period": r["period"], "period_label": month_label(r["period"]),
                                                "slots": 0, "paid": 0, "public_income": 0, "by_placement": {}})
        month["slots"] += 1
        month["paid"] += int(r["price"])
        month["public_income"] += income.get(r["tx_hash"], 0)
        month["by_placement"][r["placement"]] = int(r["price"])
    return {"items": list(months.values()), **ctx.position()}


@router.get("/communities/{community}/promotions/prices", response_model=PlacementPricesOut,
            summary="The price of each placement now (0: not offered)")
def prices(ctx: CommunityDep, session: SessionDep):
    require_contract(ctx, PROMOTIONS)
    latest: dict[int, Any] = {}
    for row in session.execute(
        select(PromotionPrice.__table__).where(PromotionPrice.community == ctx.community)
        .order_by(PromotionPrice.block_number, PromotionPrice.log_index)
    ).mappings():
        latest[row["placement"]] = row
    return {"items": [{"placement": p, "price": int(r["price"]), "offered": int(r["price"]) > 0,
                       "set_by": r["set_by"], "set_block": r["block_number"]} for p, r in sorted(latest.items())],
            **ctx.position()}


@router.get("/communities/{community}/promotions/slots/{placement}/{period}", response_model=PromotionDetail,
            summary="Who holds a slot and what they paid (404: unsold)")
def slot(ctx: CommunityDep, session: SessionDep, placement: PlacementPath, period: PeriodPath):
    address = require_contract(ctx, PROMOTIONS)
    table = Promotion.__table__
    row = session.execute(select(table).where(table.c.community == ctx.community, table.c.placement == placement,
                                              table.c.period == period)).mappings().first()
    if row is None:
        raise HTTPException(status_code=404, detail=f"slot {placement} of {month_label(period)} is not sold")
    return {**_promotion(row, _public_income(session, ctx, address, [row])), **ctx.position()}


def promotion_counts(session: Session, ctx: CommunityContext) -> dict[str, int]:
    """Slots sold (0 without MerchantPromotions), for the community summary."""
    return {"promotions": int(session.scalar(select(func.count()).select_from(Promotion)
                                             .where(Promotion.community == ctx.community)) or 0)}
