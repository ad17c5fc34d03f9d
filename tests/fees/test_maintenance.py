"""The maintenance fund (专项维修资金): deposits into PropertyFees; projects the
assembly approves and releases in milestones through CommunityTreasury."""

import ape

from tests.fees.conftest import MAINTENANCE, ZERO, h


def fill_fund(fees, owner_b, amount=1_000_000):
    fees.deposit_maintenance(amount, h("levy-2026"), sender=owner_b)


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


def test_project_with_milestones(in_force, treasury, committee, owner_b, provider, token):
    fees = in_force
    fill_fund(fees, owner_b)
    tx = treasury.approve_maintenance_project(provider, [300_000, 600_000, 100_000], h("elevator"), sender=committee)
    [log] = tx.decode_logs(treasury.MaintenanceProjectApproved)
    assert (log.project_id, log.payee, log.total, list(log.milestones), log.doc_hash, log.reserved_after) == (
        1, provider.address, 1_000_000, [300_000, 600_000, 100_000], h("elevator"), 1_000_000
    )
    assert treasury.maintenance_reserved() == 1_000_000
    assert treasury.maintenance_project_count() == 1
    assert list(treasury.milestones(1)) == [300_000, 600_000, 100_000]
    # Nothing unreserved is left for another project.
    with ape.reverts("treasury: maintenance fund too small"):
        treasury.approve_maintenance_project(provider, [1], h("roof"), sender=committee)

    fund = 1_000_000
    for index, (amount, remaining) in enumerate([(300_000, 700_000), (600_000, 100_000), (100_000, 0)]):
        tx = treasury.release_milestone(1, sender=committee)
        [log] = tx.decode_logs(treasury.MilestoneReleased)
        assert (log.project_id, log.payee, log.index, log.amount, log.remaining) == (1, provider.address, index, amount, remaining)
        # The money leaves PropertyFees, with its own event.
        fund -= amount
        [paid] = tx.decode_logs(fees.Disbursed)
        assert (paid.fund, paid.payee, paid.amount, paid.balance_after, paid.treasury) == (
            MAINTENANCE, provider.address, amount, fund, treasury.address
        )
    assert token.balanceOf(provider) == 1_000_000
    assert fees.maintenance_fund() == 0 and treasury.maintenance_reserved() == 0
    project = treasury.maintenance_projects(1)
    assert (project.released, project.paid, project.closed) == (3, 1_000_000, False)
    with ape.reverts("treasury: project fully paid"):
        treasury.release_milestone(1, sender=committee)


def test_project_refusals(in_force, treasury, committee, owner_b, provider):
    fees = in_force
    fill_fund(fees, owner_b, 1_000)
    with ape.reverts("treasury: maintenance fund too small"):
        treasury.approve_maintenance_project(provider, [600, 401], h("x"), sender=committee)
    with ape.reverts("treasury: no milestones"):
        treasury.approve_maintenance_project(provider, [], h("x"), sender=committee)
    with ape.reverts("treasury: zero milestone"):
        treasury.approve_maintenance_project(provider, [10, 0], h("x"), sender=committee)
    with ape.reverts("treasury: payee is the zero address"):
        treasury.approve_maintenance_project(ZERO, [10], h("x"), sender=committee)
    with ape.reverts("treasury: unknown project"):
        treasury.release_milestone(1, sender=committee)
    with ape.reverts("treasury: unknown project"):
        treasury.close_maintenance_project(1, sender=committee)
    treasury.approve_maintenance_project(provider, [600, 400], h("x"), sender=committee)
    assert treasury.maintenance_reserved() == 1_000


def test_closing_a_project_frees_what_it_had_not_paid(in_force, treasury, committee, owner_b, provider, token):
    fees = in_force
    fill_fund(fees, owner_b)
    treasury.approve_maintenance_project(provider, [200_000, 300_000, 100_000], h("roof"), sender=committee)
    treasury.release_milestone(1, sender=committee)
    tx = treasury.close_maintenance_project(1, sender=committee)
    [log] = tx.decode_logs(treasury.MaintenanceProjectClosed)
    assert (log.project_id, log.unreserved, log.reserved_after, log.closed_by) == (1, 400_000, 0, committee.address)
    assert treasury.maintenance_projects(1).closed is True
    with ape.reverts("treasury: project closed"):
        treasury.release_milestone(1, sender=committee)
    with ape.reverts("treasury: project closed"):
        treasury.close_maintenance_project(1, sender=committee)
    # The freed part may fund another project; nothing more went to the first payee.
    treasury.approve_maintenance_project(provider, [800_000], h("pipes"), sender=committee)
    assert token.balanceOf(provider) == 200_000
    assert fees.maintenance_fund() == 800_000 and treasury.maintenance_reserved() == 800_000


def test_expenses_never_reach_the_fund(in_force, treasury, committee, manager, owner_a, owner_b, provider):
    """The manager's expenses draw on fee or public income only: the fund is not a fund
    an expense can name, and what fee income lacks the fund does not make up."""
    fees = in_force
    fill_fund(fees, owner_b)
    fees.pay(1, 1, 10**9, sender=owner_a)
    fund = fees.maintenance_fund()
    assert fund > 1_000_000  # the deposit and the payment's share
    year = fees.current_month() // 12
    treasury.approve_annual_budget(year, 0, 10**9, h("budget"), sender=committee)
    treasury.allocate_budget(year, 0, 1, 10**9, sender=committee)
    with ape.reverts("treasury: unknown fund"):
        treasury.record_expense(1, provider, 1, h("inv"), MAINTENANCE, sender=manager)
    income = fees.fee_income()
    with ape.reverts("fees: insufficient balance"):
        treasury.record_expense(1, provider, income + 1, h("inv"), 0, sender=manager)
    with ape.reverts("treasury: unknown fund"):
        treasury.pay_by_decision(MAINTENANCE, provider, 1, h("decision"), sender=committee)
    assert fees.maintenance_fund() == fund
