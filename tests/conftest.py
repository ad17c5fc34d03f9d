"""Shared fixtures: actors named by their role in the community, and one deployed community.

Ape snapshots the chain around every test, so session-scoped deployments are
rolled back between tests and each test starts from the same state.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from backend.chain.deploy_fees import deploy_fees
from backend.chain.deployment import deploy_community, role_id
from tests.utils.identity import commitment_for
from tests.utils.households import link_resident

# Hypothesis profiles: "dev" is quick for local runs, "ci" searches deeper.
settings.register_profile(
    "dev", max_examples=25, stateful_step_count=20, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile(
    "ci", max_examples=60, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

DAY = 86400
CHANGE_DELAY = 3 * DAY


def pytest_collection_finish(session):
    """Refuse a fixture name defined with two scopes anywhere in the session. Ape keys its
    chain isolation by fixture name: a function-scoped `stack` in one folder taken for the
    module-scoped `stack` of another was never reverted, and the next test failed with
    "registry: label already registered" only when both folders ran together."""
    scopes: dict[str, set[str]] = {}
    for name, definitions in session._fixturemanager._arg2fixturedefs.items():
        scopes[name] = {definition.scope for definition in definitions}
    clashes = {name: sorted(found) for name, found in scopes.items() if len(found) > 1}
    if clashes:
        raise pytest.UsageError(f"fixtures defined with more than one scope (rename one): {clashes}")


@pytest.fixture(scope="session")
def committee(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def manager(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def owner_a(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def owner_b(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def owner_c(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def tenant(accounts):
    return accounts[5]


@pytest.fixture(scope="session")
def merchant(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def provider(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def attacker(accounts):
    return accounts[8]


@pytest.fixture(scope="session")
def developer(accounts):
    return accounts[9]


@pytest.fixture(scope="session")
def deploy(project, chain, committee):
    """Factory: deploy a fresh community (registry + points, wired)."""

    def _deploy(name="测试小区", change_delay=CHANGE_DELAY):
        return deploy_community(project, chain, committee, name=name, change_delay=change_delay)

    return _deploy


@pytest.fixture(scope="session")
def community(deploy):
    return deploy()


@pytest.fixture(scope="session")
def registry(community):
    return community.registry


@pytest.fixture(scope="session")
def points(community):
    return community.points


@pytest.fixture(scope="session")
def roles():
    return {name: role_id(name) for name in ("committee", "manager", "merchant", "provider", "auditor")}


# Function scope: a session-scoped fixture's transactions would leak into every later
# test that asks only for the empty community.
@pytest.fixture
def populated(community, registry, points, committee, manager, owner_a, owner_b, owner_c, tenant, merchant, provider, developer, roles):
    """A small community: A owns two units, B and C one each, the developer holds two
    unsold units, a tenant lives in B's unit; manager, merchant and provider roles given."""
    registry.register_units(
        [
            ("1-1-101", 8_950, owner_a.address, commitment_for("owner_a")),
            ("1-1-102", 12_000, owner_a.address, commitment_for("owner_a")),
            ("1-1-201", 9_000, owner_b.address, commitment_for("owner_b")),
            ("1-1-202", 11_050, owner_c.address, commitment_for("owner_c")),
            ("1-1-301", 10_000, developer.address, commitment_for("developer")),
            ("1-1-302", 10_000, developer.address, commitment_for("developer")),
        ],
        sender=committee,
    )
    registry.set_developer(commitment_for("developer"), sender=committee)
    link_resident(registry, 3, tenant, commitment_for("tenant"), owner_b)
    registry.grantRole(roles["manager"], manager.address, sender=committee)
    registry.grantRole(roles["merchant"], merchant.address, sender=committee)
    registry.grantRole(roles["provider"], provider.address, sender=committee)
    return community


# PropertyFees on the populated community, for every module that settles in its token
# or pays into its public income (fees, services, activities' promotions, …).
@pytest.fixture
def fees_stack(project, chain, committee, populated):
    return deploy_fees(project, chain, committee, populated)


@pytest.fixture
def fees(fees_stack):
    return fees_stack["PropertyFees"]


@pytest.fixture
def token(fees_stack):
    return fees_stack["SettlementToken"]
