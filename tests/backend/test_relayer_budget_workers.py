# SPDX-License-Identifier: AGPL-3.0-only
"""The relayer's daily budget shared by API workers (backend/relayer/budget.py): the
reservations are rows of the database, made under the day's lock, so several processes
with several threads each, all reserving at the same moment, never reserve more than
the budget (transactions or wei) between them; settling and releasing give the room
back exactly; a reservation left by a worker that died stops counting after its TTL.
On SQLite and PostgreSQL (no chain: the budget only reads and writes the database)."""

from __future__ import annotations

import multiprocessing
import queue
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from backend.core.db import make_engine
from backend.db.models import RelayerReservation, RelayerSpend
from backend.relayer.budget import RESERVATION_TTL_S, BudgetExhausted, DailyBudget
from tests.backend.budget_workers import reserve_burst

NOW = datetime(2026, 12, 5, 4, 0, tzinfo=timezone.utc).timestamp()  # noon in Beijing
COMMUNITY = "0x" + "cd" * 20
GAS, PRICE = 100_000, 3
PROCESSES, THREADS, ATTEMPTS = 4, 3, 3  # 36 attempts at once


def _burst(database_url, budget_wei: int, budget_transactions: int) -> list[int]:
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=reserve_burst, args=(database_url, COMMUNITY, budget_wei, budget_transactions,
                                                           NOW, GAS, PRICE, THREADS, ATTEMPTS, start, results))
               for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    won = []
    try:
        for _ in workers:
            won.extend(results.get(timeout=180))
    except queue.Empty:
        pytest.fail("a worker did not answer")
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return won


def _reserved(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(RelayerReservation)).scalar_one()


@pytest.mark.parametrize("limit", ["transactions", "wei"])
def test_concurrent_workers_never_reserve_beyond_the_budget(database_url, engine, limit):
    # Room for 7 transactions, by count or by wei; 36 reservations try at once from 4
    # processes (an API worker each) of 3 threads.
    room = 7
    budget_wei, budget_transactions = (10**18, room) if limit == "transactions" else (room * GAS * PRICE, 1_000)
    won = _burst(database_url, budget_wei, budget_transactions)
    assert len(won) == room and len(set(won)) == room, won
    assert _reserved(engine) == room
    budget = DailyBudget(engine, budget_wei, budget_transactions, clock=lambda: NOW)
    spent = budget.spent(COMMUNITY)
    assert (spent.in_flight, spent.in_flight_wei, spent.transactions) == (room, room * GAS * PRICE, 0)
    with pytest.raises(BudgetExhausted):
        budget.spending(COMMUNITY, 31337, "ballot").reserve(GAS, PRICE)


def test_settling_and_releasing_give_the_room_back_exactly(engine):
    budget = DailyBudget(engine, 10**18, 3, clock=lambda: NOW)
    spendings = [budget.spending(COMMUNITY, 31337, "passkey") for _ in range(3)]
    for spending in spendings:
        spending.reserve(GAS, PRICE)
    with pytest.raises(BudgetExhausted):
        budget.spending(COMMUNITY, 31337, "passkey").reserve(GAS, PRICE)
    # One sent and mined (its spend in, its reservation out), one never sent.
    spendings[0].sent("0x" + "01" * 32)
    spendings[0].settle({"gasUsed": hex(60_000), "effectiveGasPrice": hex(2), "status": "0x1"})
    spendings[1].release()
    spent = budget.spent(COMMUNITY)
    assert (spent.transactions, spent.wei, spent.in_flight, spent.in_flight_wei) == (1, 120_000, 1, GAS * PRICE)
    # Exactly one more fits: the released one; the settled one counts as spent.
    budget.spending(COMMUNITY, 31337, "passkey").reserve(GAS, PRICE)
    with pytest.raises(BudgetExhausted):
        budget.spending(COMMUNITY, 31337, "passkey").reserve(GAS, PRICE)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RelayerSpend)).scalar_one() == 1
    assert _reserved(engine) == 2


def test_a_dead_workers_reservation_stops_counting_after_its_ttl(engine):
    clock = {"now": NOW}
    budget = DailyBudget(engine, 10**18, 1, clock=lambda: clock["now"])
    budget.spending(COMMUNITY, 31337, "ballot").reserve(GAS, PRICE)  # the worker dies here
    with pytest.raises(BudgetExhausted) as refused:
        budget.spending(COMMUNITY, 31337, "ballot").reserve(GAS, PRICE)
    assert int(refused.value.retry_after) > 0
    clock["now"] += RESERVATION_TTL_S + 1
    assert budget.spent(COMMUNITY).in_flight == 0
    budget.spending(COMMUNITY, 31337, "ballot").reserve(GAS, PRICE)
