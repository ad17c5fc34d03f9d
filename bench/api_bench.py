"""API latency at 200 requests/s from a separate load process on loopback.

    python bench/api_bench.py              (BENCH_BLOCKS=200 by default: 20,000 transfers)

Builds a chain (points transfers sprayed over many holders, as bench/indexer_bench.py),
indexes it into SQLite (and PostgreSQL when LINLI_TEST_DATABASE_URL is set), serves it
with uvicorn in its own process, and drives it from another process at a fixed rate of
200 requests/s (after 2 s of uncounted warm-up at the same rate) over the three busiest endpoints (community summary, a holder's points
movements, a holder's balance). Prints p50/p99 per endpoint. Goal: p99 <= 25 ms.
"""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

RATE = 200
DURATION_S = float(os.environ.get("BENCH_API_SECONDS", "15"))
GOAL_P99_MS = 25.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(base: str, paths: list[str], rate: int, duration: float) -> dict[str, list[float]]:
    """Open-loop load: requests start on a fixed schedule whatever the latency."""
    import httpx

    workers = 16
    warmup = 2.0  # seconds at the same rate, not counted (pools, caches, page cache)
    results: dict[str, list[float]] = {}
    errors = []
    lock = threading.Lock()
    started = time.perf_counter() + 0.2

    def worker(k: int) -> None:
        client = httpx.Client(base_url=base, timeout=5)
        n = k
        interval = 1.0 / rate
        while True:
            due = started + n * interval
            if due - started > duration + warmup:
                break
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            kind, path = paths[n % len(paths)]
            t0 = time.perf_counter()
            reply = client.get(path)
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                if due - started >= warmup:
                    results.setdefault(kind, []).append(elapsed)
                if reply.status_code != 200:
                    errors.append((path, reply.status_code))
            n += workers
        client.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        results["errors"] = [float(len(errors))]
    return results


def serve_and_measure(url: str, rpc_url: str, community: str, holders: list[str]) -> dict[str, list[float]]:
    import httpx

    port = free_port()
    env = {**os.environ, "LINLI_DATABASE_URL": url, "LINLI_RPC_URL": rpc_url}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "backend.api.main:app", "--host", "127.0.0.1",
                               "--port", str(port), "--log-level", "warning", "--no-access-log"],
                              cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/api/v1/communities", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        c = f"/api/v1/communities/{community}"
        rng = random.Random(7)
        paths = []
        for _ in range(300):
            holder = rng.choice(holders)
            paths += [("summary", c), ("movements?holder&limit=50", f"{c}/points/movements?holder={holder}&limit=50"),
                      ("balances/{holder}", f"{c}/points/balances/{holder}")]
        # The load runs in its own process, as a dashboard would.
        loader = subprocess.run(
            [sys.executable, __file__, "--load", base, json.dumps(paths), str(RATE), str(DURATION_S)],
            cwd=ROOT, capture_output=True, text=True, timeout=DURATION_S + 180,
        )
        if loader.returncode != 0:
            raise RuntimeError(loader.stderr)
        return json.loads(loader.stdout)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    from ape import networks
    from rich.console import Console
    from rich.table import Table

    import indexer_bench as ib
    from backend.chain.deployment import manifest_dict
    from backend.indexer.rpc import RpcClient

    ib.BLOCKS = int(os.environ.get("BENCH_BLOCKS", "200"))
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("LINLI_TEST_DATABASE_URL") else [])
    with networks.parse_network_choice("ethereum:local:foundry") as provider:
        rpc_url = provider.uri
        community = ib.build_chain(RpcClient(rpc_url, timeout_s=120))
        manifest = manifest_dict(community, "local")
        holders = ["0x" + format(4096 + i, "040x") for i in range(ib.HOLDERS)]
        table = Table(title=f"API at {RATE} req/s for {DURATION_S:.0f}s from a separate process "
                            f"({ib.BLOCKS * ib.TRANSFERS_PER_BLOCK:,} transfers indexed)")
        for column in ("database", "endpoint", "requests", "p50 ms", "p99 ms", "goal p99"):
            table.add_column(column)
        with tempfile.TemporaryDirectory() as tmp:
            for kind in kinds:
                _, _, _, url, _ = ib.backfill(kind, manifest, rpc_url, Path(tmp))
                results = serve_and_measure(url, rpc_url, manifest["community"].lower(), holders)
                for endpoint, samples in sorted(results.items()):
                    if endpoint == "errors":
                        table.add_row(kind, "NON-200 ANSWERS", f"{int(samples[0])}", "", "", "")
                        continue
                    samples.sort()
                    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
                    table.add_row(kind, endpoint, f"{len(samples):,}", f"{statistics.median(samples):.1f}",
                                  f"{p99:.1f}", f"<= {GOAL_P99_MS:.0f} ms")
        Console(width=150).print(table)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        _, _, base, paths, rate, duration = sys.argv
        print(json.dumps(load(base, [tuple(p) for p in json.loads(paths)], int(rate), float(duration))))
    else:
        try:
            main()
        except BaseException:
            import traceback

            traceback.print_exc()
            sys.exit(1)
