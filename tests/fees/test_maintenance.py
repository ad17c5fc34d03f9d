"""The maintenance fund (专项维修资金): only governance moves it, in milestones."""

import ape

from tests.fees.conftest import h

ZERO = "0x" + "0" * 40


def fill_fund(fees, owner_b, amount=1_000_000):
    fees.deposit_maintenance(amount, h("levy-2026"), sender=owner_b)


def test_set_governance_once_by_committee_then_by_governance(in_force, committee, governance, attacker, manager, accounts):
    fees = in_force
    with ape.reverts("fees: governance only"):
        fees.set_governance(attacker, sender=attacker)
    with ape.reverts("fees: governance only"):
        fees.set_governance(manager, sender=manager)
    with ape.reverts("fees: governance is the zero address"):
        fees.set_governance(ZERO, sender=committee)
    tx = fees.set_governance(governance, sender=committee)
    [log] = tx.decode_logs(fees.GovernanceSet)
    assert (log.previous, log.governance, log.set_by) == (ZERO, governance.address, committee.address)
    assert fees.governance() == governance.address
    # Once set, the committee can no longer change it.
    with ape.reverts("fees: governance only"):
        fees.set_governance(committee, sender=committee)
    with ape.reverts("fees: governance only"):
        fees.set_governance(attacker, sender=attacker)
    # The governance itself may hand over (e.g. to a new timelock).
    tx = fees.set_governance(attacker, sender=governance)
    assert tx.decode_logs(fees.GovernanceSet)[0].previous == governance.address
    assert fees.governance() == attacker.address


def test_set_maintenance_share(governed, governance, committee, manager, attacker, owner_a):
    fees = governed
    tx = fees.set_maintenance_share(2_500, sender=governance)
    [log] = tx.decode_logs(fees.MaintenanceShareSet)
    assert (log.bps, log.set_by) == (2_500, governance.address)
    assert fees.maintenance_share() == 2_500
    for who in (committee, manager, attacker):
        with ape.reverts("fees: governance only"):
            fees.set_maintenance_share(0, sender=who)
    with ape.reverts("fees: bps out of range"):
        fees.set_maintenance_share(10_001, sender=governance)
    tx = fees.pay(1, 1, 10**9, sender=owner_a)
    [paid] = tx.decode_logs(fees.FeePaid)
    assert paid.to_maintenance == paid.amount * 2_500 // 10_000
    assert fees.maintenance_fund() == paid.to_maintenance


def test_share_cannot_be_set_before_governance_exists(in_force, committee):
    with ape.reverts("fees: governance only"):
        in_force.set_maintenance_share(0, sender=committee)


def test_deposit_maintenance(in_force, owner_b, token):
    fees = in_force
    tx = fees.deposit_maintenance(500_000, h("levy"), sender=owner_b)
    [log] = tx.decode_logs(fees.MaintenanceDeposited)
    assert (log.depositor, log.amount, log.source) == (owner_b.address, 500_000, h("levy"))
    assert fees.maintenance_fund() == 500_000
    assert token.balanceOf(fees) == 500_000
    assert fees.fee_income() == 0 and fees.public_income() == 0
    with ape.reverts("fees: zero amount"):
        fees.deposit_maintenance(0, h("levy"), sender=owner_b)


def test_project_with_milestones(governed, governance, owner_b, provider, token):
    fees = governed
    fill_fund(fees, owner_b)
    tx = fees.approve_maintenance_project(provider, [300_000, 600_000, 100_000], h("elevator"), sender=governance)
    [log] = tx.decode_logs(fees.MaintenanceProjectApproved)
    assert (log.project_id, log.payee, log.total, list(log.milestones), log.doc_hash, log.reserved_after) == (
        1, provider.address, 1_000_000, [300_000, 600_000, 100_000], h("elevator"), 1_000_000
    )
    assert fees.maintenance_reserved() == 1_000_000
    assert fees.maintenance_project_count() == 1
    assert list(fees.milestones(1)) == [300_000, 600_000, 100_000]
    # Nothing unreserved is left for another project.
    with ape.reverts("fees: maintenance fund too small"):
        fees.approve_maintenance_project(provider, [1], h("roof"), sender=governance)

    for index, (amount, remaining) in enumerate([(300_000, 700_000), (600_000, 100_000), (100_000, 0)]):
        tx = fees.release_milestone(1, sender=governance)
        [log] = tx.decode_logs(fees.MilestoneReleased)
        assert (log.project_id, log.payee, log.index, log.amount, log.remaining) == (1, provider.address, index, amount, remaining)
    assert token.balanceOf(provider) == 1_000_000
    assert fees.maintenance_fund() == 0 and fees.maintenance_reserved() == 0
    project = fees.maintenance_projects(1)
    assert (project.released, project.paid) == (3, 1_000_000)
    with ape.reverts("fees: project fully paid"):
        fees.release_milestone(1, sender=governance)


def test_project_refusals(governed, governance, owner_b, provider):
    fees = governed
    fill_fund(fees, owner_b, 1_000)
    with ape.reverts("fees: maintenance fund too small"):
        fees.approve_maintenance_project(provider, [600, 401], h("x"), sender=governance)
    with ape.reverts("fees: no milestones"):
        fees.approve_maintenance_project(provider, [], h("x"), sender=governance)
    with ape.reverts("fees: zero milestone"):
        fees.approve_maintenance_project(provider, [10, 0], h("x"), sender=governance)
    with ape.reverts("fees: payee is the zero address"):
        fees.approve_maintenance_project(ZERO, [10], h("x"), sender=governance)
    with ape.reverts("fees: unknown project"):
        fees.release_milestone(1, sender=governance)
    fees.approve_maintenance_project(provider, [600, 400], h("x"), sender=governance)
    assert fees.maintenance_reserved() == 1_000


def test_manager_and_committee_cannot_touch_the_fund(governed, governance, committee, manager, attacker, owner_b, provider):
    fees = governed
    fill_fund(fees, owner_b)
    fees.approve_maintenance_project(provider, [100], h("x"), sender=governance)
    for who in (manager, committee, attacker):
        with ape.reverts("fees: governance only"):
            fees.approve_maintenance_project(who, [1], h("y"), sender=who)
        with ape.reverts("fees: governance only"):
            fees.release_milestone(1, sender=who)
        with ape.reverts("fees: governance only"):
            fees.set_maintenance_share(10_000, sender=who)
    assert fees.maintenance_fund() == 1_000_000


def test_nobody_moves_the_fund_before_governance_is_set(in_force, committee, owner_b, provider):
    fees = in_force
    fill_fund(fees, owner_b)
    with ape.reverts("fees: governance only"):
        fees.approve_maintenance_project(provider, [1], h("y"), sender=committee)
    with ape.reverts("fees: governance only"):
        fees.release_milestone(1, sender=committee)
