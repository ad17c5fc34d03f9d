# SPDX-License-Identifier: AGPL-3.0-only
"""The API under a burst and under a stop, as a real uvicorn process (issue 17, item 1).

Before admission, about 55 requests in flight locked the API up: each took a worker
thread to check out a database connection and needed another to finish, so once every
thread waited for a connection nobody returned one; a burst of 60 gave 40 × 500 after
the pool's 30 s timeout, and SIGTERM under load did not stop it. Now every request is
answered (200, or 503 with Retry-After when the server is saturated) and a stop under
load takes seconds. The figures (p50/p99 at 200 requests/s, bursts of 500) are in
bench/api_load_bench.py; these tests only check that nothing hangs or fails.

Plain `uvicorn backend.api.main:app` here, not `python -m backend.api`: the app itself
must hold, however it is started.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.backend.apiserver import ApiProcess, burst, seed_events, sustained

# A hang shows as a client timeout: far above what a saturated server takes to say 503.
CLIENT_TIMEOUT_S = 20.0


@pytest.fixture
def api(database_url, tmp_path):
    community = seed_events(database_url)
    with ApiProcess({"LINLI_DATABASE_URL": database_url}, tmp_path, launcher=False) as process:
        yield process, f"/api/v1/communities/{community}"


def test_a_burst_is_answered_without_a_hang_or_a_500(api):
    process, community = api
    # 150 at once: the heaviest read there is (500 events), the community, and an
    # endpoint that never touches the database.
    paths = [f"{community}/events?limit=500", community, "/api/v1/vault/scopes"] * 50
    answers = burst(process.base, paths, timeout=CLIENT_TIMEOUT_S)
    assert set(answers.codes) <= {200, 503}, answers.codes
    assert answers.codes[200] >= 50, answers.codes  # saturated, not refusing everything
    assert answers.without_retry_after == 0
    # And it is not wedged afterwards.
    again = burst(process.base, [f"{community}/events?limit=500"], timeout=CLIENT_TIMEOUT_S)
    assert again.codes == {200: 1}


def test_sigterm_under_load_stops_the_api_within_seconds(api):
    process, community = api
    stopped = {}

    def stop():
        stopped["at"] = time.monotonic()
        stopped["after_s"] = process.stop(timeout=15)

    paths = [f"{community}/events?limit=500", community]
    answers = sustained(process.base, paths, concurrency=120, seconds=8, timeout=CLIENT_TIMEOUT_S, during=stop,
                        after_s=2)
    assert stopped["after_s"] is not None, "the API was still running 15 s after SIGTERM"
    # Every request answered (200, or 503 with Retry-After) until the stop; after it,
    # connections refused or closed unanswered by the stopping server; never left waiting.
    assert "ReadTimeout" not in answers.codes and 500 not in answers.codes, answers.codes
    assert answers.codes[200] > 0 and answers.without_retry_after == 0
    assert all(at >= stopped["at"] for at in answers.failures_at), answers.codes
    # uvicorn re-raises the SIGTERM it handled once it has shut down cleanly.
    assert process.process.returncode in (0, -signal.SIGTERM), process.log.read_text()[-3000:]


def test_admission_queues_briefly_then_turns_away_with_retry_after():
    """The gate itself, on an app whose requests wait until released: `max_reads` run,
    `queue` more wait up to `wait_s`, the rest are answered 503 at once; a write has its
    own gate, so slow writes never hold the reads back."""
    import anyio
    import httpx

    from backend.api.admission import Admission

    release = anyio.Event()
    started = []

    async def slow_app(scope, receive, send):
        started.append(scope["method"])
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    app = Admission(slow_app, max_reads=2, max_writes=1, queue=1, wait_s=1.0, retry_after_s=3)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            async with anyio.create_task_group() as group:
                answers = {}

                async def call(name, method="GET"):
                    answers[name] = await client.request(method, "/")

                for name in ("a", "b", "queued"):
                    group.start_soon(call, name)
                    await anyio.sleep(0.05)
                # Two running, one waiting: the next read is turned away at once.
                with anyio.fail_after(0.5):
                    await call("turned away")
                # A write has its own gate: admitted while the reads are full.
                group.start_soon(call, "write", "POST")
                await anyio.sleep(0.05)
                assert started == ["GET", "GET", "POST"]
                # The waiting read gives up after wait_s; then everything is released.
                await anyio.sleep(1.2)
                release.set()
            return answers

    answers = anyio.run(scenario)
    assert answers["turned away"].status_code == 503 and answers["turned away"].headers["retry-after"] == "3"
    assert "busy" in answers["turned away"].json()["detail"]
    assert answers["queued"].status_code == 503
    assert [answers[name].status_code for name in ("a", "b", "write")] == [200, 200, 200]


def test_a_stop_turns_the_waiting_requests_away_at_once():
    """On SIGTERM (Drain.start, chained onto uvicorn's handler at startup) the requests
    waiting for admission are answered 503 at once instead of being cut off when the
    graceful stop runs out; the running ones finish."""
    import anyio
    import httpx

    from backend.api.admission import Admission, Drain

    release = anyio.Event()

    async def slow_app(scope, receive, send):
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    drain = Drain()
    app = Admission(slow_app, max_reads=1, max_writes=1, queue=10, wait_s=30.0, retry_after_s=2, drain=drain)

    async def scenario():
        answers = {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            async with anyio.create_task_group() as group:
                async def call(name):
                    answers[name] = (await client.get("/"), anyio.current_time())

                for name in ("running", "waiting 1", "waiting 2"):
                    group.start_soon(call, name)
                    await anyio.sleep(0.05)
                stopped_at = anyio.current_time()
                drain.start()
                await anyio.sleep(0.1)
                await call("after the stop")
                release.set()
        return answers, stopped_at

    answers, stopped_at = anyio.run(scenario)
    assert answers["running"][0].status_code == 200
    for name in ("waiting 1", "waiting 2", "after the stop"):
        reply, at = answers[name]
        assert reply.status_code == 503 and "stopping" in reply.json()["detail"], name
        assert reply.headers["retry-after"] == "2"
        assert at - stopped_at < 1.0, name  # not after the 30 s wait
