"""Request dependencies: the database session, the settings, the community in the path,
and the bounded query parameters shared by the list endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from backend.core.config import Settings
from backend.db.models import Checkpoint, CommunityRecord

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
HASH_PATTERN = r"^0x[0-9a-fA-F]{64}$"
# "<block_number>:<log_index>", both decimal and bounded so they fit 64-bit columns.
CURSOR_PATTERN = r"^[0-9]{1,18}:[0-9]{1,9}$"
MAX_BLOCK = 2**62


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        yield session


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

AddressPath = Annotated[str, Path(pattern=ADDRESS_PATTERN, description="0x-address (any case)")]
AddressQuery = Annotated[str | None, Query(pattern=ADDRESS_PATTERN, description="0x-address (any case)")]
BlockQuery = Annotated[int | None, Query(ge=0, le=MAX_BLOCK)]
CursorQuery = Annotated[str | None, Query(pattern=CURSOR_PATTERN, description="next_cursor of the previous page")]
OrderQuery = Annotated[str, Query(pattern="^(asc|desc)$", description="asc (oldest first) or desc")]


@dataclass
class CommunityContext:
    """The community a request is about, with how far its index goes."""

    community: str
    record: CommunityRecord
    indexed_block: int
    finalized_block: int
    written_at: float = 0.0

    def version(self) -> tuple[int, int, float]:
        """Changes whenever what the index holds may have: every write of the checkpoint (new
        blocks, a reorg's rollback, a re-index) moves its time, in the rows' own transaction."""
        return (self.indexed_block, self.finalized_block, self.written_at)

    def position(self) -> dict[str, int]:
        return {"indexed_block": self.indexed_block, "finalized_block": self.finalized_block}


def community_context(session: Session, community: str, records: dict | None = None) -> CommunityContext:
    """The community and its index position; `records` caches the (immutable) record per app."""
    key = community.lower()
    records = {} if records is None else records
    cache_key = key
    record = records.get(cache_key)
    if record is None:
        record = session.get(CommunityRecord, key)
        if record is None:
            raise HTTPException(status_code=404, detail=f"community {key} is not indexed here")
        session.expunge(record)
        records[cache_key] = record
    checkpoint = session.execute(
        select(Checkpoint.block_number, Checkpoint.finalized_block, Checkpoint.updated_at).where(
            Checkpoint.community == key, Checkpoint.chain_id == record.chain_id
        )
    ).first()
    if checkpoint is None:
        return CommunityContext(key, record, record.deploy_block - 1, 0)
    return CommunityContext(key, record, checkpoint[0], checkpoint[1], checkpoint[2])


def get_community(request: Request, session: SessionDep, community: AddressPath) -> CommunityContext:
    return community_context(session, community, request.app.state.community_records)


CommunityDep = Annotated[CommunityContext, Depends(get_community)]


def page_limit(
    settings: SettingsDep,
    limit: Annotated[int | None, Query(ge=1, le=500, description="Items per page (capped)")] = None,
) -> int:
    return min(limit or settings.page_limit_default, settings.page_limit_max)


LimitDep = Annotated[int, Depends(page_limit)]


def parse_cursor(cursor: str | None) -> tuple[int, int] | None:
    if cursor is None:
        return None
    block, log_index = cursor.split(":")
    return int(block), int(log_index)


def make_cursor(block_number: int, log_index: int) -> str:
    return f"{block_number}:{log_index}"


def after_position(table, cursor: tuple[int, int] | None, order: str):
    """Keyset condition: strictly after (or before, descending) the cursor position."""
    if cursor is None:
        return None
    block, log_index = cursor
    if order == "desc":
        return or_(table.c.block_number < block, and_(table.c.block_number == block, table.c.log_index < log_index))
    return or_(table.c.block_number > block, and_(table.c.block_number == block, table.c.log_index > log_index))


def position_order(table, order: str):
    if order == "desc":
        return (table.c.block_number.desc(), table.c.log_index.desc())
    return (table.c.block_number.asc(), table.c.log_index.asc())
