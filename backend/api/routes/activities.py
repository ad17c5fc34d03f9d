"""Community activities (CommunityActivities): the list by status and time, one
activity with its counts and feedback, sign-ups, attendance, and a resident's
participation.

An activity's state is computed from the event tables as the contract keeps it:
cancelled once a cancellation exists, open when created by the committee or
approved, proposed otherwise; places taken are sign-ups minus cancelled sign-ups.
Its phase (upcoming, ongoing, past) is read at the indexed head block's time, so it
agrees with `indexed_block`, not with the wall clock.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import and_, case, exists, false, func, not_, or_, select
from sqlalchemy.orm import Session

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
)
from backend.api.listing import event_page, event_position, head_timestamp, require_contract
from backend.api.schemas import Page
from backend.api.schemas_culture import (
    ActivitiesSummaryOut,
    ActivityDetail,
    ActivityOut,
    CheckInOut,
    FeedbackOut,
    ParticipationOut,
    SignUpOut,
)
from backend.db.models import (
    Activity,
    ActivityApproval,
    ActivityCancellation,
    ActivityFeedback,
    CheckIn,
    MaxPointsChange,
    SignUp,
)

router = APIRouter(tags=["activities"])

ACTIVITIES = "CommunityActivities"
PROPOSED, OPEN, CANCELLED = 1, 2, 3
STATUS_NAMES = {PROPOSED: "proposed", OPEN: "open", CANCELLED: "cancelled"}
STATUS_CODES = {name: code for code, name in STATUS_NAMES.items()}

ActivityIdPath = Annotated[int, Path(ge=1, le=MAX_BLOCK, description="Activity id (1, 2, …)")]
StatusQuery = Annotated[str | None, Query(pattern="^(proposed|open|cancelled)$",
                                          description="The contract's status: proposed, open or cancelled")]
PhaseQuery = Annotated[str | None, Query(pattern="^(upcoming|ongoing|past)$",
                                         description="Relative to the indexed head's time: upcoming, ongoing, past")]


def _cancelled(community: str, activity_id_column):
    return exists().where(ActivityCancellation.community == community,
                          ActivityCancellation.activity_id == activity_id_column)


def _approved(community: str, activity_id_column):
    return exists().where(ActivityApproval.community == community, ActivityApproval.activity_id == activity_id_column)


def _status_filter(community: str, table, status: str):
    cancelled = _cancelled(community, table.c.activity_id)
    if status == "cancelled":
        return cancelled
    opened = or_(table.c.status == OPEN, _approved(community, table.c.activity_id))
    return and_(not_(cancelled), opened if status == "open" else not_(opened))


def _phase_filter(table, phase: str, now: int):
    if phase == "upcoming":
        return table.c.starts_at > now
    if phase == "ongoing":
        return and_(table.c.starts_at <= now, table.c.ends_at > now)
    return table.c.ends_at <= now


def phase_of(starts_at: int, ends_at: int, now: int) -> str:
    return "upcoming" if now < starts_at else "ongoing" if now < ends_at else "past"


def _by_activity(session: Session, query, ids: list[int]) -> dict[int, tuple]:
    return {row[0]: tuple(row[1:]) for row in session.execute(query)} if ids else {}


def _activities(session: Session, community: str, rows: list[Any], now: int) -> list[dict[str, Any]]:
    """Activity items for creation rows, with status, counts and feedback (one query each)."""
    ids = [r["activity_id"] for r in rows]
    approvals = _by_activity(session, select(
        ActivityApproval.activity_id, ActivityApproval.approved_by, ActivityApproval.block_number)
        .where(ActivityApproval.community == community, ActivityApproval.activity_id.in_(ids)), ids)
    cancellations = _by_activity(session, select(
        ActivityCancellation.activity_id, ActivityCancellation.cancelled_by, ActivityCancellation.reason_hash,
        ActivityCancellation.block_number).where(ActivityCancellation.community == community,
                                                 ActivityCancellation.activity_id.in_(ids)), ids)
    places = _by_activity(session, select(
        SignUp.activity_id, func.sum(case((SignUp.cancelled == false(), 1), else_=-1)))
        .where(SignUp.community == community, SignUp.activity_id.in_(ids)).group_by(SignUp.activity_id), ids)
    attendance = _by_activity(session, select(CheckIn.activity_id, func.count(), func.sum(CheckIn.points))
                              .where(CheckIn.community == community, CheckIn.activity_id.in_(ids))
                              .group_by(CheckIn.activity_id), ids)
    feedback = _by_activity(session, select(
        ActivityFeedback.activity_id, func.count(), func.sum(ActivityFeedback.score))
        .where(ActivityFeedback.community == community, ActivityFeedback.activity_id.in_(ids))
        .group_by(ActivityFeedback.activity_id), ids)
    out = []
    for r in rows:
        activity_id = r["activity_id"]
        approval = approvals.get(activity_id)
        cancellation = cancellations.get(activity_id)
        code = CANCELLED if cancellation else OPEN if (r["status"] == OPEN or approval) else PROPOSED
        checked_in, awarded = attendance.get(activity_id, (0, 0))
        count, total = feedback.get(activity_id, (0, 0))
        out.append({
            "activity_id": activity_id, "title": r["title"], "description_hash": r["description_hash"],
            "organiser": r["organiser"], "created_by": r["created_by"], "proposed": r["status"] == PROPOSED,
            "starts_at": r["starts_at"], "ends_at": r["ends_at"], "capacity": r["capacity"], "points": r["points"],
            "status": STATUS_NAMES[code], "status_code": code, "phase": phase_of(r["starts_at"], r["ends_at"], now),
            "signed_up": int(places.get(activity_id, (0,))[0] or 0), "checked_in": int(checked_in),
            "points_awarded": int(awarded or 0), "feedback_count": int(count), "feedback_sum": int(total or 0),
            "feedback_average": round(int(total) / int(count), 4) if count else None,
            "created_block": r["block_number"], "created_tx": r["tx_hash"], "created_at": r["block_timestamp"],
            "approved_by": approval[0] if approval else None, "approved_block": approval[1] if approval else None,
            "cancelled_by": cancellation[0] if cancellation else None,
            "cancellation_reason_hash": cancellation[1] if cancellation else None,
            "cancelled_block": cancellation[2] if cancellation else None,
        })
    return out


def _creation(session: Session, community: str, activity_id: int):
    table = Activity.__table__
    return session.execute(select(table).where(table.c.community == community, table.c.activity_id == activity_id)
                           ).mappings().first()


def _require_activity(session: Session, ctx: CommunityContext, activity_id: int):
    require_contract(ctx, ACTIVITIES)
    row = _creation(session, ctx.community, activity_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"activity {activity_id} is not known")
    return row


def _count(session: Session, model, *conditions) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


@router.get("/communities/{community}/activities/summary", response_model=ActivitiesSummaryOut,
            summary="Activities at a glance: the points maximum, counts by status and phase, attendance")
def activities_summary(ctx: CommunityDep, session: SessionDep):
    address = require_contract(ctx, ACTIVITIES)
    c = ctx.community
    now = head_timestamp(session, ctx)
    table = Activity.__table__
    max_points = session.scalar(
        select(MaxPointsChange.max_points).where(MaxPointsChange.community == c)
        .order_by(MaxPointsChange.block_number.desc(), MaxPointsChange.log_index.desc()).limit(1))
    by_status = {name: _count(session, table, table.c.community == c, _status_filter(c, table, name))
                 for name in STATUS_CODES}
    opened = _status_filter(c, table, "open")
    by_phase = {phase: _count(session, table, table.c.community == c, opened, _phase_filter(table, phase, now))
                for phase in ("upcoming", "ongoing", "past")}
    places = session.scalar(select(func.coalesce(func.sum(case((SignUp.cancelled == false(), 1), else_=-1)), 0))
                            .where(SignUp.community == c))
    check_ins, awarded = session.execute(select(func.count(), func.coalesce(func.sum(CheckIn.points), 0))
                                         .where(CheckIn.community == c)).one()
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(ActivityFeedback.score), 0))
                                   .where(ActivityFeedback.community == c)).one()
    return {"activities_contract": address, "max_points": int(max_points or 0),
            "activities": _count(session, table, table.c.community == c), "by_status": by_status,
            "by_phase": by_phase, "sign_ups": int(places or 0), "check_ins": int(check_ins),
            "points_awarded": int(awarded), "feedback_count": int(count),
            "feedback_average": round(int(total) / int(count), 4) if count else None, **ctx.position()}


@router.get("/communities/{community}/activities", response_model=Page[ActivityOut],
            summary="Activities by status (proposed, open, cancelled), phase (upcoming, ongoing, past) and organiser")
def activities(ctx: CommunityDep, session: SessionDep, limit: LimitDep, status: StatusQuery = None,
               phase: PhaseQuery = None, organiser: AddressQuery = None, cursor: CursorQuery = None,
               order: OrderQuery = "asc"):
    require_contract(ctx, ACTIVITIES)
    c = ctx.community
    now = head_timestamp(session, ctx)
    table = Activity.__table__
    filters = []
    if status is not None:
        filters.append(_status_filter(c, table, status))
    if phase is not None:
        filters.append(_phase_filter(table, phase, now))
    if organiser is not None:
        filters.append(table.c.organiser == organiser.lower())
    page = event_page(session, table, ctx, filters=filters, cursor=cursor, order=order, limit=limit, to_item=dict)
    page["items"] = _activities(session, c, page["items"], now)
    return page


@router.get("/communities/{community}/activities/{activity_id}", response_model=ActivityDetail,
            summary="One activity: capacity, places taken, attendance, points, feedback")
def activity(ctx: CommunityDep, session: SessionDep, activity_id: ActivityIdPath):
    row = _require_activity(session, ctx, activity_id)
    [item] = _activities(session, ctx.community, [row], head_timestamp(session, ctx))
    return {**item, **ctx.position()}


def _latest_of_resident(community: str, table):
    """The row is a resident's newest sign-up or cancellation in its activity."""
    later = SignUp.__table__.alias("later")
    return not_(exists().where(
        later.c.community == community, later.c.activity_id == table.c.activity_id,
        later.c.resident == table.c.resident,
        or_(later.c.block_number > table.c.block_number,
            and_(later.c.block_number == table.c.block_number, later.c.log_index > table.c.log_index))))


@router.get("/communities/{community}/activities/{activity_id}/sign-ups", response_model=Page[SignUpOut],
            summary="Residents holding a place now, in the order they signed up")
def sign_ups(ctx: CommunityDep, session: SessionDep, limit: LimitDep, activity_id: ActivityIdPath,
             cursor: CursorQuery = None, order: OrderQuery = "asc"):
    _require_activity(session, ctx, activity_id)
    c = ctx.community
    table = SignUp.__table__
    page = event_page(session, table, ctx, filters=[table.c.activity_id == activity_id, table.c.cancelled == false(),
                                                    _latest_of_resident(c, table)],
                      cursor=cursor, order=order, limit=limit, to_item=dict)
    residents = [r["resident"] for r in page["items"]]
    attended = set(session.execute(select(CheckIn.attendee).where(
        CheckIn.community == c, CheckIn.activity_id == activity_id, CheckIn.attendee.in_(residents))).scalars()) \
        if residents else set()
    page["items"] = [{**event_position(r), "activity_id": r["activity_id"], "resident": r["resident"],
                      "signed_up_count": r["signed_up"], "checked_in": r["resident"] in attended}
                     for r in page["items"]]
    return page


def _check_in(row) -> dict:
    return {**event_position(row), "activity_id": row["activity_id"], "attendee": row["attendee"],
            "checked_in_by": row["checked_in_by"], "by_code": row["by_code"], "points": row["points"]}


@router.get("/communities/{community}/activities/{activity_id}/attendance", response_model=Page[CheckInOut],
            summary="Check-ins of an activity, by the organiser or with a signed code")
def attendance(ctx: CommunityDep, session: SessionDep, limit: LimitDep, activity_id: ActivityIdPath,
               cursor: CursorQuery = None, order: OrderQuery = "asc"):
    _require_activity(session, ctx, activity_id)
    table = CheckIn.__table__
    return event_page(session, table, ctx, filters=[table.c.activity_id == activity_id], cursor=cursor, order=order,
                      limit=limit, to_item=_check_in)


@router.get("/communities/{community}/activities/{activity_id}/feedback", response_model=Page[FeedbackOut],
            summary="Attendees' scores (1-5) and text hashes")
def feedback(ctx: CommunityDep, session: SessionDep, limit: LimitDep, activity_id: ActivityIdPath,
             cursor: CursorQuery = None, order: OrderQuery = "asc"):
    _require_activity(session, ctx, activity_id)
    table = ActivityFeedback.__table__
    return event_page(session, table, ctx, filters=[table.c.activity_id == activity_id], cursor=cursor, order=order,
                      limit=limit, to_item=lambda r: {**event_position(r), "activity_id": r["activity_id"],
                                                      "attendee": r["attendee"], "score": r["score"],
                                                      "text_hash": r["text_hash"]})


@router.get("/communities/{community}/residents/{wallet}/activities", response_model=Page[ParticipationOut],
            summary="A wallet's activities: place held, attendance, points earned, feedback")
def participation(ctx: CommunityDep, session: SessionDep, limit: LimitDep, wallet: AddressPath,
                  cursor: CursorQuery = None, order: OrderQuery = "asc"):
    require_contract(ctx, ACTIVITIES)
    c, who = ctx.community, wallet.lower()
    now = head_timestamp(session, ctx)
    table = SignUp.__table__
    page = event_page(session, table, ctx, filters=[table.c.resident == who, _latest_of_resident(c, table)],
                      cursor=cursor, order=order, limit=limit, to_item=dict)
    ids = [r["activity_id"] for r in page["items"]]
    created = {r["activity_id"]: r for r in session.execute(
        select(Activity.__table__).where(Activity.community == c, Activity.activity_id.in_(ids))).mappings()} \
        if ids else {}
    states = {item["activity_id"]: item for item in _activities(session, c, list(created.values()), now)}
    checks = _by_activity(session, select(CheckIn.activity_id, CheckIn.by_code, CheckIn.points).where(
        CheckIn.community == c, CheckIn.attendee == who, CheckIn.activity_id.in_(ids)), ids)
    scores = _by_activity(session, select(ActivityFeedback.activity_id, ActivityFeedback.score,
                                          ActivityFeedback.text_hash).where(
        ActivityFeedback.community == c, ActivityFeedback.attendee == who, ActivityFeedback.activity_id.in_(ids)), ids)
    items = []
    for r in page["items"]:
        state = states[r["activity_id"]]
        check = checks.get(r["activity_id"])
        score = scores.get(r["activity_id"])
        items.append({**event_position(r), "activity_id": r["activity_id"], "title": state["title"],
                      "starts_at": state["starts_at"], "ends_at": state["ends_at"], "status": state["status"],
                      "phase": state["phase"], "signed_up": not r["cancelled"], "checked_in": check is not None,
                      "by_code": check[0] if check else None, "points_earned": int(check[1]) if check else 0,
                      "feedback_score": score[0] if score else None, "feedback_text_hash": score[1] if score else None})
    page["items"] = items
    return page


def activity_counts(session: Session, ctx: CommunityContext) -> dict[str, int]:
    """Activities and the open ones not started yet (0 without CommunityActivities), for the summary."""
    c = ctx.community
    table = Activity.__table__
    return {
        "activities": _count(session, table, table.c.community == c),
        "upcoming_activities": _count(session, table, table.c.community == c, _status_filter(c, table, "open"),
                                      _phase_filter(table, "upcoming", head_timestamp(session, ctx))),
    }
