"""A district on one chain: its registry owned by the street office's Safe (a 2-of-3 Safe
of three of its staff), and two small communities deployed but not listed yet.

One deployment per module; Ape reverts the chain after each test."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from backend.chain.deployment import deploy_community
from backend.chain.district import community_entries, deploy_district
from backend.chain.safe import SafeCommittee

STREET = "嘉兴路街道"


@pytest.fixture(scope="module")
def district(project, chain, committee, owner_a, owner_b, owner_c, attacker):
    """{registry, office (the street office's SafeCommittee), staff, send (as the street
    office), jiaxing and liangcheng (deployed communities), entry(community)}."""
    # `attacker` too: a session fixture first set up inside a test would break Ape's isolation.
    staff = [owner_a, owner_b, owner_c]
    registry, owner = deploy_district(project, chain, committee, members=staff, threshold=2)
    office = SafeCommittee.at(chain, owner)
    jiaxing = deploy_community(project, chain, committee, name="嘉兴小区")
    liangcheng = deploy_community(project, chain, committee, name="凉城小区")

    def send(method, *args):
        return office.call(method, *args, signers=[owner_a, owner_b], sender=committee)

    def entry(community, name=None, street=STREET):
        """The add_community arguments that list `community`."""
        return (name or community.name, street, community.registry.address, community.deploy_block,
                community_entries(community))

    return SimpleNamespace(registry=registry, office=office, staff=staff, send=send, jiaxing=jiaxing,
                           liangcheng=liangcheng, entry=entry)
