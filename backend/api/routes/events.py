"""The raw event log: every event of every contract of the community, decoded."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import BlockQuery, CommunityDep, CursorQuery, LimitDep, OrderQuery, SessionDep
from backend.api.listing import event_page
from backend.api.schemas import Page, RawEventOut
from backend.db.models import RawEvent

router = APIRouter(tags=["events"])

NameQuery = Annotated[str | None, Query(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]


@router.get("/communities/{community}/events", response_model=Page[RawEventOut],
            summary="Every indexed event, filtered by contract, event name and block range")
def events(ctx: CommunityDep, session: SessionDep, limit: LimitDep, contract: NameQuery = None,
           event: NameQuery = None, from_block: BlockQuery = None, to_block: BlockQuery = None,
           cursor: CursorQuery = None, order: OrderQuery = "asc"):
    table = RawEvent.__table__
    filters = []
    if contract is not None:
        filters.append(table.c.contract == contract)
    if event is not None:
        filters.append(table.c.event == event)
    return event_page(
        session, table, ctx, filters=filters, from_block=from_block, to_block=to_block, cursor=cursor, order=order,
        limit=limit,
        to_item=lambda r: {"block_number": r["block_number"], "log_index": r["log_index"], "tx_hash": r["tx_hash"],
                           "block_timestamp": r["block_timestamp"], "address": r["address"],
                           "contract": r["contract"], "event": r["event"], "args": r["args"]},
    )
