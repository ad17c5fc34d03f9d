"""One wallet as the resident pages see it: the units it owns or lives in, its roles and
its points, in one request (the Connect page and the header)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from backend.api.deps import AddressPath, CommunityDep, SessionDep
from backend.api.routes.community import ROLE_BY_ID
from backend.api.schemas import IndexPosition
from backend.db.models import Merchant, Owner, PointsBalance, Resident, RoleMember, Unit

router = APIRouter(tags=["community"])


class AccountUnit(BaseModel):
    unit_id: int
    label: str
    area: int = Field(description="Exclusive area, 0.01 m²")
    relation: str = Field(description="owner, or resident (a tenant or family member linked to the unit)")


class AccountOut(IndexPosition):
    address: str
    identity: int | None = Field(description="Owner identity index bound to the wallet, if any")
    owner_area: int = Field(description="Exclusive area owned now, 0.01 m² (the vote's weight)")
    units: list[AccountUnit]
    roles: list[str] = Field(description="committee, manager, merchant, provider, auditor, default_admin")
    merchant: bool = Field(description="Accepts points (the points contract's merchant mirror)")
    points: int


@router.get("/communities/{community}/accounts/{address}", response_model=AccountOut,
            summary="One wallet: units owned or lived in, roles, points")
def account(ctx: CommunityDep, session: SessionDep, address: AddressPath):
    c, wallet = ctx.community, address.lower()
    owner = session.execute(select(Owner).where(Owner.community == c, Owner.wallet == wallet)).scalars().first()
    units: list[dict] = []
    if owner is not None:
        units += [{"unit_id": u.unit_id, "label": u.label, "area": int(u.area), "relation": "owner"}
                  for u in session.execute(select(Unit).where(Unit.community == c, Unit.identity == owner.identity)
                                           .order_by(Unit.unit_id)).scalars()]
    resident = session.get(Resident, (c, wallet))
    if resident is not None:
        unit = session.get(Unit, (c, resident.unit_id))
        if unit is not None:
            units.append({"unit_id": unit.unit_id, "label": unit.label, "area": int(unit.area),
                          "relation": "resident"})
    roles = sorted(ROLE_BY_ID.get(r, r) for r in session.execute(
        select(RoleMember.role).where(RoleMember.community == c, RoleMember.account == wallet)).scalars())
    balance = session.get(PointsBalance, (c, wallet))
    return {"address": wallet, "identity": owner.identity if owner and owner.units > 0 else None,
            "owner_area": int(owner.area) if owner else 0, "units": units, "roles": roles,
            "merchant": session.get(Merchant, (c, wallet)) is not None,
            "points": int(balance.balance) if balance else 0, **ctx.position()}
