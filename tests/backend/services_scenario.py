"""A community that uses the service market, the suggestion box and the consent
register through every path, for the backend tests of their index and API.

Deployed with the project's deploy helpers on the test anvil; every step is a real
transaction by the actor who would take it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_utils import keccak

from backend.chain.deploy_consent import deploy_suggestions_and_consent
from backend.chain.deploy_fees import deploy_fees
from backend.chain.deploy_services import deploy_services
from tests.utils.hashes import h  # noqa: F401  (tests import it from here)

DAY = 86400
HOUR = 3600
FUNDS = 10**9
PHONE = keccak(text="phone")
HOME_ADDRESS = keccak(text="address")
# Market statuses and suggestion statuses as the contracts number them.
OPEN, ACCEPTED, DONE, DISPUTED, CONFIRMED, RELEASED, RESOLVED, CANCELLED, RECLAIMED = range(1, 10)
SUBMITTED, RECEIVED, S_ACCEPTED, IN_PROGRESS, S_DONE, DECLINED = range(1, 7)


def deploy_world(project, chain, committee, community, vault, residents):
    """PropertyFees (for the settlement token and public income), the market, the box
    and the consent register; every resident funded and the market approved."""
    fees_stack = deploy_fees(project, chain, committee, community)
    token = fees_stack["SettlementToken"]
    market = deploy_services(project, chain, committee, community, fees_stack["PropertyFees"])["ServiceMarket"]
    box_and_consent = deploy_suggestions_and_consent(project, chain, committee, community, vault_logger=vault)
    for who in residents:
        token.mint(who, FUNDS, sender=committee)
        token.approve(market, 2**256 - 1, sender=who)
    extra = {**community.extra, **fees_stack, "ServiceMarket": market, **box_and_consent}
    return {"community": replace(community, extra=extra), "fees": fees_stack["PropertyFees"], "token": token,
            "market": market, "box": box_and_consent["SuggestionBox"], "consent": box_and_consent["DataConsent"]}


def post(market, chain, resident, category, budget, text, *, at=None, days=10):
    if at is not None:
        chain.pending_timestamp = at
    deadline = chain.pending_timestamp + days * DAY
    tx = market.post_request(category, h(text), budget, deadline, sender=resident)
    return tx.decode_logs(market.RequestPosted)[0].request_id


def offer(market, chain, request_id, provider, price, *, at=None):
    if at is not None:
        chain.pending_timestamp = at
    completion_by = market.request(request_id).deadline
    market.make_offer(request_id, price, completion_by, sender=provider)
    return price, completion_by


def market_activity(world, chain, committee, owner_a, owner_b, owner_c, tenant, attacker, provider, plumber):
    """Every path of a request: confirm with a fee, automatic release, dispute split by
    the committee, a dispute pending, cancel, reclaim after the deadline, revisions
    and withdrawals, ratings; requests left open, accepted and done."""
    market = world["market"]
    market.set_fee(500, sender=committee)
    market.set_release_delay(2 * HOUR, sender=committee)
    market.set_rating_points(3, sender=committee)
    market.set_min_rated_fee(100, sender=committee)
    ids = {}
    # Confirmed with a 5% fee; the plumber revised its offer; rated 5.
    ids["confirmed"] = r = post(market, chain, owner_a, 3, 50_000, "kitchen tap")
    chain.pending_timestamp += HOUR
    offer(market, chain, r, plumber, 45_000)
    offer(market, chain, r, plumber, 42_000)
    chain.pending_timestamp += HOUR
    price, by = offer(market, chain, r, provider, 40_000)
    market.accept_offer(r, provider, price, by, sender=owner_a)
    market.mark_done(r, sender=provider)
    market.confirm(r, sender=owner_a)
    market.rate(r, 5, sender=owner_a)
    # Released by anyone after the delay; the plumber withdrew; rated 4.
    ids["released"] = r = post(market, chain, owner_b, 3, 30_000, "bathroom leak")
    chain.pending_timestamp += 2 * HOUR
    price, by = offer(market, chain, r, provider, 30_000)
    offer(market, chain, r, plumber, 28_000)
    market.withdraw_offer(r, sender=plumber)
    market.accept_offer(r, provider, price, by, sender=owner_b)
    market.mark_done(r, sender=provider)
    chain.pending_timestamp += 2 * HOUR + 1
    market.release(r, sender=attacker)
    market.rate(r, 4, sender=owner_b)
    # Disputed while accepted; the committee splits it; rated 2.
    ids["resolved"] = r = post(market, chain, owner_c, 1, 20_000, "clean windows")
    chain.pending_timestamp += 30 * 60
    price, by = offer(market, chain, r, plumber, 18_000)
    market.accept_offer(r, plumber, price, by, sender=owner_c)
    market.dispute(r, h("did not show up"), sender=owner_c)
    market.resolve(r, 10_000, h("half the work was done"), sender=committee)
    market.rate(r, 2, sender=owner_c)
    # Disputed after being marked done: waiting for the committee.
    ids["disputed"] = r = post(market, chain, owner_a, 1, 10_000, "deep clean")
    price, by = offer(market, chain, r, plumber, 9_000)
    market.accept_offer(r, plumber, price, by, sender=owner_a)
    market.mark_done(r, sender=plumber)
    market.dispute(r, h("stains left"), sender=owner_a)
    # Cancelled while open, with an offer on it.
    ids["cancelled"] = r = post(market, chain, tenant, 4, 5_000, "carry boxes")
    offer(market, chain, r, provider, 5_000)
    market.cancel_request(r, sender=tenant)
    # Reclaimed: accepted, never done by the deadline.
    ids["reclaimed"] = r = post(market, chain, owner_b, 2, 8_000, "fix the door", days=1)
    price, by = offer(market, chain, r, provider, 7_000)
    market.accept_offer(r, provider, price, by, sender=owner_b)
    chain.pending_timestamp = market.request(r).deadline + 10
    market.reclaim(r, sender=owner_b)
    # Left open with two offers (the recommendations' request).
    ids["open"] = r = post(market, chain, owner_c, 3, 60_000, "new water heater")
    chain.pending_timestamp += HOUR
    offer(market, chain, r, provider, 50_000)
    offer(market, chain, r, plumber, 55_000)
    # A lower fee from now on: fixed per deal at acceptance.
    market.set_fee(300, sender=committee)
    ids["done"] = r = post(market, chain, owner_a, 2, 12_000, "paint the balcony")
    price, by = offer(market, chain, r, plumber, 12_000)
    market.accept_offer(r, plumber, price, by, sender=owner_a)
    market.mark_done(r, sender=plumber)
    ids["accepted"] = r = post(market, chain, tenant, 4, 6_000, "walk the dog", days=30)
    price, by = offer(market, chain, r, provider, 6_000)
    market.accept_offer(r, provider, price, by, sender=tenant)
    return ids


def suggestion_activity(world, chain, committee, manager, owner_a, owner_b, owner_c, tenant):
    """Suggestions through every status and every allowed move, with time between answers."""
    box = world["box"]
    ids = {}
    ids["done"] = s = box.submit(2, h("more bicycle parking"), sender=owner_a).decode_logs(
        box.SuggestionSubmitted)[0].suggestion_id
    chain.pending_timestamp += 3 * HOUR
    box.answer(s, RECEIVED, b"\x00" * 32, sender=manager)
    chain.pending_timestamp += DAY
    box.answer(s, S_ACCEPTED, h("we will add racks"), sender=committee)
    box.answer(s, IN_PROGRESS, h("racks ordered"), sender=manager)
    chain.pending_timestamp += 2 * DAY
    box.answer(s, IN_PROGRESS, h("racks delivered"), sender=manager)
    box.answer(s, S_DONE, b"\x00" * 32, sender=manager)
    ids["declined"] = s = box.submit(5, h("paint the gate gold"), sender=owner_b).decode_logs(
        box.SuggestionSubmitted)[0].suggestion_id
    chain.pending_timestamp += HOUR
    box.answer(s, DECLINED, h("over budget"), sender=committee)
    box.set_reward_rate(25, sender=committee)
    ids["accepted_done"] = s = box.submit(2, h("quiet hours signs"), sender=tenant).decode_logs(
        box.SuggestionSubmitted)[0].suggestion_id
    chain.pending_timestamp += 5 * HOUR
    box.answer(s, S_ACCEPTED, b"\x00" * 32, sender=manager)
    box.answer(s, S_DONE, h("signs up"), sender=manager)
    ids["received_declined"] = s = box.submit(7, h("a second gym"), sender=owner_c).decode_logs(
        box.SuggestionSubmitted)[0].suggestion_id
    box.answer(s, RECEIVED, b"\x00" * 32, sender=committee)
    chain.pending_timestamp += DAY
    box.answer(s, DECLINED, h("no room"), sender=committee)
    ids["in_progress"] = s = box.submit(2, h("fix the lift"), sender=owner_b).decode_logs(
        box.SuggestionSubmitted)[0].suggestion_id
    box.answer(s, S_ACCEPTED, b"\x00" * 32, sender=committee)
    box.answer(s, IN_PROGRESS, h("contractor booked"), sender=manager)
    ids["received"] = s = box.submit(5, h("more benches"), sender=owner_a).decode_logs(
        box.SuggestionSubmitted)[0].suggestion_id
    box.answer(s, RECEIVED, b"\x00" * 32, sender=manager)
    ids["submitted"] = box.submit(7, h("a book corner"), sender=tenant).decode_logs(
        box.SuggestionSubmitted)[0].suggestion_id
    return ids


def consent_activity(world, chain, registry, roles, committee, owner_a, owner_b, owner_c, tenant, merchant,
                     manager, provider, plumber, vault, developer):
    """Grants that end every way (revoked, expired, superseded, role lost, live), a
    renewal, accesses logged by the vault and by a grantee, loggers appointed and removed."""
    consent = world["consent"]
    now = chain.pending_timestamp
    # Expires: owner_a lets the manager see the address for two days.
    consent.grant(manager, HOME_ADDRESS, now + 2 * DAY, h("parcel room"), sender=owner_a)
    consent.log_access(owner_a, manager, HOME_ADDRESS, h("deliver a parcel"), sender=vault)
    chain.pending_timestamp = now + 3 * DAY
    # Renewed, accessed by the vault and by the grantee itself, then revoked.
    now = chain.pending_timestamp
    consent.grant(provider, PHONE, now + 7 * DAY, h("request 1"), sender=owner_a)
    consent.log_access(owner_a, provider, PHONE, h("call about request 1"), sender=vault)
    consent.renew(provider, PHONE, now + 30 * DAY, sender=owner_a)
    consent.log_access(owner_a, provider, PHONE, h("reschedule request 1"), sender=provider)
    consent.revoke(provider, PHONE, sender=owner_a)
    # Superseded while live by a new grant, which stays live and is used.
    consent.grant(provider, PHONE, now + 5 * DAY, h("request 2"), sender=owner_b)
    consent.grant(provider, PHONE, now + 60 * DAY, h("request 2, longer"), sender=owner_b)
    consent.log_access(owner_b, provider, PHONE, h("call about request 2"), sender=vault)
    # Role lost: the merchant is no longer a merchant.
    consent.grant(merchant, HOME_ADDRESS, now + 30 * DAY, h("delivery"), sender=owner_c)
    registry.revokeRole(roles["merchant"], merchant, sender=committee)
    # Live, to a second provider, from a tenant.
    consent.grant(plumber, HOME_ADDRESS, now + 90 * DAY, h("request 4"), sender=tenant)
    consent.log_access(tenant, plumber, HOME_ADDRESS, h("find the flat"), sender=vault)
    consent.set_logger(developer, True, sender=committee)
    consent.set_logger(developer, False, sender=committee)


# ---------------------------------------------------------------- fixtures
# Imported by the test modules that use them (tests/backend/test_*services*.py), so the
# shared conftest stays as it is.


@pytest.fixture(scope="session")
def service_accounts(accounts):
    """A second provider (the plumber), two providers with no history yet and the vault's account."""
    return {name: accounts.generate_test_account() for name in ("plumber", "newcomer_1", "newcomer_2", "vault")}


@pytest.fixture(scope="module")
def services_world(populated_module, project, chain, registry, roles, committee, manager, owner_a, owner_b, owner_c, tenant,
                   merchant, provider, attacker, developer, service_accounts):
    plumber, vault = service_accounts["plumber"], service_accounts["vault"]
    for account in (plumber, vault):
        committee.transfer(account, 10**19)
    registry.grantRole(roles["provider"], plumber.address, sender=committee)
    world = deploy_world(project, chain, committee, populated_module, vault,
                         (owner_a, owner_b, owner_c, tenant, attacker, developer))
    world["requests"] = market_activity(world, chain, committee, owner_a, owner_b, owner_c, tenant, attacker,
                                        provider, plumber)
    world["suggestions"] = suggestion_activity(world, chain, committee, manager, owner_a, owner_b, owner_c, tenant)
    consent_activity(world, chain, registry, roles, committee, owner_a, owner_b, owner_c, tenant, merchant, manager,
                     provider, plumber, vault, developer)
    chain.mine()
    world.update(plumber=plumber, vault=vault)
    return world
