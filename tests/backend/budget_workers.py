# SPDX-License-Identifier: AGPL-3.0-only
"""What one API worker does in tests/backend/test_relayer_budget_workers.py: its own
engine and DailyBudget, several threads reserving at once. A module of its own with no
test imports, so a spawned process loads only the backend."""

from __future__ import annotations

import threading

from backend.core.db import make_engine
from backend.relayer.budget import BudgetExhausted, DailyBudget


def reserve_burst(url: str, community: str, budget_wei: int, budget_transactions: int, now: float, gas: int,
                  price: int, threads: int, attempts: int, start, results) -> None:
    """Reserve `attempts` times from each of `threads` threads once every worker is ready
    (`start`, a barrier); put the reservation ids won on `results`."""
    engine = make_engine(url)
    budget = DailyBudget(engine, budget_wei, budget_transactions, clock=lambda: now)
    won: list[int] = []
    go = threading.Barrier(threads)

    def attempt() -> None:
        go.wait()
        for _ in range(attempts):
            spending = budget.spending(community, 31337, "passkey")
            try:
                spending.reserve(gas, price)
            except BudgetExhausted:
                continue
            won.append(spending.reservation)

    workers = [threading.Thread(target=attempt) for _ in range(threads)]
    if start is not None:
        start.wait()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    engine.dispose()
    results.put(won)
