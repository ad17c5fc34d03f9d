"""Owners' receipts of notices accepted per second by the API.

Run (a plain Python script; PostgreSQL for the index too when LINLI_TEST_DATABASE_URL is set):
    export PATH=$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH APE_DATA_FOLDER=$PWD/.ape
    python bench/receipts_bench.py

A community of 500 owners and 4 notices on anvil (through Ape), indexed; the API runs
under uvicorn in its own process (one worker) with the vault's database on SQLite; 2,000
acknowledgements signed beforehand are posted by 8 client threads of another process.
Each acceptance checks the signature (recovery), asks the node two questions (is the
signer a contract; is it an owner) and inserts one row. Anchor: a 5,000-unit community
whose owners all acknowledge one notice within ten minutes needs ~8.3 receipts/s.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_typed_data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OWNERS, NOTICES, CLIENTS = 500, 4, 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load(base: str, bodies: list[tuple[str, dict]]) -> dict:
    import httpx

    latencies, statuses, lock = [], {}, threading.Lock()
    queue = list(enumerate(bodies))

    def worker():
        with httpx.Client(base_url=base, timeout=30) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    _, (path, body) = queue.pop()
                began = time.perf_counter()
                answer = client.post(path, json=body)
                with lock:
                    latencies.append(time.perf_counter() - began)
                    statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {"elapsed": elapsed, "statuses": statuses, "p50": statistics.median(latencies),
            "p99": latencies[int(len(latencies) * 0.99) - 1]}


def main() -> None:
    from ape import accounts, chain, networks, project

    from backend.chain.deployment import deploy_full_community, manifest_dict, write_manifest
    from backend.notices import receipts as rc

    with networks.parse_network_choice("ethereum:local:foundry"), tempfile.TemporaryDirectory() as folder:
        committee = accounts.test_accounts[0]
        community = deploy_full_community(project, chain, committee, name="bench", hand_over_powers=False)
        owners = [Account.create() for _ in range(OWNERS)]
        for start in range(0, OWNERS, 100):
            community.registry.register_units(
                [(f"{i // 100 + 1}-{i % 100 + 101}", 9_000, owners[i].address, hashlib.sha256(owners[i].key).digest())
                 for i in range(start, start + 100)], sender=committee)
        board = community.contracts()["NoticeBoard"]
        contents = [hashlib.sha256(f"notice {n}".encode()).digest() for n in range(NOTICES)]
        for n, content in enumerate(contents):
            board.publish_notice(content, 5, 3, "", f"通知 {n}", 0, [], sender=committee)
        chain.mine()
        folder = Path(folder)
        manifest = folder / "manifest.json"
        write_manifest(manifest_dict(community, "local"), manifest)
        env = {**os.environ, "LINLI_ENVIRONMENT": "test", "LINLI_RPC_URL": chain.provider.uri,
               "LINLI_DATABASE_URL": os.environ.get("LINLI_TEST_DATABASE_URL") or f"sqlite:///{folder / 'index.db'}",
               "LINLI_MANIFEST": str(manifest), "LINLI_VAULT_MANIFESTS": json.dumps([str(manifest)]),
               "LINLI_VAULT_DATABASE_URL": f"sqlite:///{folder / 'vault.db'}",
               "LINLI_VAULT_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
               "LINLI_RECEIPTS_PER_MINUTE_PER_CLIENT": "1000000", "LINLI_RECEIPTS_PER_MINUTE_PER_OWNER": "1000"}
        subprocess.run([sys.executable, "-m", "backend.indexer", "--manifest", str(manifest), "--until-head"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        now = int(time.time())
        c = f"/api/v1/communities/{community.registry.address.lower()}"
        bodies = []
        for n, content in enumerate(contents):
            for owner in owners:
                message = rc.typed_data(chain.chain_id, board.address, n + 1, content, owner.address, now)
                signature = Account.sign_message(encode_typed_data(full_message=message), owner.key).signature
                bodies.append((f"{c}/notices/{n + 1}/receipts",
                               {"owner": owner.address, "acknowledged_at": now, "signature": signature.to_0x_hex()}))
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "uvicorn", "backend.api.main:app", "--host", "127.0.0.1",
                                   "--port", str(port), "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            import httpx

            for _ in range(400):
                try:
                    httpx.get(f"{base}/health", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.05)
            load(base, bodies[:40])  # warm up: the vault database, the node's connection
            result = load(base, bodies[40:])
        finally:
            server.terminate()
            server.wait(timeout=10)
        accepted = result["statuses"].get(201, 0)
        print(f"receipts posted: {len(bodies) - 40:,} by {CLIENTS} clients; answers {result['statuses']}")
        print(f"accepted per second: {accepted / result['elapsed']:,.0f} (p50 {result['p50'] * 1000:.1f} ms, "
              f"p99 {result['p99'] * 1000:.1f} ms); anchor: 8.3/s serves 5,000 owners in ten minutes")


if __name__ == "__main__":
    main()
