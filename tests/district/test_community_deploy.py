"""A whole community deployed and listed on a shared chain: every transaction of its
deploy and of its listing stays under Osaka's per-transaction cap (EIP-7825), and the
community's manifest read back from the district registry by name is the manifest the
deploy wrote (same contracts, same ABIs), so the scripts and an indexer need no file."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from backend.chain.deployment import deploy_full_community, manifest_dict
from backend.chain.district import (
    DistrictError,
    check_name_free,
    manifest_from_district,
    register_community,
    street_office_caller,
)
from tests.district.conftest import STREET

TX_GAS_CAP = 16_777_216  # EIP-7825


def gas_used_since(chain, first_block):
    """(block, gas used) of every transaction from `first_block` to the head."""
    web3 = chain.provider.web3
    used = []
    for number in range(first_block, chain.blocks.head.number + 1):
        for tx_hash in web3.eth.get_block(number)["transactions"]:
            used.append((number, web3.eth.get_transaction_receipt(tx_hash)["gasUsed"]))
    return used


@pytest.fixture(scope="module")
def listed_town(project, chain, committee, owner_a, owner_b, owner_c, district):
    first = chain.blocks.head.number + 1
    town = deploy_full_community(project, chain, committee, name="曲阳小区",
                                 committee_members=[owner_a, owner_b, owner_c], committee_threshold=2)
    deployed = gas_used_since(chain, first)
    listing_first = chain.blocks.head.number + 1
    send = street_office_caller(chain, district.registry, committee,
                                member_keys=[owner_a.private_key, owner_b.private_key])
    community_id = register_community(district.registry, town, STREET, send)
    return SimpleNamespace(community=town, id=community_id, deployed=deployed,
                           listing=gas_used_since(chain, listing_first))


def test_no_transaction_of_a_community_deploy_exceeds_the_cap(listed_town):
    deployed, listing = listed_town.deployed, listed_town.listing
    total = sum(gas for _, gas in deployed)
    print(f"\ncommunity deploy: {len(deployed)} transactions, {total:,} gas, "
          f"largest {max(gas for _, gas in deployed):,}; listing {listing[0][1]:,}")
    assert len(deployed) >= 30  # every contract, the Safe, the wiring, the hand-over
    over = [(block, gas) for block, gas in deployed + listing if gas > TX_GAS_CAP]
    assert not over, over
    assert len(listing) == 1  # one Safe transaction of the street office


def test_a_whole_community_fits_in_an_entry(listed_town, district):
    """Room to spare for the contracts a community will gain (a paper ballot's, …)."""
    listed = district.registry.contracts_of(listed_town.id)
    assert len(listed) == len(listed_town.community.contracts())
    assert len(listed) + 8 <= district.registry.MAX_CONTRACTS()


def test_the_manifest_read_back_by_name_is_the_deployed_one(listed_town, project, chain, district):
    written = manifest_dict(listed_town.community, "local")
    read = manifest_from_district(project, chain, district.registry, " 曲阳小区 ", "local")
    assert read["contracts"] == written["contracts"]
    for key in ("name", "chain_id", "deploy_block", "community", "version"):
        assert read[key] == written[key], key
    assert (read["street"], read["district"], read["district_id"]) == (STREET, district.registry.address,
                                                                      listed_town.id)


def test_a_name_the_district_lists_is_refused_before_anything_is_deployed(listed_town, district, project, chain):
    with pytest.raises(DistrictError, match="already lists a community named '曲阳小区'"):
        check_name_free(district.registry, "曲阳小区")
    check_name_free(district.registry, "大柏树小区")
    with pytest.raises(DistrictError, match="lists no community named '大柏树小区'"):
        manifest_from_district(project, chain, district.registry, "大柏树小区", "local")


def test_the_street_office_keys_must_be_its_members_and_enough(district, chain, committee, owner_a):
    from eth_account import Account

    from backend.chain.safe import SafeError

    stranger = "0x" + Account.create().key.hex().removeprefix("0x")
    with pytest.raises(SafeError, match="non-members"):
        street_office_caller(chain, district.registry, committee, member_keys=[stranger])
    with pytest.raises(SafeError, match="needs 2 members' signatures"):
        street_office_caller(chain, district.registry, committee, member_keys=[owner_a.private_key])


def test_the_next_community_shares_the_safe_infrastructure(listed_town, project, chain, committee, owner_a,
                                                            owner_b, district):
    """A district's second community makes its committee Safe on the Safe infrastructure
    its first one listed: four contracts (and their gas) not deployed again."""
    from backend.chain.district import shared_safe_infrastructure
    from backend.chain.safe import INFRASTRUCTURE

    shared = shared_safe_infrastructure(district.registry)
    first = {name: listed_town.community.contracts()[name].address for name in INFRASTRUCTURE}
    assert shared == first
    start = chain.blocks.head.number + 1
    second = deploy_full_community(project, chain, committee, name="大柏树小区", committee_members=[owner_a, owner_b],
                                   committee_threshold=2, safe_infrastructure=shared)
    used = gas_used_since(chain, start)
    assert {name: second.contracts()[name].address for name in INFRASTRUCTURE} == first
    assert len(used) == len(listed_town.deployed) - len(INFRASTRUCTURE)
    print(f"\nsecond community: {len(used)} transactions, {sum(g for _, g in used):,} gas "
          f"(first {sum(g for _, g in listed_town.deployed):,})")
    # Its Safe works: the committee acts through it.
    from backend.chain.safe import SafeCommittee, safe_infrastructure_at

    safe = SafeCommittee(second.contracts()["CommitteeSafe"], chain, safe_infrastructure_at(chain, shared))
    assert not safe.call(second.registry.register_units, [("1-1-101", 8_000, owner_a.address, b"\x01" * 32)],
                         signers=[owner_a, owner_b]).failed
    assert second.registry.unit_count() == 1
