"""Committee settings, the deploy helper and the constructor; every privileged
function refused to an unauthorised caller with its exact reason."""

import ape
import pytest

from backend.chain.deploy_services import deploy_services
from tests.services.conftest import DAY, h
from tests.utils.reverts import assert_deploy_reverts

ZERO = "0x0000000000000000000000000000000000000000"


def test_deploy_wires_registry_points_fees_and_token(market, populated, fees, token, points):
    assert market.registry() == populated.registry.address
    assert market.points() == points.address
    assert market.fees() == fees.address
    assert market.settlement_token() == token.address
    assert points.is_minter(market)
    assert token.allowance(market, fees) == 2**256 - 1
    assert (market.fee_bps(), market.release_delay(), market.rating_points()) == (0, 7 * DAY, 0)
    assert market.request_count() == 0
    assert (market.MAX_FEE_BPS(), market.MIN_RELEASE_DELAY(), market.MAX_RELEASE_DELAY()) == (1_000, 3_600, 90 * DAY)


def test_deploy_logs_the_defaults(market, committee, chain):
    head = chain.blocks.head.number + 1
    assert [(e.bps, e.set_by) for e in market.FeeSet.range(0, head)] == [(0, committee.address)]
    assert [e.seconds for e in market.ReleaseDelaySet.range(0, head)] == [7 * DAY]
    assert [e.amount for e in market.RatingPointsSet.range(0, head)] == [0]


def test_deploy_by_someone_else_leaves_the_minter_to_the_committee(project, chain, populated, fees, points, manager):
    market = deploy_services(project, chain, manager, populated, fees.address)["ServiceMarket"]
    assert market.fees() == fees.address
    assert not points.is_minter(market)


def test_constructor_refuses_zero_addresses(project, chain, committee, registry, points, fees):
    for args, reason in (
        ([ZERO, points, fees], "services: registry is the zero address"),
        ([registry, ZERO, fees], "services: points is the zero address"),
        ([registry, points, ZERO], "services: fees is the zero address"),
    ):
        assert_deploy_reverts(chain, project.ServiceMarket, args, committee, reason)


def test_set_fee(market, committee):
    tx = market.set_fee(1_000, sender=committee)
    [log] = tx.decode_logs(market.FeeSet)
    assert (log.bps, log.set_by) == (1_000, committee.address)
    assert market.fee_bps() == 1_000
    with ape.reverts("services: fee out of range"):
        market.set_fee(1_001, sender=committee)
    market.set_fee(0, sender=committee)
    assert market.fee_bps() == 0
    # The other settings share the word and are untouched.
    assert (market.release_delay(), market.rating_points()) == (7 * DAY, 0)


def test_set_release_delay(market, committee):
    tx = market.set_release_delay(3_600, sender=committee)
    [log] = tx.decode_logs(market.ReleaseDelaySet)
    assert (log.seconds, log.set_by) == (3_600, committee.address)
    assert market.release_delay() == 3_600
    market.set_release_delay(90 * DAY, sender=committee)
    assert market.release_delay() == 90 * DAY
    for bad in (3_599, 90 * DAY + 1):
        with ape.reverts("services: release delay out of range"):
            market.set_release_delay(bad, sender=committee)


def test_set_rating_points(market, committee):
    market.set_fee(700, sender=committee)
    tx = market.set_rating_points(1_000_000, sender=committee)
    [log] = tx.decode_logs(market.RatingPointsSet)
    assert (log.amount, log.set_by) == (1_000_000, committee.address)
    assert (market.fee_bps(), market.release_delay(), market.rating_points()) == (700, 7 * DAY, 1_000_000)
    with ape.reverts("services: points out of range"):
        market.set_rating_points(1_000_001, sender=committee)


def test_shorter_release_delay_applies_to_work_marked_done_later(market, flow, owner_a, provider, committee, chain):
    market.set_release_delay(3_600, sender=committee)
    rid = flow.done(owner_a)
    assert market.request(rid).release_at == chain.blocks.head.timestamp + 3_600


@pytest.mark.parametrize(
    "call, args, reason",
    [
        ("set_fee", (100,), "services: assembly only"),
        ("set_release_delay", (DAY,), "services: assembly only"),
        ("set_rating_points", (1,), "services: assembly only"),
        ("resolve", (1, 0, h("d")), "services: committee only"),
        ("make_offer", (1, 1, 2**39), "services: providers only"),
        ("withdraw_offer", (1,), "services: no offer"),
        ("post_request", (1, h("x"), 1, 2**39), "services: members only"),
        ("accept_offer", (1, ZERO, 1, 1), "services: resident only"),
        ("cancel_request", (1,), "services: resident only"),
        ("confirm", (1,), "services: resident only"),
        ("dispute", (1, h("x")), "services: resident only"),
        ("reclaim", (1,), "services: resident only"),
        ("rate", (1, 5), "services: resident only"),
    ],
)
def test_attacker_is_refused_everything_privileged(market, flow, owner_a, attacker, call, args, reason):
    """Every function bound to a role or a party, called by an outsider on a live job.
    (`release` is open to anyone by design and tested in test_settlement.)"""
    rid = flow.done(owner_a)  # request 1: accepted and marked done by the provider
    assert rid == 1
    with ape.reverts(reason):
        getattr(market, call)(*args, sender=attacker)


def test_attacker_cannot_mark_someone_elses_job_done(market, flow, owner_a, attacker):
    rid = flow.accepted(owner_a)
    with ape.reverts("services: provider only"):
        market.mark_done(rid, sender=attacker)


def test_rating_points_need_the_minter_role(project, chain, populated, fees, token, points, manager, committee, owner_a, provider, funded):
    """A market deployed by someone who does not own the points cannot mint: a rating
    with points fails loudly until the committee appoints the market a minter."""
    market = deploy_services(project, chain, manager, populated, fees)["ServiceMarket"]
    market.set_fee(500, sender=committee)  # rating points need a job that paid a fee
    token.approve(market, 2**256 - 1, sender=owner_a)
    deadline = chain.pending_timestamp + 10 * DAY
    rid = market.post_request(1, h("job"), 1_000, deadline, sender=owner_a).decode_logs(market.RequestPosted)[0].request_id
    market.make_offer(rid, 1_000, deadline, sender=provider)
    market.accept_offer(rid, provider, 1_000, deadline, sender=owner_a)
    market.mark_done(rid, sender=provider)
    market.confirm(rid, sender=owner_a)
    market.set_rating_points(3, sender=committee)
    with ape.reverts("points: minter only"):
        market.rate(rid, 4, sender=owner_a)
    points.set_minter(market, True, sender=committee)
    market.rate(rid, 4, sender=owner_a)
    assert points.balanceOf(owner_a) == 3
