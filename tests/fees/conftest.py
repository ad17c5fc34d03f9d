"""Fixtures for PropertyFees: a populated community with fees, a settlement token,
a first service contract in force, funded residents, and a clock in Beijing months."""

from __future__ import annotations

import pytest

from tests.fees.model import month_start
from tests.utils.hashes import h  # noqa: F401  (tests import it from here)
from tests.utils.permit import sign_permit  # noqa: F401  (re-exported for the fee tests)

DAY = 86400
RATE = 250  # 2.50 yuan per m² per month
FUNDS = 10**9  # 10,000,000.00 yuan per resident



@pytest.fixture(scope="session")
def governance_account(accounts):
    return accounts.generate_test_account()


@pytest.fixture
def governance(governance_account, committee):
    """A stand-in for the owners' assembly timelock (an EOA for unit tests)."""
    committee.transfer(governance_account, 10**19)
    return governance_account


@pytest.fixture
def clock(chain, fees):
    """Move the chain to a Beijing month (time only moves forward)."""

    class Clock:
        def month(self) -> int:
            return fees.current_month()

        def goto(self, month: int, seconds: int = DAY) -> None:
            target = month_start(month) + seconds
            assert target > chain.pending_timestamp - 1, "the clock cannot go back"
            chain.mine(timestamp=target)

        def advance(self, months: int, seconds: int = DAY) -> int:
            target = self.month() + months
            self.goto(target, seconds)
            return target

    return Clock()


@pytest.fixture
def funded(token, fees, committee, owner_a, owner_b, owner_c, tenant, merchant, developer, attacker, manager):
    """Every actor holds settlement tokens and has approved the fees contract."""
    for who in (owner_a, owner_b, owner_c, tenant, merchant, developer, attacker, manager, committee):
        token.mint(who, FUNDS, sender=committee)
        token.approve(fees, 2**256 - 1, sender=who)
    return token


@pytest.fixture
def in_force(fees, committee, manager, funded):
    """A first service contract at RATE, in force from the billing start month."""
    start = fees.config()[0]
    fees.propose_service_contract(h("contract-2026"), manager, start, start + 35, RATE, [h("cleaning"), h("security")], sender=manager)
    fees.approve_service_contract(1, sender=committee)
    return fees


@pytest.fixture
def governed(in_force, committee, governance):
    in_force.set_governance(governance, sender=committee)
    return in_force
