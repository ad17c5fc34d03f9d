"""The bank statement import: every line that does not match a unit and its months is
reported by number, nothing is recorded unless all match; then batches record them
and the units are paid as if by token."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from eth_utils import keccak

from backend.chain.deploy_fees import deploy_fees
from backend.chain.deployment import manifest_dict, write_manifest
from backend.chain.statement_csv import StatementError, batches, match_statement, parse_statement_csv, \
    parse_yuan, record_payments

ROOT = Path(__file__).resolve().parents[2]
APE = str(Path(sys.executable).with_name("ape"))
CASHIER = keccak(text="linli.role.cashier")


def csv_of(*lines):
    return "date,unit,amount_yuan,channel,reference\n" + "\n".join(lines) + "\n"


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def test_every_bad_line_is_reported_by_number():
    text = csv_of(
        "2026-12-01,1-1-101,100.00,wechat,wx-1",
        "2026-13-01,1-1-101,100.00,wechat,wx-2",  # 3: bad date
        "2026-12-01,,100.00,wechat,wx-3",  # 4: no unit
        "2026-12-01,1-1-101,0,wechat,wx-4",  # 5: zero
        "2026-12-01,1-1-101,1.234,wechat,wx-5",  # 6: three decimals
        "2026-12-01,1-1-101,abc,wechat,wx-6",  # 7: not a number
        "2026-12-01,1-1-101,100,paypal,wx-7",  # 8: unknown channel
        "2026-12-01,1-1-101,100,bank,",  # 9: no reference
        "2026-12-01,1-1-101,100,bank,wx-1",  # 10: duplicate reference
        "2026-12-01,1-1-101,100",  # 11: missing fields
    )
    with pytest.raises(StatementError) as info:
        parse_statement_csv(text)
    assert sorted({e.line for e in info.value.errors}) == list(range(3, 12))
    for fragment in ("line 3: date '2026-13-01'", "line 4: unit is empty", "line 5: amount '0' must be greater",
                     "line 6: amount '1.234' has more than two decimals", "line 7: amount 'abc' is not a number",
                     "line 8: channel 'paypal'", "line 9: reference is empty",
                     "line 10: reference 'wx-1' duplicates line 2", "line 11: expected 5 fields, found 3"):
        assert fragment in str(info.value)
    with pytest.raises(StatementError, match="line 1: header must be"):
        parse_statement_csv("unit,amount\n")
    with pytest.raises(StatementError, match="no payments"):
        parse_statement_csv(csv_of())


def test_amounts_channels_and_batches():
    assert parse_yuan("1,234.50") == 123_450 and parse_yuan("0.01") == 1
    [line] = parse_statement_csv("\ufeff" + csv_of("2026-12-01,1-1-101,10,微信,x"))
    assert (line.channel, line.amount, line.reference_hash) == (1, 1_000, keccak(text="x"))
    with pytest.raises(ValueError):
        batches([], 101)


@pytest.fixture
def statement_desk(project, chain, accounts, committee, manager, populated):
    stack = deploy_fees(project, chain, committee, populated)
    fees = stack["PropertyFees"]
    start = fees.config()[0]
    fees.propose_service_contract(keccak(text="合同"), manager, start, start + 35, 250, [], 2, 800, sender=manager)
    fees.approve_service_contract(1, sender=committee)
    cashier = accounts.generate_test_account()
    committee.transfer(cashier, 10**19)
    populated.registry.grantRole(CASHIER, cashier, sender=committee)
    return populated, stack, fees, cashier


def test_lines_match_units_and_months_and_are_recorded(statement_desk, registry):
    community, stack, fees, cashier = statement_desk
    one, three = fees.quote(1, 1)[4], fees.quote(3, 3)[4]
    two_more = fees.quote(1, 3)[4] - one  # the file's second line for unit 1 pays its next two months
    text = csv_of(f"2026-12-01,1-1-101,{yuan(one)},wechat,wx-1", f"2026-12-01,1-1-201,{yuan(three)},bank,b-1",
                  f"2026-12-02,1-1-101,{yuan(two_more)},cash,c-1")
    payments = match_statement(parse_statement_csv(text), registry, fees)
    first_1, first_3 = fees.first_unpaid_month(1), fees.first_unpaid_month(3)
    assert [(p.line, p.unit_id, p.from_month, p.months) for p in payments] == \
        [(2, 1, first_1, 1), (3, 3, first_3, 3), (4, 1, first_1 + 1, 2)]
    receipts = record_payments(fees, cashier, payments, batch_size=2, echo=lambda _msg: None)
    assert len(receipts) == 2
    assert fees.first_unpaid_month(1) == first_1 + 3 and fees.first_unpaid_month(3) == first_3 + 3
    # The same statement again: every reference is already on chain.
    with pytest.raises(StatementError) as info:
        match_statement(parse_statement_csv(text), registry, fees)
    assert [e.line for e in info.value.errors] == [2, 3, 4]
    assert "already recorded on chain" in str(info.value)


def test_lines_that_do_not_match_are_all_reported_and_nothing_is_sent(statement_desk, registry):
    community, stack, fees, cashier = statement_desk
    one = fees.quote(1, 1)[4]
    text = csv_of(f"2026-12-01,1-1-101,{yuan(one)},wechat,ok-1", f"2026-12-01,9-9-999,{yuan(one)},wechat,no-unit",
                  f"2026-12-01,1-1-102,{yuan(one + 1)},bank,odd-amount",
                  f"2026-12-01,1-1-201,{yuan(10**8)},bank,too-much")
    with pytest.raises(StatementError) as info:
        match_statement(parse_statement_csv(text), registry, fees)
    assert [e.line for e in info.value.errors] == [3, 4, 5]
    assert "unit '9-9-999' is not registered" in str(info.value)
    assert "is not the amount due for any number of its next unpaid months" in str(info.value)


def test_the_command_refuses_a_bad_file_then_records_a_good_one(statement_desk, chain, tmp_path):
    community, stack, fees, cashier = statement_desk
    manifest = tmp_path / "m.json"
    write_manifest(manifest_dict(replace(community, extra=stack), "local"), manifest)
    one = fees.quote(2, 1)[4]
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_of(f"2026-12-01,1-1-102,{yuan(one)},alipay,a-1", f"2026-12-01,1-1-102,{yuan(one)},x,a-2"),
                   encoding="utf-8")
    env = {**os.environ, "APE_FOUNDRY_HOST": chain.provider.uri,
           "LINLI_CASHIER_KEY": cashier.private_key}

    def run(*args):
        return subprocess.run([APE, "run", "cashier", "import-statement", *args, "--manifest", str(manifest),
                               "--network", "ethereum:local:foundry"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=600)

    refused = run(str(bad))
    assert refused.returncode != 0 and "line 3: channel 'x'" in refused.stderr + refused.stdout
    before = fees.first_unpaid_month(2)
    good = tmp_path / "good.csv"
    good.write_text(csv_of(f"2026-12-01,1-1-102,{yuan(one)},alipay,a-1"), encoding="utf-8")
    dry = run(str(good), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "1 payments match" in dry.stdout and fees.first_unpaid_month(2) == before
    done = run(str(good))
    assert done.returncode == 0, done.stderr + done.stdout
    assert "tx 0x" in done.stdout and "recorded 1 payments" in done.stdout
    assert fees.first_unpaid_month(2) == before + 1
