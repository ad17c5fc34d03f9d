"""Deploying a district's communities on one chain, and listing each in the district's
registry (whole-transaction gas and wall time on anvil).

    python bench/district_bench.py                  10 communities
    python bench/district_bench.py --communities 50

Anchor: one community deployed alone, the way `ape run deploy` deploys a single
community (every contract, a 2-of-3 committee Safe, the constitution, the hand-over).
Each district community is the same deploy followed by its listing, a Safe transaction
of the street office (2-of-3); from the second on, its committee Safe is made on the Safe
infrastructure (SafeL2, SafeProxyFactory, …) the district's previous community listed,
as `ape run deploy --district` does, instead of deploying it again. Every transaction is checked against Osaka's cap
(16,777,216 gas, EIP-7825); the largest is printed. Wall time is anvil's, a block per
transaction: a chain sealing a block every 2 seconds takes about two seconds for each
of the transactions printed.

Then one district indexer (backend/indexer/district.py) discovers the N communities from
the registry's events and backfills them all into a fresh SQLite database, beside the
anchor of the per-community indexer backfilling the single community alone: events a
second. The communities hold only what their deploy wrote (roles, the constitution
table, the hand-over), so this is discovery and per-community overhead, not a year of
activity.

Why no factory deploying from blueprints (yet): measured here, no transaction of a
community's deploy comes near the cap (the largest, OwnersAssembly's creation, is 32 %
of it), so nothing needs splitting. A factory would not save much gas either: a contract
made from a blueprint still pays its code deposit (200 gas a byte) and its constructor;
only the initcode's calldata is saved. What it would save is transactions — 43M gas fits
in three or four of at most 16.7M instead of 35 — and so time on a 2-second chain (about
a minute per community today). The price is a second deploy path: the factory would
hold the assembly's powers while it wires the community (roles, the constitution table,
the committee Safe with its module and guard) and hand them over, all of which
`deploy_full_community` does today in Python and the tests exercise. Sending the
independent creations without waiting for each receipt would win most of the time back
without it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ape import accounts, chain, networks, project  # noqa: E402
from ape.logging import logger  # noqa: E402

from backend.chain.deployment import deploy_full_community, manifest_dict  # noqa: E402
from backend.chain.district import (  # noqa: E402
    deploy_district,
    register_community,
    shared_safe_infrastructure,
    street_office_caller,
)

TX_GAS_CAP = 16_777_216
# anvil answers the "finalized" tag with the head less 64 blocks.
ANVIL_FINALITY = 64


def transactions_since(first_block: int) -> list[dict]:
    """The receipts of every transaction from `first_block` to the head."""
    web3 = chain.provider.web3
    receipts = []
    for number in range(first_block, chain.blocks.head.number + 1):
        for tx_hash in web3.eth.get_block(number)["transactions"]:
            receipts.append(web3.eth.get_transaction_receipt(tx_hash))
    return receipts


def deploy(name: str, deployer, members, district=None) -> tuple:
    first = chain.blocks.head.number + 1
    started = time.perf_counter()
    # As `ape run deploy --district` does: Safe's infrastructure of the district's last community.
    shared = shared_safe_infrastructure(district) if district is not None else None
    community = deploy_full_community(project, chain, deployer, name=name, committee_members=members,
                                      committee_threshold=2, safe_infrastructure=shared)
    return community, transactions_since(first), time.perf_counter() - started


def what(receipt, names: dict[str, str]) -> str:
    created = receipt.get("contractAddress")
    if created:
        return f"create {names.get(created.lower(), created)}"
    return f"call {names.get(receipt['to'].lower(), receipt['to'])}"


def main(count: int) -> None:
    logger.set_level("WARNING")
    deployer = accounts.test_accounts[0]
    members = [accounts.test_accounts[i] for i in (2, 3, 4)]
    staff = [accounts.test_accounts[i] for i in (5, 6, 7)]

    anchor, receipts, anchor_wall = deploy("基准小区", deployer, members)
    gas = [r["gasUsed"] for r in receipts]
    anchor_gas = sum(gas)
    names = {c.address.lower(): n for n, c in anchor.contracts().items()}
    print(f"anchor: one community alone: {len(gas)} transactions, {sum(gas):,} gas, "
          f"largest {max(gas):,} ({max(gas) / TX_GAS_CAP:.0%} of the cap), {anchor_wall:.1f} s")
    print("  its five largest transactions:")
    for receipt in sorted(receipts, key=lambda r: -r["gasUsed"])[:5]:
        print(f"    {receipt['gasUsed']:>12,}  {what(receipt, names)}")

    started = time.perf_counter()
    district_block = chain.blocks.head.number + 1
    district, office = deploy_district(project, chain, deployer, members=staff, threshold=2)
    send = street_office_caller(chain, district, deployer, member_keys=[s.private_key for s in staff[:2]])
    print(f"district registry and the street office's Safe: {time.perf_counter() - started:.1f} s "
          f"(registry {district.address}, office {office})")

    per_community, listing, walls, largest = [], [], [], 0
    for index in range(count):
        community, receipts, wall = deploy(f"小区{index + 1:03d}", deployer, members, district)
        first = chain.blocks.head.number + 1
        listed_at = time.perf_counter()
        register_community(district, community, "嘉兴路街道", send)
        walls.append(wall + time.perf_counter() - listed_at)
        listed = transactions_since(first)
        gas = [r["gasUsed"] for r in receipts + listed]
        assert max(gas) <= TX_GAS_CAP, (community.name, max(gas))
        largest = max(largest, max(gas))
        per_community.append(sum(r["gasUsed"] for r in receipts))
        listing.append(sum(r["gasUsed"] for r in listed))
    assert district.community_count() == count

    print(f"{count} communities deployed and listed:")
    print(f"  {'':<36} {'median':>12} {'max':>12}   anchor")
    print(f"  {'deploy gas per community':<36} {statistics.median(per_community):>12,.0f} {max(per_community):>12,}"
          f"   {anchor_gas:,}")
    print(f"  {'listing gas (street office Safe tx)':<36} {statistics.median(listing):>12,.0f} {max(listing):>12,}")
    print(f"  {'wall time per community (s)':<36} {statistics.median(walls):>12.1f} {max(walls):>12.1f}"
          f"   {anchor_wall:.1f}")
    print(f"  largest transaction {largest:,} gas ({largest / TX_GAS_CAP:.0%} of the 16,777,216 cap); "
          f"total wall {sum(walls):.1f} s")

    chain.mine(ANVIL_FINALITY + 1)
    manifest = manifest_dict(anchor, "local")
    single_events, single_s = backfill(lambda engine, rpc, settings: _single(manifest, engine, rpc, settings))
    district_events, district_s = backfill(
        lambda engine, rpc, settings: _district(district.address, district_block, manifest, engine, rpc, settings))
    print("backfill into SQLite:")
    print(f"  district indexer, {count} communities: {district_events:,} events in {district_s:.2f} s, "
          f"{district_events / district_s:,.0f} events/s   anchor: one community alone {single_events:,} events in "
          f"{single_s:.2f} s, {single_events / single_s:,.0f} events/s")


def backfill(run) -> tuple[int, float]:
    """(events written, seconds) of `run(engine, rpc, settings)` into a fresh SQLite database."""
    from backend.core.config import Settings
    from backend.core.db import make_engine
    from backend.db.migrate import upgrade
    from backend.indexer.rpc import RpcClient

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/index.db"
        upgrade(url)
        engine = make_engine(url)
        rpc = RpcClient(chain.provider.uri, timeout_s=120)
        settings = Settings(database_url=url, rpc_url=chain.provider.uri)
        started = time.perf_counter()
        events = run(engine, rpc, settings)
        elapsed = time.perf_counter() - started
        rpc.close()
        engine.dispose()
    return events, elapsed


def _single(manifest, engine, rpc, settings) -> int:
    from backend.indexer.core import Indexer

    indexer = Indexer(manifest, engine, rpc, settings)
    indexer.prepare()
    return indexer.sync()


def _district(address, first_block, manifest, engine, rpc, settings) -> int:
    from backend.indexer.district import DistrictIndexer, abis_of

    return DistrictIndexer(address, first_block, abis_of(manifest), engine, rpc, settings).sync()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=10, help="communities to deploy and list (default 10)")
    args = parser.parse_args()
    with networks.parse_network_choice("ethereum:local:foundry"):
        main(args.communities)
