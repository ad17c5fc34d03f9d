"""Units and owner identities (HouseholdRegistry)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import and_, select

from backend.api.deps import MAX_BLOCK, CommunityDep, LimitDep, SessionDep
from backend.api.schemas import OwnerDetail, OwnerOut, Page, UnitDetail, UnitOut
from backend.db.models import Owner, Resident, Unit, UnitAreaChange, UnitTransfer

router = APIRouter(tags=["units"])

IdCursor = Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$", description="next_cursor of the previous page")]
UnitIdPath = Annotated[int, Path(ge=1, le=MAX_BLOCK, description="Unit id (1, 2, …)")]
IdentityPath = Annotated[int, Path(ge=0, le=MAX_BLOCK, description="Owner identity index (0, 1, …)")]


def _unit_out(unit: Unit, wallet: str | None) -> dict:
    return {"unit_id": unit.unit_id, "label": unit.label, "area": unit.area, "identity": unit.identity,
            "owner_wallet": wallet, "registered_block": unit.registered_block, "updated_block": unit.updated_block}


def _owner_out(owner: Owner) -> dict:
    return {"identity": owner.identity, "commitment": owner.commitment, "wallet": owner.wallet, "area": owner.area,
            "units": owner.units, "updated_block": owner.updated_block}


def _units_with_wallets(ctx, session, *conditions, limit: int | None = None):
    query = (
        select(Unit, Owner.wallet)
        .outerjoin(Owner, and_(Owner.community == Unit.community, Owner.identity == Unit.identity))
        .where(Unit.community == ctx.community, *conditions)
        .order_by(Unit.unit_id)
    )
    if limit is not None:
        query = query.limit(limit)
    return session.execute(query).all()


@router.get("/communities/{community}/units", response_model=Page[UnitOut], summary="Units, by id")
def list_units(ctx: CommunityDep, session: SessionDep, limit: LimitDep, cursor: IdCursor = None):
    conditions = [Unit.unit_id > int(cursor)] if cursor is not None else []
    rows = _units_with_wallets(ctx, session, *conditions, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_unit_out(unit, wallet) for unit, wallet in rows],
            "next_cursor": str(rows[-1][0].unit_id) if more else None, **ctx.position()}


@router.get("/communities/{community}/units/{unit_id}", response_model=UnitDetail,
            summary="A unit with its owner, residents, area changes and sales")
def unit_detail(ctx: CommunityDep, session: SessionDep, unit_id: UnitIdPath):
    rows = _units_with_wallets(ctx, session, Unit.unit_id == unit_id)
    if not rows:
        raise HTTPException(status_code=404, detail=f"unit {unit_id} is not registered")
    unit, wallet = rows[0]
    owner = session.get(Owner, (ctx.community, unit.identity))
    residents = session.execute(
        select(Resident).where(Resident.community == ctx.community, Resident.unit_id == unit_id)
        .order_by(Resident.wallet)
    ).scalars().all()
    area_changes = session.execute(
        select(UnitAreaChange).where(UnitAreaChange.community == ctx.community, UnitAreaChange.unit_id == unit_id)
        .order_by(UnitAreaChange.block_number, UnitAreaChange.log_index)
    ).scalars().all()
    transfers = session.execute(
        select(UnitTransfer).where(UnitTransfer.community == ctx.community, UnitTransfer.unit_id == unit_id)
        .order_by(UnitTransfer.block_number, UnitTransfer.log_index)
    ).scalars().all()

    def position(e):
        return {"block_number": e.block_number, "log_index": e.log_index, "tx_hash": e.tx_hash,
                "block_timestamp": e.block_timestamp}

    return {
        "unit": _unit_out(unit, wallet),
        "owner": _owner_out(owner) if owner else None,
        "residents": [{"wallet": r.wallet, "unit_id": r.unit_id, "commitment": r.commitment,
                       "linked_block": r.linked_block} for r in residents],
        "area_changes": [{**position(e), "old_area": e.old_area, "new_area": e.new_area} for e in area_changes],
        "transfers": [{**position(e), "previous_owner": e.previous_owner, "new_owner": e.new_owner,
                       "previous_identity": e.previous_identity, "new_identity": e.new_identity} for e in transfers],
        **ctx.position(),
    }


@router.get("/communities/{community}/owners", response_model=Page[OwnerOut],
            summary="Owner identities with their current weight, by index")
def list_owners(ctx: CommunityDep, session: SessionDep, limit: LimitDep, cursor: IdCursor = None):
    query = select(Owner).where(Owner.community == ctx.community)
    if cursor is not None:
        query = query.where(Owner.identity > int(cursor))
    rows = session.execute(query.order_by(Owner.identity).limit(limit + 1)).scalars().all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_owner_out(o) for o in rows], "next_cursor": str(rows[-1].identity) if more else None,
            **ctx.position()}


@router.get("/communities/{community}/owners/{identity}", response_model=OwnerDetail,
            summary="An owner identity and the units it holds")
def owner_detail(ctx: CommunityDep, session: SessionDep, identity: IdentityPath):
    owner = session.get(Owner, (ctx.community, identity))
    if owner is None:
        raise HTTPException(status_code=404, detail=f"owner identity {identity} is not known")
    units = _units_with_wallets(ctx, session, Unit.identity == identity)
    return {"owner": _owner_out(owner), "units": [_unit_out(u, w) for u, w in units], **ctx.position()}
