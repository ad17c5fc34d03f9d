"""Gas of the foundation's transactions, whole-transaction gas on anvil.

    python bench/gas.py            (or: make bench)

Anchors: OpenZeppelin 5.7 ERC-20 on anvil 1.7.1 — transfer to a fresh holder
56,316, to an existing holder 39,216, approve 46,401. Goal: spending points at a
merchant, policy check included, within 10 % of the matching transfer.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ape import accounts, chain, networks, project  # noqa: E402
from ape.logging import logger  # noqa: E402

from backend.chain.deployment import deploy_community, role_id  # noqa: E402
from backend.chain.demo import demo_person  # noqa: E402
from backend.chain.units_csv import UnitRow, apply_units  # noqa: E402

OZ_TRANSFER_FRESH = 56_316
OZ_TRANSFER_EXISTING = 39_216
OZ_APPROVE = 46_401


def row(name: str, gas: int, anchor: int | None = None, note: str = "") -> None:
    if anchor:
        delta = (gas - anchor) / anchor * 100
        print(f"{name:<44} {gas:>10,}   {anchor:>10,}   {delta:>+6.1f} %  {note}")
    else:
        print(f"{name:<44} {gas:>10,}   {'—':>10}   {'':>8}  {note}")


def main() -> None:
    logger.set_level("WARNING")
    committee, owner, buyer, merchant, tenant = (accounts.test_accounts[i] for i in (0, 2, 3, 6, 5))
    community = deploy_community(project, chain, committee, name="bench")
    registry, points = community.registry, community.points
    people = [demo_person("owner", f"bench-{i}") for i in range(201)]

    print(f"{'operation':<44} {'gas':>10}   {'anchor':>10}   {'vs':>8}")
    tx = registry.register_unit("1-1-101", 8_950, owner, people[0].commitment, sender=committee)
    row("register unit (new owner, alone)", tx.gas_used)
    tx = registry.register_unit("1-1-102", 9_950, owner, people[0].commitment, sender=committee)
    row("register unit (second unit, same owner)", tx.gas_used)
    batch = [UnitRow(i, f"2-1-{i:04d}", 9_000 + i, p.address, p.commitment) for i, p in enumerate(people[1:61], start=1)]
    [receipt] = apply_units(registry, committee, batch, echo=lambda _m: None)
    row("register units, batch of 60 (per unit)", receipt.gas_used // 60,
        note=f"batch {receipt.gas_used:,}; cap 16,777,216 (EIP-7825)")

    registry.request_transfer(1, buyer, people[150].commitment, sender=committee)
    request_gas = chain.history[committee.address][-1].gas_used
    chain.pending_timestamp += registry.change_delay()
    tx = registry.execute_transfer(1, sender=buyer)
    row("transfer ownership: request (committee)", request_gas)
    row("transfer ownership: execute after delay", tx.gas_used)

    registry.grantRole(role_id("merchant"), merchant, sender=committee)
    tx = points.mint(owner, 1_000, 2, sender=committee)
    row("mint points (fresh holder, with reason)", tx.gas_used)
    tx = points.mint(owner, 1_000, 2, sender=committee)
    row("mint points (existing holder)", tx.gas_used)
    tx = points.transfer(merchant, 10, sender=owner)
    row("spend points at a merchant (fresh holder)", tx.gas_used, OZ_TRANSFER_FRESH)
    spends = [points.transfer(merchant, 10, sender=owner).gas_used for _ in range(5)]
    row("spend points at a merchant (existing)", int(statistics.median(spends)), OZ_TRANSFER_EXISTING)
    tx = points.approve(merchant, 100, sender=owner)
    row("approve", tx.gas_used, OZ_APPROVE)
    tx = points.transfer(owner, 5, sender=merchant)
    row("merchant refund", tx.gas_used, OZ_TRANSFER_EXISTING)
    tx = points.redeem(5, b"\x01" * 32, sender=merchant)
    row("merchant redeem (burn + settlement event)", tx.gas_used)

    # 1,000 units through the committee's import path: 17 transactions of at most 60.
    thousand = [demo_person("owner", f"import-{i}") for i in range(1_000)]
    rows = [UnitRow(i, f"9-{i // 100}-{i % 100:04d}", 8_000 + i, p.address, p.commitment) for i, p in enumerate(thousand)]
    started = time.perf_counter()
    receipts = apply_units(registry, committee, rows, echo=lambda _m: None)
    elapsed = time.perf_counter() - started
    print(f"\nimport 1,000 units: {len(receipts)} transactions, {sum(r.gas_used for r in receipts):,} gas, {elapsed:.1f} s (goal: well under 60 s)")
    # A link takes the wallet's consent: the owner's invitation, then the tenant's acceptance.
    print(f"\n{'households and recovery (issue 16)':<44} {'gas':>10}")
    row("link a tenant: owner's invitation", registry.invite_resident(2, tenant, people[200].commitment,
                                                                       sender=owner).gas_used)
    row("link a tenant: tenant's acceptance (consent)", registry.accept_residence(2, people[200].commitment,
                                                                                 sender=tenant).gas_used)
    # The buyer loses its phone: the committee requests with its evidence hash, the old
    # wallet objects once (one more delay), the recovery completes after both delays.
    phone = accounts.test_accounts.generate_test_account()
    identity = registry.identity_of(buyer)[1]
    row("recovery: request (committee, evidence hash)", registry.request_recovery(
        buyer, phone, b"\x07" * 32, sender=committee).gas_used)
    row("recovery: the old wallet's objection", registry.object_recovery(identity, b"\x08" * 32,
                                                                        sender=buyer).gas_used)
    chain.pending_timestamp += 2 * registry.change_delay() + 1
    row("recovery: completion after the delays", registry.execute_recovery(identity, sender=committee).gas_used)

    # The yearly household cap on participation points. Off (0) above: no registry call.
    # The committee's mints here call a cold registry; a module's mint often finds it warm.
    print(f"\n{'with a household cap set (1,000 per year)':<44} {'gas':>10}")
    points.set_household_cap(1_000, sender=committee)
    tx = points.mint(owner, 400, 2, sender=committee)
    row("mint points, household's first count this year", tx.gas_used)
    tx = points.mint(owner, 400, 2, sender=committee)
    row("mint points, household counted before", tx.gas_used)
    tx = points.mint(owner, 400, 2, sender=committee)
    row("mint points, clipped in part (MintClipped)", tx.gas_used)
    tx = points.mint(owner, 400, 2, sender=committee)
    row("mint points, clipped to 0 (nothing minted)", tx.gas_used)
    tx = points.mint(owner, 400, 1, sender=committee)
    row("committee grant (reason 1): no cap, no lookup", tx.gas_used)
    tx = points.mint(merchant, 400, 2, sender=committee)
    row("mint points, recipient in no household", tx.gas_used)


if __name__ == "__main__":
    with networks.parse_network_choice("ethereum:local:foundry"):
        main()
