"""Residents' suggestions (SuggestionBox): each with its status history and how long
each answer took, and the handling statistics of the committee and the manager.

Every answer is an event carrying the seconds since submission (`elapsed`), so the
times below are the contract's own figures, not the index's clock.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.deps import (
    MAX_BLOCK,
    AddressQuery,
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
from backend.api.listing import event_position, head_timestamp, require_contract
from backend.api.schemas import Page
from backend.api.schemas_services import SuggestionDetail, SuggestionOut, SuggestionStatsOut
from backend.db.models import SuggestionAnswered, SuggestionRewardRateSet, SuggestionSubmitted

router = APIRouter(tags=["suggestions"])

BOX = "SuggestionBox"
ZERO_HASH = "0x" + "00" * 32
STATUSES = {1: "submitted", 2: "received", 3: "accepted", 4: "in_progress", 5: "done", 6: "declined"}
STATUS_CODES = {name: code for code, name in STATUSES.items()}
SUBMITTED, ACCEPTED, DONE, DECLINED = 1, 3, 5, 6
CLOSED = (DONE, DECLINED)
MAX_TIME = 2**40

SuggestionIdPath = Annotated[int, Path(ge=1, le=MAX_BLOCK, description="Suggestion id (1, 2, …)")]
CategoryQuery = Annotated[int | None, Query(ge=1, le=255, description="Category (1-255, numbered off chain)")]
StatusQuery = Annotated[str | None, Query(pattern="^(" + "|".join(STATUSES.values()) + ")$",
                                          description="Current status: " + ", ".join(STATUSES.values()))]
TimeQuery = Annotated[int | None, Query(ge=0, le=MAX_TIME, description="Unix seconds (submission time)")]

S = SuggestionSubmitted.__table__
ANSWERS = SuggestionAnswered.__table__

CURRENT_STATUS = func.coalesce(
    select(ANSWERS.c.status).where(ANSWERS.c.community == S.c.community, ANSWERS.c.suggestion_id == S.c.suggestion_id)
    .order_by(ANSWERS.c.block_number.desc(), ANSWERS.c.log_index.desc()).limit(1).correlate(S).scalar_subquery(),
    SUBMITTED,
)


def _answers(session: Session, community: str, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        for row in session.execute(
            select(ANSWERS).where(ANSWERS.c.community == community, ANSWERS.c.suggestion_id.in_(ids[start:start + 500]))
            .order_by(ANSWERS.c.block_number, ANSWERS.c.log_index)
        ).mappings():
            found[row["suggestion_id"]].append(row)
    return found


def _elapsed_at(answers: list, statuses: tuple[int, ...]) -> int | None:
    return next((a["elapsed"] for a in answers if a["status"] in statuses), None)


def _suggestion_item(row, answers: list) -> dict[str, Any]:
    status = answers[-1]["status"] if answers else SUBMITTED
    responses = [a["response_hash"] for a in answers if a["response_hash"] != ZERO_HASH]
    return {
        **event_position(row), "suggestion_id": row["suggestion_id"], "submitter": row["submitter"],
        "category": row["category"], "text_hash": row["text_hash"], "submitted_at": row["submitted_at"],
        "status": STATUSES.get(status, str(status)), "status_code": status,
        "updated_at": answers[-1]["answered_at"] if answers else row["submitted_at"],
        "response_hash": responses[-1] if responses else None, "answers": len(answers),
        "time_to_first_answer": answers[0]["elapsed"] if answers else None,
        "time_to_close": _elapsed_at(answers, CLOSED),
        "points": sum(int(a["points"]) for a in answers),
    }


@router.get("/communities/{community}/suggestions", response_model=Page[SuggestionOut],
            summary="Suggestions, newest first, with their current status and handling times")
def suggestions(ctx: CommunityDep, session: SessionDep, limit: LimitDep, status: StatusQuery = None,
                category: CategoryQuery = None, submitter: AddressQuery = None, cursor: CursorQuery = None,
                order: OrderQuery = "desc"):
    require_contract(ctx, BOX)
    query = select(S).where(S.c.community == ctx.community)
    if status is not None:
        query = query.where(CURRENT_STATUS == STATUS_CODES[status])
    if category is not None:
        query = query.where(S.c.category == category)
    if submitter is not None:
        query = query.where(S.c.submitter == submitter.lower())
    condition = after_position(S, parse_cursor(cursor), order)
    if condition is not None:
        query = query.where(condition)
    rows = session.execute(query.order_by(*position_order(S, order)).limit(limit + 1)).mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    answers = _answers(session, ctx.community, [r["suggestion_id"] for r in rows])
    return {"items": [_suggestion_item(r, answers[r["suggestion_id"]]) for r in rows],
            "next_cursor": make_cursor(rows[-1]["block_number"], rows[-1]["log_index"]) if more else None,
            **ctx.position()}


def _durations(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "mean": None, "median": None, "p90": None, "max": None}
    ordered = sorted(values)
    return {"count": len(ordered), "mean": round(statistics.fmean(ordered), 3),
            "median": float(statistics.median(ordered)),
            "p90": float(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]), "max": ordered[-1]}


@router.get("/communities/{community}/suggestions/stats", response_model=SuggestionStatsOut,
            summary="How suggestions are handled: counts by status, times to first answer, acceptance, done, "
                    "decline")
def suggestion_stats(ctx: CommunityDep, session: SessionDep, category: CategoryQuery = None,
                     from_time: TimeQuery = None, to_time: TimeQuery = None):
    require_contract(ctx, BOX)
    c = ctx.community
    query = select(S.c.suggestion_id, S.c.category, S.c.submitted_at).where(S.c.community == c)
    answers_query = select(ANSWERS.c.suggestion_id, ANSWERS.c.status, ANSWERS.c.elapsed, ANSWERS.c.points) \
        .where(ANSWERS.c.community == c)
    if category is not None:
        query = query.where(S.c.category == category)
        answers_query = answers_query.where(ANSWERS.c.category == category)
    if from_time is not None:
        query = query.where(S.c.submitted_at >= from_time)
        answers_query = answers_query.where(ANSWERS.c.submitted_at >= from_time)
    if to_time is not None:
        query = query.where(S.c.submitted_at <= to_time)
        answers_query = answers_query.where(ANSWERS.c.submitted_at <= to_time)
    submitted = session.execute(query).all()
    answers: dict[int, list] = defaultdict(list)
    for row in session.execute(answers_query.order_by(ANSWERS.c.block_number, ANSWERS.c.log_index)).all():
        answers[row.suggestion_id].append(row)
    now = head_timestamp(session, ctx)
    by_status: dict[str, int] = defaultdict(int)
    first, accepted, done, declined = [], [], [], []
    per_category: dict[int, dict[str, Any]] = {}
    open_ages = []
    points = 0
    for suggestion_id, cat, submitted_at in submitted:
        history = answers.get(suggestion_id, [])
        status = history[-1].status if history else SUBMITTED
        by_status[STATUSES.get(status, str(status))] += 1
        points += sum(int(a.points) for a in history)
        if history:
            first.append(int(history[0].elapsed))
        times = {a.status: int(a.elapsed) for a in reversed(history)}  # the first time each status was entered
        if ACCEPTED in times:
            accepted.append(times[ACCEPTED])
        if DONE in times:
            done.append(times[DONE])
        if DECLINED in times:
            declined.append(times[DECLINED])
        if status not in CLOSED:
            open_ages.append(max(now - int(submitted_at), 0))
        entry = per_category.setdefault(cat, {"category": cat, "submitted": 0, "open": 0, "done": 0, "declined": 0,
                                              "first": []})
        entry["submitted"] += 1
        entry["open"] += status not in CLOSED
        entry["done"] += status == DONE
        entry["declined"] += status == DECLINED
        if history:
            entry["first"].append(int(history[0].elapsed))
    decided = len(accepted) + len(declined)
    reward_rate = session.execute(
        select(SuggestionRewardRateSet.rate).where(SuggestionRewardRateSet.community == c)
        .order_by(SuggestionRewardRateSet.block_number.desc(), SuggestionRewardRateSet.log_index.desc()).limit(1)
    ).scalar()
    return {
        "submitted": len(submitted), "by_status": dict(sorted(by_status.items())), "open": len(open_ages),
        "oldest_open_age": max(open_ages) if open_ages else None,
        "unanswered": sum(1 for s in submitted if not answers.get(s.suggestion_id)),
        "time_to_first_answer": _durations(first), "time_to_acceptance": _durations(accepted),
        "time_to_done": _durations(done), "time_to_decline": _durations(declined),
        "acceptance_rate": round(len(accepted) / decided, 6) if decided else None,
        "points_awarded": points, "reward_rate": int(reward_rate or 0),
        "by_category": [{"category": e["category"], "submitted": e["submitted"], "open": e["open"], "done": e["done"],
                         "declined": e["declined"],
                         "median_time_to_first_answer": float(statistics.median(e["first"])) if e["first"] else None}
                        for _, e in sorted(per_category.items())],
        **ctx.position(),
    }


@router.get("/communities/{community}/suggestions/{suggestion_id}", response_model=SuggestionDetail,
            summary="One suggestion with its full status history and handling times")
def suggestion(ctx: CommunityDep, session: SessionDep, suggestion_id: SuggestionIdPath):
    require_contract(ctx, BOX)
    row = session.execute(select(S).where(S.c.community == ctx.community, S.c.suggestion_id == suggestion_id)
                          .order_by(S.c.block_number).limit(1)).mappings().first()
    if row is None:
        raise HTTPException(status_code=404, detail=f"suggestion {suggestion_id} is not known")
    answers = _answers(session, ctx.community, [suggestion_id])[suggestion_id]
    item = _suggestion_item(row, answers)
    closed_after = item["time_to_close"]
    age = closed_after if closed_after is not None else max(head_timestamp(session, ctx) - row["submitted_at"], 0)
    return {
        **item, "age": age, "time_to_acceptance": _elapsed_at(answers, (ACCEPTED,)),
        "history": [{**event_position(a), "answered_by": a["answered_by"],
                     "previous_status": STATUSES.get(a["previous_status"], str(a["previous_status"])),
                     "status": STATUSES.get(a["status"], str(a["status"])),
                     "response_hash": None if a["response_hash"] == ZERO_HASH else a["response_hash"],
                     "answered_at": a["answered_at"], "elapsed": a["elapsed"], "points": int(a["points"])}
                    for a in answers],
        **ctx.position(),
    }
