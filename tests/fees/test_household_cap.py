"""PropertyFees under the points' yearly household cap: a claim clipped to 0 still
succeeds; the unit's accrued points are spent by the claim (the cap forfeits them)."""

from __future__ import annotations

REASON_ON_TIME_PAYMENT = 2


def test_claim_succeeds_when_the_household_is_at_its_cap(in_force, points, registry, committee, owner_a):
    fees = in_force
    fees.pay(1, 1, 10**9, sender=owner_a)
    earned = fees.claimable_points(1)
    assert earned > 0
    points.set_household_cap(5, sender=committee)
    points.mint(owner_a, 5, 3, sender=committee)
    tx = fees.claim_points([1], sender=owner_a)
    # The module reports what the unit earned; the token says what it minted.
    assert tx.return_value == earned
    assert [(c.unit_id, c.amount) for c in tx.decode_logs(fees.PointsClaimed)] == [(1, earned)]
    [clip] = tx.decode_logs(points.MintClipped)
    assert (clip.household, clip.to, clip.reason, clip.requested, clip.minted) == (
        registry.household_of(owner_a), owner_a.address, REASON_ON_TIME_PAYMENT, earned, 0)
    assert not tx.decode_logs(points.PointsMinted)
    assert points.balanceOf(owner_a) == 5
    assert fees.claimable_points(1) == 0


def test_claim_is_clipped_to_what_is_left(in_force, points, committee, owner_a):
    fees = in_force
    fees.pay(1, 1, 10**9, sender=owner_a)
    earned = fees.claimable_points(1)
    points.set_household_cap(earned - 1, sender=committee)
    tx = fees.claim_points([1], sender=owner_a)
    assert [e.amount for e in tx.decode_logs(points.PointsMinted)] == [earned - 1]
    assert points.balanceOf(owner_a) == earned - 1
