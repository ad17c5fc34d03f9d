"""The indexer against the replies real nodes give (issue 17, items 7-10), through a
fault-injecting proxy in front of the test anvil: it never stops for one, and the index
equals a fresh index of the chain after each.

One community with everything the registry and the points record is deployed for the
module; each test indexes it into a fresh database (SQLite, and PostgreSQL when set)
through the proxy with its faults installed, and compares with a fresh index made once
without the proxy.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from backend.chain.deployment import deploy_community, manifest_dict
from backend.core.config import Settings
from backend.db.models import IndexerStatus
from tests.backend.helpers import community_activity, dump, wait_for
from tests.backend.nodeproxy import NodeProxy, lagging, refuse, rewrite, syncing, truncate
from tests.backend.test_reorg_and_faults import fresh_index
from tests.utils.households import link_resident
from tests.utils.identity import commitment_for


@pytest.fixture(scope="module")
def odd_replies_community(project, chain, committee, manager, owner_a, owner_b, owner_c, tenant, merchant, provider,
                          developer, attacker, roles):
    """A community with units, residents, roles, points moved and spent, a unit sold and a
    wallet recovered: every table the registry and the points fill."""
    community = deploy_community(project, chain, committee, name="奇答小区")
    registry, points = community.registry, community.points
    registry.register_units([
        ("1-1-101", 8_950, owner_a.address, commitment_for("owner_a")),
        ("1-1-102", 12_000, owner_a.address, commitment_for("owner_a")),
        ("1-1-201", 9_000, owner_b.address, commitment_for("owner_b")),
        ("1-1-202", 11_050, owner_c.address, commitment_for("owner_c")),
        ("1-1-301", 10_000, developer.address, commitment_for("developer")),
    ], sender=committee)
    registry.set_developer(commitment_for("developer"), sender=committee)
    link_resident(registry, 3, tenant, commitment_for("tenant"), owner_b)
    for role in ("manager", "merchant", "provider"):
        registry.grantRole(roles[role], {"manager": manager, "merchant": merchant, "provider": provider}[role].address,
                           sender=committee)
    community_activity(chain, registry, points, committee, owner_a, owner_b, owner_c, tenant, merchant, provider,
                       attacker, roles)
    return community


@pytest.fixture(scope="module")
def odd_replies_fresh(odd_replies_community, chain, tmp_path_factory):
    """The manifest and a fresh index of the module's chain (no proxy), as table dumps."""
    manifest = manifest_dict(odd_replies_community, "local")
    folder = tmp_path_factory.mktemp("fresh")
    settings = Settings(environment="test", database_url=f"sqlite:///{folder / 'fresh.db'}",
                        rpc_url=chain.provider.uri, vault_database_url=f"sqlite:///{folder / 'vault.db'}",
                        vault_key_file=folder / "vault.key")
    engine = fresh_index(folder, manifest, settings, chain.provider.uri)
    fresh = dump(engine)
    engine.dispose()
    return manifest, fresh, chain.blocks.head.number


@pytest.fixture
def proxy(rpc_url):
    node = NodeProxy(rpc_url)
    node.start()
    yield node
    node.stop()


def follow_through(indexer, faults, head: int, settings, timeout: float = 90.0) -> None:
    """Follow the chain in a thread (as the command does) until the index is at `head` and
    every counted fault has fired; it must neither stop nor hang."""
    stop, stopped = threading.Event(), []

    def target():
        try:
            indexer.run(stop)
        except BaseException as exc:  # what would end the process
            stopped.append(exc)

    runner = threading.Thread(target=target, daemon=True)
    runner.start()
    try:
        done = wait_for(lambda: stopped or (indexer.checkpoint()[0] == head and all(f.spent or f.times is None
                                                                                      for f in faults)), timeout)
        time.sleep(6 * settings.poll_interval_s)  # a few more rounds at the head
        assert not stopped, f"the indexer stopped on {stopped[0]!r}"
        assert done, f"not at the head after {timeout}s: at {indexer.checkpoint()[0]} of {head}; " \
                     f"faults fired {[(type(f).__name__, f.fired) for f in faults]}"
        assert runner.is_alive()
    finally:
        stop.set()
        runner.join(timeout=10)
    assert all(f.fired for f in faults), "a fault never happened: the test tested nothing"


def _duplicate_a_log(params, logs):
    """A log listed twice in one reply (a points transfer when there is one)."""
    movement = [entry for entry in logs if len(entry["topics"]) == 3]
    return logs + movement[:1] if movement else logs


def _add_a_foreign_log(params, logs):
    """A log of an address the indexer did not ask for, in a block it did ask for."""
    if not logs:
        return logs
    entry = logs[0]
    return logs + [{**entry, "address": "0x000000000000000000000000000000000000dead", "logIndex": "0x3e7",
                    "transactionHash": "0x" + "ee" * 32}]


def _add_a_log_outside_the_range(params, logs):
    if not logs:
        return logs
    beyond = int(params[0]["toBlock"], 16) + 2
    return logs + [{**logs[0], "blockNumber": hex(beyond), "logIndex": "0x3e8"}]


def _drop_the_topics_of_a_log(params, logs):
    return [{key: value for key, value in logs[0].items() if key != "topics"}, *logs[1:]] if logs else logs


ODD_REPLIES = {
    # Item 7: a reply cut short, a header not there yet, a node's internal error.
    "header-not-found": lambda head: [refuse("eth_getBlockByNumber", -32000, "header not found", times=2)],
    "logs-reply-cut-short": lambda head: [truncate("eth_getLogs", times=2)],
    "batch-reply-cut-short": lambda head: [truncate("eth_blockNumber", times=2)],
    "internal-error": lambda head: [refuse("eth_getLogs", -32603, "Internal error", times=2)],
    # Item 8: geth's "beyond the head" is a node behind, retried, not a range to split.
    "beyond-head-geth": lambda head: [refuse("eth_getLogs", -32602, "block range extends beyond current head block",
                                             times=2)],
    # A refusal that asking again cannot fix (a disabled method) is reported and waited out.
    "method-disabled-once": lambda head: [refuse("eth_getLogs", -32604, "Method not enabled", times=1)],
    # Item 10: replies that do not answer the request.
    "log-listed-twice": lambda head: [rewrite("eth_getLogs", _duplicate_a_log, times=None)],
    "log-of-another-address": lambda head: [rewrite("eth_getLogs", _add_a_foreign_log, times=2)],
    "log-outside-the-range": lambda head: [rewrite("eth_getLogs", _add_a_log_outside_the_range, times=2)],
    "log-without-topics": lambda head: [rewrite("eth_getLogs", _drop_the_topics_of_a_log, times=2)],
}


@pytest.mark.parametrize("name", list(ODD_REPLIES))
def test_an_odd_reply_stops_nothing_and_changes_nothing(name, odd_replies_fresh, make_indexer, engine, proxy,
                                                        settings):
    manifest, fresh, head = odd_replies_fresh
    faults = ODD_REPLIES[name](head)
    proxy.inject(*faults)
    indexer = make_indexer(manifest, rpc_url=proxy.url, max_block_range=4)
    follow_through(indexer, faults, head, settings)
    assert dump(engine) == fresh
    assert indexer.range_limit == 4, "a fault that is not about the range size must not shrink it"


def test_a_head_one_block_ahead_is_waited_for(odd_replies_fresh, make_indexer, engine, proxy, settings):
    """Item 7: eth_blockNumber answered by a node one block ahead of the one that answers
    the rest: at the head, the next range starts past the other node's head (anvil:
    -32602 BlockOutOfRange)."""
    manifest, fresh, head = odd_replies_fresh
    indexer = make_indexer(manifest, rpc_url=proxy.url, max_block_range=3)
    indexer.sync()
    ahead = rewrite("eth_blockNumber", lambda params, result: hex(int(result, 16) + 1), times=4)
    proxy.inject(ahead)
    follow_through(indexer, [ahead], head, settings)
    assert dump(engine) == fresh


def test_a_log_node_behind_the_head_node_is_waited_for(odd_replies_fresh, make_indexer, engine, proxy, settings):
    """Item 7: eth_blockNumber from one node, eth_getLogs from another two blocks behind it.
    anvil (as older geth) cuts a range reaching past its head short without an error, and
    refuses one starting past it (-32602 BlockOutOfRange)."""
    manifest, fresh, head = odd_replies_fresh
    behind = lagging(blocks=2, times=5, when=lambda p: int(p[0]["toBlock"], 16) >= head - 1)
    proxy.inject(behind)
    # Ranges of r blocks from the deploy block: the one reaching block head-1 must start at
    # or below head-2 (the lagging node's head) for its answer to be cut short, and the
    # next then starts above it and is refused. Which r does that depends on how many
    # blocks the deployment took, so choose it rather than assume it.
    start = int(manifest["deploy_block"])
    r = next(r for r in range(3, 10) if (head - 1 - start) % r != 0)
    indexer = make_indexer(manifest, rpc_url=proxy.url, max_block_range=r)
    follow_through(indexer, [behind], head, settings)
    assert behind.cut and behind.refused, "both ways a node behind answers happened"
    assert dump(engine) == fresh


def test_a_node_behind_the_index_is_waited_for_not_taken_for_a_deep_reorg(odd_replies_fresh, make_indexer, engine,
                                                                        proxy, settings):
    """A node that is syncing (or the load balancer's slow node) lacks the blocks the index
    has: nothing was replaced, so it is waited for, not a reorg deeper than finality."""
    manifest, fresh, head = odd_replies_fresh
    indexer = make_indexer(manifest, rpc_url=proxy.url)
    indexer.sync()
    slow = syncing(blocks=settings.finality_depth + 4, times=40)
    proxy.inject(slow)
    follow_through(indexer, [slow], head, settings)
    assert dump(engine) == fresh
    with engine.connect() as conn:
        assert not conn.execute(select(IndexerStatus.halted)).scalar_one()


RANGE_LIMIT = 3


def _wider_than_the_limit(params) -> bool:
    return int(params[0]["toBlock"], 16) - int(params[0]["fromBlock"], 16) + 1 > RANGE_LIMIT


# Item 8: nodes that refuse a getLogs range wider than they serve, each in its own words.
RANGE_REFUSALS = {
    "besu": dict(code=-32005, message="Requested range exceeds maximum RPC range limit"),
    "quicknode-http-413": dict(code=-32614, message=f"eth_getLogs is limited to a {RANGE_LIMIT} range", status=413),
    "thirdweb": dict(code=-32602, message="invalid params", data=f"range 50 is bigger than range limit {RANGE_LIMIT}"),
    "arbitrum": dict(code=-32000, message="logs matched by query exceeds limit of 10000"),
    "geth-range-limit": dict(code=-32602, message=f"exceed maximum block range {RANGE_LIMIT}"),
}


@pytest.mark.parametrize("name", list(RANGE_REFUSALS))
def test_a_range_refused_as_too_large_is_split(name, odd_replies_fresh, make_indexer, engine, proxy, settings):
    manifest, fresh, head = odd_replies_fresh
    refusal = refuse("eth_getLogs", times=None, when=_wider_than_the_limit, **RANGE_REFUSALS[name])
    proxy.inject(refusal)
    indexer = make_indexer(manifest, rpc_url=proxy.url, max_block_range=50)
    follow_through(indexer, [refusal], head, settings)
    assert indexer.range_limit <= RANGE_LIMIT
    assert dump(engine) == fresh
