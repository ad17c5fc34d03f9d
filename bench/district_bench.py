# SPDX-License-Identifier: AGPL-3.0-only
"""A district on one chain: deploying its communities, a year of their activity, the
district indexer's backfill and head lag, and the district page's API under load.

    python bench/district_bench.py                         10 communities × 200 units, a year
    python bench/district_bench.py --communities 50 --profile
    python bench/district_bench.py --quick                 3 × 20, four months, short loads
    LINLI_TEST_DATABASE_URL=postgresql+psycopg://… python bench/district_bench.py   PostgreSQL too
    … --databases postgresql --units 200 --months 6 --follow-seconds 10 --api-seconds 20   a shorter run

With a year of activity, run it on an anvil started with a large block gas limit and
name it in APE_FOUNDRY_HOST: on the 30M-gas blocks Ape's anvil gets, the batched year
(hundreds of transactions of up to 16M gas queued at once) made anvil grow past 20 GB
and be killed by the kernel on the 23 GB machine:

    anvil --port 55447 --hardfork osaka --gas-limit 1000000000 --balance 1000000 --prune-history 256 &
    APE_FOUNDRY_HOST=http://127.0.0.1:55447 python bench/district_bench.py --communities 50

`--prune-history 256` keeps the last 256 states in memory and none on disk: without it
anvil writes every older block's state under ~/.foundry/anvil/tmp, and a 30-community run
with its year left 62 GB there (a 200-community deploy filled the disk at 15 GB more).
The bench reads only logs and the latest state, so nothing it does needs the old states.

Anchor: one community deployed alone, the way `ape run deploy` deploys a single
community (every contract, a 2-of-3 committee Safe, the constitution, the hand-over).
Without the factory, each district community is the same deploy followed by its
listing, a Safe transaction of the street office (2-of-3); its committee Safe is made
on the Safe infrastructure (SafeL2, SafeProxyFactory, …) the district's previous
community listed, instead of deploying it again. Every transaction is checked against Osaka's cap
(16,777,216 gas, EIP-7825); the largest is printed. Wall time is anvil's, a block per
transaction: a chain sealing a block every 2 seconds takes about two seconds for each
of the transactions printed.

A compact year (`activity_year`, sent in batches through demo_activity's NodeBatch with
anvil impersonating the committee Safe, the timelock and the owners, every community in
the same blocks): `--units` units registered in each community, a property service
contract, fee payments for every unit (quarterly; one unit in seven monthly; one in
twenty stops after the first quarter), a committee proposal with twenty owners' votes,
three works and ten likes, a service request and three suggestions.

Then the district indexer (backend/indexer/district.py) backfills every community into
a fresh SQLite and (with LINLI_TEST_DATABASE_URL) PostgreSQL database: events a second,
beside the anchor of the per-community indexer backfilling one of the same communities
alone (goal: the district at that rate or better). Then the district indexer in this
process at the head (`--step-blocks`, default 20): a block mined at a time, with
`--per-block` payments, and the wall time of the steps that bring every community to it
(what a block costs the indexer alone). Then, on each database: the API
(uvicorn in its own process) at 50 requests a second, open loop from a third process
(bench/api_bench.py --load), over /district/communities, /flags, /ranking and
communities.csv, first with no indexer running ("still": the table is cached until a
checkpoint moves), then `python -m backend.indexer --district` follows in its own
process while a block a second is mined (`--per-block` payments in turn across the
communities): head lag per block, from its mining to every community's checkpoint
holding it (goal ≤ 2 s), and the API again ("moving": the table is rebuilt after each
checkpoint). `--profile` times the route module's helpers over one uncached call of
each route, in process.

Each district community is built by the district's CommunityFactory
(contracts/CommunityFactory.vy, `ape run deploy --factory`): four transactions from the
chain's blueprints, the last of which lists it; the factory and the blueprints are made
once, before the first. `--contract-by-contract` deploys them instead as `ape run deploy
--district` without a factory does (43 transactions, then the street office's listing).
A blueprint saves no code deposit (200 gas a byte) nor constructor: what it saves is
transactions, and so time on a chain sealing a block every few seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from hashlib import sha256
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The loader (this file's --load, its own process) needs none of Ape: importing it took
# seconds of the loaded machine's CPU beside the API it measures.
LOADER = __name__ == "__main__" and sys.argv[1:2] == ["--load"]
if not LOADER:
    from ape import accounts, chain, networks, project  # noqa: E402
    from ape.logging import logger  # noqa: E402
    from eth_utils import to_checksum_address  # noqa: E402

    from backend.chain import demo_activity  # noqa: E402
    from backend.chain.deploy_assembly import proposal_id  # noqa: E402
    from backend.chain.community_factory import build_community, deploy_factory, enable_factory  # noqa: E402
    from backend.chain.deployment import deploy_full_community, manifest_dict, role_id  # noqa: E402
    from backend.chain.district import (  # noqa: E402
        deploy_district,
        register_community,
        shared_safe_infrastructure,
        street_office_caller,
    )
    from backend.chain.safe import INFRASTRUCTURE as SAFE_INFRASTRUCTURE  # noqa: E402

TX_GAS_CAP = 16_777_216
# anvil answers the "finalized" tag with the head less 64 blocks.
ANVIL_FINALITY = 64
GOAL_LAG_S = 2.0
GOAL_API_P99_MS = 50.0
API_RATE = 50  # requests a second, open loop
UNIT_BATCH = 60  # register_units: 60 units are ~13M gas, under the 16,777,216 cap
DAY = 86_400
API_ROUTES = [("communities", "/api/v1/district/communities"), ("flags", "/api/v1/district/flags"),
              ("ranking", "/api/v1/district/ranking"), ("communities.csv", "/api/v1/district/communities.csv")]


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


def owner(i: int) -> str:
    """Unit i's owner (the same wallets in every community: each community has its own registry)."""
    return to_checksum_address(f"0x{0xB0000 + i:040x}")


def load_now() -> str:
    """The machine's load average (1 and 5 minutes): the figures beside it depend on it."""
    one, five, _ = os.getloadavg()
    return f"[load {one:.1f} / {five:.1f}]"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# ---------------------------------------------------------------- deploy


def deploy_all(count: int, use_factory: bool = True):
    deployer = accounts.test_accounts[0]
    members = [accounts.test_accounts[i] for i in (2, 3, 4)]
    staff = [accounts.test_accounts[i] for i in (5, 6, 7)]

    anchor, receipts, anchor_wall = deploy("基准小区", deployer, members)
    anchor_receipts = receipts
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

    factory = None
    if use_factory:
        first, started = chain.blocks.head.number + 1, time.perf_counter()
        factory = deploy_factory(project, chain, deployer, district,
                                 safe_infrastructure={n: anchor.extra[n].address for n in SAFE_INFRASTRUCTURE},
                                 passkey_factory=anchor.extra["PasskeyAccountFactory"])
        enable_factory(district, factory, [deployer], send)
        made = transactions_since(first)
        print(f"the district's CommunityFactory, once (the chain's blueprints, the factory, its lister role and its "
              f"deployer): {len(made)} transactions, {sum(r['gasUsed'] for r in made):,} gas, "
              f"{time.perf_counter() - started:.1f} s")

    communities, per_community, listing, walls, largest, sent = [], [], [], [], 0, []
    for index in range(count):
        name = f"小区{index + 1:03d}"
        if factory is not None:
            first, started = chain.blocks.head.number + 1, time.perf_counter()
            community = build_community(project, chain, factory, deployer, name=name, street="嘉兴路街道",
                                        committee_members=members, committee_threshold=2).community
            walls.append(time.perf_counter() - started)
            receipts, listed = transactions_since(first), []
        else:
            community, receipts, wall = deploy(name, deployer, members, district)
            first = chain.blocks.head.number + 1
            listed_at = time.perf_counter()
            register_community(district, community, "嘉兴路街道", send)
            walls.append(wall + time.perf_counter() - listed_at)
            listed = transactions_since(first)
        gas = [r["gasUsed"] for r in receipts + listed]
        assert max(gas) <= TX_GAS_CAP, (community.name, max(gas))
        largest = max(largest, max(gas))
        sent.append(len(receipts) + len(listed))
        per_community.append(sum(r["gasUsed"] for r in receipts))
        listing.append(sum(r["gasUsed"] for r in listed))
        communities.append(community)
    assert district.community_count() == count

    how = "built by the factory (listed in its last step)" if factory else "deployed contract by contract and listed"
    print(f"{count} communities {how}:")
    print(f"  {'':<36} {'median':>12} {'max':>12}   anchor")
    print(f"  {'transactions per community':<36} {statistics.median(sent):>12,.0f} {max(sent):>12,}"
          f"   {len(anchor_receipts)}")
    print(f"  {'deploy gas per community':<36} {statistics.median(per_community):>12,.0f} {max(per_community):>12,}"
          f"   {anchor_gas:,}")
    if factory is None:
        print(f"  {'listing gas (street office Safe tx)':<36} {statistics.median(listing):>12,.0f} {max(listing):>12,}")
    print(f"  {'wall time per community (s)':<36} {statistics.median(walls):>12.1f} {max(walls):>12.1f}"
          f"   {anchor_wall:.1f}")
    tenth = max(1, count // 10)
    print(f"  wall time of the first {tenth} / the last {tenth} communities, median: "
          f"{statistics.median(walls[:tenth]):.1f} / {statistics.median(walls[-tenth:]):.1f} s (does it grow with the chain?)")
    print(f"  largest transaction {largest:,} gas ({largest / TX_GAS_CAP:.0%} of the 16,777,216 cap); "
          f"total wall {sum(walls):.1f} s; on a chain sealing a block every 2 s: "
          f"{statistics.median(sent) * 2:.0f} s a community")
    return anchor, district, district_block, communities


# ---------------------------------------------------------------- a compact year


def activity_year(communities: list, units: int, months: int) -> dict[str, int]:
    """A compact synthetic year in every community at once, sent in batches (NodeBatch,
    anvil impersonating the committee Safe, the assembly's timelock and the owners):
    `units` units registered, a property service contract, fee payments for every unit
    (a payer pays each unit quarterly; one unit in seven monthly; one in twenty stops
    after the first quarter, so the district has arrears), one committee proposal with
    votes of twenty owners, three works and ten likes, a service request, and three
    suggestions. Returns counts of what was sent."""
    manager = accounts.test_accounts[1].address
    payer = owner(0)
    any_fees = communities[0].contracts()["PropertyFees"]
    any_assembly = communities[0].contracts()["OwnersAssembly"]
    first = int(any_fees.current_month())
    month_start = {m: int(any_fees.month_start(m)) for m in range(first, first + months + 1)}
    notice = int(any_assembly.min_notice())
    length = max(int(any_assembly.min_voting_period()), min(10 * DAY, int(any_assembly.max_voting_period())))
    books = []
    for community in communities:
        c = community.contracts()
        books.append({name: c[name].address for name in (
            "HouseholdRegistry", "PropertyFees", "SettlementToken", "OwnersAssembly", "AssemblyTimelock",
            "CultureWorks", "ServiceMarket", "SuggestionBox")} | {
            "committee": community.committee, "nonce": int(c["OwnersAssembly"].proposal_nonce(community.committee))})
    counts = {"transactions": 0, "payments": 0}
    with demo_activity.NodeBatch(chain.provider.uri) as node:
        node.fund([owner(i) for i in range(units)] + [manager] + [b["committee"] for b in books]
                  + [b["AssemblyTimelock"] for b in books], 1_000 * 10**18)
        for k, b in enumerate(books):
            node.send(b["AssemblyTimelock"], b["HouseholdRegistry"], "grantRole(bytes32,address)", role_id("manager"),
                      manager)
            for lo in range(0, units, UNIT_BATCH):
                batch = [(f"{i // 100 + 1}-{i % 100 + 1:03d}", 8_000 + (i % 40) * 100, owner(i),
                          sha256(f"bench unit {k} {i}".encode()).digest()) for i in range(lo, min(units, lo + UNIT_BATCH))]
                node.send(b["committee"], b["HouseholdRegistry"], "register_units((string,uint256,address,bytes32)[])",
                          batch, gas=16_000_000)
            node.send(b["committee"], b["PropertyFees"], "set_billing_start(uint256)", first)
            # The local stand-in settlement token is minted by its deployer.
            node.send(accounts.test_accounts[0].address, b["SettlementToken"], "mint(address,uint256)", payer, 10**15)
            node.send(payer, b["SettlementToken"], "approve(address,uint256)", b["PropertyFees"], 2**256 - 1)
            node.send(payer, b["SettlementToken"], "approve(address,uint256)", b["ServiceMarket"], 2**256 - 1)
            if k % 5 == 4:  # anvil refuses a JSON-RPC batch of several MB (the unit batches are ~30 kB each)
                node.mine(node.now() + 1)
        node.mine(node.now() + 60)
        items = [sha256(f"bench service level: {item}".encode()).digest() for item in ("cleaning", "security")]
        for b in books:
            node.send(manager, b["PropertyFees"],
                      "propose_service_contract(bytes32,address,uint256,uint256,uint256,bytes32[],uint8,uint256)",
                      sha256(b"bench property service contract").digest(), manager, first, first + 35,
                      demo_activity.DEMO_RATE, items, demo_activity.COMMISSION_MODE, demo_activity.DEMO_COMMISSION_BPS,
                      gas=600_000)
        node.mine(node.now() + 60)
        for b in books:
            node.send(b["AssemblyTimelock"], b["PropertyFees"], "approve_service_contract(uint256)", 1)
        node.mine(node.now() + 60)

        title = "关于更换小区门禁系统的议案"
        doc = demo_activity.full_text_hash(title)
        vote_start = vote_end = 0
        for m in range(months):
            moment = max(month_start[first + m] + 3 * DAY, node.now() + 1)
            for b in books:
                for i in range(units):
                    monthly = i % 7 == 3
                    if i % 20 == 19 and m >= 3:
                        continue  # stopped paying
                    if monthly or m % 3 == 0:
                        node.send(payer, b["PropertyFees"], "pay(uint256,uint256,uint256)", i + 1, 1 if monthly else 3,
                                  2**255)
                        counts["payments"] += 1
                if len(node.queue) >= 2_000:
                    node.mine(moment)
            if m == 1:  # the committee proposes; twenty owners vote a day after the vote opens
                vote_start = moment + notice + 3 * 3600
                vote_end = vote_start + length
                for b in books:
                    node.send(b["committee"], b["OwnersAssembly"],
                              "propose(address[],uint256[],bytes[],uint8,string,bytes32,uint256,uint256)",
                              [], [], [], demo_activity.OTHER_COMMON, title, doc, vote_start, vote_end, gas=800_000)
            if m == 2:  # three works, liked by ten other households
                for k, b in enumerate(books):
                    for j in (1, 2, 3):
                        content = sha256(f"bench work {k} {j}".encode()).digest()
                        node.send(owner(j), b["CultureWorks"], "mint_work(string,uint8,bytes32,string)",
                                  f"作品{j}", j % 3, content, f"sha256:{content.hex()}", gas=400_000)
            if m == 3:
                for k, b in enumerate(books):
                    for j in range(4, 14):
                        work = int.from_bytes(sha256(f"bench work {k} {1 + j % 3}".encode()).digest(), "big")
                        node.send(owner(j), b["CultureWorks"], "like(uint256)", work, gas=400_000)
                    node.send(payer, b["ServiceMarket"], "post_request(uint8,bytes32,uint256,uint256)", 1,
                              sha256(f"bench request {k}".encode()).digest(), 200_00, moment + 30 * DAY, gas=400_000)
                    for j in (1, 2, 3):
                        node.send(owner(j), b["SuggestionBox"], "submit(uint8,bytes32)", 1 + j % 3,
                                  sha256(f"bench suggestion {k} {j}".encode()).digest(), gas=400_000)
            node.mine(moment)
            if m == 1:
                for b in books:
                    pid = proposal_id([], [], [], doc, b["committee"], b["nonce"])
                    for j in range(1, min(21, units)):
                        node.send(owner(j), b["OwnersAssembly"], "castVote(uint256,uint8)", pid, 1 if j % 5 else 0,
                                  gas=400_000)
                node.mine(max(vote_start + DAY, node.now() + 1))
        counts["transactions"] = node.sent
    return counts


# ---------------------------------------------------------------- index, follow, serve


def fresh_database(kind: str, folder: str) -> str | None:
    from sqlalchemy import text

    from backend.core.db import make_engine
    from backend.db.migrate import upgrade

    if kind == "sqlite":
        url = f"sqlite:///{folder}/district-{time.monotonic_ns()}.db"
    else:
        url = os.environ.get("LINLI_TEST_DATABASE_URL")
        if not url:
            return None
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    return url


def backfill(url: str, run) -> tuple[int, float, float]:
    """(events written, wall seconds, this process's CPU seconds) of `run(engine, rpc, settings)`."""
    from backend.core.config import Settings
    from backend.core.db import make_engine
    from backend.indexer.rpc import RpcClient

    engine = make_engine(url)
    rpc = RpcClient(chain.provider.uri, timeout_s=120)
    settings = Settings(database_url=url, rpc_url=chain.provider.uri)
    started, cpu = time.perf_counter(), time.process_time()
    events = run(engine, rpc, settings)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    rpc.close()
    engine.dispose()
    return events, elapsed, cpu


def _single(manifest, engine, rpc, settings) -> int:
    from backend.indexer.core import Indexer

    indexer = Indexer(manifest, engine, rpc, settings)
    indexer.prepare()
    events = indexer.sync()
    indexer.wait_for_maintenance()
    return events


def _district(address, first_block, manifest, engine, rpc, settings) -> int:
    from backend.indexer.district import DistrictIndexer, abis_of

    return DistrictIndexer(address, first_block, abis_of(manifest), engine, rpc, settings).sync()


class Miner:
    """A block a second, each carrying a month's payment of one unit in `per_block`
    communities in turn (the chain keeps moving while the indexer follows)."""

    def __init__(self, communities: list, units: int, per_block: int):
        self.fees = [c.contracts()["PropertyFees"].address for c in communities]
        self.units, self.per_block = units, per_block
        self.mined: dict[int, float] = {}  # block -> wall time it was mined
        self.stop = threading.Event()
        self.n = 0

    def mine_one(self, node) -> None:
        """A block with the next `per_block` payments."""
        for _ in range(self.per_block):
            fees = self.fees[self.n % len(self.fees)]
            unit = 1 + (self.n // len(self.fees)) % self.units
            node.send(owner(0), fees, "pay(uint256,uint256,uint256)", unit, 1, 2**255)
            self.n += 1
        node.mine(node.now() + 1)

    def run(self) -> None:
        from backend.indexer.rpc import RpcClient

        rpc = RpcClient(chain.provider.uri)
        with demo_activity.NodeBatch(chain.provider.uri) as node:
            tick = time.perf_counter()
            while not self.stop.is_set():
                self.mine_one(node)
                self.mined[int(rpc.call("eth_blockNumber", []), 16)] = time.perf_counter()
                tick += 1.0
                self.stop.wait(max(0.0, tick - time.perf_counter()))
        rpc.close()


def step_time(kind: str, url: str, address: str, first_block: int, manifest, communities: list, units: int,
              per_block: int, blocks: int) -> None:
    """The district indexer in this process, at the head: `blocks` blocks mined one at a
    time (each with `per_block` payments, as the Miner's), each indexed by the steps it
    takes to bring every community to it; the wall time of those steps per block. No API,
    no other process: what one block costs the indexer itself."""
    from backend.core.config import Settings
    from backend.core.db import make_engine
    from backend.indexer.district import DistrictIndexer, abis_of
    from backend.indexer.rpc import RpcClient

    engine = make_engine(url)
    rpc = RpcClient(chain.provider.uri, timeout_s=120)
    follower = DistrictIndexer(address, first_block, abis_of(manifest), engine, rpc,
                               Settings(database_url=url, rpc_url=chain.provider.uri))
    follower.sync()
    miner = Miner(communities, units, per_block)
    times = []
    with demo_activity.NodeBatch(chain.provider.uri) as node:
        for _ in range(blocks):
            miner.mine_one(node)
            started = time.perf_counter()
            while follower.step():
                pass
            times.append(time.perf_counter() - started)
    rpc.close()
    engine.dispose()
    print(f"  {kind:<10} one block's indexing, in process ({blocks} blocks, {per_block} payments each): "
          f"median {statistics.median(times):.3f} s, p90 {pct(times, 0.9):.3f} s, max {max(times):.3f} s  {load_now()}")


def start_follower(url: str, manifest_path: Path, district: str, district_block: int) -> subprocess.Popen:
    """`python -m backend.indexer --district …` in its own process, as an operator runs it."""
    env = {**os.environ, "LINLI_DATABASE_URL": url, "LINLI_RPC_URL": chain.provider.uri}
    return subprocess.Popen([sys.executable, "-m", "backend.indexer", "--manifest", str(manifest_path),
                             "--district", district, "--district-block", str(district_block), "--quiet"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_head(url: str, communities: list, block: int, timeout_s: float) -> bool:
    """Wait until every community's checkpoint holds `block`; whether it did in time."""
    from sqlalchemy import func, select

    from backend.core.db import make_engine
    from backend.db.models import Checkpoint

    engine = make_engine(url)
    keys = [c.registry.address.lower() for c in communities]
    end = time.perf_counter() + timeout_s
    try:
        while time.perf_counter() < end:
            with engine.connect() as conn:
                indexed = conn.scalar(select(func.min(Checkpoint.block_number)).where(Checkpoint.community.in_(keys)))
            if indexed is not None and indexed >= block:
                return True
            time.sleep(0.1)
        return False
    finally:
        engine.dispose()


def head_lag(url: str, miner: Miner, communities: list, seconds: float) -> list[float]:
    """Per block mined while following: seconds from its mining to every community's
    checkpoint holding it (polled every 20 ms)."""
    from sqlalchemy import func, select

    from backend.core.db import make_engine
    from backend.db.models import Checkpoint

    engine = make_engine(url)
    keys = [c.registry.address.lower() for c in communities]
    lags: dict[int, float] = {}
    end = time.perf_counter() + seconds
    first_block = max(miner.mined, default=0)
    while time.perf_counter() < end:
        with engine.connect() as conn:
            indexed = conn.scalar(select(func.min(Checkpoint.block_number)).where(Checkpoint.community.in_(keys)))
        now = time.perf_counter()
        for block, mined in list(miner.mined.items()):
            if block > first_block and block not in lags and indexed is not None and indexed >= block:
                lags[block] = now - mined
        time.sleep(0.02)
    # Blocks mined in the period and never reached count at the time waited.
    for block, mined in list(miner.mined.items()):
        if block > first_block and block not in lags and mined < end - 0.5:
            lags[block] = time.perf_counter() - mined
    engine.dispose()
    return [lags[b] for b in sorted(lags)]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_api(url: str, rpc_url: str | None = None) -> tuple[subprocess.Popen, str]:
    """uvicorn over the index `url`, its node the bench's chain (or `rpc_url`)."""
    import httpx

    port = free_port()
    env = {**os.environ, "LINLI_DATABASE_URL": url, "LINLI_RPC_URL": rpc_url or chain.provider.uri}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "backend.api.main:app", "--host", "127.0.0.1",
                               "--port", str(port), "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            httpx.get(f"{base}/api/v1/communities", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    return server, base


def wait_for_answers(base: str, timeout_s: float = 300.0) -> float:
    """Seconds from now until every route the load asks answers 200: the API builds its
    first answers at its start, in a thread, and turns a request away with 503 meanwhile."""
    import httpx

    began, waiting = time.perf_counter(), [path for _, path in API_ROUTES]
    while waiting and time.perf_counter() - began < timeout_s:
        if httpx.get(base + waiting[0], timeout=timeout_s).status_code == 200:
            waiting.pop(0)
        else:
            time.sleep(0.1)
    if waiting:
        raise RuntimeError(f"the district's answers were not built in {timeout_s:.0f} s: {waiting}")
    return time.perf_counter() - began


def load(base: str, rate: int, seconds: float, timeout_s: float = 10.0) -> dict[str, list[float]]:
    """Open loop: a request every 1/rate s over API_ROUTES in turn, whatever the answers;
    an answer later than `timeout_s` counts as a timeout (and the worker goes on)."""
    import httpx

    workers, warmup = 32, 2.0
    results: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    blocks: list[tuple[float, int]] = []  # (received at, the block /communities answered for)
    lock = threading.Lock()
    started = time.perf_counter() + 0.2

    def worker(k: int) -> None:
        client = httpx.Client(base_url=base, timeout=timeout_s)
        n = k
        while (due := started + n / rate) - started <= seconds + warmup:
            if time.perf_counter() > started + seconds + warmup + timeout_s:
                # Every worker is waiting on a slow answer: what is left of the schedule is not sent.
                with lock:
                    failed["not sent (every worker waiting)"] = failed.get("not sent (every worker waiting)", 0) + 1
                n += workers
                continue
            time.sleep(max(0.0, due - time.perf_counter()))
            # Route by the schedule's slot, not the worker: a slow route holds no worker of its own.
            route, path = API_ROUTES[(n // workers + n) % len(API_ROUTES)]
            t0 = time.perf_counter()
            try:
                answer = client.get(path)
                status = answer.status_code
            except httpx.HTTPError:
                status = "timeout"
            elapsed = (time.perf_counter() - t0) * 1000
            if route == "communities" and status == 200 and due - started >= warmup:
                # The block the answer was built at (its oldest community's): how far behind the chain it is.
                items = answer.json()["items"]
                with lock:
                    blocks.append((time.perf_counter(), min((i["indexed_block"] for i in items), default=0)))
            with lock:
                if due - started >= warmup:
                    results.setdefault(route, []).append(elapsed)
                    if status != 200:
                        failed[f"{route} {status}"] = failed.get(f"{route} {status}", 0) + 1
            n += workers
        client.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"times": results, "failed": failed, "blocks": blocks}


def api_load(base: str, seconds: float) -> dict:
    """50 requests a second over the district routes, from another process (this file's --load)."""
    try:
        loader = subprocess.run([sys.executable, __file__, "--load", base, str(API_RATE), str(seconds)],
                                cwd=ROOT, capture_output=True, text=True, timeout=seconds + 300)
    except subprocess.TimeoutExpired as exc:  # its stacks (faulthandler) say where it waited
        stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise RuntimeError(f"the loader did not end: {stderr[-4000:]}") from None
    if loader.returncode != 0:
        raise RuntimeError(loader.stderr)
    return json.loads(loader.stdout.splitlines()[-1])


def cpu_of(pid: int) -> float:
    """A process's CPU seconds so far (user + system, Linux's /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def served_load(server: subprocess.Popen, base: str, seconds: float) -> dict:
    """`api_load`, with the API process's CPU seconds over it (requests and rebuilds)."""
    before, started = cpu_of(server.pid), time.perf_counter()
    answer = api_load(base, seconds)
    answer["api_cpu"] = (cpu_of(server.pid) - before, time.perf_counter() - started)
    return answer


def print_api(kind: str, state: str, answer: dict) -> None:
    times, failed = answer["times"], answer["failed"]
    for route, _ in API_ROUTES:
        spent = times.get(route, [])
        p99 = pct(spent, 0.99)
        print(f"  {kind:<10} {state:<8} {route:<16} n={len(spent):>4}  p50 {pct(spent, 0.5):7.1f} ms  "
              f"p99 {p99:7.1f} ms   goal ≤ {GOAL_API_P99_MS:.0f} ms{'' if p99 <= GOAL_API_P99_MS else '  MISSED'}  "
              f"{load_now()}")
    if "api_cpu" in answer:
        cpu, wall = answer["api_cpu"]
        print(f"  {kind:<10} {state:<8} the API process's CPU over the load: {cpu:.1f} s in {wall:.1f} s "
              f"({100 * cpu / wall:.0f} % of a core: the requests and the answers' rebuilds)")
    if failed:
        print(f"  {kind:<10} {state:<8} not answered 200 (counted above at the time waited): "
              + ", ".join(f"{what} ×{n}" for what, n in sorted(failed.items())))


def print_behind(kind: str, miner: "Miner", blocks: list) -> None:
    """How far behind the chain the answers were: for each /communities answer, the blocks
    mined by the time it arrived (perf_counter is the system's monotonic clock, shared with
    the loader's process) less the block its oldest row names. It adds the indexer's head
    lag to the answer's own age (the answer kept while its rebuild runs)."""
    mined = sorted(miner.mined.items(), key=lambda item: item[1])
    behind = []
    for received, block in blocks:
        head = max((b for b, at in mined if at <= received), default=None)
        if head is not None:
            behind.append(head - block)
    if behind:
        print(f"  {kind:<10} moving   /communities answers behind the head mined (blocks, a block a second; "
              f"indexer lag included): p50 {pct(behind, 0.5)}, p99 {pct(behind, 0.99)}, max {max(behind)} "
              f"over {len(behind)} answers  {load_now()}")


def table_profile(url: str) -> None:
    """Where an uncached district table's time goes: wall time around each of the route
    module's helpers (the queries) over one uncached call of each route, in process."""
    from fastapi.testclient import TestClient

    from backend.api.main import create_app
    from backend.api.routes import district as routes
    from backend.core.config import Settings

    spent: dict[str, list[float]] = {}
    helpers = ["_contexts", "_listings", "_assembly_sums", "_sum_of", "_fee_figures",
               "_suggestion_figures", "_activity_figures", "_first_answer_times", "_expense_flags", "_backlog_flags"]
    originals = {name: getattr(routes, name) for name in helpers if hasattr(routes, name)}

    def timed(name, function):
        def wrapper(*a, **k):
            started = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                spent.setdefault(name, []).append(time.perf_counter() - started)
        return wrapper

    for name, function in originals.items():
        setattr(routes, name, timed(name, function))
    try:
        # No build at the app's start: the profile times the first build itself.
        with TestClient(create_app(Settings(database_url=url, rpc_url=chain.provider.uri,
                                            district_warm_at_start=False))) as client:
            walls = {}
            for route, path in API_ROUTES[:3]:
                client.app.state.summary_cache.clear()
                routes.answers_of(client.app).clear()
                spent.clear() if route == API_ROUTES[0][0] else None
                started = time.perf_counter()
                assert client.get(path).status_code == 200
                walls[route] = (time.perf_counter() - started) * 1000
    finally:
        for name, function in originals.items():
            setattr(routes, name, function)
    print("  uncached, in process: " + ", ".join(f"{r} {ms:.0f} ms" for r, ms in walls.items())
          + f"; of which, summed over the three: {load_now()}")
    for name, times in sorted(spent.items(), key=lambda item: -sum(item[1])):
        print(f"    {name:<22} {sum(times) * 1000:8.1f} ms in {len(times)} calls")


def follow_and_serve(kind: str, url: str, manifest_path: Path, district, district_block: int, communities: list,
                     units: int, args) -> None:
    server, base = start_api(url)
    try:
        # The API builds its first answers at its start: wait for them (at 200 communities
        # on PostgreSQL they took 8.5 s, and a fixed 3 s let the first round meet the build).
        print(f"  {kind}: the API's first answers, built at its start, all answered {wait_for_answers(base):.2f} s "
              "after it first served")
        api_load(base, 3)  # warm: connections, and a first request of each route
        print_api(kind, "still", served_load(server, base, args.api_seconds))
        follower = start_follower(url, manifest_path, district.address, district_block)
        # Without the year no unit is registered and no owner holds gas or tokens: the
        # blocks mined while following are empty (every checkpoint still moves each block).
        per_block = args.per_block if args.activity else 0
        miner = Miner(communities, units, per_block)
        mining = threading.Thread(target=miner.run, daemon=True)
        try:
            # The follower's start (migrations, the registry's history, every community prepared,
            # the blocks mined since the backfill) apart: at 200 communities it took 8.5 s, and a
            # fixed wait of 3 s left it in the first blocks' lag.
            started = time.perf_counter()
            ready = wait_for_head(url, communities, chain.blocks.head.number, timeout_s=180)
            print(f"  {kind:<10} the follower {'at the head' if ready else 'NOT at the head'} "
                  f"{time.perf_counter() - started:.1f} s after its start")
            mining.start()
            time.sleep(2)
            lags = head_lag(url, miner, communities, args.follow_seconds)
            if lags:
                print(f"  {kind:<10} head lag over {len(lags)} blocks ({per_block} payments a block, a block a "
                      f"second): p50 {pct(lags, 0.5):.2f} s, p99 {pct(lags, 0.99):.2f} s, max {max(lags):.2f} s   "
                      f"goal ≤ {GOAL_LAG_S:.0f} s{'' if max(lags) <= GOAL_LAG_S else '  MISSED'}  {load_now()}")
            else:
                print(f"  {kind:<10} head lag: no block reached every community in {args.follow_seconds:.0f} s")
            moving = served_load(server, base, args.api_seconds)
            print_api(kind, "moving", moving)
            print_behind(kind, miner, moving["blocks"])
        finally:
            miner.stop.set()
            mining.join(timeout=10)
            follower.terminate()
            follower.wait(timeout=20)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main(args) -> None:
    logger.set_level("WARNING")
    count, units = args.communities, args.units
    project.load_contracts()  # compiled before anything is timed
    wall = time.perf_counter()
    anchor, district, district_block, communities = deploy_all(count, args.factory)

    if args.activity:
        started = time.perf_counter()
        counts = activity_year(communities, units, args.months)
        print(f"a year of activity in {count} communities × {units} units: {counts['transactions']:,} transactions "
              f"({counts['payments']:,} fee payments) in {time.perf_counter() - started:.1f} s")
    # A few blocks a request: with 200 communities and their year anvil took 0.6 s a
    # block, and Ape's 30-second request timeout ended a single `anvil_mine` of 65.
    for _ in range(0, ANVIL_FINALITY + 1, 5):
        chain.mine(5)

    manifest = manifest_dict(communities[0], "local")
    with tempfile.TemporaryDirectory() as folder:
        manifest_path = Path(folder) / "manifest.json"
        manifest_path.write_text(json.dumps(manifest))
        print("backfill (events written, wall; this process's CPU):")
        single_url = fresh_database("sqlite", folder)
        s_events, s_wall, s_cpu = backfill(single_url, lambda e, r, st: _single(manifest, e, r, st))
        print(f"  anchor: the per-community indexer, one of these communities alone (SQLite): {s_events:,} events in "
              f"{s_wall:.2f} s, {s_events / s_wall:,.0f} events/s (CPU {s_cpu:.2f} s)")
        urls = {}
        for kind in args.databases:  # each on the same chain, before anything more is mined
            url = fresh_database(kind, folder)
            if url is None:
                print("  PostgreSQL: set LINLI_TEST_DATABASE_URL to measure it too")
                continue
            events, elapsed, cpu = backfill(
                url, lambda e, r, st: _district(district.address, district_block, manifest, e, r, st))
            rate = events / elapsed
            print(f"  district indexer, {count} communities, {kind}: {events:,} events in {elapsed:.2f} s, "
                  f"{rate:,.0f} events/s (CPU {cpu:.2f} s)   goal ≥ {s_events / s_wall:,.0f} (the anchor)"
                  f"{'' if rate >= s_events / s_wall else '  MISSED'}  {load_now()}")
            urls[kind] = url
        if args.profile:
            for kind, url in urls.items():
                print(f"  {kind}:")
                table_profile(url)
        if args.step_blocks and args.activity:
            print("the district indexer's own time per block at the head:")
            for kind, url in urls.items():
                step_time(kind, url, district.address, district_block, manifest, communities, units, args.per_block,
                          args.step_blocks)
        if not args.no_follow:
            from backend.core.config import Settings

            served = Settings()  # the API's process reads the same environment
            print(f"API at {API_RATE} requests/s over {len(API_ROUTES)} routes for {args.api_seconds:.0f} s each; "
                  "'still': no indexer running (the table cached), 'moving': the indexer following a block a second "
                  "(the table rebuilt after each checkpoint, each answer at most once every "
                  f"{served.district_rebuild_interval_s:g} s, the rebuild thread at most "
                  f"{served.district_rebuild_share:.0%} of a core); head lag: the district indexer in its own "
                  "process")
            for kind, url in urls.items():
                follow_and_serve(kind, url, manifest_path, district, district_block, communities, units, args)
    print(f"whole run {time.perf_counter() - wall:.0f} s")


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "--load":
    import faulthandler

    faulthandler.dump_traceback_later(float(sys.argv[4]) + 90, repeat=True)  # a loader that does not end says where
    print(json.dumps(load(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))))
    faulthandler.cancel_dump_traceback_later()
elif __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=10, help="communities to deploy and list (default 10)")
    parser.add_argument("--units", type=int, default=200, help="units in each community (default 200)")
    parser.add_argument("--months", type=int, default=12, help="months of activity (default 12)")
    parser.add_argument("--no-activity", dest="activity", action="store_false",
                        help="communities as deployed, no year of activity")
    parser.add_argument("--contract-by-contract", dest="factory", action="store_false",
                        help="deploy each community as `ape run deploy --district` without --factory (43 transactions "
                             "and the street office's listing) instead of the district's CommunityFactory")
    parser.add_argument("--no-follow", action="store_true", help="backfill only: no head lag, no API load")
    parser.add_argument("--follow-seconds", type=float, default=30, help="head lag measured over (default 30 s)")
    parser.add_argument("--api-seconds", type=float, default=20, help="each API load (default 20 s)")
    parser.add_argument("--per-block", type=int, default=10, help="payments in each block mined while following")
    parser.add_argument("--step-blocks", type=int, default=20,
                        help="blocks indexed in process to time one block's indexing (default 20; 0: none)")
    parser.add_argument("--profile", action="store_true", help="cProfile one uncached district table")
    parser.add_argument("--quick", action="store_true", help="3 communities × 20 units, 3 months, short loads")
    parser.add_argument("--databases", default="sqlite,postgresql", type=lambda v: [k for k in v.split(",") if k],
                        help="which of sqlite,postgresql to backfill and serve (default both; a shorter run: one)")
    args = parser.parse_args()
    if set(args.databases) - {"sqlite", "postgresql"}:
        parser.error("--databases: sqlite, postgresql or both, comma-separated")
    if args.quick:
        args.communities, args.units, args.months = 3, 20, 4
        args.follow_seconds, args.api_seconds = 10, 5
    with networks.parse_network_choice("ethereum:local:foundry"):
        main(args)
