"""Fixtures of the owners' assembly tests: a deployed assembly + timelock on the
shared community, and a pool of extra funded owner wallets."""

from __future__ import annotations

import pytest

from backend.chain.deploy_assembly import deploy_assembly
from tests.assembly.helpers import DAY

# Short but realistic rules for tests: one day's notice, votes of 1..30 days,
# three days of 公示, two days of timelock.
ASSEMBLY_PARAMS = {
    "timelock_delay": 2 * DAY,
    "min_notice": DAY,
    "min_voting_period": DAY,
    "max_voting_period": 30 * DAY,
    "objection_window": 3 * DAY,
}

POOL_SIZE = 40


@pytest.fixture(scope="session")
def voter_pool(accounts):
    """Extra owner wallets beyond the ten named actors (funded per test)."""
    return [accounts.generate_test_account() for _ in range(POOL_SIZE)]


@pytest.fixture
def voters(voter_pool, chain):
    for account in voter_pool:
        chain.set_balance(account.address, 10**20)
    return voter_pool


@pytest.fixture
def gov(project, chain, committee, community):
    return deploy_assembly(project, chain, committee, community, **ASSEMBLY_PARAMS)


@pytest.fixture
def assembly(gov):
    return gov["OwnersAssembly"]


@pytest.fixture
def timelock(gov):
    return gov["AssemblyTimelock"]


@pytest.fixture
def paper(gov):
    """The assembly's PaperBallots (tellers' paper ballots)."""
    return gov["PaperBallots"]
