"""Gas of PropertyFees and CommunityTreasury: billing a month (no transaction at all),
payments (the transferAndCall payment residents send, goal <= 70,000; the permit fallback with
where its gas goes),
expenses, an emergency repair.

Run (a plain Python script):
    cd /work/main && export PATH=$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH APE_DATA_FOLDER=$PWD/.ape
    python bench/gas_fees.py

It starts anvil through Ape, deploys through the same helpers as the tests
(deploy_community, deploy_fees), and prints a table: operation, gas measured, goal;
then the permit payment taken apart call by call (debug_traceTransaction).
"""

from __future__ import annotations

import sys
from pathlib import Path

from eth_utils import keccak

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ape import accounts, chain, networks, project  # noqa: E402

from backend.chain.deploy_fees import deploy_fees  # noqa: E402
from backend.chain.deployment import deploy_community, role_id  # noqa: E402
from eth_abi import encode  # noqa: E402

from tests.utils.permit import sign_permit  # noqa: E402

BATCH = 60  # the registry's batch limit
RATE = 250


def wallet(n: int) -> str:
    """A deterministic owner wallet for bench unit n (never used to sign)."""
    return "0x" + keccak(text=f"bench-owner-{n}")[-20:].hex()


def register(registry, committee, first: int, last: int, owner=None) -> None:
    """Register units first..last in batches of 60: one owner identity each, or
    all to `owner` (an account that signs, e.g. to claim points)."""
    for start in range(first, last + 1, BATCH):
        batch = [
            (f"B-{n}", 8_000 + n % 5_000, owner.address if owner else wallet(n),
             keccak(text=f"bench-identity-{'payer' if owner else n}"))
            for n in range(start, min(start + BATCH, last + 1))
        ]
        registry.register_units(batch, sender=committee)


def gas_between(start_block: int, end_block: int) -> int:
    """Gas used by every transaction in blocks (start_block, end_block]."""
    return sum(chain.blocks[number].gas_used for number in range(start_block + 1, end_block + 1))


def bill_a_month(fees, units: int) -> tuple[int, str]:
    """Cross a month boundary with no transaction and show that statements changed."""
    now = fees.current_month()
    boundary = fees.month_start(now + 1)
    chain.mine(timestamp=boundary - 1)
    before_block = chain.blocks.head.number
    before = [fees.statement(u) for u in (1, units)]
    chain.mine(timestamp=boundary)
    after = [fees.statement(u) for u in (1, units)]
    spent = gas_between(before_block, chain.blocks.head.number)
    assert all(a.months_due == b.months_due + 1 for a, b in zip(after, before)), (before, after)
    note = ", ".join(
        f"unit {u}: {b.months_due} month(s) {b.total / 100:.2f} -> {a.months_due} month(s) {a.total / 100:.2f} yuan"
        for u, b, a in zip((1, units), before, after)
    )
    return spent, note


def calldata_gas(data: bytes) -> int:
    """Intrinsic gas of a transaction's calldata (EIP-2028: 4 per zero byte, 16 otherwise)."""
    return sum(4 if b == 0 else 16 for b in data)


def permit_breakdown(tx) -> list[tuple[str, int]]:
    """Where the gas of a pay_with_permit transaction goes: intrinsic gas, each call
    PropertyFees makes (permit, the registry's area, transferFrom), PropertyFees' own
    work (storage, event, arithmetic), and the refund (the permit's allowance, set and
    spent back to zero in the same transaction, refunded up to a fifth of the gas)."""
    trace = chain.provider.make_request("debug_traceTransaction", [tx.txn_hash, {"disableStorage": True,
                                                                                "disableMemory": True}])
    logs = trace["structLogs"]
    data = bytes.fromhex(chain.provider.make_request("eth_getTransactionByHash", [tx.txn_hash])["input"][2:])
    intrinsic = 21_000 + calldata_gas(data)
    executed = logs[0]["gas"] - logs[-1]["gas"] + logs[-1]["gasCost"]
    calls: list[int] = []
    for i, log in enumerate(logs):
        if log["depth"] == 1 and log["op"] in ("CALL", "STATICCALL"):
            j = i + 1
            while j < len(logs) and logs[j]["depth"] > 1:
                j += 1
            calls.append(log["gas"] - logs[j]["gas"])
    permit, area, transfer = calls
    gross = intrinsic + executed
    return [
        ("intrinsic (21,000 + calldata)", intrinsic),
        ("token.permit (signature, nonce, allowance 0 -> amount, Approval)", permit),
        ("registry.unit_area (cold contract and slot)", area),
        ("token.transferFrom (allowance back to 0, 2 balances, 2 events)", transfer),
        ("PropertyFees itself (2 words read and written, FeePaid, arithmetic)", executed - permit - area - transfer),
        ("gross", gross),
        (f"refund (allowance back to 0; capped at gross / 5 = {gross // 5:,})", tx.gas_used - gross),
        ("charged", tx.gas_used),
    ]


def main() -> None:
    with networks.parse_network_choice("ethereum:local:foundry"):
        committee, manager, payer, tenant = accounts.test_accounts[0], accounts.test_accounts[1], accounts.test_accounts[2], accounts.test_accounts[5]
        repairer = accounts.test_accounts[7]
        community = deploy_community(project, chain, committee, name="bench")
        registry = community.registry
        registry.grantRole(role_id("manager"), manager, sender=committee)
        stack = deploy_fees(project, chain, committee, community)
        fees, token, treasury = stack["PropertyFees"], stack["SettlementToken"], stack["CommunityTreasury"]
        start = fees.current_month()
        # 酬金制 at 8 %: fee income is spent within the assembly's budget (the deployer still
        # holds the assembly's role here, so it approves).
        fees.propose_service_contract(keccak(text="contract"), manager, start, start + 35, RATE, [], 2, 800, sender=manager)
        fees.approve_service_contract(1, sender=committee)
        for who in (payer, tenant):
            token.mint(who, 10**10, sender=committee)
        token.approve(fees, 2**256 - 1, sender=payer)

        rows: list[tuple[str, int, str]] = []
        notes: list[str] = []

        register(registry, committee, 1, 2, owner=payer)  # the payer owns units 1 and 2
        register(registry, committee, 3, 10)
        gas10, note10 = bill_a_month(fees, 10)
        rows.append(("bill a month, 10 units", gas10, "O(1); 0 = no transaction"))
        notes.append(f"10 units, month boundary crossed with 0 transactions: {note10}")

        register(registry, committee, 11, 5_000)
        gas5000, note5000 = bill_a_month(fees, 5_000)
        rows.append(("bill a month, 5,000 units", gas5000, "equal to 10 units"))
        notes.append(f"5,000 units, month boundary crossed with 0 transactions: {note5000}")

        # Units 1 and 2 owe two months now, the earlier one overdue: points for the current one.
        tx = fees.pay(2, 2, 10**12, sender=payer)
        rows.append(("first payment ever into the contract (2 months, 1 late)", tx.gas_used, "-"))
        tx = fees.pay(1, 2, 10**12, sender=payer)
        rows.append(("first payment of a unit (2 months, 1 late, points for 1)", tx.gas_used, "-"))
        tx = fees.pay(1, 1, 10**12, sender=payer)
        rows.append(("pay 1 month on time, points accrue", tx.gas_used, "<= 70,000"))
        tx = fees.pay(1, 1, 10**12, sender=payer)
        rows.append(("pay 1 month on time, points accrue (steady state)", tx.gas_used, "<= 70,000"))
        tx = fees.pay(2, 1, 10**12, sender=payer)
        rows.append(("pay 1 month on time, points accrue, other unit", tx.gas_used, "<= 70,000"))
        fees.set_points_rate(0, sender=committee)
        tx = fees.pay(1, 1, 10**12, sender=payer)
        rows.append(("pay 1 month on time, points rate 0", tx.gas_used, "<= 70,000"))
        fees.set_points_rate(10_000, sender=committee)
        # The household claims what its payments earned: one mint for several units.
        tx = fees.claim_points([1], sender=payer)
        rows.append(("claim points, 1 unit (claimant's first points)", tx.gas_used, "once per many payments"))
        fees.pay(1, 1, 10**12, sender=payer)
        fees.pay(2, 1, 10**12, sender=payer)
        tx = fees.claim_points([1, 2], sender=payer)
        rows.append(("claim points, 2 units (holder already has points)", tx.gas_used, "once per many payments"))

        # Permit: the tenant pays unit 3 with a signed permit of exactly the amount, no
        # approve transaction (what the My home page sends).
        fees.pay(3, 2, 10**12, sender=payer)
        permit_tx = None
        for label in ("pay_with_permit (first permit of the wallet)", "pay_with_permit (steady state, as the page sends it)"):
            amount = fees.quote(3, 1)[4]
            deadline = chain.pending_timestamp + 3_600
            v, r, s = sign_permit(token, tenant, fees, amount, deadline, chain.chain_id)
            permit_tx = fees.pay_with_permit(3, 1, amount, deadline, v, r, s, sender=tenant)
            rows.append((label, permit_tx.gas_used, "fallback for a token without ERC-1363 (was 79,032)"))
        breakdown = permit_breakdown(permit_tx)
        # The same payment when the wallet's allowance already covers it (a permit signed
        # once for more than one payment): no permit call, no allowance set from zero.
        amount = fees.quote(3, 1)[4]
        deadline = chain.pending_timestamp + 3_600
        v, r, s = sign_permit(token, tenant, fees, amount * 12, deadline, chain.chain_id)
        token.permit(tenant, fees, amount * 12, deadline, v, r, s, sender=tenant)
        tx = fees.pay(3, 1, 10**12, sender=tenant)
        rows.append(("pay, allowance left by an earlier permit (no permit call)", tx.gas_used, "<= 70,000"))

        # ERC-1363: the tenant pays unit 3 with the token's transferAndCall of exactly the
        # amount due (what the My home page sends when the token supports ERC-1363): one
        # transaction, no signature, no allowance written and cleared.
        for label in ("transferAndCall (as the page sends it)", "transferAndCall (steady state)"):
            amount = fees.quote(3, 1)[4]
            tx = token.transferAndCall(fees, amount, encode(["uint256", "uint256"], [3, 1]), sender=tenant)
            rows.append((label, tx.gas_used, "<= 70,000 (issue 17 #23; permit path was 79,032)"))

        # Expenses: the assembly's annual budget, the committee's category, the manager's expense.
        year = fees.current_month() // 12
        treasury.approve_annual_budget(year, 0, 10**9, keccak(text="budget"), sender=committee)
        treasury.allocate_budget(year, 0, 1, 10**9, sender=committee)
        for label in ("record expense, fee income, 酬金制 (first)", "record expense, fee income, 酬金制 (steady state)"):
            tx = treasury.record_expense(1, repairer, 1_000, keccak(text=label), 0, sender=manager)
            rows.append((label, tx.gas_used, "-"))
        tx = fees.receive_public_income(tenant, 5_000, 1, sender=payer)
        rows.append(("receive public income", tx.gas_used, "-"))
        treasury.approve_annual_budget(year, 1, 10**9, keccak(text="budget"), sender=committee)
        treasury.allocate_budget(year, 1, 2, 10**9, sender=committee)
        tx = treasury.record_expense(2, repairer, 1_000, keccak(text="public"), 1, sender=manager)
        rows.append(("record expense, public income", tx.gas_used, "-"))

        # An emergency repair from the maintenance fund, within the assembly's caps.
        fees.deposit_maintenance(10**8, keccak(text="fund"), sender=payer)
        treasury.set_emergency_caps(10**7, 10**8, sender=committee)
        for label in ("emergency repair payout (first)", "emergency repair payout (steady state)"):
            tx = treasury.pay_emergency_repair(1, repairer, 5_000_00, keccak(text=label), sender=committee)
            rows.append((label, tx.gas_used, "-"))

        # The points' yearly household cap: the same claim with a cap set.
        points = community.points
        points.set_household_cap(10**9, sender=committee)
        fees.pay(1, 1, 10**12, sender=payer)
        tx = fees.claim_points([1], sender=payer)
        rows.append(("claim points, cap set, household's first count this year", tx.gas_used, "-"))
        fees.pay(1, 1, 10**12, sender=payer)
        tx = fees.claim_points([1], sender=payer)
        rows.append(("claim points, cap set, household counted before", tx.gas_used, "-"))
        points.set_household_cap(1, sender=committee)
        fees.pay(1, 1, 10**12, sender=payer)
        tx = fees.claim_points([1], sender=payer)
        rows.append(("claim points, household at its cap (clipped to 0)", tx.gas_used, "-"))

        width = max(len(r[0]) for r in rows)
        print(f"\nPropertyFees and CommunityTreasury gas (whole transaction, anvil, {chain.chain_id=})\n")
        print(f"{'operation':<{width}}  {'gas':>9}  goal / anchor")
        print(f"{'-' * width}  {'-' * 9}  {'-' * 28}")
        for name, gas, goal in rows:
            print(f"{name:<{width}}  {gas:>9,}  {goal}")
        print("\nWhere the gas of pay_with_permit (steady state) goes:\n")
        width = max(len(r[0]) for r in breakdown)
        for name, gas in breakdown:
            print(f"  {name:<{width}}  {gas:>9,}")
        print("\nA payment no longer calls the points contract: on-time points accrue in the unit's")
        print("payment word (the same storage write) and the household claims them later in one mint.")
        print("A payment reads and writes two words: the unit's, and one holding the configuration,")
        print("the latest rate and the fee income and maintenance fund balances.")
        print()
        for note in notes:
            print(note)


if __name__ == "__main__":
    main()
