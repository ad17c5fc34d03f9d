"""End to end: the maintenance fund (专项维修资金) moves only by the owners' assembly.

A major-matter proposal (民法典 第二百七十八条 item 6, 3/4) raises the fund's share
of fee payments; an ordinary one (item 5, > 1/2) approves a repair paid in two
milestones and releases the first (首款); a later proposal releases the rest (尾款).
Nothing changes and no money moves before the timelock's delay is over."""

from __future__ import annotations

import ape
import pytest
from eth_utils import keccak

from backend.chain.deploy_assembly import deploy_assembly
from backend.chain.deploy_fees import deploy_fees
from tests.assembly.conftest import ASSEMBLY_PARAMS
from tests.assembly.helpers import AGAINST, FOR, QUEUED, RAISE_FUND, USE_FUND, at, close_voting, open_voting, propose

WINDOW = ASSEMBLY_PARAMS["objection_window"]
DELAY = ASSEMBLY_PARAMS["timelock_delay"]
FUND = 50_000_00  # 50,000.00 yuan already in the fund (fen)
FIRST, LAST = 12_000_00, 8_000_00  # 首款 and 尾款 of the lift repair


@pytest.fixture
def stack(project, chain, committee, populated):
    fees_stack = deploy_fees(project, chain, committee, populated)
    fees, token = fees_stack["PropertyFees"], fees_stack["SettlementToken"]
    gov = deploy_assembly(project, chain, committee, populated, fees=fees, **ASSEMBLY_PARAMS)
    token.mint(committee.address, FUND, sender=committee)
    token.approve(fees.address, FUND, sender=committee)
    fees.deposit_maintenance(FUND, keccak(text="首期维修资金"), sender=committee)
    return {"fees": fees, "token": token, **gov}


def decide(assembly, chain, p, ballots):
    """Vote, wait out the objection window, queue; returns the timelock eta."""
    open_voting(chain, p)
    for who, support in ballots:
        assembly.castVote(p.id, support, sender=who)
    close_voting(chain, p)
    at(chain, p.end + WINDOW)
    tx = assembly.queue(*p.calls, sender=ballots[0][0])  # anyone may queue
    assert assembly.state(p.id) == QUEUED
    return tx.timestamp + DELAY


def test_only_the_timelock_moves_the_fund(stack, committee, attacker, voters):
    fees, timelock = stack["fees"], stack["AssemblyTimelock"]
    assert fees.governance() == timelock.address
    for who in (committee, attacker):
        with ape.reverts("fees: governance only"):
            fees.set_maintenance_share(3_000, sender=who)
        with ape.reverts("fees: governance only"):
            fees.approve_maintenance_project(voters[0].address, [FIRST], keccak(text="x"), sender=who)
        with ape.reverts("fees: governance only"):
            fees.release_milestone(1, sender=who)
        with ape.reverts("fees: governance only"):
            fees.set_governance(who.address, sender=who)


def test_raising_the_fund_is_a_major_matter(stack, committee, chain):
    fees, assembly = stack["fees"], stack["OwnersAssembly"]
    call = (fees, 0, fees.set_maintenance_share.encode_input(2_000))
    with ape.reverts("assembly: call requires a major matter"):
        propose(assembly, committee, chain, matter=USE_FUND, calls=[call])
    p = propose(assembly, committee, chain, matter=RAISE_FUND, calls=[call])
    [details] = p.tx.decode_logs(assembly.ProposalDetails)
    assert details.major


def test_maintenance_fund_lifecycle(stack, committee, owner_a, owner_b, owner_c, developer, voters, chain):
    fees, token, assembly, timelock = stack["fees"], stack["token"], stack["OwnersAssembly"], stack["AssemblyTimelock"]
    contractor = voters[0]
    share_before = fees.maintenance_share()

    # 1. Major matter: raise the fund's share to 20%. Exactly 3/4 of heads and
    #    52,000 / 61,000 of the area agree: it passes.
    raise_share = propose(
        assembly,
        committee,
        chain,
        matter=RAISE_FUND,
        calls=[(fees, 0, fees.set_maintenance_share.encode_input(2_000))],
        title="关于提高专项维修资金续筹比例的议案",
    )
    eta = decide(assembly, chain, raise_share, [(owner_a, FOR), (owner_c, FOR), (developer, FOR), (owner_b, AGAINST)])
    at(chain, eta - 1)
    with ape.reverts("assembly: timelock delay not over"):
        assembly.execute(*raise_share.calls, sender=owner_b)
    assert fees.maintenance_share() == share_before
    at(chain, eta)
    tx = assembly.execute(*raise_share.calls, sender=owner_b)
    [log] = tx.decode_logs(fees.MaintenanceShareSet)
    assert (log.bps, log.set_by) == (2_000, timelock.address)
    assert fees.maintenance_share() == 2_000

    # 2. Ordinary matter: approve the lift repair (首款 + 尾款) and pay 首款.
    project_id = fees.maintenance_project_count() + 1
    repair_doc = keccak(text="3号楼电梯维修合同")
    repair = propose(
        assembly,
        committee,
        chain,
        matter=USE_FUND,
        calls=[
            (fees, 0, fees.approve_maintenance_project.encode_input(contractor.address, [FIRST, LAST], repair_doc)),
            (fees, 0, fees.release_milestone.encode_input(project_id)),
        ],
        title="关于使用专项维修资金维修3号楼电梯的议案",
    )
    eta = decide(assembly, chain, repair, [(owner_a, FOR), (owner_b, FOR), (owner_c, AGAINST), (developer, FOR)])
    at(chain, eta - 1)
    with ape.reverts("assembly: timelock delay not over"):
        assembly.execute(*repair.calls, sender=owner_a)
    assert token.balanceOf(contractor.address) == 0
    assert fees.maintenance_reserved() == 0
    at(chain, eta)
    tx = assembly.execute(*repair.calls, sender=owner_a)
    [approved] = tx.decode_logs(fees.MaintenanceProjectApproved)
    assert (approved.project_id, approved.payee, approved.total, approved.doc_hash) == (project_id, contractor.address, FIRST + LAST, repair_doc)
    [paid] = tx.decode_logs(fees.MilestoneReleased)
    assert (paid.index, paid.amount, paid.remaining) == (0, FIRST, LAST)
    assert token.balanceOf(contractor.address) == FIRST
    assert fees.maintenance_fund() == FUND - FIRST
    assert fees.maintenance_reserved() == LAST

    # 3. After acceptance of the work, a later ordinary proposal pays 尾款.
    final = propose(
        assembly,
        committee,
        chain,
        matter=USE_FUND,
        calls=[(fees, 0, fees.release_milestone.encode_input(project_id))],
        title="关于支付3号楼电梯维修尾款的议案",
    )
    eta = decide(assembly, chain, final, [(owner_a, FOR), (owner_b, FOR), (owner_c, FOR)])
    at(chain, eta - 1)
    with ape.reverts("assembly: timelock delay not over"):
        assembly.execute(*final.calls, sender=owner_c)
    assert token.balanceOf(contractor.address) == FIRST
    at(chain, eta)
    tx = assembly.execute(*final.calls, sender=owner_c)
    [paid] = tx.decode_logs(fees.MilestoneReleased)
    assert (paid.index, paid.amount, paid.remaining) == (1, LAST, 0)
    assert token.balanceOf(contractor.address) == FIRST + LAST
    assert fees.maintenance_fund() == FUND - FIRST - LAST
    assert fees.maintenance_reserved() == 0


def test_failed_vote_moves_nothing(stack, committee, owner_a, owner_b, owner_c, developer, voters, chain):
    fees, token, assembly = stack["fees"], stack["token"], stack["OwnersAssembly"]
    p = propose(
        assembly,
        committee,
        chain,
        matter=USE_FUND,
        calls=[(fees, 0, fees.approve_maintenance_project.encode_input(voters[0].address, [FIRST], keccak(text="y")))],
    )
    open_voting(chain, p)
    assembly.castVote(p.id, FOR, sender=owner_a)
    assembly.castVote(p.id, AGAINST, sender=owner_b)
    assembly.castVote(p.id, AGAINST, sender=owner_c)
    close_voting(chain, p)
    at(chain, p.end + WINDOW)
    with ape.reverts("assembly: proposal not passed"):
        assembly.queue(*p.calls, sender=owner_a)
    with ape.reverts("assembly: proposal not queued"):
        assembly.execute(*p.calls, sender=owner_a)
    assert fees.maintenance_project_count() == 0
    assert fees.maintenance_fund() == FUND
    assert token.balanceOf(voters[0].address) == 0
