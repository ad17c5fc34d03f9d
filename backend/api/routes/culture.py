"""Residents' works (CultureWorks): the gallery, one work, provenance by content hash,
likes, creators and exhibitions.

Everything is read from the event tables at request time, as the contract's views
would answer at the indexed head block: a work's owner is its creator until a gift,
it is hidden if its latest visibility change hid it, and it is in an exhibition if
its latest change there added it. A page's likes, gifts, visibility and exhibitions
are fetched in one query each for all the page's works.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import false, func, select, true
from sqlalchemy.orm import Session

from backend.api.deps import (
    HASH_PATTERN,
    MAX_BLOCK,
    AddressPath,
    AddressQuery,
    CommunityContext,
    CommunityDep,
    CursorQuery,
    LimitDep,
    OrderQuery,
    SessionDep,
)
from backend.api.listing import event_page, event_position, require_contract
from backend.api.schemas import Page
from backend.api.schemas_culture import (
    CreatorOut,
    CultureOut,
    ExhibitionDetail,
    ExhibitionOut,
    LikeOut,
    ProvenanceOut,
    WorkDetail,
    WorkOut,
)
from backend.db.models import (
    Exhibition,
    ExhibitionChange,
    GiftSwitch,
    LikeRewardChange,
    WorkGift,
    WorkLike,
    WorkMint,
    WorkVisibilityChange,
)

router = APIRouter(tags=["culture"])

CULTURE = "CultureWorks"
KINDS = {0: "calligraphy", 1: "painting", 2: "photograph", 3: "story", 4: "idea", 5: "other"}
# Works listed in an exhibition's detail; the gallery's exhibition filter pages through more.
EXHIBITION_WORKS_SHOWN = 500

WorkIdPath = Annotated[str, Path(pattern=HASH_PATTERN, description="Work id: 0x + 64 hex digits (the file's sha256)")]
ContentHashPath = Annotated[str, Path(pattern=HASH_PATTERN, description="sha256 of the file, 0x + 64 hex digits")]
ExhibitionPath = Annotated[int, Path(ge=1, le=MAX_BLOCK, description="Exhibition id (1, 2, …)")]
KindQuery = Annotated[int | None, Query(ge=0, le=5, description="0 calligraphy … 5 other")]
ExhibitionQuery = Annotated[int | None, Query(ge=1, le=MAX_BLOCK,
                                              description="Only works shown now in this exhibition")]
HiddenQuery = Annotated[bool | None, Query(description="true: only hidden works; false: only works on show")]


def _latest(table, column: str, *match):
    """The newest row's `column` among `match` (a correlated scalar subquery)."""
    return (select(table.c[column]).where(*match)
            .order_by(table.c.block_number.desc(), table.c.log_index.desc()).limit(1).scalar_subquery())


def _hidden_now(community: str, work_id_column):
    vis = WorkVisibilityChange.__table__
    latest = _latest(vis, "hidden", vis.c.community == community, vis.c.work_id == work_id_column)
    return func.coalesce(latest, false())


def _in_exhibition_now(community: str, exhibition_id: int, work_id_column):
    changes = ExhibitionChange.__table__
    latest = _latest(changes, "added", changes.c.community == community, changes.c.exhibition_id == exhibition_id,
                     changes.c.work_id == work_id_column)
    return func.coalesce(latest, false())


def _works(session: Session, community: str, mints: list[Any]) -> list[dict[str, Any]]:
    """Work items for mint rows, with likes, gift, visibility and exhibitions."""
    ids = [m["work_id"] for m in mints]
    if not ids:
        return []
    likes = {work_id: (int(n), int(p)) for work_id, n, p in session.execute(
        select(WorkLike.work_id, func.count(), func.coalesce(func.sum(WorkLike.points_minted), 0))
        .where(WorkLike.community == community, WorkLike.work_id.in_(ids)).group_by(WorkLike.work_id))}
    gifts = {row["work_id"]: row for row in session.execute(
        select(WorkGift.__table__).where(WorkGift.community == community, WorkGift.work_id.in_(ids))).mappings()}
    hidden: dict[str, Any] = {}
    for row in session.execute(
        select(WorkVisibilityChange.__table__)
        .where(WorkVisibilityChange.community == community, WorkVisibilityChange.work_id.in_(ids))
        .order_by(WorkVisibilityChange.block_number, WorkVisibilityChange.log_index)
    ).mappings():
        hidden[row["work_id"]] = row
    shown_in: dict[tuple[str, int], bool] = {}
    for work_id, exhibition_id, added in session.execute(
        select(ExhibitionChange.work_id, ExhibitionChange.exhibition_id, ExhibitionChange.added)
        .where(ExhibitionChange.community == community, ExhibitionChange.work_id.in_(ids))
        .order_by(ExhibitionChange.block_number, ExhibitionChange.log_index)
    ):
        shown_in[(work_id, exhibition_id)] = bool(added)
    exhibitions: dict[str, list[int]] = defaultdict(list)
    for (work_id, exhibition_id), added in sorted(shown_in.items(), key=lambda kv: kv[0][1]):
        if added:
            exhibitions[work_id].append(exhibition_id)
    out = []
    for m in mints:
        work_id = m["work_id"]
        gift = gifts.get(work_id)
        visibility = hidden.get(work_id)
        is_hidden = bool(visibility["hidden"]) if visibility is not None else False
        count, points = likes.get(work_id, (0, 0))
        out.append({
            "work_id": work_id, "token_id": str(int(work_id, 16)), "content_hash": work_id, "creator": m["creator"],
            "creator_household": m["household"], "owner": gift["recipient"] if gift else m["creator"],
            "kind": m["kind"], "kind_name": KINDS.get(m["kind"], "other"), "title": m["title"], "uri": m["uri"],
            "minted_at": m["block_timestamp"], "minted_block": m["block_number"], "minted_tx": m["tx_hash"],
            "likes": count, "points_from_likes": points, "hidden": is_hidden,
            "hidden_reason_hash": visibility["reason_hash"] if is_hidden else None,
            "gift": {**event_position(gift), "recipient": gift["recipient"],
                     "recipient_household": gift["recipient_household"]} if gift else None,
            "exhibitions": exhibitions.get(work_id, []),
        })
    return out


def _mint(session: Session, community: str, work_id: str):
    table = WorkMint.__table__
    return session.execute(select(table).where(table.c.community == community, table.c.work_id == work_id.lower())
                           .order_by(table.c.block_number, table.c.log_index).limit(1)).mappings().first()


def _require_work(session: Session, ctx: CommunityContext, work_id: str):
    require_contract(ctx, CULTURE)
    mint = _mint(session, ctx.community, work_id)
    if mint is None:
        raise HTTPException(status_code=404, detail=f"work {work_id.lower()} is not registered")
    return mint


@router.get("/communities/{community}/culture", response_model=CultureOut,
            summary="Culture works at a glance: like reward, gift switch, counts")
def culture_overview(ctx: CommunityDep, session: SessionDep):
    address = require_contract(ctx, CULTURE)
    c = ctx.community
    reward = session.execute(
        select(LikeRewardChange.rate, LikeRewardChange.daily_cap).where(LikeRewardChange.community == c)
        .order_by(LikeRewardChange.block_number.desc(), LikeRewardChange.log_index.desc()).limit(1)).first()
    gifts = session.execute(
        select(GiftSwitch.enabled).where(GiftSwitch.community == c)
        .order_by(GiftSwitch.block_number.desc(), GiftSwitch.log_index.desc()).limit(1)).scalar()
    mints = WorkMint.__table__
    likes, points = session.execute(
        select(func.count(), func.coalesce(func.sum(WorkLike.points_minted), 0)).where(WorkLike.community == c)).one()
    hidden = session.scalar(select(func.count()).select_from(mints).where(
        mints.c.community == c, _hidden_now(c, mints.c.work_id) == true()))
    return {
        "culture_contract": address, "like_rate": int(reward[0]) if reward else 0,
        "like_daily_cap": int(reward[1]) if reward else 0, "gifts_enabled": bool(gifts),
        **culture_counts(session, ctx), "hidden_works": int(hidden or 0), "likes": int(likes),
        "points_from_likes": int(points), **ctx.position(),
    }


@router.get("/communities/{community}/culture/works", response_model=Page[WorkOut],
            summary="The gallery: works newest first, by kind, creator, exhibition or visibility")
def works(ctx: CommunityDep, session: SessionDep, limit: LimitDep, kind: KindQuery = None,
          creator: AddressQuery = None, exhibition: ExhibitionQuery = None, hidden: HiddenQuery = None,
          cursor: CursorQuery = None, order: OrderQuery = "desc"):
    require_contract(ctx, CULTURE)
    c = ctx.community
    table = WorkMint.__table__
    filters = []
    if kind is not None:
        filters.append(table.c.kind == kind)
    if creator is not None:
        filters.append(table.c.creator == creator.lower())
    if exhibition is not None:
        filters.append(_in_exhibition_now(c, exhibition, table.c.work_id) == true())
    if hidden is not None:
        filters.append(_hidden_now(c, table.c.work_id) == (true() if hidden else false()))
    page = event_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit,
                      to_item=dict)
    page["items"] = _works(session, c, page["items"])
    return page


@router.get("/communities/{community}/culture/works/{work_id}", response_model=WorkDetail,
            summary="One work: content hash, creator, owner, likes, gift, visibility, exhibitions")
def work(ctx: CommunityDep, session: SessionDep, work_id: WorkIdPath):
    mint = _require_work(session, ctx, work_id)
    [item] = _works(session, ctx.community, [mint])
    history = session.execute(
        select(WorkVisibilityChange.__table__)
        .where(WorkVisibilityChange.community == ctx.community, WorkVisibilityChange.work_id == mint["work_id"])
        .order_by(WorkVisibilityChange.block_number, WorkVisibilityChange.log_index)).mappings().all()
    return {**item, "visibility_history": [
        {**event_position(r), "hidden": r["hidden"], "reason_hash": r["reason_hash"], "changed_by": r["changed_by"]}
        for r in history], **ctx.position()}


@router.get("/communities/{community}/culture/provenance/{content_hash}", response_model=ProvenanceOut,
            summary="Who registered a file and when: hash the file with sha256 and ask (404: never registered)")
def provenance(ctx: CommunityDep, session: SessionDep, content_hash: ContentHashPath):
    require_contract(ctx, CULTURE)
    mint = _mint(session, ctx.community, content_hash)
    if mint is None:
        raise HTTPException(status_code=404, detail=f"no work with content hash {content_hash.lower()} is registered")
    is_hidden = bool(session.scalar(select(_hidden_now(ctx.community, mint["work_id"]))))
    return {"content_hash": mint["work_id"], "work_id": mint["work_id"], "token_id": str(int(mint["work_id"], 16)),
            "creator": mint["creator"], "minted_at": mint["block_timestamp"], "minted_block": mint["block_number"],
            "minted_tx": mint["tx_hash"], "title": mint["title"], "hidden": is_hidden, **ctx.position()}


def _like(row) -> dict:
    return {**event_position(row), "work_id": row["work_id"], "liker": row["liker"], "household": row["household"],
            "creator": row["creator"], "points_minted": int(row["points_minted"]), "day": row["day"],
            "creator_day_total": int(row["creator_day_total"])}


@router.get("/communities/{community}/culture/works/{work_id}/likes", response_model=Page[LikeOut],
            summary="Likes of a work, one per household, with the points each minted")
def work_likes(ctx: CommunityDep, session: SessionDep, limit: LimitDep, work_id: WorkIdPath,
               cursor: CursorQuery = None, order: OrderQuery = "asc"):
    mint = _require_work(session, ctx, work_id)
    table = WorkLike.__table__
    return event_page(session, table, ctx, filters=[table.c.work_id == mint["work_id"]], cursor=cursor, order=order,
                      limit=limit, to_item=_like)


@router.get("/communities/{community}/culture/likes", response_model=Page[LikeOut],
            summary="Likes across works, by liker or creator")
def likes(ctx: CommunityDep, session: SessionDep, limit: LimitDep, liker: AddressQuery = None,
          creator: AddressQuery = None, cursor: CursorQuery = None, order: OrderQuery = "asc"):
    require_contract(ctx, CULTURE)
    table = WorkLike.__table__
    filters = []
    if liker is not None:
        filters.append(table.c.liker == liker.lower())
    if creator is not None:
        filters.append(table.c.creator == creator.lower())
    return event_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit, to_item=_like)


@router.get("/communities/{community}/culture/creators/{creator}", response_model=CreatorOut,
            summary="A creator's works, likes received and points earned from likes (the works: gallery ?creator=)")
def creator(ctx: CommunityDep, session: SessionDep, creator: AddressPath):
    require_contract(ctx, CULTURE)
    c, who = ctx.community, creator.lower()
    mints = WorkMint.__table__
    count, first, last = session.execute(
        select(func.count(), func.min(mints.c.block_timestamp), func.max(mints.c.block_timestamp))
        .where(mints.c.community == c, mints.c.creator == who)).one()
    if not count:
        raise HTTPException(status_code=404, detail=f"{who} has registered no works")
    hidden = session.scalar(select(func.count()).select_from(mints).where(
        mints.c.community == c, mints.c.creator == who, _hidden_now(c, mints.c.work_id) == true()))
    gifted = session.scalar(select(func.count()).select_from(WorkGift).where(WorkGift.community == c,
                                                                             WorkGift.creator == who))
    # Likes name the creator (not the owner): a gifted work's likes still reward its creator.
    liked, points = session.execute(
        select(func.count(), func.coalesce(func.sum(WorkLike.points_minted), 0))
        .where(WorkLike.community == c, WorkLike.creator == who)).one()
    return {"creator": who, "works": int(count), "hidden_works": int(hidden or 0), "gifted_works": int(gifted or 0),
            "likes_received": int(liked), "points_from_likes": int(points), "first_minted_at": int(first),
            "last_minted_at": int(last), **ctx.position()}


def _exhibition_sizes(session: Session, community: str, ids: list[int]) -> dict[int, int]:
    """Works shown now per exhibition: the `size` of its latest change."""
    changes = ExhibitionChange.__table__
    sizes: dict[int, int] = {}
    for exhibition_id, size in session.execute(
        select(changes.c.exhibition_id, changes.c.size)
        .where(changes.c.community == community, changes.c.exhibition_id.in_(ids))
        .order_by(changes.c.block_number, changes.c.log_index)
    ):
        sizes[exhibition_id] = int(size)
    return sizes


def _exhibition(row, sizes: dict[int, int]) -> dict:
    return {**event_position(row), "exhibition_id": row["exhibition_id"], "title": row["title"],
            "created_by": row["created_by"], "size": sizes.get(row["exhibition_id"], 0)}


@router.get("/communities/{community}/culture/exhibitions", response_model=Page[ExhibitionOut],
            summary="Exhibitions the committee curates, with the number of works shown")
def exhibitions(ctx: CommunityDep, session: SessionDep, limit: LimitDep, cursor: CursorQuery = None,
                order: OrderQuery = "asc"):
    require_contract(ctx, CULTURE)
    page = event_page(session, Exhibition.__table__, ctx, cursor=cursor, order=order, limit=limit, to_item=dict)
    sizes = _exhibition_sizes(session, ctx.community, [r["exhibition_id"] for r in page["items"]])
    page["items"] = [_exhibition(r, sizes) for r in page["items"]]
    return page


@router.get("/communities/{community}/culture/exhibitions/{exhibition_id}", response_model=ExhibitionDetail,
            summary="One exhibition and the works it shows, in the order they were added")
def exhibition(ctx: CommunityDep, session: SessionDep, exhibition_id: ExhibitionPath):
    require_contract(ctx, CULTURE)
    c = ctx.community
    row = session.execute(select(Exhibition.__table__).where(
        Exhibition.community == c, Exhibition.exhibition_id == exhibition_id)).mappings().first()
    if row is None:
        raise HTTPException(status_code=404, detail=f"exhibition {exhibition_id} is not known")
    changes = ExhibitionChange.__table__
    # The latest change per work decides; the work's place is when it was last added.
    added_at: dict[str, tuple[int, int]] = {}
    for r in session.execute(select(changes.c.work_id, changes.c.added, changes.c.block_number, changes.c.log_index)
                             .where(changes.c.community == c, changes.c.exhibition_id == exhibition_id)
                             .order_by(changes.c.block_number, changes.c.log_index)):
        if r.added:
            added_at[r.work_id] = (r.block_number, r.log_index)
        else:
            added_at.pop(r.work_id, None)
    shown = sorted(added_at, key=added_at.__getitem__)[:EXHIBITION_WORKS_SHOWN]
    mints = WorkMint.__table__
    by_id = {m["work_id"]: m for m in session.execute(
        select(mints).where(mints.c.community == c, mints.c.work_id.in_(shown))).mappings()} if shown else {}
    works_shown = _works(session, c, [by_id[w] for w in shown if w in by_id])
    return {**_exhibition(row, {exhibition_id: len(added_at)}), "works": works_shown, **ctx.position()}


def culture_counts(session: Session, ctx: CommunityContext) -> dict[str, int]:
    """Works and exhibitions of the community (0 without CultureWorks), for its summary."""
    c = ctx.community
    return {
        "works": int(session.scalar(select(func.count()).select_from(WorkMint).where(WorkMint.community == c)) or 0),
        "exhibitions": int(session.scalar(select(func.count()).select_from(Exhibition)
                                          .where(Exhibition.community == c)) or 0),
    }

