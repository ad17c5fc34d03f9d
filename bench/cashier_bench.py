"""Payments received off chain: the gas of a cashier's record per unit in a batch of
100 (anchors: a resident's own token payment, and the 16,777,216 gas a transaction may
use), and the wall time of importing a 1,000-line bank statement (parse, match every
line against the chain, record in batches of 100), as `ape run cashier
import-statement` does it.

Run (a plain Python script):
    cd /work/main && export PATH=$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH APE_DATA_FOLDER=$PWD/.ape
    python bench/cashier_bench.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from eth_utils import keccak

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ape import accounts, networks, project  # noqa: E402

from backend.chain.deploy_fees import deploy_fees  # noqa: E402
from backend.chain.deployment import deploy_community, role_id  # noqa: E402
from backend.chain.statement_csv import match_statement, parse_statement_csv, record_payments  # noqa: E402

TX_GAS_CAP = 16_777_216  # EIP-7825
BATCH = 100
STATEMENT_LINES = 1_000
REGISTER_BATCH = 60  # the registry's batch limit


def register(registry, committee, first: int, last: int) -> None:
    for start in range(first, last + 1, REGISTER_BATCH):
        batch = [(f"C-{n}", 8_000 + n % 5_000, "0x" + keccak(text=f"cashier-bench-owner-{n}")[-20:].hex(),
                  keccak(text=f"cashier-bench-identity-{n}")) for n in range(start, min(start + REGISTER_BATCH, last + 1))]
        registry.register_units(batch, sender=committee)


def records(fees, units: range, tag: str) -> list[tuple]:
    out = []
    for unit_id in units:
        quote = fees.quote(unit_id, 1)
        out.append((unit_id, quote[0], 1, quote[4], 3, keccak(text=f"{tag}-{unit_id}")))
    return out


def main() -> None:
    with networks.parse_network_choice("ethereum:local:foundry"):
        from ape import chain

        committee, manager, payer, cashier = (accounts.test_accounts[i] for i in (0, 1, 2, 7))
        community = deploy_community(project, chain, committee, name="收银基准小区")
        registry = community.registry
        units = BATCH + STATEMENT_LINES + 1
        register(registry, committee, 1, units)
        registry.grantRole(role_id("manager"), manager, sender=committee)
        registry.grantRole(role_id("cashier"), cashier, sender=committee)
        stack = deploy_fees(project, chain, committee, community)
        fees, token = stack["PropertyFees"], stack["SettlementToken"]
        start = fees.config()[0]
        fees.propose_service_contract(keccak(text="合同"), manager, start, start + 35, 250, [], 2, 800, sender=manager)
        fees.approve_service_contract(1, sender=committee)
        token.mint(payer, 10**12, sender=committee)

        rows = []
        # Anchor: the resident's own payment by the token's transferAndCall (a unit's first payment).
        last = units
        amount = fees.quote(last, 1)[4]
        tx = token.transferAndCall(fees, amount, (last).to_bytes(32, "big") + (1).to_bytes(32, "big"), sender=payer)
        rows.append(("token payment by transferAndCall, a unit's first (anchor)", tx.gas_used, None))
        tx = fees.record_payment(*records(fees, range(BATCH + 1, BATCH + 2), "one")[0], sender=cashier)
        rows.append(("record_payment, one unit's first payment", tx.gas_used, None))
        tx = fees.record_payments(records(fees, range(1, BATCH + 1), "first"), sender=cashier)
        rows.append((f"record_payments of {BATCH} units' first payments", tx.gas_used, tx.gas_used // BATCH))
        tx = fees.record_payments(records(fees, range(1, BATCH + 1), "next"), sender=cashier)
        rows.append((f"record_payments of {BATCH} units' next month", tx.gas_used, tx.gas_used // BATCH))
        print(f"{'operation':<58} {'gas':>12} {'per unit':>9}")
        for name, gas, per_unit in rows:
            shown = "" if per_unit is None else f"{per_unit:,}"
            print(f"{name:<58} {gas:>12,} {shown:>9}")
        worst = max(gas for _, gas, _ in rows)
        print(f"transaction gas cap (EIP-7825): {TX_GAS_CAP:,}; the largest batch uses {worst / TX_GAS_CAP:.0%} of it")

        # A 1,000-line statement of units never paid: parse, match, record in batches of 100.
        lines = ["date,unit,amount_yuan,channel,reference"]
        for unit_id in range(BATCH + 2, BATCH + 2 + STATEMENT_LINES):
            # The month due now, on time: the area times the rate (what quote says; the match checks it).
            fen = ((8_000 + unit_id % 5_000) * 250 + 50) // 100
            lines.append(f"2026-12-05,C-{unit_id},{fen // 100}.{fen % 100:02d},bank,BANK-{unit_id:06d}")
        text = "\n".join(lines) + "\n"
        began = time.perf_counter()
        parsed = parse_statement_csv(text)
        payments = match_statement(parsed, registry, fees)
        matched = time.perf_counter()
        receipts = record_payments(fees, cashier, payments, echo=lambda _msg: None)
        done = time.perf_counter()
        gas = sum(r.gas_used for r in receipts)
        print(f"import of a {STATEMENT_LINES:,}-line statement: {done - began:.1f} s wall "
              f"(parse and match {matched - began:.1f} s, record {done - matched:.1f} s in {len(receipts)} "
              f"transactions, {gas:,} gas, {gas // STATEMENT_LINES:,} per line)")


if __name__ == "__main__":
    main()
