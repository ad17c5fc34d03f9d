"""Provider recommendations for 1,000 providers: latency of the ranking endpoint over HTTP.

    python bench/ranking_bench.py          (BENCH_PROVIDERS=1000, BENCH_JOBS=20000, BENCH_RANK_REQUESTS=1000)

Builds an index with 1,000 providers holding the provider role and a market history
of 20,000 requests (offers, revisions, acceptances, completions, disputes, closures,
ratings) spread over 10 categories, each provider a specialist of one or two. The
event rows are generated directly in SQL into the real index tables (the rows the
indexer would write for those events; sending 100,000+ transactions through anvil
would time the chain, not the ranking), then the indexer's own projection code
(`projections.rebuild`) derives the role members and the providers' aggregates from
them, as after a re-index. 200 requests are left open.

The API runs under uvicorn in its own process on loopback; one client (another
process) asks for the top 20 providers of a random open request, one request at a
time, after 100 uncounted warm-up calls, in two passes:

- new head each call: the checkpoint changes before every call (as when a block was
  just indexed), so every call reads the 1,000 providers' aggregates and ranks them
  all: the cost of the ranking itself;
- same head: the API reuses the ordering it computed for the checkpoint and
  category (backend/api/routes/services.py `_ranking`), as between two blocks.

SQLite, and PostgreSQL when LINLI_TEST_DATABASE_URL is set (its schema is dropped
and recreated). Goal: p99 <= 50 ms. Beside the latencies: the server process's CPU
time per call and the load average, since the cores may be shared.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROVIDERS = int(os.environ.get("BENCH_PROVIDERS", "1000"))
JOBS = int(os.environ.get("BENCH_JOBS", "20000"))
OPEN_REQUESTS = 200
CALLS = int(os.environ.get("BENCH_RANK_REQUESTS", "1000"))
WARMUP = 100
CATEGORIES = 10
GOAL_P99_MS = 50.0
CHAIN_ID = 31337
COMMUNITY = "0x" + "c0" * 20
MARKET = "0x" + "5e" * 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def address(n: int) -> str:
    return "0x" + format(n, "040x")


def fresh_database(kind: str, tmp: Path) -> str:
    from sqlalchemy import text

    from backend.core.db import make_engine
    from backend.db.migrate import upgrade

    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'ranking.db'}"
    else:
        url = os.environ["LINLI_TEST_DATABASE_URL"]
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    return url


class History:
    """Event rows of a market with 1,000 providers, in chain order."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.block = 100
        self.time = 1_760_000_000
        self.rows: dict[str, list[dict]] = {}
        self.tx = 0

    def add(self, table: str, **columns) -> None:
        self.tx += 1
        self.rows.setdefault(table, []).append({
            "chain_id": CHAIN_ID, "tx_hash": "0x" + format(self.tx, "064x"), "log_index": 0, "community": COMMUNITY,
            "block_number": self.block, "block_timestamp": self.time, **columns})
        self.block += 1
        self.time += 2

    def build(self, providers: list[str], residents: list[str]) -> list[int]:
        from backend.chain.deployment import role_id

        rng = self.rng
        role = "0x" + role_id("provider").hex()
        for provider in providers:
            self.add("role_changes", role=role, account=provider, granted=True, changed_by=address(1))
        # Each provider works in one or two categories, at its own speed, price and quality.
        skills = {p: rng.sample(range(1, CATEGORIES + 1), rng.choice((1, 2))) for p in providers}
        by_category = {c: [p for p in providers if c in skills[p]] for c in range(1, CATEGORIES + 1)}
        speed = {p: rng.uniform(600, 12 * 3600) for p in providers}
        markup = {p: rng.uniform(0.55, 1.0) for p in providers}
        quality = {p: rng.uniform(3.2, 5.0) for p in providers}
        open_ids = []
        for request_id in range(1, JOBS + OPEN_REQUESTS + 1):
            category = rng.randint(1, CATEGORIES)
            budget = rng.randrange(5_000, 200_000, 100)
            posted = self.time
            resident = rng.choice(residents)
            self.add("service_requests", request_id=request_id, resident=resident, category=category,
                     description_hash="0x" + format(request_id, "064x"), budget=budget,
                     deadline=posted + 10 * 86_400, posted_at=posted)
            bidders = rng.sample(by_category[category] or providers, min(3, len(by_category[category]) or 1))
            if rng.random() < 0.3:
                bidders.append(rng.choice(providers))  # someone outside its usual categories
            offers = []
            for bidder in dict.fromkeys(bidders):
                self.time = max(self.time, posted + int(rng.expovariate(1 / speed[bidder])))
                price = max(1, min(budget, int(budget * markup[bidder] * rng.uniform(0.9, 1.05))))
                self.add("service_offers", request_id=request_id, provider=bidder, price=price,
                         completion_by=posted + 9 * 86_400, offered_at=self.time, revision=False)
                if rng.random() < 0.1:
                    price = max(1, price * 95 // 100)
                    self.add("service_offers", request_id=request_id, provider=bidder, price=price,
                             completion_by=posted + 9 * 86_400, offered_at=self.time, revision=True)
                offers.append((bidder, price))
            if request_id > JOBS:
                open_ids.append(request_id)
                continue
            winner, price = rng.choice(offers)
            fee = price * 300 // 10_000
            self.add("service_acceptances", request_id=request_id, resident=resident, provider=winner, price=price,
                     completion_by=posted + 9 * 86_400, refund=budget - price, fee_bps=300, accepted_at=self.time)
            outcome = rng.random()
            if outcome < 0.03:  # never done: the resident reclaims
                self.add("service_closures", request_id=request_id, resident=resident, provider=winner, status=9,
                         to_provider=0, fee=0, to_resident=price, decision_hash="0x" + "00" * 32,
                         closed_by=resident, closed_at=self.time)
                continue
            self.add("service_completions", request_id=request_id, provider=winner, done_at=self.time,
                     release_at=self.time + 7 * 86_400)
            if outcome < 0.08:  # disputed, split in half by the committee
                share = price // 2
                self.add("service_disputes", request_id=request_id, resident=resident, provider=winner,
                         reason_hash="0x" + "11" * 32, escrow=price, previous_status=3, disputed_at=self.time)
                self.add("service_closures", request_id=request_id, resident=resident, provider=winner, status=7,
                         to_provider=share - share * 300 // 10_000, fee=share * 300 // 10_000,
                         to_resident=price - share, decision_hash="0x" + "22" * 32, closed_by=address(1),
                         closed_at=self.time)
            else:
                status = 5 if outcome < 0.85 else 6
                self.add("service_closures", request_id=request_id, resident=resident, provider=winner,
                         status=status, to_provider=price - fee, fee=fee, to_resident=0,
                         decision_hash="0x" + "00" * 32, closed_by=resident, closed_at=self.time)
            if rng.random() < 0.7:
                score = max(1, min(5, round(rng.gauss(quality[winner], 0.6))))
                self.add("provider_ratings", request_id=request_id, provider=winner, rater=resident, score=score,
                         rating_count=0, rating_sum=0, points=0)
        return open_ids


def populate(url: str, history: History, head: int) -> None:
    from sqlalchemy import insert

    from backend.core.db import make_engine
    from backend.db.models import Base, Checkpoint, CommunityRecord, IndexedBlock
    from backend.indexer import projections

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(CommunityRecord), [{
            "community": COMMUNITY, "chain_id": CHAIN_ID, "name": "bench", "network": "local", "deploy_block": 1,
            "contracts": {"HouseholdRegistry": COMMUNITY, "ServiceMarket": MARKET}}])
        for table, rows in history.rows.items():
            for start in range(0, len(rows), 5_000):
                conn.execute(insert(Base.metadata.tables[table]), rows[start:start + 5_000])
        conn.execute(insert(Checkpoint), [{"chain_id": CHAIN_ID, "community": COMMUNITY, "block_number": head,
                                           "block_hash": "0x" + "ab" * 32, "chain_head": head,
                                           "finalized_block": head - 64, "updated_at": time.time()}])
        conn.execute(insert(IndexedBlock), [{"chain_id": CHAIN_ID, "community": COMMUNITY, "block_number": head,
                                             "block_hash": "0x" + "ab" * 32, "parent_hash": "0x" + "aa" * 32,
                                             "timestamp": history.time}])
        started = time.perf_counter()
        projections.rebuild(conn, COMMUNITY)
        print(f"  projection rebuilt from {sum(map(len, history.rows.values())):,} event rows in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    engine.dispose()


def measure(base: str, paths: list[str], bump_url: str | None) -> list[float]:
    """Closed loop, one call at a time: the latency of one ranking as a page sees it.

    With `bump_url`, the checkpoint's block hash changes before every call (outside the
    timing), as when a new block has just been indexed: the API cannot reuse the
    ordering it computed for the previous checkpoint and ranks from the tables.
    """
    import httpx
    from sqlalchemy import text

    from backend.core.db import make_engine

    engine = make_engine(bump_url) if bump_url else None
    samples = []
    with httpx.Client(base_url=base, timeout=10) as client:
        for n, path in enumerate(paths):
            if engine is not None:
                with engine.begin() as conn:
                    conn.execute(text("UPDATE checkpoints SET block_hash = :h"), {"h": "0x" + format(n, "064x")})
            started = time.perf_counter()
            reply = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            if reply.status_code != 200 or len(reply.json()["items"]) != 20:
                raise RuntimeError(f"{path}: {reply.status_code} {reply.text[:300]}")
            if n >= WARMUP:
                samples.append(elapsed)
    if engine is not None:
        engine.dispose()
    return samples


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), to tell cost from waiting on shared cores."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


MODES = (("new head each call", True), ("same head", False))


def serve_and_measure(url: str, open_ids: list[int]) -> list[tuple[str, list[float], float | None]]:
    """(mode, latencies in ms, server CPU ms per call) for each mode of MODES."""
    import httpx

    port = free_port()
    env = {**os.environ, "LINLI_DATABASE_URL": url}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "backend.api.main:app", "--host", "127.0.0.1",
                               "--port", str(port), "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    results = []
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/api/v1/communities", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        rng = random.Random(11)
        paths = [f"/api/v1/communities/{COMMUNITY}/services/requests/{rng.choice(open_ids)}/recommendations?limit=20"
                 for _ in range(CALLS + WARMUP)]
        for mode, bump in MODES:
            cpu_before = cpu_seconds(server.pid)
            # The load runs in its own process, as a page would.
            loader = subprocess.run([sys.executable, __file__, "--load", base, url if bump else ""],
                                    input=json.dumps(paths), cwd=ROOT, capture_output=True, text=True, timeout=900)
            if loader.returncode != 0:
                raise RuntimeError(loader.stderr)
            cpu_after = cpu_seconds(server.pid)
            cpu_per_call = None if cpu_before is None or cpu_after is None else \
                (cpu_after - cpu_before) * 1000 / len(paths)
            results.append((mode, json.loads(loader.stdout), cpu_per_call))
        return results
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    rng = random.Random(7)
    providers = [address(0x1000 + n) for n in range(PROVIDERS)]
    residents = [address(0x100000 + n) for n in range(2_000)]
    history = History(rng)
    open_ids = history.build(providers, residents)
    rows = sum(map(len, history.rows.values()))
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("LINLI_TEST_DATABASE_URL") else [])
    table = Table(title=f"Recommendations for an open request: {PROVIDERS:,} providers ranked per call, "
                        f"{JOBS:,} past jobs ({rows:,} event rows), top 20 over HTTP on loopback")
    for column in ("database", "index", "calls", "p50 ms", "p90 ms", "p99 ms", "max ms", "server CPU ms/call",
                   "load avg", "goal p99"):
        table.add_column(column)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            print(f"{kind}: building the index", flush=True)
            url = fresh_database(kind, Path(tmp))
            populate(url, history, history.block)
            for mode, samples, cpu_per_call in serve_and_measure(url, open_ids):
                samples.sort()
                p90 = samples[min(len(samples) - 1, int(len(samples) * 0.9))]
                p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
                table.add_row(kind, mode, f"{len(samples):,}", f"{statistics.median(samples):.1f}", f"{p90:.1f}",
                              f"{p99:.1f}", f"{samples[-1]:.1f}",
                              "n/a" if cpu_per_call is None else f"{cpu_per_call:.1f}",
                              f"{os.getloadavg()[0]:.1f}", f"<= {GOAL_P99_MS:.0f} ms")
    Console(width=150).print(table)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        print(json.dumps(measure(sys.argv[2], json.loads(sys.stdin.read()), sys.argv[3] or None)))
    else:
        try:
            main()
        except BaseException:
            import traceback

            traceback.print_exc()
            sys.exit(1)
