"""A settlement token that calls back into the market during every escrow payout:
the reentrancy lock refuses the call (an otherwise valid `release` of another job),
the payout completes once, and the same call succeeds from outside the lock."""

import pytest
from eth_abi import encode
from eth_utils import keccak

from backend.chain.deploy_fees import deploy_fees
from backend.chain.deploy_services import deploy_services
from tests.services.conftest import CANCELLED, CONFIRMED, DAY, DONE, PRICE, RECLAIMED, RELEASED, RESOLVED, h

BUDGET = 50_000
RELEASE_SELECTOR = keccak(text="release(uint256)")[:4]


@pytest.fixture
def evil_token(project, committee):
    return committee.deploy(project.ReentrantToken)


@pytest.fixture
def evil_market(project, chain, committee, populated, evil_token, owner_a, owner_b):
    fees = deploy_fees(project, chain, committee, populated, settlement_token=evil_token)["PropertyFees"]
    market = deploy_services(project, chain, committee, populated, fees)["ServiceMarket"]
    market.set_fee(500, sender=committee)
    for who in (owner_a, owner_b):
        evil_token.mint(who, 10**9, sender=committee)
        evil_token.approve(market, 2**256 - 1, sender=who)
    return market


def _post_and_accept(market, chain, resident, provider, price=PRICE):
    deadline = chain.pending_timestamp + 30 * DAY
    tx = market.post_request(1, h("job"), BUDGET, deadline, sender=resident)
    rid = tx.decode_logs(market.RequestPosted)[0].request_id
    market.make_offer(rid, price, deadline, sender=provider)
    market.accept_offer(rid, provider, price, deadline, sender=resident)
    return rid


def _bystander_job_due(market, chain, owner_b, provider):
    """Request by owner_b, marked done, its release time passed: anyone may release it."""
    rid = _post_and_accept(market, chain, owner_b, provider)
    market.mark_done(rid, sender=provider)
    chain.pending_timestamp = market.request(rid).release_at + 1
    chain.mine()
    return rid



@pytest.mark.parametrize("payout", ["confirm", "release", "resolve", "reclaim", "cancel", "accept refund"])
def test_reentry_on_payout_is_refused(evil_market, evil_token, chain, committee, owner_a, owner_b, provider, attacker, payout):
    market, token = evil_market, evil_token
    due = _bystander_job_due(market, chain, owner_b, provider)
    deadline = chain.pending_timestamp + 10 * DAY
    rid = market.post_request(1, h("mine"), BUDGET, deadline, sender=owner_a).decode_logs(market.RequestPosted)[0].request_id
    market.make_offer(rid, PRICE, deadline, sender=provider)
    if payout != "cancel" and payout != "accept refund":
        market.accept_offer(rid, provider, PRICE, deadline, sender=owner_a)
    if payout in ("confirm", "release"):
        market.mark_done(rid, sender=provider)
    if payout == "resolve":
        market.dispute(rid, h("bad"), sender=owner_a)
    held = token.balanceOf(market)

    token.arm(market, RELEASE_SELECTOR + encode(["uint256"], [due]), sender=attacker)
    if payout == "confirm":
        market.confirm(rid, sender=owner_a)
        expected, escrow = CONFIRMED, PRICE
    elif payout == "release":
        chain.pending_timestamp = market.request(rid).release_at
        market.release(rid, sender=attacker)
        expected, escrow = RELEASED, PRICE
    elif payout == "resolve":
        market.resolve(rid, PRICE // 2, h("split"), sender=committee)
        expected, escrow = RESOLVED, PRICE
    elif payout == "reclaim":
        chain.pending_timestamp = deadline + 1
        market.reclaim(rid, sender=owner_a)
        expected, escrow = RECLAIMED, PRICE
    elif payout == "cancel":
        market.cancel_request(rid, sender=owner_a)
        expected, escrow = CANCELLED, BUDGET
    else:
        market.accept_offer(rid, provider, PRICE, deadline, sender=owner_a)
        expected, escrow = 2, BUDGET - PRICE  # accepted; the refund was the payout

    # The hook ran once, inside the payout, and the lock refused it: no business reason,
    # just the lock (empty revert data), and the bystander's job is untouched.
    assert token.hook_calls() == 1
    assert not token.hook_succeeded()
    assert token.hook_revert_data() == b""
    assert market.request(due).status == DONE
    assert market.request(rid).status == expected
    assert token.balanceOf(market) == held - escrow
    # The same call from outside the lock goes through: the refusal was the lock's.
    market.release(due, sender=attacker)
    assert market.request(due).status == RELEASED
