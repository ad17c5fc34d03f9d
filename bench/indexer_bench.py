"""Indexer backfill and head-follow on anvil, SQLite and PostgreSQL.

    python bench/indexer_bench.py                # SQLite; PostgreSQL too if a URL is set:
    LINLI_TEST_DATABASE_URL=postgresql+psycopg://… python bench/indexer_bench.py

Builds a chain of ~100,000 points transfers over ~1,000 blocks (a bench-only contract
sprays 100 transfers per transaction, one transaction per block), then backfills it
from scratch into each database: getLogs, block timestamps in batches, decoding and
bulk inserts, state tables and checkpoints included (BENCH_BACKFILL_RUNS times, 2 by
default; the indexer process's own CPU time is printed beside the wall time, since anvil,
the database server and anything else running share the cores). Then measures how long a new
block takes to reach the database while the indexer follows the head.

Anchor (same shape of data, measured here): Ponder 1.0.0 backfills 4,617 events/s
with its embedded database, 9,818 events/s with PostgreSQL. Goal: >= 20,000 events/s
on both; head-follow within 2 s on anvil.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ape import accounts, chain, networks, project  # noqa: E402
from ape.contracts.base import ContractContainer  # noqa: E402
from eth_abi import encode  # noqa: E402
from ethpm_types import ContractType  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from backend.chain.deployment import deploy_community, manifest_dict  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.db.migrate import upgrade  # noqa: E402
from backend.db.models import Checkpoint, RawEvent  # noqa: E402
from backend.indexer.core import Indexer  # noqa: E402
from backend.indexer.rpc import RpcClient  # noqa: E402

PONDER_EMBEDDED = 4_617
PONDER_POSTGRES = 9_818
GOAL_EVENTS_PER_S = 20_000
GOAL_HEAD_FOLLOW_S = 2.0

BLOCKS = int(os.environ.get("BENCH_BLOCKS", "1000"))
TRANSFERS_PER_BLOCK = 100
HOLDERS = 1_000
# Backfills per database on the same chain (the machine is shared: report every run).
BACKFILL_RUNS = int(os.environ.get("BENCH_BACKFILL_RUNS", "2"))

# Bench-only contract: many points transfers in one transaction (free transfer on).
SPRAYER = """
# pragma version 0.4.3
interface IPoints:
    def transfer(to: address, amount: uint256) -> bool: nonpayable

points: immutable(address)

@deploy
def __init__(points_: address):
    points = points_

@external
def spray(first: uint256, count: uint256, holders: uint256):
    for i: uint256 in range(count, bound=256):
        extcall IPoints(points).transfer(convert(convert(4096 + (first + i) % holders, uint160), address), 1)
"""


def deploy_sprayer(deployer, points_address):
    import vyper

    out = vyper.compile_code(SPRAYER, output_formats=["abi", "bytecode"])
    contract_type = ContractType.model_validate(
        {"contractName": "BenchSprayer", "abi": out["abi"], "deploymentBytecode": {"bytecode": out["bytecode"]}}
    )
    return deployer.deploy(ContractContainer(contract_type), points_address)


def build_chain(rpc: RpcClient):
    committee = accounts.test_accounts[0]
    community = deploy_community(project, chain, committee, name="bench")
    points = community.points
    sprayer = deploy_sprayer(committee, points.address)
    points.set_free_transfer(True, sender=committee)
    points.mint(sprayer.address, BLOCKS * TRANSFERS_PER_BLOCK, 1, sender=committee)
    sender = accounts.test_accounts[3]  # not the committee: its nonce stays Ape's business
    calldata = sprayer.spray.as_transaction(0, TRANSFERS_PER_BLOCK, HOLDERS, sender=sender).data
    selector_args = bytes(calldata)
    nonce = sender.nonce
    target_block = chain.blocks.head.number + BLOCKS
    started = time.perf_counter()
    # eth_sendTransaction from anvil's unlocked account with explicit nonce and gas, then
    # evm_mine: exactly one spraying transaction per block.
    rpc.call("evm_setAutomine", [False])
    try:
        for i in range(BLOCKS):
            data = selector_args[:4] + encode(["uint256", "uint256", "uint256"],
                                              [i * TRANSFERS_PER_BLOCK, TRANSFERS_PER_BLOCK, HOLDERS])
            rpc.call("eth_sendTransaction", [{"from": sender.address, "to": sprayer.address, "data": "0x" + data.hex(),
                                              "gas": hex(8_000_000), "nonce": hex(nonce + i)}])
            rpc.call("evm_mine", [])
    finally:
        rpc.call("evm_setAutomine", [True])
    assert rpc.block_number() >= target_block
    print(f"generated {BLOCKS} blocks of {TRANSFERS_PER_BLOCK} transfers in {time.perf_counter() - started:.1f}s",
          file=sys.stderr)
    return community


def fresh_database(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        path = tmp / f"bench-{len(list(tmp.glob('bench-*.db')))}.db"  # a new file per run
        url = f"sqlite:///{path}"
    else:
        url = os.environ["LINLI_TEST_DATABASE_URL"]
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    return url


def backfill(kind: str, manifest: dict, rpc_url: str, tmp: Path) -> tuple[float, int, float, str, float]:
    url = fresh_database(kind, tmp)
    settings = Settings(database_url=url, rpc_url=rpc_url)
    engine = make_engine(url)
    rpc = RpcClient(rpc_url, timeout_s=120)
    indexer = Indexer(manifest, engine, rpc, settings)
    indexer.prepare()
    started, cpu_started = time.perf_counter(), time.process_time()
    indexer.sync()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    indexer.wait_for_maintenance()  # PostgreSQL's ANALYZE, off the indexing path (not timed)
    with engine.connect() as conn:
        events = conn.scalar(select(func.count()).select_from(RawEvent))
    rpc.close()
    engine.dispose()
    return elapsed, events, events / elapsed, url, cpu


def head_follow(url: str, manifest: dict, rpc_url: str, samples: int = 15) -> list[float]:
    """Seconds from a block being mined to its checkpoint committed in the database."""
    committee = accounts.test_accounts[0]
    merchant = accounts.test_accounts[6]
    settings = Settings(database_url=url, rpc_url=rpc_url, poll_interval_s=0.1)
    engine = make_engine(url)
    indexer = Indexer(manifest, engine, RpcClient(rpc_url), settings)
    indexer.prepare()
    indexer.sync()
    stop = threading.Event()
    runner = threading.Thread(target=indexer.run, args=(stop,), daemon=True)
    runner.start()
    points = project.CommunityPoints.at(manifest["contracts"]["CommunityPoints"]["address"])
    latencies = []
    for _ in range(samples):
        # Timed from before sending, so Ape's submission and receipt wait are included:
        # an upper bound of "block mined -> in the database".
        mined = time.perf_counter()
        receipt = points.mint(merchant, 1, 1, sender=committee)
        while True:
            with engine.connect() as conn:
                block = conn.scalar(select(Checkpoint.block_number))
            if block >= receipt.block_number:
                latencies.append(time.perf_counter() - mined)
                break
            time.sleep(0.005)
    stop.set()
    runner.join(timeout=5)
    engine.dispose()
    return latencies


def main() -> None:
    console = Console(width=150)
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("LINLI_TEST_DATABASE_URL") else [])
    with networks.parse_network_choice("ethereum:local:foundry") as provider:
        rpc_url = provider.uri
        rpc = RpcClient(rpc_url, timeout_s=120)
        community = build_chain(rpc)
        manifest = manifest_dict(community, "local")
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        table = Table(title=f"Indexer: {BLOCKS:,} blocks x {TRANSFERS_PER_BLOCK} points transfers "
                            f"(anvil, {os.cpu_count()} cores, load average {load} before the backfills)")
        for column in ("operation", "database", "measured", "anchor", "goal"):
            table.add_column(column, justify="right" if column in ("measured", "anchor", "goal") else "left")
        with tempfile.TemporaryDirectory() as tmp:
            last_url = None
            for kind in kinds:
                for run in range(BACKFILL_RUNS):
                    elapsed, events, rate, url, cpu = backfill(kind, manifest, rpc_url, Path(tmp))
                    anchor = PONDER_EMBEDDED if kind == "sqlite" else PONDER_POSTGRES
                    table.add_row(f"backfill (decode + store + timestamps), run {run + 1}", kind,
                                  f"{rate:,.0f} events/s ({events:,} in {elapsed:.1f}s, indexer CPU {cpu:.1f}s)",
                                  f"Ponder {anchor:,}/s", f">= {GOAL_EVENTS_PER_S:,}/s")
                latencies = head_follow(url, manifest, rpc_url)
                table.add_row("head-follow (tx sent -> block committed)", kind,
                              f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
                              f"max {max(latencies) * 1000:.0f} ms", "—", f"<= {GOAL_HEAD_FOLLOW_S:.0f} s")
                last_url = url
        console.print(table)
        del last_url


if __name__ == "__main__":
    try:
        main()
    except BaseException:
        # Ape's network context can swallow an exception on exit: say it and fail.
        import traceback

        traceback.print_exc()
        sys.exit(1)
