"""`python -m backend.indexer` as an operator runs it (issue 17, items 7, 9, 11, 12):
--from-block on a replaced block is refused with the block to start from, a reorg deeper
than finality names where the index and the node still agree, /health is 200 again once
a re-index reached the head, the log lines say when and at which level, and odd node
replies do not end the process. scripts/supervise.sh starts it again when it does end
unexpectedly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.api.main import create_app
from backend.chain.deployment import deploy_community, manifest_dict, write_manifest
from backend.db.models import IndexerStatus
from backend.indexer.__main__ import main
from tests.backend.helpers import dump
from tests.backend.nodeproxy import NodeProxy, lagging, refuse, truncate
from tests.backend.test_reorg_and_faults import fresh_index
from tests.utils.identity import commitment_for

ROOT = Path(__file__).resolve().parents[2]
QUICK = {"LINLI_RPC_MAX_RETRIES": "2", "LINLI_RPC_BACKOFF_S": "0.05", "LINLI_RPC_BACKOFF_MAX_S": "0.2",
         "LINLI_POLL_INTERVAL_S": "0.05", "LINLI_ENVIRONMENT": "test"}


@pytest.fixture(scope="module")
def command_community(project, chain, committee, owner_a, owner_b, merchant, roles):
    community = deploy_community(project, chain, committee, name="命令小区")
    community.registry.register_units([
        ("2-1-101", 9_000, owner_a.address, commitment_for("owner_a")),
        ("2-1-102", 9_500, owner_b.address, commitment_for("owner_b")),
    ], sender=committee)
    community.registry.grantRole(roles["merchant"], merchant.address, sender=committee)
    community.points.mint(owner_a, 30, 2, sender=committee)
    community.points.transfer(merchant, 5, sender=owner_a)
    return community


@pytest.fixture
def manifest_file(command_community, tmp_path):
    path = tmp_path / "manifest.json"
    write_manifest(manifest_dict(command_community, "local"), path)
    return path


def run_command(*args: str) -> int:
    """main() in this process (as the command runs it), its signal handlers put back after."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return main(list(args))
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def status(engine):
    with engine.connect() as conn:
        return conn.execute(select(IndexerStatus.__table__)).mappings().one()


def deep_reorg(community, manifest_file, chain, committee, owner_a, owner_b, settings, rpc_url, monkeypatch):
    """Index the community, then replace its last 5 blocks by 6 others (finality depth 2):
    the command halts (exit 3). Returns the command's arguments and the fork block (the
    newest block both chains share)."""
    for name, value in {**QUICK, "LINLI_FINALITY_DEPTH": "2"}.items():
        monkeypatch.setenv(name, value)
    args = ["--manifest", str(manifest_file), "--rpc-url", rpc_url, "--database-url", settings.database_url,
            "--until-head", "--quiet"]
    assert run_command(*args) == 0
    fork = chain.blocks.head.number
    snapshot = chain.snapshot()
    for _ in range(5):
        community.points.mint(owner_a, 1, 2, sender=committee)
    assert run_command(*args) == 0
    chain.restore(snapshot)
    for _ in range(6):
        community.points.mint(owner_b, 1, 2, sender=committee)
    assert run_command(*args) == 3
    return args, fork


def test_reindexing_from_a_replaced_block_is_refused_naming_where_to_start(
        command_community, manifest_file, chain, committee, owner_a, owner_b, settings, engine, rpc_url, tmp_path,
        monkeypatch):
    """Item 9: a reorg deeper than finality halts naming the newest block the index and the
    node agree on; --from-block above it is refused (it would keep rows of the replaced
    blocks and /health would say 200); from there the index equals a fresh one."""
    args, fork = deep_reorg(command_community, manifest_file, chain, committee, owner_a, owner_b, settings, rpc_url,
                            monkeypatch)
    halted = status(engine)
    assert halted["halted"]
    assert f"agree up to block {fork} " in halted["last_error"]
    assert f"--from-block {fork + 1}" in halted["last_error"]

    before = dump(engine)
    assert run_command("--from-block", str(fork + 3), *args) == 3
    assert f"--from-block {fork + 1}" in status(engine)["last_error"]
    assert dump(engine) == before, "a refused re-index changes nothing"
    assert TestClient(create_app(settings)).get("/health").status_code == 503

    assert run_command("--from-block", str(fork + 1), *args) == 0
    assert dump(engine) == dump(fresh_index(tmp_path, manifest_dict(command_community, "local"), settings, rpc_url))


def test_health_is_ok_again_after_a_reindex_to_the_head(command_community, manifest_file, chain, committee, owner_a,
                                                        owner_b, settings, engine, rpc_url, monkeypatch):
    """Item 12: after `--from-block N --until-head` from a good block, /health is 200
    without running follow mode."""
    args, fork = deep_reorg(command_community, manifest_file, chain, committee, owner_a, owner_b, settings, rpc_url,
                            monkeypatch)
    health = TestClient(create_app(settings))
    assert health.get("/health").status_code == 503
    assert run_command("--from-block", str(fork + 1), *args) == 0
    answer = health.get("/health")
    assert answer.status_code == 200, answer.json()
    assert not answer.json()["communities"][0]["halted"]
    assert answer.json()["communities"][0]["last_error"] is None


def test_from_block_past_the_checkpoint_leaves_no_gap(command_community, manifest_file, chain, committee, owner_a,
                                                      settings, engine, rpc_url, tmp_path, monkeypatch):
    """--from-block above what was indexed re-indexes from the checkpoint on, not from N
    (which would skip the blocks between)."""
    for name, value in QUICK.items():
        monkeypatch.setenv(name, value)
    points = command_community.points
    base = ["--manifest", str(manifest_file), "--rpc-url", rpc_url, "--database-url", settings.database_url,
            "--until-head", "--quiet"]
    assert run_command(*base) == 0
    for _ in range(4):
        points.mint(owner_a, 1, 2, sender=committee)
    assert run_command("--from-block", str(chain.blocks.head.number), *base) == 0
    assert dump(engine) == dump(fresh_index(tmp_path, manifest_dict(command_community, "local"), settings, rpc_url))


def test_migrating_keeps_the_logging_a_program_set_up(tmp_path):
    """Item 11: alembic.ini's logging is for the alembic command; the indexer migrates at its
    start and its INFO lines, with their time, must still appear after."""
    script = ("import logging, sys; logging.basicConfig(level=logging.INFO, "
              "format='%(asctime)s %(levelname)s %(name)s: %(message)s'); "
              "from backend.db.migrate import upgrade; upgrade(sys.argv[1]); "
              "logging.getLogger('linli.indexer').info('after the migration')")
    run = subprocess.run([sys.executable, "-c", script, f"sqlite:///{tmp_path / 'index.db'}"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO linli\.indexer: after the migration$",
                     run.stderr, re.MULTILINE), run.stderr


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING) linli\.indexer")


def test_the_command_survives_odd_replies_and_logs_when_and_what(command_community, manifest_file, chain, settings,
                                                                 engine, rpc_url, tmp_path):
    """Items 7 and 11, as a process: a node behind the one answering eth_blockNumber, a
    header not found, a reply cut short and Besu's range refusal do not end it (code 0 at
    the head, the index equal to a fresh one); its INFO lines appear, each with its time."""
    proxy = NodeProxy(rpc_url)
    head = chain.blocks.head.number
    faults = [lagging(blocks=1, times=4, when=lambda p: int(p[0]["toBlock"], 16) >= head),
              refuse("eth_getBlockByNumber", -32000, "header not found", times=1, when=lambda p: p[0] != "finalized"),
              truncate("eth_getLogs", times=1),
              refuse("eth_getLogs", -32005, "Requested range exceeds maximum RPC range limit", times=None,
                     when=lambda p: int(p[0]["toBlock"], 16) - int(p[0]["fromBlock"], 16) >= 4)]
    proxy.inject(*faults)
    proxy.start()
    try:
        run = subprocess.run([sys.executable, "-m", "backend.indexer", "--manifest", str(manifest_file),
                              "--until-head", "--quiet"],
                             env={**os.environ, **QUICK, "LINLI_DATABASE_URL": settings.database_url,
                                  "LINLI_RPC_URL": proxy.url},
                             cwd=ROOT, capture_output=True, text=True, timeout=180)
    finally:
        proxy.stop()
    assert run.returncode == 0, run.stderr[-3000:]
    assert all(fault.fired for fault in faults), [(type(f).__name__, f.fired) for f in faults]
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert any(LOG_LINE.match(line) and " INFO " in line for line in lines), run.stderr[-3000:]
    assert any("refused" in line and LOG_LINE.match(line) for line in lines), "the split is said, with its time"
    assert not any("HTTP Request" in line for line in lines), "no line for every request to the node"
    assert dump(engine) == dump(fresh_index(tmp_path, manifest_dict(command_community, "local"), settings, rpc_url))


def test_the_supervisor_starts_the_command_again_unless_an_operator_is_needed(tmp_path):
    """scripts/supervise.sh (the demo runs the indexer under it): an unexpected end (1) is
    followed by a new start; 3 (a deep reorg: an operator is needed) ends the supervisor."""
    counter = tmp_path / "runs"
    child = ("import pathlib, sys; p = pathlib.Path(sys.argv[1]); n = int(p.read_text() or 0) + 1 "
             "if p.exists() else 1; p.write_text(str(n)); sys.exit(1 if n < 3 else 3)")
    run = subprocess.run([str(ROOT / "scripts" / "supervise.sh"), sys.executable, "-c", child, str(counter)],
                         env={**os.environ, "SUPERVISE_DELAY_S": "0"}, capture_output=True, text=True, timeout=60)
    assert run.returncode == 3
    assert counter.read_text() == "3"
    assert run.stderr.count("ended with code 1; starting it again") == 2


def test_the_supervisor_stops_with_its_command_on_sigterm(tmp_path):
    marker = tmp_path / "stopped"
    child = ("import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: "
             f"(pathlib.Path({str(marker)!r}).write_text('yes'), sys.exit(0))); time.sleep(60)")
    supervisor = subprocess.Popen([str(ROOT / "scripts" / "supervise.sh"), sys.executable, "-c", child],
                                  stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)  # the child is running
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=20) == 0
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
    assert marker.read_text() == "yes", "the command was stopped by the supervisor, not left running"
