"""CommunityActivities under the points' yearly household cap: a check-in whose
points are clipped to 0 still succeeds and records the attendance."""

from __future__ import annotations

from tests.activities.conftest import HOUR, POINTS, REASON_ACTIVITY, sign_code


def test_check_in_succeeds_when_the_attendee_is_at_the_cap(activities, points, registry, committee, activity, owner_a, owner_b, owner_c, clock):
    for who in (owner_a, owner_b):
        activities.sign_up(activity, sender=who)
    clock.start(activity)
    # owner_a's household is at its cap (filled just before, so in the same Beijing year).
    points.set_household_cap(POINTS, sender=committee)
    points.mint(owner_a, POINTS, 2, sender=committee)
    tx = activities.check_in(activity, [owner_a, owner_b], sender=owner_c)
    assert [e.attendee for e in tx.decode_logs(activities.CheckedIn)] == [owner_a.address, owner_b.address]
    [clip] = tx.decode_logs(points.MintClipped)
    assert (clip.household, clip.reason, clip.requested, clip.minted) == (registry.household_of(owner_a), REASON_ACTIVITY, POINTS, 0)
    # The other attendee of the batch is paid in full.
    assert [(e.to, e.amount) for e in tx.decode_logs(points.PointsMinted)] == [(owner_b.address, POINTS)]
    assert points.balanceOf(owner_a) == POINTS and points.balanceOf(owner_b) == POINTS
    assert activities.activity(activity).checked_in == 2
    assert tuple(activities.seat(activity, owner_a))[1]


def test_check_in_with_code_succeeds_at_the_cap(activities, points, committee, chain, activity, owner_a, owner_c, clock):
    activities.sign_up(activity, sender=owner_a)
    clock.start(activity)
    points.set_household_cap(1, sender=committee)
    points.mint(owner_a, 1, 2, sender=committee)
    deadline = chain.pending_timestamp + HOUR
    code = sign_code(activities, chain.chain_id, owner_c, activity, owner_a, deadline)
    tx = activities.check_in_with_code(activity, owner_a, deadline, code, sender=owner_a)
    assert tx.decode_logs(activities.CheckedIn)[0].by_code
    assert tx.decode_logs(points.MintClipped)[0].minted == 0
    assert points.balanceOf(owner_a) == 1
    assert activities.activity(activity).checked_in == 1
