"""One indexer for the district (backend/indexer/district.py): the communities come from
the district registry's `CommunityAdded` events, a community listed mid-follow is
discovered at the next step and backfilled from its deploy block (no restart, no
manifest file), a listing is followed only once final, and a retired entry is no longer
followed; each entry and its retirement are recorded in the index (district_listings),
and a retirement a reorganisation removes, even one deeper than the finality the node
gives, is undone: the community is followed again."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, select

from backend.chain.deployment import manifest_dict
from backend.chain.district import community_entries
from backend.db.models import DistrictListing, IndexerStatus
from backend.indexer.district import DistrictIndexer, abis_of
from backend.indexer.rpc import RangeTooLarge, RpcClient, RpcError, RpcUnavailable, check_logs
from tests.backend.helpers import dump
from tests.utils.identity import commitment_for

# anvil answers the "finalized" tag with the head less 64 blocks.
ANVIL_FINALITY = 64


def listings(engine) -> list[tuple]:
    """The recorded entries: (id, registry, name, street, retired block, retired note hash)."""
    t = DistrictListing.__table__
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(
            t.c.district_id, t.c.community, t.c.name, t.c.street, t.c.retired_block, t.c.retired_reason_hash)
            .order_by(t.c.district_id))]


def list_in(district, community, committee):
    return district.add_community(community.name, "嘉兴路街道", community.registry.address, community.deploy_block,
                                  community_entries(community), sender=committee)


def test_a_community_listed_mid_follow_is_discovered_and_backfilled(populated, project, chain, committee, owner_a,
                                                                     deploy_other, engine, settings, rpc_url):
    district = committee.deploy(project.DistrictRegistry, committee.address)
    first_block = chain.blocks.head.number
    list_in(district, populated, committee)
    chain.mine(ANVIL_FINALITY)
    rpc = RpcClient(rpc_url, timeout_s=5, max_retries=2, backoff_s=0.05, backoff_max_s=0.2)
    # Small ranges: the listings are read in several requests, as a long history is on a real node.
    settings = settings.model_copy(update={"max_block_range": 16})
    follower = DistrictIndexer(district.address, first_block, abis_of(manifest_dict(populated, "local")), engine,
                               rpc, settings)
    follower.sync()
    first = populated.registry.address.lower()
    assert set(follower.communities) == {first}
    assert len(dump(engine, populated.registry.address)["units"]) == 6

    # A second community, deployed and listed while the district is followed.
    other = deploy_other("凉城小区")
    other.registry.register_unit("2-1-101", 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)
    list_in(district, other, committee)
    follower.sync()
    assert set(follower.communities) == {first}  # not final yet: not followed yet
    chain.mine(ANVIL_FINALITY)
    follower.sync()
    second = other.registry.address.lower()
    assert set(follower.communities) == {first, second}
    units = dump(engine, other.registry.address)["units"]
    assert [dict(row)["label"] for row in units] == ["2-1-101"]  # backfilled from its deploy block
    assert len(dump(engine, populated.registry.address)["units"]) == 6  # the rows do not mix

    assert [row[:5] for row in listings(engine)] == [(1, first, populated.name, "嘉兴路街道", None),
                                                     (2, second, "凉城小区", "嘉兴路街道", None)]

    # A retired entry is no longer followed; what was indexed of it stays, and the index
    # records the retirement (once final) with the note's hash.
    receipt = district.retire_community(2, b"\x01" * 32, sender=committee)
    follower.sync()
    assert listings(engine)[1][4] is None  # not final yet: not recorded
    chain.mine(ANVIL_FINALITY)
    other.registry.register_unit("2-1-102", 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)
    follower.sync()
    assert set(follower.communities) == {first}
    assert [dict(row)["label"] for row in dump(engine, other.registry.address)["units"]] == ["2-1-101"]
    assert listings(engine)[1][4:] == (receipt.block_number, "0x" + "01" * 32)
    # A restarted indexer reads the same history and records the same rows, once.
    rpc2 = RpcClient(rpc_url, timeout_s=5, max_retries=2, backoff_s=0.05, backoff_max_s=0.2)
    again = DistrictIndexer(district.address, first_block, abis_of(manifest_dict(populated, "local")), engine, rpc2,
                            settings)
    again.discover()
    assert set(again.communities) == {first} and len(listings(engine)) == 2
    assert listings(engine)[1][4] == receipt.block_number
    rpc2.close()
    rpc.close()


def test_a_retirement_a_reorganisation_removes_is_undone(populated, project, chain, committee, owner_a, engine,
                                                         settings, rpc_url):
    """Even one recorded as final: the node's finality is only as good as the node (here
    anvil's "finalized", head less 64, replaced by a snapshot's restore)."""
    district = committee.deploy(project.DistrictRegistry, committee.address)
    first_block = chain.blocks.head.number
    list_in(district, populated, committee)
    chain.mine(ANVIL_FINALITY)
    rpc = RpcClient(rpc_url, timeout_s=5, max_retries=2, backoff_s=0.05, backoff_max_s=0.2)
    follower = DistrictIndexer(district.address, first_block, abis_of(manifest_dict(populated, "local")), engine,
                               rpc, settings)
    follower.sync()
    registry = populated.registry.address.lower()
    before = chain.snapshot()
    district.retire_community(1, b"\x02" * 32, sender=committee)
    chain.mine(ANVIL_FINALITY)
    follower.sync()
    assert follower.communities == {} and listings(engine)[0][4] is not None

    chain.restore(before)  # the blocks holding the retirement are replaced by others without it
    committee.transfer(owner_a, 1)  # so the replacing block differs from the replaced one
    populated.registry.register_unit("9-9-909", 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)
    chain.mine(ANVIL_FINALITY + 1)
    follower.sync()
    assert set(follower.communities) == {registry}
    assert listings(engine) == [(1, registry, populated.name, "嘉兴路街道", None, None)]
    # Followed again from its own checkpoint: what the new chain holds is indexed.
    assert "9-9-909" in [dict(row)["label"] for row in dump(engine, populated.registry.address)["units"]]
    rpc.close()


def test_a_listing_removed_by_a_reorganisation_is_never_followed(populated, project, chain, committee, engine,
                                                                  settings, rpc_url):
    district = committee.deploy(project.DistrictRegistry, committee.address)
    first_block = chain.blocks.head.number
    rpc = RpcClient(rpc_url, timeout_s=5, max_retries=2, backoff_s=0.05, backoff_max_s=0.2)
    follower = DistrictIndexer(district.address, first_block, abis_of(manifest_dict(populated, "local")), engine,
                               rpc, settings)
    before = chain.snapshot()
    list_in(district, populated, committee)
    follower.sync()
    assert not follower.communities  # not final: not followed
    chain.restore(before)  # the block holding the listing is replaced
    chain.mine(ANVIL_FINALITY + 1)
    follower.sync()
    assert not follower.communities and not dump(engine, populated.registry.address)["units"]
    rpc.close()


def test_a_restarted_district_indexer_resumes_each_community(populated, project, chain, committee, engine, settings,
                                                              rpc_url, tmp_path):
    from backend.chain.deployment import write_manifest
    from backend.indexer.__main__ import main

    district = committee.deploy(project.DistrictRegistry, committee.address)
    first_block = chain.blocks.head.number
    list_in(district, populated, committee)
    chain.mine(ANVIL_FINALITY)
    manifest = tmp_path / "abis.json"
    write_manifest(manifest_dict(populated, "local"), manifest)
    command = ["--district", district.address, "--district-block", str(first_block), "--manifest", str(manifest),
               "--rpc-url", rpc_url, "--database-url", settings.database_url, "--until-head", "--quiet"]
    assert main(command) == 0
    assert len(dump(engine, populated.registry.address)["units"]) == 6
    # After a crash or a restart: the same communities, each from its own checkpoint, nothing twice.
    rpc = RpcClient(rpc_url, timeout_s=5, max_retries=2, backoff_s=0.05, backoff_max_s=0.2)
    again = DistrictIndexer(district.address, first_block, abis_of(manifest_dict(populated, "local")), engine, rpc,
                            settings)
    assert again.sync() == 0 and set(again.communities) == {populated.registry.address.lower()}
    assert len(dump(engine, populated.registry.address)["units"]) == 6
    rpc.close()


def test_a_community_the_factory_builds_mid_follow_is_followed_from_its_first_step(
        populated, project, chain, committee, owner_a, owner_b, owner_c, engine, settings, rpc_url):
    """A community built by the district's CommunityFactory is listed three blocks after
    its first step; the indexer backfills it from that first step, so the roles the
    factory held while it built (the assembly's, the committee's) and gave away are in the
    index, and the committee Safe's first act is too."""
    from backend.chain.community_factory import build_community, deploy_factory, enable_factory
    from backend.chain.safe import safe_at
    from backend.db.models import RoleMember

    district = committee.deploy(project.DistrictRegistry, committee.address)
    first_block = chain.blocks.head.number
    list_in(district, populated, committee)
    factory = deploy_factory(project, chain, committee, district)
    enable_factory(district, factory, [committee], lambda method, *args: method(*args, sender=committee))
    chain.mine(ANVIL_FINALITY)
    rpc = RpcClient(rpc_url, timeout_s=5, max_retries=2, backoff_s=0.05, backoff_max_s=0.2)
    built = build_community(project, chain, factory, committee, name="四川北路小区", street="四川北路街道",
                            committee_members=[owner_a, owner_b, owner_c], committee_threshold=2)
    town = built.community
    follower = DistrictIndexer(district.address, first_block, abis_of(manifest_dict(town, "local")), engine, rpc,
                               settings)
    follower.sync()
    chain.mine(ANVIL_FINALITY)
    follower.sync()
    registry = town.registry.address.lower()
    assert registry in follower.communities
    assert follower.communities[registry].start_block == built.receipts[0].block_number < \
        built.receipts[-1].block_number
    t = RoleMember.__table__
    with engine.connect() as conn:
        holders = {(row.role, row.account) for row in conn.execute(select(t).where(t.c.community == registry))}
    safe = town.committee.lower()
    assert ("0x" + keccak_hex("linli.role.committee"), safe) in holders
    assert ("0x" + keccak_hex("linli.role.assembly"), town.extra["AssemblyTimelock"].address.lower()) in holders
    assert not {account for _, account in holders} & {factory.address.lower(), committee.address.lower()}
    assert safe_at(town.committee).getThreshold() == 2
    rpc.close()


def keccak_hex(text: str) -> str:
    from eth_utils import keccak

    return keccak(text=text).hex()


class CountingRpc(RpcClient):
    """The node, counting what each request asks (a batch counts each of its calls)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked: list[str] = []

    def call(self, method, params=(), **kwargs):
        self.asked.append(method)
        return super().call(method, params, **kwargs)

    def batch(self, calls):
        self.asked += [method for method, _ in calls]
        return super().batch(calls)


def test_a_step_asks_the_head_once_and_skips_the_communities_at_it(populated, project, chain, committee, owner_a,
                                                                    deploy_other, engine, settings, rpc_url,
                                                                    monkeypatch):
    """With several communities, a step asks the node for the head, the finalized block and
    the new block's header once, not once per community; a community already at the head
    block is not stepped again until the head moves, or is replaced by another block of the
    same height (a reorganisation at the head), which is then indexed."""
    from backend.indexer.core import Indexer

    district = committee.deploy(project.DistrictRegistry, committee.address)
    first_block = chain.blocks.head.number
    others = [deploy_other(f"第{i}小区") for i in range(3)]
    for community in (populated, *others):
        list_in(district, community, committee)
    chain.mine(ANVIL_FINALITY)
    rpc = CountingRpc(rpc_url, timeout_s=5, max_retries=2, backoff_s=0.05, backoff_max_s=0.2)
    follower = DistrictIndexer(district.address, first_block, abis_of(manifest_dict(populated, "local")), engine,
                               rpc, settings)
    follower.sync()
    assert len(follower.communities) == 4
    stepped: list[str] = []
    real_plan = Indexer.plan

    def counted(self, checkpoint=None):
        stepped.append(self.community)
        return real_plan(self, checkpoint)

    monkeypatch.setattr(Indexer, "plan", counted)
    commits = []

    def committed(conn):
        commits.append(conn)

    event.listen(engine, "commit", committed)
    chain.mine(1)
    rpc.asked.clear()
    assert len(follower.step()) == 4 and len(stepped) == 4
    event.remove(engine, "commit", committed)
    shared = [m for m in rpc.asked if m in ("eth_blockNumber", "eth_getBlockByNumber")]
    logs = rpc.asked.count("eth_getLogs")
    # discovery's own head and final block, the step's head, the finalized block, the new block's header
    assert len(shared) <= 6, rpc.asked
    # The registry's (discovery), then one for every community's contracts over the block.
    assert logs == 1 + 1
    # The four communities' block written in one transaction (discovery found no listing: none).
    assert len(commits) == 1
    stepped.clear()
    assert follower.step() == [] and stepped == []  # all at this head: none stepped

    # A catch-up (40 blocks: after a stop) is not shared: each asks its own range, sized to its events.
    chain.mine(40)
    rpc.asked.clear()
    follower.sync()
    assert rpc.asked.count("eth_getLogs") == 1 + 4
    stepped.clear()

    # The head replaced by another block of the same height, holding a unit of the first community.
    before = chain.snapshot()
    chain.mine(1)
    follower.step()
    stepped.clear()
    assert follower.step() == [] and stepped == []
    chain.restore(before)
    populated.registry.register_unit("8-8-808", 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)
    follower.sync()
    assert len(stepped) >= 4
    assert "8-8-808" in [dict(row)["label"] for row in dump(engine, populated.registry.address)["units"]]
    rpc.close()


class FaultyLogsRpc(RpcClient):
    """The node, except that the next getLogs request naming more than `wide` contracts
    (the district's shared request) is cut short (answers no log) or refused."""

    def __init__(self, *args, wide: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.wide, self.fault = wide, None

    def get_logs(self, addresses, from_block, to_block, topics=None):
        fault, self.fault = (self.fault, None) if len(addresses) > self.wide else (None, self.fault)
        if fault == "cut":
            # A node behind answers a range past its head with the logs it has: none here.
            return check_logs([], frozenset(a.lower() for a in addresses), from_block, to_block)
        if fault == "refuse":
            raise RangeTooLarge("query returned more than 10000 results", -32005)
        if fault == "unavailable":  # a gateway's 413 or timeout on a large request, after every retry
            raise RpcUnavailable("the node gives no usable answer: 413 Request Entity Too Large")
        return super().get_logs(addresses, from_block, to_block, topics)


def test_a_shared_step_loses_nothing_to_a_short_reply_a_refusal_or_a_failed_write(
        populated, project, chain, committee, owner_a, deploy_other, engine, settings, rpc_url):
    """Following, a district step asks every community's logs in one request and writes
    every community's block in one transaction. A shared reply cut short (a node behind)
    is caught by the communities whose blocks' blooms name their contracts, who ask the
    node again: nothing is written short. A shared request the node refuses leaves each
    community asking for its own. A write that fails in one community (a crash, the
    database gone) undoes the step's writes of every community, and the next step writes
    them all, once."""
    from backend.indexer.core import Indexer

    district = committee.deploy(project.DistrictRegistry, committee.address)
    first_block = chain.blocks.head.number
    other = deploy_other("凉城小区")
    for community in (populated, other):
        list_in(district, community, committee)
    chain.mine(ANVIL_FINALITY)
    armed: list[str] = []

    def crash_when_armed(point):
        if armed:
            raise RuntimeError(f"killed at {point}")

    def make(manifest):
        indexer = Indexer(manifest, engine, follower.step_rpc, settings,
                          fault_hook=crash_when_armed if manifest["community"] == other.registry.address else None)
        indexer.prepare()
        return indexer

    rpc = FaultyLogsRpc(rpc_url, wide=10**6, timeout_s=5, max_retries=2, backoff_s=0.05, backoff_max_s=0.2)
    follower = DistrictIndexer(district.address, first_block, abis_of(manifest_dict(populated, "local")), engine,
                               rpc, settings, make_indexer=make)
    follower.sync()
    keys = [populated.registry.address.lower(), other.registry.address.lower()]
    rpc.wide = max(len(indexer.addresses) for indexer in follower.communities.values())

    def units(community) -> list[str]:
        return sorted(dict(row)["label"] for row in dump(engine, community.registry.address)["units"])

    def checkpoints() -> list[int]:
        return [follower.communities[key].checkpoint()[0] for key in keys]

    # A shared reply cut short: the unit's block is not written without its log.
    populated.registry.register_unit("8-8-801", 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)
    block = chain.blocks.head.number
    rpc.fault = "cut"
    follower.step()
    assert rpc.fault is None  # the shared request was asked, and cut short
    # The community with the unit asked again (its block's bloom names its registry) and wrote nothing.
    assert checkpoints() == [block - 1, block] and "8-8-801" not in units(populated)
    follower.sync()
    assert "8-8-801" in units(populated) and checkpoints() == [block, block]

    # A shared request refused, or not answered: each community asks for its own, and the
    # next shared requests are half the size (here: too small for two communities, so none).
    for label, fault in (("8-8-802", "refuse"), ("8-8-812", "unavailable")):
        follower._share_size = 1_000  # as after SHARED_LOGS_REGROW requests answered
        other.registry.register_unit(label, 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)
        rpc.fault = fault
        follower.step()
        assert rpc.fault is None and label in units(other)
        assert checkpoints() == [chain.blocks.head.number] * 2
        rpc.fault = "cut"
        other.registry.register_unit(label + "b", 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)
        follower.step()
        assert rpc.fault == "cut" and label + "b" in units(other)  # no shared request was made
        rpc.fault = None

    # One community the node refuses (its history pruned): the other's block is written in
    # the same step; the refused one rests, reported on /health, and is asked again after.
    populated.registry.register_unit("8-8-805", 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)
    other.registry.register_unit("8-8-806", 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)
    failing = follower.communities[keys[0]]

    def pruned(checkpoint=None):
        raise RpcError("missing trie node (pruned history)", 4444, "eth_getLogs")

    failing.plan = pruned
    stuck = checkpoints()[0]
    follower.step()
    assert checkpoints() == [stuck, chain.blocks.head.number]
    assert "8-8-806" in units(other) and "8-8-805" not in units(populated)
    with engine.connect() as conn:
        status = {row.community: row for row in conn.execute(select(IndexerStatus))}
    assert not status[keys[0]].node_reachable and "pruned history" in status[keys[0]].last_error
    with pytest.raises(RpcError, match="pruned"):  # sync: every community at the head, or why not
        follower.sync()
    del failing.plan
    time.sleep(settings.rpc_backoff_max_s)
    follower.sync()
    assert "8-8-805" in units(populated) and checkpoints() == [chain.blocks.head.number] * 2

    # A community whose plan fails otherwise (a log it cannot read) goes last: from the next
    # step on, the others' blocks are written before its error reaches `follow`.
    follower.communities = dict(sorted(follower.communities.items(), key=lambda kv: kv[0] != keys[0]))
    populated.registry.register_unit("8-8-807", 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)
    other.registry.register_unit("8-8-808", 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)

    def unreadable(checkpoint=None):
        raise RpcUnavailable("eth_getLogs answered with a log the indexer cannot read")

    failing.plan = unreadable
    stuck = checkpoints()[0]
    for _ in range(2):
        with pytest.raises(RpcUnavailable, match="cannot read"):
            follower.step()
    assert checkpoints() == [stuck, chain.blocks.head.number] and list(follower.communities) == [keys[1], keys[0]]
    del failing.plan
    follower.sync()
    assert "8-8-807" in units(populated) and "8-8-808" in units(other)

    # One community's write fails: neither community's block is written; the next step writes both.
    before = checkpoints()
    populated.registry.register_unit("8-8-803", 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)
    other.registry.register_unit("8-8-804", 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)
    armed.append("yes")
    with pytest.raises(RuntimeError, match="killed at after_rows"):
        follower.step()
    assert checkpoints() == before
    assert "8-8-803" not in units(populated) and "8-8-804" not in units(other)
    armed.clear()
    follower.sync()
    assert checkpoints() == [chain.blocks.head.number] * 2
    assert units(populated).count("8-8-803") == 1 and units(other).count("8-8-804") == 1
    rpc.close()
