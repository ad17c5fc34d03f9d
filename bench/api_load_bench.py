# SPDX-License-Identifier: AGPL-3.0-only
"""The API saturated: sustained 200 requests/s for 60 s, bursts of 500 at once, a stop
(SIGTERM) under load, and oversized bodies (issue 17, items 1 and 4).

    python bench/api_load_bench.py     (BENCH_BLOCKS=200: 20,000 transfers indexed;
                                        BENCH_LOAD_SECONDS=60; PostgreSQL too when
                                        LINLI_TEST_DATABASE_URL is set)

Builds a chain and indexes it (as bench/api_bench.py), serves it with
`python -m backend.api` in its own process, and drives it from another process with an
open-loop load: requests start on schedule whatever the answers, each waits at most 30 s
(longer counts as a hang). Before admission a burst of 60 gave 40 × 500 after 30 s and
200 requests/s on /events?limit=500 silenced the API for more than 16 minutes. The
anchor now: every request answered, 200 or 503 with Retry-After, none hanging, none
500; the stop within seconds.

Scenarios, on each database:
- the three busiest reads (summary, a holder's movements, a holder's balance) at
  200 requests/s: what the server sustains;
- /events?limit=500 at 200 requests/s: more than two cores serve, so saturated;
- 500 requests at once, of each;
- SIGTERM 5 s into /events at 200 requests/s: seconds to exit;
- four 50 MB ballots at once: answered 413 before being read (the issue saw 635 MB ->
  1.9 GB and 200 MB answers).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

RATE = 200
DURATION_S = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
WARMUP_S = 2.0
BURST = 500
HANG_S = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the load (its own process)
#
# A bare HTTP/1.1 client on asyncio streams, one connection per request (Connection:
# close): light enough that the load generator, sharing the machine's two cores with the
# server, is not what falls behind (httpx's per-request overhead was). Latency is timed
# from the moment the request is sent; how late the client sent it against its schedule
# is reported beside (lag).


async def _one(host: str, port: int, path: str, results: list, counted: bool, due: float) -> None:
    loop = asyncio.get_running_loop()
    started, wall = loop.time(), time.time()
    lag_ms = (started - due) * 1000

    async def exchange() -> str | int:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            if status in (429, 503) and b"\r\nretry-after:" not in head.lower():
                return f"{status} without Retry-After"
            await reader.read()  # the body, to the end (the server closes)
            return status
        finally:
            writer.close()

    try:
        outcome = await asyncio.wait_for(exchange(), HANG_S)
    except asyncio.TimeoutError:
        outcome = "hang (> 30 s)"
    except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError) as exc:
        outcome = type(exc).__name__
    except OSError as exc:
        outcome = f"OSError {exc.errno}"
    if counted:
        results.append((outcome, (loop.time() - started) * 1000, wall, lag_ms))


async def open_loop(base: str, paths: list[str], rate: float, duration: float) -> list:
    host, port = base.removeprefix("http://").split(":")
    results: list = []
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    tasks = []
    for n in range(int(rate * (duration + WARMUP_S))):
        due = start + n / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(host, int(port), paths[n % len(paths)], results,
                                              n >= rate * WARMUP_S, due)))
    await asyncio.gather(*tasks)
    return results


async def burst(base: str, paths: list[str], size: int) -> list:
    host, port = base.removeprefix("http://").split(":")
    results: list = []
    due = asyncio.get_running_loop().time()
    await asyncio.gather(*(_one(host, int(port), paths[n % len(paths)], results, True, due) for n in range(size)))
    return results


def run_loader(mode: str, base: str, paths: list[str], amount: float, duration: float) -> list:
    """The load in a process of its own (as dashboards would be), its answers as JSON."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as listing:
        json.dump(paths, listing)
        listing.flush()
        loader = subprocess.run([sys.executable, __file__, "--load", mode, base, listing.name, str(amount),
                                 str(duration)], cwd=ROOT, capture_output=True, text=True,
                                timeout=duration + WARMUP_S + 3 * HANG_S + 120)
    if loader.returncode != 0:
        raise RuntimeError(loader.stderr[-3000:])
    return json.loads(loader.stdout)


# ---------------------------------------------------------------- the server


class Server:
    def __init__(self, url: str, rpc_url: str, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
        env.update(LINLI_DATABASE_URL=url, LINLI_RPC_URL=rpc_url, LINLI_VAULT_KEY_FILE=str(log.parent / "vault.key"),
                   LINLI_VAULT_DATABASE_URL=f"sqlite:///{log.parent / 'vault.db'}")
        self.process = subprocess.Popen([sys.executable, "-m", "backend.api", "--port", str(self.port), "--log-level",
                                         "warning", "--no-access-log"], cwd=ROOT, env=env,
                                        stdout=log.open("ab"), stderr=subprocess.STDOUT)
        import httpx

        for _ in range(600):
            try:
                httpx.get(f"{self.base}/api/v1/communities", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"the API did not start; see {log}")

    def rss_mb(self, field: str = "VmRSS") -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self, timeout: float = 60) -> float | None:
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None
        return time.monotonic() - started


def oversized_ballots(server: Server, community: str) -> tuple[Counter, float, float, int]:
    """Four 50 MB ballots at once, as the issue sent them: (answers, the server's peak RSS
    before and after in MB, the largest answer in bytes)."""
    peak_before = server.rss_mb("VmHWM")
    head = (f"POST /api/v1/communities/{community}/assembly/ballots HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n").encode()
    chunk = b'{"proposal_id": "' + b"9" * (1024 * 1024)
    answers: Counter = Counter()
    sizes: list[int] = []

    def send() -> None:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.sendall(head)
            try:
                for _ in range(50):
                    sock.sendall(chunk)
            except OSError:
                pass  # answered and closed before the body was read: what we want
            answer = b""
            while True:
                try:
                    part = sock.recv(1 << 20)
                except OSError:
                    break
                if not part:
                    break
                answer += part
            answers[answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "no answer"] += 1
            sizes.append(len(answer))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, peak_before, server.rss_mb("VmHWM"), max(sizes)


# ---------------------------------------------------------------- figures


def _p99(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))] if values else 0.0


def summarise(results: list) -> dict:
    codes = Counter(str(outcome) for outcome, _, _, _ in results)
    latencies = [ms for _, ms, _, _ in results]
    return {
        "requests": len(results), "200": codes.pop("200", 0), "429": codes.pop("429", 0), "503": codes.pop("503", 0),
        "other": dict(codes), "p50": statistics.median(latencies) if latencies else 0.0, "p99": _p99(latencies),
        "p99_served": _p99([ms for outcome, ms, _, _ in results if outcome == 200]),
        "lag_p99": _p99([lag for _, _, _, lag in results]),
    }


def main() -> None:
    from ape import networks
    from rich.console import Console
    from rich.table import Table

    import indexer_bench as ib
    from backend.chain.deployment import manifest_dict
    from backend.indexer.rpc import RpcClient

    ib.BLOCKS = int(os.environ.get("BENCH_BLOCKS", "200"))
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("LINLI_TEST_DATABASE_URL") else [])
    uptime = Path("/proc/loadavg").read_text().split()[:3]
    console = Console(width=160)
    with networks.parse_network_choice("ethereum:local:foundry") as provider:
        rpc_url = provider.uri
        community = ib.build_chain(RpcClient(rpc_url, timeout_s=120))
        manifest = manifest_dict(community, "local")
        key = manifest["community"].lower()
        holders = ["0x" + format(4096 + i, "040x") for i in range(ib.HOLDERS)]
        c = f"/api/v1/communities/{key}"
        mix = []
        for n in range(300):
            holder = holders[(n * 7919) % len(holders)]
            mix += [c, f"{c}/points/movements?holder={holder}&limit=50", f"{c}/points/balances/{holder}"]
        events = [f"{c}/events?limit=500&from_block={n % 50}" for n in range(50)]
        transfers = ib.BLOCKS * ib.TRANSFERS_PER_BLOCK
        table = Table(title=f"API under load, open loop from a separate process ({transfers:,} transfers indexed; "
                            f"load average before: {' '.join(uptime)})")
        for column in ("database", "scenario", "requests", "200", "429", "503", "other", "p50 ms", "p99 ms",
                       "p99 of 200s ms", "client lag p99 ms"):
            table.add_column(column)
        extra = Table(title="Stop under load, oversized bodies")
        for column in ("database", "what", "figure"):
            extra.add_column(column)
        with tempfile.TemporaryDirectory() as tmp:
            for kind in kinds:
                _, _, _, url, _ = ib.backfill(kind, manifest, rpc_url, Path(tmp))
                log = Path(tmp) / f"api-{kind}.log"
                server = Server(url, rpc_url, log)
                try:
                    rss_idle = server.rss_mb()
                    for name, paths in (("3 busiest reads", mix), ("events?limit=500", events)):
                        figures = summarise(run_loader("rate", server.base, paths, RATE, DURATION_S))
                        table.add_row(kind, f"{name} at {RATE}/s for {DURATION_S:.0f} s", *row(figures))
                    for name, paths in (("3 busiest reads", mix), ("events?limit=500", events)):
                        figures = summarise(run_loader("burst", server.base, paths, BURST, 0))
                        table.add_row(kind, f"{name}: {BURST} at once", *row(figures))
                    answers, before, after, largest = oversized_ballots(server, key)
                    extra.add_row(kind, "4 × 50 MB ballots at once", f"{dict(answers)}; largest answer {largest} B; "
                                  f"RSS at start {rss_idle:.0f} MB, peak before {before:.0f} MB, after {after:.0f} MB")
                finally:
                    if server.process.poll() is None:
                        server.stop()
                # A fresh server for the stop: SIGTERM 5 s into the heavy load.
                server = Server(url, rpc_url, log)
                stopped: dict = {}

                def stop_later(server=server, stopped=stopped) -> None:
                    time.sleep(WARMUP_S + 5)
                    stopped["at"] = time.time()
                    stopped["s"] = server.stop()

                stopper = threading.Thread(target=stop_later)
                stopper.start()
                results = run_loader("rate", server.base, events, RATE, 10)
                stopper.join()
                exit_s = stopped.get("s")
                extra.add_row(kind, "SIGTERM 5 s into events?limit=500 at 200/s",
                              f"exited in {exit_s:.2f} s (code {server.process.returncode})" if exit_s is not None
                              else "still running after 60 s")
                for when, part in (("before", [r for r in results if r[2] < stopped["at"]]),
                                   ("after", [r for r in results if r[2] >= stopped["at"]])):
                    figures = summarise(part)
                    other = ", ".join(f"{k}: {v}" for k, v in figures["other"].items()) or "0"
                    extra.add_row(kind, f"  requests sent {when} the SIGTERM",
                                  f"200: {figures['200']}, 503: {figures['503']}, other: {other}")
        console.print(table)
        console.print(extra)


def row(figures: dict) -> list[str]:
    other = ", ".join(f"{k}: {v}" for k, v in figures["other"].items()) or "0"
    return [f"{figures['requests']:,}", f"{figures['200']:,}", f"{figures['429']:,}", f"{figures['503']:,}", other,
            f"{figures['p50']:.1f}", f"{figures['p99']:.1f}", f"{figures['p99_served']:.1f}",
            f"{figures['lag_p99']:.0f}"]


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        _, _, mode, base, listing, amount, duration = sys.argv
        paths = json.loads(Path(listing).read_text())
        if mode == "rate":
            print(json.dumps(asyncio.run(open_loop(base, paths, float(amount), float(duration)))))
        else:
            print(json.dumps(asyncio.run(burst(base, paths, int(amount)))))
    else:
        try:
            main()
        except BaseException:
            import traceback

            traceback.print_exc()
            sys.exit(1)
