"""CultureWorks under the points' yearly household cap: a like whose points are clipped
(to 0 or in part) still succeeds and is recorded."""

from __future__ import annotations

REASON_CULTURE_LIKE = 4


def test_like_succeeds_when_the_creators_household_is_at_its_cap(culture, registry, points, mint, committee, owner_a, owner_b, owner_c):
    token_id, _ = mint(owner_a, "w")
    points.set_household_cap(1, sender=committee)
    points.mint(owner_a, 1, 3, sender=committee)  # the creator's household is at its cap
    tx = culture.like(token_id, sender=owner_b)
    # The like is recorded and the module accounts the points it awarded; the token clips them.
    assert culture.liked(registry.household_of(owner_b), token_id)
    assert tx.decode_logs(culture.WorkLiked)[0].points_minted == 1
    [clip] = tx.decode_logs(points.MintClipped)
    assert (clip.household, clip.to, clip.reason, clip.requested, clip.minted) == (
        registry.household_of(owner_a), owner_a.address, REASON_CULTURE_LIKE, 1, 0)
    assert not tx.decode_logs(points.PointsMinted)
    assert points.balanceOf(owner_a) == 1
    # Every further like is recorded too, and mints nothing more this year.
    culture.like(token_id, sender=owner_c)
    assert points.balanceOf(owner_a) == 1


def test_like_is_clipped_in_part(culture, points, mint, committee, owner_a, owner_b):
    culture.set_like_reward(5, 100, sender=committee)
    token_id, _ = mint(owner_a, "w")
    points.set_household_cap(3, sender=committee)
    tx = culture.like(token_id, sender=owner_b)
    assert [(e.to, e.amount) for e in tx.decode_logs(points.PointsMinted)] == [(owner_a.address, 3)]
    assert tx.decode_logs(points.MintClipped)[0].minted == 3
    assert points.balanceOf(owner_a) == 3
