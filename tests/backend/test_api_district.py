"""The district API (backend/api/routes/district.py) on synthetic index rows
(tests/backend/district_synthetic.py): communities written straight into the index tables
(no chain), one anomaly of each kind planted among normal figures, and a retired
community whose figures would move everything if counted, on SQLite and PostgreSQL. The
flags are exactly the planted ones with their numbers; the table's figures and the
district's total are the ones the rows make, the retired community shown but in no
total; the ranking's order and parts are the weights' arithmetic on those figures; the
CSV is the same table; bad input is a 422."""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from backend.api.main import create_app
from backend.api.routes import district as district_routes
from backend.core.db import make_engine
from backend.db.models import Checkpoint, DistrictListing, IndexedBlock, RawEvent, Unit
from tests.backend.district_synthetic import (
    A,
    A_DEPOSIT,
    A_EMERGENCY,
    A_MILESTONE,
    AREA,
    B,
    C,
    CHAIN,
    D,
    DAY,
    DISTRICT,
    E,
    E_REASON,
    E_RETIRED_BLOCK,
    HEAD,
    MONTH,
    MONTHLY,
    NOW,
    STREET,
    write_district,
)
from tests.backend.helpers import fuzz_routes


@pytest.fixture
def client(database_url, settings):
    engine = make_engine(database_url)
    write_district(engine)
    engine.dispose()
    # The app's lifespan: its start builds the answers in a thread (each test begins once
    # that has ended), its shutdown ends the rebuilds.
    with TestClient(create_app(settings.model_copy(update={"district_warm_at_start": True}))) as client:
        assert district_routes.answers_of(client.app).wait_warm(60)
        yield client


def rebuilt(client) -> None:
    """Wait for the rebuilds the requests so far asked for (routes/district.py, DistrictAnswers)."""
    assert district_routes.answers_of(client.app).wait_idle(60)


def rebuild_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "district-rebuild"]


def test_the_flags_are_exactly_the_planted_anomalies(client):
    answer = client.get("/api/v1/district/flags")
    assert answer.status_code == 200, answer.text
    flags = answer.json()["items"]
    assert [(f["community"], f["kind"]) for f in flags] == [
        (A, "satisfaction_drop"), (B, "expense_spike"), (C, "suggestion_backlog"), (D, "collection_rate_low")]
    drop, spike, backlog, low = (f["figures"] for f in flags)
    assert drop == {"month": MONTH - 1, "average": 3.33, "ratings": 3, "trailing_median": 4.5, "drop": 1.17,
                    "trailing_months": 6}
    assert "3.33" in flags[0]["message"] and "2026-05" in flags[0]["message"]
    assert spike == {"category": 1, "month": MONTH, "amount": 3_500, "trailing_median": 1_000, "ratio": 3.5}
    assert backlog == {"unanswered_over_age": 3, "age_days": 30, "oldest_age_days": 50, "threshold": 2}
    assert low == {"collection_rate": 25.0, "district_median": 87.5, "gap_points": 62.5, "units_in_arrears": 3,
                   "arrears": 3 * 3 * MONTHLY}
    assert "3.5×" in flags[1]["message"] and flags[1]["name"] == "凉城小区"
    assert answer.json()["thresholds"] == {"expense_spike_factor": 3, "expense_trailing_months": 6,
                                           "collection_gap_points": 20, "backlog_age_days": 30, "backlog_max": 2,
                                           "satisfaction_drop_points": 1.0, "satisfaction_min_ratings": 3,
                                           "satisfaction_trailing_months": 6, "satisfaction_min_history": 3}
    # Another month: the spike is of June only; in May nothing else departs from its history.
    may = client.get("/api/v1/district/flags", params={"month": MONTH - 1}).json()["items"]
    assert [f["kind"] for f in may] == ["satisfaction_drop", "suggestion_backlog", "collection_rate_low"]
    # In April, A's rating had not dropped yet.
    april = client.get("/api/v1/district/flags", params={"month": MONTH - 2}).json()["items"]
    assert "satisfaction_drop" not in [f["kind"] for f in april]


def test_the_table_holds_each_community_and_the_district(client):
    answer = client.get("/api/v1/district/communities")
    assert answer.status_code == 200, answer.text
    table = answer.json()
    items = {item["community"]: item for item in table["items"]}
    assert list(items) == [A, B, C, D, E]
    # E is shown, marked retired with its retirement; D, retired by mistake and listed again, is not.
    assert [(i["retired"], i["retired_block"]) for i in items.values()] == [(False, None)] * 4 + [
        (True, E_RETIRED_BLOCK)]
    assert items[E]["retired_reason_hash"] == E_REASON and items[D]["retired_reason_hash"] is None
    assert {i["street"] for i in items.values()} == {STREET}
    d = items[D]
    # Unpaid units owe three months (billing started two months ago) and nothing is late-fee'd.
    assert (d["units"], d["units_paid_up"], d["fee_collection_rate"], d["units_in_arrears"], d["arrears"]) == \
        (4, 1, 25.0, 3, 3 * 3 * MONTHLY)
    assert d["fees_collected"] == 2 * MONTHLY and d["suggestions_received"] == 0
    a = items[A]
    assert (a["suggestions_received"], a["suggestions_answered"], a["suggestions_median_time_to_first_answer"]) == \
        (4, 2, 5_400.0)
    # The latest tally of each proposal: 6 000 + 3 000 of 16 000 m², 3 + 2 of 8 heads.
    assert (a["assemblies_held"], a["assemblies_passed"], a["assembly_turnout_area"], a["assembly_turnout_heads"]) \
        == (2, 1, 56.25, 62.5)
    assert (a["points_issued"], a["points_redeemed"], a["activities"]) == (100, 40, 0)
    assert (a["maintenance_fund_balance"], a["maintenance_fund_used"], a["maintenance_fund_used_emergency"]) == \
        (A_DEPOSIT - A_MILESTONE - A_EMERGENCY, A_MILESTONE + A_EMERGENCY, A_EMERGENCY)
    assert (a["satisfaction_average"], a["satisfaction_period"], a["satisfaction_ratings"]) == (3.33, MONTH - 1, 3)
    assert (items[B]["satisfaction_average"], items[B]["maintenance_fund_used"]) == (1.0, 0)
    assert "satisfaction_sum" not in a
    assert items[B]["assemblies_held"] == 0 and items[B]["assembly_turnout_area"] is None
    # E's own figures are still its own...
    assert (items[E]["units_in_arrears"], items[E]["assembly_turnout_area"]) == (4, 100.0)
    # ...but the district's total is of A-D only.
    total = table["district"]
    assert (total["communities"], total["retired"], total["units"], total["units_paid_up"],
            total["fee_collection_rate"]) == (4, 1, 16, 12, 75.0)
    assert total["arrears"] == (0 + 0 + 1 + 3) * 3 * MONTHLY
    assert (total["suggestions_received"], total["suggestions_answered"]) == (10, 4)
    # The median over every answered suggestion of the district: 1 800, 3 600, 7 200, 86 400.
    assert total["suggestions_median_time_to_first_answer"] == 5_400.0
    assert (total["points_issued"], total["points_redeemed"]) == (400, 40)
    assert (total["assemblies_held"], total["assembly_turnout_area"]) == (2, 56.25)
    # Each community's latest rated month pooled: (10 + 2 + 10 + 9) / (3 + 2 + 3 + 3); E's not.
    assert (total["satisfaction_average"], total["satisfaction_ratings"], total["satisfaction_period"]) == \
        (round(31 / 11, 2), 11, None)
    assert (total["maintenance_fund_balance"], total["maintenance_fund_used_emergency"]) == \
        (A_DEPOSIT - A_MILESTONE - A_EMERGENCY, A_EMERGENCY)

    # The same table as CSV, by either route; the district's total last.
    for path, params in (("/api/v1/district/communities", {"format": "csv"}), ("/api/v1/district/communities.csv",
                                                                               {})):
        answer = client.get(path, params=params)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff"))))
        assert [r["community"] for r in rows] == [A, B, C, D, E, "district"]
        assert rows[3]["fee_collection_rate"] == "25.0" and rows[3]["arrears"] == str(3 * 3 * MONTHLY)
        assert (rows[4]["retired_block"], rows[3]["retired_block"], rows[0]["street"]) == (str(E_RETIRED_BLOCK), "",
                                                                                           STREET)
        assert rows[5]["units_paid_up"] == "12" and rows[1]["assembly_turnout_area"] == ""
    assert client.get("/api/v1/district/communities.csv").content == answer.content


def test_satisfaction_month_by_month_per_community_and_pooled(client):
    answer = client.get("/api/v1/district/satisfaction", params={"months": 8})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["from_month"], body["to_month"]) == (MONTH - 7, MONTH)
    months = {item["community"]: item["months"] for item in body["items"]}
    assert list(months) == [A, B, C, D]  # E is retired
    assert [(m["month"], m["ratings"], m["average"]) for m in months[A]] == \
        [(m, 2, 4.5) for m in range(MONTH - 7, MONTH - 1)] + [(MONTH - 1, 3, 3.33)]
    assert months[A][-1]["month_label"] == "2026-05"
    assert [m["average"] for m in months[B]] == [5.0, 5.0, 5.0, 1.0]
    # Pooled: May's 3 + 2 + 3 + 3 ratings, (10 + 2 + 10 + 9) / 11; Nov. 2025 is A's alone.
    district = {m["month"]: (m["ratings"], m["average"]) for m in body["district"]}
    assert district[MONTH - 1] == (11, round(31 / 11, 2)) and district[MONTH - 7] == (2, 4.5)
    # Fewer months: only those.
    short = client.get("/api/v1/district/satisfaction", params={"months": 2}).json()
    assert [[m["month"] for m in item["months"]] for item in short["items"]] == [[MONTH - 1]] * 4


@pytest.mark.parametrize("path, params, field", [
    ("/api/v1/district/satisfaction", {"months": 0}, "months"),
    ("/api/v1/district/satisfaction", {"months": 61}, "months"),
    ("/api/v1/district/communities", {"format": "xml"}, "format"),
    ("/api/v1/district/flags", {"month": -1}, "month"),
    ("/api/v1/district/flags", {"month": "june"}, "month"),
    ("/api/v1/district/flags", {"month": 2**40}, "month"),
])
def test_bad_input_is_a_422_naming_the_field(client, path, params, field):
    answer = client.get(path, params=params)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == field


def test_the_table_follows_the_index(client, database_url):
    """The table is kept for the index positions it was built at; after a write of any
    community's checkpoint (new blocks, a rollback) the next request answers at once with
    the table before (its rows name the block they were built at) and has it rebuilt in the
    background: once that rebuild has ended, a lone reader gets the index as it is."""
    assert client.get("/api/v1/district/communities").json()["district"]["units"] == 16
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(insert(Unit.__table__), [{"community": D, "unit_id": 5, "label": "1-5", "area": AREA,
                                               "identity": 5, "registered_block": HEAD + 1,
                                               "updated_block": HEAD + 1}])
        _event_written(conn, D, HEAD + 1)  # as the indexer writes the event with its rows
        conn.execute(update(Checkpoint.__table__).where(Checkpoint.community == D)
                     .values(block_number=HEAD + 1, updated_at=2.0))
    engine.dispose()
    before = client.get("/api/v1/district/communities").json()
    d = next(item for item in before["items"] if item["community"] == D)
    assert (d["units"], d["indexed_block"], before["district"]["units"]) == (4, HEAD, 16)
    rebuilt(client)
    table = client.get("/api/v1/district/communities").json()
    d = next(item for item in table["items"] if item["community"] == D)
    assert (d["units"], d["units_in_arrears"], d["arrears"], d["indexed_block"]) == (5, 4, 4 * 3 * MONTHLY, HEAD + 1)
    assert (table["district"]["units"], table["district"]["fee_collection_rate"]) == (17, round(100 * 12 / 17, 2))
    # A retirement written (the district indexer's rows do not move a checkpoint) is seen too.
    with engine.begin() as conn:
        conn.execute(update(DistrictListing.__table__).where(DistrictListing.community == D)
                     .values(retired_block=HEAD, retired_block_hash="0x" + "00" * 32))
    engine.dispose()
    for path in ("/api/v1/district/communities", "/api/v1/district/ranking", "/api/v1/district/flags"):
        client.get(path)
    rebuilt(client)
    table = client.get("/api/v1/district/communities").json()
    assert [i["community"] for i in table["items"] if i["retired"]] == [D, E]
    assert (table["district"]["communities"], table["district"]["units"]) == (3, 12)
    ranking = client.get("/api/v1/district/ranking").json()
    assert [r["community"] for r in ranking["items"]] == [B, A, C]
    assert ranking["indexed_blocks"][D] == HEAD + 1
    assert D not in {f["community"] for f in client.get("/api/v1/district/flags").json()["items"]}


def _event_written(conn, community: str, block: int, block_hash: str = "0x" + "11" * 32) -> None:
    conn.execute(insert(RawEvent.__table__), [{
        "chain_id": CHAIN, "tx_hash": "0x" + f"{block:064x}", "log_index": 0, "community": community,
        "block_number": block, "block_timestamp": NOW, "block_hash": block_hash, "address": community,
        "contract": "UnitRegistry", "event": "UnitRegistered", "args": {}}])


def test_only_the_community_whose_events_changed_is_read_again(client, database_url, monkeypatch):
    """Each community's own figures are kept with its newest event and its head's month: on
    a moving chain every block moves every checkpoint, and a rebuild reads again only the
    communities the block brought an event (or whose events a rollback removed, or whose
    head entered a new month), not all of them."""
    first = client.get("/api/v1/district/communities").json()
    read: list[str] = []
    real = district_routes._own_figures

    def counted(session, ctx):
        read.append(ctx.community)
        return real(session, ctx)

    monkeypatch.setattr(district_routes, "_own_figures", counted)
    answers = district_routes.answers_of(client.app)
    engine = make_engine(database_url)

    def step(*, events=(), rolled_back=(), new_month=(), block=HEAD + 1):
        """Every checkpoint moves to `block` (an empty block for the rest)."""
        with engine.begin() as conn:
            for community in events:
                _event_written(conn, community, block)
            for community in rolled_back:
                conn.execute(RawEvent.__table__.delete().where(RawEvent.community == community))
            for community in new_month:
                conn.execute(insert(IndexedBlock.__table__), [{
                    "chain_id": CHAIN, "community": community, "block_number": block, "block_hash": "0x" + "22" * 32,
                    "parent_hash": "0x" + "00" * 32, "timestamp": NOW + 30 * DAY}])
            conn.execute(update(Checkpoint.__table__).values(block_number=block, updated_at=float(block)))
        read.clear()
        client.get("/api/v1/district/communities")
        rebuilt(client)
        return client.get("/api/v1/district/communities").json()

    assert step(block=HEAD + 1)["items"][0]["indexed_block"] == HEAD + 1 and read == []
    step(events=[B], block=HEAD + 2)
    assert read == [B]
    step(rolled_back=[B], block=HEAD + 3)  # B's events gone (a reorganisation's rollback)
    assert read == [B]
    table = step(new_month=[D], block=HEAD + 4)  # D's head in July: a month more overdue for each unit behind
    assert read == [D]
    d = next(item for item in table["items"] if item["community"] == D)
    before = next(item for item in first["items"] if item["community"] == D)
    assert d["arrears"] > before["arrears"]
    assert answers.rebuilds >= 4
    engine.dispose()


def test_a_still_index_answers_from_plain_rows_and_writes_its_csv_once(client, database_url, monkeypatch):
    """A request the kept answer serves reads the checkpoints' and the listings' plain rows
    and makes no community's context and no CSV again; a checkpoint's write is seen (the
    answer is rebuilt, and its CSV written once more, with the new position)."""
    made: list[str] = []
    real_contexts, real_csv = district_routes._contexts, district_routes._csv

    def contexts(*args, **kwargs):
        made.append("contexts")
        return real_contexts(*args, **kwargs)

    def written(table):
        made.append("csv")
        return real_csv(table)

    first = client.get("/api/v1/district/communities.csv").content
    monkeypatch.setattr(district_routes, "_contexts", contexts)
    monkeypatch.setattr(district_routes, "_csv", written)
    for _ in range(3):
        assert client.get("/api/v1/district/communities.csv").content == first
        assert client.get("/api/v1/district/communities", params={"format": "csv"}).content == first
        client.get("/api/v1/district/communities")
    assert made == []
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(update(Checkpoint.__table__).where(Checkpoint.community == B).values(block_number=10**6,
                                                                                           updated_at=4.0))
    engine.dispose()
    client.get("/api/v1/district/communities.csv")
    rebuilt(client)
    moved = client.get("/api/v1/district/communities.csv")
    assert moved.content != first and str(10**6) in moved.text
    assert client.get("/api/v1/district/communities.csv").content == moved.content
    assert made == ["contexts", "csv"]  # the rebuild's contexts, the new table's CSV: each once


def test_flags_and_ranking_are_kept_until_an_index_moves(client, database_url, monkeypatch):
    """A still index answers /flags and /ranking from memory as it does the table (the
    per-community flag queries are not run again); after a checkpoint's write they are made
    anew in the background, and a month asked for is kept apart from the current one."""
    flags, ranking = client.get("/api/v1/district/flags").json(), client.get("/api/v1/district/ranking").json()
    queried: list[str] = []
    real_expense, real_ranking = district_routes._expense_flags, district_routes.ranking_of

    def expense(session, contexts, month):
        queried.append("flags")
        return real_expense(session, contexts, month)

    def rank(item):
        queried.append("ranking")
        return real_ranking(item)

    monkeypatch.setattr(district_routes, "_expense_flags", expense)
    monkeypatch.setattr(district_routes, "ranking_of", rank)
    assert client.get("/api/v1/district/flags").json() == flags
    assert client.get("/api/v1/district/ranking").json() == ranking
    assert queried == []
    assert client.get("/api/v1/district/flags", params={"month": MONTH - 1}).status_code == 200
    assert queried == ["flags"]
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(update(Checkpoint.__table__).where(Checkpoint.community == A).values(updated_at=4.0))
    engine.dispose()
    assert client.get("/api/v1/district/flags").json() == flags
    assert client.get("/api/v1/district/ranking").json() == ranking
    rebuilt(client)
    assert queried.count("flags") == 2 and queried.count("ranking") >= 1
    assert client.get("/api/v1/district/flags").json() == flags
    assert client.get("/api/v1/district/ranking").json() == ranking
    assert queried.count("flags") == 2


def _move(database_url, community, block) -> None:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(update(Checkpoint.__table__).where(Checkpoint.community == community)
                     .values(block_number=block, updated_at=float(block)))
    engine.dispose()


def test_no_reader_builds_once_an_answer_is_kept(client, database_url):
    """The first request for an answer builds it (in its own thread: there is nothing to
    answer with); after the index moved, a request answers at once with the answer before
    and the rebuild runs in the background, one at a time per answer: a second reader
    meanwhile neither waits nor asks for a second build. Once it has ended, the answer is
    the index's as the rebuild read it, naming its blocks."""
    answers = district_routes.answers_of(client.app)
    sessions = client.app.state.sessionmaker
    built_in: list[str] = []

    def blocks(session, snapshot):
        built_in.append(threading.current_thread().name)
        return district_routes._indexed_blocks(snapshot)

    with sessions() as session:
        version, first = answers.get("k", district_routes._snapshot(answers, session), session, blocks)
    assert first[D] == HEAD and built_in == [threading.current_thread().name]
    _move(database_url, D, HEAD + 1)
    started, release = threading.Event(), threading.Event()

    def slow(session, snapshot):
        started.set()
        assert release.wait(30)
        return blocks(session, snapshot)

    def never(session, snapshot):
        raise AssertionError("built twice")

    with sessions() as session:
        snapshot = district_routes._snapshot(answers, session)
        assert answers.get("k", snapshot, session, slow) == (version, first)  # at once: slow has not returned
        assert started.wait(30)
        assert answers.get("k", snapshot, session, never) == (version, first)
    release.set()
    assert answers.wait_idle(30)
    assert built_in[1:] == ["district-rebuild"] and answers.rebuilds == 1
    with sessions() as session:
        snapshot = district_routes._snapshot(answers, session)
        assert answers.get("k", snapshot, session, never) == (snapshot.version, {**first, D: HEAD + 1})


def test_a_burst_of_head_moves_is_rebuilt_at_most_once_an_interval_and_converges(client, database_url):
    """Head moves faster than the rebuild interval coalesce: an answer is rebuilt at most
    once an interval, each rebuild reading the index as it is then; a reader arriving while
    its answer is being rebuilt has it rebuilt once more after, so once the burst is over
    the answer is the index's last version without another reader."""
    answers = district_routes.answers_of(client.app)
    answers.interval_s, answers.share = 0.5, 1.0
    path = "/api/v1/district/communities"
    assert client.get(path).status_code == 200
    before, moves, started = answers.rebuilds, 30, time.monotonic()
    for step in range(1, moves + 1):
        _move(database_url, A, HEAD + step)
        assert client.get(path).status_code == 200
    rebuilt(client)
    elapsed = time.monotonic() - started
    rebuilds = answers.rebuilds - before
    assert 1 <= rebuilds <= elapsed / answers.interval_s + 1 and rebuilds < moves, (rebuilds, elapsed)
    a = next(item for item in client.get(path).json()["items"] if item["community"] == A)
    assert a["indexed_block"] == HEAD + moves


def test_the_rebuild_thread_rests_in_proportion_to_its_rebuilds(client, database_url):
    """After a rebuild of t seconds of the thread's CPU it rests (1/share - 1) × t before the
    next one: at a share of 1/4 it uses at most a quarter of a core. The answers due together
    are rebuilt in one pass, from one snapshot of the index."""
    answers = district_routes.answers_of(client.app)
    answers.interval_s, answers.share = 0.0, 0.25
    keys, spans = ("r1", "r2"), []

    def slow(session, snapshot):
        began, cpu = time.monotonic(), time.thread_time()
        while time.thread_time() - cpu < 0.05:  # 50 ms of this thread's CPU
            pass
        spans.append((began, time.monotonic(), time.thread_time() - cpu, snapshot.version))
        return snapshot.version

    with sessions_of(client) as session:
        snapshot = district_routes._snapshot(answers, session)
        for key in keys:
            answers.get(key, snapshot, session, lambda s, snap: "first")
    for step in (1, 2):
        _move(database_url, C, HEAD + step)
        if step == 1:
            # Both keys are asked before the worker may start (as after a rest), so they are
            # due together; without this the worker may take r1 alone before r2 is asked.
            answers._rest_until = answers.clock() + 0.5
        with sessions_of(client) as session:
            snapshot = district_routes._snapshot(answers, session)
            for key in keys:
                answers.get(key, snapshot, session, slow)
        assert answers.wait_idle(30)
    assert len(spans) == 4 and answers.rebuilds == 4
    (_, first_ended, _, first), (_, ended, _, also_first), (began, _, _, second), (_, _, _, also_second) = spans
    assert first == also_first != second == also_second  # each pass one snapshot
    assert began - ended >= 3 * (spans[0][2] + spans[1][2])
    with sessions_of(client) as session:
        snapshot = district_routes._snapshot(answers, session)
        assert [answers.get(key, snapshot, session, slow)[1] for key in keys] == [snapshot.version] * 2


def test_a_failed_rebuild_keeps_the_answer_before_and_is_asked_again(client, database_url, caplog):
    answers = district_routes.answers_of(client.app)
    assert client.get("/api/v1/district/communities").status_code == 200
    _move(database_url, A, HEAD + 1)
    with sessions_of(client) as session:
        kept = answers.get("k", district_routes._snapshot(answers, session), session, lambda s, snap: "one")
        assert kept[1] == "one"
    _move(database_url, A, HEAD + 2)

    def broken(session, snapshot):
        raise RuntimeError("the database went away")

    with sessions_of(client) as session:
        assert answers.get("k", district_routes._snapshot(answers, session), session, broken) == kept
    assert answers.wait_idle(30)
    assert "rebuilding 'k' failed" in caplog.text
    with sessions_of(client) as session:
        snapshot = district_routes._snapshot(answers, session)
        assert answers.get("k", snapshot, session, lambda s, snap: "two") == kept
    assert answers.wait_idle(30)
    with sessions_of(client) as session:
        snapshot = district_routes._snapshot(answers, session)
        assert answers.get("k", snapshot, session, broken) == (snapshot.version, "two")


def sessions_of(client):
    return client.app.state.sessionmaker()


def test_the_apps_shutdown_ends_the_rebuilds(database_url, settings):
    """The lifespan's end waits for the rebuild running and starts none after: no thread
    is left behind; a request after it answers with the answer kept."""
    engine = make_engine(database_url)
    write_district(engine)
    engine.dispose()
    with TestClient(create_app(settings)) as client:
        before = client.get("/api/v1/district/ranking").json()
        _move(database_url, B, HEAD + 1)
        assert client.get("/api/v1/district/ranking").json() == before  # asks for a rebuild
    assert rebuild_threads() == []
    answers = district_routes.answers_of(client.app)
    _move(database_url, B, HEAD + 2)
    with sessions_of(client) as session:
        snapshot = district_routes._snapshot(answers, session)
        version, ranking = answers.get(("ranking", None), snapshot, session,
                                       lambda s, snap: "not built after shutdown")
    assert version != snapshot.version and ranking["indexed_blocks"][B] in (HEAD, HEAD + 1)
    assert rebuild_threads() == [] and answers.wait_idle(0)


FIRST_ANSWERS = (("communities", None), ("ranking", None), ("flags", None, None),
                 ("satisfaction", district_routes.SATISFACTION_MONTHS, None))
FIRST_PATHS = ("/api/v1/district/communities", "/api/v1/district/communities.csv", "/api/v1/district/ranking",
               "/api/v1/district/flags", "/api/v1/district/satisfaction")


def _counting_own_figures(monkeypatch, hold: threading.Event | None = None):
    """Each community's own figures, read in which thread (after `hold` is set, if given)."""
    real, read, started = district_routes._own_figures, [], threading.Event()

    def counted(session, ctx):
        started.set()
        if hold is not None:
            assert hold.wait(60)
        read.append(threading.current_thread().name)
        return real(session, ctx)

    monkeypatch.setattr(district_routes, "_own_figures", counted)
    return read, started


def test_the_answers_are_built_at_the_apps_start_and_no_request_builds_them(database_url, settings, monkeypatch):
    """The app's start builds what the district page asks first (the table and its CSV, the
    ranking, the flags, the satisfaction) in a thread, before anyone asks, at the index's
    version; the first requests build and render nothing. No thread is left after the
    app's shutdown."""
    engine = make_engine(database_url)
    write_district(engine)
    engine.dispose()
    read, _ = _counting_own_figures(monkeypatch)
    with TestClient(create_app(settings.model_copy(update={"district_warm_at_start": True}))) as client:
        answers = district_routes.answers_of(client.app)
        assert answers.wait_warm(60) and answers.warmed_in is not None
        assert sorted(read) == ["district-warm"] * 5  # A-E once each, in the start's thread
        built = {key: answers.kept(key) for key in FIRST_ANSWERS}
        with sessions_of(client) as session:
            version = district_routes._snapshot(answers, session).version
        assert [kept and kept[0] for kept in built.values()] == [version] * len(FIRST_ANSWERS)
        assert set(answers._bodies) == set(FIRST_ANSWERS) and set(answers._csvs) == {("communities", None)}

        def refused(*args):
            raise AssertionError("made again by a request")

        for name in ("_own_figures", "_csv", "_expense_flags", "ranking_of"):
            monkeypatch.setattr(district_routes, name, refused)
        for path in FIRST_PATHS:
            assert client.get(path).status_code == 200, path
        assert {key: answers.kept(key) for key in FIRST_ANSWERS} == built
    assert [t for t in threading.enumerate() if t.name == "district-warm"] == []


def test_a_request_meanwhile_is_turned_away_after_a_short_wait_not_held(database_url, settings, monkeypatch):
    """While the start's build runs (at 200 communities it took 8.5 s), a request for one of
    its answers waits for it at most `district_first_wait_s`, then gets 503 with
    Retry-After, rather than hold one of the reads admitted at once; a request for the
    flags (this month's or another's) or the ranking does not build the table they are made
    from a second time; the community routes answer meanwhile. Once the build has ended,
    every answer is the one it built."""
    engine = make_engine(database_url)
    write_district(engine)
    engine.dispose()
    release = threading.Event()
    read, started = _counting_own_figures(monkeypatch, hold=release)
    wait = 0.3
    warming = {"district_warm_at_start": True, "district_first_wait_s": wait}
    with TestClient(create_app(settings.model_copy(update=warming))) as client:
        try:
            assert started.wait(30)
            # The start's answers, and one it does not build but that is made from its table
            # (a month's flags): neither builds the table a second time.
            for path, params in [*((path, {}) for path in FIRST_PATHS),
                                 ("/api/v1/district/flags", {"month": MONTH - 1})]:
                began = time.monotonic()
                answer = client.get(path, params=params)
                assert answer.status_code == 503, (path, answer.text)
                assert time.monotonic() - began >= wait
                assert answer.headers["Retry-After"] == str(settings.api_retry_after_s)
                assert "still being built" in answer.json()["detail"]
            # A community's own route answers meanwhile.
            assert client.get(f"/api/v1/communities/{A}/activities/summary").status_code == 200
        finally:
            release.set()
        answers = district_routes.answers_of(client.app)
        assert answers.wait_warm(60)
        assert client.get("/api/v1/district/flags", params={"month": MONTH - 1}).status_code == 200
        assert read.count("district-warm") == 5 and read.count("district-warm") == len(read)
        for path in FIRST_PATHS:
            assert client.get(path).status_code == 200, path
        assert answers.kept(("communities", None))[0] == answers.kept(("flags", None, None))[0]


def test_a_build_begun_earlier_never_replaces_a_newer_answer(client, database_url):
    """Builds overlap (the app's start's, a request's first, the rebuilds): an answer built
    from a snapshot read before the one kept is not kept over it, whichever ends last."""
    answers = district_routes.answers_of(client.app)
    key = ("communities", None)
    with sessions_of(client) as first_session:
        older = district_routes._snapshot(answers, first_session)
        _move(database_url, A, HEAD + 1)
        with sessions_of(client) as second_session:
            newer = district_routes._snapshot(answers, second_session)
            assert newer.version != older.version and newer.read > older.read
            answers.keep("k", newer.version, "newer", newer.read)
            answers.keep("k", older.version, "older", older.read)
            assert answers.kept("k") == (newer.version, "newer")
            # The table: a flags build from the older snapshot, ending last, does not put its table back.
            table = district_routes._table(answers, second_session, newer)
            assert answers.kept(key) == (newer.version, table)
            district_routes._table(answers, first_session, older)
            assert answers.kept(key) == (newer.version, table)


def test_answers_kept_are_bounded(client):
    """Each `month` asked for is an answer of its own: only the KEEP_MAX last asked are kept."""
    answers = district_routes.answers_of(client.app)
    oldest = MONTH - district_routes.KEEP_MAX - 10
    for month in range(oldest, MONTH + 1):
        assert client.get("/api/v1/district/flags", params={"month": month}).status_code == 200
    assert len(answers._kept) == district_routes.KEEP_MAX  # the table its flags were made from among them
    # The answers the app's start built stay: asking for many months cannot push them out.
    assert None not in [answers.kept(key) for key in FIRST_ANSWERS]
    assert max(len(answers._bodies), len(answers._first)) <= district_routes.KEEP_MAX
    assert answers.kept(("flags", MONTH, None)) is not None and answers.kept(("flags", oldest, None)) is None


OTHER = "0x" + "d2" * 20
OTHER_STREET = "曲阳路街道"


def test_two_districts_listing_the_same_community_are_kept_apart(client, database_url):
    """A second registry in the same index lists B (under its own street) and retired it, and
    lists C: `?district=` gives each registry's view from its own entries alone; without
    it, every community in the index with the entries pooled (B is listed now by one)."""
    before = client.get("/api/v1/district/communities").json()
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(insert(DistrictListing.__table__), [
            {"chain_id": CHAIN, "district": OTHER, "district_id": 1, "community": B, "name": "凉城小区",
             "street": OTHER_STREET, "block_number": 40, "block_hash": "0x" + "40" * 32, "retired_block": 41,
             "retired_block_hash": "0x" + "41" * 32, "retired_reason_hash": E_REASON},
            {"chain_id": CHAIN, "district": OTHER, "district_id": 2, "community": C, "name": "曲阳小区",
             "street": OTHER_STREET, "block_number": 42, "block_hash": "0x" + "42" * 32, "retired_block": None,
             "retired_block_hash": None, "retired_reason_hash": None}])
    engine.dispose()
    ours = client.get("/api/v1/district/communities", params={"district": DISTRICT.upper().replace("0X", "0x")})
    assert ours.status_code == 200 and ours.json() == before
    theirs = client.get("/api/v1/district/communities", params={"district": OTHER}).json()
    assert [i["community"] for i in theirs["items"]] == [B, C]
    b = theirs["items"][0]
    assert (b["street"], b["retired"], b["retired_block"], b["retired_reason_hash"]) == (OTHER_STREET, True, 41, E_REASON)
    assert (theirs["district"]["communities"], theirs["district"]["retired"]) == (1, 1)
    assert theirs["district"]["units"] == next(i for i in before["items"] if i["community"] == C)["units"]
    assert [r["community"] for r in client.get("/api/v1/district/ranking", params={"district": OTHER}).json()["items"]] \
        == [C]
    flags = client.get("/api/v1/district/flags", params={"district": OTHER}).json()["items"]
    assert {(f["community"], f["kind"]) for f in flags} == {(C, "suggestion_backlog")}
    satisfaction = client.get("/api/v1/district/satisfaction", params={"district": OTHER}).json()
    assert [i["community"] for i in satisfaction["items"]] == [C] and set(satisfaction["indexed_blocks"]) == {B, C}
    csv_rows = client.get("/api/v1/district/communities.csv", params={"district": OTHER}).text.lstrip("\ufeff")
    assert [row[0] for row in csv.reader(io.StringIO(csv_rows))][1:] == [B, C, "district"]
    # Every community in the index: B is listed now (by the first registry), under its newest entry's street.
    pooled = client.get("/api/v1/district/communities")
    rebuilt(client)
    b = next(i for i in client.get("/api/v1/district/communities").json()["items"] if i["community"] == B)
    assert pooled.status_code == 200 and (b["street"], b["retired"]) == (OTHER_STREET, False)
    unknown = client.get("/api/v1/district/ranking", params={"district": "0x" + "d3" * 20})
    assert unknown.status_code == 404 and "0x" + "d3" * 20 in unknown.json()["detail"]


def test_fuzzed_input_gives_only_declared_answers(client):
    assert fuzz_routes(client.app, A, "^district$", 25) == 5


def test_an_empty_index_gives_an_empty_table_and_no_flags(database_url, settings):
    client = TestClient(create_app(settings))
    table = client.get("/api/v1/district/communities").json()
    assert table["items"] == [] and table["district"]["communities"] == 0
    assert table["district"]["units"] == 0 and table["district"]["fee_collection_rate"] is None
    assert client.get("/api/v1/district/flags").json()["items"] == []
    assert client.get("/api/v1/district/ranking").json()["items"] == []
    rows = client.get("/api/v1/district/communities.csv").text.lstrip("\ufeff").splitlines()
    assert len(rows) == 2 and rows[1].startswith("district,0 communities")


def test_the_ranking_orders_by_the_explained_score(client):
    """B, A, C, D: each part's raw figure is the table's, its contribution the weight's
    share of the counted weights times its normalised value; a part without a figure is
    left out, not counted as 0; the retired E (the best figures of all) is not ranked."""
    answer = client.get("/api/v1/district/ranking")
    assert answer.status_code == 200, answer.text
    ranking = answer.json()
    assert [(r["rank"], r["community"]) for r in ranking["items"]] == [(1, B), (2, A), (3, C), (4, D)]
    by = {r["community"]: r for r in ranking["items"]}
    assert [r["score"] for r in ranking["items"]] == [80.0, 66.56, 54.0, 16.67]
    a = {p["part"]: p for p in by[A]["parts"]}
    # A: collection 100 %, 2 of 4 suggestions answered, first answers in 1.5 h (a day or less
    # scores 1), turnout 56.25 % of the area, no activity check-in: every part counted.
    assert [(p["raw"], p["normalised"], p["contribution"]) for p in a.values()] == [
        (100.0, 1.0, 30.0), (50.0, 0.5, 7.5), (5_400.0, 1.0, 15.0), (56.25, 0.5625, 14.06), (0.0, 0.0, 0.0)]
    assert by[A]["counted_weight"] == 1.0
    # B tallied no proposal: turnout has no figure, and the other parts' weights (0.75) share the score.
    b = {p["part"]: p for p in by[B]["parts"]}
    assert (b["assembly_turnout"]["counted"], b["assembly_turnout"]["contribution"]) == (False, None)
    assert by[B]["counted_weight"] == 0.75 and b["fee_collection"]["contribution"] == 40.0
    assert b["fee_collection"]["figures"] == ["fee_collection_rate"]
    assert sum(p["contribution"] or 0 for p in by[C]["parts"]) == pytest.approx(by[C]["score"], abs=0.02)
    # D received no suggestion: only collection (25 %) and participation count.
    d = {p["part"]: p for p in by[D]["parts"]}
    assert [p["part"] for p in d.values() if p["counted"]] == ["fee_collection", "activity_participation"]
    assert (d["fee_collection"]["raw"], d["fee_collection"]["contribution"]) == (25.0, 16.67)
    assert ranking["weights"] == {"fee_collection": 0.3, "suggestions_answered": 0.15, "suggestion_answer_time": 0.15,
                                  "assembly_turnout": 0.25, "activity_participation": 0.15}


@pytest.mark.parametrize("seconds, score", [(0, 1.0), (DAY, 1.0), (15.5 * DAY, 0.5), (30 * DAY, 0.0),
                                            (90 * DAY, 0.0)])
def test_the_answer_time_scores_in_proportion_between_a_day_and_thirty(seconds, score):
    row = {"community": A, "name": "x", "street": None, "units": 4, "fee_collection_rate": None,
           "suggestions_answered": 1, "suggestions_received": 1, "suggestions_median_time_to_first_answer": seconds,
           "assembly_turnout_area": None, "activity_check_ins": None}
    parts = {p["part"]: p for p in district_routes.ranking_of(row)["parts"]}
    assert parts["suggestion_answer_time"]["normalised"] == score
    assert parts["activity_participation"]["counted"] is False


def test_participation_is_check_ins_per_unit_up_to_one():
    row = {"community": A, "name": "x", "street": None, "units": 4, "fee_collection_rate": None,
           "suggestions_answered": None, "suggestions_received": None,
           "suggestions_median_time_to_first_answer": None, "assembly_turnout_area": None, "activity_check_ins": 3}
    ranked = district_routes.ranking_of(row)
    part = next(p for p in ranked["parts"] if p["part"] == "activity_participation")
    assert (part["raw"], part["normalised"], part["contribution"], ranked["score"]) == (0.75, 0.75, 75.0, 75.0)
    row["activity_check_ins"] = 9
    assert district_routes.ranking_of(row)["score"] == 100.0
