"""The committee's point grants within the yearly allowance only the assembly sets, end to
end: the committee is the Safe, the allowance a major vote carried out by the timelock."""

from __future__ import annotations

import ape
import pytest

from backend.chain.constitution import MAJOR
from backend.chain.safe import SafeCallReverted
from tests.assembly.helpers import OTHER_COMMON, propose
from tests.power.test_sovereignty import enact, vote

GRANT = 1  # CommunityPoints.REASON_COMMITTEE_GRANT


def test_the_committee_grants_only_within_the_allowance_the_assembly_sets(
        town, chain, owner_a, owner_b, owner_c, developer, tenant):
    points, safe, members = town.points, town.safe, town.members[:2]
    assert points.grant_allowance() == 0 and points.granted_this_year() == 0
    # Without an allowance the committee grants nothing.
    with pytest.raises(SafeCallReverted, match="over the committee's yearly grant allowance"):
        safe.call(points.mint, tenant.address, 1, GRANT, signers=members)
    # Attack: the committee (or one member) raises its own allowance.
    with pytest.raises(SafeCallReverted, match="points: assembly only"):
        safe.call(points.set_grant_allowance, 10**6, signers=members)
    with ape.reverts("points: assembly only"):
        points.set_grant_allowance(10**6, sender=owner_a)
    # The owners set it: a major matter, three quarters.
    assert town.assembly.call_class(points, points.set_grant_allowance.encode_input(500)) == MAJOR
    p = propose(town.assembly, owner_a, chain, matter=OTHER_COMMON,
                calls=[(points, 0, points.set_grant_allowance.encode_input(500))])
    vote(town, chain, p, yes=[owner_a, owner_b, owner_c], no=[developer])
    enact(town, chain, p, developer)
    assert points.grant_allowance() == 500
    safe.call(points.mint, tenant.address, 300, GRANT, signers=members)
    assert points.granted_this_year() == 300 and points.balanceOf(tenant) == 300
    with pytest.raises(SafeCallReverted, match="over the committee's yearly grant allowance"):
        safe.call(points.mint, tenant.address, 201, GRANT, signers=members)
    safe.call(points.mint, tenant.address, 200, GRANT, signers=members)
    assert points.granted_this_year() == 500
    # A grant is the committee's or the assembly's: another minter cannot use its reason.
    with ape.reverts("points: grants by the committee only"):
        points.mint(tenant, 1, GRANT, sender=owner_a)
