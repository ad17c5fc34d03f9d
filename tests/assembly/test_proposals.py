"""Proposals: who may propose, the owners' co-signing route (≥ 1/5 of heads),
validation, cancellation by the committee before voting, the events."""

from __future__ import annotations

import ape
import pytest

from backend.chain.deploy_assembly import deploy_assembly, selector
from tests.assembly.conftest import ASSEMBLY_PARAMS
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
    doc,
    open_voting,
    propose,
    register,
)


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
    assert tuple(assembly.proposal(p.id)) == (p.start, p.end, snapshot, RULES_OF_PROCEDURE, 0, 0, 3 * DAY, 0)

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
    assert not details.major
    assert details.doc_hash == p.doc_hash
    assert details.snapshot_block == snapshot
    assert (details.total_area, details.total_heads) == (61_000, 4)
    assert details.cosigners_required == 0
    assert details.objection_window == 3 * DAY
    assert p.tx.decode_logs(assembly.ProposalCosigned) == []


def test_proposal_id_is_openzeppelin_hash(assembly, populated, committee, chain):
    from eth_abi import encode
    from eth_utils import keccak

    p = propose(assembly, committee, chain, calls=[rules_call(assembly)])
    expected = keccak(encode(["address[]", "uint256[]", "bytes[]", "bytes32"], [p.targets, p.values, p.calldatas, p.doc_hash]))
    assert p.id == int.from_bytes(expected, "big")


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


def test_same_proposal_twice_is_refused(assembly, populated, committee, chain):
    a = args(chain)
    assembly.propose(*a, sender=committee)
    with ape.reverts("assembly: proposal already exists"):
        assembly.propose(*a, sender=committee)
    # A revised document is a new proposal.
    a[5] = doc("text, revised")
    assembly.propose(*a, sender=committee)


def test_propose_refused_to_non_owners(assembly, populated, attacker, tenant, chain):
    for who in (attacker, tenant):  # a stranger, and a resident who owns nothing
        with ape.reverts("assembly: committee or owners only"):
            assembly.propose(*args(chain), sender=who)


def test_propose_refused_without_owners(assembly, committee, chain):
    with ape.reverts("assembly: no owners at the snapshot"):
        assembly.propose(*args(chain), sender=committee)


# ---------------------------------------------------------------- major calls


def test_major_call_needs_a_major_matter(project, chain, committee, community, populated, registry):
    target = registry.address
    sel = selector("set_unit_area(uint256,uint256)")
    gov = deploy_assembly(project, chain, committee, community, major_calls=[(target, sel)], **ASSEMBLY_PARAMS)
    assembly = gov["OwnersAssembly"]
    assert assembly.major_call(target, sel) is True
    data = registry.set_unit_area.encode_input(1, 9_000)
    a = args(chain, targets=[target], values=[0], calldatas=[data], matter=USE_FUND)
    with ape.reverts("assembly: call requires a major matter"):
        assembly.propose(*a, sender=committee)
    a[3] = RAISE_FUND
    tx = assembly.propose(*a, sender=committee)
    [details] = tx.decode_logs(assembly.ProposalDetails)
    assert details.major
    # Another function of the same target is not marked.
    other = registry.set_change_delay.encode_input(5 * DAY)
    assembly.propose(*args(chain, targets=[target], values=[0], calldatas=[other], matter=USE_FUND), sender=committee)


def test_unmarking_a_major_call_is_itself_major(assembly, populated, committee, chain):
    data = assembly.set_major_call.encode_input(assembly.address, b"\x12\x34\x56\x78", False)
    a = args(chain, targets=[assembly.address], values=[0], calldatas=[data], matter=RULES_OF_PROCEDURE)
    with ape.reverts("assembly: call requires a major matter"):
        assembly.propose(*a, sender=committee)
    a[3] = RAISE_FUND
    assembly.propose(*a, sender=committee)


def test_major_calls_set_at_deploy_emit_events(project, chain, committee, community):
    sel = selector("foo()")
    gov = deploy_assembly(project, chain, committee, community, major_calls=[(committee.address, sel)], **ASSEMBLY_PARAMS)
    assembly = gov["OwnersAssembly"]
    logs = list(assembly.MajorCallSet.range(0, chain.blocks.head.number + 1))
    assert len(logs) == 1
    assert logs[0].event_arguments == {"target": committee.address, "selector": sel, "major": True}


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
    with ape.reverts("assembly: not an owner wallet"):
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


def test_cosign_refused_to_owner_without_weight_at_snapshot(assembly, registry, committee, ten, voters, chain):
    p = propose(assembly, ten.owners[0].account, chain)
    register(registry, committee, voters[10:11], [[10_000]], prefix="late")
    with ape.reverts("assembly: no vote at the snapshot"):
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


def test_committee_cancels_gathering_proposal(assembly, ten, committee, chain):
    p = propose(assembly, ten.owners[0].account, chain)
    assembly.cancel(p.id, sender=committee)
    assert assembly.state(p.id) == CANCELED
    with ape.reverts("assembly: not collecting co-signers"):
        assembly.cosign(p.id, sender=ten.owners[1].account)


def test_cancel_refused_once_voting_started(assembly, populated, committee, chain):
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    with ape.reverts("assembly: voting has started"):
        assembly.cancel(p.id, sender=committee)


def test_cancel_refused_to_others(assembly, populated, committee, owner_a, attacker, chain):
    p = propose(assembly, owner_a, chain)
    for who in (attacker, owner_a):  # a stranger, and even the owner who proposed
        with ape.reverts("assembly: committee only"):
            assembly.cancel(p.id, sender=who)
    with ape.reverts("assembly: unknown proposal"):
        assembly.cancel(999, sender=committee)


def test_unknown_proposal_views(assembly):
    for view in (assembly.state, assembly.proposal, assembly.outcome):
        with ape.reverts("assembly: unknown proposal"):
            view(42)

