"""The committee's point grants within the yearly allowance only the assembly sets, and the
public constants and views of the power contracts agreeing with what the backend assumes."""

from __future__ import annotations

import ape
import pytest

from backend.chain.constitution import FORBIDDEN, MAJOR, ORDINARY, POWERS
from backend.chain.deployment import ASSEMBLY_ROLE, role_id
from backend.chain.safe import SafeCallReverted
from tests.assembly.helpers import OTHER_COMMON, propose
from tests.power.test_constitution import calldata
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


def test_the_constitutions_classes_are_the_backends(town):
    c = town.constitution
    assert (c.CLASS_UNLISTED(), c.CLASS_ORDINARY(), c.CLASS_MAJOR(), c.CLASS_FORBIDDEN()) == (0, ORDINARY, MAJOR, FORBIDDEN)
    # class_of is the table as written; the assembly's call_class adds its fixed rules on top
    # (its own, the constitution's and the timelock's calls), so compare on the other contracts.
    fixed = {"OwnersAssembly", "Constitution", "AssemblyTimelock"}
    checked = 0
    for power in POWERS:
        if power.vote is None or power.contract in fixed or power.contract not in town.contracts:
            continue
        target = town.contracts[power.contract]
        assert c.class_of(target, calldata(target, power)) == power.vote, power
        checked += 1
    assert checked > 20
    # An unlisted call counts as major.
    assert c.class_of(town.points, b"\xde\xad\xbe\xef") == MAJOR


def test_the_treasurys_and_fees_codes_agree(town):
    fees, treasury = town.fees, town.contracts["CommunityTreasury"]
    codes = ("FUND_FEE_INCOME", "FUND_PUBLIC_INCOME", "FUND_MAINTENANCE", "MODE_LUMP_SUM", "MODE_COMMISSION")
    assert [getattr(fees, n)() for n in codes] == [getattr(treasury, n)() for n in codes] == [0, 1, 2, 1, 2]
    emergencies = (treasury.EMERGENCY_ELEVATOR(), treasury.EMERGENCY_ROOF_LEAK(), treasury.EMERGENCY_FIRE_SYSTEM(),
                   treasury.EMERGENCY_WATER_SUPPLY(), treasury.EMERGENCY_FACADE(), treasury.EMERGENCY_OTHER_DANGER())
    # The six situations of the second seed's emergency list, numbered from 1 (0 is none).
    assert emergencies == (1, 2, 3, 4, 5, 6)


def test_the_registrys_role_ids_are_the_backends(town):
    assert town.registry.ASSEMBLY_ROLE() == ASSEMBLY_ROLE == role_id("assembly")
    assert town.registry.CASHIER_ROLE() == role_id("cashier")


def test_the_guard_knows_the_one_batch_contract_and_the_setup_does_nothing_on_its_own(
        town, project, attacker):
    assert town.contracts["CommitteeGuard"].multi_send_call_only() == town.contracts["MultiSendCallOnly"].address
    # The setup contract is only code for the Safe to run by delegate call during its setup;
    # called directly it has nothing to enable (it is no Safe) and refuses.
    setup = project.CommitteeSafeSetup.deploy(sender=attacker)
    with ape.reverts():
        setup.enable_assembly(attacker.address, attacker.address, sender=attacker)
