"""Fixtures for the ServiceMarket: a populated community with fees and the market,
funded residents who approved the market, and a helper that walks a request through
its steps (post, offer, accept, mark done)."""

from __future__ import annotations

import pytest

from backend.chain.deploy_services import deploy_services
from tests.utils.hashes import h  # noqa: F401  (tests import it from here)

DAY = 86400
FUNDS = 10**9  # 10,000,000.00 yuan per actor
BUDGET = 50_000  # 500.00 yuan
PRICE = 40_000

OPEN, ACCEPTED, DONE, DISPUTED, CONFIRMED, RELEASED, RESOLVED, CANCELLED, RECLAIMED = range(1, 10)



@pytest.fixture
def market(project, chain, committee, populated, fees):
    return deploy_services(project, chain, committee, populated, fees)["ServiceMarket"]


@pytest.fixture(scope="session")
def plumber_account(accounts):
    return accounts.generate_test_account()


@pytest.fixture
def plumber(plumber_account, committee, registry, populated, roles):
    """A second registered provider (not a member of the community)."""
    committee.transfer(plumber_account, 10**19)
    registry.grantRole(roles["provider"], plumber_account.address, sender=committee)
    return plumber_account


@pytest.fixture
def funded(token, market, committee, owner_a, owner_b, owner_c, tenant, provider, attacker, developer):
    """Every actor holds settlement tokens and has approved the market."""
    for who in (owner_a, owner_b, owner_c, tenant, provider, attacker, developer):
        token.mint(who, FUNDS, sender=committee)
        token.approve(market, 2**256 - 1, sender=who)
    return token


class Flow:
    """Walk a request through its steps with sensible defaults."""

    def __init__(self, market, chain, provider):
        self.market = market
        self.chain = chain
        self.provider = provider

    def deadline(self, days: int = 10) -> int:
        return self.chain.pending_timestamp + days * DAY

    def post(self, resident, budget=BUDGET, deadline=None, category=3, text="fix the kitchen tap"):
        deadline = self.deadline() if deadline is None else deadline
        tx = self.market.post_request(category, h(text), budget, deadline, sender=resident)
        return tx.decode_logs(self.market.RequestPosted)[0].request_id

    def offer(self, request_id, provider=None, price=PRICE, completion_by=None):
        provider = provider or self.provider
        if completion_by is None:
            completion_by = self.market.request(request_id).deadline
        self.market.make_offer(request_id, price, completion_by, sender=provider)
        return price, completion_by

    def accepted(self, resident, price=PRICE, provider=None, **post):
        provider = provider or self.provider
        request_id = self.post(resident, **post)
        price, completion_by = self.offer(request_id, provider, price)
        self.market.accept_offer(request_id, provider, price, completion_by, sender=resident)
        return request_id

    def done(self, resident, **kw):
        request_id = self.accepted(resident, **kw)
        provider = kw.get("provider") or self.provider
        self.market.mark_done(request_id, sender=provider)
        return request_id


@pytest.fixture
def flow(market, chain, provider, funded):
    return Flow(market, chain, provider)
