"""Residents' consent to the use of their data (DataConsent): grants with their state,
and the on-chain log of every access, seen by the resident and by the grantee.

Only hashes are here: a scope is keccak256 of a field's name, a purpose or a
reference is a hash or an id the vault chose. A grant's state is computed at the
indexed head block's time exactly as the contract's `grant_of(…).live`: not revoked,
not replaced by a newer version, before its expiry, and the grantee still holds the
role it was granted as.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import and_, case, exists, func, literal_column, select
from sqlalchemy.orm import Session

from backend.api.deps import (
    HASH_PATTERN,
    AddressPath,
    AddressQuery,
    CommunityContext,
    CommunityDep,
    CursorQuery,
    LimitDep,
    OrderQuery,
    SessionDep,
    after_position,
    make_cursor,
    parse_cursor,
    position_order,
)
from backend.api.listing import event_page, event_position, head_timestamp, require_contract
from backend.api.schemas import Page
from backend.api.schemas_services import AccessOut, GrantOut, LoggersOut
from backend.chain.deployment import role_id
from backend.db.models import (
    ConsentGranted,
    ConsentLoggerSet,
    ConsentRenewed,
    ConsentRevoked,
    DataAccessLogged,
    RoleMember,
)

router = APIRouter(tags=["consent"])

CONSENT = "DataConsent"
ROLE_NAMES = {"0x" + role_id(name).hex(): name for name in ("provider", "manager", "merchant", "committee")}
STATES = ("live", "expired", "revoked", "superseded", "role_lost")

ScopeQuery = Annotated[str | None, Query(pattern=HASH_PATTERN, description="keccak256 of the scope's name")]
StateQuery = Annotated[str | None, Query(pattern="^(" + "|".join(STATES) + ")$", description=", ".join(STATES))]
TimeQuery = Annotated[int | None, Query(ge=0, le=2**40, description="Unix seconds")]

G = ConsentGranted.__table__
RENEWALS = ConsentRenewed.__table__
REVOCATIONS = ConsentRevoked.__table__
ACCESSES = DataAccessLogged.__table__
ROLES = RoleMember.__table__


def _same_grant(table, *, version: bool = True):
    conditions = [table.c.community == G.c.community, table.c.resident == G.c.resident,
                  table.c.grantee == G.c.grantee, table.c.scope == G.c.scope]
    if version:
        conditions.append(table.c.version == G.c.version)
    return and_(*conditions)


def _state(word: str):
    return literal_column(f"'{word}'")


def _grants(community: str, now: int):
    """Every grant version with its expiry after renewals and its state at `now`."""
    newer = G.alias("newer")
    same_triple = and_(newer.c.community == G.c.community, newer.c.resident == G.c.resident,
                       newer.c.grantee == G.c.grantee, newer.c.scope == G.c.scope, newer.c.version > G.c.version)
    renewed = (select(RENEWALS.c.expiry).where(_same_grant(RENEWALS))
               .order_by(RENEWALS.c.block_number.desc(), RENEWALS.c.log_index.desc()).limit(1)
               .correlate(G).scalar_subquery())
    expiry = func.coalesce(renewed, G.c.expiry)
    revoked_at = select(REVOCATIONS.c.revoked_at).where(_same_grant(REVOCATIONS)).limit(1).correlate(G) \
        .scalar_subquery()
    role_held = exists().where(ROLES.c.community == G.c.community, ROLES.c.role == G.c.grantee_role,
                               ROLES.c.account == G.c.grantee)
    state = case(
        (revoked_at.is_not(None), _state("revoked")),
        # Replaced while live (`replaces` names it).
        (exists().where(same_triple, newer.c.replaces == G.c.version), _state("superseded")),
        (expiry <= now, _state("expired")),
        # A newer version that did not replace it: it had ended by losing the role.
        (exists().where(same_triple), _state("role_lost")),
        (~role_held, _state("role_lost")),
        else_=_state("live"),
    )
    renewals = select(func.count()).where(_same_grant(RENEWALS)).correlate(G).scalar_subquery()
    accesses = select(func.count()).where(_same_grant(ACCESSES)).correlate(G).scalar_subquery()
    last_access = select(func.max(ACCESSES.c.accessed_at)).where(_same_grant(ACCESSES)).correlate(G) \
        .scalar_subquery()
    return select(G, expiry.label("current_expiry"), revoked_at.label("revoked_at"), state.label("state"),
                  renewals.label("renewals"), accesses.label("accesses"), last_access.label("last_accessed_at")) \
        .where(G.c.community == community).subquery("grant_states")


def _grant_item(row) -> dict[str, Any]:
    return {**event_position(row), "resident": row["resident"], "grantee": row["grantee"], "scope": row["scope"],
            "version": row["version"], "state": row["state"], "live": row["state"] == "live",
            "granted_at": row["granted_at"], "expiry": int(row["current_expiry"]), "original_expiry": row["expiry"],
            "renewals": int(row["renewals"]), "revoked_at": row["revoked_at"], "reference": row["grant_reference"],
            "grantee_role": ROLE_NAMES.get(row["grantee_role"], row["grantee_role"]),
            "grantee_role_id": row["grantee_role"], "replaces": row["replaces"], "accesses": int(row["accesses"]),
            "last_accessed_at": row["last_accessed_at"]}


def _grant_page(session: Session, ctx: CommunityContext, filters: dict[str, str | None], state: str | None,
                cursor: str | None, order: str, limit: int) -> dict[str, Any]:
    require_contract(ctx, CONSENT)
    grants = _grants(ctx.community, head_timestamp(session, ctx))
    query = select(grants)
    for column, value in filters.items():
        if value is not None:
            query = query.where(grants.c[column] == value.lower())
    if state is not None:
        query = query.where(grants.c.state == state)
    condition = after_position(grants, parse_cursor(cursor), order)
    if condition is not None:
        query = query.where(condition)
    rows = session.execute(query.order_by(*position_order(grants, order)).limit(limit + 1)).mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_grant_item(r) for r in rows],
            "next_cursor": make_cursor(rows[-1]["block_number"], rows[-1]["log_index"]) if more else None,
            **ctx.position()}


@router.get("/communities/{community}/consent/residents/{resident}/grants", response_model=Page[GrantOut],
            summary="A resident's grants (every version), newest first, with their state now")
def resident_grants(ctx: CommunityDep, session: SessionDep, resident: AddressPath, limit: LimitDep,
                    state: StateQuery = None, grantee: AddressQuery = None, scope: ScopeQuery = None,
                    cursor: CursorQuery = None, order: OrderQuery = "desc"):
    return _grant_page(session, ctx, {"resident": resident, "grantee": grantee, "scope": scope}, state, cursor,
                       order, limit)


@router.get("/communities/{community}/consent/grantees/{grantee}/grants", response_model=Page[GrantOut],
            summary="What a grantee was granted, by whom, and whether it is live now")
def grantee_grants(ctx: CommunityDep, session: SessionDep, grantee: AddressPath, limit: LimitDep,
                   state: StateQuery = None, resident: AddressQuery = None, scope: ScopeQuery = None,
                   cursor: CursorQuery = None, order: OrderQuery = "desc"):
    return _grant_page(session, ctx, {"grantee": grantee, "resident": resident, "scope": scope}, state, cursor,
                       order, limit)


def _access_page(session: Session, ctx: CommunityContext, filters: dict[str, str | None], from_time: int | None,
                 to_time: int | None, cursor: str | None, order: str, limit: int) -> dict[str, Any]:
    require_contract(ctx, CONSENT)
    conditions = [ACCESSES.c[column] == value.lower() for column, value in filters.items() if value is not None]
    if from_time is not None:
        conditions.append(ACCESSES.c.accessed_at >= from_time)
    if to_time is not None:
        conditions.append(ACCESSES.c.accessed_at <= to_time)
    return event_page(session, ACCESSES, ctx, filters=conditions, cursor=cursor, order=order, limit=limit,
                      to_item=lambda r: {**event_position(r), "resident": r["resident"], "grantee": r["grantee"],
                                         "scope": r["scope"], "version": r["version"],
                                         "purpose_hash": r["purpose_hash"], "accessed_at": r["accessed_at"],
                                         "logged_by": r["logged_by"]})


@router.get("/communities/{community}/consent/residents/{resident}/accesses", response_model=Page[AccessOut],
            summary="Who accessed what of a resident's data, when and why (purpose hash), newest first")
def resident_accesses(ctx: CommunityDep, session: SessionDep, resident: AddressPath, limit: LimitDep,
                      grantee: AddressQuery = None, scope: ScopeQuery = None, from_time: TimeQuery = None,
                      to_time: TimeQuery = None, cursor: CursorQuery = None, order: OrderQuery = "desc"):
    return _access_page(session, ctx, {"resident": resident, "grantee": grantee, "scope": scope}, from_time,
                        to_time, cursor, order, limit)


@router.get("/communities/{community}/consent/grantees/{grantee}/accesses", response_model=Page[AccessOut],
            summary="The accesses logged for a grantee, newest first")
def grantee_accesses(ctx: CommunityDep, session: SessionDep, grantee: AddressPath, limit: LimitDep,
                     resident: AddressQuery = None, scope: ScopeQuery = None, from_time: TimeQuery = None,
                     to_time: TimeQuery = None, cursor: CursorQuery = None, order: OrderQuery = "desc"):
    return _access_page(session, ctx, {"grantee": grantee, "resident": resident, "scope": scope}, from_time,
                        to_time, cursor, order, limit)


@router.get("/communities/{community}/consent/loggers", response_model=LoggersOut,
            summary="Accounts appointed to log accesses (the vault's), with their latest change")
def loggers(ctx: CommunityDep, session: SessionDep):
    require_contract(ctx, CONSENT)
    table = ConsentLoggerSet.__table__
    latest: dict[str, dict[str, Any]] = {}
    for row in session.execute(select(table).where(table.c.community == ctx.community)
                               .order_by(table.c.block_number, table.c.log_index)).mappings():
        changes = latest.get(row["account"], {}).get("changes", 0) + 1
        latest[row["account"]] = {**event_position(row), "account": row["account"], "enabled": row["enabled"],
                                  "set_by": row["set_by"], "changes": changes}
    return {"items": [latest[a] for a in sorted(latest)], **ctx.position()}

