"""After the vote: result (preliminary, objection period, final: PaperBallots),
comments and objections (公示),
queueing in the timelock, execution after its delay; governance of the assembly's
own rules; deploy wiring of the timelock."""

from __future__ import annotations

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak

from backend.chain.deploy_assembly import (
    CANCELLER_ROLE,
    DEFAULT_ADMIN_ROLE,
    EXECUTOR_ROLE,
    PROPOSER_ROLE,
    deploy_assembly,
    timelock_salt,
)
from tests.assembly.conftest import ASSEMBLY_PARAMS
from tests.assembly.helpers import (
    AGAINST,
    ANNOUNCED,
    CANCELED,
    DAY,
    DEFEATED,
    EXECUTED,
    FOR,
    OTHER_COMMON,
    QUEUED,
    RULES_OF_PROCEDURE,
    SUCCEEDED,
    USE_FUND,
    at,
    close_voting,
    open_voting,
    propose,
    publish_result,
)

WINDOW = ASSEMBLY_PARAMS["objection_window"]
DELAY = ASSEMBLY_PARAMS["timelock_delay"]


def pass_vote(assembly, chain, p, voters):
    open_voting(chain, p)
    for who in voters:
        assembly.castVote(p.id, FOR, sender=who)
    close_voting(chain, p)


@pytest.fixture
def everyone(populated, owner_a, owner_b, owner_c, developer):
    return [owner_a, owner_b, owner_c, developer]


@pytest.fixture
def rules_proposal(assembly, committee, chain, everyone):
    """A passed proposal that changes the assembly's own rules (matter 1)."""
    data = assembly.set_voting_rules.encode_input(2 * DAY, 2 * DAY, 20 * DAY, 5 * DAY, 30 * DAY)
    p = propose(assembly, committee, chain, matter=RULES_OF_PROCEDURE, calls=[(assembly, 0, data)])
    pass_vote(assembly, chain, p, everyone)
    return p


def test_full_path_through_the_timelock(assembly, timelock, rules_proposal, committee, attacker, chain):
    p = rules_proposal
    assert assembly.state(p.id) == ANNOUNCED
    with ape.reverts("assembly: no final result"):
        assembly.queue(*p.calls, sender=attacker)
    # The objection window from the close is over, but no result was published:
    # still announced, still refused.
    at(chain, p.end + WINDOW)
    chain.mine()
    assert assembly.state(p.id) == ANNOUNCED
    with ape.reverts("assembly: no final result"):
        assembly.queue(*p.calls, sender=attacker)
    final = publish_result(assembly, chain, p, sender=attacker)
    [tallied] = final.decode_logs(assembly.ProposalTallied)  # the final result, recorded in the assembly
    assert tallied.passed and tallied.for_heads == 4
    assert assembly.state(p.id) == SUCCEEDED

    tx = assembly.queue(*p.calls, sender=attacker)  # anyone may queue
    eta = tx.timestamp + DELAY
    assert [(log.proposalId, log.etaSeconds) for log in tx.decode_logs(assembly.ProposalQueued)] == [(p.id, eta)]
    assert not tx.decode_logs(assembly.ProposalTallied)
    [scheduled] = tx.decode_logs(timelock.CallScheduled)
    assert (scheduled.target, scheduled.delay) == (assembly.address, DELAY)
    salt = keccak(encode(["uint256", "uint256"], [p.id, 0]))
    assert timelock_salt(p.id, 0) == salt  # the backend's helper
    op = timelock.hash_operation(p.targets[0], p.values[0], p.calldatas[0], b"\x00" * 32, salt)
    assert scheduled.id == op
    assert timelock.is_operation_pending(op)
    assert assembly.state(p.id) == QUEUED
    assert assembly.proposalEta(p.id) == eta
    with ape.reverts("assembly: already queued"):
        assembly.queue(*p.calls, sender=attacker)

    at(chain, eta - 1)
    with ape.reverts("assembly: timelock delay not over"):
        assembly.execute(*p.calls, sender=attacker)
    assert assembly.min_notice() == DAY  # nothing moved yet

    at(chain, eta)
    tx = assembly.execute(*p.calls, sender=attacker)  # anyone may execute
    assert [log.proposalId for log in tx.decode_logs(assembly.ProposalExecuted)] == [p.id]
    [rules] = tx.decode_logs(assembly.VotingRulesSet)
    assert (rules.min_notice, rules.min_voting_period, rules.max_voting_period, rules.objection_window) == (2 * DAY, 2 * DAY, 20 * DAY, 5 * DAY)
    assert (assembly.min_notice(), assembly.min_voting_period(), assembly.max_voting_period(), assembly.objection_window()) == (
        2 * DAY,
        2 * DAY,
        20 * DAY,
        5 * DAY,
    )
    assert timelock.is_operation_done(op)
    assert assembly.state(p.id) == EXECUTED
    with ape.reverts("assembly: already executed"):
        assembly.execute(*p.calls, sender=attacker)
    with ape.reverts("assembly: already queued"):
        assembly.queue(*p.calls, sender=attacker)


def test_queue_before_voting_ends(assembly, committee, chain, everyone):
    p = propose(assembly, committee, chain, calls=[(assembly, 0, assembly.set_voting_rules.encode_input(DAY, DAY, DAY, 0, 30 * DAY))])
    with ape.reverts("assembly: voting not over"):
        assembly.queue(*p.calls, sender=committee)
    open_voting(chain, p)
    with ape.reverts("assembly: voting not over"):
        assembly.queue(*p.calls, sender=committee)


def test_failed_vote_cannot_be_queued_or_executed(assembly, committee, chain, owner_a, owner_b, owner_c, developer, populated):
    p = propose(assembly, committee, chain, calls=[(assembly, 0, assembly.set_voting_rules.encode_input(DAY, DAY, DAY, 0, 30 * DAY))])
    open_voting(chain, p)
    assembly.castVote(p.id, FOR, sender=owner_a)
    assembly.castVote(p.id, AGAINST, sender=owner_b)
    assembly.castVote(p.id, AGAINST, sender=owner_c)
    close_voting(chain, p)
    assert assembly.state(p.id) == DEFEATED
    at(chain, p.end + WINDOW + 1)
    chain.mine()
    assert assembly.state(p.id) == DEFEATED
    # A defeated result goes the same way; its final result does not make it queueable.
    assert not publish_result(assembly, chain, p).decode_logs(assembly.ProposalTallied)[0].passed
    assert assembly.state(p.id) == DEFEATED
    with ape.reverts("assembly: proposal not passed"):
        assembly.queue(*p.calls, sender=committee)
    with ape.reverts("assembly: proposal not queued"):
        assembly.execute(*p.calls, sender=committee)


def test_unknown_calls_refused(assembly, rules_proposal, committee):
    pid, targets, values, calldatas, doc_hash = rules_proposal.calls
    for fn in (assembly.queue, assembly.execute):
        with ape.reverts("assembly: not the proposal's calls"):
            fn(pid, targets, values, calldatas, b"\x01" * 32, sender=committee)  # other document
        with ape.reverts("assembly: not the proposal's calls"):
            fn(pid, targets, [1], calldatas, doc_hash, sender=committee)  # other value
        with ape.reverts("assembly: unknown proposal"):
            fn(pid + 1, targets, values, calldatas, doc_hash, sender=committee)


def test_resolution_without_calls_is_not_queued(assembly, committee, chain, everyone):
    p = propose(assembly, committee, chain, matter=OTHER_COMMON)
    pass_vote(assembly, chain, p, everyone)
    publish_result(assembly, chain, p)
    assert assembly.state(p.id) == SUCCEEDED
    with ape.reverts("assembly: nothing to execute"):
        assembly.queue(*p.calls, sender=committee)


def test_timelock_pays_value_only_after_the_delay(assembly, timelock, committee, chain, everyone, voters):
    payee = voters[0]
    committee.transfer(timelock.address, 10**18)
    p = propose(assembly, committee, chain, matter=USE_FUND, calls=[(payee.address, 10**17, b"")])
    pass_vote(assembly, chain, p, everyone)
    publish_result(assembly, chain, p)
    tx = assembly.queue(*p.calls, sender=committee)
    before = payee.balance
    at(chain, tx.timestamp + DELAY)
    assembly.execute(*p.calls, sender=committee)
    assert payee.balance == before + 10**17
    assert timelock.balance == 10**18 - 10**17


def test_proposal_changes_timelock_delay(assembly, timelock, committee, chain, everyone):
    # The timelock administers itself: a proposal calling it reenters safely.
    data = timelock.update_delay.encode_input(5 * DAY)
    p = propose(assembly, committee, chain, matter=RULES_OF_PROCEDURE, calls=[(timelock, 0, data)])
    pass_vote(assembly, chain, p, everyone)
    publish_result(assembly, chain, p)
    tx = assembly.queue(*p.calls, sender=committee)
    at(chain, tx.timestamp + DELAY)
    assembly.execute(*p.calls, sender=committee)
    assert timelock.get_minimum_delay() == 5 * DAY


def test_calls_run_in_order_and_atomically(assembly, timelock, committee, chain, everyone):
    first = assembly.set_voting_rules.encode_input(2 * DAY, DAY, 10 * DAY, 0, 30 * DAY)
    second = timelock.update_delay.encode_input(4 * DAY)
    bad = assembly.set_voting_rules.encode_input(DAY, 60, DAY, 0, 30 * DAY)  # period below one hour
    ok = propose(assembly, committee, chain, matter=RULES_OF_PROCEDURE, calls=[(assembly, 0, first), (timelock, 0, second)], text="ok")
    broken = propose(assembly, committee, chain, matter=RULES_OF_PROCEDURE, calls=[(timelock, 0, second), (assembly, 0, bad)], text="bad")
    open_voting(chain, broken)
    for p in (ok, broken):
        for who in everyone:
            assembly.castVote(p.id, FOR, sender=who)
    close_voting(chain, broken)
    publish_result(assembly, chain, ok)
    publish_result(assembly, chain, broken)
    tx = assembly.queue(*ok.calls, sender=committee)
    assert len(tx.decode_logs(timelock.CallScheduled)) == 2
    queued_broken = assembly.queue(*broken.calls, sender=committee)
    # Both delays over: the second queue may land a second later on a loaded machine.
    at(chain, max(tx.timestamp, queued_broken.timestamp) + DELAY)
    with ape.reverts("assembly: voting period too short"):
        assembly.execute(*broken.calls, sender=committee)
    assert timelock.get_minimum_delay() == DELAY  # its first call was rolled back too
    tx = assembly.execute(*ok.calls, sender=committee)
    assert len(tx.decode_logs(timelock.CallExecuted)) == 2
    assert (assembly.min_notice(), timelock.get_minimum_delay()) == (2 * DAY, 4 * DAY)


def test_failing_call_reverts_execution(assembly, committee, chain, everyone):
    bad = assembly.set_voting_rules.encode_input(DAY, 60, DAY, 0, 30 * DAY)  # period below one hour
    p = propose(assembly, committee, chain, matter=RULES_OF_PROCEDURE, calls=[(assembly, 0, bad)])
    pass_vote(assembly, chain, p, everyone)
    publish_result(assembly, chain, p)
    tx = assembly.queue(*p.calls, sender=committee)
    at(chain, tx.timestamp + DELAY)
    with ape.reverts("assembly: voting period too short"):
        assembly.execute(*p.calls, sender=committee)
    assert assembly.state(p.id) == QUEUED


# ---------------------------------------------------------------- result


def test_final_result_recorded_by_paper_ballots_only(assembly, paper, committee, chain, attacker, everyone):
    p = propose(assembly, committee, chain)
    pass_vote(assembly, chain, p, everyone)
    # Nobody but PaperBallots records the final result: not a stranger, the
    # committee, the timelock (the assembly's own role), nor an owner.
    for who in (attacker, committee, everyone[0]):
        with ape.reverts("assembly: paper ballots only"):
            assembly.finalize(p.id, p.end, sender=who)
    # The timelock (the assembly's own role) could only call it through a proposal,
    # and no proposal may call it.
    with ape.reverts("assembly: no vote may make this call"):
        propose(assembly, committee, chain, calls=[(assembly, 0, assembly.finalize.encode_input(p.id, p.end))], text="自封")
    tx = publish_result(assembly, chain, p, sender=attacker)  # anyone
    [log] = tx.decode_logs(assembly.ProposalTallied)
    assert (log.passed, log.turnout_met, log.for_area, log.for_heads, log.total_area, log.total_heads) == (True, True, 61_000, 4, 61_000, 4)
    assert log.objection_ends == paper.objection_ends(p.id) == paper.published_at(p.id) + WINDOW
    assert assembly.proposal(p.id)[4] & 16
    with ape.reverts("ballots: final result already published"):
        paper.publish_final(p.id, sender=attacker)


# ---------------------------------------------------------------- comments and objections


def test_comments_and_objections(assembly, registry, committee, chain, owner_b, owner_c, everyone):
    p = propose(assembly, committee, chain)
    text = keccak(text="电梯维修报价偏高，建议再询价")
    with ape.reverts("assembly: not open for comments"):
        assembly.comment(p.id, text, False, sender=owner_b)
    open_voting(chain, p)
    tx = assembly.comment(p.id, text, False, sender=owner_b)
    [log] = tx.decode_logs(assembly.ProposalCommented)
    assert (log.proposalId, log.author, log.identity, log.objection, log.text_hash) == (
        p.id,
        owner_b.address,
        registry.identity_of(owner_b.address)[1],
        False,
        text,
    )
    for who in everyone:
        assembly.castVote(p.id, FOR, sender=who)
    close_voting(chain, p)
    assert assembly.state(p.id) == ANNOUNCED
    tx = assembly.comment(p.id, keccak(text="异议：未公示报价单"), True, sender=owner_c)  # during 公示
    assert tx.decode_logs(assembly.ProposalCommented)[0].objection
    publish_result(assembly, chain, p)
    with ape.reverts("assembly: not open for comments"):
        assembly.comment(p.id, text, True, sender=owner_c)


def test_comment_refusals(assembly, committee, chain, populated, owner_a, attacker, tenant):
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    for who in (attacker, tenant):
        with ape.reverts("assembly: owners only"):
            assembly.comment(p.id, keccak(text="x"), False, sender=who)
    with ape.reverts("assembly: empty text hash"):
        assembly.comment(p.id, b"\x00" * 32, False, sender=owner_a)
    with ape.reverts("assembly: unknown proposal"):
        assembly.comment(3, keccak(text="x"), False, sender=owner_a)


def test_no_comments_on_defeated_proposal(assembly, committee, chain, populated, owner_a):
    p = propose(assembly, committee, chain)
    close_voting(chain, p)
    assert assembly.state(p.id) == DEFEATED
    with ape.reverts("assembly: not open for comments"):
        assembly.comment(p.id, keccak(text="x"), True, sender=owner_a)


# ---------------------------------------------------------------- privileged functions


def test_rules_only_by_the_assembly(assembly, committee, registry, attacker, owner_a, populated):
    # The deployer holds the assembly's role only while it wires; a committee that is
    # not the assembly, an owner and a stranger are refused.
    from backend.chain.deployment import role_id

    registry.grantRole(role_id("committee"), attacker.address, sender=committee)
    for who in (attacker, owner_a):
        with ape.reverts("assembly: assembly only"):
            assembly.set_voting_rules(DAY, DAY, DAY, 0, DAY, sender=who)


def test_the_table_changed_by_a_major_proposal(project, assembly, committee, chain, everyone, attacker):
    constitution = project.Constitution.at(assembly.constitution())
    sel = b"\xaa\xbb\xcc\xdd"
    data = constitution.set_call_class.encode_input([(attacker.address, sel, False, b"\x00" * 32, 1)])
    p = propose(assembly, committee, chain, matter=OTHER_COMMON, calls=[(constitution, 0, data)])
    assert p.tx.decode_logs(assembly.ProposalDetails)[0].major  # changing the table is always major
    pass_vote(assembly, chain, p, everyone)
    publish_result(assembly, chain, p)
    tx = assembly.queue(*p.calls, sender=committee)
    at(chain, tx.timestamp + DELAY)
    tx = assembly.execute(*p.calls, sender=committee)
    [log] = tx.decode_logs(constitution.CallClassSet)
    assert (log.target, log.selector, log.call_class) == (attacker.address, sel, 1)
    assert constitution.entry(attacker.address, sel, False, b"\x00" * 32) == 1


def test_timelock_refuses_everyone_but_the_assembly(timelock, committee, attacker):
    args = ([attacker.address], [0], [b""], b"\x00" * 32, b"\x00" * 32)
    for who in (attacker, committee):
        with ape.reverts("access_control: account is missing role"):
            timelock.schedule_batch(*args, DELAY, sender=who)
        with ape.reverts("access_control: account is missing role"):
            timelock.execute_batch(*args, sender=who)
        with ape.reverts("access_control: account is missing role"):
            timelock.cancel(b"\x01" * 32, sender=who)
    with ape.reverts("timelock_controller: caller must be timelock"):
        timelock.update_delay(0, sender=attacker)


def test_deploy_wiring(assembly, timelock, registry, committee):
    assert assembly.registry() == registry.address
    assert assembly.timelock() == timelock.address
    for role in (PROPOSER_ROLE, CANCELLER_ROLE, EXECUTOR_ROLE):
        assert timelock.hasRole(role, assembly.address)
        assert not timelock.hasRole(role, committee.address)
    assert not timelock.hasRole(EXECUTOR_ROLE, "0x" + "00" * 20)  # execution goes through the assembly
    assert not timelock.hasRole(DEFAULT_ADMIN_ROLE, committee.address)
    assert timelock.hasRole(DEFAULT_ADMIN_ROLE, timelock.address)
    assert timelock.get_minimum_delay() == DELAY


def test_deploy_rejects_unknown_parameter(project, chain, committee, community):
    with pytest.raises(TypeError, match="voting_delay"):
        deploy_assembly(project, chain, committee, community, voting_delay=1)


def creation_call(project, chain, sender, *args) -> bytes:
    """eth_call of OwnersAssembly's creation code with `args`: the runtime code, or a revert."""
    container = project.OwnersAssembly
    from hexbytes import HexBytes

    data = HexBytes(container.contract_type.deployment_bytecode.bytecode) + HexBytes(container.constructor.encode_input(*args))
    return bytes(chain.provider.web3.eth.call({"from": sender.address, "data": "0x" + data.hex()}))


@pytest.mark.parametrize(
    "zero, rules, reason",
    [
        ("registry", (DAY, DAY, DAY, 0, DAY), "assembly: registry is the zero address"),
        ("timelock", (DAY, DAY, DAY, 0, DAY), "assembly: timelock is the zero address"),
        ("constitution", (DAY, DAY, DAY, 0, DAY), "assembly: constitution is the zero address"),
        ("paper", (DAY, DAY, DAY, 0, DAY), "assembly: paper ballots is the zero address"),
        (None, (DAY, 3599, DAY, 0, DAY), "assembly: voting period too short"),
        (None, (DAY, 2 * DAY, DAY, 0, DAY), "assembly: voting period too long"),
        (None, (366 * DAY, DAY, DAY, 0, DAY), "assembly: notice too long"),
        (None, (DAY, DAY, DAY, 366 * DAY, DAY), "assembly: objection window too long"),
        (None, (DAY, DAY, DAY, 0, 0), "assembly: queue window out of range"),
        (None, (DAY, DAY, DAY, 0, DAY + 1), "assembly: queue window out of range"),
        (None, (DAY, DAY, DAY, 0, 256 * DAY), "assembly: queue window out of range"),
    ],
)
def test_constructor_refusals(project, chain, committee, registry, zero, rules, reason):
    # Through eth_call: Ape's deploy-revert reporting trips over this constructor's arguments.
    from web3.exceptions import ContractLogicError

    addresses = {"registry": registry.address, "timelock": committee.address, "constitution": committee.address,
                 "paper": committee.address}
    if zero:
        addresses[zero] = "0x" + "00" * 20
    with pytest.raises(ContractLogicError, match=reason):
        creation_call(project, chain, committee, addresses["registry"], addresses["timelock"], *rules,
                      addresses["constitution"], addresses["paper"])
    # The same call with sound arguments returns the runtime code.
    sound = creation_call(project, chain, committee, registry.address, committee.address, DAY, DAY, DAY, 0, DAY,
                          committee.address, committee.address)
    assert len(sound) > 1000
