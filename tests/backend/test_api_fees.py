"""The fees, treasury and satisfaction API against a real anvil: the API says what
PropertyFees says (statements, balances, budgets, ratings), lists paginate and
filter, CSV exports, and bad input is a 422 naming the field."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import manifest_dict
from tests.backend.helpers import fuzz_routes


@pytest.fixture
def fees_api(fees_assembly, make_indexer, settings):
    make_indexer(manifest_dict(fees_assembly["community"], "local")).sync()
    client = TestClient(create_app(settings))
    return client, f"/api/v1/communities/{fees_assembly['community'].registry.address.lower()}", fees_assembly


def test_statements_and_config_equal_the_contract(fees_api, registry):
    client, base, stack = fees_api
    fees = stack["fees"]
    for unit_id in range(1, registry.unit_count() + 1):
        answer = client.get(f"{base}/units/{unit_id}/statement")
        assert answer.status_code == 200, answer.text
        got = answer.json()
        expected = fees.statement(unit_id)
        for field in ("first_unpaid_month", "current_month", "months_due", "months_overdue", "monthly_amount", "dues",
                      "late_fee", "total"):
            assert got[field] == getattr(expected, field), (unit_id, field)
        assert got["claimable_points"] == fees.claimable_points(unit_id)
    assert client.get(f"{base}/units/1/statement").json()["first_unpaid_month"] > fees.current_month()
    assert client.get(f"{base}/units/4/statement").json()["late_fee"] > 0
    config = client.get(f"{base}/fees/config").json()
    start, late, cap, prepay, share, points = fees.config()
    assert (config["billing_start_month"], config["late_fee_bps"], config["late_fee_cap_bps"],
            config["prepay_limit_months"], config["maintenance_share_bps"], config["points_rate"]) \
        == (start, late, cap, prepay, share, points)
    # The assembly: the latest holder of the registry's ASSEMBLY_ROLE (the timelock, after the deployer).
    assert config["governance"] == stack["timelock"].address.lower()
    assert config["treasury_module"] == stack["treasury"].address.lower() == fees.treasury().lower()
    assert (config["rate_in_force"], config["contract_in_force"]) == (250, fees.contract_in_force())
    assert (config["fee_income_mode"], config["commission_bps"]) == ("commission", 800)
    [contract] = client.get(f"{base}/fees/service-contracts").json()["items"]
    assert contract["approved"] and contract["rate"] == 250 and len(contract["service_items"]) == 2
    assert (contract["mode"], contract["commission_bps"]) == ("commission", fees.service_terms(1)[2])
    assert client.get(f"{base}/fees/service-contracts/1").json() == contract
    [segment] = client.get(f"{base}/fees/rates").json()["items"]
    assert (segment["start_month"], segment["rate"], segment["contract_id"]) == fees.rate_segment(0)


def test_treasury_budgets_projects_satisfaction_equal_the_contract(fees_api, provider):
    client, base, stack = fees_api
    fees, module = stack["fees"], stack["treasury"]
    treasury = client.get(f"{base}/treasury").json()
    assert treasury["balances"] == {"fee_income": fees.fee_income(), "public_income": fees.public_income(),
                                    "maintenance_fund": fees.maintenance_fund(),
                                    "maintenance_reserved": module.maintenance_reserved()}
    assert treasury["public_income_by_source"] == {"parking": 8_000, "advertising": 2_000}
    assert stack["token"].balanceOf(fees) == sum(treasury["balances"][k] for k in
                                                 ("fee_income", "public_income", "maintenance_fund"))
    assert (treasury["commission_accrued"], treasury["commission_paid"]) == (120_00 * 800 // 10_000,) * 2
    assert (treasury["decision_payouts"], treasury["lump_sum_paid"]) == (1_000, 0)
    # Emergency use stands apart from the projects' milestones.
    assert treasury["emergency"] == {"cap_per_use": module.emergency_cap_per_use(),
                                     "cap_per_year": module.emergency_cap_per_year(), "year": fees.current_month() // 12,
                                     "paid_this_year": 3_000_00, "paid_out": 3_000_00, "repairs": 1}
    assert (treasury["milestones_paid_out"], treasury["maintenance_paid_out"]) == (12_000_00, 15_000_00)
    [repair] = client.get(f"{base}/treasury/emergency-repairs").json()["items"]
    assert (repair["kind"], repair["kind_code"], repair["amount"], repair["payee"]) == \
        ("elevator", 1, 3_000_00, provider.address.lower())
    paid_out = client.get(f"{base}/treasury/disbursements", params={"fund": 2}).json()["items"]
    assert [p["amount"] for p in paid_out] == [3_000_00, 12_000_00]
    assert paid_out[-1]["balance_after"] == fees.maintenance_fund()
    current = fees.current_month()
    answer = client.get(f"{base}/treasury/budgets").json()
    assert [(b["fund"], b["category"]) for b in answer["items"]] == [("fee_income", 3), ("public_income", 3)]
    for budget, fund in zip(answer["items"], (0, 1)):
        assert (budget["budget"], budget["spent"]) == module.budget(budget["year"], fund, 3)
    assert [b["remaining"] for b in answer["items"]] == [1_000_000 - 120_00, 200_000 - 50_00]
    assert [(a["fund"], a["amount"], a["allocated"], a["spent"]) for a in answer["annual"]] == \
        [("fee_income", 1_000_000, 1_000_000, 120_00), ("public_income", 200_000, 200_000, 50_00)]
    for annual, fund in zip(answer["annual"], (0, 1)):
        assert (annual["amount"], annual["allocated"]) == module.annual_budget(annual["year"], fund)
    monthly = client.get(f"{base}/treasury/monthly").json()["items"]
    assert sum(f["amount"] for f in monthly if f["flow"] == "expense" and f["kind"] == "expense") == 170_00
    assert sum(f["amount"] for f in monthly if f["kind"] == "emergency_repair") == 3_000_00
    assert sum(f["amount"] for f in monthly if f["kind"] == "property_fee") + \
        sum(f["amount"] for f in monthly if f["kind"] == "maintenance_share") == treasury["fees_collected"]
    project, closed = client.get(f"{base}/treasury/maintenance-projects").json()["items"]
    assert (project["payee"], project["milestones"], project["released"], project["paid"], project["closed"]) == \
        (provider.address.lower(), [12_000_00, 8_000_00], 1, 12_000_00, False)
    assert (closed["paid"], closed["closed"]) == (0, True)
    assert client.get(f"{base}/treasury/maintenance-projects/1").json()["remaining"] == 8_000_00
    [rated] = client.get(f"{base}/satisfaction").json()["items"]
    assert (rated["count"], rated["sum"]) == fees.satisfaction(rated["period"])
    assert rated["average"] == 4.5
    assert rated["period"] < current


def test_payments_and_expenses_list_filter_and_export(fees_api, owner_b):
    client, base, stack = fees_api
    everything = client.get(f"{base}/fees/payments").json()["items"]
    assert len(everything) == 5
    first, cursor = [], None
    while True:
        page = client.get(f"{base}/fees/payments", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        first.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert first == everything
    mine = client.get(f"{base}/fees/payments", params={"payer": owner_b.address}).json()["items"]
    assert [(p["unit_id"], p["from_month"], p["to_month"]) for p in mine] == [(3, everything[1]["from_month"],
                                                                               everything[1]["from_month"])]
    unit2 = client.get(f"{base}/fees/payments", params={"unit_id": 2}).json()["items"]
    # Two overdue months and the current one: points for the current month (issue 17 #15).
    assert [p["points"] > 0 for p in unit2] == [True, True, True]
    last = unit2[-1]["to_month"]
    assert [p["to_month"] for p in client.get(f"{base}/fees/payments",
                                              params={"from_month": last, "to_month": last}).json()["items"]] == [last]
    answer = client.get(f"{base}/fees/payments.csv", params={"unit_id": 1})
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert [int(r["amount_fen"]) for r in rows] == [p["amount"] for p in everything if p["unit_id"] == 1]
    expenses = client.get(f"{base}/treasury/expenses").json()["items"]
    assert [(e["expense_id"], e["amount"], e["fund"]) for e in expenses] == [(1, 120_00, "fee_income"),
                                                                             (2, 50_00, "public_income")]
    assert [(e["commission"], e["contract_id"]) for e in expenses] == [(120_00 * 800 // 10_000, 1), (0, 0)]
    assert client.get(f"{base}/treasury/expenses", params={"fund": 1}).json()["items"] == expenses[1:]
    assert client.get(f"{base}/treasury/expenses/2").json()["invoice_hash"] == expenses[1]["invoice_hash"]
    exported = client.get(f"{base}/treasury/expenses.csv")
    assert [r["invoice_hash"] for r in csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff")))] == \
        [e["invoice_hash"] for e in expenses]
    incomes = client.get(f"{base}/treasury/public-income", params={"source": 1}).json()["items"]
    assert [(i["source"], i["amount"]) for i in incomes] == [("parking", 8_000)]


BAD_INPUT = [
    ("/fees/payments", {"unit_id": 0}, "unit_id"),
    ("/fees/payments", {"from_month": -1}, "from_month"),
    ("/fees/payments", {"payer": "0x12"}, "payer"),
    ("/treasury/expenses", {"fund": 2}, "fund"),
    ("/treasury/disbursements", {"fund": 3}, "fund"),
    ("/treasury/emergency-repairs", {"payee": "0x12"}, "payee"),
    ("/treasury/expenses", {"category": 256}, "category"),
    ("/treasury/public-income", {"source": 6}, "source"),
    ("/treasury/budgets", {"year": -1}, "year"),
    ("/units/1/statement", {"month": 2**40}, "month"),
    ("/treasury/expenses/0", {}, "expense_id"),
]


def test_unknown_ids_are_404_and_bad_input_422_naming_the_field(fees_api):
    # One scenario for all the cases: it is the expensive part of these tests.
    client, base, _ = fees_api
    for path in ("/units/99/statement", "/fees/service-contracts/9", "/treasury/expenses/9",
                 "/treasury/maintenance-projects/9"):
        assert client.get(base + path).status_code == 404, path
    for path, params, field in BAD_INPUT:
        answer = client.get(base + path, params=params)
        assert answer.status_code == 422, (path, answer.text)
        assert field in [entry["loc"][-1] for entry in answer.json()["detail"]], path


def test_fuzzed_fees_and_assembly_routes_give_no_server_error(fees_api, settings):
    """Schemathesis over the fees, treasury, satisfaction and assembly routes of an
    indexed community that has them (test_api_fuzz.py fuzzes a community without
    them, where these routes stop at the 404). One scenario for every operation."""
    _, base, stack = fees_api
    operations = fuzz_routes(create_app(settings), stack["community"].registry.address,
                             "^(fees|assembly)$", examples=12)
    assert operations >= 20
