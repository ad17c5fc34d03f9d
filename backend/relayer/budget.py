# SPDX-License-Identifier: AGPL-3.0-only
"""The relayer's daily budget per community, shared by every route that spends its gas
(signed ballots, passkey calls, passkey accounts' creation).

- A day is a Beijing day (UTC+8, no daylight saving): the budget resets at 00:00 there.
- Spent = Σ gas used × effective gas price of the day's transactions, in wei, and their
  count. A reverted transaction counts like any other: its gas was paid. A transaction
  whose receipt did not come in time counts at its worst case (gas limit × fee cap).
- Two limits, both per community per day: wei (`LINLI_RELAYER_DAILY_BUDGET_WEI`) and
  transactions (`LINLI_RELAYER_DAILY_BUDGET_TRANSACTIONS`). On a chain whose gas price is
  0 every transaction costs 0 wei, so the count is what runs out.
- Before a transaction is signed it reserves its worst case (gas limit × fee cap) and
  one transaction; reservations in flight count against the budget like spent ones, so a
  burst of concurrent requests cannot all pass a check made before any of them was paid.
  The reservation is made under the relayer's send lock, after the estimate.
- What was spent and what is reserved are both kept in the index database, so a restart
  or a second API worker sees the same day: `relayer_spend` (one row per transaction,
  insert-only) and `relayer_reservations` (one row per transaction being sent or
  awaited). A reservation is one database transaction that first takes the day's lock,
  an UPDATE of the community's `relayer_budget_days` row (a row lock on PostgreSQL, held
  to the commit like SELECT … FOR UPDATE; SQLite's single writer on SQLite), then sums
  the day's spend and reservations and inserts its own row only if it fits. So with any
  number of API workers and threads a burst never overshoots the budget. Settling (the
  receipt's spend row in, the reservation out) is one transaction under the same lock;
  releasing (nothing sent) deletes the reservation. A reservation older than
  RESERVATION_TTL_S no longer counts: a worker that died between reserving and settling
  does not hold the budget for the rest of the day.

Refusals raise `BudgetExhausted` (503, Retry-After: seconds to the next Beijing midnight).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, Engine, delete, insert, literal, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.db.models import RelayerBudgetDay, RelayerReservation, RelayerSpend

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
REASON = "relayer: daily budget spent"
# A reservation lives from before signing to the receipt (the relayer waits 30 s by
# default); one this old belongs to a worker that died in between and no longer counts.
RESERVATION_TTL_S = 900


def beijing_day(ts: float) -> str:
    return datetime.fromtimestamp(ts, BEIJING).strftime("%Y-%m-%d")


def seconds_to_midnight(ts: float) -> int:
    """Whole seconds from `ts` to the next 00:00 in Beijing (at least 1)."""
    now = datetime.fromtimestamp(ts, BEIJING)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - now).total_seconds() + 0.999))


class BudgetExhausted(Exception):
    """The community's relaying budget of the day is spent: 503 with Retry-After."""

    code = "budget_exhausted"
    status = 503
    reason = REASON

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message, self.retry_after = message, str(retry_after)


@dataclass
class Spent:
    day: str
    wei: int = 0
    transactions: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    in_flight_wei: int = 0


class DailyBudget:
    """The budget of every community the API relays for (one per app; thread- and
    process-safe: the reservations are rows of the database, taken under its lock)."""

    def __init__(self, engine: Engine, budget_wei: int, budget_transactions: int,
                 clock: Callable[[], float] = time.time):
        self.engine, self.budget_wei, self.budget_transactions = engine, budget_wei, budget_transactions
        self.clock = clock

    # ------------------------------------------------------------------ reading

    def _day_rows(self, conn: Connection, community: str, day: str, now: float) -> Spent:
        """The day's spend and live reservations, read in one statement (one snapshot)."""
        spend = select(RelayerSpend.cost_wei, RelayerSpend.route, literal(False).label("reserved")).where(
            RelayerSpend.community == community, RelayerSpend.day == day)
        reserved = select(RelayerReservation.cost_wei, literal("").label("route"), literal(True).label("reserved")).where(
            RelayerReservation.community == community, RelayerReservation.day == day,
            RelayerReservation.reserved_at >= int(now) - RESERVATION_TTL_S)
        found = Spent(day)
        for cost, route, is_reserved in conn.execute(union_all(spend, reserved)).all():
            if is_reserved:
                found.in_flight += 1
                found.in_flight_wei += int(cost)
            else:
                found.wei += int(cost)
                found.transactions += 1
                found.by_route[route] = found.by_route.get(route, 0) + 1
        return found

    def spent(self, community: str, day: str | None = None) -> Spent:
        now = self.clock()
        with self.engine.connect() as conn:
            return self._day_rows(conn, community.lower(), day or beijing_day(now), now)

    def _refusal(self, spent: Spent, now: float, extra_wei: int) -> BudgetExhausted | None:
        transactions = spent.transactions + spent.in_flight
        wei = spent.wei + spent.in_flight_wei
        wait = seconds_to_midnight(now)
        if transactions + 1 > self.budget_transactions:
            return BudgetExhausted(f"the relayer has paid for {transactions} of today's {self.budget_transactions} "
                                   f"transactions for this community; it relays again after midnight (Beijing), "
                                   f"in {wait} s — or use a wallet", wait)
        if wei + extra_wei > self.budget_wei or (extra_wei == 0 and wei >= self.budget_wei > 0):
            return BudgetExhausted(f"the relayer has spent {wei} of today's {self.budget_wei} wei for this community; "
                                   f"it relays again after midnight (Beijing), in {wait} s — or use a wallet", wait)
        return None

    def check(self, community: str) -> None:
        """Refuse at once when nothing more fits today (before any work for the request)."""
        now = self.clock()
        refusal = self._refusal(self.spent(community, beijing_day(now)), now, 0)
        if refusal is not None:
            raise refusal

    # ------------------------------------------------------------------ spending

    def spending(self, community: str, chain_id: int, route: str) -> Spending:
        return Spending(self, community.lower(), chain_id, route)

    def _lock_day(self, conn: Connection, community: str, day: str) -> None:
        """Take the day's lock for the rest of `conn`'s transaction: the row is made if it
        is the day's first reservation, then updated (PostgreSQL: a row lock held to the
        commit; SQLite: the first write takes the database's one write lock)."""
        upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(upsert(RelayerBudgetDay).values(community=community, day=day, reservations=0)
                     .on_conflict_do_nothing(index_elements=["community", "day"]))
        conn.execute(update(RelayerBudgetDay).where(RelayerBudgetDay.community == community,
                                                    RelayerBudgetDay.day == day)
                     .values(reservations=RelayerBudgetDay.reservations + 1))

    def _reserve(self, community: str, cost_wei: int) -> tuple[str, int]:
        """Reserve one transaction of at most `cost_wei` if it fits; (day, reservation id)."""
        now = self.clock()
        day = beijing_day(now)
        with self.engine.begin() as conn:
            self._lock_day(conn, community, day)
            refusal = self._refusal(self._day_rows(conn, community, day, now), now, cost_wei)
            if refusal is not None:
                raise refusal  # the transaction rolls back: nothing reserved
            reservation = conn.execute(insert(RelayerReservation).values(
                community=community, day=day, cost_wei=str(cost_wei), reserved_at=int(now))
                .returning(RelayerReservation.id)).scalar_one()
        return day, reservation

    def _release(self, reservation: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(RelayerReservation).where(RelayerReservation.id == reservation))

    def _settle(self, spending: Spending, reservation: int, tx_hash: str, status: str, gas_used: int,
                price: int) -> None:
        """The spend row in and the reservation out, in one transaction under the day's
        lock, so no reservation ever sees the transaction counted twice or not at all."""
        with self.engine.begin() as conn:
            self._lock_day(conn, spending.community, spending.day)
            conn.execute(insert(RelayerSpend).values(
                chain_id=spending.chain_id, tx_hash=tx_hash.lower(), community=spending.community,
                day=spending.day, route=spending.route, status=status, gas_used=gas_used,
                gas_price_wei=str(price), cost_wei=str(gas_used * price), sent_at=int(self.clock())))
            conn.execute(delete(RelayerReservation).where(RelayerReservation.id == reservation))


class Spending:
    """One transaction's way through the budget: reserve (before signing), then either
    release (nothing was sent) or settle (its receipt, or the wait ran out)."""

    def __init__(self, budget: DailyBudget, community: str, chain_id: int, route: str):
        self.budget, self.community, self.chain_id, self.route = budget, community, chain_id, route
        self.day: str | None = None
        self.reservation: int | None = None
        self.gas_limit = self.fee_cap = 0
        self.tx_hash: str | None = None

    def check(self) -> None:
        self.budget.check(self.community)

    def reserve(self, gas_limit: int, fee_cap_wei: int) -> None:
        self.day, self.reservation = self.budget._reserve(self.community, gas_limit * fee_cap_wei)
        self.gas_limit, self.fee_cap = gas_limit, fee_cap_wei

    def sent(self, tx_hash: str) -> None:
        self.tx_hash = tx_hash

    def release(self) -> None:
        """Nothing was sent (signing or sending failed): the reservation goes back."""
        if self.reservation is not None and self.tx_hash is None:
            self.budget._release(self.reservation)
            self.reservation = None

    def settle(self, receipt: dict | None) -> None:
        """Write what the transaction cost: its receipt's gas × effective price, whatever
        its status; with no receipt (still pending), the worst case reserved. The
        reservation goes in the same database transaction."""
        if self.reservation is None or self.tx_hash is None:
            return
        reservation, self.reservation = self.reservation, None
        if receipt is None:
            self.budget._settle(self, reservation, self.tx_hash, "pending", self.gas_limit, self.fee_cap)
            return
        gas_used = int(receipt["gasUsed"], 16)
        price = receipt.get("effectiveGasPrice")
        price = int(price, 16) if price is not None else self.fee_cap
        status = "confirmed" if int(receipt["status"], 16) == 1 else "reverted"
        self.budget._settle(self, reservation, self.tx_hash, status, gas_used, price)
