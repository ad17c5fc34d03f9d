"""Keyset pagination over an event table's (block_number, log_index), and what the
event routers share: positions, the contract a route needs, the index's "now", CSV."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fastapi import HTTPException, Response
from sqlalchemy import Table, select, union_all
from sqlalchemy.orm import Session

from backend.api.deps import CommunityContext, after_position, make_cursor, parse_cursor, position_order
from backend.db.models import IndexedBlock


def event_page(
    session: Session,
    table: Table,
    ctx: CommunityContext,
    *,
    filters: Sequence[Any] = (),
    from_block: int | None = None,
    to_block: int | None = None,
    cursor: str | None,
    order: str,
    limit: int,
    to_item: Callable[[Any], Any],
    alternatives: Sequence[Sequence[Any]] = (),
) -> dict[str, Any]:
    """One page of `table`'s rows of the community, oldest first (or newest with desc).

    `alternatives` are disjoint sets of conditions, any one of which selects a row (a holder
    as sender, or as receiver and not sender): each becomes its own index-ordered, limited
    subquery and the page is merged from them, where a single `OR` would make the database
    walk the whole community's position index looking for the few rows that match."""
    query = select(table).where(table.c.community == ctx.community, *filters)
    if from_block is not None:
        query = query.where(table.c.block_number >= from_block)
    if to_block is not None:
        query = query.where(table.c.block_number <= to_block)
    condition = after_position(table, parse_cursor(cursor), order)
    if condition is not None:
        query = query.where(condition)
    if alternatives:
        parts = [query.where(*conditions).order_by(*position_order(table, order)).limit(limit + 1).subquery()
                 for conditions in alternatives]
        merged = union_all(*(select(part) for part in parts)).subquery()
        query = select(merged)
        table = merged
    rows = session.execute(query.order_by(*position_order(table, order)).limit(limit + 1)).mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = make_cursor(rows[-1]["block_number"], rows[-1]["log_index"]) if more else None
    return {"items": [to_item(row) for row in rows], "next_cursor": next_cursor, **ctx.position()}


def computed_page(
    session: Session,
    table: Table,
    ctx: CommunityContext,
    *,
    filters: Sequence[Any] = (),
    cursor: str | None,
    order: str,
    limit: int,
    build: Callable[[list[Any]], list[dict[str, Any]]],
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """A page of items built from `table`'s rows by `build` (a batch at a time), keeping
    those `keep` accepts: for filters on what is computed at read time, such as a state
    that depends on the index's "now". Reads chunks until the page is full; the cursor
    is the position of the last item returned, so no item is skipped or repeated."""
    chunk = limit if keep is None else max(limit, 100)
    items: list[dict[str, Any]] = []
    while True:
        page = event_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=chunk,
                          to_item=lambda row: row)
        built = build(page["items"])
        items += built if keep is None else [item for item in built if keep(item)]
        cursor = page["next_cursor"]
        if keep is None or len(items) > limit or cursor is None:
            break
    if len(items) > limit:
        items = items[:limit]
        cursor = make_cursor(items[-1]["block_number"], items[-1]["log_index"])
    return {**page, "items": items, "next_cursor": cursor}


def event_position(row) -> dict[str, Any]:
    """The chain position every event item carries."""
    return {"block_number": row["block_number"], "log_index": row["log_index"], "tx_hash": row["tx_hash"],
            "block_timestamp": row["block_timestamp"]}


def require_contract(ctx: CommunityContext, name: str) -> str:
    """The community's address of contract `name`; 404 when its manifest has none."""
    address = (ctx.record.contracts or {}).get(name)
    if address is None:
        raise HTTPException(status_code=404, detail=f"community {ctx.community} has no {name}")
    return address


def head_timestamp(session: Session, ctx: CommunityContext) -> int:
    """The timestamp of the last indexed block: the "now" of time-dependent answers
    (dues, proposal states), so they agree with `indexed_block`, not the wall clock."""
    blocks = IndexedBlock.__table__
    stamp = session.execute(
        select(blocks.c.timestamp).where(blocks.c.community == ctx.community, blocks.c.chain_id == ctx.record.chain_id,
                                         blocks.c.block_number <= ctx.indexed_block)
        .order_by(blocks.c.block_number.desc()).limit(1)
    ).scalar()
    return int(stamp) if stamp is not None else int(time.time())


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A CSV download (UTF-8 with BOM so spreadsheet programs read the Chinese right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(content="\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
