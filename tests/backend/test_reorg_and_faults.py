"""Reorganisations (anvil snapshot/revert), a dead node, and the indexer's RPC faults
(the replies of real nodes and gateways: test_indexer_odd_replies.py, test_rpc.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.api.main import create_app
from backend.chain.deployment import manifest_dict, write_manifest
from backend.core.db import make_engine
from backend.db.migrate import upgrade
from backend.db.models import IndexerStatus, PointsMint, RawEvent
from backend.indexer.core import DeepReorgError, Indexer, ValueTooLarge
from backend.indexer.rpc import RpcClient
from tests.backend.helpers import assert_waits_for_the_node, dump
from tests.backend.nodeproxy import NodeProxy

ROOT = Path(__file__).resolve().parents[2]


def fresh_index(tmp_path, manifest, settings, rpc_url):
    """A fresh SQLite index of the canonical chain, for comparison."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    engine = make_engine(url)
    indexer = Indexer(manifest, engine, RpcClient(rpc_url), settings.model_copy(update={"database_url": url}))
    indexer.prepare()
    indexer.sync()
    return engine


@pytest.mark.parametrize("mined", [0, 1, 2], ids=["shorter", "same-height", "longer"])
def test_reorg_rolls_back_to_the_common_ancestor_and_replays(populated, make_indexer, engine, chain, points,
                                                             committee, owner_a, owner_b, merchant, settings,
                                                             rpc_url, tmp_path, mined):
    manifest = manifest_dict(populated, "local")
    indexer = make_indexer(manifest, finality_depth=16)
    indexer.sync()
    ancestor = chain.blocks.head.number
    snapshot = chain.snapshot()
    points.mint(owner_a, 100, 2, sender=committee)
    points.transfer(merchant, 60, sender=owner_a)
    indexer.sync()
    replaced = indexer.checkpoint()
    assert replaced[0] == ancestor + 2

    chain.restore(snapshot)
    points.mint(owner_b, 7, 3, sender=committee)
    if mined:
        chain.mine(mined)
    # shorter: the new chain's head is below the index's (not a node behind: its block differs)
    assert chain.blocks.head.number == ancestor + 1 + mined
    indexer.sync()

    assert indexer.checkpoint()[0] == chain.blocks.head.number
    assert indexer.checkpoint()[1] != replaced[1]
    # The replaced blocks left nothing behind: the index equals a fresh index of the canonical chain.
    assert dump(engine) == dump(fresh_index(tmp_path, manifest, settings, rpc_url))
    client = TestClient(create_app(settings))
    c = populated.registry.address.lower()
    assert client.get(f"/api/v1/communities/{c}/points/balances/{owner_a.address}").status_code == 404
    assert client.get(f"/api/v1/communities/{c}/points/balances/{owner_b.address}").json()["balance"] == 7


def test_reorg_deeper_than_finality_halts_loudly(populated, make_indexer, engine, chain, points, committee, owner_a,
                                                 owner_b, settings):
    indexer = make_indexer(manifest_dict(populated, "local"), finality_depth=2)
    indexer.sync()
    fork = chain.blocks.head.number
    snapshot = chain.snapshot()
    for _ in range(5):
        points.mint(owner_a, 1, 2, sender=committee)
    indexer.sync()
    chain.restore(snapshot)
    for _ in range(6):
        points.mint(owner_b, 1, 2, sender=committee)
    with pytest.raises(DeepReorgError, match="deeper than the finality depth"):
        indexer.sync()
    with engine.connect() as conn:
        status = conn.execute(select(IndexerStatus.__table__)).mappings().one()
    assert status["halted"] and "finality depth (2 blocks)" in status["last_error"]
    # It names the fork point: the newest block the index and the node agree on, and where to re-index from.
    assert f"agree up to block {fork} and differ" in status["last_error"]
    assert f"--from-block {fork + 1}" in status["last_error"]
    health = TestClient(create_app(settings)).get("/health")
    assert health.status_code == 503
    assert health.json()["communities"][0]["halted"] is True


def test_a_number_beyond_64_bits_is_exact_on_postgresql_and_halts_sqlite_loudly(
        populated, make_indexer, engine, chain, points, committee, owner_a, settings, tmp_path):
    """PostgreSQL's columns hold any uint256; SQLite's hold 64 bits. There the indexer stops
    with a message naming the way out, writes nothing of the range and keeps its place."""
    indexer = make_indexer(manifest_dict(populated, "local"))
    indexer.sync()
    before = indexer.checkpoint()
    big = 2**64 + 5
    points.mint(owner_a, big, 1, sender=committee)
    client = TestClient(create_app(settings))
    c = populated.registry.address.lower()
    if engine.dialect.name == "postgresql":
        indexer.sync()
        assert client.get(f"/api/v1/communities/{c}/points/balances/{owner_a.address}").json()["balance"] \
            == points.balanceOf(owner_a) >= big
        mints = client.get(f"/api/v1/communities/{c}/points/mints", params={"reason": 1}).json()["items"]
        assert [m["amount"] for m in mints] == [big]
        return
    with pytest.raises(ValueTooLarge, match="beyond 64 bits.*PostgreSQL"):
        indexer.sync()
    assert indexer.checkpoint() == before
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(PointsMint).where(PointsMint.block_number > before[0])) == 0
        assert conn.scalar(select(func.count()).select_from(RawEvent).where(RawEvent.block_number > before[0])) == 0
    health = client.get("/health")
    assert health.status_code == 503
    assert health.json()["communities"][0]["halted"] is True
    assert "beyond 64 bits" in health.json()["communities"][0]["last_error"]
    # The command an operator runs stops the same way, with its own exit code.
    manifest_file = tmp_path / "manifest.json"
    write_manifest(manifest_dict(populated, "local"), manifest_file)
    run = subprocess.run([sys.executable, "-m", "backend.indexer", "--manifest", str(manifest_file), "--until-head",
                          "--quiet"], env={**os.environ, "LINLI_DATABASE_URL": settings.database_url,
                                           "LINLI_RPC_URL": settings.rpc_url},
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 4, run.stderr
    assert "HALTED" in run.stderr and "PostgreSQL" in run.stderr
    assert indexer.checkpoint() == before


def test_dead_node_is_reported_and_waited_for(populated, make_indexer, engine, chain, rpc_url, settings):
    proxy = NodeProxy(rpc_url)
    proxy.start()
    indexer = make_indexer(manifest_dict(populated, "local"), rpc_url=proxy.url, max_block_range=2)
    try:
        assert_waits_for_the_node(indexer, engine, settings, proxy.url, chain.blocks.head.number,
                                  stop_node=proxy.stop, start_node=proxy.start)
    finally:
        proxy.stop()
