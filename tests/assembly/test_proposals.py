"""Proposals: who may propose, the owners' co-signing route (≥ 1/5 of heads),
validation, withdrawal by the proposer before voting, the events, and the class a
proposal's calls give it (the Constitution's table)."""

from __future__ import annotations

import ape
import pytest

from backend.chain.deploy_assembly import selector
from tests.assembly.helpers import (
    CANCELED,
    DAY,
    EXPIRED,
    FOR,
    GATHERING,
    OTHER_COMMON,
    PENDING,
    RAISE_FUND,
    RULES_OF_PROCEDURE,
    USE_FUND,
    at,
    close_voting,
    doc,
    open_voting,
    propose,
    publish_result,
    register,
)
from tests.assembly.conftest import ASSEMBLY_PARAMS


def rules_call(assembly, notice=DAY):
    """A call the assembly can make through the timelock: change its own rules."""
    data = assembly.set_voting_rules.encode_input(notice, DAY, 30 * DAY, 3 * DAY, 30 * DAY)
    return (assembly, 0, data)


def args(chain, *, targets=(), values=(), calldatas=(), matter=OTHER_COMMON, title="议案", doc_hash=None, start=None, end=None):
    start = start or chain.pending_timestamp + DAY + 60
    end = end or start + 7 * DAY
    return [list(targets), list(values), list(calldatas), matter, title, doc_hash or doc("text"), start, end]


def test_committee_proposes(assembly, registry, populated, committee, chain):
    call = rules_call(assembly)
    p = propose(assembly, committee, chain, matter=RULES_OF_PROCEDURE, calls=[call], title="修改业主大会议事规则")
    assert assembly.state(p.id) == PENDING
    snapshot = p.tx.block_number - 1
    assert assembly.proposalSnapshot(p.id) == snapshot
    assert assembly.proposalDeadline(p.id) == p.end
    assert assembly.proposalEta(p.id) == 0
    # A call that changes a delay (the assembly's own rules) makes the proposal major.
    assert tuple(assembly.proposal(p.id)) == (p.start, p.end, snapshot, RULES_OF_PROCEDURE, 32, 0, 3 * DAY, 0)
    assert assembly.proposer(p.id) == committee.address

    [created] = p.tx.decode_logs(assembly.ProposalCreated)
    assert created.proposalId == p.id
    assert created.proposer == committee.address
    assert created.targets == [assembly.address]
    assert created.values == [0]
    assert created.signatures == [""]
    assert [bytes(c) for c in created.calldatas] == [bytes(call[2])]
    assert (created.voteStart, created.voteEnd) == (p.start, p.end)
    assert created.description == "修改业主大会议事规则"

    [details] = p.tx.decode_logs(assembly.ProposalDetails)
    assert details.proposalId == p.id
    assert details.matter == RULES_OF_PROCEDURE
    assert details.major
    assert details.doc_hash == p.doc_hash
    assert details.snapshot_block == snapshot
    assert (details.total_area, details.total_heads) == (61_000, 4)
    assert details.cosigners_required == 0
    assert details.objection_window == 3 * DAY
    assert p.tx.decode_logs(assembly.ProposalCosigned) == []
    [classified] = p.tx.decode_logs(assembly.ProposalClassified)
    assert (classified.proposalId, classified.nonce, classified.matter_major, classified.calls_major) == (p.id, 0, False, True)
    assert (classified.major_target, classified.major_selector) == (assembly.address, bytes(call[2])[:4])


def test_proposal_id_hashes_the_calls_the_proposer_and_its_nonce(assembly, populated, committee, owner_a, chain):
    from eth_abi import encode
    from eth_utils import keccak

    p = propose(assembly, committee, chain, calls=[rules_call(assembly)])
    calls = keccak(encode(["address[]", "uint256[]", "bytes[]", "bytes32"], [p.targets, p.values, p.calldatas, p.doc_hash]))
    expected = keccak(encode(["bytes32", "address", "uint256"], [calls, committee.address, 0]))
    assert p.id == int.from_bytes(expected, "big")
    assert assembly.proposal_nonce(committee) == 1
    # The same calls by another proposer, or by the same one again, are other proposals.
    again = propose(assembly, committee, chain, calls=[rules_call(assembly)])
    other = propose(assembly, owner_a, chain, calls=[rules_call(assembly)])
    assert len({p.id, again.id, other.id}) == 3


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"matter": 0}, "assembly: unknown matter"),
        ({"matter": 10}, "assembly: unknown matter"),
        ({"values": [0, 0]}, "assembly: calls length mismatch"),
        ({"calldatas": []}, "assembly: calls length mismatch"),
        ({"title": ""}, "assembly: empty title"),
        ({"doc_hash": b"\x00" * 32}, "assembly: empty document hash"),
        ({"start": "soon"}, "assembly: voting starts too soon"),
        ({"end": "short"}, "assembly: voting period too short"),
        ({"end": "long"}, "assembly: voting period too long"),
    ],
)
def test_propose_refusals(assembly, populated, committee, chain, change, reason):
    call = rules_call(assembly)
    a = args(chain, targets=[call[0].address], values=[0], calldatas=[call[2]])
    names = ["targets", "values", "calldatas", "matter", "title", "doc_hash", "start", "end"]
    for key, value in change.items():
        if value == "soon":
            value = chain.pending_timestamp + DAY - 10
        elif value == "short":
            value = a[6] + DAY - 1
        elif value == "long":
            value = a[6] + 30 * DAY + 1
        a[names.index(key)] = value
    with ape.reverts(reason):
        assembly.propose(*a, sender=committee)


def test_voting_period_bounds_are_inclusive(assembly, populated, committee, chain):
    start = chain.pending_timestamp + DAY + 60
    assembly.propose([], [], [], OTHER_COMMON, "最短", doc("min"), start, start + DAY, sender=committee)
    assembly.propose([], [], [], OTHER_COMMON, "最长", doc("max"), start, start + 30 * DAY, sender=committee)


def test_the_same_proposal_may_be_made_again(assembly, populated, committee, chain):
    """A re-vote of the same text needs no revised document: each proposal has its own id."""
    a = args(chain)
    first = assembly.propose(*a, sender=committee).decode_logs(assembly.ProposalCreated)[0].proposalId
    second = assembly.propose(*a, sender=committee).decode_logs(assembly.ProposalCreated)[0].proposalId
    assert first != second


def test_propose_refused_to_non_owners(assembly, populated, attacker, tenant, chain):
    for who in (attacker, tenant):  # a stranger, and a resident who owns nothing
        with ape.reverts("assembly: committee or owners only"):
            assembly.propose(*args(chain), sender=who)


def test_propose_refused_without_owners(assembly, committee, chain):
    with ape.reverts("assembly: no owners at the snapshot"):
        assembly.propose(*args(chain), sender=committee)


# ---------------------------------------------------------------- classes of calls


def test_a_call_the_table_marks_major_makes_an_ordinary_matter_major(project, chain, committee, community, populated,
                                                                     registry, assembly):
    """Whatever matter is written, the proposal is counted by its strictest call."""
    constitution = project.Constitution.at(assembly.constitution())
    target, sel = registry.address, selector("set_developer(bytes32)")
    data = registry.set_developer.encode_input(b"\x01" * 32)
    assert assembly.call_class(target, data) == 2  # unlisted: major
    constitution.set_call_class([(target, sel, False, b"\x00" * 32, 1)], sender=committee)  # the deployer wires
    assert assembly.call_class(target, data) == 1
    p = propose(assembly, committee, chain, matter=USE_FUND, calls=[(target, 0, data)])
    assert not p.tx.decode_logs(assembly.ProposalDetails)[0].major
    constitution.set_call_class([(target, sel, False, b"\x00" * 32, 2)], sender=committee)
    p = propose(assembly, committee, chain, matter=USE_FUND, calls=[(target, 0, data)], text="again")
    assert p.tx.decode_logs(assembly.ProposalDetails)[0].major
    assert assembly.proposal(p.id)[4] & 32


def test_the_first_argument_refines_a_class(project, chain, committee, populated, registry, assembly, attacker):
    from backend.chain.deployment import role_id

    constitution = project.Constitution.at(assembly.constitution())
    sel = selector("grantRole(bytes32,address)")
    constitution.set_call_class([
        (registry.address, sel, False, b"\x00" * 32, 1),
        (registry.address, sel, True, role_id("committee"), 2),
        (registry.address, sel, True, role_id("assembly"), 3),
    ], sender=committee)
    grant = registry.grantRole.encode_input
    assert assembly.call_class(registry.address, grant(role_id("auditor"), attacker.address)) == 1
    assert assembly.call_class(registry.address, grant(role_id("committee"), attacker.address)) == 2
    assert assembly.call_class(registry.address, grant(role_id("assembly"), attacker.address)) == 3
    with ape.reverts("assembly: no vote may make this call"):
        propose(assembly, committee, chain, matter=RAISE_FUND,
                calls=[(registry, 0, grant(role_id("assembly"), attacker.address))])


def test_a_forbidden_call_stays_forbidden(project, chain, committee, populated, assembly, attacker):
    constitution = project.Constitution.at(assembly.constitution())
    entry = (attacker.address, b"\x12\x34\x56\x78", False, b"\x00" * 32, 3)
    tx = constitution.set_call_class([entry], sender=committee)
    [log] = tx.decode_logs(constitution.CallClassSet)
    assert (log.target, log.selector, log.call_class, log.set_by) == (attacker.address, entry[1], 3, committee.address)
    for lifted in (0, 1, 2):
        with ape.reverts("constitution: a forbidden call stays forbidden"):
            constitution.set_call_class([(*entry[:4], lifted)], sender=committee)
    with ape.reverts("constitution: unknown call class"):
        constitution.set_call_class([(attacker.address, b"\x00\x00\x00\x01", False, b"\x00" * 32, 4)], sender=committee)


def test_the_table_is_the_assemblys_to_write(project, populated, assembly, attacker, owner_a, manager):
    constitution = project.Constitution.at(assembly.constitution())
    for who in (attacker, owner_a, manager):
        with ape.reverts("constitution: assembly only"):
            constitution.set_call_class([(attacker.address, b"\x00\x00\x00\x01", False, b"\x00" * 32, 1)], sender=who)


def test_the_assemblys_own_calls_are_fixed(project, populated, assembly, timelock, attacker):
    constitution = project.Constitution.at(assembly.constitution())
    assert assembly.call_class(assembly.address, assembly.set_voting_rules.encode_input(1, 3600, 3600, 0, 86400)) == 2
    assert assembly.call_class(constitution.address, constitution.set_call_class.encode_input([])) == 2
    assert assembly.call_class(timelock.address, timelock.update_delay.encode_input(1)) == 2
    assert assembly.call_class(assembly.address, assembly.castVote.encode_input(1, 1)) == 3
    assert assembly.call_class(timelock.address, timelock.cancel.encode_input(b"\x00" * 32)) == 3
    assert assembly.call_class(constitution.address, b"") == 3
    assert assembly.call_class(attacker.address, b"") == 2  # a plain transfer: unlisted, major


# ---------------------------------------------------------------- owners' proposals


@pytest.fixture
def ten(registry, committee, voters):
    """Ten owners of 100 m² each: 1/5 of heads is two owners."""
    return register(registry, committee, voters[:10], [[10_000]] * 10, prefix="ten")


def test_owner_proposal_gathers_cosigners(assembly, ten, chain):
    o = ten.owners
    p = propose(assembly, o[0].account, chain)
    assert assembly.state(p.id) == GATHERING
    [details] = p.tx.decode_logs(assembly.ProposalDetails)
    assert details.proposer == o[0].address
    assert details.cosigners_required == 2
    [first] = p.tx.decode_logs(assembly.ProposalCosigned)
    assert (first.owner, first.identity, first.cosigners, first.required, first.supported) == (o[0].address, o[0].identity, 1, 2, False)
    assert assembly.has_cosigned(p.id, o[0].address)
    assert not assembly.has_cosigned(p.id, o[1].address)

    open_voting(chain, p)
    with ape.reverts("assembly: proposal lacks co-signers"):
        assembly.castVote(p.id, FOR, sender=o[0].account)


def test_cosigning_reaches_one_fifth(assembly, ten, chain, attacker):
    o = ten.owners
    p = propose(assembly, o[0].account, chain)
    with ape.reverts("assembly: already co-signed"):
        assembly.cosign(p.id, sender=o[0].account)
    with ape.reverts("registry: not an owner wallet"):
        assembly.cosign(p.id, sender=attacker)
    tx = assembly.cosign(p.id, sender=o[1].account)
    [log] = tx.decode_logs(assembly.ProposalCosigned)
    assert (log.proposalId, log.owner, log.identity, log.cosigners, log.required, log.supported) == (p.id, o[1].address, o[1].identity, 2, 2, True)
    assert assembly.state(p.id) == PENDING
    assert assembly.proposal(p.id)[5] == 2
    with ape.reverts("assembly: not collecting co-signers"):
        assembly.cosign(p.id, sender=o[2].account)
    open_voting(chain, p)
    assembly.castVote(p.id, FOR, sender=o[3].account)


def _carry(assembly, committee, chain, owners, calls):
    """The committee proposes `calls`, every owner votes for, the result is published; the
    receipt of `execute` (which reverts when a call does)."""
    p = propose(assembly, committee, chain, matter=RULES_OF_PROCEDURE, calls=calls)
    open_voting(chain, p)
    for owner in owners:
        assembly.castVote(p.id, FOR, sender=owner.account)
    close_voting(chain, p)
    publish_result(assembly, chain, p)
    tx = assembly.queue(*p.calls, sender=committee)
    at(chain, tx.timestamp + ASSEMBLY_PARAMS["timelock_delay"])
    return p


def test_the_assembly_lowers_the_cosigner_threshold_for_later_proposals(assembly, ten, committee, chain):
    """The assembly's rules (议事规则) may lower the 1/5 of heads an owners' motion needs; a
    motion keeps the threshold of the day it was made."""
    o = ten.owners
    assert assembly.cosign_threshold_bps() == 2_000
    before = propose(assembly, o[0].account, chain, notice=60 * DAY)
    assert before.tx.decode_logs(assembly.ProposalDetails)[0].cosigners_required == 2  # ceil(10 / 5)
    change = _carry(assembly, committee, chain, o, [(assembly, 0, assembly.set_cosign_threshold.encode_input(1_000))])
    tx = assembly.execute(*change.calls, sender=committee)
    assert [log.bps for log in tx.decode_logs(assembly.CosignThresholdSet)] == [1_000]
    assert assembly.cosign_threshold_bps() == 1_000

    after = propose(assembly, o[1].account, chain)
    assert after.tx.decode_logs(assembly.ProposalDetails)[0].cosigners_required == 1  # ceil(10 × 10 %)
    assert assembly.state(after.id) == PENDING  # its proposer alone is enough now
    assert assembly.state(before.id) == GATHERING  # the earlier motion still needs its second
    [log] = assembly.cosign(before.id, sender=o[2].account).decode_logs(assembly.ProposalCosigned)
    assert (log.cosigners, log.required, log.supported) == (2, 2, True)


def test_the_cosigner_threshold_is_the_assemblys_and_never_above_one_fifth(assembly, registry, ten, committee,
                                                                           attacker):
    """Only the assembly sets it (here the deployer, which holds the assembly's role while it
    wires), and not even the assembly raises it above 1/5 (the share of owners whose motion
    must be put to a meeting, 物业管理条例 第十三条) or to nothing."""
    from backend.chain.deployment import role_id

    registry.grantRole(role_id("committee"), attacker.address, sender=committee)
    for who in (attacker, ten.owners[0].account):
        with ape.reverts("assembly: assembly only"):
            assembly.set_cosign_threshold(1_000, sender=who)
    for bps in (0, 2_001, 10_000):
        with ape.reverts("assembly: co-signer threshold out of range"):
            assembly.set_cosign_threshold(bps, sender=committee)
    assert assembly.cosign_threshold_bps() == 2_000
    assembly.set_cosign_threshold(2_000, sender=committee)  # the ceiling itself is allowed
    assert assembly.call_class(assembly.address, assembly.set_cosign_threshold.encode_input(1)) == 1


def test_cosign_refused_to_owner_without_weight_at_snapshot(assembly, registry, committee, ten, voters, chain):
    p = propose(assembly, ten.owners[0].account, chain)
    register(registry, committee, voters[10:11], [[10_000]], prefix="late")
    with ape.reverts("registry: wallet bound after the snapshot"):
        assembly.cosign(p.id, sender=voters[10])


def test_owner_proposal_expires_without_cosigners(assembly, ten, chain):
    p = propose(assembly, ten.owners[0].account, chain)
    at(chain, p.start)
    chain.mine()
    assert assembly.state(p.id) == EXPIRED
    with ape.reverts("assembly: not collecting co-signers"):
        assembly.cosign(p.id, sender=ten.owners[1].account)
    with ape.reverts("assembly: proposal lacks co-signers"):
        assembly.castVote(p.id, FOR, sender=ten.owners[0].account)


def test_cosign_unknown_proposal(assembly, ten):
    with ape.reverts("assembly: unknown proposal"):
        assembly.cosign(12345, sender=ten.owners[0].account)


def test_owner_proposal_in_small_community_needs_no_cosigner(assembly, populated, owner_b, chain):
    # Four heads: 1/5 of them is reached by the proposer alone.
    p = propose(assembly, owner_b, chain)
    assert assembly.state(p.id) == PENDING
    [log] = p.tx.decode_logs(assembly.ProposalCosigned)
    assert (log.cosigners, log.required, log.supported) == (1, 1, True)


# ---------------------------------------------------------------- cancel


def test_committee_cancels_before_voting(assembly, populated, committee, owner_a, chain):
    p = propose(assembly, committee, chain)
    tx = assembly.cancel(p.id, sender=committee)
    assert [log.proposalId for log in tx.decode_logs(assembly.ProposalCanceled)] == [p.id]
    assert assembly.state(p.id) == CANCELED
    with ape.reverts("assembly: voting has started"):
        assembly.cancel(p.id, sender=committee)
    open_voting(chain, p)
    assert assembly.state(p.id) == CANCELED
    with ape.reverts("assembly: proposal canceled"):
        assembly.castVote(p.id, FOR, sender=owner_a)


def test_the_proposer_withdraws_a_gathering_proposal(assembly, ten, committee, chain):
    p = propose(assembly, ten.owners[0].account, chain)
    with ape.reverts("assembly: proposer only"):
        assembly.cancel(p.id, sender=committee)  # the committee cannot cancel an owners' motion
    assembly.cancel(p.id, sender=ten.owners[0].account)
    assert assembly.state(p.id) == CANCELED
    with ape.reverts("assembly: not collecting co-signers"):
        assembly.cosign(p.id, sender=ten.owners[1].account)


def test_cancel_refused_once_voting_started(assembly, populated, committee, chain):
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    with ape.reverts("assembly: voting has started"):
        assembly.cancel(p.id, sender=committee)


def test_cancel_refused_to_all_but_the_proposer(assembly, populated, committee, owner_a, owner_b, attacker, chain):
    p = propose(assembly, owner_a, chain)
    for who in (attacker, owner_b, committee):  # a stranger, another owner, the committee
        with ape.reverts("assembly: proposer only"):
            assembly.cancel(p.id, sender=who)
    assembly.cancel(p.id, sender=owner_a)
    with ape.reverts("assembly: unknown proposal"):
        assembly.cancel(999, sender=committee)


def test_unknown_proposal_views(assembly):
    for view in (assembly.state, assembly.proposal, assembly.outcome):
        with ape.reverts("assembly: unknown proposal"):
            view(42)

