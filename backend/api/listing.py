"""Keyset pagination over an event table's (block_number, log_index)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from backend.api.deps import CommunityContext, after_position, make_cursor, parse_cursor, position_order


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
) -> dict[str, Any]:
    """One page of `table`'s rows of the community, oldest first (or newest with desc)."""
    query = select(table).where(table.c.community == ctx.community, *filters)
    if from_block is not None:
        query = query.where(table.c.block_number >= from_block)
    if to_block is not None:
        query = query.where(table.c.block_number <= to_block)
    condition = after_position(table, parse_cursor(cursor), order)
    if condition is not None:
        query = query.where(condition)
    rows = session.execute(query.order_by(*position_order(table, order)).limit(limit + 1)).mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = make_cursor(rows[-1]["block_number"], rows[-1]["log_index"]) if more else None
    return {"items": [to_item(row) for row in rows], "next_cursor": next_cursor, **ctx.position()}
