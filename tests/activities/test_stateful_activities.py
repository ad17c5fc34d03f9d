"""Stateful invariants of CommunityActivities under random sign-ups, cancellations,
check-ins (organiser batches and signed codes), cancelled activities and time:

- an activity's sign-ups never exceed its capacity and equal the model's;
- each (activity, attendee) pair mints points at most once;
- the points supply equals the sum of the points of every attendance, and each
  resident's balance equals the points of the activities they attended.

Time moves in ticks of 30 minutes; every activity boundary sits 15 minutes into a
tick and every action happens in the first seconds of one, so the model can predict
each refusal exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ape
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.activities.conftest import GRACE, REASON_ACTIVITY, h, sign_code
from tests.utils.stateful import run_machine

pytestmark = pytest.mark.in_process

TICK = 1800
OFFSET = 900


@dataclass
class Model:
    activity_id: int
    start: int
    end: int
    capacity: int
    points: int
    cancelled: bool = False
    signed: set = field(default_factory=set)
    attended: set = field(default_factory=set)


def test_activity_invariants(activities, points, chain, committee, owner_a, owner_b, owner_c, tenant, developer):
    residents = [owner_a, owner_b, tenant, developer]
    organiser = owner_c

    class Activities(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.snapshot = chain.snapshot()
            self.base = chain.pending_timestamp + 60
            self.tick = 0
            self.models: list[Model] = []
            self.mints: dict[tuple[int, str], int] = {}
            chain.mine(timestamp=self.base)

        def teardown(self):
            chain.restore(self.snapshot)

        def now(self) -> int:
            return self.base + self.tick * TICK

        def record_mints(self, tx, activity_id):
            for log in tx.decode_logs(points.PointsMinted):
                assert log.reason == REASON_ACTIVITY and log.minter == activities.address
                key = (activity_id, log.to)
                self.mints[key] = self.mints.get(key, 0) + 1

        @rule(capacity=st.integers(1, 3), amount=st.integers(0, 20), starts_in=st.integers(1, 6), length=st.integers(1, 3))
        def create(self, capacity, amount, starts_in, length):
            start = self.now() + starts_in * TICK + OFFSET
            end = start + length * TICK
            tx = activities.create_activity("t", h("d"), start, end, capacity, amount, organiser, sender=committee)
            activity_id = tx.decode_logs(activities.ActivityCreated)[0].activity_id
            self.models.append(Model(activity_id, start, end, capacity, amount))

        @precondition(lambda self: self.models)
        @rule(data=st.data(), who=st.sampled_from(residents))
        def sign_up(self, data, who):
            m = data.draw(st.sampled_from(self.models))
            reason = None
            if m.cancelled:
                reason = "activities: not open"
            elif self.now() >= m.start:
                reason = "activities: sign-up closed"
            elif who.address in m.signed:
                reason = "activities: already signed up"
            elif len(m.signed) >= m.capacity:
                reason = "activities: full"
            if reason:
                with ape.reverts(reason):
                    activities.sign_up(m.activity_id, sender=who)
                return
            activities.sign_up(m.activity_id, sender=who)
            m.signed.add(who.address)

        @precondition(lambda self: self.models)
        @rule(data=st.data(), who=st.sampled_from(residents))
        def cancel_sign_up(self, data, who):
            m = data.draw(st.sampled_from(self.models))
            reason = None
            if m.cancelled:
                reason = "activities: not open"
            elif self.now() >= m.start:
                reason = "activities: sign-up closed"
            elif who.address not in m.signed:
                reason = "activities: not signed up"
            elif who.address in m.attended:
                reason = "activities: already checked in"
            if reason:
                with ape.reverts(reason):
                    activities.cancel_sign_up(m.activity_id, sender=who)
                return
            activities.cancel_sign_up(m.activity_id, sender=who)
            m.signed.discard(who.address)

        def window_refusal(self, m):
            if m.cancelled:
                return "activities: not open"
            if self.now() + GRACE < m.start:
                return "activities: check-in not open yet"
            if self.now() > m.end + GRACE:
                return "activities: check-in closed"
            return None

        @precondition(lambda self: self.models)
        @rule(data=st.data(), batch=st.lists(st.sampled_from(residents), min_size=1, max_size=3))
        def check_in(self, data, batch):
            m = data.draw(st.sampled_from(self.models))
            reason = self.window_refusal(m)
            seen = set(m.attended)
            for who in batch:
                if reason:
                    break
                if who.address not in m.signed:
                    reason = "activities: not signed up"
                elif who.address in seen:
                    reason = "activities: already checked in"
                seen.add(who.address)
            if reason:
                with ape.reverts(reason):
                    activities.check_in(m.activity_id, batch, sender=organiser)
                return
            tx = activities.check_in(m.activity_id, batch, sender=organiser)
            self.record_mints(tx, m.activity_id)
            m.attended |= {who.address for who in batch}

        @precondition(lambda self: self.models)
        @rule(data=st.data(), who=st.sampled_from(residents))
        def check_in_with_code(self, data, who):
            m = data.draw(st.sampled_from(self.models))
            deadline = self.now() + 3 * TICK
            code = sign_code(activities, chain.chain_id, organiser, m.activity_id, who, deadline)
            reason = self.window_refusal(m)
            if not reason and who.address not in m.signed:
                reason = "activities: not signed up"
            elif not reason and who.address in m.attended:
                reason = "activities: already checked in"
            if reason:
                with ape.reverts(reason):
                    activities.check_in_with_code(m.activity_id, who, deadline, code, sender=who)
                return
            tx = activities.check_in_with_code(m.activity_id, who, deadline, code, sender=who)
            self.record_mints(tx, m.activity_id)
            m.attended.add(who.address)

        @precondition(lambda self: self.models)
        @rule(data=st.data())
        def cancel_activity(self, data):
            m = data.draw(st.sampled_from(self.models))
            reason = None
            if m.cancelled:
                reason = "activities: already cancelled"
            elif self.now() >= m.start:
                reason = "activities: already started"
            elif m.attended:
                reason = "activities: attendance already recorded"
            if reason:
                with ape.reverts(reason):
                    activities.cancel_activity(m.activity_id, h("reason"), sender=committee)
                return
            activities.cancel_activity(m.activity_id, h("reason"), sender=committee)
            m.cancelled = True

        @rule(ticks=st.integers(1, 4))
        def advance(self, ticks):
            self.tick += ticks
            chain.mine(timestamp=self.now())

        @invariant()
        def seats_within_capacity(self):
            for m in self.models:
                a = activities.activity(m.activity_id)
                assert a.signed_up == len(m.signed) <= m.capacity
                assert a.checked_in == len(m.attended)

        @invariant()
        def one_mint_per_attendance(self):
            assert all(count <= 1 for count in self.mints.values())

        @invariant()
        def supply_is_attendance(self):
            expected = {who.address: 0 for who in residents}
            for m in self.models:
                for who in m.attended:
                    expected[who] += m.points
            assert points.totalSupply() == sum(expected.values())
            for who in residents:
                assert points.balanceOf(who) == expected[who.address]

    run_machine(Activities)
