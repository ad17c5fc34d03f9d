"""The street office lists the district's communities: what an entry holds, the events
an indexer discovers a community by, unique names, and retiring a mistaken entry."""

from __future__ import annotations

import pytest

from backend.chain.district import DistrictError, check_name, community_entries
from backend.chain.safe import SafeCallReverted
from tests.district.conftest import STREET

REASON = b"\x11" * 32


def pairs(contracts):
    """(name, checksummed address) of listed contracts, from a view (structs) or an event (tuples)."""
    from eth_utils import to_checksum_address

    return [(getattr(c, "name", None) or c[0], to_checksum_address(getattr(c, "at", None) or c[1])) for c in contracts]


def refused(district, reason, method, *args):
    """The street office's own call is refused with `reason`."""
    with pytest.raises(SafeCallReverted) as info:
        district.send(method, *args)
    assert info.value.reason == reason


def test_a_listed_community_is_found_by_name_and_by_its_registry(district, chain):
    registry, jiaxing = district.registry, district.jiaxing
    receipt = district.send(registry.add_community, *district.entry(jiaxing))
    [added] = receipt.decode_logs(registry.CommunityAdded)
    assert added.id == 1 and added.registry == jiaxing.registry.address
    assert (added.name, added.street, added.deploy_block) == ("嘉兴小区", STREET, jiaxing.deploy_block)
    # The event alone names every contract, so an indexer needs no manifest file.
    assert pairs(added.contracts) == community_entries(jiaxing)
    assert {name for name, _ in pairs(added.contracts)} == {"HouseholdRegistry", "CommunityPoints"}

    entry = registry.community(1)
    assert (entry.name, entry.street, entry.registry, entry.deploy_block, entry.retired) == (
        "嘉兴小区", STREET, jiaxing.registry.address, jiaxing.deploy_block, False)
    assert pairs(registry.contracts_of(1)) == community_entries(jiaxing)
    assert registry.community_id("嘉兴小区") == 1 and registry.community_id("凉城小区") == 0
    assert registry.community_of(jiaxing.registry.address) == 1
    assert registry.community_count() == 1

    district.send(registry.add_community, *district.entry(district.liangcheng))
    assert registry.community_id("凉城小区") == 2 and registry.community_count() == 2


def test_names_are_unique_in_the_district(district):
    registry = district.registry
    district.send(registry.add_community, *district.entry(district.jiaxing))
    # Another community under a listed name.
    refused(district, "district: name taken", registry.add_community,
            *district.entry(district.liangcheng, name="嘉兴小区"))
    # The same community twice, under another name.
    refused(district, "district: community already listed", registry.add_community,
            *district.entry(district.jiaxing, name="嘉兴小区二期"))


def test_an_incomplete_or_impossible_entry_is_refused(district, chain, attacker):
    registry, liangcheng = district.registry, district.liangcheng
    name, street, anchor, block, contracts = district.entry(liangcheng)
    cases = [
        ("district: name empty", ("", street, anchor, block, contracts)),
        ("district: street empty", (name, "", anchor, block, contracts)),
        ("district: registry has no code", (name, street, attacker.address, block, contracts)),
        ("district: deploy block in the future", (name, street, anchor, chain.blocks.head.number + 10, contracts)),
        ("district: no contracts", (name, street, anchor, block, [])),
        ("district: contract name empty", (name, street, anchor, block, [("", anchor)])),
        ("district: contract address empty", (name, street, anchor, block,
                                              [("HouseholdRegistry", "0x" + "00" * 20)])),
    ]
    for reason, args in cases:
        refused(district, reason, registry.add_community, *args)
    assert registry.community_count() == 0


def test_names_are_stripped_and_bounded_before_they_are_sent():
    assert check_name("name", "  嘉兴小区 ") == "嘉兴小区"
    with pytest.raises(DistrictError, match="empty"):
        check_name("name", "   ")
    # 22 Chinese characters are 66 bytes in UTF-8: over the registry's 64.
    with pytest.raises(DistrictError, match="longer than 64 bytes"):
        check_name("street", "街" * 22)


def test_a_mistaken_entry_is_retired_and_its_name_taken_again(district):
    registry, jiaxing, liangcheng = district.registry, district.jiaxing, district.liangcheng
    # Liangcheng listed by mistake under Jiaxing's name.
    district.send(registry.add_community, *district.entry(liangcheng, name="嘉兴小区"))
    receipt = district.send(registry.retire_community, 1, REASON)
    [retired] = receipt.decode_logs(registry.CommunityRetired)
    assert (retired.id, retired.registry, retired.name, retired.reason_hash) == (
        1, liangcheng.registry.address, "嘉兴小区", REASON)
    assert registry.community(1).retired
    assert registry.community_id("嘉兴小区") == 0 and registry.community_of(liangcheng.registry.address) == 0

    # Both corrected entries: the name and the registry are free again; ids are never reused.
    district.send(registry.add_community, *district.entry(jiaxing))
    district.send(registry.add_community, *district.entry(liangcheng))
    assert registry.community_id("嘉兴小区") == 2 and registry.community_id("凉城小区") == 3
    assert registry.community(1).retired and not registry.community(2).retired

    refused(district, "district: community already retired", registry.retire_community, 1, REASON)
    refused(district, "district: no such community", registry.retire_community, 4, REASON)
    refused(district, "district: no such community", registry.retire_community, 0, REASON)


def test_unknown_ids_are_refused_by_the_views(district):
    import ape

    with ape.reverts("district: no such community"):
        district.registry.community(1)
    with ape.reverts("district: no such community"):
        district.registry.contracts_of(0)


def test_the_street_office_is_the_owner_and_cannot_be_empty(district, project, chain, committee):
    from tests.utils.reverts import assert_deploy_reverts

    assert district.registry.owner() == district.office.address
    assert_deploy_reverts(chain, project.DistrictRegistry, ["0x" + "00" * 20], committee,
                          "district: street office empty")
    # No renounce: a district without its street office could list nothing more.
    names = {abi.name for abi in district.registry.contract_type.abi if abi.type == "function"}
    assert not [name for name in names if name.startswith("renounce")]
