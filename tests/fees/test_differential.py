"""Differential test: the contract's closed-form dues against the month-by-month model
over hypothesis-generated fee schedules, late-fee settings and payment histories."""

from __future__ import annotations

import ape
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fees.conftest import h, propose_contract
from tests.fees.model import FeeModel

# Many transactions per example: in-process (tests/utils/inprocess.py), like the state machines.
pytestmark = pytest.mark.in_process

AREAS = {1: 8_950, 2: 12_000, 3: 9_000, 4: 11_050, 5: 10_000, 6: 10_000}

schedules = st.fixed_dictionaries(
    {
        "billing_back": st.integers(0, 4),
        # first segment relative to the billing start (may start before or after it)
        "first_offset": st.integers(-2, 3),
        "first_rate": st.integers(1, 1_000),
        # later segments: months after the current one, and their rates
        "later": st.lists(st.tuples(st.integers(1, 6), st.integers(1, 1_000)), max_size=3),
        "late_rate": st.integers(0, 600),
        "late_cap": st.integers(0, 3_000),
        "prepay": st.integers(0, 6),
        "share": st.integers(0, 10_000),
        "points_rate": st.integers(0, 30_000),
    }
)
payments = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(sorted(AREAS)), st.integers(0, 9)),
    min_size=1,
    max_size=6,
)


@given(schedule=schedules, history=payments)
def test_dues_match_the_model(fees, funded, chain, clock, committee, manager, owner_a, schedule, history):
    snapshot = chain.snapshot()
    try:
        _run(fees, clock, committee, manager, owner_a, schedule, history)
    finally:
        chain.restore(snapshot)


def _run(fees, clock, committee, manager, owner_a, schedule, history):
    now = clock.month()
    model = FeeModel(
        billing_start=now - schedule["billing_back"],
        late_rate=schedule["late_rate"],
        late_cap=schedule["late_cap"],
        prepay=schedule["prepay"],
        points_rate=schedule["points_rate"],
    )
    fees.set_billing_start(model.billing_start, sender=committee)
    fees.set_late_fee(model.late_rate, model.late_cap, sender=committee)
    fees.set_prepay_limit(model.prepay, sender=committee)
    fees.set_points_rate(model.points_rate, sender=committee)
    if schedule["share"] != 1_000:
        fees.set_maintenance_share(schedule["share"], sender=committee)
    model.share = schedule["share"]

    starts = [model.billing_start + schedule["first_offset"]]
    rates = [schedule["first_rate"]]
    month = now
    for gap, rate in schedule["later"]:
        month = max(month, starts[-1]) + gap
        starts.append(month)
        rates.append(rate)
    for index, (start, rate) in enumerate(zip(starts, rates), start=1):
        propose_contract(fees, manager, manager, start, rate=rate, end=start + 60, items=[], doc=h(f"c{index}"))
        fees.approve_service_contract(index, sender=committee)
        model.segments.append((start, rate))

    for advance, unit_id, months in history:
        if advance:
            clock.advance(advance)
        current = clock.month()
        area = AREAS[unit_id]
        try:
            expected = model.quote(unit_id, area, months, current)
        except ValueError as refusal:
            with ape.reverts(str(refusal)):
                fees.pay(unit_id, months, 2**255, sender=owner_a)
            continue
        assert fees.quote(unit_id, months) == expected
        tx = fees.pay(unit_id, months, expected[4], sender=owner_a)
        receipt = model.pay(unit_id, area, months, current)
        [log] = tx.decode_logs(fees.FeePaid)
        assert {key: getattr(log, key) for key in receipt} == receipt
        assert fees.claimable_points(unit_id) == model.accrued[unit_id]
        # The statement of every unit agrees with the model too.
        for other, other_area in AREAS.items():
            first = model.first(other)
            s = fees.statement(other)
            assert s.first_unpaid_month == first
            assert s.months_due == max(0, current + 1 - first)
            if first <= current:
                dues, late = model.charge(other_area, first, current + 1, current)
            else:
                dues, late = 0, 0
            assert (s.dues, s.late_fee, s.total) == (dues, late, dues + late)
            assert s.monthly_amount == (other_area * model.rate_at(current) + 50) // 100
