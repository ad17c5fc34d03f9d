"""ServiceMarket under the points' yearly household cap: a rating whose points are
clipped to 0 still succeeds and counts for the provider."""

from __future__ import annotations

REASON_SERVICE_RATING = 6


def test_rating_succeeds_when_the_rater_is_at_the_cap(market, points, flow, owner_a, provider, committee):
    market.set_rating_points(5, sender=committee)
    market.set_fee(500, sender=committee)  # rating points need a job that paid a fee
    rid = flow.done(owner_a)
    market.confirm(rid, sender=owner_a)
    points.set_household_cap(5, sender=committee)
    points.mint(owner_a, 5, 3, sender=committee)
    tx = market.rate(rid, 4, sender=owner_a)
    assert tx.decode_logs(market.ProviderRated)[0].points == 5
    [clip] = tx.decode_logs(points.MintClipped)
    assert (clip.to, clip.reason, clip.requested, clip.minted) == (owner_a.address, REASON_SERVICE_RATING, 5, 0)
    assert not tx.decode_logs(points.PointsMinted)
    assert points.balanceOf(owner_a) == 5
    assert market.request(rid).rated
    assert market.provider_stats(provider)[3] == 4
