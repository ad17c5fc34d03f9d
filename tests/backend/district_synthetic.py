# SPDX-License-Identifier: AGPL-3.0-only
"""A synthetic district written straight into the index tables (no chain), shared by the
district API's tests (tests/backend/test_api_district*.py) and the district page's
browser test (tests/e2e/test_district_page.py).

Five communities: A-D listed in a district registry, one anomaly of each kind planted
among normal figures (B's expense spike, C's suggestion backlog, D's low collection
rate, A's drop in the owners' rating of the property service); D was listed, retired by mistake and listed again (so it is not retired); E was
listed and retired, with figures that would move every total, flag and ranking if it
were counted."""

from __future__ import annotations

import hashlib
import itertools
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from backend.db.models import (
    Checkpoint,
    CommunityRecord,
    DistrictListing,
    Expense,
    EmergencyRepair,
    FeeDisbursement,
    FeePayment,
    FeeSetting,
    IndexedBlock,
    PointsMint,
    PointsRedemption,
    MaintenanceDeposit,
    ProposalResult,
    ServiceContractApproval,
    ServiceRating,
    SuggestionAnswered,
    SuggestionSubmitted,
    Unit,
)

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

A, B, C, D, E = ("0x" + digit * 40 for digit in "abcde")
NAMES = {A: "和平小区", B: "凉城小区", C: "曲阳小区", D: "广中小区", E: "旧名小区"}
PAID_UP = {A: 4, B: 4, C: 3, D: 1, E: 0}  # of 4 units: 100, 100, 75, 25, 0 percent
DISTRICT = "0x" + "d1" * 20
STREET = "嘉兴路街道"
# The registry's entries: (id, community, block listed, block retired or None).
LISTINGS = [(1, A, 20, None), (2, B, 21, None), (3, C, 22, None), (4, D, 23, 30), (5, E, 24, 31), (6, D, 32, None)]
E_RETIRED_BLOCK = 31
# The street office's note on E's retirement: its sha256 is on chain, the text in the public text store.
E_NOTE = "名称有误，该小区已并入和平小区"
E_REASON = "0x" + hashlib.sha256(E_NOTE.encode("utf-8")).hexdigest()
# Category 1 each month, oldest first: the six months before MONTH, then MONTH.
EXPENSES = {
    A: {1: [1_000] * 6 + [2_500], 2: [0] * 6 + [9_000]},  # 2.5×: normal; a first spend has no median: normal
    B: {1: [1_000, 1_000, 1_200, 800, 1_000, 1_000, 3_500]},  # 3.5× the median 1 000: planted
    C: {1: [500] * 7},
    D: {1: [700] * 6 + [2_100]},  # exactly 3×: not above
    E: {1: [100] * 6 + [9_900]},  # 99×: would be flagged, but E is retired
}
# Suggestions: (days before NOW submitted, seconds to the first answer or None).
SUGGESTIONS = {
    A: [(40, None), (45, None), (20, 3_600), (10, 7_200)],  # two old unanswered: at the threshold, not above
    B: [(60, 1_800)],
    C: [(35, None), (40, None), (50, None), (5, None), (31, 86_400)],  # three older than 30 days: planted
    D: [],
    E: [(90, None), (80, None), (70, None), (60, 60), (50, 60)],  # a backlog, and fast answers: retired
}

# The owners' ratings of the property service (1-5), by month rated: (first month, scores
# of each month before the last, scores of the last month, MONTH - 1).
RATINGS = {
    A: (MONTH - 7, [5, 4], [3, 3, 4]),  # 4.5 for six months, then 3.33: a drop of 1.17, planted
    B: (MONTH - 4, [5, 5], [1, 1]),  # a fall to 1.0, but two ratings only: not enough to say
    C: (MONTH - 5, [4, 4], [3, 3, 4]),  # 4.0, then 3.33: 0.67, normal
    D: (MONTH - 5, [4, 4], [3, 3, 3]),  # 4.0, then 3.0: exactly the threshold, not above it
    E: (MONTH - 7, [5, 5], [1, 1, 1]),  # would be flagged, but E is retired
}
# A's maintenance fund: a deposit, a milestone paid and an emergency repair (fen).
A_DEPOSIT, A_MILESTONE, A_EMERGENCY = 50_000, 8_000, 2_000


def write_district(engine) -> None:
    """Write the synthetic district into an index at the newest schema."""
    position = itertools.count(1)

    def event(community, **columns):
        n = next(position)
        return {"chain_id": CHAIN, "tx_hash": "0x" + f"{n:064x}", "log_index": 0, "community": community,
                "block_number": 10 + n, "block_timestamp": NOW - DAY, **columns}

    zero = "0x" + "00" * 32
    rows: dict = {model: [] for model in (CommunityRecord, Checkpoint, IndexedBlock, Unit, FeeSetting,
                                          ServiceContractApproval, FeePayment, Expense, SuggestionSubmitted,
                                          SuggestionAnswered, ProposalResult, PointsMint, PointsRedemption,
                                          ServiceRating, MaintenanceDeposit, FeeDisbursement, EmergencyRepair)}
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
        first, usual, last = RATINGS[community]
        identity = itertools.count(1)
        for period in range(first, MONTH):
            scores = last if period == MONTH - 1 else usual
            for score in scores:
                rows[ServiceRating].append(event(community, period=period, identity=next(identity), rater=zero[:42],
                                                 score=score, count=0, total=0))
        rows[PointsMint].append(event(community, recipient=zero[:42], amount=100, reason=1, minter=zero[:42]))
    rows[PointsRedemption].append(event(A, merchant=zero[:42], amount=40, settlement_ref=zero))
    rows[MaintenanceDeposit].append(event(A, depositor=zero[:42], amount=A_DEPOSIT, source=zero))
    for amount in (A_MILESTONE, A_EMERGENCY):
        rows[FeeDisbursement].append(event(A, fund=2, payee=zero[:42], amount=amount, balance_after=0,
                                           treasury=zero[:42]))
    rows[EmergencyRepair].append(event(A, repair_id=1, kind=1, payee=zero[:42], amount=A_EMERGENCY,
                                       approval_hash=zero, year=MONTH // 12, paid_this_year=A_EMERGENCY,
                                       paid_by=zero[:42]))
    rows[DistrictListing] = [{"chain_id": CHAIN, "district": DISTRICT, "district_id": district_id,
                              "community": community, "name": NAMES[community], "street": STREET,
                              "block_number": listed, "block_hash": "0x" + f"{listed:064x}",
                              "retired_block": retired, "retired_block_hash": retired and "0x" + f"{retired:064x}",
                              "retired_reason_hash": retired and (E_REASON if community == E else zero)}
                             for district_id, community, listed, retired in LISTINGS]
    # Community A's assembly: two proposals tallied, one passed; one tallied twice (queued, then
    # again). E's: full turnout (the best in the district, were it counted).
    for community, proposal_id, passed, part in ((A, "1", True, (6_000, 3)), (A, "2", False, (2_000, 1)),
                                                 (A, "2", False, (3_000, 2)), (E, "1", True, (8_000, 4))):
        rows[ProposalResult].append(event(community, proposal_id=proposal_id, passed=passed, turnout_met=passed,
                                          for_area=part[0], for_heads=part[1], against_area=0, against_heads=0,
                                          abstain_area=0, abstain_heads=0, total_area=8_000, total_heads=4,
                                          objection_ends=NOW))
    with engine.begin() as conn:
        for model, values in rows.items():
            if values:
                conn.execute(insert(model.__table__), values)
