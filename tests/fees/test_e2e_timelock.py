"""End to end through the owners' assembly and its timelock, once the deployer handed
the assembly's role over (the timelock alone is the assembly):

- a maintenance project (电梯维修) approved and its first milestone paid by a passed
  proposal, nothing moving before the timelock's delay, the rest paid by a later one;
- the year's budget and the emergency caps set by a passed proposal; the committee
  allocates the budget, the manager spends it, the committee pays an emergency repair
  under the cap and is refused over it;
- a failed vote moves nothing."""

from __future__ import annotations

import ape
import pytest

from backend.chain.deploy_assembly import deploy_assembly
from tests.assembly.conftest import ASSEMBLY_PARAMS
from tests.assembly.helpers import AGAINST, FOR, QUEUED, USE_FUND, at, close_voting, open_voting, propose, publish_result
from tests.fees.conftest import MAINTENANCE, PUBLIC_INCOME, Clock, h, role_id

WINDOW = ASSEMBLY_PARAMS["objection_window"]
DELAY = ASSEMBLY_PARAMS["timelock_delay"]
FUND = 50_000_00  # 50,000.00 yuan in the fund (fen)
FIRST, LAST = 12_000_00, 8_000_00  # 首款 and 尾款 of the elevator repair
PER_USE, PER_YEAR = 5_000_00, 8_000_00
CLEANING = 1


@pytest.fixture
def handed_over(project, chain, committee, populated, in_force, treasury, owner_b):
    """The community with its assembly deployed and the deployer's assembly role handed
    to the timelock; 50,000 yuan in the maintenance fund; the clock at a month's start
    (so a proposal's few weeks stay in one calendar year)."""
    fees = in_force
    gov = deploy_assembly(project, chain, committee, populated, **ASSEMBLY_PARAMS)
    registry = populated.registry
    registry.renounceRole(role_id("assembly"), committee, sender=committee)
    assert registry.hasRole(role_id("assembly"), gov["AssemblyTimelock"])
    assert not registry.hasRole(role_id("assembly"), committee)
    fees.deposit_maintenance(FUND, h("首期维修资金"), sender=owner_b)
    clock = Clock(chain, fees)
    clock.goto(clock.month() + 1)
    return {"fees": fees, "treasury": treasury, "clock": clock, **gov}


def decide(assembly, chain, p, ballots):
    """Vote, publish the result (preliminary, objection period, final), queue; returns
    the timelock's eta."""
    open_voting(chain, p)
    for who, support in ballots:
        assembly.castVote(p.id, support, sender=who)
    close_voting(chain, p)
    publish_result(assembly, chain, p, sender=ballots[0][0])
    tx = assembly.queue(*p.calls, sender=ballots[0][0])  # anyone may queue
    assert assembly.state(p.id) == QUEUED
    return tx.timestamp + DELAY


def test_a_maintenance_project_through_the_timelock(handed_over, chain, committee, owner_a, owner_b, owner_c, developer,
                                                    provider, token):
    fees, treasury, assembly = (handed_over[k] for k in ("fees", "treasury", "OwnersAssembly"))
    contractor = provider
    before = token.balanceOf(contractor)
    # The committee cannot do it itself any more.
    with ape.reverts("treasury: assembly only"):
        treasury.approve_maintenance_project(contractor, [FIRST, LAST], h("x"), sender=committee)

    repair_doc = h("3号楼电梯维修合同")
    repair = propose(assembly, committee, chain, matter=USE_FUND, title="关于使用专项维修资金维修3号楼电梯的议案", calls=[
        (treasury, 0, treasury.approve_maintenance_project.encode_input(contractor.address, [FIRST, LAST], repair_doc)),
        (treasury, 0, treasury.release_milestone.encode_input(1)),
    ])
    eta = decide(assembly, chain, repair, [(owner_a, FOR), (owner_c, FOR), (developer, FOR), (owner_b, AGAINST)])
    at(chain, eta - 1)
    with ape.reverts("assembly: timelock delay not over"):
        assembly.execute(*repair.calls, sender=owner_a)
    assert treasury.maintenance_reserved() == 0 and token.balanceOf(contractor) == before
    at(chain, eta)
    tx = assembly.execute(*repair.calls, sender=owner_a)
    [approved] = tx.decode_logs(treasury.MaintenanceProjectApproved)
    assert (approved.project_id, approved.payee, approved.total, approved.doc_hash) == (
        1, contractor.address, FIRST + LAST, repair_doc
    )
    [released] = tx.decode_logs(treasury.MilestoneReleased)
    assert (released.index, released.amount, released.remaining) == (0, FIRST, LAST)
    [paid] = tx.decode_logs(fees.Disbursed)
    assert (paid.fund, paid.payee, paid.amount) == (MAINTENANCE, contractor.address, FIRST)
    assert token.balanceOf(contractor) == before + FIRST
    assert treasury.maintenance_reserved() == LAST
    fund_after_first = fees.maintenance_fund()

    # After the work is accepted, a later proposal pays 尾款.
    final = propose(assembly, committee, chain, matter=USE_FUND, title="关于支付3号楼电梯维修尾款的议案",
                    calls=[(treasury, 0, treasury.release_milestone.encode_input(1))])
    eta = decide(assembly, chain, final, [(owner_a, FOR), (owner_b, FOR), (owner_c, FOR), (developer, FOR)])
    at(chain, eta)
    assembly.execute(*final.calls, sender=owner_c)
    assert token.balanceOf(contractor) == before + FIRST + LAST
    assert fees.maintenance_fund() == fund_after_first - LAST
    assert treasury.maintenance_reserved() == 0


def test_the_years_budget_and_emergency_caps_through_the_timelock(handed_over, chain, committee, manager, owner_a,
                                                                  owner_b, owner_c, developer, merchant, provider):
    fees, treasury, assembly, clock = (handed_over[k] for k in ("fees", "treasury", "OwnersAssembly", "clock"))
    year = clock.year()
    fees.receive_public_income(merchant, 300_000, 1, sender=merchant)
    with ape.reverts("treasury: assembly only"):
        treasury.approve_annual_budget(year, PUBLIC_INCOME, 200_000, h("budget"), sender=committee)
    decision = propose(assembly, committee, chain, matter=USE_FUND, title="关于年度公共收益预算与应急维修限额的议案", calls=[
        (treasury, 0, treasury.approve_annual_budget.encode_input(year, PUBLIC_INCOME, 200_000, h(f"{year}年度预算"))),
        (treasury, 0, treasury.set_emergency_caps.encode_input(PER_USE, PER_YEAR)),
    ])
    eta = decide(assembly, chain, decision, [(owner_a, FOR), (owner_c, FOR), (developer, FOR), (owner_b, FOR)])
    at(chain, eta)
    tx = assembly.execute(*decision.calls, sender=owner_b)
    [approved] = tx.decode_logs(treasury.AnnualBudgetApproved)
    assert (approved.year, approved.fund, approved.amount) == (year, PUBLIC_INCOME, 200_000)
    assert approved.approved_by == handed_over["AssemblyTimelock"].address
    assert clock.year() == year

    # The committee divides the assembly's budget; the manager spends within it.
    treasury.allocate_budget(year, PUBLIC_INCOME, CLEANING, 200_000, sender=committee)
    treasury.record_expense(CLEANING, provider, 150_000, h("invoice"), PUBLIC_INCOME, sender=manager)
    with ape.reverts("treasury: over budget"):
        treasury.record_expense(CLEANING, provider, 50_001, h("invoice-2"), PUBLIC_INCOME, sender=manager)

    # An emergency repair under the cap is paid at once; over it, refused.
    fund = fees.maintenance_fund()
    tx = treasury.pay_emergency_repair(1, provider, PER_USE, h("住建局应急批复"), sender=committee)
    assert tx.decode_logs(treasury.EmergencyRepairPaid)[0].amount == PER_USE
    assert fees.maintenance_fund() == fund - PER_USE
    with ape.reverts("treasury: over the per-use emergency cap"):
        treasury.pay_emergency_repair(1, provider, PER_USE + 1, h("批复-2"), sender=committee)
    with ape.reverts("treasury: over the yearly emergency cap"):
        treasury.pay_emergency_repair(2, provider, PER_YEAR - PER_USE + 1, h("批复-3"), sender=committee)


def test_a_failed_vote_moves_nothing(handed_over, chain, committee, owner_a, owner_b, owner_c, provider, token):
    fees, treasury, assembly = (handed_over[k] for k in ("fees", "treasury", "OwnersAssembly"))
    p = propose(assembly, committee, chain, matter=USE_FUND, calls=[
        (treasury, 0, treasury.approve_maintenance_project.encode_input(provider.address, [FIRST], h("y"))),
    ])
    open_voting(chain, p)
    assembly.castVote(p.id, FOR, sender=owner_a)
    assembly.castVote(p.id, AGAINST, sender=owner_b)
    assembly.castVote(p.id, AGAINST, sender=owner_c)
    close_voting(chain, p)
    publish_result(assembly, chain, p, sender=owner_a)
    with ape.reverts("assembly: proposal not passed"):
        assembly.queue(*p.calls, sender=owner_a)
    assert treasury.maintenance_project_count() == 0
    assert fees.maintenance_fund() == FUND
