"""The indexer against a real anvil: what it writes, idempotence, crashes, faults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from backend.api.main import create_app
from backend.chain.deployment import manifest_dict, write_manifest
from backend.db.models import Checkpoint, PointsMovement, RawEvent, Unit
from backend.indexer.rpc import RangeTooLarge
from tests.backend.helpers import DATA_TABLES, assert_matches_contracts, dump

ROOT = Path(__file__).resolve().parents[2]


def test_index_equals_what_the_contracts_say(active, make_indexer, engine, settings, registry, points, accounts, chain):
    indexer = make_indexer(manifest_dict(active, "local"))
    written = indexer.sync()
    assert indexer.checkpoint()[0] == chain.blocks.head.number
    client = TestClient(create_app(settings))
    assert_matches_contracts(client, active.registry.address, registry, points, list(accounts))
    # The raw log holds exactly the logs the node has for the community's contracts.
    node_logs = indexer.rpc.get_logs(indexer.addresses, indexer.start_block, chain.blocks.head.number)
    assert written == len(node_logs)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RawEvent)) == len(node_logs)
        # The sale moved unit 4 to the buyer's identity; the owner_c identity holds nothing now.
        unit4 = conn.execute(select(Unit).where(Unit.unit_id == 4)).one()
        assert unit4.area == 11_200


def test_the_finalized_block_is_the_nodes(active, make_indexer, engine, settings, chain):
    """anvil answers the "finalized" tag with head - 64; the index reports that, not
    head - its own finality depth (8 in the tests), and never more than it has indexed."""
    indexer = make_indexer(manifest_dict(active, "local"))
    assert indexer.node_finality
    chain.mine(80)
    indexer.sync()
    head = chain.blocks.head.number
    node_final = int(indexer.rpc.call("eth_getBlockByNumber", ["finalized", False])["number"], 16)
    assert node_final == head - 64 != head - settings.finality_depth
    with engine.connect() as conn:
        assert conn.scalar(select(Checkpoint.finalized_block)) == node_final
    body = TestClient(create_app(settings)).get(f"/api/v1/communities/{active.registry.address}").json()
    assert (body["indexed_block"], body["finalized_block"]) == (head, node_final)
    # A node without the tag: head - finality depth.
    indexer.node_finality, indexer.node_finalized = False, None
    chain.mine(1)
    indexer.sync()
    with engine.connect() as conn:
        assert conn.scalar(select(Checkpoint.finalized_block)) == head + 1 - settings.finality_depth


def test_a_large_catch_up_refreshes_the_planners_statistics(active, make_indexer, engine, chain, points, committee,
                                                           owner_a):
    """On PostgreSQL a catch-up that wrote at least `analyze_after_events` events starts an
    ANALYZE (on its own thread), so the read API is planned over the tables' real sizes, not
    autovacuum's last look at them; below the threshold, and on SQLite, nothing extra runs."""
    from sqlalchemy import text

    indexer = make_indexer(manifest_dict(active, "local"), analyze_after_events=5)
    postgres = engine.dialect.name == "postgresql"

    def analyzed() -> int:
        if not postgres:
            return 0
        with engine.connect() as conn:
            return conn.scalar(text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'points_movements'"))

    def settle() -> None:
        # The statistics collector reports a little after the fact.
        if postgres:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_stat_clear_snapshot()"))

    before = analyzed()
    written = indexer.sync()
    assert written >= 5
    indexer.wait_for_maintenance(30)
    settle()
    assert analyzed() == before + (1 if postgres else 0)
    assert indexer._events_since_analyze == 0
    points.mint(owner_a, 1, 1, sender=committee)
    assert 0 < indexer.sync() == indexer._events_since_analyze < 5
    indexer.wait_for_maintenance(30)
    settle()
    assert analyzed() == before + (1 if postgres else 0)  # under the threshold since


def test_every_row_carries_its_community(active, make_indexer, engine, deploy_other, points, committee, owner_a):
    other = deploy_other()
    other.points.mint(owner_a, 9, 1, sender=committee)
    first = make_indexer(manifest_dict(active, "local"))
    second = make_indexer(manifest_dict(other, "local"))
    first.sync()
    second.sync()
    tables = dump(engine)
    communities = {active.registry.address.lower(), other.registry.address.lower()}
    for name in DATA_TABLES:
        for row in tables[name]:
            assert dict(row)["community"] in communities, name
    # The two communities' rows do not mix.
    own = dump(engine, other.registry.address)
    assert [dict(r)["balance"] for r in own["points_balances"]] == [9]
    assert len(dump(engine, active.registry.address)["units"]) == 6


def test_indexing_a_range_twice_changes_nothing(active, make_indexer, engine, chain):
    indexer = make_indexer(manifest_dict(active, "local"))
    indexer.sync()
    before = dump(engine)
    middle = (indexer.start_block + chain.blocks.head.number) // 2
    # Re-index from the middle through the API the CLI's --from-block uses ...
    indexer.rollback_to(middle)
    indexer.sync()
    assert dump(engine) == before
    # ... and with the checkpoint moved back behind rows already written (no delete first).
    with engine.begin() as conn:
        conn.execute(update(Checkpoint).values(block_number=middle, block_hash=None))
    indexer.sync()
    assert dump(engine) == before


def test_batches_split_when_the_node_refuses_a_range(active, make_indexer, engine, chain):
    reference = make_indexer(manifest_dict(active, "local"))
    indexer = make_indexer(manifest_dict(active, "local"), max_block_range=1000)
    original = indexer.rpc.get_logs
    refused = []

    def picky_get_logs(addresses, from_block, to_block):
        if to_block - from_block + 1 > 3:
            refused.append((from_block, to_block))
            raise RangeTooLarge("query returned more than 10000 results", -32005)
        return original(addresses, from_block, to_block)

    indexer.rpc.get_logs = picky_get_logs
    indexer.sync()
    assert refused, "the node never refused a range"
    assert indexer.range_size <= 3
    assert indexer.checkpoint()[0] == chain.blocks.head.number
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(RawEvent))
    assert count == len(reference.rpc.get_logs(reference.addresses, reference.start_block, chain.blocks.head.number))


class Crash(Exception):
    pass


def test_crash_between_rows_and_checkpoint_leaves_no_trace(active, make_indexer, engine, chain, tmp_path):
    calls = []

    def crash_on_second_batch(point):
        calls.append(point)
        if len(calls) == 2:
            raise Crash("killed between the rows and the checkpoint")

    indexer = make_indexer(manifest_dict(active, "local"), max_block_range=4, fault_hook=crash_on_second_batch)
    indexer.step()
    after_first = indexer.checkpoint()
    rows_after_first = dump(engine)
    with pytest.raises(Crash):
        indexer.step()
    # Nothing of the failed batch is visible: same checkpoint, same rows.
    assert indexer.checkpoint() == after_first
    assert dump(engine) == rows_after_first
    # Restarted, it completes with no gap and no duplicate: the same as one clean run.
    indexer.fault_hook = None
    indexer.sync()
    crashed_then_resumed = dump(engine)
    indexer.rollback_to(indexer.start_block - 1)
    indexer.sync()
    assert crashed_then_resumed == dump(engine)


def test_process_killed_mid_batch_resumes_without_gap_or_duplicate(active, engine, database_url, rpc_url, chain,
                                                                  tmp_path, make_indexer):
    manifest_file = tmp_path / "manifest.json"
    write_manifest(manifest_dict(active, "local"), manifest_file)
    env = {**os.environ, "LINLI_DATABASE_URL": database_url, "LINLI_RPC_URL": rpc_url,
           "LINLI_MAX_BLOCK_RANGE": "5", "LINLI_FINALITY_DEPTH": "8"}
    command = [sys.executable, "-m", "backend.indexer", "--manifest", str(manifest_file), "--until-head", "--quiet"]
    killed = subprocess.run(command, env={**env, "LINLI_FAULT_POINT": "after_rows"}, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == 137, killed.stderr
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RawEvent)) == 0
        assert conn.scalar(select(func.count()).select_from(Checkpoint)) == 0
    resumed = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    after_restart = dump(engine)
    # A clean in-process re-index of the same chain gives the same tables.
    indexer = make_indexer(manifest_dict(active, "local"))
    assert indexer.checkpoint()[0] == chain.blocks.head.number
    indexer.rollback_to(indexer.start_block - 1)
    indexer.sync()
    assert dump(engine) == after_restart
    with engine.connect() as conn:
        keys = conn.execute(select(PointsMovement.tx_hash, PointsMovement.log_index)).all()
    assert len(keys) == len(set(keys))
