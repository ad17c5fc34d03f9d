"""The district API (backend/api/routes/district.py) on synthetic index rows: four
communities written straight into the index tables (no chain), one anomaly of each kind
planted among normal figures, on SQLite and PostgreSQL. The flags are exactly the
planted ones with their numbers; the table's figures and the district's total are the
ones the rows make; the CSV is the same table; bad input is a 422."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from backend.api.main import create_app
from backend.core.db import make_engine
from backend.db.models import (
    Checkpoint,
    CommunityRecord,
    Expense,
    FeePayment,
    FeeSetting,
    IndexedBlock,
    PointsMint,
    PointsRedemption,
    ProposalResult,
    ServiceContractApproval,
    SuggestionAnswered,
    SuggestionSubmitted,
    Unit,
)
from tests.backend.helpers import fuzz_routes

BEIJING = timezone(timedelta(hours=8))
NOW = int(datetime(2026, 6, 15, 12, 0, tzinfo=BEIJING).timestamp())
MONTH = 2026 * 12 + 5  # June 2026, the index's current month
DAY = 86_400
CHAIN = 31337
HEAD = 10_000
AREA, RATE = 10_000, 200  # 100 m² at 2.00 yuan/m²: 200 yuan (20 000 fen) a month
MONTHLY = AREA * RATE // 100
CONTRACTS = {name: "0x" + f"{i:02x}" * 20 for i, name in enumerate(
    ("PropertyFees", "SuggestionBox", "OwnersAssembly", "CommunityActivities", "CommunityPoints"), start=1)}

A, B, C, D = ("0x" + digit * 40 for digit in "abcd")
NAMES = {A: "和平小区", B: "凉城小区", C: "曲阳小区", D: "广中小区"}
PAID_UP = {A: 4, B: 4, C: 3, D: 1}  # of 4 units: 100, 100, 75, 25 percent
# Category 1 each month, oldest first: the six months before MONTH, then MONTH.
EXPENSES = {
    A: {1: [1_000] * 6 + [2_500], 2: [0] * 6 + [9_000]},  # 2.5×: normal; a first spend has no median: normal
    B: {1: [1_000, 1_000, 1_200, 800, 1_000, 1_000, 3_500]},  # 3.5× the median 1 000: planted
    C: {1: [500] * 7},
    D: {1: [700] * 6 + [2_100]},  # exactly 3×: not above
}
# Suggestions: (days before NOW submitted, seconds to the first answer or None).
SUGGESTIONS = {
    A: [(40, None), (45, None), (20, 3_600), (10, 7_200)],  # two old unanswered: at the threshold, not above
    B: [(60, 1_800)],
    C: [(35, None), (40, None), (50, None), (5, None), (31, 86_400)],  # three older than 30 days: planted
    D: [],
}


def _write(engine) -> None:
    position = itertools.count(1)

    def event(community, **columns):
        n = next(position)
        return {"chain_id": CHAIN, "tx_hash": "0x" + f"{n:064x}", "log_index": 0, "community": community,
                "block_number": 10 + n, "block_timestamp": NOW - DAY, **columns}

    zero = "0x" + "00" * 32
    rows: dict = {model: [] for model in (CommunityRecord, Checkpoint, IndexedBlock, Unit, FeeSetting,
                                          ServiceContractApproval, FeePayment, Expense, SuggestionSubmitted,
                                          SuggestionAnswered, ProposalResult, PointsMint, PointsRedemption)}
    for community, name in NAMES.items():
        rows[CommunityRecord].append({"community": community, "chain_id": CHAIN, "name": name, "network": "local",
                                      "deploy_block": 1, "contracts": CONTRACTS})
        rows[Checkpoint].append({"chain_id": CHAIN, "community": community, "block_number": HEAD, "block_hash": zero,
                                 "chain_head": HEAD, "finalized_block": HEAD - 8, "updated_at": 1.0})
        rows[IndexedBlock].append({"chain_id": CHAIN, "community": community, "block_number": HEAD,
                                   "block_hash": zero, "parent_hash": zero, "timestamp": NOW})
        rows[FeeSetting].append(event(community, setting="billing_start", value=MONTH - 2, value2=None, set_by=None))
        rows[ServiceContractApproval].append(event(community, contract_id=1, company=CONTRACTS["PropertyFees"],
                                                   start_month=MONTH - 2, rate=RATE, segment=0,
                                                   approved_by=CONTRACTS["OwnersAssembly"]))
        for unit_id in range(1, 5):
            rows[Unit].append({"community": community, "unit_id": unit_id, "label": f"1-{unit_id}", "area": AREA,
                               "identity": unit_id, "registered_block": 2, "updated_block": 2})
            if unit_id <= PAID_UP[community]:  # paid through last month: nothing overdue
                rows[FeePayment].append(event(community, unit_id=unit_id, payer=zero[:42], from_month=MONTH - 2,
                                              to_month=MONTH - 1, dues=2 * MONTHLY, late_fee=0, amount=2 * MONTHLY,
                                              to_maintenance=0, points=0))
        expense_id = itertools.count(1)
        for category, amounts in EXPENSES[community].items():
            for month, amount in zip(range(MONTH - 6, MONTH + 1), amounts):
                if amount:
                    rows[Expense].append(event(community, expense_id=next(expense_id), category=category,
                                               payee=zero[:42], amount=amount, invoice_hash=zero, period=month, fund=0,
                                               budget_spent=0, recorded_by=zero[:42], commission=None,
                                               contract_id=None))
        for suggestion_id, (days, first_answer) in enumerate(SUGGESTIONS[community], start=1):
            submitted = NOW - days * DAY
            rows[SuggestionSubmitted].append(event(community, suggestion_id=suggestion_id, submitter=zero[:42],
                                                   category=1, text_hash=zero, submitted_at=submitted))
            if first_answer is not None:
                for status, elapsed in ((2, first_answer), (5, first_answer + DAY)):
                    rows[SuggestionAnswered].append(event(
                        community, suggestion_id=suggestion_id, submitter=zero[:42], answered_by=zero[:42],
                        category=1, previous_status=status - 1, status=status, response_hash=zero,
                        submitted_at=submitted, answered_at=submitted + elapsed, elapsed=elapsed, points=0))
        rows[PointsMint].append(event(community, recipient=zero[:42], amount=100, reason=1, minter=zero[:42]))
    rows[PointsRedemption].append(event(A, merchant=zero[:42], amount=40, settlement_ref=zero))
    # Community A's assembly: two proposals tallied, one passed; one tallied twice (queued, then again).
    for proposal_id, passed, part in (("1", True, (6_000, 3)), ("2", False, (2_000, 1)), ("2", False, (3_000, 2))):
        rows[ProposalResult].append(event(A, proposal_id=proposal_id, passed=passed, turnout_met=passed,
                                          for_area=part[0], for_heads=part[1], against_area=0, against_heads=0,
                                          abstain_area=0, abstain_heads=0, total_area=8_000, total_heads=4,
                                          objection_ends=NOW))
    with engine.begin() as conn:
        for model, values in rows.items():
            if values:
                conn.execute(insert(model.__table__), values)


@pytest.fixture
def client(database_url, settings):
    engine = make_engine(database_url)
    _write(engine)
    engine.dispose()
    return TestClient(create_app(settings))


def test_the_flags_are_exactly_the_planted_anomalies(client):
    answer = client.get("/api/v1/district/flags")
    assert answer.status_code == 200, answer.text
    flags = answer.json()["items"]
    assert [(f["community"], f["kind"]) for f in flags] == [
        (B, "expense_spike"), (C, "suggestion_backlog"), (D, "collection_rate_low")]
    spike, backlog, low = (f["figures"] for f in flags)
    assert spike == {"category": 1, "month": MONTH, "amount": 3_500, "trailing_median": 1_000, "ratio": 3.5}
    assert backlog == {"unanswered_over_age": 3, "age_days": 30, "oldest_age_days": 50, "threshold": 2}
    assert low == {"collection_rate": 25.0, "district_median": 87.5, "gap_points": 62.5, "units_in_arrears": 3,
                   "arrears": 3 * 3 * MONTHLY}
    assert "3.5×" in flags[0]["message"] and flags[0]["name"] == "凉城小区"
    assert answer.json()["thresholds"] == {"expense_spike_factor": 3, "expense_trailing_months": 6,
                                           "collection_gap_points": 20, "backlog_age_days": 30, "backlog_max": 2}
    # Another month: the spike is of June only; in May nothing departs from its history.
    may = client.get("/api/v1/district/flags", params={"month": MONTH - 1}).json()["items"]
    assert [f["kind"] for f in may] == ["suggestion_backlog", "collection_rate_low"]


def test_the_table_holds_each_community_and_the_district(client):
    answer = client.get("/api/v1/district/communities")
    assert answer.status_code == 200, answer.text
    table = answer.json()
    items = {item["community"]: item for item in table["items"]}
    assert list(items) == [A, B, C, D]
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
    assert items[B]["assemblies_held"] == 0 and items[B]["assembly_turnout_area"] is None
    total = table["district"]
    assert (total["communities"], total["units"], total["units_paid_up"], total["fee_collection_rate"]) == \
        (4, 16, 12, 75.0)
    assert total["arrears"] == (0 + 0 + 1 + 3) * 3 * MONTHLY
    assert (total["suggestions_received"], total["suggestions_answered"]) == (10, 4)
    # The median over every answered suggestion of the district: 1 800, 3 600, 7 200, 86 400.
    assert total["suggestions_median_time_to_first_answer"] == 5_400.0
    assert (total["points_issued"], total["points_redeemed"]) == (400, 40)

    # The same table as CSV, by either route; the district's total last.
    for path, params in (("/api/v1/district/communities", {"format": "csv"}), ("/api/v1/district/communities.csv",
                                                                               {})):
        answer = client.get(path, params=params)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff"))))
        assert [r["community"] for r in rows] == [A, B, C, D, "district"]
        assert rows[3]["fee_collection_rate"] == "25.0" and rows[3]["arrears"] == str(3 * 3 * MONTHLY)
        assert rows[4]["units_paid_up"] == "12" and rows[1]["assembly_turnout_area"] == ""
    assert client.get("/api/v1/district/communities.csv").content == answer.content


@pytest.mark.parametrize("path, params, field", [
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
    """The table is kept for the index positions it was built at; a write of any
    community's checkpoint (new blocks, a rollback) builds it again."""
    assert client.get("/api/v1/district/communities").json()["district"]["units"] == 16
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(insert(Unit.__table__), [{"community": D, "unit_id": 5, "label": "1-5", "area": AREA,
                                               "identity": 5, "registered_block": HEAD + 1,
                                               "updated_block": HEAD + 1}])
        conn.execute(update(Checkpoint.__table__).where(Checkpoint.community == D)
                     .values(block_number=HEAD + 1, updated_at=2.0))
    engine.dispose()
    table = client.get("/api/v1/district/communities").json()
    d = next(item for item in table["items"] if item["community"] == D)
    assert (d["units"], d["units_in_arrears"], d["arrears"], d["indexed_block"]) == (5, 4, 4 * 3 * MONTHLY, HEAD + 1)
    assert (table["district"]["units"], table["district"]["fee_collection_rate"]) == (17, round(100 * 12 / 17, 2))


def test_fuzzed_input_gives_only_declared_answers(client):
    assert fuzz_routes(client.app, A, "^district$", 25) == 3


def test_an_empty_index_gives_an_empty_table_and_no_flags(database_url, settings):
    client = TestClient(create_app(settings))
    table = client.get("/api/v1/district/communities").json()
    assert table["items"] == [] and table["district"]["communities"] == 0
    assert table["district"]["units"] == 0 and table["district"]["fee_collection_rate"] is None
    assert client.get("/api/v1/district/flags").json()["items"] == []
    rows = client.get("/api/v1/district/communities.csv").text.lstrip("\ufeff").splitlines()
    assert len(rows) == 2 and rows[1].startswith("district,0 communities")
