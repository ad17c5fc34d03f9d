"""Posting requests, offers, acceptance and cancellation: every path and refusal."""

import ape

from tests.services.conftest import ACCEPTED, BUDGET, CANCELLED, DAY, OPEN, PRICE, h


def test_post_request_escrows_the_budget(market, token, flow, owner_a, chain):
    before = token.balanceOf(owner_a)
    deadline = flow.deadline()
    tx = market.post_request(7, h("clean the windows"), BUDGET, deadline, sender=owner_a)
    [log] = tx.decode_logs(market.RequestPosted)
    assert (log.request_id, log.resident, log.category) == (1, owner_a.address, 7)
    assert (log.description_hash, log.budget, log.deadline) == (h("clean the windows"), BUDGET, deadline)
    assert log.posted_at == chain.blocks.head.timestamp
    assert token.balanceOf(owner_a) == before - BUDGET
    assert token.balanceOf(market) == BUDGET
    r = market.request(1)
    assert (r.resident, r.status, r.rated, r.category, r.deadline, r.release_at) == (owner_a.address, OPEN, False, 7, deadline, 0)
    assert (r.provider, r.fee_bps, r.escrow) == (ape.utils.ZERO_ADDRESS, 0, BUDGET)
    assert market.request_count() == 1


def test_tenant_is_a_member_and_may_post(market, flow, tenant):
    assert market.request(flow.post(tenant)).resident == tenant.address


def test_post_request_refusals(market, flow, owner_a, attacker, provider, chain):
    deadline = flow.deadline()
    for outsider in (attacker, provider):
        with ape.reverts("services: members only"):
            market.post_request(1, h("x"), BUDGET, deadline, sender=outsider)
    with ape.reverts("services: empty description hash"):
        market.post_request(1, b"\x00" * 32, BUDGET, deadline, sender=owner_a)
    with ape.reverts("services: budget out of range"):
        market.post_request(1, h("x"), 0, deadline, sender=owner_a)
    with ape.reverts("services: budget out of range"):
        market.post_request(1, h("x"), 2**80, deadline, sender=owner_a)
    with ape.reverts("services: deadline out of range"):
        market.post_request(1, h("x"), BUDGET, chain.pending_timestamp - 1, sender=owner_a)
    with ape.reverts("services: deadline out of range"):
        market.post_request(1, h("x"), BUDGET, 2**40 - 90 * DAY, sender=owner_a)
    market.post_request(1, h("x"), BUDGET, 2**40 - 1 - 90 * DAY, sender=owner_a)


def test_post_request_needs_allowance_and_funds(market, token, owner_a, committee, populated, chain):
    # No `funded` fixture: owner_a holds no tokens and approved nothing.
    deadline = chain.pending_timestamp + DAY
    with ape.reverts():
        market.post_request(1, h("x"), BUDGET, deadline, sender=owner_a)
    assert market.request_count() == 0


def test_make_offer_and_revise(market, flow, owner_a, provider, chain):
    rid = flow.post(owner_a)
    deadline = market.request(rid).deadline
    tx = market.make_offer(rid, PRICE, deadline - DAY, sender=provider)
    [log] = tx.decode_logs(market.OfferMade)
    assert (log.request_id, log.service_provider, log.price, log.completion_by) == (rid, provider.address, PRICE, deadline - DAY)
    assert log.offered_at == chain.blocks.head.timestamp and not log.revision
    assert market.offer(rid, provider) == (PRICE, deadline - DAY)
    tx = market.make_offer(rid, BUDGET, deadline, sender=provider)
    [log] = tx.decode_logs(market.OfferMade)
    assert log.revision and (log.price, log.completion_by) == (BUDGET, deadline)
    assert market.offer(rid, provider) == (BUDGET, deadline)


def test_make_offer_refusals(market, flow, owner_a, owner_c, provider, attacker, chain, registry, roles, committee):
    rid = flow.post(owner_a)
    deadline = market.request(rid).deadline
    with ape.reverts("services: providers only"):
        market.make_offer(rid, PRICE, deadline, sender=attacker)
    with ape.reverts("services: request not open"):
        market.make_offer(99, PRICE, deadline, sender=provider)
    with ape.reverts("services: price out of range"):
        market.make_offer(rid, 0, deadline, sender=provider)
    with ape.reverts("services: price out of range"):
        market.make_offer(rid, BUDGET + 1, deadline, sender=provider)
    with ape.reverts("services: completion time out of range"):
        market.make_offer(rid, PRICE, deadline + 1, sender=provider)
    with ape.reverts("services: completion time out of range"):
        market.make_offer(rid, PRICE, chain.pending_timestamp - 1, sender=provider)
    # A resident who is also a provider cannot bid on their own request.
    registry.grantRole(roles["provider"], owner_a.address, sender=committee)
    with ape.reverts("services: own request"):
        market.make_offer(rid, PRICE, deadline, sender=owner_a)
    # No offers once the request is taken.
    flow.offer(rid)
    market.accept_offer(rid, provider, PRICE, deadline, sender=owner_a)
    registry.grantRole(roles["provider"], owner_c.address, sender=committee)
    with ape.reverts("services: request not open"):
        market.make_offer(rid, PRICE, deadline, sender=owner_c)


def test_withdraw_offer(market, flow, owner_a, provider, chain):
    rid = flow.post(owner_a)
    price, completion_by = flow.offer(rid)
    tx = market.withdraw_offer(rid, sender=provider)
    [log] = tx.decode_logs(market.OfferWithdrawn)
    assert (log.request_id, log.service_provider, log.withdrawn_at) == (rid, provider.address, chain.blocks.head.timestamp)
    assert market.offer(rid, provider) == (0, 0)
    with ape.reverts("services: no offer"):
        market.accept_offer(rid, provider, price, completion_by, sender=owner_a)
    with ape.reverts("services: no offer"):
        market.withdraw_offer(rid, sender=provider)


def test_withdraw_offer_refused_once_taken(market, flow, owner_a, provider, plumber):
    rid = flow.post(owner_a)
    flow.offer(rid, plumber)
    price, completion_by = flow.offer(rid)
    market.accept_offer(rid, provider, price, completion_by, sender=owner_a)
    with ape.reverts("services: request not open"):
        market.withdraw_offer(rid, sender=plumber)
    with ape.reverts("services: request not open"):
        market.withdraw_offer(rid, sender=provider)


def test_accept_refunds_the_difference_and_fixes_the_fee(market, token, flow, owner_a, provider, plumber, committee, chain):
    market.set_fee(500, sender=committee)
    rid = flow.post(owner_a)
    flow.offer(rid, plumber, price=45_000)
    price, completion_by = flow.offer(rid, provider, price=PRICE)
    before = token.balanceOf(owner_a)
    tx = market.accept_offer(rid, provider, price, completion_by, sender=owner_a)
    [log] = tx.decode_logs(market.OfferAccepted)
    assert (log.request_id, log.resident, log.service_provider) == (rid, owner_a.address, provider.address)
    assert (log.price, log.completion_by, log.refund, log.fee_bps) == (PRICE, completion_by, BUDGET - PRICE, 500)
    assert log.accepted_at == chain.blocks.head.timestamp
    assert token.balanceOf(owner_a) == before + BUDGET - PRICE
    assert token.balanceOf(market) == PRICE
    r = market.request(rid)
    assert (r.status, r.provider, r.fee_bps, r.escrow) == (ACCEPTED, provider.address, 500, PRICE)
    # A later fee change does not touch the deal.
    market.set_fee(1_000, sender=committee)
    assert market.request(rid).fee_bps == 500


def test_accept_at_full_budget_refunds_nothing(market, token, flow, owner_a, provider):
    rid = flow.post(owner_a)
    price, completion_by = flow.offer(rid, price=BUDGET)
    tx = market.accept_offer(rid, provider, price, completion_by, sender=owner_a)
    assert tx.decode_logs(market.OfferAccepted)[0].refund == 0
    assert not tx.decode_logs(token.Transfer)
    assert token.balanceOf(market) == BUDGET


def test_accept_refusals(market, flow, owner_a, owner_b, provider, attacker, chain, registry, roles, committee):
    rid = flow.post(owner_a)
    price, completion_by = flow.offer(rid)
    with ape.reverts("services: resident only"):
        market.accept_offer(rid, provider, price, completion_by, sender=owner_b)
    with ape.reverts("services: resident only"):
        market.accept_offer(rid, provider, price, completion_by, sender=attacker)
    with ape.reverts("services: resident only"):
        market.accept_offer(99, provider, price, completion_by, sender=owner_a)
    with ape.reverts("services: no offer"):
        market.accept_offer(rid, attacker, price, completion_by, sender=owner_a)
    # The provider revised its offer before the acceptance landed: the old terms no longer bind.
    market.make_offer(rid, price + 1, completion_by, sender=provider)
    with ape.reverts("services: offer changed"):
        market.accept_offer(rid, provider, price, completion_by, sender=owner_a)
    with ape.reverts("services: offer changed"):
        market.accept_offer(rid, provider, price + 1, completion_by - 1, sender=owner_a)
    # A provider whose role was revoked cannot be hired.
    registry.revokeRole(roles["provider"], provider.address, sender=committee)
    with ape.reverts("services: not a provider"):
        market.accept_offer(rid, provider, price + 1, completion_by, sender=owner_a)
    registry.grantRole(roles["provider"], provider.address, sender=committee)
    market.accept_offer(rid, provider, price + 1, completion_by, sender=owner_a)
    with ape.reverts("services: request not open"):
        market.accept_offer(rid, provider, price + 1, completion_by, sender=owner_a)


def test_accept_refused_past_the_deadline(market, flow, owner_a, provider, chain):
    rid = flow.post(owner_a)
    price, completion_by = flow.offer(rid)
    chain.mine(timestamp=market.request(rid).deadline + 1)
    with ape.reverts("services: past deadline"):
        market.accept_offer(rid, provider, price, completion_by, sender=owner_a)


def test_cancel_open_request_refunds_the_budget(market, token, flow, owner_a, provider, chain):
    rid = flow.post(owner_a)
    flow.offer(rid)
    before = token.balanceOf(owner_a)
    tx = market.cancel_request(rid, sender=owner_a)
    [log] = tx.decode_logs(market.RequestClosed)
    assert (log.request_id, log.resident, log.service_provider, log.status) == (rid, owner_a.address, ape.utils.ZERO_ADDRESS, CANCELLED)
    assert (log.to_provider, log.fee, log.to_resident, log.closed_by) == (0, 0, BUDGET, owner_a.address)
    assert log.closed_at == chain.blocks.head.timestamp
    assert token.balanceOf(owner_a) == before + BUDGET
    assert token.balanceOf(market) == 0
    r = market.request(rid)
    assert (r.status, r.escrow) == (CANCELLED, 0)
    with ape.reverts("services: request not open"):
        market.cancel_request(rid, sender=owner_a)
    with ape.reverts("services: request not open"):
        market.make_offer(rid, PRICE, r.deadline, sender=provider)


def test_cancel_an_expired_untaken_request(market, token, flow, owner_a, chain):
    rid = flow.post(owner_a)
    chain.mine(timestamp=market.request(rid).deadline + DAY)
    market.cancel_request(rid, sender=owner_a)
    assert market.request(rid).status == CANCELLED and token.balanceOf(market) == 0


def test_cancel_refusals(market, flow, owner_a, owner_b, attacker):
    rid = flow.post(owner_a)
    for other in (owner_b, attacker):
        with ape.reverts("services: resident only"):
            market.cancel_request(rid, sender=other)
    taken = flow.accepted(owner_a)
    with ape.reverts("services: request not open"):
        market.cancel_request(taken, sender=owner_a)
