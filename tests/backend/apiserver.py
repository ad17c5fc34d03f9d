# SPDX-License-Identifier: AGPL-3.0-only
"""The API in a real uvicorn process on a free port, as an operator runs it, and a load
of concurrent requests against it: what the in-process TestClient cannot show (worker
threads, the connection pool, SIGTERM, the connecting address)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import insert

from backend.core.db import make_engine
from backend.db.models import Checkpoint, CommunityRecord, RawEvent
from tests.backend.nodeproxy import free_port

ROOT = Path(__file__).resolve().parents[2]
COMMUNITY = "0x" + "ab" * 20


def seed_events(database_url: str, events: int = 2_000) -> str:
    """A community with `events` raw events in an empty, migrated index; its key."""
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(insert(CommunityRecord).values(community=COMMUNITY, chain_id=31337, name="负载小区",
                                                    network="local", deploy_block=1, contracts={}))
        conn.execute(insert(Checkpoint).values(chain_id=31337, community=COMMUNITY, block_number=events,
                                               chain_head=events, finalized_block=events - 8, updated_at=1.0))
        conn.execute(insert(RawEvent), [
            {"chain_id": 31337, "community": COMMUNITY, "block_number": 1 + n // 4, "log_index": n % 4,
             "tx_hash": "0x" + format(n, "064x"), "block_timestamp": 1_700_000_000 + n, "block_hash": "0x" + "22" * 32,
             "address": "0x" + "33" * 20, "contract": "CommunityPoints", "event": "Transfer",
             "args": {"from": "0x" + "44" * 20, "to": "0x" + "55" * 20, "value": n}}
            for n in range(events)])
    engine.dispose()
    return COMMUNITY


class ApiProcess:
    """`python -m backend.api` (or plain `uvicorn backend.api.main:app`) on a free port."""

    def __init__(self, env: dict[str, str], tmp_path: Path, *, launcher: bool = True):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
        self.env = {**base_env, "LINLI_ENVIRONMENT": "test", "LINLI_RPC_URL": "http://127.0.0.1:9",
                    "LINLI_VAULT_DATABASE_URL": f"sqlite:///{tmp_path / 'vault.db'}",
                    "LINLI_VAULT_KEY_FILE": str(tmp_path / "vault.key"), **env}
        if launcher:
            self.command = [sys.executable, "-m", "backend.api", "--port", str(self.port), "--log-level", "warning",
                            "--no-access-log"]
        else:
            self.command = [sys.executable, "-m", "uvicorn", "backend.api.main:app", "--port", str(self.port),
                            "--log-level", "warning", "--no-access-log"]
        self.log = tmp_path / f"api-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> ApiProcess:
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=self.log.open("wb"),
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the API exited: {self.log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{self.base}/api/v1/vault/scopes", timeout=1).status_code < 500:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"the API did not start: {self.log.read_text()[-3000:]}")

    def stop(self, timeout: float) -> float | None:
        """SIGTERM; the seconds until it exited, or None if it had not within `timeout`."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return time.monotonic() - started

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class Answers:
    """What a load got back: status codes (or the exception's name), the 503s lacking
    Retry-After, and when each connection-level failure came (monotonic seconds)."""

    codes: Counter = field(default_factory=Counter)
    without_retry_after: int = 0
    slowest_s: float = 0.0
    failures_at: list = field(default_factory=list)

    def record(self, outcome, seconds: float) -> None:
        self.slowest_s = max(self.slowest_s, seconds)
        if isinstance(outcome, httpx.Response):
            self.codes[outcome.status_code] += 1
            if outcome.status_code in (429, 503) and "retry-after" not in outcome.headers:
                self.without_retry_after += 1
        else:
            self.codes[type(outcome).__name__] += 1
            self.failures_at.append(time.monotonic())


async def _one(client: httpx.AsyncClient, path: str, answers: Answers) -> None:
    started = time.monotonic()
    try:
        outcome = await client.get(path)
    except httpx.HTTPError as exc:
        outcome = exc
    answers.record(outcome, time.monotonic() - started)


def burst(base: str, paths: list[str], timeout: float) -> Answers:
    """Every path requested at once, each on its own connection; waits for all."""
    answers = Answers()

    async def run():
        limits = httpx.Limits(max_connections=len(paths), max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
            await asyncio.gather(*(_one(client, path, answers) for path in paths))

    asyncio.run(run())
    return answers


def sustained(base: str, paths: list[str], concurrency: int, seconds: float, timeout: float,
              during=None, after_s: float = 0.0) -> Answers:
    """`concurrency` clients requesting `paths` in turn for `seconds`; `during()` is called
    (in a thread) `after_s` seconds in and once a first 200 came back, e.g. to stop the
    server under load."""
    answers = Answers()

    async def client_loop(client, k):
        deadline = time.monotonic() + seconds
        n = k
        while time.monotonic() < deadline:
            await _one(client, paths[n % len(paths)], answers)
            n += concurrency

    async def run():
        # Idle connections dropped before uvicorn's 5 s keep-alive ends: no request is sent on
        # a connection the server is closing at that very moment.
        limits = httpx.Limits(max_connections=concurrency, keepalive_expiry=2.0)
        async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
            tasks = [asyncio.create_task(client_loop(client, k)) for k in range(concurrency)]
            if during is not None:
                await asyncio.sleep(after_s)
                while not answers.codes[200]:
                    await asyncio.sleep(0.1)
                await asyncio.to_thread(during)
            await asyncio.gather(*tasks)

    asyncio.run(run())
    return answers
