"""Rating points have a reason (issue 16, attack 5): a 1-fen job paid a fee of 0 at 5%,
so five jobs with oneself gave 500 rating points and a five-star record. Now a rating
earns points only for a job whose platform fee reached the assembly's minimum (and at
least 1 fen), a household rates one provider once a Beijing month, and never a provider
of its own household."""

from __future__ import annotations

import ape
import pytest

from tests.services.conftest import DAY
from tests.utils.households import link_resident
from tests.utils.identity import commitment_for

POINTS_PER_RATING = 100
FEE_BPS = 500


@pytest.fixture
def rated(market, committee):
    market.set_rating_points(POINTS_PER_RATING, sender=committee)
    market.set_fee(FEE_BPS, sender=committee)
    return market


def one_fen_job(flow, market, resident, provider):
    rid = flow.done(resident, price=1, budget=1, provider=provider)
    market.confirm(rid, sender=resident)
    return rid


def test_jobs_with_oneself_earn_nothing(rated, flow, points, registry, committee, owner_a, roles, accounts, chain,
                                        token):
    """The attack: owner_a's alt wallet is a provider; five 1-fen jobs between them."""
    market = rated
    alt = accounts.generate_test_account()
    chain.set_balance(alt.address, 10**20)
    link_resident(registry, 1, alt, commitment_for("owner_a-alt"), owner_a)
    registry.grantRole(roles["provider"], alt.address, sender=committee)
    for _ in range(5):
        rid = one_fen_job(flow, market, owner_a, alt)
        assert market.fee_paid(rid) == 0
        with ape.reverts("services: cannot rate own household's provider"):
            market.rate(rid, 5, sender=owner_a)
    assert points.balanceOf(owner_a) == 0
    assert market.provider_stats(alt)[2:4] == (0, 0)


def test_a_job_that_paid_no_fee_earns_no_points(rated, flow, points, owner_a, provider):
    market = rated
    rid = one_fen_job(flow, market, owner_a, provider)
    tx = market.rate(rid, 5, sender=owner_a)
    assert tx.decode_logs(market.ProviderRated)[0].points == 0
    assert not tx.decode_logs(points.PointsMinted)
    assert points.balanceOf(owner_a) == 0


def test_one_rating_per_household_and_provider_a_month(rated, flow, points, owner_b, tenant, provider, chain):
    market = rated
    jobs = []
    for who in (owner_b, tenant, owner_b):
        rid = flow.done(who)
        market.confirm(rid, sender=who)
        jobs.append((who, rid))
    # Start of a Beijing month, so the month does not turn between the ratings.
    month_start = _next_beijing_month(chain.pending_timestamp)
    chain.pending_timestamp = month_start + DAY
    who, rid = jobs[0]
    assert market.rate(rid, 5, sender=who).decode_logs(market.ProviderRated)[0].points == POINTS_PER_RATING
    assert market.rated_this_month(tenant, provider)
    # The tenant is in owner_b's household: the same pair, this month.
    for who, rid in jobs[1:]:
        with ape.reverts("services: provider already rated by the household this month"):
            market.rate(rid, 5, sender=who)
    chain.pending_timestamp = _next_beijing_month(month_start + DAY)
    who, rid = jobs[1]
    assert market.rate(rid, 4, sender=who).decode_logs(market.ProviderRated)[0].points == POINTS_PER_RATING
    assert points.balanceOf(owner_b) + points.balanceOf(tenant) == 2 * POINTS_PER_RATING
    assert market.provider_stats(provider)[2:4] == (2, 9)


def test_the_assembly_sets_the_least_fee_a_rated_job_pays(rated, flow, points, committee, owner_a, owner_c, provider,
                                                         attacker):
    market = rated
    with ape.reverts("services: assembly only"):
        market.set_min_rated_fee(1_000, sender=attacker)
    tx = market.set_min_rated_fee(1_000, sender=committee)
    assert tx.decode_logs(market.MinRatedFeeSet)[0].fee == 1_000
    assert market.min_rated_fee() == 1_000
    cheap = flow.done(owner_a, price=19_999, budget=19_999)  # a fee of 999 fen at 5%
    market.confirm(cheap, sender=owner_a)
    dear = flow.done(owner_c, price=20_000, budget=20_000)  # 1,000 fen
    market.confirm(dear, sender=owner_c)
    assert market.rate(cheap, 5, sender=owner_a).decode_logs(market.ProviderRated)[0].points == 0
    assert market.rate(dear, 5, sender=owner_c).decode_logs(market.ProviderRated)[0].points == POINTS_PER_RATING


def _next_beijing_month(timestamp: int) -> int:
    from datetime import datetime, timedelta, timezone

    beijing = timezone(timedelta(hours=8))
    now = datetime.fromtimestamp(timestamp, beijing)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return int(datetime(year, month, 1, tzinfo=beijing).timestamp())
