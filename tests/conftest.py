"""Shared fixtures: actors named by their role in the community, and one deployed community.

Ape snapshots the chain around every test, so session-scoped deployments are
rolled back between tests and each test starts from the same state.

A test module marked `pytestmark = pytest.mark.in_process` runs on an in-process EVM
instead of anvil (tests/utils/inprocess.py): the same fixtures below, given that EVM's
`project`, `chain` and `accounts`, and snapshotted around every module and test as Ape
does on anvil. For contract tests that need no node and send many transactions: the
state machines.
"""

from __future__ import annotations

import functools
import os

import ape_vyper.compiler.api as ape_vyper_api
import pytest
from ape.exceptions import TransactionError
from hypothesis import HealthCheck, settings

from backend.chain.deploy_fees import deploy_fees
from backend.chain.deployment import deploy_community, role_id
from tests.utils import timing
from tests.utils.inprocess import InProcessEVM
from tests.utils.identity import commitment_for
from tests.utils.households import link_resident

# Hypothesis profiles: "dev" is quick for local runs, "ci" (what .ci/run selects) searches
# deeper, "fuzz" (`make fuzz`) as deep as "ci" with fresh random draws on every run.
# These settings serve the @given tests; the state machines' depth for each profile is
# MACHINE_DEPTH in tests/utils/stateful.py.
# The gate is derandomized: the same code explores the same examples on every run, so a
# verdict of CI is the code's and not the draw's (a random run once found a model slip
# in CI that the run before it had not). New random ground is `make fuzz`'s job.
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=list(HealthCheck),
                          derandomize=True)
settings.register_profile("fuzz", max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

DAY = 86400
CHANGE_DELAY = 3 * DAY


def _without_source_traceback(init):
    """Ape builds, for every refused transaction, a Python traceback that points into the
    Vyper source: it walks the contract's AST line by line, 0.9 s for each refusal of
    PropertyFees (the suite refuses some thousands of calls on purpose). The revert
    message, the call trace Ape prints and `err.source_traceback` (computed when asked
    for) stay; only the rewritten traceback of a failing test goes."""

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        kwargs["set_ape_traceback"] = False
        init(self, *args, **kwargs)

    return __init__


TransactionError.__init__ = _without_source_traceback(TransactionError.__init__)


def _enrich_only_without_message(enrich):
    """ape-vyper reads every refusal's source traceback (the same AST walk) to recognise
    the compiler's own checks, which revert without a message (overflow, bounds, …); a
    refusal that carries its reason ("fees: unit not registered") is left as it is."""

    @functools.wraps(enrich)
    def enrich_error(err):
        if err.message and err.message != TransactionError.DEFAULT_MESSAGE:
            return err
        return enrich(err)

    return enrich_error


ape_vyper_api.enrich_error = _enrich_only_without_message(ape_vyper_api.enrich_error)


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


def pytest_configure(config):
    config.addinivalue_line("markers", "in_process: runs on the in-process EVM (tests/utils/inprocess.py), not on anvil")


def pytest_generate_tests(metafunc):
    # The chain a test runs on is a session-scoped parameter: pytest sets up the session
    # fixtures (actors, the community) once per chain and groups each chain's tests.
    if "evm" in metafunc.fixturenames and metafunc.definition.get_closest_marker("in_process"):
        metafunc.parametrize("evm", ["in_process"], indirect=True, scope="session")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    # The in-process tests last: the session fixtures switch chains once, after every
    # anvil test, so Ape's isolation never sees them set up twice on anvil.
    items.sort(key=lambda item: item.get_closest_marker("in_process") is not None)


def pytest_runtest_logreport(report):
    timing.record(report)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter):
    # After pytest's slowest durations: the time per folder closes the run.
    timing.summary(terminalreporter)


@pytest.fixture(scope="session")
def evm(request):
    """None on anvil (Ape's own fixtures serve); the in-process EVM for tests marked in_process."""
    return InProcessEVM.from_ape_config() if getattr(request, "param", None) == "in_process" else None


# Ape's `project`, `chain` and `accounts`, or the in-process EVM's for tests marked in_process.
@pytest.fixture(scope="session")
def project(project, evm):
    return project if evm is None else evm.project


@pytest.fixture(scope="session")
def chain(chain, evm):
    return chain if evm is None else evm.chain


@pytest.fixture(scope="session")
def accounts(accounts, evm):
    return accounts if evm is None else evm.accounts


@pytest.fixture(scope="module", autouse=True)
def _in_process_module_isolation(request):
    yield from _in_process_isolation(request)


@pytest.fixture(autouse=True)
def _in_process_function_isolation(request):
    yield from _in_process_isolation(request)


def _in_process_isolation(request):
    """What Ape's isolation does on anvil: what a module's or a test's fixtures and the
    test itself did to the in-process chain is undone after it."""
    if request.node.get_closest_marker("in_process") is None:
        yield
        return
    chain = request.getfixturevalue("evm").chain
    snapshot = chain.snapshot()
    yield
    chain.restore(snapshot)


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
# test that asks only for the empty community. (tests/backend builds the same community
# once per module, as `populated_module`, under its module-scoped scenes.)
@pytest.fixture
def populated(community, registry, committee, manager, owner_a, owner_b, owner_c, tenant, merchant, provider, developer,
              roles):
    """A small community: A owns two units, B and C one each, the developer holds two
    unsold units, a tenant lives in B's unit; manager, merchant and provider roles given."""
    populate(registry, committee, manager, owner_a, owner_b, owner_c, tenant, merchant, provider, developer, roles)
    return community


def populate(registry, committee, manager, owner_a, owner_b, owner_c, tenant, merchant, provider, developer, roles):
    """What `populated` does to the community's registry."""
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
