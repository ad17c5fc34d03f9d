"""Payments received off chain in the index and the API, against a real anvil, on SQLite
and PostgreSQL: each payment shows its channel and who recorded it, a voided record's
months are unpaid again in the statement, the treasury holds only what came in tokens,
and each cashier's daily total is the contract's."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest
from eth_utils import keccak
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.api.main import create_app
from backend.chain.deploy_fees import deploy_fees
from backend.chain.deployment import manifest_dict
from backend.db.models import Base, RawEvent
from backend.indexer.specs import EVENT_SPECS

WECHAT, BANK = 1, 3


def h(text: str) -> bytes:
    return keccak(text=text)


@pytest.fixture
def cashier_api(populated, project, chain, accounts, committee, manager, owner_a, owner_b, make_indexer, settings):
    stack = deploy_fees(project, chain, committee, populated)
    fees, token = stack["PropertyFees"], stack["SettlementToken"]
    cashier = accounts.generate_test_account()
    committee.transfer(cashier, 10**19)
    populated.registry.grantRole(keccak(text="linli.role.cashier"), cashier, sender=committee)
    start = fees.config()[0]
    fees.propose_service_contract(h("物业服务合同"), manager, start, start + 35, 250, [h("cleaning")], 2, 800,
                                  sender=manager)
    fees.approve_service_contract(1, sender=committee)
    token.mint(owner_a, 10**9, sender=committee)
    token.approve(fees, 2**256 - 1, sender=owner_a)
    fees.pay(1, 2, 10**9, sender=owner_a)  # by token
    q2 = fees.quote(2, 3)
    fees.record_payment(2, q2[0], 3, q2[4], WECHAT, h("wx-2026-0001"), sender=cashier)
    q3, q4 = fees.quote(3, 1), fees.quote(4, 2)
    fees.record_payments([(3, q3[0], 1, q3[4], BANK, h("bank-1")), (4, q4[0], 2, q4[4], BANK, h("bank-2"))],
                         sender=cashier)
    # Unit 3's owner (owner_b) disputes; upheld, the record is void. Unit 4's dispute is rejected.
    fees.dispute_record(h("bank-1"), h("not my payment"), sender=owner_b)
    fees.answer_dispute(h("bank-1"), True, h("wrong unit"), sender=manager)
    fees.dispute_record(h("wx-2026-0001"), h("?"), sender=owner_a)
    make_indexer(manifest_dict(replace(populated, extra=stack), "local")).sync()
    client = TestClient(create_app(settings))
    base = f"/api/v1/communities/{populated.registry.address.lower()}"
    return client, base, fees, token, cashier, (q2[4], q3[4], q4[4])


def test_payments_show_their_channel_recorder_and_dispute(cashier_api, owner_a, registry):
    client, base, fees, token, cashier, _ = cashier_api
    items = client.get(f"{base}/fees/payments").json()["items"]
    shown = [(p["unit_id"], p["channel_name"], p["recorded_by"], p["dispute"], p["void"]) for p in items]
    who = cashier.address.lower()
    assert shown == [(1, "token", None, None, False), (2, "wechat", who, "open", False),
                     (3, "bank", who, "upheld", True), (4, "bank", who, None, False)]
    assert items[1]["reference"] == "0x" + h("wx-2026-0001").hex()
    # A recorded payment's receipt is the owner's, like a token payment's.
    assert items[1]["payer"] == owner_a.address.lower()
    rows = list(csv.DictReader(io.StringIO(client.get(f"{base}/fees/payments.csv").text)))
    assert [(r["channel"], r["recorded_by"], r["dispute"]) for r in rows] == \
        [(c, r or "", d or "") for _, c, r, d, _ in shown]
    for unit_id in range(1, registry.unit_count() + 1):
        got = client.get(f"{base}/units/{unit_id}/statement").json()
        expected = fees.statement(unit_id)
        for field in ("first_unpaid_month", "months_due", "dues", "late_fee", "total"):
            assert got[field] == getattr(expected, field), (unit_id, field)
        assert got["claimable_points"] == fees.claimable_points(unit_id), unit_id


def test_the_treasury_holds_only_token_payments(cashier_api):
    client, base, fees, token, cashier, (wechat, voided, bank) = cashier_api
    treasury = client.get(f"{base}/treasury").json()
    assert treasury["balances"]["fee_income"] == fees.fee_income()
    assert treasury["balances"]["maintenance_fund"] == fees.maintenance_fund()
    assert token.balanceOf(fees) == fees.fee_income() + fees.maintenance_fund()
    assert treasury["fees_recorded_off_chain"] == wechat + bank
    assert treasury["fees_collected"] == token.balanceOf(fees) + wechat + bank
    # The voided record's dues and late fee are not collected either.
    assert treasury["dues_collected"] + treasury["late_fees_collected"] == treasury["fees_collected"]


def test_the_months_income_is_split_by_channel_without_the_voided_record(cashier_api):
    """The treasury's monthly flows say how fee income came in, and agree with its totals:
    the voided bank record (an upheld dispute) is not income in any month."""
    client, base, fees, token, cashier, (wechat, voided, bank) = cashier_api
    treasury = client.get(f"{base}/treasury").json()
    monthly = client.get(f"{base}/treasury/monthly").json()["items"]
    fee_rows = [f for f in monthly if f["kind"] in ("property_fee", "maintenance_share")]
    by_channel: dict[str, int] = {}
    for row in fee_rows:
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + row["amount"]
    assert by_channel == {"token": token.balanceOf(fees), "wechat": wechat, "bank": bank}
    assert sum(by_channel.values()) == treasury["fees_collected"]
    counts = {(f["channel"], f["kind"]): f["count"] for f in fee_rows}
    assert counts[("wechat", "property_fee")] == 1 and counts[("bank", "property_fee")] == 1
    assert all(f["channel"] is None for f in monthly if f["kind"] not in ("property_fee", "maintenance_share"))


def test_the_cashiers_daily_total_is_the_contracts(cashier_api, owner_a):
    client, base, fees, token, cashier, (wechat, voided, bank) = cashier_api
    [day] = client.get(f"{base}/fees/cashier-days", params={"cashier": cashier.address}).json()
    assert day["cashier"] == cashier.address.lower() and day["records"] == 3
    assert day["total"] == fees.cashier_total(cashier, day["day"]) == wechat + voided + bank
    assert client.get(f"{base}/fees/cashier-days", params={"cashier": owner_a.address}).json() == []
    assert client.get(f"{base}/fees/cashier-days", params={"from_day": -1}).status_code == 422


def test_each_cashier_event_lands_in_its_table_whole(cashier_api, engine):
    specs = [s for s in EVENT_SPECS if s.event in ("FeeRecorded", "RecordDisputed", "DisputeAnswered")]
    assert len(specs) == 3
    with engine.connect() as conn:
        for spec in specs:
            table = Base.metadata.tables[spec.table]
            raw = conn.scalar(select(func.count()).select_from(RawEvent).where(RawEvent.event == spec.event))
            assert conn.scalar(select(func.count()).select_from(table)) == raw > 0, spec.event
            for column in spec.columns:
                assert conn.scalar(select(func.count()).select_from(table).where(table.c[column].is_(None))) == 0


def test_disputes_and_their_answers_are_listed(cashier_api, owner_a, owner_b, manager):
    client, base, fees, token, cashier, _ = cashier_api
    items = client.get(f"{base}/fees/disputes").json()["items"]
    assert [(d["unit_id"], d["owner"], d["state"], d["answered_by"]) for d in items] == \
        [(3, owner_b.address.lower(), "upheld", manager.address.lower()), (2, owner_a.address.lower(), "open", None)]
    assert items[0]["reason"] == "0x" + h("not my payment").hex() and items[0]["answer"] == "0x" + h("wrong unit").hex()
    assert [d["unit_id"] for d in client.get(f"{base}/fees/disputes", params={"unit_id": 2}).json()["items"]] == [2]


def test_a_statement_is_checked_line_by_line_and_what_matches_records_as_is(cashier_api, registry):
    """The cashier desk's check (the pages send a bank statement before any transaction): a
    good file comes back as the records to send, whose arguments the contract accepts as they
    are; a bad one comes back with every bad line by number and nothing else."""
    client, base, fees, token, cashier, _ = cashier_api
    label = {u: registry.unit(u)[0] for u in (1, 2)}
    one, two = fees.quote(1, 1)[4], fees.quote(1, 2)[4] - fees.quote(1, 1)[4]
    good = ("date,unit,amount_yuan,channel,reference\n"
            f"2026-12-01,{label[1]},{one / 100:.2f},wechat,wx-check-1\n"
            f"2026-12-02,{label[1]},{two / 100:.2f},银行,bank-check-2\n")
    answer = client.post(f"{base}/fees/statement-check", json={"csv": good})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    first = fees.first_unpaid_month(1)
    assert [(p["line"], p["unit_label"], p["from_month"], p["months"], p["amount"], p["channel"])
            for p in body["payments"]] == [(2, label[1], first, 1, one, WECHAT), (3, label[1], first + 1, 1, two, BANK)]
    assert body["payments"][0]["reference_hash"] == "0x" + h("wx-check-1").hex()
    assert body["total"] == one + two and body["batches"] == [[0, 1]]
    fees.record_payments([(p["unit_id"], p["from_month"], p["months"], p["amount"], p["channel"], p["reference_hash"])
                          for p in body["payments"]], sender=cashier)
    assert fees.first_unpaid_month(1) == first + 2

    # Now: one reference is on chain, one unit unknown, one amount that is no number of months.
    bad = ("date,unit,amount_yuan,channel,reference\n"
           f"2026-12-03,{label[2]},1.00,cash,cash-3\n"
           "2026-12-03,9-9-999,10.00,cash,cash-4\n"
           f"2026-12-03,{label[1]},{one / 100:.2f},wechat,wx-check-1\n"
           "2026-13-01,,x,paypal,\n")
    answer = client.post(f"{base}/fees/statement-check", json={"csv": bad})
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert detail["code"] == "bad_lines"
    # The file's own faults first (all of line 5's), before anything is read from the chain.
    assert sorted({e["line"] for e in detail["errors"]}) == [5]
    bad = bad.rsplit("\n", 2)[0] + "\n"
    detail = client.post(f"{base}/fees/statement-check", json={"csv": bad}).json()["detail"]
    assert [e["line"] for e in detail["errors"]] == [2, 3, 4]
    assert "not the amount due" in detail["errors"][0]["message"]
    assert "not registered" in detail["errors"][1]["message"]
    assert "already recorded" in detail["errors"][2]["message"]
    assert client.post(f"{base}/fees/statement-check", json={"csv": "unit,amount\n"}).status_code == 422
    too_long = "date,unit,amount_yuan,channel,reference\n" + "\n" * 2_001
    assert client.post(f"{base}/fees/statement-check", json={"csv": too_long}).status_code == 422
    # A month's statement is larger than the API's usual 16 KiB body: it is read and checked
    # (here 1,500 bad lines, each named), not refused by size at the door.
    month = "date,unit,amount_yuan,channel,reference\n" + "2026-13-01,,x,paypal,\n" * 1_500
    assert len(month.encode()) > 2 * 16_384
    answer = client.post(f"{base}/fees/statement-check", json={"csv": month})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"]["errors"][-1]["line"] == 1_501
