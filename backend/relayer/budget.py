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
- What was spent is kept in the index database (`relayer_spend`, one row per
  transaction, insert-only), so a restart or a second API worker sees the same day.
  Reservations in flight are per process: with N workers a burst can overshoot by at
  most N − 1 transactions.

Refusals raise `BudgetExhausted` (503, Retry-After: seconds to the next Beijing midnight).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, insert, select

from backend.db.models import RelayerSpend

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
REASON = "relayer: daily budget spent"


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
    """The budget of every community the API relays for (one per app, thread-safe)."""

    def __init__(self, engine: Engine, budget_wei: int, budget_transactions: int,
                 clock: Callable[[], float] = time.time):
        self.engine, self.budget_wei, self.budget_transactions = engine, budget_wei, budget_transactions
        self.clock = clock
        self._lock = threading.Lock()
        # One reservation at a time, so two of them never both fit in the last room left.
        self._reserving = threading.Lock()
        # (community, day) -> [transactions, wei] reserved and not yet written
        self._in_flight: dict[tuple[str, str], list[int]] = {}

    # ------------------------------------------------------------------ reading

    def spent(self, community: str, day: str | None = None) -> Spent:
        community = community.lower()
        day = day or beijing_day(self.clock())
        found = Spent(day)
        with self.engine.connect() as conn:
            rows = conn.execute(select(RelayerSpend.cost_wei, RelayerSpend.route).where(
                RelayerSpend.community == community, RelayerSpend.day == day)).all()
        for cost, route in rows:
            found.wei += int(cost)
            found.transactions += 1
            found.by_route[route] = found.by_route.get(route, 0) + 1
        with self._lock:
            count, wei = self._in_flight.get((community, day), (0, 0))
        found.in_flight, found.in_flight_wei = count, wei
        return found

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

    def _reserve(self, community: str, cost_wei: int) -> str:
        now = self.clock()
        day = beijing_day(now)
        with self._reserving:
            refusal = self._refusal(self.spent(community, day), now, cost_wei)
            if refusal is not None:
                raise refusal
            with self._lock:
                slot = self._in_flight.setdefault((community, day), [0, 0])
                slot[0] += 1
                slot[1] += cost_wei
        return day

    def _release(self, community: str, day: str, cost_wei: int) -> None:
        with self._lock:
            slot = self._in_flight.get((community, day))
            if slot is not None:
                slot[0] -= 1
                slot[1] -= cost_wei
                if slot[0] <= 0:
                    del self._in_flight[(community, day)]

    def _record(self, spending: Spending, tx_hash: str, status: str, gas_used: int, price: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(RelayerSpend).values(
                chain_id=spending.chain_id, tx_hash=tx_hash.lower(), community=spending.community,
                day=spending.day, route=spending.route, status=status, gas_used=gas_used,
                gas_price_wei=str(price), cost_wei=str(gas_used * price), sent_at=int(self.clock())))


class Spending:
    """One transaction's way through the budget: reserve (before signing), then either
    release (nothing was sent) or settle (its receipt, or the wait ran out)."""

    def __init__(self, budget: DailyBudget, community: str, chain_id: int, route: str):
        self.budget, self.community, self.chain_id, self.route = budget, community, chain_id, route
        self.day: str | None = None
        self.gas_limit = self.fee_cap = 0
        self.tx_hash: str | None = None

    def check(self) -> None:
        self.budget.check(self.community)

    def reserve(self, gas_limit: int, fee_cap_wei: int) -> None:
        self.day = self.budget._reserve(self.community, gas_limit * fee_cap_wei)
        self.gas_limit, self.fee_cap = gas_limit, fee_cap_wei

    def sent(self, tx_hash: str) -> None:
        self.tx_hash = tx_hash

    def release(self) -> None:
        """Nothing was sent (signing or sending failed): the reservation goes back."""
        if self.day is not None and self.tx_hash is None:
            self.budget._release(self.community, self.day, self.gas_limit * self.fee_cap)
            self.day = None

    def settle(self, receipt: dict | None) -> None:
        """Write what the transaction cost: its receipt's gas × effective price, whatever
        its status; with no receipt (still pending), the worst case reserved."""
        if self.day is None or self.tx_hash is None:
            return
        try:
            if receipt is None:
                self.budget._record(self, self.tx_hash, "pending", self.gas_limit, self.fee_cap)
            else:
                gas_used = int(receipt["gasUsed"], 16)
                price = receipt.get("effectiveGasPrice")
                price = int(price, 16) if price is not None else self.fee_cap
                status = "confirmed" if int(receipt["status"], 16) == 1 else "reverted"
                self.budget._record(self, self.tx_hash, status, gas_used, price)
        finally:
            self.budget._release(self.community, self.day, self.gas_limit * self.fee_cap)
            self.day = None
