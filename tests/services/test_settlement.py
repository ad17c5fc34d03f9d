"""The job after acceptance: marking done, confirmation with the fee, automatic
release, disputes and the committee's split, reclaim after the deadline, ratings."""

import ape
import pytest

from tests.services.conftest import (
    ACCEPTED,
    CONFIRMED,
    DAY,
    DISPUTED,
    DONE,
    PRICE,
    RECLAIMED,
    RELEASED,
    RESOLVED,
    h,
)

SOURCE_SERVICE_FEE = 4
REASON_SERVICE_RATING = 6


def test_mark_done_sets_the_release_time(market, flow, owner_a, provider, chain):
    rid = flow.accepted(owner_a)
    tx = market.mark_done(rid, sender=provider)
    [log] = tx.decode_logs(market.WorkMarkedDone)
    now = chain.blocks.head.timestamp
    assert (log.request_id, log.service_provider, log.done_at, log.release_at) == (rid, provider.address, now, now + 7 * DAY)
    r = market.request(rid)
    assert (r.status, r.release_at) == (DONE, now + 7 * DAY)


def test_mark_done_refusals(market, flow, owner_a, provider, plumber, attacker, chain):
    rid = flow.post(owner_a)
    with ape.reverts("services: request not accepted"):
        market.mark_done(rid, sender=provider)
    flow.offer(rid, plumber)
    price, completion_by = flow.offer(rid)
    market.accept_offer(rid, provider, price, completion_by, sender=owner_a)
    for other in (plumber, attacker, owner_a):
        with ape.reverts("services: provider only"):
            market.mark_done(rid, sender=other)
    chain.mine(timestamp=market.request(rid).deadline + 1)
    with ape.reverts("services: past deadline"):
        market.mark_done(rid, sender=provider)
    done = flow.done(owner_a)
    with ape.reverts("services: request not accepted"):
        market.mark_done(done, sender=provider)


def test_mark_done_at_the_deadline_itself(market, flow, owner_a, provider, chain):
    rid = flow.accepted(owner_a)
    chain.pending_timestamp = market.request(rid).deadline
    market.mark_done(rid, sender=provider)
    assert market.request(rid).status == DONE


@pytest.mark.parametrize("fee_bps", [0, 250, 1_000])
def test_confirm_pays_the_provider_and_the_fee_to_public_income(market, fees, token, flow, owner_a, provider, committee, chain, fee_bps):
    market.set_fee(fee_bps, sender=committee)
    rid = flow.done(owner_a)
    fee = PRICE * fee_bps // 10_000
    provider_before, income_before = token.balanceOf(provider), fees.public_income()
    tx = market.confirm(rid, sender=owner_a)
    [log] = tx.decode_logs(market.RequestClosed)
    assert (log.request_id, log.resident, log.service_provider, log.status) == (rid, owner_a.address, provider.address, CONFIRMED)
    assert (log.to_provider, log.fee, log.to_resident) == (PRICE - fee, fee, 0)
    assert (log.decision_hash, log.closed_by, log.closed_at) == (b"\x00" * 32, owner_a.address, chain.blocks.head.timestamp)
    assert token.balanceOf(provider) == provider_before + PRICE - fee
    assert fees.public_income() == income_before + fee
    assert token.balanceOf(market) == 0
    income = tx.decode_logs(fees.PublicIncomeReceived)
    if fee:
        [inc] = income
        assert (inc.payer, inc.source, inc.amount, inc.paid_by) == (provider.address, SOURCE_SERVICE_FEE, fee, market.address)
    else:
        assert not income
    assert market.provider_stats(provider) == (1, 0, 0, 0, PRICE - fee)
    r = market.request(rid)
    assert (r.status, r.escrow, r.provider) == (CONFIRMED, 0, provider.address)


def test_fee_rounds_down(market, fees, token, flow, owner_a, provider, committee):
    market.set_fee(333, sender=committee)
    rid = flow.done(owner_a, price=999)
    tx = market.confirm(rid, sender=owner_a)
    [log] = tx.decode_logs(market.RequestClosed)
    assert (log.to_provider, log.fee) == (999 - 33, 33)  # 999 * 333 / 10_000 = 33.2667


def test_confirm_refusals(market, flow, owner_a, owner_b, provider, attacker):
    rid = flow.accepted(owner_a)
    with ape.reverts("services: work not marked done"):
        market.confirm(rid, sender=owner_a)
    market.mark_done(rid, sender=provider)
    for other in (owner_b, provider, attacker):
        with ape.reverts("services: resident only"):
            market.confirm(rid, sender=other)
    market.confirm(rid, sender=owner_a)
    with ape.reverts("services: work not marked done"):
        market.confirm(rid, sender=owner_a)


def test_release_after_the_delay_by_anyone(market, fees, token, flow, owner_a, provider, attacker, committee, chain):
    market.set_fee(200, sender=committee)
    rid = flow.done(owner_a)
    release_at = market.request(rid).release_at
    chain.pending_timestamp = release_at - 1
    with ape.reverts("services: release time not reached"):
        market.release(rid, sender=attacker)
    chain.pending_timestamp = release_at
    before = token.balanceOf(provider)
    tx = market.release(rid, sender=attacker)
    [log] = tx.decode_logs(market.RequestClosed)
    fee = PRICE * 200 // 10_000
    assert (log.status, log.to_provider, log.fee, log.to_resident, log.closed_by) == (RELEASED, PRICE - fee, fee, 0, attacker.address)
    assert token.balanceOf(provider) == before + PRICE - fee
    assert fees.public_income() == fee
    assert market.provider_stats(provider).jobs_completed == 1
    with ape.reverts("services: work not marked done"):
        market.release(rid, sender=attacker)


def test_release_refused_before_work_is_marked_done(market, flow, owner_a, attacker):
    rid = flow.accepted(owner_a)
    with ape.reverts("services: work not marked done"):
        market.release(rid, sender=attacker)
    with ape.reverts("services: work not marked done"):
        market.release(99, sender=attacker)


def test_release_delay_is_fixed_when_work_is_marked_done(market, flow, owner_a, provider, committee, chain):
    rid = flow.done(owner_a)
    release_at = market.request(rid).release_at
    market.set_release_delay(90 * DAY, sender=committee)
    chain.pending_timestamp = release_at
    market.release(rid, sender=provider)
    assert market.request(rid).status == RELEASED


def test_dispute_done_work_then_committee_splits(market, fees, token, flow, owner_a, provider, committee, chain):
    market.set_fee(1_000, sender=committee)
    rid = flow.done(owner_a)
    tx = market.dispute(rid, h("tap still leaks"), sender=owner_a)
    [log] = tx.decode_logs(market.RequestDisputed)
    assert (log.request_id, log.resident, log.service_provider, log.reason_hash) == (rid, owner_a.address, provider.address, h("tap still leaks"))
    assert (log.escrow, log.previous_status, log.disputed_at) == (PRICE, DONE, chain.blocks.head.timestamp)
    assert market.request(rid).status == DISPUTED
    # A disputed job never auto-releases, and the resident cannot confirm it any more.
    chain.pending_timestamp = market.request(rid).release_at + DAY
    with ape.reverts("services: work not marked done"):
        market.release(rid, sender=provider)
    with ape.reverts("services: work not marked done"):
        market.confirm(rid, sender=owner_a)
    resident_before, provider_before = token.balanceOf(owner_a), token.balanceOf(provider)
    share = 30_000
    fee = share * 1_000 // 10_000
    tx = market.resolve(rid, share, h("decision 2026-07"), sender=committee)
    [log] = tx.decode_logs(market.RequestClosed)
    assert (log.status, log.to_provider, log.fee, log.to_resident) == (RESOLVED, share - fee, fee, PRICE - share)
    assert (log.decision_hash, log.closed_by) == (h("decision 2026-07"), committee.address)
    assert token.balanceOf(owner_a) == resident_before + PRICE - share
    assert token.balanceOf(provider) == provider_before + share - fee
    assert fees.public_income() == fee
    assert token.balanceOf(market) == 0
    assert market.provider_stats(provider) == (0, 1, 0, 0, share - fee)
    with ape.reverts("services: not disputed"):
        market.resolve(rid, share, h("again"), sender=committee)


@pytest.mark.parametrize("share", [0, PRICE])
def test_resolve_all_to_one_side(market, fees, token, flow, owner_a, provider, committee, share):
    market.set_fee(500, sender=committee)
    rid = flow.accepted(owner_a)
    tx = market.dispute(rid, h("no show"), sender=owner_a)
    assert tx.decode_logs(market.RequestDisputed)[0].previous_status == ACCEPTED
    resident_before = token.balanceOf(owner_a)
    tx = market.resolve(rid, share, h("decision"), sender=committee)
    [log] = tx.decode_logs(market.RequestClosed)
    fee = share * 500 // 10_000
    assert (log.to_provider, log.fee, log.to_resident) == (share - fee, fee, PRICE - share)
    assert token.balanceOf(owner_a) == resident_before + PRICE - share
    assert fees.public_income() == fee
    assert token.balanceOf(market) == 0


def test_dispute_refusals(market, flow, owner_a, owner_b, provider, attacker, chain):
    rid = flow.post(owner_a)
    with ape.reverts("services: nothing to dispute"):
        market.dispute(rid, h("x"), sender=owner_a)
    rid = flow.done(owner_a)
    for other in (owner_b, provider, attacker):
        with ape.reverts("services: resident only"):
            market.dispute(rid, h("x"), sender=other)
    with ape.reverts("services: empty reason hash"):
        market.dispute(rid, b"\x00" * 32, sender=owner_a)
    chain.pending_timestamp = market.request(rid).release_at
    with ape.reverts("services: release time passed"):
        market.dispute(rid, h("x"), sender=owner_a)
    market.release(rid, sender=attacker)
    with ape.reverts("services: nothing to dispute"):
        market.dispute(rid, h("x"), sender=owner_a)


def test_resolve_refusals(market, flow, owner_a, attacker, provider, committee):
    rid = flow.accepted(owner_a)
    with ape.reverts("services: not disputed"):
        market.resolve(rid, 0, h("d"), sender=committee)
    market.dispute(rid, h("x"), sender=owner_a)
    for other in (attacker, provider, owner_a):
        with ape.reverts("services: committee only"):
            market.resolve(rid, 0, h("d"), sender=other)
    with ape.reverts("services: empty decision hash"):
        market.resolve(rid, 0, b"\x00" * 32, sender=committee)
    with ape.reverts("services: share exceeds escrow"):
        market.resolve(rid, PRICE + 1, h("d"), sender=committee)


def test_reclaim_after_the_deadline(market, token, flow, owner_a, provider, chain):
    rid = flow.accepted(owner_a)
    deadline = market.request(rid).deadline
    chain.pending_timestamp = deadline
    with ape.reverts("services: deadline not passed"):
        market.reclaim(rid, sender=owner_a)
    chain.pending_timestamp = deadline + 1
    before = token.balanceOf(owner_a)
    tx = market.reclaim(rid, sender=owner_a)
    [log] = tx.decode_logs(market.RequestClosed)
    assert (log.status, log.service_provider, log.to_provider, log.fee, log.to_resident) == (RECLAIMED, provider.address, 0, 0, PRICE)
    assert token.balanceOf(owner_a) == before + PRICE
    assert token.balanceOf(market) == 0
    assert market.provider_stats(provider) == (0, 0, 0, 0, 0)
    with ape.reverts("services: request not accepted"):
        market.reclaim(rid, sender=owner_a)
    with ape.reverts("services: request not accepted"):
        market.mark_done(rid, sender=provider)


def test_reclaim_refusals(market, flow, owner_a, owner_b, attacker, chain):
    rid = flow.done(owner_a)
    chain.pending_timestamp = market.request(rid).deadline + 1
    with ape.reverts("services: request not accepted"):
        market.reclaim(rid, sender=owner_a)
    rid = flow.accepted(owner_a)
    chain.pending_timestamp = market.request(rid).deadline + 1
    for other in (owner_b, attacker):
        with ape.reverts("services: resident only"):
            market.reclaim(rid, sender=other)


def test_rate_after_confirmation_mints_points(market, points, flow, owner_a, provider, committee):
    market.set_rating_points(5, sender=committee)
    market.set_fee(500, sender=committee)
    rid = flow.done(owner_a)
    market.confirm(rid, sender=owner_a)
    tx = market.rate(rid, 4, sender=owner_a)
    [log] = tx.decode_logs(market.ProviderRated)
    assert (log.request_id, log.service_provider, log.rater, log.score) == (rid, provider.address, owner_a.address, 4)
    assert (log.rating_count, log.rating_sum, log.points) == (1, 4, 5)
    [minted] = tx.decode_logs(points.PointsMinted)
    assert (minted.to, minted.amount, minted.reason, minted.minter) == (owner_a.address, 5, REASON_SERVICE_RATING, market.address)
    assert points.balanceOf(owner_a) == 5
    assert market.request(rid).rated
    assert market.provider_stats(provider) == (1, 0, 1, 4, PRICE - PRICE * 500 // 10_000)
    assert market.fee_paid(rid) == PRICE * 500 // 10_000
    with ape.reverts("services: already rated"):
        market.rate(rid, 5, sender=owner_a)


def test_ratings_aggregate_per_provider(market, points, flow, owner_a, owner_b, owner_c, provider, attacker, chain):
    released = flow.done(owner_b)
    confirmed = flow.done(owner_a)
    market.confirm(confirmed, sender=owner_a)
    chain.pending_timestamp = market.request(released).release_at
    market.release(released, sender=attacker)
    disputed = flow.accepted(owner_c)
    market.dispute(disputed, h("late"), sender=owner_c)
    market.resolve(disputed, PRICE // 2, h("d"), sender=ape.accounts.test_accounts[0])
    market.rate(confirmed, 5, sender=owner_a)
    market.rate(released, 2, sender=owner_b)
    tx = market.rate(disputed, 1, sender=owner_c)
    assert tx.decode_logs(market.ProviderRated)[0].points == 0
    assert not tx.decode_logs(points.PointsMinted)
    assert market.provider_stats(provider) == (2, 1, 3, 8, 2 * PRICE + PRICE // 2)


def test_rate_refusals(market, flow, owner_a, owner_b, provider, attacker, chain):
    rid = flow.done(owner_a)
    with ape.reverts("services: job not finished"):
        market.rate(rid, 5, sender=owner_a)
    market.confirm(rid, sender=owner_a)
    for other in (owner_b, provider, attacker):
        with ape.reverts("services: resident only"):
            market.rate(rid, 5, sender=other)
    for score in (0, 6):
        with ape.reverts("services: score out of range"):
            market.rate(rid, score, sender=owner_a)
    cancelled = flow.post(owner_a)
    market.cancel_request(cancelled, sender=owner_a)
    with ape.reverts("services: job not finished"):
        market.rate(cancelled, 3, sender=owner_a)
    reclaimed = flow.accepted(owner_a)
    chain.pending_timestamp = market.request(reclaimed).deadline + 1
    market.reclaim(reclaimed, sender=owner_a)
    with ape.reverts("services: job not finished"):
        market.rate(reclaimed, 3, sender=owner_a)
