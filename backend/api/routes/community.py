"""Communities: the list, one community's summary, its roles, merchants and residents."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import func, select

from backend.api.deps import CommunityDep, SessionDep, community_context
from backend.api.routes.activities import activity_counts
from backend.api.routes.culture import culture_counts
from backend.api.routes.promotions import promotion_counts
from backend.api.schemas import CommunityOut, MerchantOut, ResidentOut, RoleMemberOut
from backend.api.schemas_culture import CommunitySummaryOut
from backend.chain.deployment import ROLE_NAMES, role_id
from backend.db.models import CommunityRecord, Merchant, Owner, PointsBalance, Resident, RoleMember, TotalsChange, Unit

router = APIRouter(tags=["community"])

ROLE_BY_ID = {"0x" + role_id(name).hex(): name for name in ROLE_NAMES}
ROLE_BY_ID["0x" + "00" * 32] = "default_admin"


def _community_out(ctx) -> dict:
    record = ctx.record
    return {"community": record.community, "chain_id": record.chain_id, "name": record.name,
            "network": record.network, "deploy_block": record.deploy_block, "contracts": record.contracts,
            **ctx.position()}


@router.get("/communities", response_model=list[CommunityOut], summary="Communities in this index")
def list_communities(session: SessionDep):
    keys = session.execute(select(CommunityRecord.community).order_by(CommunityRecord.community)).scalars().all()
    return [_community_out(community_context(session, key)) for key in keys]


@router.get("/communities/{community}", response_model=CommunitySummaryOut, summary="One community at a glance")
def community_summary(request: Request, ctx: CommunityDep, session: SessionDep):
    # A dozen counts and sums over the community's tables, the same for every dashboard
    # until the index moves: kept per community for the index position it was built at.
    cache = request.app.state.summary_cache
    cached = cache.get(ctx.community)
    if cached is not None and cached[0] == ctx.version():
        return cached[1]
    summary = _summary(ctx, session)
    cache[ctx.community] = (ctx.version(), summary)
    return summary


def _summary(ctx, session) -> dict:
    c = ctx.community
    totals = session.execute(
        select(TotalsChange.area, TotalsChange.heads).where(TotalsChange.community == c)
        .order_by(TotalsChange.block_number.desc(), TotalsChange.log_index.desc()).limit(1)
    ).first()
    units = session.scalar(select(func.count()).select_from(Unit).where(Unit.community == c))
    owners = session.scalar(select(func.count()).select_from(Owner).where(Owner.community == c, Owner.units > 0))
    residents = session.scalar(select(func.count()).select_from(Resident).where(Resident.community == c))
    merchants = session.scalar(select(func.count()).select_from(Merchant).where(Merchant.community == c))
    supply, holders = session.execute(
        select(func.coalesce(func.sum(PointsBalance.balance), 0), func.count())
        .where(PointsBalance.community == c, PointsBalance.balance > 0)
    ).one()
    return {
        **_community_out(ctx),
        "units": units, "total_area": int(totals[0]) if totals else 0, "heads": int(totals[1]) if totals else 0,
        "owners": owners, "residents": residents, "merchants": merchants,
        "points_supply": int(supply), "points_holders": holders,
        **culture_counts(session, ctx), **activity_counts(session, ctx), **promotion_counts(session, ctx),
    }


@router.get("/communities/{community}/roles", response_model=list[RoleMemberOut], summary="Who holds which role")
def role_members(ctx: CommunityDep, session: SessionDep):
    rows = session.execute(
        select(RoleMember).where(RoleMember.community == ctx.community)
        .order_by(RoleMember.role, RoleMember.account)
    ).scalars().all()
    return [{"role": ROLE_BY_ID.get(r.role, r.role), "role_id": r.role, "account": r.account,
             "granted_block": r.granted_block} for r in rows]


@router.get("/communities/{community}/merchants", response_model=list[MerchantOut], summary="Merchants accepting points")
def merchants(ctx: CommunityDep, session: SessionDep):
    rows = session.execute(
        select(Merchant).where(Merchant.community == ctx.community).order_by(Merchant.account)
    ).scalars().all()
    return [{"account": r.account, "synced_block": r.synced_block} for r in rows]


@router.get("/communities/{community}/residents", response_model=list[ResidentOut],
            summary="Residents linked to units (not owners)")
def residents(ctx: CommunityDep, session: SessionDep):
    rows = session.execute(
        select(Resident).where(Resident.community == ctx.community).order_by(Resident.unit_id, Resident.wallet)
    ).scalars().all()
    return [{"wallet": r.wallet, "unit_id": r.unit_id, "commitment": r.commitment, "linked_block": r.linked_block}
            for r in rows]
