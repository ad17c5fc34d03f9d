"""A pure-Python model of PropertyFees dues, written month by month (no closed forms).

It is the reference for the differential test: the contract sums rate segments and
late-fee series in closed form; this model walks every month with datetime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))
BPS = 10_000


def month_of(timestamp: int) -> int:
    """Beijing-time month index (year * 12 + month - 1) of a Unix timestamp."""
    moment = datetime.fromtimestamp(timestamp, BEIJING)
    return moment.year * 12 + moment.month - 1


def month_start(month: int) -> int:
    """Unix timestamp of 00:00 Beijing time on the first day of a month index."""
    year, index = divmod(month, 12)
    return int(datetime(year, index + 1, 1, tzinfo=BEIJING).timestamp())


def monthly_amount(area: int, rate: int) -> int:
    """One month of dues in fen: area (0.01 m²) × rate (fen/m²/month), rounded half up."""
    return (area * rate + 50) // 100


@dataclass
class FeeModel:
    """Fee schedule, configuration and each unit's first unpaid month."""

    billing_start: int
    late_rate: int = 50
    late_cap: int = 1_000
    prepay: int = 12
    share: int = 1_000
    points_rate: int = BPS
    segments: list[tuple[int, int]] = field(default_factory=list)  # (first month, rate), sorted
    first_unpaid: dict[int, int] = field(default_factory=dict)
    accrued: dict[int, int] = field(default_factory=dict)  # unclaimed points per unit

    def rate_at(self, month: int) -> int:
        rate = 0
        for start, seg_rate in self.segments:
            if month >= start:
                rate = seg_rate
        return rate

    def first(self, unit_id: int) -> int:
        return self.first_unpaid.get(unit_id, self.billing_start)

    def charge(self, area: int, first: int, end: int, current: int) -> tuple[int, int]:
        """Dues and late fee of months [first, end) seen from month `current`."""
        dues = 0
        late_units = 0
        for month in range(first, end):
            due = monthly_amount(area, self.rate_at(month))
            dues += due
            if month < current:
                late_units += due * min(self.late_rate * (current - month), self.late_cap)
        return dues, late_units // BPS

    def quote(self, unit_id: int, area: int, months: int, current: int) -> tuple[int, int, int, int, int]:
        """(from month, to month, dues, late fee, total), or raise ValueError with the contract's reason."""
        if months == 0:
            raise ValueError("fees: zero months")
        first = self.first(unit_id)
        end = first + months
        if end > current + 1 + self.prepay:
            raise ValueError("fees: over the prepayment limit")
        if not self.segments:
            raise ValueError("fees: no fee standard in force")
        dues, late = self.charge(area, first, end, current)
        return first, end - 1, dues, late, dues + late

    def pay(self, unit_id: int, area: int, months: int, current: int) -> dict[str, int]:
        """Apply a payment; returns what the FeePaid event must say."""
        first, last, dues, late, total = self.quote(unit_id, area, months, current)
        self.first_unpaid[unit_id] = last + 1
        to_fund = total * self.share // BPS
        # The months not overdue (the current one and later) earn points.
        on_time = sum(monthly_amount(area, self.rate_at(month)) for month in range(max(first, current), last + 1))
        points = on_time * self.points_rate // (BPS * 100)
        self.accrued[unit_id] = self.accrued.get(unit_id, 0) + points
        return {
            "from_month": first,
            "to_month": last,
            "dues": dues,
            "late_fee": late,
            "amount": total,
            "to_maintenance": to_fund,
            "points": points,
        }
