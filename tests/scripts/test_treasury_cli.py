"""`ape run committee budget` and `ape run manager expenses` as operators run them, in a
subprocess against the test chain: good files applied and visible on chain, files with
several bad lines refused with every line named and nothing sent, --dry-run sending
nothing, the wrong role refused before sending, and a committee Safe whose batch needs
its threshold of members' signatures.

One community per module (`books`): fees and treasury, public income held, the
assembly's annual public-income budget approved, and a 2-of-3 committee Safe (owner_a,
owner_b, owner_c) holding the committee role beside the deployer (account 0, the
assembly and an EOA committee, as in a demo before its hand-over)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from eth_utils import keccak

from backend.chain.deploy_fees import deploy_fees
from backend.chain.deployment import deploy_community, manifest_dict, write_manifest
from backend.chain.safe import create_safe, deploy_safe_infrastructure
from backend.chain.treasury_csv import TreasuryCsvError, parse_budget_csv, parse_expense_csv

ROOT = Path(__file__).resolve().parents[2]
APE = str(Path(sys.executable).with_name("ape"))
COMMITTEE = keccak(text="linli.role.committee")
MANAGER = keccak(text="linli.role.manager")
PUBLIC_INCOME = 1
ANNUAL = 3_000_000  # 30,000.00 yuan of public income for the year
HELD = 5_000_000  # 50,000.00 yuan of public income received


@pytest.fixture(scope="module")
def books(project, chain, committee, manager, owner_a, owner_b, owner_c, provider, tmp_path_factory):
    community = deploy_community(project, chain, committee, name="账本小区")
    registry = community.registry
    registry.grantRole(MANAGER, manager, sender=committee)
    stack = deploy_fees(project, chain, committee, community)
    fees, treasury, token = stack["PropertyFees"], stack["CommunityTreasury"], stack["SettlementToken"]
    token.mint(provider, HELD, sender=committee)
    token.approve(fees, HELD, sender=provider)
    fees.receive_public_income(provider, HELD, 1, sender=provider)
    year = fees.current_month() // 12
    treasury.approve_annual_budget(year, PUBLIC_INCOME, ANNUAL, keccak(text="2026 budget"), sender=committee)
    infra = deploy_safe_infrastructure(chain, committee)
    safe = create_safe(infra, [owner_a, owner_b, owner_c], 2, sender=committee)
    registry.grantRole(COMMITTEE, safe.address, sender=committee)
    extra = {**stack, "CommitteeSafe": safe, "SafeL2": infra.singleton, "SafeProxyFactory": infra.proxy_factory,
             "CompatibilityFallbackHandler": infra.fallback_handler, "MultiSendCallOnly": infra.multi_send}
    folder = tmp_path_factory.mktemp("books")
    manifest = folder / "m.json"
    write_manifest(manifest_dict(replace(community, extra=extra), "local"), manifest)
    (folder / "invoices").mkdir()
    (folder / "invoices" / "cleaning-11.pdf").write_bytes(b"%PDF invoice cleaning November")
    return SimpleNamespace(registry=registry, fees=fees, treasury=treasury, safe=safe, year=year, folder=folder,
                           manifest=manifest)


def ape_run(chain, books, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "APE_FOUNDRY_HOST": chain.provider.uri, **extra_env}
    for name in ("LINLI_DEPLOYER_KEY", "LINLI_MANAGER_KEY", "LINLI_COMMITTEE_KEYS"):
        if name not in extra_env:
            env.pop(name, None)
    return subprocess.run([APE, "run", *args, "--manifest", str(books.manifest), "--network", "ethereum:local:foundry"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def write(books, name: str, header: str, *lines: str) -> str:
    path = books.folder / name
    path.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def budget_csv(books, name, *lines):
    return write(books, name, "fund,category,amount_yuan", *lines)


def expense_csv(books, name, *lines):
    return write(books, name, "category,payee,amount_yuan,invoice,fund", *lines)


def nonces(chain, *accounts):
    return [chain.provider.get_nonce(a.address) for a in accounts]


# --------------------------------------------------------------------- the files alone


def test_every_bad_line_of_the_files_is_reported_by_number(tmp_path):
    with pytest.raises(TreasuryCsvError) as info:
        parse_budget_csv("fund,category,amount_yuan\n"
                         "public_income,cleaning,100\n"
                         "maintenance,1,100\n"  # 3
                         "2,1,100\n"  # 4
                         "public_income,花园,100\n"  # 5
                         "1,0,100\n"  # 6
                         "1,2,1.234\n"  # 7
                         "公共收益,保洁,5\n"  # 8: duplicates line 2
                         "1,3\n")  # 9
    assert sorted({e.line for e in info.value.errors}) == list(range(3, 10))
    text = str(info.value)
    for fragment in ("line 3: fund 'maintenance' is not", "line 4: fund 2 (the maintenance fund)",
                     "line 5: category '花园'", "line 6: category '0'", "line 7: amount '1.234' has more than two",
                     "line 8: category 1 (cleaning 保洁) of public income duplicates line 2",
                     "line 9: expected 3 fields, found 2"):
        assert fragment in text
    (tmp_path / "inv.pdf").write_bytes(b"invoice")
    payee = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
    [good] = parse_expense_csv(f'category,payee,amount_yuan,invoice,fund\n保洁,{payee},"1,234.50",inv.pdf,1\n', tmp_path)
    assert (good.category, good.amount, good.invoice_hash) == (1, 123_450, hashlib.sha256(b"invoice").digest())
    with pytest.raises(TreasuryCsvError) as info:
        parse_expense_csv("category,payee,amount_yuan,invoice,fund\n"
                          f"1,{payee.lower()},10,{'ab' * 32},1\n"  # 2: checksum
                          f"1,{payee},0,{'ab' * 32},1\n"  # 3: zero amount
                          f"1,{payee},10,missing.pdf,1\n"  # 4: no such invoice file
                          f"1,{payee},10,,1\n"  # 5: no invoice
                          f"1,{payee},10,0x{'00' * 32},1\n"  # 6: zero hash
                          f"1,0x{'00' * 20},10,{'ab' * 32},1\n", tmp_path)  # 7: zero payee
    assert [e.line for e in info.value.errors] == [2, 3, 4, 5, 6, 7]
    assert "fails the EIP-55 checksum" in str(info.value) and "missing.pdf" in str(info.value)


# --------------------------------------------------------------------- on chain


def test_a_good_budget_and_good_expenses_are_applied(chain, books, committee, manager, provider):
    treasury, year = books.treasury, books.year
    budget = budget_csv(books, "budget.csv", "public_income,cleaning,12000.00", "1,4,8000")
    before = nonces(chain, committee)
    dry = ape_run(chain, books, "committee", "budget", "--csv", budget, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "line 2: " in dry.stdout and "budget ¥12,000.00" in dry.stdout and "nothing sent" in dry.stdout
    assert nonces(chain, committee) == before and treasury.annual_budget(year, PUBLIC_INCOME)[1] == 0
    done = ape_run(chain, books, "committee", "budget", "--csv", budget)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("tx 0x") == 2
    assert treasury.budget(year, PUBLIC_INCOME, 1) == (1_200_000, 0)
    assert treasury.budget(year, PUBLIC_INCOME, 4) == (800_000, 0)
    assert treasury.annual_budget(year, PUBLIC_INCOME) == (ANNUAL, 2_000_000)

    expenses = expense_csv(books, "expenses.csv", f"cleaning,{provider.address},1250.00,invoices/cleaning-11.pdf,1",
                           f"4,{provider.address},800.50,0x{'ab' * 32},public_income")
    before = nonces(chain, manager)
    dry = ape_run(chain, books, "manager", "expenses", "--csv", expenses, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "nothing sent" in dry.stdout and nonces(chain, manager) == before and treasury.expense_count() == 0
    held = books.fees.public_income()
    done = ape_run(chain, books, "manager", "expenses", "--csv", expenses)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("tx 0x") == 2 and "recorded 2 expense(s), ¥2,050.50" in done.stdout
    assert treasury.expense_count() == 2
    assert treasury.budget(year, PUBLIC_INCOME, 1) == (1_200_000, 125_000)
    assert books.fees.public_income() == held - 205_050


def test_files_with_bad_lines_are_refused_whole_and_nothing_is_sent(chain, books, committee, manager, provider):
    treasury, year = books.treasury, books.year
    budget = budget_csv(books, "bad-budget.csv",
                        "1,1,20000", "1,2,10000.01",  # 3: over the annual budget by 0.01 (with line 2)
                        "0,1,100",  # 4: fee income, no budget approved for it
                        "1,x,1", "1,3,-2")  # 5, 6: the file's own problems
    before = nonces(chain, committee)
    refused = ape_run(chain, books, "committee", "budget", "--csv", budget)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "4 problem(s), nothing sent" in out, out[-1500:]
    assert "line 3: public income categories of" in out and "over the assembly's annual budget ¥30,000.00 by ¥0.01" in out
    assert "line 4: the assembly approved no fee income budget" in out
    assert "line 5: category 'x'" in out and "line 6: amount '-2' must be greater than 0" in out
    assert "line 2:" not in out
    wrong_year = ape_run(chain, books, "committee", "budget", "--csv", budget, "--year", str(year - 1))
    out = wrong_year.stdout + wrong_year.stderr
    assert wrong_year.returncode != 0 and f"line 2: year {year - 1} is not this year" in out and "line 6:" in out
    assert nonces(chain, committee) == before and treasury.annual_budget(year, PUBLIC_INCOME)[1] == 0

    treasury.allocate_budget(year, PUBLIC_INCOME, 1, 100_000, sender=committee)  # 1,000.00 for cleaning
    expenses = expense_csv(books, "bad-expenses.csv",
                           f"1,{provider.address},600,{'ab' * 32},1",
                           f"1,{provider.address},400.01,{'cd' * 32},1",  # 3: the two exceed the 1,000.00
                           f"2,{provider.address},10,{'ab' * 32},1",  # 4: no security budget
                           f"1,{committee.address},1,{'ab' * 32},1",  # 5: the committee (EOA) as payee
                           f"1,{books.safe.address},1,{'ab' * 32},1",  # 6: the committee's Safe as payee
                           f"1,{provider.address},1,invoices/nowhere.pdf,1",  # 7: no invoice file
                           f"1,{provider.address},1,{'ab' * 32},2")  # 8: the maintenance fund
    before = nonces(chain, manager)
    refused = ape_run(chain, books, "manager", "expenses", "--csv", expenses)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "nothing sent" in out
    assert "line 3: ¥400.01 exceeds the ¥400.00 left" in out
    assert "line 4: no public income budget for category 2" in out
    assert f"line 5: payee {committee.address} holds the committee role" in out
    assert f"line 6: payee {books.safe.address} holds the committee role" in out
    assert "line 7: invoice 'invoices/nowhere.pdf'" in out and "line 8: fund 2 (the maintenance fund)" in out
    assert "line 2:" not in out
    assert nonces(chain, manager) == before and treasury.expense_count() == 0


def test_the_wrong_role_is_refused_before_sending(chain, books, committee, manager, owner_a, tenant, provider):
    treasury, year = books.treasury, books.year
    budget = budget_csv(books, "budget.csv", "1,1,100")
    before = nonces(chain, manager, tenant)
    for who in (manager, tenant):  # the manager, a resident
        refused = ape_run(chain, books, "committee", "budget", "--csv", budget, LINLI_DEPLOYER_KEY=who.private_key)
        out = refused.stdout + refused.stderr
        assert refused.returncode != 0 and f"{who.address} does not hold the committee role" in out
        assert "needs 2 members' signatures" in out and "nothing sent" in out
    assert nonces(chain, manager, tenant) == before and treasury.annual_budget(year, PUBLIC_INCOME)[1] == 0
    treasury.allocate_budget(year, PUBLIC_INCOME, 1, 100_000, sender=committee)
    expenses = expense_csv(books, "expenses.csv", f"1,{provider.address},10,{'ab' * 32},1")
    before = nonces(chain, committee, owner_a)
    for who in (committee, owner_a):  # the committee, a resident
        refused = ape_run(chain, books, "manager", "expenses", "--csv", expenses, LINLI_MANAGER_KEY=who.private_key)
        out = refused.stdout + refused.stderr
        assert refused.returncode != 0 and f"{who.address} does not hold the manager role; nothing sent" in out
    assert nonces(chain, committee, owner_a) == before and treasury.expense_count() == 0
    assert treasury.budget(year, PUBLIC_INCOME, 1) == (100_000, 0)


def test_the_committee_safe_allocates_in_one_transaction_at_its_threshold(chain, books, owner_a, owner_c):
    treasury, year = books.treasury, books.year
    budget = budget_csv(books, "budget.csv", "public_income,cleaning,12000", "1,2,6000", "1,3,2000.50")
    key = {"LINLI_DEPLOYER_KEY": owner_c.private_key}  # a member who sends (pays the gas), holding no role itself
    safe_nonce, before = books.safe.call_view_method("nonce"), nonces(chain, owner_c)
    alone = ape_run(chain, books, "committee", "budget", "--csv", budget, "--signer", "TEST::2", **key)
    out = alone.stdout + alone.stderr
    assert alone.returncode != 0 and "needs 2 members' signatures" in out and "nothing sent" in out
    stranger = ape_run(chain, books, "committee", "budget", "--csv", budget, "--signer", "TEST::2",
                       "--signer", "TEST::8", **key)
    assert stranger.returncode != 0 and "non-members" in stranger.stdout + stranger.stderr
    assert nonces(chain, owner_c) == before and books.safe.call_view_method("nonce") == safe_nonce
    signers = ("--signer", "TEST::2", "--signer", "TEST::3")
    dry = ape_run(chain, books, "committee", "budget", "--csv", budget, "--dry-run", *signers, **key)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "lines 2-4: one Safe transaction, safeTxHash 0x" in dry.stdout and "simulated" in dry.stdout
    assert nonces(chain, owner_c) == before and treasury.annual_budget(year, PUBLIC_INCOME)[1] == 0
    done = ape_run(chain, books, "committee", "budget", "--csv", budget, "--signer", "TEST::2", "--signer", "TEST::3",
                   **key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("tx 0x") == 1 and "lines 2-4: one Safe transaction" in done.stdout
    assert nonces(chain, owner_c) == [before[0] + 1] and books.safe.call_view_method("nonce") == safe_nonce + 1
    assert treasury.annual_budget(year, PUBLIC_INCOME) == (ANNUAL, 2_000_050)
    assert treasury.budget(year, PUBLIC_INCOME, 3) == (200_050, 0)
    assert owner_a.address in done.stdout


def test_a_long_budget_is_split_into_safe_transactions_under_the_gas_cap(chain, books, owner_c):
    treasury, year = books.treasury, books.year
    budget = budget_csv(books, "long.csv", *(f"1,{category},1.00" for category in range(1, 256)))
    done = ape_run(chain, books, "committee", "budget", "--csv", budget, "--signer", "TEST::2", "--signer", "TEST::3",
                   LINLI_DEPLOYER_KEY=owner_c.private_key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lines 2-251: one Safe transaction" in done.stdout and "lines 252-256: one Safe transaction" in done.stdout
    hashes = list(dict.fromkeys(word for word in done.stdout.split() if word.startswith("0x") and len(word) == 66))
    gas = [chain.provider.get_receipt(tx).gas_used for tx in hashes]
    assert len(gas) == 2 and max(gas) < 16_777_216
    assert treasury.annual_budget(year, PUBLIC_INCOME) == (ANNUAL, 25_500)
    print(f"250 allocations in one SafeTx: {gas[0]:,} gas")
