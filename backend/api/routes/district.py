"""The street office's view (issue 22): every community the index holds, side by side,
with the district's total, and the flags where a community departs from its own history
or from the district.

The communities are the index's `communities` table: the district indexer
(backend/indexer/district.py) writes one row for each community the registry lists, as
the per-community indexer does for its own.

Each figure is the one the community's own route gives, computed by the same function:

- fees: `fees.unit_statements` (what the unit statement route answers) of every
  registered unit: a unit is paid up when it has no overdue month; the collection rate
  is the share of units paid up; the arrears are the statements' totals of the units
  that are not; and `fees.treasury` (fees collected, public income received; paid out =
  received less the public-income balance);
- suggestions: `suggestions.suggestion_stats` (received; answered = with at least one
  answer; median time to the first answer);
- activities: `activities.activities_summary` (activities, sign-ups, check-ins);
- assemblies: the contract's own final tallies (ProposalTallied), summed in SQL: held,
  passed, and turnout by area and by heads pooled over the proposals;
- points: issued (PointsMinted) and redeemed at merchants (PointsRedeemed), summed in SQL.

Left for later, and why: the maintenance fund's figures (the treasury route has them,
the street office did not ask), service-market and culture figures (no agreed measure
of "activity" there yet), and a per-month history of these figures (the index keeps the
events; a month filter on each reused route is the next step). Collection per amount
rather than per unit needs the statement of every unit at every month, which no route
computes yet.

A community the registry retired (the district indexer records the retirement in
`district_listings`, from final blocks, undone if a reorganisation removes it) stays in
the table, marked `retired` with the block, because the street office should still see
what it had and that it was retired; but it counts in no total, raises no flag and is not
ranked: the district today is the communities listed now. A community is retired when
every registry entry of it is (one listed again under a new id is not). Each row carries
the street its entry names; a community no district registry lists (indexed from its own
manifest) has no street and is never retired.

The ranking (`/district/ranking`) scores each community listed now from the table's own
figures (the same function, `district_table`): see RANKING_PARTS for the parts, their
weights and how each figure is normalised.
"""

from __future__ import annotations

import itertools
import logging
import statistics
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from sqlalchemy import and_, case, func, not_, select
from sqlalchemy.orm import Session

from backend.api.deps import ADDRESS_PATTERN, CommunityContext, SessionDep, community_context
from backend.api.errors import errors
from backend.api.listing import csv_response, head_timestamp
from backend.api.routes import activities as activity_routes
from backend.api.routes import fees as fee_routes
from backend.api.routes import suggestions as suggestion_routes
from backend.api.schemas_district import (
    DistrictCommunitiesOut,
    DistrictFlagsOut,
    DistrictRankingOut,
    DistrictSatisfactionOut,
)
from backend.db.models import (
    Checkpoint,
    CommunityRecord,
    DistrictListing,
    Expense,
    PointsMint,
    PointsRedemption,
    ProposalResult,
    RawEvent,
    ServiceRating,
    SuggestionAnswered,
    SuggestionSubmitted,
    Unit,
)

router = APIRouter(tags=["district"])
log = logging.getLogger(__name__)

ASSEMBLY = "OwnersAssembly"
NO_DISTRICT = errors(404, e404="The `district` asked for: the index holds no entry of it")
CSV_RESPONSE = {200: {"content": {"text/csv": {}, "application/json": {}},
                      "description": "The table (JSON), or CSV with a header row and the district's total last"},
                **NO_DISTRICT}

# ---------------------------------------------------------------- flag thresholds
# An expense category's spending in a month above this many times the median of its
# spending in the EXPENSE_TRAILING_MONTHS before (months without spending count as 0;
# a median of 0 has nothing to compare with and raises no flag).
EXPENSE_SPIKE_FACTOR = 3
EXPENSE_TRAILING_MONTHS = 6
# A fee collection rate more than this many percentage points below the district's
# median rate (the median over the communities that bill fees).
COLLECTION_GAP_POINTS = 20
# Suggestions with no answer at all, submitted more than BACKLOG_AGE_DAYS before the
# index's "now": a flag when there are more than BACKLOG_MAX of them.
BACKLOG_AGE_DAYS = 30
BACKLOG_MAX = 2
# The property service's rating in the latest month rated (with at least
# SATISFACTION_MIN_RATINGS ratings) more than SATISFACTION_DROP_POINTS below the median of
# the averages of the SATISFACTION_TRAILING_MONTHS months before it that were rated (at least
# SATISFACTION_MIN_HISTORY of them: a community's first months have no history to drop from).
SATISFACTION_DROP_POINTS = 1.0
SATISFACTION_MIN_RATINGS = 3
SATISFACTION_TRAILING_MONTHS = 6
SATISFACTION_MIN_HISTORY = 3
DAY = 86_400

FormatQuery = Annotated[str, Query(alias="format", pattern="^(json|csv)$", description="json (default) or csv")]
DistrictQuery = Annotated[str | None, Query(pattern=ADDRESS_PATTERN, description=(
    "A district registry's address: only the communities it lists, with its own entries' street and "
    "retirement (404 if the index holds no entry of it); default every community in the index"))]


def _lower(address: str | None) -> str | None:
    return None if address is None else address.lower()
MonthQuery = Annotated[int | None, Query(ge=EXPENSE_TRAILING_MONTHS, le=fee_routes.MAX_MONTH,
                                         description="Month index (year * 12 + month - 1) the expense flags look at; "
                                                     "default each community's current month")]

FIGURES = ["units", "units_paid_up", "fee_collection_rate", "units_in_arrears", "arrears", "fees_collected",
           "public_income_received", "public_income_paid_out", "maintenance_fund_balance", "maintenance_fund_used",
           "maintenance_fund_used_emergency", "satisfaction_average", "satisfaction_period", "satisfaction_ratings",
           "suggestions_received", "suggestions_answered",
           "suggestions_median_time_to_first_answer", "assemblies_held", "assemblies_passed", "assembly_turnout_area",
           "assembly_turnout_heads", "activities", "activity_sign_ups", "activity_check_ins", "points_issued",
           "points_redeemed"]
ALWAYS = ("units", "points_issued", "points_redeemed")  # need no contract beyond the registry and points
# Figures the district's total sums (the rates and medians are recomputed from the pooled figures).
SUMMED = [name for name in FIGURES if name not in ("fee_collection_rate", "suggestions_median_time_to_first_answer",
                                                   "assembly_turnout_area", "assembly_turnout_heads",
                                                   "satisfaction_average", "satisfaction_period")]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def _has(ctx: CommunityContext, contract: str) -> bool:
    return bool((ctx.record.contracts or {}).get(contract))


def _positions(session: Session) -> list[tuple]:
    """Every community the index holds with its checkpoint: (community, block, finalized
    block, written at), plain tuples in one query."""
    return [tuple(row) for row in session.execute(
        select(CommunityRecord.community, Checkpoint.block_number, Checkpoint.finalized_block,
               Checkpoint.updated_at)
        .outerjoin(Checkpoint, and_(Checkpoint.community == CommunityRecord.community,
                                    Checkpoint.chain_id == CommunityRecord.chain_id))
        .order_by(CommunityRecord.community)
    )]


def _contexts(records: dict, session: Session, rows: list[tuple]) -> list[CommunityContext]:
    """Every community the index holds with its position (`rows` of `_positions`; the
    records, which never change, are kept per app as `community_context` keeps them): with
    50 communities a query each was most of what a cached table's answer cost."""
    contexts = []
    for key, block, finalized, written_at in rows:
        record = records.get(key)
        if record is None:  # first seen: read (and keep) its record
            contexts.append(community_context(session, key, records))
        elif block is None:
            contexts.append(CommunityContext(key, record, record.deploy_block - 1, 0))
        else:
            contexts.append(CommunityContext(key, record, block, finalized, written_at))
    return contexts


def _listing_rows(session: Session, district: str | None = None) -> list[tuple]:
    """The district registries' entries (`district`'s alone when given), oldest first:
    (community, street, retired block, retired note hash), plain tuples."""
    query = select(DistrictListing.community, DistrictListing.street, DistrictListing.retired_block,
                   DistrictListing.retired_reason_hash)
    if district is not None:
        query = query.where(DistrictListing.district == district)
    return [tuple(row) for row in session.execute(query.order_by(
        DistrictListing.block_number, DistrictListing.chain_id, DistrictListing.district,
        DistrictListing.district_id))]


def _listings(rows: list[tuple]) -> dict[str, dict[str, Any]]:
    """Per community a district registry lists (`rows` of `_listing_rows`): its street (the
    newest entry's) and, when every entry of it is retired, the newest retirement's block
    and note hash."""
    listed: dict[str, dict[str, Any]] = {}
    for community, street, retired_block, reason_hash in rows:
        entry = listed.setdefault(community, {"street": street, "active": False, "retired_block": None,
                                              "retired_reason_hash": None})
        entry["street"] = street
        if retired_block is None:
            entry["active"] = True
        elif entry["retired_block"] is None or retired_block >= entry["retired_block"]:
            entry["retired_block"], entry["retired_reason_hash"] = retired_block, reason_hash
    return listed


def _retirement(listing: dict[str, Any] | None) -> dict[str, Any]:
    retired = listing is not None and not listing["active"]
    return {"street": listing["street"] if listing else None, "retired": retired,
            "retired_block": listing["retired_block"] if retired else None,
            "retired_reason_hash": listing["retired_reason_hash"] if retired else None}


# ---------------------------------------------------------------- one community's figures


FEE_FIGURES = ("units_paid_up", "fee_collection_rate", "units_in_arrears", "arrears", "fees_collected",
               "public_income_received", "public_income_paid_out", "maintenance_fund_balance", "maintenance_fund_used",
               "maintenance_fund_used_emergency", "satisfaction_average", "satisfaction_period",
               "satisfaction_ratings", "satisfaction_sum")


def _fee_figures(session: Session, ctx: CommunityContext) -> dict[str, Any]:
    if not _has(ctx, fee_routes.FEES):
        return dict.fromkeys(FEE_FIGURES)
    statements = list(fee_routes.unit_statements(session, ctx).values())
    behind = [s for s in statements if s["months_overdue"] > 0]
    book = fee_routes.treasury(ctx, session)
    received = book["public_income_received"]
    return {"units_paid_up": len(statements) - len(behind),
            "fee_collection_rate": _percent(len(statements) - len(behind), len(statements)),
            "units_in_arrears": len(behind), "arrears": sum(s["total"] for s in behind),
            "fees_collected": book["fees_collected"], "public_income_received": received,
            "public_income_paid_out": received - book["balances"]["public_income"],
            "maintenance_fund_balance": book["balances"]["maintenance_fund"],
            "maintenance_fund_used": book["maintenance_paid_out"],
            "maintenance_fund_used_emergency": book["emergency"]["paid_out"],
            **_latest_satisfaction(_satisfaction_months(session, ctx.community))}


def _satisfaction_months(session: Session, community: str, up_to: int | None = None) -> list[tuple[int, int, int]]:
    """(month, ratings, sum of scores) of each month the property service was rated, oldest first."""
    query = select(ServiceRating.period, func.count(), func.sum(ServiceRating.score)) \
        .where(ServiceRating.community == community)
    if up_to is not None:
        query = query.where(ServiceRating.period <= up_to)
    return [(int(p), int(n), int(total)) for p, n, total in
            session.execute(query.group_by(ServiceRating.period).order_by(ServiceRating.period)).all()]


def _latest_satisfaction(months: list[tuple[int, int, int]]) -> dict[str, Any]:
    if not months:
        return {"satisfaction_average": None, "satisfaction_period": None, "satisfaction_ratings": 0,
                "satisfaction_sum": 0}
    month, count, total = months[-1]
    return {"satisfaction_average": round(total / count, 2), "satisfaction_period": month,
            "satisfaction_ratings": count, "satisfaction_sum": total}


def _suggestion_figures(session: Session, ctx: CommunityContext) -> dict[str, Any]:
    if not _has(ctx, suggestion_routes.BOX):
        return dict.fromkeys(("suggestions_received", "suggestions_answered",
                              "suggestions_median_time_to_first_answer"))
    stats = suggestion_routes.suggestion_stats(ctx, session)
    return {"suggestions_received": stats["submitted"],
            "suggestions_answered": stats["submitted"] - stats["unanswered"],
            "suggestions_median_time_to_first_answer": stats["time_to_first_answer"]["median"]}


def _activity_figures(session: Session, ctx: CommunityContext) -> dict[str, Any]:
    if not _has(ctx, activity_routes.ACTIVITIES):
        return dict.fromkeys(("activities", "activity_sign_ups", "activity_check_ins"))
    summary = activity_routes.activities_summary(ctx, session)
    return {"activities": summary["activities"], "activity_sign_ups": summary["sign_ups"],
            "activity_check_ins": summary["check_ins"]}


def _assembly_sums(session: Session, community: str) -> dict[str, int]:
    """One community's proposals the contract tallied (its latest tally of each), passed,
    and the area and heads that took part against the totals.

    One community at a time, kept with its checkpoint like its other own figures: over
    every community at once, each rebuild sorted every tally of the district (all the
    rows' columns) to find each proposal's latest, whichever community had moved; for one
    community the rows come from the (community, …) index and only a moved community's
    are read again."""
    r = ProposalResult
    latest = func.row_number().over(partition_by=r.proposal_id,
                                    order_by=(r.block_number.desc(), r.log_index.desc())).label("latest")
    ranked = select(r.passed, (r.for_area + r.against_area + r.abstain_area).label("area"), r.total_area,
                    (r.for_heads + r.against_heads + r.abstain_heads).label("heads"), r.total_heads, latest) \
        .where(r.community == community).subquery()
    t = ranked.c
    n, p, a, ta, h, th = session.execute(
        select(func.count(), func.sum(case((t.passed, 1), else_=0)), func.sum(t.area), func.sum(t.total_area),
               func.sum(t.heads), func.sum(t.total_heads)).where(t.latest == 1)).one()
    return {"held": int(n), "passed": int(p or 0), "area": int(a or 0), "total_area": int(ta or 0),
            "heads": int(h or 0), "total_heads": int(th or 0)}


def _sum_of(session: Session, column, community: str) -> int:
    return int(session.scalar(select(func.sum(column)).where(column.table.c.community == community)) or 0)


def _assembly_figures(ctx: CommunityContext, sums: dict[str, int] | None) -> dict[str, Any]:
    if not _has(ctx, ASSEMBLY):
        return dict.fromkeys(("assemblies_held", "assemblies_passed", "assembly_turnout_area",
                              "assembly_turnout_heads"))
    sums = sums or {"held": 0, "passed": 0, "area": 0, "total_area": 0, "heads": 0, "total_heads": 0}
    return {"assemblies_held": sums["held"], "assemblies_passed": sums["passed"],
            "assembly_turnout_area": _percent(sums["area"], sums["total_area"]),
            "assembly_turnout_heads": _percent(sums["heads"], sums["total_heads"])}


def _first_answer_times(session: Session, community: str) -> list[int]:
    """Every suggestion's time to its first answer in the community (for the district's median)."""
    first = func.row_number().over(
        partition_by=SuggestionAnswered.suggestion_id,
        order_by=(SuggestionAnswered.block_number, SuggestionAnswered.log_index)).label("first")
    ranked = select(SuggestionAnswered.elapsed, first).where(SuggestionAnswered.community == community).subquery()
    return [int(e) for e in session.execute(select(ranked.c.elapsed).where(ranked.c.first == 1)).scalars()]


# ---------------------------------------------------------------- kept answers
# Each answer (the table, the ranking, the flags of a month, the satisfaction over N
# months) is kept per app with the index version it was built at (every community's
# checkpoint and the listings, `_snapshot`). A request compares the version (two indexed
# queries) and:
# - the answer kept is for this version: answers it;
# - nothing kept under its key yet (the app's first request for it): builds it, and
#   requests arriving meanwhile wait for that build rather than build it again;
# - the answer kept is for an older version: answers it at once (each community's row
#   names its `indexed_block`, each answer its `indexed_blocks`) and asks for a rebuild
#   in the background, unless one is already asked for. No request pays for a rebuild.
# The rebuilds run one at a time in one thread per app, started when there is something
# to build and ended when there is not (no idle thread, none left behind); each opens
# its own session and reads the version again, so an answer is at most one rebuild behind
# the index: a lone reader after the index moved gets the answer before, and once the
# rebuild its request started has ended (milliseconds to a second or two), the new one.
# A rebuild competes with the requests for the interpreter (the GIL): on a moving chain
# every block moves every community's checkpoint, and rebuilding each answer after each
# block took the requests' p99 from 30 to 790 ms at 50 communities. So the thread is
# capped: an answer is rebuilt at most once every `district_rebuild_interval_s` (the
# head moves in between coalesce: the rebuild reads the index as it is when it runs),
# and after each rebuild the thread rests so that it uses at most `district_rebuild_share`
# of a core (a rebuild of t seconds of its CPU, then (1/share - 1) × t of rest: its CPU,
# not its wall time, which a busy machine stretches); it also yields between communities.
# The answers due together are rebuilt in one pass from one snapshot, so the table they
# are made from is built once for them all, not once per answer.
# A request arriving while its answer is being rebuilt marks it to be rebuilt again after,
# so a burst of moves converges to the index's last version without another reader.
# The app's lifespan closes them at shutdown (`close`): no rebuild starts after, the one
# running is waited for. Several API workers each keep their own answers.
# Instead of a reader's request, a task following the checkpoints could start the
# rebuilds; it would rebuild for nobody when no one reads, in every worker, and a reader
# still has to compare the version to know how old its answer is, so it is not here.
KEEP_MAX = 64  # answers kept per app (a `month` or `months` asked for is a key of its own)
REBUILD_JOIN_S = 60.0  # at shutdown, the longest wait for the rebuild running


class Snapshot:
    """The index version, and what it was read from: the communities' contexts and the
    listings are made from the version's rows only when an answer is built, so a request
    answered from what is kept reads two small queries' plain rows and makes nothing else
    (at 200 communities the objects made per request were most of a kept answer's cost)."""

    def __init__(self, version: tuple, records: dict, session: Session, positions: list[tuple],
                 listing_rows: list[tuple], district: str | None = None, read: int = 0) -> None:
        self.version = version
        self.read = read  # its place in the order the snapshots were read (`DistrictAnswers.keep`)
        self.district = district  # the district registry asked for; None: every community in the index
        self._records, self._session = records, session
        self._positions, self._listing_rows = positions, listing_rows
        self._contexts: list[CommunityContext] | None = None
        self._listings: dict[str, dict[str, Any]] | None = None

    @property
    def listings(self) -> dict[str, dict[str, Any]]:
        if self._listings is None:
            self._listings = _listings(self._listing_rows)
        return self._listings

    @property
    def contexts(self) -> list[CommunityContext]:
        if self._contexts is None:
            contexts = _contexts(self._records, self._session, self._positions)
            if self.district is not None:
                contexts = [ctx for ctx in contexts if ctx.community in self.listings]
            self._contexts = contexts
        return self._contexts


class DistrictAnswers:
    """The answers kept for one app, and its background rebuilds (see above)."""

    def __init__(self, sessionmaker, records: dict, *, interval_s: float = 1.0, share: float = 0.25,
                 first_wait_s: float = 1.0, retry_after_s: int = 2, clock=time.monotonic) -> None:
        self.sessionmaker = sessionmaker
        self.first_wait_s = first_wait_s  # a request waits this long for a first build running, then 503
        self.retry_after_s = retry_after_s
        self.records = records  # the app's community records (they never change)
        self.interval_s = interval_s  # an answer is rebuilt at most once in this many seconds
        self.share = share  # of the time, at most, the rebuild thread runs
        self.clock = clock
        self._next: dict[Any, float] = {}  # key -> when it may be rebuilt again
        self._rest_until = 0.0  # no rebuild starts before (the thread's rest after the last one)
        self._running: set = set()  # the keys being rebuilt
        self._again: set = set()  # keys asked for while being rebuilt: rebuilt once more after
        self.rows: dict[str, tuple[tuple, dict[str, Any]]] = {}  # community -> (its version, own figures)
        self._kept: OrderedDict[Any, tuple[tuple, Any]] = OrderedDict()
        self._read: dict[Any, int] = {}  # key -> the snapshot its kept answer was built from (`Snapshot.read`)
        self._pinned: set = set()  # the keys the app's start built: never evicted
        self._bodies: dict[Any, tuple[Any, bytes]] = {}  # key -> (the answer, its JSON), see `body`
        self._csvs: dict[Any, tuple[Any, Response]] = {}  # key -> (the answer, its CSV), see `csv`
        self._guard = threading.Lock()
        self._idle = threading.Condition(self._guard)
        self._first: dict[Any, threading.RLock] = {}  # key -> held during its first build (see `first`)
        self._queue: dict[Any, tuple] = {}  # key -> (make, district), in the order asked; stays until built
        self._worker: threading.Thread | None = None
        self._warmer: threading.Thread | None = None
        self._closed = False
        self.rebuilds = 0  # rebuilds run in the background (read by the tests)
        self.warmed_in: float | None = None  # seconds the build at the app's start took, once ended

    def kept(self, key: Any) -> tuple[tuple, Any] | None:
        with self._guard:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            return kept

    def keep(self, key: Any, version: tuple, answer: Any, read: int) -> None:
        """Keep `answer`, built from the snapshot `read` (its place in the order the
        snapshots were read), unless what is kept was built from a later one: a build that
        began before another (the app's start's, a request's) never replaces a newer answer."""
        with self._guard:
            if self._read.get(key, -1) > read:
                return
            self._kept[key], self._read[key] = (version, answer), read
            self._kept.move_to_end(key)
            while len(self._kept) > KEEP_MAX:
                # The oldest asked for goes, except the answers the app's start built (what
                # the district page asks first): a client asking for many months cannot push them out.
                evicted = next((k for k in self._kept if k not in self._pinned), None)
                if evicted is None:
                    break
                del self._kept[evicted]
                for held in (self._bodies, self._csvs, self._first, self._next, self._read):
                    held.pop(evicted, None)

    def clear(self) -> None:
        """Forget every answer (the bench's uncached profile)."""
        with self._guard:
            self._kept.clear()
            self._read.clear()
            self._bodies.clear()
            self._csvs.clear()
            self.rows.clear()

    def get(self, key: Any, snapshot: Snapshot, session: Session, make) -> tuple[tuple, Any]:
        """The answer under `key` with the version it was built for. `make(session, snapshot)`
        builds it; it must use only its arguments (it may run later, in the background)."""
        kept = self.kept(key)
        if kept is not None and kept[0] == snapshot.version:
            return kept
        if kept is None:
            with self.first(key):
                kept = self.kept(key)
                if kept is None:
                    kept = (snapshot.version, make(session, snapshot))
                    self.keep(key, *kept, snapshot.read)
            if kept[0] == snapshot.version:
                return kept
        self._ask(key, make, snapshot.district)
        return kept

    @contextmanager
    def first(self, key: Any):
        """Held while `key`'s first answer is built, so that requests arriving meanwhile do
        not build it again. One already running (the app's start's, another request's) is
        waited for a while, not for as long as it takes: at 200 communities the first table
        takes seconds, and each request waiting holds one of the few reads admitted at once,
        which the community routes need too. After `first_wait_s`, a 503 with Retry-After.
        Re-entrant: a build may need the table, whose first build its own thread runs."""
        with self._guard:
            lock = self._first.setdefault(key, threading.RLock())
        if not lock.acquire(timeout=self.first_wait_s):
            raise HTTPException(status_code=503, headers={"Retry-After": str(self.retry_after_s)},
                                detail="the district's figures are still being built (the API has just started): "
                                       "try again shortly")
        try:
            yield
        finally:
            lock.release()

    def warm(self, jobs: list[tuple[Any, Any, Any]]) -> None:
        """Build the answers of `jobs` ((key, make, render) each, every community in the
        index) in a thread of their own, as their first requests would have: at the app's
        start, off the request path. Requests for them meanwhile wait for it as for a first
        request's build (at most `first_wait_s`, then 503); `render(key, answer)` makes
        the answer's JSON (and CSV) ahead too. The keys are never evicted after."""
        with self._guard:
            if self._closed or self._warmer is not None:
                return
            self._pinned = {key for key, _, _ in jobs}
            locks = [self._first.setdefault(key, threading.RLock()) for key, _, _ in jobs]
            self._warmer = threading.Thread(target=self._warm, args=(jobs, locks, held := threading.Event()),
                                            name="district-warm")
        try:
            self._warmer.start()
        except RuntimeError:  # no thread to be had: the requests build their answers
            self._warmer = None
            raise
        # Every key's first lock is taken by the thread before the app serves: a request for
        # the flags during the table's build must not build the table a second time (the
        # flags are made from it).
        held.wait(REBUILD_JOIN_S)

    def _warm(self, jobs: list[tuple[Any, Any, Any]], locks: list[threading.RLock], held: threading.Event) -> None:
        began = self.clock()
        taken = [lock for lock in locks if lock.acquire(blocking=False)]
        held.set()
        try:
            if len(taken) < len(locks):  # a request is building one already (not at the app's start)
                return
            with self.sessionmaker() as session:
                snapshot = _snapshot(self, session)
                for (key, make, render), lock in zip(jobs, locks):
                    if self._closed:
                        break
                    kept = self.kept(key)
                    if kept is None:
                        kept = (snapshot.version, make(session, snapshot))
                        self.keep(key, *kept, snapshot.read)
                    taken.remove(lock)
                    lock.release()
                    render(key, kept[1])
        except Exception:  # the requests build what is missing, as without the warm-up
            log.exception("district: building the answers at the app's start failed")
        finally:
            for lock in taken:
                lock.release()
            self.warmed_in = self.clock() - began
            log.info("district: answers built at the app's start in %.2f s", self.warmed_in)

    def wait_warm(self, timeout: float) -> bool:
        """Wait for the build at the app's start, if one runs; False if `timeout` passed first."""
        warmer = self._warmer
        if warmer is not None:
            warmer.join(timeout)
            return not warmer.is_alive()
        return True

    def body(self, key: Any, answer: Any, model) -> Response:
        """The answer as JSON, validated by its response model once per answer kept rather
        than on every request (with 50 communities the table's validation and encoding cost
        more than the rest of a kept answer's request)."""
        with self._guard:
            made = self._bodies.get(key)
        if made is None or made[0] is not answer:
            made = (answer, model.model_validate(answer).model_dump_json().encode())
            with self._guard:
                if key in self._kept:
                    self._bodies[key] = made
        return Response(made[1], media_type="application/json")

    def csv(self, key: Any, table: dict[str, Any]) -> Response:
        """The district table as CSV, written once per table kept rather than on every
        request (200 communities' rows were a CSV request's cost)."""
        with self._guard:
            made = self._csvs.get(key)
        if made is None or made[0] is not table:
            made = (table, _csv(table))
            with self._guard:
                if key in self._kept:
                    self._csvs[key] = made
        rendered = made[1]
        return Response(rendered.body, media_type=rendered.media_type,
                        headers={"Content-Disposition": rendered.headers["content-disposition"]})

    def _ask(self, key: Any, make, district: str | None) -> None:
        with self._guard:
            if self._closed:
                return
            if key in self._running:  # it may have read the index before this move: once more after
                self._again.add(key)
                return
            if key in self._queue:
                return
            self._queue[key] = (make, district)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="district-rebuild")
                self._worker.start()
            else:
                self._idle.notify_all()  # a resting worker: this key may be due sooner

    def _due(self) -> list[tuple[Any, Any]] | None:
        """The keys asked for that may be rebuilt now, (key, make) each: the first one due
        and every other due of the same district (waiting, the guard held, for the thread's
        rest and the keys' interval); None when closed or nothing is asked for."""
        while not self._closed and self._queue:
            now = self.clock()
            when = {key: max(self._rest_until, self._next.get(key, 0.0)) for key in self._queue}
            first = min(when, key=when.get)  # dicts keep the order asked: the oldest of the earliest
            if when[first] <= now:
                district = self._queue[first][1]
                return [(key, make) for key, (make, of) in self._queue.items()
                        if when[key] <= now and of == district]
            self._idle.wait(when[first] - now)
        return None

    def _work(self) -> None:
        while True:
            with self._guard:
                due = self._due()
                if due is None:
                    self._queue.clear()
                    self._again.clear()
                    self._worker = None
                    self._idle.notify_all()
                    return
                district = self._queue[due[0][0]][1]
                self._running = {key for key, _ in due}
            cpu = time.thread_time()
            try:
                # One snapshot for every answer due: the table they are made from is built once
                # (`_table` keeps it for that version), not once per answer.
                with self.sessionmaker() as session:
                    snapshot = _snapshot(self, session, district)
                    for key, make in due:
                        try:
                            kept = self.kept(key)
                            if kept is None or kept[0] != snapshot.version:
                                self.keep(key, snapshot.version, make(session, snapshot), snapshot.read)
                                self.rebuilds += 1
                        except Exception:  # the next request asks again; the answer before is kept meanwhile
                            log.exception("district: rebuilding %r failed", key)
                        time.sleep(0)  # the requests waiting for the interpreter, between answers
            except Exception:  # the snapshot itself (the database, a district gone)
                log.exception("district: rebuilding %r failed", [key for key, _ in due])
            finally:
                ended, spent = self.clock(), time.thread_time() - cpu  # this thread's CPU, not the machine's load
                with self._guard:
                    self._running = set()
                    self._rest_until = ended + spent * (1 / self.share - 1)
                    for key, _ in due:
                        if key in self._kept:  # an evicted key leaves nothing behind
                            self._next[key] = ended + self.interval_s
                        if key in self._again:
                            self._again.discard(key)
                        else:
                            self._queue.pop(key, None)
                    self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no rebuild is asked for or running; False if `timeout` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._worker is None, timeout)

    def close(self) -> None:
        """No rebuild starts after this; the one running is waited for."""
        with self._guard:
            self._closed = True
            worker, warmer = self._worker, self._warmer
            self._idle.notify_all()  # a worker resting between rebuilds ends now
        for thread in (worker, warmer):
            if thread is not None and thread.ident is not None:
                thread.join(REBUILD_JOIN_S)


_answers_guard = threading.Lock()
_READS = itertools.count(1)  # the snapshots, numbered in the order they are read


def answers_of(app) -> DistrictAnswers:
    answers = getattr(app.state, "district_answers", None)
    if answers is None:
        with _answers_guard:
            answers = getattr(app.state, "district_answers", None)
            if answers is None:
                settings = app.state.settings
                answers = DistrictAnswers(app.state.sessionmaker, app.state.community_records,
                                          interval_s=settings.district_rebuild_interval_s,
                                          share=settings.district_rebuild_share,
                                          first_wait_s=settings.district_first_wait_s,
                                          retry_after_s=settings.api_retry_after_s)
                app.state.district_answers = answers
    return answers


def warm(app) -> None:
    """The app's start (its lifespan): build, in a thread, what the district page asks
    first (every community's table, its CSV, the ranking, this month's flags, a year's
    satisfaction) over every community in the index, so that no request pays for it. At
    200 communities a year old this first build took 8.5 s on PostgreSQL: the first
    reader waited for it, and the district page's requests behind it held the reads
    admitted at once."""
    answers = answers_of(app)

    def render(model):
        return lambda key, answer: answers.body(key, answer, model)

    def table(key, answer):
        answers.body(key, answer, DistrictCommunitiesOut)
        answers.csv(key, answer)

    answers.warm([(("communities", None), _table_maker(answers), table),
                  (("ranking", None), _ranking_maker(answers), render(DistrictRankingOut)),
                  (("flags", None, None), _flags_maker(answers, None), render(DistrictFlagsOut)),
                  (("satisfaction", SATISFACTION_MONTHS, None), _satisfaction_maker(answers, SATISFACTION_MONTHS),
                   render(DistrictSatisfactionOut))])


def close(app) -> None:
    """The app's shutdown (its lifespan): end the background rebuilds."""
    answers = getattr(app.state, "district_answers", None)
    if answers is not None:
        answers.close()


def _snapshot(answers: DistrictAnswers, session: Session, district: str | None = None) -> Snapshot:
    """The index's version and what it was read from: every community the index holds, or,
    for a `district`, the communities that registry lists (its entries alone say their
    street and retirement: two districts listing the same community are kept apart)."""
    read = next(_READS)  # taken before the index is read: a later number read it later
    positions, listing_rows = _positions(session), _listing_rows(session, district)
    if district is not None:
        if not listing_rows:
            raise HTTPException(status_code=404, detail=f"district {district} is not indexed here")
        listed = {row[0] for row in listing_rows}
        positions = [row for row in positions if row[0] in listed]
    # The rows themselves are the version: a checkpoint written (its time moves with every
    # write), a community or an entry added or retired changes them.
    version = ("district", district, tuple(positions), tuple(listing_rows))
    return Snapshot(version, answers.records, session, positions, listing_rows, district, read)


def _indexed_blocks(snapshot: Snapshot) -> dict[str, int]:
    return {ctx.community: ctx.indexed_block for ctx in snapshot.contexts}


def _own_version(session: Session, ctx: CommunityContext) -> tuple:
    """What one community's own figures depend on, read before them: its newest event (its
    position and block hash) and the month of its index's head.

    Every figure is made from the rows its events wrote, and only the dues (and the fee
    year) from the head's time, by the month. An event written moves the newest one; a
    reorganisation's rollback removes the events past the fork, so the newest is an earlier
    one, or one in a block of another hash; a range indexed again as it was leaves it as it
    was, and so are the figures. On a moving chain every block moved every community's
    checkpoint, and the version was the checkpoint: each rebuild read all 200 communities'
    figures again (about 40 ms each), and the answers were some 20 blocks behind the head."""
    newest = session.execute(
        select(RawEvent.block_number, RawEvent.log_index, RawEvent.block_hash)
        .where(RawEvent.community == ctx.community)
        .order_by(RawEvent.block_number.desc(), RawEvent.log_index.desc()).limit(1)).first()
    return (tuple(newest) if newest is not None else None, fee_routes.month_of(head_timestamp(session, ctx)))


def _own_figures(session: Session, ctx: CommunityContext) -> dict[str, Any]:
    """The figures read from one community's own rows: they change only when what
    `_own_version` reads does. With them, under "_kept" (no column of the table), what the
    district's total pools: the assembly sums and the suggestions' times to a first answer."""
    units = session.scalar(select(func.count()).select_from(Unit).where(Unit.community == ctx.community))
    assemblies = _assembly_sums(session, ctx.community)
    times = _first_answer_times(session, ctx.community) if _has(ctx, suggestion_routes.BOX) else []
    return {"units": int(units or 0), **_fee_figures(session, ctx), **_suggestion_figures(session, ctx),
            **_activity_figures(session, ctx), **_assembly_figures(ctx, assemblies),
            "points_issued": _sum_of(session, PointsMint.__table__.c.amount, ctx.community),
            "points_redeemed": _sum_of(session, PointsRedemption.__table__.c.amount, ctx.community),
            "_kept": {"assemblies": assemblies, "first_answer_times": times}}


def district_table(request: Request, session: Session, district: str | None = None) -> dict[str, Any]:
    """Each community's figures and the district's total (kept; see DistrictAnswers)."""
    answers = answers_of(request.app)
    return answers.get(("communities", district), _snapshot(answers, session, district), session,
                       _table_maker(answers))[1]


def _table_maker(answers: DistrictAnswers):
    def make(session: Session, snapshot: Snapshot) -> dict[str, Any]:
        return _build_table(answers, session, snapshot)
    return make


def _table(answers: DistrictAnswers, session: Session, snapshot: Snapshot) -> dict[str, Any]:
    """The table at `snapshot`'s version, for the answers built from it: the one kept if it
    is for that version, else built (and kept)."""
    key = ("communities", snapshot.district)
    kept = answers.kept(key)
    if kept is not None and kept[0] == snapshot.version:
        return kept[1]
    if kept is None:  # the table's first build: one at a time (the app's start's may be running)
        with answers.first(key):
            kept = answers.kept(key)
            if kept is not None and kept[0] == snapshot.version:
                return kept[1]
            table = _build_table(answers, session, snapshot)
            answers.keep(key, snapshot.version, table, snapshot.read)
            return table
    table = _build_table(answers, session, snapshot)
    answers.keep(key, snapshot.version, table, snapshot.read)
    return table


def _build_table(answers: DistrictAnswers, session: Session, snapshot: Snapshot) -> dict[str, Any]:
    """The district table at `snapshot`'s version.

    Each community's own figures (its unit statements above all, most of the cost) are kept
    with what they depend on (`_own_version`): when a block brings one community an event,
    only its figures are read again, not those of every community whose checkpoint moved
    past empty blocks; the sums over every community are a few grouped queries."""
    contexts, listings, rows = snapshot.contexts, snapshot.listings, answers.rows
    items, kept = [], {}
    for ctx in contexts:
        own, version = rows.get(ctx.community), _own_version(session, ctx)
        if own is None or own[0] != version:
            own = (version, _own_figures(session, ctx))
            rows[ctx.community] = own
            time.sleep(0)  # let the requests waiting for the interpreter run between communities
        figures = dict(own[1])
        kept[ctx.community] = figures.pop("_kept")
        items.append({"community": ctx.community, "name": ctx.record.name, "chain_id": ctx.record.chain_id,
                      **ctx.position(), **_retirement(listings.get(ctx.community)), **figures})
    return {"items": items, "district": _total(contexts, kept, items)}


def _total(contexts: list[CommunityContext], kept: dict[str, dict[str, Any]],
           all_items: list[dict[str, Any]]) -> dict[str, Any]:
    """The district's figures: the communities listed now (a retired one counts in none)."""
    items = [item for item in all_items if not item["retired"]]
    counted = {item["community"] for item in items}
    contexts = [ctx for ctx in contexts if ctx.community in counted]
    total: dict[str, Any] = {"communities": len(items), "retired": len(all_items) - len(items)}
    for name in SUMMED:
        values = [item[name] for item in items if item[name] is not None]
        # A figure every community has sums to 0 over none; one that needs a contract is
        # null when no community has the contract.
        total[name] = sum(values) if values or name in ALWAYS else None
    rated = [item for item in items if item["satisfaction_ratings"]]
    total["satisfaction_average"] = round(sum(item["satisfaction_sum"] for item in rated)
                                          / sum(item["satisfaction_ratings"] for item in rated), 2) if rated else None
    total["satisfaction_period"] = None
    billed = sum(item["units"] for item in items if item["units_paid_up"] is not None)
    total["fee_collection_rate"] = _percent(total["units_paid_up"] or 0, billed)
    times = [t for c in sorted(counted) for t in kept[c]["first_answer_times"]] \
        if total["suggestions_received"] is not None else []
    total["suggestions_median_time_to_first_answer"] = float(statistics.median(times)) if times else None
    pooled = [kept[ctx.community]["assemblies"] for ctx in contexts if _has(ctx, ASSEMBLY)]
    total["assembly_turnout_area"] = _percent(sum(s["area"] for s in pooled), sum(s["total_area"] for s in pooled))
    total["assembly_turnout_heads"] = _percent(sum(s["heads"] for s in pooled), sum(s["total_heads"] for s in pooled))
    return total


def _csv(table: dict[str, Any]) -> Response:
    header = ["community", "name", "street", "retired_block", "indexed_block", *FIGURES]
    rows = [[item["community"], item["name"], item["street"] or "", item["retired_block"] or "", item["indexed_block"],
             *("" if item[n] is None else item[n] for n in FIGURES)]
            for item in table["items"]]
    total = table["district"]
    rows.append(["district", f"{total['communities']} communities", "", "", "",
                 *("" if total[n] is None else total[n] for n in FIGURES)])
    return csv_response("district-communities.csv", header, rows)


@router.get("/district/communities", response_model=DistrictCommunitiesOut, responses=CSV_RESPONSE,
            summary="Every community in the index with its figures, and the district's total; ?format=csv for CSV")
def district_communities(request: Request, session: SessionDep, answer_format: FormatQuery = "json",
                          district: DistrictQuery = None):
    """Per community, by address: units; fee collection rate (units with no overdue month,
    percent) and arrears (what the units behind owe) from the unit statements; fees
    collected and public income received and paid out as its treasury counts them;
    suggestions received and answered and the median time to a first answer; assemblies
    held (tallied by the contract) and passed, turnout by area and by heads; activities,
    sign-ups and check-ins; points issued and redeemed. A figure is null where the
    community has no contract recording it. The district's row sums the figures of the
    communities listed now and computes its rates, turnouts and median from their pooled
    figures; a community the registry retired is listed with `retired` true and its
    retirement's block, and counts in no total. The CSV has the same columns (a retired
    community's row has its retirement block; the district's row is last).

    The maintenance fund: its balance (fee shares and deposits less what was paid out) and
    what was paid out of it, the emergency repairs apart. Satisfaction: the owners' average
    rating of the property service (1-5) in the latest month rated, that month and its
    ratings (the district's: pooled over each community's latest month; month by month in
    /district/satisfaction).

    Not yet here: service-market and culture figures."""
    answers, district = answers_of(request.app), _lower(district)
    table = district_table(request, session, district)
    return answers.csv(("communities", district), table) if answer_format == "csv" else \
        answers.body(("communities", district), table, DistrictCommunitiesOut)


@router.get("/district/communities.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "CSV with a header row, the district last"},
                       **NO_DISTRICT},
            summary="The district's table as CSV (by community address, the district's total last)")
def district_communities_csv(request: Request, session: SessionDep, district: DistrictQuery = None):
    district = _lower(district)
    return answers_of(request.app).csv(("communities", district), district_table(request, session, district))


# ---------------------------------------------------------------- flags


def _expense_flags(session: Session, contexts: list[CommunityContext], month: int | None) -> list[dict[str, Any]]:
    flags = []
    for ctx in contexts:
        if not _has(ctx, fee_routes.FEES):
            continue
        current = month if month is not None else fee_routes.month_of(head_timestamp(session, ctx))
        spent: dict[int, dict[int, int]] = {}
        for category, period, amount in session.execute(
            select(Expense.category, Expense.period, func.sum(Expense.amount))
            .where(Expense.community == ctx.community, Expense.period >= current - EXPENSE_TRAILING_MONTHS,
                   Expense.period <= current)
            .group_by(Expense.category, Expense.period)
        ).all():
            spent.setdefault(int(category), {})[int(period)] = int(amount)
        for category, by_month in sorted(spent.items()):
            now = by_month.get(current, 0)
            trailing = [by_month.get(m, 0) for m in range(current - EXPENSE_TRAILING_MONTHS, current)]
            median = statistics.median(trailing)
            if median > 0 and now > EXPENSE_SPIKE_FACTOR * median:
                flags.append({"community": ctx.community, "name": ctx.record.name, "kind": "expense_spike",
                              "message": f"expense category {category} spent {now} fen in "
                                         f"{fee_routes.month_label(current)}, {round(now / median, 2)}× the median "
                                         f"{median} of the {EXPENSE_TRAILING_MONTHS} months before",
                              "figures": {"category": category, "month": current, "amount": now,
                                          "trailing_median": median, "ratio": round(now / median, 2)}})
    return flags


def _collection_flags(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rates = [item["fee_collection_rate"] for item in items if item["fee_collection_rate"] is not None]
    if not rates:
        return []
    median = statistics.median(rates)
    flags = []
    for item in items:
        rate = item["fee_collection_rate"]
        if rate is not None and rate < median - COLLECTION_GAP_POINTS:
            flags.append({"community": item["community"], "name": item["name"], "kind": "collection_rate_low",
                          "message": f"fee collection rate {rate}% is {round(median - rate, 2)} points below the "
                                     f"district's median {median}%",
                          "figures": {"collection_rate": rate, "district_median": median,
                                      "gap_points": round(median - rate, 2),
                                      "units_in_arrears": item["units_in_arrears"], "arrears": item["arrears"]}})
    return flags


def _backlog_flags(session: Session, contexts: list[CommunityContext]) -> list[dict[str, Any]]:
    flags = []
    s, a = SuggestionSubmitted, SuggestionAnswered
    for ctx in contexts:
        if not _has(ctx, suggestion_routes.BOX):
            continue
        now = head_timestamp(session, ctx)
        answered = select(a.suggestion_id).where(a.community == ctx.community, a.suggestion_id == s.suggestion_id) \
            .correlate(s).exists()
        count, oldest = session.execute(
            select(func.count(), func.min(s.submitted_at))
            .where(and_(s.community == ctx.community, s.submitted_at <= now - BACKLOG_AGE_DAYS * DAY, not_(answered)))
        ).one()
        if count > BACKLOG_MAX:
            oldest_days = (now - int(oldest)) // DAY
            flags.append({"community": ctx.community, "name": ctx.record.name, "kind": "suggestion_backlog",
                          "message": f"{count} suggestions unanswered for more than {BACKLOG_AGE_DAYS} days "
                                     f"(the oldest {oldest_days} days)",
                          "figures": {"unanswered_over_age": int(count), "age_days": BACKLOG_AGE_DAYS,
                                      "oldest_age_days": oldest_days, "threshold": BACKLOG_MAX}})
    return flags


def _satisfaction_flags(session: Session, contexts: list[CommunityContext], month: int | None) -> list[dict[str, Any]]:
    flags = []
    for ctx in contexts:
        if not _has(ctx, fee_routes.FEES):
            continue
        current = month if month is not None else fee_routes.month_of(head_timestamp(session, ctx))
        months = _satisfaction_months(session, ctx.community, up_to=current)
        if not months:
            continue
        latest, count, total = months[-1]
        history = [t / n for m, n, t in months[:-1] if m >= latest - SATISFACTION_TRAILING_MONTHS]
        if count < SATISFACTION_MIN_RATINGS or len(history) < SATISFACTION_MIN_HISTORY:
            continue
        average, median = total / count, statistics.median(history)
        if average < median - SATISFACTION_DROP_POINTS:
            flags.append({"community": ctx.community, "name": ctx.record.name, "kind": "satisfaction_drop",
                          "message": f"the property service was rated {round(average, 2)} on average in "
                                     f"{fee_routes.month_label(latest)} ({count} ratings), "
                                     f"{round(median - average, 2)} below the median {round(median, 2)} of the "
                                     f"{len(history)} rated months before",
                          "figures": {"month": latest, "average": round(average, 2), "ratings": count,
                                      "trailing_median": round(median, 2), "drop": round(median - average, 2),
                                      "trailing_months": len(history)}})
    return flags


def _flags_maker(answers: DistrictAnswers, month: int | None):
    def make(session: Session, snapshot: Snapshot) -> dict[str, Any]:
        table, all_contexts = _table(answers, session, snapshot), snapshot.contexts
        listed = {item["community"] for item in table["items"] if not item["retired"]}
        contexts = [ctx for ctx in all_contexts if ctx.community in listed]
        items = [item for item in table["items"] if item["community"] in listed]
        flags = (_expense_flags(session, contexts, month) + _collection_flags(items)
                 + _backlog_flags(session, contexts) + _satisfaction_flags(session, contexts, month))
        flags.sort(key=lambda f: (f["community"], f["kind"], f["figures"].get("category") or 0))
        return {"items": flags, "indexed_blocks": _indexed_blocks(snapshot), "thresholds": {
            "expense_spike_factor": EXPENSE_SPIKE_FACTOR, "expense_trailing_months": EXPENSE_TRAILING_MONTHS,
            "collection_gap_points": COLLECTION_GAP_POINTS, "backlog_age_days": BACKLOG_AGE_DAYS,
            "backlog_max": BACKLOG_MAX, "satisfaction_drop_points": SATISFACTION_DROP_POINTS,
            "satisfaction_min_ratings": SATISFACTION_MIN_RATINGS,
            "satisfaction_trailing_months": SATISFACTION_TRAILING_MONTHS,
            "satisfaction_min_history": SATISFACTION_MIN_HISTORY}}
    return make


@router.get("/district/flags", response_model=DistrictFlagsOut, responses=NO_DISTRICT,
            summary="Where a community departs from its own history or from the district, with the numbers")
def district_flags(request: Request, session: SessionDep, month: MonthQuery = None, district: DistrictQuery = None):
    """Three kinds of flag, each with the figures that raised it, for the communities
    listed now (a retired community raises none and is not in the district's median):

    - `expense_spike`: an expense category's spending in the month (each community's
      current month, or `month`) above EXPENSE_SPIKE_FACTOR (3) times the median of its
      EXPENSE_TRAILING_MONTHS (6) months before;
    - `collection_rate_low`: a fee collection rate (as /district/communities gives it)
      more than COLLECTION_GAP_POINTS (20) percentage points below the district's median;
    - `suggestion_backlog`: more than BACKLOG_MAX (2) suggestions without any answer
      submitted more than BACKLOG_AGE_DAYS (30) days before the index's "now";
    - `satisfaction_drop`: the owners' rating of the property service in the latest month
      rated (up to each community's current month, or `month`; at least
      SATISFACTION_MIN_RATINGS (3) ratings) more than SATISFACTION_DROP_POINTS (1.0) below
      the median of the rated months among the SATISFACTION_TRAILING_MONTHS (6) before it
      (at least SATISFACTION_MIN_HISTORY (3) of them).
    """
    answers = answers_of(request.app)
    make = _flags_maker(answers, month)
    key, district = ("flags", month, _lower(district)), _lower(district)
    return answers.body(key, answers.get(key, _snapshot(answers, session, district), session, make)[1],
                        DistrictFlagsOut)


# ---------------------------------------------------------------- satisfaction over time

SATISFACTION_MONTHS = 12  # /district/satisfaction's months by default
HistoryMonths = Annotated[int, Query(ge=1, le=60, description="How many months, up to the newest month of any "
                                                                  f"community's index (default {SATISFACTION_MONTHS})")]


def _satisfaction_maker(answers: DistrictAnswers, months: int):
    def make(session: Session, snapshot: Snapshot) -> dict[str, Any]:
        table, all_contexts = _table(answers, session, snapshot), snapshot.contexts
        listed = [item for item in table["items"] if not item["retired"]]
        contexts = [ctx for ctx in all_contexts if ctx.community in {item["community"] for item in listed}
                    and _has(ctx, fee_routes.FEES)]
        if not contexts:
            return {"from_month": None, "to_month": None, "items": [], "district": [],
                    "indexed_blocks": _indexed_blocks(snapshot)}
        last = max(fee_routes.month_of(head_timestamp(session, ctx)) for ctx in contexts)
        first = last - months + 1
        rows = session.execute(
            select(ServiceRating.community, ServiceRating.period, func.count(), func.sum(ServiceRating.score))
            .where(ServiceRating.community.in_([ctx.community for ctx in contexts]),
                   ServiceRating.period >= first, ServiceRating.period <= last)
            .group_by(ServiceRating.community, ServiceRating.period)
            .order_by(ServiceRating.community, ServiceRating.period)).all()
        by_community: dict[str, list[dict[str, Any]]] = {ctx.community: [] for ctx in contexts}
        pooled: dict[int, list[int]] = {}
        for community, period, count, total in rows:
            period, count, total = int(period), int(count), int(total)
            by_community[community].append(_rated_month(period, count, total))
            pooled.setdefault(period, [0, 0])
            pooled[period][0] += count
            pooled[period][1] += total
        return {"from_month": first, "to_month": last, "indexed_blocks": _indexed_blocks(snapshot),
                "items": [{"community": ctx.community, "name": ctx.record.name, "months": by_community[ctx.community]}
                          for ctx in contexts],
                "district": [_rated_month(m, n, t) for m, (n, t) in sorted(pooled.items())]}
    return make


@router.get("/district/satisfaction", response_model=DistrictSatisfactionOut, responses=NO_DISTRICT,
            summary="The owners' rating of the property service, month by month, per community and pooled")
def district_satisfaction(request: Request, session: SessionDep, months: HistoryMonths = SATISFACTION_MONTHS,
                          district: DistrictQuery = None):
    """For the communities listed now: each month of the last `months` (up to the newest
    month any community's index has reached) with its ratings and their average (1-5), a
    month without ratings left out; and the district's, pooled (all ratings of the month
    over all communities). A retired community is left out."""
    answers = answers_of(request.app)
    make = _satisfaction_maker(answers, months)
    key, district = ("satisfaction", months, _lower(district)), _lower(district)
    return answers.body(key, answers.get(key, _snapshot(answers, session, district), session, make)[1],
                        DistrictSatisfactionOut)


def _rated_month(month: int, ratings: int, total: int) -> dict[str, Any]:
    return {"month": month, "month_label": fee_routes.month_label(month), "ratings": ratings,
            "average": round(total / ratings, 2)}


# ---------------------------------------------------------------- ranking
# A community's score (0-100) is the weighted mean of its parts, each a figure of the
# table normalised to 0-1 (1 best). The weights (they sum to 1):
WEIGHT_COLLECTION = 0.30  # fee collection rate: the share of units paid up
WEIGHT_ANSWERED = 0.15  # the share of suggestions answered at all
WEIGHT_ANSWER_TIME = 0.15  # the median time to a suggestion's first answer
WEIGHT_TURNOUT = 0.25  # assembly turnout by area, pooled over the tallied proposals
WEIGHT_PARTICIPATION = 0.15  # activity check-ins per unit
# The time to a first answer scores 1 at ANSWER_TIME_GOOD or less, 0 at ANSWER_TIME_POOR or
# more, and in between in proportion.
ANSWER_TIME_GOOD = DAY
ANSWER_TIME_POOR = 30 * DAY
# Check-ins per unit that score 1 (more scores 1 too).
CHECK_INS_PER_UNIT_FULL = 1.0


def _share(part: int | None, whole: int | None) -> float | None:
    return None if part is None or not whole else part / whole


def _answer_time_score(seconds: float) -> float:
    return min(1.0, max(0.0, (ANSWER_TIME_POOR - seconds) / (ANSWER_TIME_POOR - ANSWER_TIME_GOOD)))


# (part, weight, the table's figures it reads, raw figure from a row, unit, normalise raw -> 0-1)
RANKING_PARTS: list[tuple[str, float, tuple[str, ...], Any, str, Any]] = [
    ("fee_collection", WEIGHT_COLLECTION, ("fee_collection_rate",),
     lambda i: i["fee_collection_rate"], "percent", lambda raw: raw / 100),
    ("suggestions_answered", WEIGHT_ANSWERED, ("suggestions_answered", "suggestions_received"),
     lambda i: _percent(i["suggestions_answered"], i["suggestions_received"] or 0)
     if i["suggestions_answered"] is not None else None, "percent", lambda raw: raw / 100),
    ("suggestion_answer_time", WEIGHT_ANSWER_TIME, ("suggestions_median_time_to_first_answer",),
     lambda i: i["suggestions_median_time_to_first_answer"], "seconds", _answer_time_score),
    ("assembly_turnout", WEIGHT_TURNOUT, ("assembly_turnout_area",),
     lambda i: i["assembly_turnout_area"], "percent", lambda raw: raw / 100),
    ("activity_participation", WEIGHT_PARTICIPATION, ("activity_check_ins", "units"),
     lambda i: None if (s := _share(i["activity_check_ins"], i["units"])) is None else round(s, 4),
     "check-ins per unit", lambda raw: min(1.0, raw / CHECK_INS_PER_UNIT_FULL)),
]


def ranking_of(item: dict[str, Any]) -> dict[str, Any]:
    """One community's score and its parts, from its row of the district table. A part
    whose figure the community lacks (no contract, no suggestion received, no assembly
    tallied) is left out, not counted as 0: the score is the weighted mean over the parts
    with a figure, and each counted part's contribution is its share of that score (the
    contributions add up to the score)."""
    parts, exact = [], []
    for part, weight, figures, raw_of, unit, normalise in RANKING_PARTS:
        raw = raw_of(item)
        value = None if raw is None else normalise(raw)
        exact.append(value)
        parts.append({"part": part, "figures": list(figures), "raw": raw, "unit": unit, "weight": weight,
                      "counted": raw is not None, "normalised": None if value is None else round(value, 4)})
    weights = sum(p["weight"] for p in parts if p["counted"])
    score = 0.0
    for p, value in zip(parts, exact):
        contribution = None if value is None else 100 * p["weight"] * value / weights
        p["contribution"] = None if contribution is None else round(contribution, 2)
        score += contribution or 0.0
    return {"community": item["community"], "name": item["name"], "street": item["street"],
            "score": round(score, 2) if weights else None, "counted_weight": round(weights, 4), "parts": parts}


def _ranking_maker(answers: DistrictAnswers):
    def make(session: Session, snapshot: Snapshot) -> dict[str, Any]:
        table = _table(answers, session, snapshot)
        ranked = [ranking_of(item) for item in table["items"] if not item["retired"]]
        ranked.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["community"]))
        for position, entry in enumerate(ranked, start=1):
            entry["rank"] = position if entry["score"] is not None else None
        return {"items": ranked, "indexed_blocks": _indexed_blocks(snapshot),
                "weights": {part: weight for part, weight, *_ in RANKING_PARTS},
                "answer_time_good": ANSWER_TIME_GOOD, "answer_time_poor": ANSWER_TIME_POOR,
                "check_ins_per_unit_full": CHECK_INS_PER_UNIT_FULL}
    return make


@router.get("/district/ranking", response_model=DistrictRankingOut, responses=NO_DISTRICT,
            summary="The communities listed now, ranked by a score whose every part is explained")
def district_ranking(request: Request, session: SessionDep, district: DistrictQuery = None):
    """Each community's score (0-100) from its row of /district/communities: the weighted
    mean of fee collection (WEIGHT_COLLECTION 0.30, the collection rate), suggestions
    answered (WEIGHT_ANSWERED 0.15, the share answered), the time to a first answer
    (WEIGHT_ANSWER_TIME 0.15: 1 at a day or less, 0 at 30 days or more, linear between),
    assembly turnout by area (WEIGHT_TURNOUT 0.25) and activity participation
    (WEIGHT_PARTICIPATION 0.15, check-ins per unit, 1 or more scores full). Each part gives
    its raw figure, its normalised value (0-1) and its contribution to the score; a part
    the community has no figure for is not counted and the others' weights are scaled up.
    Highest score first, ties by community address; a community with no part at all has
    no score and comes last. A retired community is not ranked."""
    answers = answers_of(request.app)
    make = _ranking_maker(answers)
    key, district = ("ranking", _lower(district)), _lower(district)
    return answers.body(key, answers.get(key, _snapshot(answers, session, district), session, make)[1],
                        DistrictRankingOut)
