"""Where a run's time went, printed at its end beside pytest's --durations: the time of
each top-level test folder (setup + call + teardown of its tests) and what each state
machine did (examples, invariant checks, seconds). A folder that grows slow shows the day
it does. Hooked in by tests/conftest.py."""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict

from tests.utils.stateful import RUNS, profile

_seconds: dict[str, float] = defaultdict(float)
_tests: dict[str, set[str]] = defaultdict(set)
_started = time.monotonic()


def folder_of(nodeid: str) -> str:
    """tests/backend/test_api.py::test_x -> tests/backend; a file at the top -> its own name."""
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else path


def record(report) -> None:
    folder = folder_of(report.nodeid)
    _seconds[folder] += report.duration
    _tests[folder].add(report.nodeid)


def summary(terminalreporter) -> None:
    if not _seconds:
        return
    total = sum(_seconds.values())
    terminalreporter.section("time per folder (setup + call + teardown)")
    for folder, seconds in sorted(_seconds.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(
            f"{seconds:9.1f}s {100 * seconds / total:5.1f}%  {len(_tests[folder]):5d} tests  {folder}"
        )
    terminalreporter.write_line(
        f"{total:9.1f}s in tests, {time.monotonic() - _started:.1f}s since the session started"
    )
    if path := os.environ.get("LINLI_TIMING_FILE"):
        # scripts/test_shards.sh adds the shards' figures up into one table.
        with open(path, "w") as out:
            json.dump({folder: [seconds, len(_tests[folder])] for folder, seconds in _seconds.items()}, out)
    if RUNS:
        terminalreporter.section(f"state machines (hypothesis profile {profile()!r})")
        for name, run in sorted(RUNS.items(), key=lambda item: -item[1].seconds):
            terminalreporter.write_line(
                f"{run.seconds:9.1f}s  {run.examples:5d} examples  {run.checks:7d} invariant checks  {name}"
            )
