"""One indexer for the district (backend/indexer/district.py): the communities come from
the district registry's `CommunityAdded` events, a community listed mid-follow is
discovered at the next step and backfilled from its deploy block (no restart, no
manifest file), a listing is followed only once final, and a retired entry is no longer
followed."""

from __future__ import annotations

from backend.chain.deployment import manifest_dict
from backend.chain.district import community_entries
from backend.indexer.district import DistrictIndexer, abis_of
from backend.indexer.rpc import RpcClient
from tests.backend.helpers import dump
from tests.utils.identity import commitment_for

# anvil answers the "finalized" tag with the head less 64 blocks.
ANVIL_FINALITY = 64


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

    # A retired entry is no longer followed; what was indexed of it stays.
    district.retire_community(2, b"\x01" * 32, sender=committee)
    chain.mine(ANVIL_FINALITY)
    other.registry.register_unit("2-1-102", 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)
    follower.sync()
    assert set(follower.communities) == {first}
    assert [dict(row)["label"] for row in dump(engine, other.registry.address)["units"]] == ["2-1-101"]
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
