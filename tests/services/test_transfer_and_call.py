# SPDX-License-Identifier: AGPL-3.0-only
"""A request posted in one call, by the settlement token's ERC-1363 `transferAndCall`
(issue 18: a resident signed in by passkey has no approval to give): the budget is the
amount, the request the data. The same checks and event as `post_request`, for the
wallet the money came from; nothing else may call the receiver, and a spender of an
allowance posts only for the allowance's owner, who must be a member."""

import ape
import pytest
from eth_abi import encode

from backend.chain.deploy_fees import deploy_fees
from tests.services.conftest import BUDGET, DAY, FUNDS, OPEN, h

DATA_RULE = "services: request data is not (category, description, deadline)"
ONLY_TOKEN = "services: only the settlement token pays in"
RECEIVED = bytes.fromhex("88a7ca5c")  # onTransferReceived(address,address,uint256,bytes)


def order(category, text, deadline):
    return encode(["uint256", "bytes32", "uint256"], [category, h(text) if text else b"\0" * 32, deadline])


@pytest.fixture
def minted(token, market, committee, owner_a, owner_b, attacker, provider):
    """Settlement tokens and no allowance at all: a transferAndCall needs none."""
    for who in (owner_a, owner_b, attacker, provider):
        token.mint(who, FUNDS, sender=committee)
    return token


def _unchanged(market, token, who, before):
    assert market.request_count() == 0
    assert token.balanceOf(market) == 0
    assert token.balanceOf(who) == before


def test_transfer_and_call_posts_the_request_and_escrows_the_budget(market, minted, owner_a, chain):
    token = minted
    deadline = chain.pending_timestamp + 10 * DAY
    tx = token.transferAndCall(market, BUDGET, order(7, "clean the windows", deadline), sender=owner_a)
    [log] = tx.decode_logs(market.RequestPosted)
    assert (log.request_id, log.resident, log.category) == (1, owner_a.address, 7)
    assert (log.description_hash, log.budget, log.deadline) == (h("clean the windows"), BUDGET, deadline)
    assert log.posted_at == chain.blocks.head.timestamp
    assert token.balanceOf(owner_a) == FUNDS - BUDGET and token.balanceOf(market) == BUDGET
    assert token.allowance(owner_a, market) == 0
    r = market.request(1)
    assert (r.resident, r.status, r.category, r.deadline, r.escrow) == (owner_a.address, OPEN, 7, deadline, BUDGET)
    # The request is the resident's like any other: it cancels it and gets the budget back.
    market.cancel_request(1, sender=owner_a)
    assert token.balanceOf(owner_a) == FUNDS and token.balanceOf(market) == 0


def test_the_receiver_answers_only_the_settlement_token(market, minted, owner_a, attacker, committee, project, chain,
                                                        deploy):
    """Anyone calling onTransferReceived directly says it paid without paying: refused,
    whoever it names as the sender. Another token's transferAndCall (another community's
    settlement token) is refused too, and its transfer undone."""
    token = minted
    deadline = chain.pending_timestamp + 10 * DAY
    data = order(1, "x", deadline)
    for caller in (attacker, owner_a, committee):
        with ape.reverts(ONLY_TOKEN):
            market.onTransferReceived(caller, owner_a, BUDGET, data, sender=caller)
    other = deploy_fees(project, chain, committee, deploy(name="别的小区"))["SettlementToken"]
    other.mint(owner_a, FUNDS, sender=committee)
    with ape.reverts(ONLY_TOKEN):
        other.transferAndCall(market, BUDGET, data, sender=owner_a)
    assert other.balanceOf(owner_a) == FUNDS and other.balanceOf(market) == 0
    _unchanged(market, token, owner_a, FUNDS)


def test_request_data_of_another_shape_is_refused(market, minted, owner_a, chain):
    token = minted
    deadline = chain.pending_timestamp + 10 * DAY
    good = order(1, "x", deadline)
    for data in (b"", good[:64], good + b"\0", good + b"\0" * 32, encode(["uint256", "uint256"], [1, deadline])):
        with ape.reverts(DATA_RULE):
            token.transferAndCall(market, BUDGET, data, sender=owner_a)
    # A category that is no uint8.
    with ape.reverts(DATA_RULE):
        token.transferAndCall(market, BUDGET, encode(["uint256", "bytes32", "uint256"], [256, h("x"), deadline]),
                              sender=owner_a)
    # The two-argument overload sends no data at all.
    with ape.reverts(DATA_RULE):
        token.transferAndCall(market, BUDGET, sender=owner_a)
    _unchanged(market, token, owner_a, FUNDS)
    token.transferAndCall(market, BUDGET, encode(["uint256", "bytes32", "uint256"], [255, h("x"), deadline]),
                          sender=owner_a)
    assert market.request(1).category == 255


def test_the_same_checks_as_post_request(market, minted, owner_a, attacker, provider, committee, chain):
    token = minted
    deadline = chain.pending_timestamp + 10 * DAY
    for outsider in (attacker, provider):  # provider: a role, not a member
        with ape.reverts("services: members only"):
            token.transferAndCall(market, BUDGET, order(1, "x", deadline), sender=outsider)
        _unchanged(market, token, outsider, FUNDS)
    with ape.reverts("services: empty description hash"):
        token.transferAndCall(market, BUDGET, order(1, "", deadline), sender=owner_a)
    token.mint(owner_a, 2**80, sender=committee)
    for budget in (0, 2**80):
        with ape.reverts("services: budget out of range"):
            token.transferAndCall(market, budget, order(1, "x", deadline), sender=owner_a)
    for late in (chain.pending_timestamp - 1, 2**40 - 90 * DAY):
        with ape.reverts("services: deadline out of range"):
            token.transferAndCall(market, BUDGET, order(1, "x", late), sender=owner_a)
    _unchanged(market, token, owner_a, FUNDS + 2**80)
    # The bounds themselves are accepted: the largest budget, the latest deadline.
    token.transferAndCall(market, 2**80 - 1, order(1, "x", 2**40 - 1 - 90 * DAY), sender=owner_a)
    assert market.request(1).escrow == 2**80 - 1


def test_a_spender_posts_only_for_the_allowances_owner(market, minted, owner_a, owner_b, attacker, provider, chain):
    """transferFromAndCall by a spender: the request is the sender's (whose money it was),
    never the spender's, and the sender must be a member: a member spending a
    non-member's allowance is refused, so is a non-member spending its own way in."""
    token = minted
    deadline = chain.pending_timestamp + 10 * DAY
    data = order(2, "walk the dog", deadline)
    # A provider (no member) lets owner_b (a member) spend: still the provider's request, refused.
    token.approve(owner_b, BUDGET, sender=provider)
    with ape.reverts("services: members only"):
        token.transferFromAndCall(provider, market, BUDGET, data, sender=owner_b)
    assert token.allowance(provider, owner_b) == BUDGET
    _unchanged(market, token, provider, FUNDS)
    # owner_a lets the attacker spend: the request is owner_a's, paid by owner_a.
    token.approve(attacker, BUDGET, sender=owner_a)
    tx = token.transferFromAndCall(owner_a, market, BUDGET, data, sender=attacker)
    [log] = tx.decode_logs(market.RequestPosted)
    assert log.resident == owner_a.address and market.request(1).resident == owner_a.address
    assert token.balanceOf(owner_a) == FUNDS - BUDGET and token.balanceOf(attacker) == FUNDS
    assert token.allowance(owner_a, attacker) == 0
    # Only owner_a acts on it.
    with ape.reverts("services: resident only"):
        market.cancel_request(1, sender=attacker)
    # The spender cannot go past the allowance.
    with ape.reverts():
        token.transferFromAndCall(owner_a, market, BUDGET, data, sender=attacker)
    assert market.request_count() == 1


def test_the_receiver_returns_the_erc1363_selector(market, minted, owner_a, chain):
    """The token checks the answer; the receiver's own return value, read by a static call."""
    token = minted
    data = order(1, "x", chain.pending_timestamp + 10 * DAY)
    answer = market.onTransferReceived.call(owner_a, owner_a, BUDGET, data, sender=token.address)
    assert bytes(answer) == RECEIVED
