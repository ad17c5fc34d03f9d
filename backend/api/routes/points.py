"""Community points (CommunityPoints): balances, movements, mints and redemptions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select

from backend.api.deps import (
    ADDRESS_PATTERN,
    AddressPath,
    AddressQuery,
    BlockQuery,
    CommunityDep,
    CursorQuery,
    LimitDep,
    OrderQuery,
    SessionDep,
)
from backend.api.listing import event_page
from backend.api.schemas import (
    BalanceDetail,
    BalanceOut,
    MintOut,
    MovementOut,
    Page,
    PointsCapOut,
    PointsClipOut,
    RedemptionOut,
)
from backend.db.models import PointsBalance, PointsCapChange, PointsClip, PointsMint, PointsMovement, PointsRedemption

router = APIRouter(tags=["points"])
ZERO = "0x" + "0" * 40

HolderCursor = Annotated[str | None, Query(pattern=ADDRESS_PATTERN, description="next_cursor of the previous page")]
KindQuery = Annotated[str | None, Query(pattern="^(mint|redemption|transfer)$")]
ReasonQuery = Annotated[int | None, Query(ge=0, le=65535, description="Reason code of the mint")]
HouseholdQuery = Annotated[str | None, Query(pattern=r"^[0-9]{1,78}$", description="Household key (decimal)")]


def _position(row) -> dict:
    return {"block_number": row["block_number"], "log_index": row["log_index"], "tx_hash": row["tx_hash"],
            "block_timestamp": row["block_timestamp"]}


def _movement(row) -> dict:
    kind = "mint" if row["sender"] == ZERO else "redemption" if row["receiver"] == ZERO else "transfer"
    return {**_position(row), "sender": row["sender"], "receiver": row["receiver"], "amount": int(row["amount"]),
            "kind": kind}


@router.get("/communities/{community}/points/balances", response_model=Page[BalanceOut],
            summary="Points balances, by holder address")
def balances(ctx: CommunityDep, session: SessionDep, limit: LimitDep, cursor: HolderCursor = None,
             min_balance: Annotated[int, Query(ge=0, le=2**62)] = 1):
    query = select(PointsBalance.holder, PointsBalance.balance).where(
        PointsBalance.community == ctx.community, PointsBalance.balance >= min_balance)
    if cursor is not None:
        query = query.where(PointsBalance.holder > cursor.lower())
    rows = session.execute(query.order_by(PointsBalance.holder).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [{"holder": h, "balance": int(b)} for h, b in rows],
            "next_cursor": rows[-1][0] if more else None, **ctx.position()}


@router.get("/communities/{community}/points/balances/{holder}", response_model=BalanceDetail,
            summary="One holder's points balance")
def balance(ctx: CommunityDep, session: SessionDep, holder: AddressPath):
    row = session.get(PointsBalance, (ctx.community, holder.lower()))
    if row is None:
        raise HTTPException(status_code=404, detail=f"{holder.lower()} never held points in this community")
    return {"holder": row.holder, "balance": int(row.balance), **ctx.position()}


@router.get("/communities/{community}/points/movements", response_model=Page[MovementOut],
            summary="Points movements (mints, spending, refunds, redemptions)")
def movements(ctx: CommunityDep, session: SessionDep, limit: LimitDep, holder: AddressQuery = None,
              kind: KindQuery = None, from_block: BlockQuery = None, to_block: BlockQuery = None,
              cursor: CursorQuery = None, order: OrderQuery = "asc"):
    table = PointsMovement.__table__
    filters = []
    alternatives = []
    if holder is not None:
        h = holder.lower()
        alternatives = [[table.c.sender == h], [table.c.receiver == h, table.c.sender != h]]
    if kind == "mint":
        filters.append(table.c.sender == ZERO)
    elif kind == "redemption":
        filters.append(table.c.receiver == ZERO)
    elif kind == "transfer":
        filters.extend([table.c.sender != ZERO, table.c.receiver != ZERO])
    return event_page(session, table, ctx, filters=filters, from_block=from_block, to_block=to_block,
                      cursor=cursor, order=order, limit=limit, to_item=_movement, alternatives=alternatives)


@router.get("/communities/{community}/points/mints", response_model=Page[MintOut],
            summary="Points minted, with the reason code")
def mints(ctx: CommunityDep, session: SessionDep, limit: LimitDep, recipient: AddressQuery = None,
          reason: ReasonQuery = None, from_block: BlockQuery = None, to_block: BlockQuery = None,
          cursor: CursorQuery = None, order: OrderQuery = "asc"):
    table = PointsMint.__table__
    filters = []
    if recipient is not None:
        filters.append(table.c.recipient == recipient.lower())
    if reason is not None:
        filters.append(table.c.reason == reason)
    return event_page(session, table, ctx, filters=filters, from_block=from_block, to_block=to_block, cursor=cursor,
                      order=order, limit=limit,
                      to_item=lambda r: {**_position(r), "recipient": r["recipient"], "amount": int(r["amount"]),
                                         "reason": r["reason"], "minter": r["minter"]})


@router.get("/communities/{community}/points/redemptions", response_model=Page[RedemptionOut],
            summary="Points redeemed by merchants (the settlement records)")
def redemptions(ctx: CommunityDep, session: SessionDep, limit: LimitDep, merchant: AddressQuery = None,
                from_block: BlockQuery = None, to_block: BlockQuery = None, cursor: CursorQuery = None,
                order: OrderQuery = "asc"):
    table = PointsRedemption.__table__
    filters = [table.c.merchant == merchant.lower()] if merchant is not None else []
    return event_page(session, table, ctx, filters=filters, from_block=from_block, to_block=to_block, cursor=cursor,
                      order=order, limit=limit,
                      to_item=lambda r: {**_position(r), "merchant": r["merchant"], "amount": int(r["amount"]),
                                         "settlement_ref": r["settlement_ref"]})


@router.get("/communities/{community}/points/cap", response_model=PointsCapOut,
            summary="The yearly cap on each household's participation points")
def household_cap(ctx: CommunityDep, session: SessionDep):
    latest = session.execute(select(PointsCapChange).where(PointsCapChange.community == ctx.community)
                             .order_by(PointsCapChange.block_number.desc(), PointsCapChange.log_index.desc())
                             .limit(1)).scalars().first()
    return {"cap": int(latest.cap) if latest else 0, "set_by": latest.set_by if latest else None,
            "set_at_block": latest.block_number if latest else None, **ctx.position()}


@router.get("/communities/{community}/points/clips", response_model=Page[PointsClipOut],
            summary="Participation mints the household cap cut down, and by how much")
def clips(ctx: CommunityDep, session: SessionDep, limit: LimitDep, recipient: AddressQuery = None,
          household: HouseholdQuery = None, reason: ReasonQuery = None, cursor: CursorQuery = None,
          order: OrderQuery = "asc"):
    table = PointsClip.__table__
    filters = []
    if recipient is not None:
        filters.append(table.c.recipient == recipient.lower())
    if household is not None:
        filters.append(table.c.household == str(int(household)))
    if reason is not None:
        filters.append(table.c.reason == reason)
    return event_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit,
                      to_item=lambda r: {**_position(r), "household": r["household"], "recipient": r["recipient"],
                                         "reason": r["reason"], "year": int(r["year"]),
                                         "requested": int(r["requested"]), "minted": int(r["minted"]),
                                         "cap": int(r["cap"])})
