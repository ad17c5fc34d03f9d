"""What the relayer spent: one row per transaction it paid for (backend/relayer/budget.py).

Not an event table: the API writes it, when the relayer's transaction has its receipt
(or the wait for it ran out). Insert-only, so several API workers never overwrite each
other's counts; a day's spend is the sum of its rows. No personal data: the route
(ballot, passkey call, account creation), the transaction's hash (public on chain
anyway), the gas and its price.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base

__all__ = ["RelayerBudgetDay", "RelayerReservation", "RelayerSpend"]


class RelayerSpend(Base):
    __tablename__ = "relayer_spend"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(66), primary_key=True)
    community: Mapped[str] = mapped_column(String(42))
    day: Mapped[str] = mapped_column(String(10))  # the Beijing date, YYYY-MM-DD
    route: Mapped[str] = mapped_column(String(16))  # ballot, passkey, account
    status: Mapped[str] = mapped_column(String(10))  # confirmed, reverted, pending (the estimate's cost)
    gas_used: Mapped[int] = mapped_column(BigInteger)
    gas_price_wei: Mapped[str] = mapped_column(String(78))  # decimal: any uint256 on any database
    cost_wei: Mapped[str] = mapped_column(String(78))
    sent_at: Mapped[int] = mapped_column(BigInteger)  # unix seconds, the relayer's clock

    __table_args__ = (Index("ix_relayer_spend_day", "community", "day"),)


class RelayerBudgetDay(Base):
    """One row per community and Beijing day: the lock every reservation and settlement of
    that day takes first (an UPDATE of this row), so two API workers never both fit in
    the last room left. `reservations` counts the reservations ever made that day (the
    write that takes the lock); the budget itself is summed from the rows below."""

    __tablename__ = "relayer_budget_days"

    community: Mapped[str] = mapped_column(String(42), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    reservations: Mapped[int] = mapped_column(BigInteger, default=0)


class RelayerReservation(Base):
    """A transaction being sent or awaited: its worst case (gas limit × fee cap), reserved
    before it is signed, deleted when it is settled (its spend row written in the same
    transaction) or released (nothing was sent). A reservation older than the budget's
    RESERVATION_TTL_S (a worker that died in between) no longer counts."""

    __tablename__ = "relayer_reservations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(42))
    day: Mapped[str] = mapped_column(String(10))
    cost_wei: Mapped[str] = mapped_column(String(78))  # decimal: any uint256 on any database
    reserved_at: Mapped[int] = mapped_column(BigInteger)  # unix seconds, the relayer's clock

    __table_args__ = (Index("ix_relayer_reservations_day", "community", "day"),)
