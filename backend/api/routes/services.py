"""The service market (ServiceMarket): requests, offers, deals, escrow, providers'
profiles and the providers recommended for an open request.

A request's status and escrow follow from its events (posted → accepted → done →
disputed → closed, at most one event per step), read with one outer join per step,
so they agree with the contract's `request(id)` view at the indexed head block.
Providers' aggregates come from the projection (services_projection.py); the
ranking formula lives in backend/api/provider_ranking.py.
"""

from __future__ import annotations

from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from sqlalchemy import and_, case, exists, func, literal_column, select
from sqlalchemy.orm import Session

from backend.api import provider_ranking
from backend.api.errors import errors
from backend.api.deps import (
    MAX_BLOCK,
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
from backend.api.schemas_services import (
    OfferEventOut,
    ProviderDetail,
    ProviderOut,
    RatingOut,
    RecommendationsOut,
    ServiceCategoriesOut,
    ServiceMarketOut,
    ServiceRequestDetail,
    ServiceRequestOut,
)
from backend.chain.deployment import role_id
from backend.db.models import (
    Checkpoint,
    ProviderRated,
    RoleMember,
    ServiceFeeSet,
    ServiceOfferAccepted,
    ServiceOfferMade,
    ServiceOfferWithdrawn,
    ServiceProvider,
    ServiceProviderCategory,
    ServiceRatingPointsSet,
    ServiceReleaseDelaySet,
    ServiceRequestClosed,
    ServiceRequestDisputed,
    ServiceRequestPosted,
    ServiceWorkDone,
)

router = APIRouter(tags=["services"])

MARKET = "ServiceMarket"
PROVIDER_ROLE = "0x" + role_id("provider").hex()
ZERO_HASH = "0x" + "00" * 32
STATUSES = {1: "open", 2: "accepted", 3: "done", 4: "disputed", 5: "confirmed", 6: "released", 7: "resolved",
            8: "cancelled", 9: "reclaimed"}
STATUS_CODES = {name: code for code, name in STATUSES.items()}
OPEN, ACCEPTED, DONE, DISPUTED, RESOLVED = 1, 2, 3, 4, 7
# The contract keeps categories as numbers; their names are the API's ("labels kept
# by the API"). A number without a name is still a valid category.
SERVICE_CATEGORIES = {1: "家政 housekeeping", 2: "维修 repairs", 3: "水电 plumbing and electrics",
                      4: "跑腿 errands", 5: "搬家 moving", 6: "保洁 cleaning", 7: "养老 elderly care",
                      8: "托育 childcare", 9: "家教 tutoring", 10: "宠物 pet care"}

RequestIdPath = Annotated[int, Path(ge=1, le=MAX_BLOCK, description="Request id (1, 2, …)")]
RequestIdQuery = Annotated[int | None, Query(ge=1, le=MAX_BLOCK)]
CategoryQuery = Annotated[int | None, Query(ge=0, le=255, description="Service category (0-255)")]
StatusQuery = Annotated[str | None, Query(pattern="^(" + "|".join(STATUSES.values()) + ")$",
                                          description="Current status: " + ", ".join(STATUSES.values()))]
ProviderCursor = Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$",
                                             description="next_cursor of the previous page")]
RankLimit = Annotated[int, Query(ge=1, le=100, description="Providers returned (best first)")]

R = ServiceRequestPosted.__table__
A = ServiceOfferAccepted.__table__
D = ServiceWorkDone.__table__
X = ServiceRequestDisputed.__table__
C = ServiceRequestClosed.__table__


def _same_request(table):
    return and_(table.c.community == R.c.community, table.c.request_id == R.c.request_id)




def _constant(value: int):
    # Inline, not a bound parameter: PostgreSQL matches a GROUP BY expression to the
    # selected one only when both are written the same.
    return literal_column(str(int(value)))


STATUS = case((C.c.status.is_not(None), C.c.status), (X.c.request_id.is_not(None), _constant(DISPUTED)),
              (D.c.request_id.is_not(None), _constant(DONE)), (A.c.request_id.is_not(None), _constant(ACCEPTED)),
              else_=_constant(OPEN))
ESCROW = case((C.c.request_id.is_not(None), _constant(0)), (A.c.request_id.is_not(None), A.c.price),
              else_=R.c.budget)
JOINED = (R.outerjoin(A, _same_request(A)).outerjoin(D, _same_request(D)).outerjoin(X, _same_request(X))
          .outerjoin(C, _same_request(C)))


def _requests(community: str):
    """Requests with their status and escrow (one row per request)."""
    return select(R, STATUS.label("status"), ESCROW.label("escrow"), A.c.provider.label("provider"),
                  A.c.price.label("price")).select_from(JOINED).where(R.c.community == community)


def category_label(category: int) -> str | None:
    return SERVICE_CATEGORIES.get(category)


def _request_item(row) -> dict[str, Any]:
    status = int(row["status"])
    return {**event_position(row), "request_id": row["request_id"], "resident": row["resident"],
            "category": row["category"], "category_label": category_label(row["category"]),
            "description_hash": row["description_hash"], "budget": int(row["budget"]), "deadline": row["deadline"],
            "posted_at": row["posted_at"], "status": STATUSES[status], "status_code": status,
            "provider": row["provider"], "price": None if row["price"] is None else int(row["price"]),
            "escrow": int(row["escrow"])}


def _market(ctx: CommunityContext) -> str:
    return require_contract(ctx, MARKET)


def _latest(session: Session, model, column, community: str, default: int = 0) -> int:
    value = session.execute(select(column).where(model.community == community)
                            .order_by(model.block_number.desc(), model.log_index.desc()).limit(1)).scalar()
    return default if value is None else int(value)


def _sum(session: Session, column, *conditions) -> int:
    return int(session.execute(select(func.coalesce(func.sum(column), 0)).where(*conditions)).scalar() or 0)


def _request_row(session: Session, community: str, request_id: int):
    row = session.execute(_requests(community).where(R.c.request_id == request_id)).mappings().first()
    if row is None:
        raise HTTPException(status_code=404, detail=f"service request {request_id} is not known")
    return row


def _offers(session: Session, community: str, request_id: int, posted_at: int, accepted: str | None):
    """The offers on a request as they stand (the contract's `offer` view) and their events."""
    offers = ServiceOfferMade.__table__
    withdrawals = ServiceOfferWithdrawn.__table__
    events = [(r["block_number"], r["log_index"], "offer", r) for r in session.execute(
        select(offers).where(offers.c.community == community, offers.c.request_id == request_id)).mappings()]
    events += [(r["block_number"], r["log_index"], "withdrawal", r) for r in session.execute(
        select(withdrawals).where(withdrawals.c.community == community,
                                  withdrawals.c.request_id == request_id)).mappings()]
    events.sort(key=lambda e: (e[0], e[1]))
    standing: dict[str, dict[str, Any]] = {}
    history = []
    for _, _, kind, row in events:
        provider = row["provider"]
        if kind == "offer":
            kind = "revision" if row["revision"] else "offer"
            entry = standing.setdefault(provider, {
                "provider": provider, "first_offered_at": row["offered_at"],
                "response_seconds": row["offered_at"] - posted_at, "revisions": 0})
            entry.update(price=int(row["price"]), completion_by=row["completion_by"], offered_at=row["offered_at"],
                         withdrawn=False, accepted=provider == accepted)
            entry["revisions"] += row["revision"]
            history.append({**event_position(row), "request_id": request_id, "provider": provider, "kind": kind,
                            "price": int(row["price"]), "completion_by": row["completion_by"],
                            "at": row["offered_at"]})
        else:
            if provider in standing:  # a withdrawal always follows an offer
                standing[provider].update(price=0, completion_by=0, withdrawn=True)
            history.append({**event_position(row), "request_id": request_id, "provider": provider,
                            "kind": "withdrawal", "price": None, "completion_by": None, "at": row["withdrawn_at"]})
    return sorted(standing.values(), key=lambda o: o["provider"]), history


# ---------------------------------------------------------------- the market


@router.get("/communities/{community}/services", response_model=ServiceMarketOut,
            summary="The service market: settings, requests by status, escrow held, money moved")
def market(ctx: CommunityDep, session: SessionDep):
    address = _market(ctx)
    c = ctx.community
    by_status: dict[str, int] = {}
    escrow_held = 0
    for status, count, escrow in session.execute(
        select(STATUS, func.count(), func.coalesce(func.sum(ESCROW), 0)).select_from(JOINED)
        .where(R.c.community == c).group_by(STATUS)
    ).all():
        by_status[STATUSES[int(status)]] = int(count)
        escrow_held += int(escrow)
    changes = []
    for model, setting, column in ((ServiceFeeSet, "fee_bps", "bps"),
                                   (ServiceReleaseDelaySet, "release_delay", "seconds"),
                                   (ServiceRatingPointsSet, "rating_points", "amount")):
        table = model.__table__
        changes += [{**event_position(r), "setting": setting, "value": int(r[column]), "set_by": r["set_by"]}
                    for r in session.execute(select(table).where(table.c.community == c)).mappings()]
    changes.sort(key=lambda change: (change["block_number"], change["log_index"]))
    providers = session.scalar(select(func.count()).select_from(RoleMember).where(
        RoleMember.community == c, RoleMember.role == PROVIDER_ROLE))
    return {
        "market_contract": address,
        "fee_bps": _latest(session, ServiceFeeSet, ServiceFeeSet.bps, c),
        "release_delay": _latest(session, ServiceReleaseDelaySet, ServiceReleaseDelaySet.seconds, c),
        "rating_points": _latest(session, ServiceRatingPointsSet, ServiceRatingPointsSet.amount, c),
        "requests": sum(by_status.values()), "requests_by_status": by_status, "escrow_held": escrow_held,
        "paid_to_providers": _sum(session, C.c.to_provider, C.c.community == c),
        "fees_to_public_income": _sum(session, C.c.fee, C.c.community == c),
        "refunded_to_residents": _sum(session, A.c.refund, A.c.community == c)
        + _sum(session, C.c.to_resident, C.c.community == c),
        "providers": providers, "settings_changes": changes, **ctx.position(),
    }


@router.get("/communities/{community}/services/categories", response_model=ServiceCategoriesOut,
            summary="Service categories: the API's names, requests and providers with history in each")
def categories(ctx: CommunityDep, session: SessionDep):
    _market(ctx)
    c = ctx.community
    found: dict[int, dict[str, Any]] = {
        number: {"category": number, "label": label, "requests": 0, "open_requests": 0, "providers_with_history": 0}
        for number, label in SERVICE_CATEGORIES.items()}

    def entry(number: int) -> dict[str, Any]:
        return found.setdefault(number, {"category": number, "label": None, "requests": 0, "open_requests": 0,
                                         "providers_with_history": 0})

    for category, count, open_count in session.execute(
        select(R.c.category, func.count(), func.coalesce(func.sum(case((STATUS == OPEN, 1), else_=0)), 0))
        .select_from(JOINED).where(R.c.community == c).group_by(R.c.category)
    ).all():
        entry(int(category)).update(requests=int(count), open_requests=int(open_count))
    for category, count in session.execute(
        select(ServiceProviderCategory.category, func.count()).where(ServiceProviderCategory.community == c)
        .group_by(ServiceProviderCategory.category)
    ).all():
        entry(int(category))["providers_with_history"] = int(count)
    return {"items": [found[number] for number in sorted(found)], **ctx.position()}


# ---------------------------------------------------------------- requests


@router.get("/communities/{community}/services/requests", response_model=Page[ServiceRequestOut],
            summary="Service requests, newest first, with their status and escrow")
def requests(ctx: CommunityDep, session: SessionDep, limit: LimitDep, status: StatusQuery = None,
             category: CategoryQuery = None, resident: AddressQuery = None,
             provider: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$",
                                                   description="The provider whose offer was accepted")] = None,
             offered_by: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$",
                                                     description="A provider who offered on it")] = None,
             cursor: CursorQuery = None, order: OrderQuery = "desc"):
    _market(ctx)
    query = _requests(ctx.community)
    if status is not None:
        query = query.where(STATUS == STATUS_CODES[status])
    if category is not None:
        query = query.where(R.c.category == category)
    if resident is not None:
        query = query.where(R.c.resident == resident.lower())
    if provider is not None:
        query = query.where(A.c.provider == provider.lower())
    if offered_by is not None:
        offers = ServiceOfferMade.__table__
        query = query.where(exists().where(offers.c.community == R.c.community,
                                           offers.c.request_id == R.c.request_id,
                                           offers.c.provider == offered_by.lower()))
    condition = after_position(R, parse_cursor(cursor), order)
    if condition is not None:
        query = query.where(condition)
    rows = session.execute(query.order_by(*position_order(R, order)).limit(limit + 1)).mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_request_item(r) for r in rows],
            "next_cursor": make_cursor(rows[-1]["block_number"], rows[-1]["log_index"]) if more else None,
            **ctx.position()}


def _one(session: Session, table, community: str, request_id: int):
    return session.execute(select(table).where(table.c.community == community, table.c.request_id == request_id)
                           .order_by(table.c.block_number, table.c.log_index).limit(1)).mappings().first()


@router.get("/communities/{community}/services/requests/{request_id}", response_model=ServiceRequestDetail,
            summary="One request: offers, acceptance, completion, dispute, settlement, rating and escrow held")
def request_detail(ctx: CommunityDep, session: SessionDep, request_id: RequestIdPath):
    _market(ctx)
    c = ctx.community
    row = _request_row(session, c, request_id)
    item = _request_item(row)
    offers, history = _offers(session, c, request_id, row["posted_at"], row["provider"])
    acceptance, completion = _one(session, A, c, request_id), _one(session, D, c, request_id)
    dispute, closure = _one(session, X, c, request_id), _one(session, C, c, request_id)
    rating = _one(session, ProviderRated.__table__, c, request_id)
    now = head_timestamp(session, ctx)
    status = item["status_code"]
    first_offer = min((o["first_offered_at"] for o in offers), default=None)
    return {
        **item,
        "fee_bps": acceptance["fee_bps"] if acceptance else None,
        "releasable": status == DONE and completion is not None and now >= completion["release_at"],
        "reclaimable": status == ACCEPTED and now > row["deadline"],
        "rated": rating is not None,
        "time_to_first_offer": None if first_offer is None else first_offer - row["posted_at"],
        "time_to_acceptance": acceptance["accepted_at"] - row["posted_at"] if acceptance else None,
        "offers": offers, "offer_events": history,
        "acceptance": acceptance and {
            **event_position(acceptance), "provider": acceptance["provider"], "price": int(acceptance["price"]),
            "completion_by": acceptance["completion_by"], "refund": int(acceptance["refund"]),
            "fee_bps": acceptance["fee_bps"], "accepted_at": acceptance["accepted_at"]},
        "completion": completion and {**event_position(completion), "done_at": completion["done_at"],
                                      "release_at": completion["release_at"]},
        "dispute": dispute and {
            **event_position(dispute), "reason_hash": dispute["reason_hash"], "escrow": int(dispute["escrow"]),
            "previous_status": STATUSES.get(dispute["previous_status"], str(dispute["previous_status"])),
            "disputed_at": dispute["disputed_at"]},
        "closure": closure and {
            **event_position(closure), "status": STATUSES.get(closure["status"], str(closure["status"])),
            "to_provider": int(closure["to_provider"]), "fee": int(closure["fee"]),
            "to_resident": int(closure["to_resident"]),
            "decision_hash": None if closure["decision_hash"] == ZERO_HASH else closure["decision_hash"],
            "closed_by": closure["closed_by"], "closed_at": closure["closed_at"]},
        "rating": rating and _rating(rating),
        **ctx.position(),
    }


def _rating(row) -> dict[str, Any]:
    return {**event_position(row), "request_id": row["request_id"], "provider": row["provider"],
            "rater": row["rater"], "score": row["score"], "points": int(row["points"])}


@router.get("/communities/{community}/services/offers", response_model=Page[OfferEventOut],
            summary="Offers and their revisions (a provider's own view with `provider`)")
def offers(ctx: CommunityDep, session: SessionDep, limit: LimitDep, provider: AddressQuery = None,
           request_id: RequestIdQuery = None, cursor: CursorQuery = None, order: OrderQuery = "desc"):
    _market(ctx)
    table = ServiceOfferMade.__table__
    filters = []
    if provider is not None:
        filters.append(table.c.provider == provider.lower())
    if request_id is not None:
        filters.append(table.c.request_id == request_id)
    return event_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit,
                      to_item=lambda r: {**event_position(r), "request_id": r["request_id"], "provider": r["provider"],
                                         "kind": "revision" if r["revision"] else "offer", "price": int(r["price"]),
                                         "completion_by": r["completion_by"], "at": r["offered_at"]})


@router.get("/communities/{community}/services/ratings", response_model=Page[RatingOut],
            summary="Residents' ratings of providers")
def ratings(ctx: CommunityDep, session: SessionDep, limit: LimitDep, provider: AddressQuery = None,
            rater: AddressQuery = None, cursor: CursorQuery = None, order: OrderQuery = "desc"):
    _market(ctx)
    table = ProviderRated.__table__
    filters = []
    if provider is not None:
        filters.append(table.c.provider == provider.lower())
    if rater is not None:
        filters.append(table.c.rater == rater.lower())
    return event_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit, to_item=_rating)


# ---------------------------------------------------------------- providers


def _provider_item(provider: str, stats, holds_role: bool) -> dict[str, Any]:
    values = {name: 0 for name in ("offers", "offers_withdrawn", "response_seconds", "jobs_accepted",
                                   "price_ratio_ppm", "jobs_completed", "jobs_released", "disputes_raised",
                                   "disputes_resolved", "jobs_reclaimed", "rating_count", "rating_sum", "earned",
                                   "fees_paid")}
    if stats is not None:
        values.update({name: int(stats[name]) for name in values})
    history = provider_ranking.ProviderHistory(
        provider=provider, offers=values["offers"], response_seconds=values["response_seconds"],
        jobs_accepted=values["jobs_accepted"], price_ratio_ppm=values["price_ratio_ppm"])
    count, total = values["rating_count"], values["rating_sum"]
    return {
        "provider": provider, "holds_provider_role": holds_role, "offers": values["offers"],
        "offers_withdrawn": values["offers_withdrawn"],
        "mean_response_seconds": provider_ranking.mean_response_seconds(history),
        "jobs_accepted": values["jobs_accepted"], "jobs_completed": values["jobs_completed"],
        "jobs_released": values["jobs_released"], "jobs_disputed": values["disputes_resolved"],
        "disputes_raised": values["disputes_raised"], "jobs_reclaimed": values["jobs_reclaimed"],
        "rating_count": count, "rating_sum": total, "rating_average": total / count if count else None,
        "bayesian_rating": provider_ranking.bayesian_rating(count, total),
        "earned": values["earned"], "fees_paid": values["fees_paid"],
        "mean_price_ratio": provider_ranking.mean_price_ratio(history),
    }


@router.get("/communities/{community}/services/providers", response_model=Page[ProviderOut],
            summary="Providers' profiles (role holders and anyone with a history), by address")
def providers(ctx: CommunityDep, session: SessionDep, limit: LimitDep, category: CategoryQuery = None,
              cursor: ProviderCursor = None):
    _market(ctx)
    c = ctx.community
    after = cursor.lower() if cursor is not None else ""
    if category is not None:
        # Providers with a history in the category.
        addresses = set(session.execute(
            select(ServiceProviderCategory.provider).where(
                ServiceProviderCategory.community == c, ServiceProviderCategory.category == category,
                ServiceProviderCategory.provider > after)
            .order_by(ServiceProviderCategory.provider).limit(limit + 1)).scalars())
    else:
        addresses = set(session.execute(
            select(ServiceProvider.provider).where(ServiceProvider.community == c, ServiceProvider.provider > after)
            .order_by(ServiceProvider.provider).limit(limit + 1)).scalars())
        addresses |= set(session.execute(
            select(RoleMember.account).where(RoleMember.community == c, RoleMember.role == PROVIDER_ROLE,
                                             RoleMember.account > after)
            .order_by(RoleMember.account).limit(limit + 1)).scalars())
    page = sorted(addresses)[:limit + 1]
    more = len(page) > limit
    page = page[:limit]
    stats = {row["provider"]: row for row in session.execute(
        select(ServiceProvider.__table__).where(ServiceProvider.community == c,
                                                ServiceProvider.provider.in_(page))).mappings()}
    holders = set(session.execute(select(RoleMember.account).where(
        RoleMember.community == c, RoleMember.role == PROVIDER_ROLE, RoleMember.account.in_(page))).scalars())
    return {"items": [_provider_item(p, stats.get(p), p in holders) for p in page],
            "next_cursor": page[-1] if more else None, **ctx.position()}


@router.get("/communities/{community}/services/providers/{provider}", response_model=ProviderDetail,
            summary="A provider's profile: jobs, ratings, earnings, categories, response times")
def provider_detail(ctx: CommunityDep, session: SessionDep, provider: AddressPath):
    _market(ctx)
    c, address = ctx.community, provider.lower()
    stats = session.execute(select(ServiceProvider.__table__).where(
        ServiceProvider.community == c, ServiceProvider.provider == address)).mappings().first()
    holds_role = session.get(RoleMember, (c, PROVIDER_ROLE, address)) is not None
    if stats is None and not holds_role:
        raise HTTPException(status_code=404, detail=f"{address} is not a provider of this community")
    categories = [{"category": r.category, "label": category_label(r.category), "offers": r.offers,
                   "jobs_accepted": r.jobs_accepted, "jobs_completed": r.jobs_completed, "earned": int(r.earned)}
                  for r in session.execute(select(ServiceProviderCategory).where(
                      ServiceProviderCategory.community == c, ServiceProviderCategory.provider == address)
                      .order_by(ServiceProviderCategory.category)).scalars()]
    ratings_table = ProviderRated.__table__
    recent = session.execute(select(ratings_table).where(ratings_table.c.community == c,
                                                         ratings_table.c.provider == address)
                             .order_by(*position_order(ratings_table, "desc")).limit(20)).mappings().all()
    return {**_provider_item(address, stats, holds_role), "categories": categories,
            "recent_ratings": [_rating(r) for r in recent], **ctx.position()}


def _ranking(request: Request, session: Session, ctx: CommunityContext, category: int) -> list:
    """Every holder of the provider role scored for `category`, best first.

    The scores depend only on the index's content, which changes only when the
    indexer commits a batch, and each commit moves the checkpoint in the same
    transaction. So the ordering is computed once per checkpoint (block and hash: a
    reorganisation changes the hash) and category, and reused by this worker until
    the checkpoint moves; only the latest checkpoint of each community is kept.
    """
    key = tuple(session.execute(select(Checkpoint.block_number, Checkpoint.block_hash).where(
        Checkpoint.community == ctx.community, Checkpoint.chain_id == ctx.record.chain_id)).first() or ())
    cache = getattr(request.app.state, "provider_rankings", None)
    if cache is None:
        cache = request.app.state.provider_rankings = {}
    entry = cache.get(ctx.community)
    if entry is None or entry[0] != key:
        entry = cache[ctx.community] = (key, {})
    ranked = entry[1].get(category)
    if ranked is not None:
        return ranked
    c = ctx.community
    sp, spc = ServiceProvider.__table__, ServiceProviderCategory.__table__
    # Three range scans merged here cost less than a join probing two indexes per provider.
    holders = session.execute(select(RoleMember.account).where(
        RoleMember.community == c, RoleMember.role == PROVIDER_ROLE)).scalars().all()
    # Columns in ProviderHistory's order.
    totals = {r[0]: tuple(r[1:]) for r in session.execute(
        select(sp.c.provider, sp.c.offers, sp.c.response_seconds, sp.c.jobs_accepted, sp.c.price_ratio_ppm,
               sp.c.jobs_completed, sp.c.rating_count, sp.c.rating_sum).where(sp.c.community == c))}
    in_category = {r[0]: tuple(r[1:]) for r in session.execute(
        select(spc.c.provider, spc.c.offers, spc.c.jobs_completed)
        .where(spc.c.community == c, spc.c.category == category))}
    make, none, nothing = provider_ranking.ProviderHistory, (0,) * 7, (0, 0)
    ranked = provider_ranking.order([make(p, *totals.get(p, none), *in_category.get(p, nothing)) for p in holders])
    entry[1][category] = ranked
    return ranked


@router.get("/communities/{community}/services/requests/{request_id}/recommendations",
            response_model=RecommendationsOut,
            summary="Providers ranked for an open request, each score explained",
            description=provider_ranking.FORMULA,
            responses=errors(409, e409="The request is no longer open"))
def recommendations(request: Request, ctx: CommunityDep, session: SessionDep, request_id: RequestIdPath,
                    limit: RankLimit = 10):
    _market(ctx)
    c = ctx.community
    row = _request_row(session, c, request_id)
    if int(row["status"]) != OPEN:
        raise HTTPException(status_code=409, detail=f"service request {request_id} is "
                                                    f"{STATUSES[int(row['status'])]}, not open")
    category, budget = int(row["category"]), int(row["budget"])
    resident = row["resident"]
    ranked = _ranking(request, session, ctx, category)
    standing = {o["provider"]: o for o in _offers(session, c, request_id, row["posted_at"], None)[0]
                if not o["withdrawn"]}
    items = []
    # The resident cannot offer on its own request (it may be a provider too).
    for rank, scored in enumerate(islice((s for s in ranked if s.history.provider != resident), limit), start=1):
        history = scored.history
        ratio = provider_ranking.mean_price_ratio(history)
        offer = standing.get(history.provider)
        items.append({
            "rank": rank, "provider": history.provider, "score": round(scored.score, 6),
            "components": [{"name": name, "weight": provider_ranking.WEIGHTS[name], "value": round(value, 6),
                            "contribution": round(provider_ranking.WEIGHTS[name] * value, 6),
                            "explanation": explanation}
                           for name, (value, explanation) in provider_ranking.explain(scored).items()],
            "jobs_completed": history.jobs_completed, "category_jobs_completed": history.category_jobs_completed,
            "category_offers": history.category_offers,
            "rating_count": history.rating_count,
            "rating_average": history.rating_sum / history.rating_count if history.rating_count else None,
            "mean_response_seconds": provider_ranking.mean_response_seconds(history),
            "mean_price_ratio": ratio, "expected_price": None if ratio is None else round(ratio * budget),
            "offered": offer is not None, "offer_price": offer["price"] if offer else None,
            "offer_completion_by": offer["completion_by"] if offer else None,
        })
    candidates = len(ranked) - any(s.history.provider == resident for s in ranked)
    return {"request_id": request_id, "category": category, "category_label": category_label(category),
            "budget": budget, "formula": provider_ranking.FORMULA, "weights": provider_ranking.WEIGHTS,
            "rating_prior_mean": provider_ranking.RATING_PRIOR_MEAN,
            "rating_prior_weight": provider_ranking.RATING_PRIOR_WEIGHT, "candidates": candidates,
            "items": items, **ctx.position()}
