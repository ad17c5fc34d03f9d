# SPDX-License-Identifier: AGPL-3.0-only
"""The non-voter rule of 业主大会和业主委员会指导规则 第二十六条第二款 (issue 20): "未参与表决的
业主，其投票权数是否可以计入已表决的多数票，由管理规约或者业主大会议事规则规定".

Off by default; the assembly turns it on (PaperBallots.set_nonvoter_rule). A proposal
is counted under the rule as it stood at its snapshot, so a change during a vote
changes nothing. Under it, after the close two tellers record and confirm the owners
who did not vote and whose service of the notice is proven; the preliminary result
adds them to the side with the majority of those who voted.

The community (tests/conftest.py `populate`): A 209.50 m² (two units, one head), B
90.00, C 110.50, the developer 200.00 (two unsold units, one head): 610.00 m², 4 heads.
A and B voting FOR is 2 heads of 4: below 2/3, defeated by the ballots alone; C served
adds the third head and 410.00 m² of 610.00 (≥ 2/3): passed under the rule."""

from __future__ import annotations

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak

from backend.chain.constitution import constitution_entries
from backend.chain.deploy_assembly import deploy_assembly
from tests.assembly.conftest import ASSEMBLY_PARAMS
from tests.assembly.helpers import (
    AGAINST,
    ANNOUNCED,
    DAY,
    DEFEATED,
    FOR,
    RULES_OF_PROCEDURE,
    SUCCEEDED,
    at,
    close_voting,
    open_voting,
    propose,
    publish_result,
)
from tests.conftest import populate

NO_SIDE = 255
EVIDENCE = keccak(text="送达回执 批次 1")
C_AREA, A_AREA, B_AREA, DEV_AREA = 11_050, 20_950, 9_000, 20_000


@pytest.fixture(scope="module")
def nv(project, chain, registry, committee, manager, owner_a, owner_b, owner_c, tenant, merchant, provider, developer,
       roles):
    """The populated community with its assembly, deployed once for the module (each
    test runs on a snapshot of it); `committee` (account 0) still holds the assembly's
    role, standing in for its timelock."""
    populate(registry, committee, manager, owner_a, owner_b, owner_c, tenant, merchant, provider, developer, roles)
    gov = deploy_assembly(project, chain, committee, registry, **ASSEMBLY_PARAMS)
    # PaperBallots' classes in the constitution, as a full deployment writes them.
    gov["Constitution"].set_call_class(constitution_entries({"PaperBallots": gov["PaperBallots"]}), sender=committee)
    return gov


@pytest.fixture
def nv_assembly(nv):
    return nv["OwnersAssembly"]


@pytest.fixture
def nv_paper(nv):
    return nv["PaperBallots"]


def ident(registry, who) -> int:
    return registry.identity_of(who.address)[1]


def calls(assembly):
    return [(assembly, 0, assembly.set_voting_rules.encode_input(2 * DAY, DAY, 20 * DAY, 5 * DAY, 30 * DAY))]


def make(assembly, paper, committee, chain, tellers, text):
    """A committee proposal with two tellers (who will declare zero paper ballots)."""
    p = propose(assembly, committee, chain, calls=calls(assembly), text=text)
    paper.appoint_tellers(p.id, [t.address for t in tellers], sender=committee)
    return p


def reconcile_none(paper, p, tellers):
    paper.declare_collected(p.id, 0, sender=tellers[0])
    paper.confirm_collected(p.id, 0, sender=tellers[1])


def test_on_and_off_on_the_same_ballots_give_different_results(nv_assembly, nv_paper, registry, committee, owner_a,
                                                                 owner_b, owner_c, developer, attacker, chain):
    assembly, paper = nv_assembly, nv_paper
    tellers = [owner_b, owner_c]
    assert not paper.nonvoter_rule() and paper.nonvoter_rule_changes() == 0  # off by default
    off = make(assembly, paper, committee, chain, tellers, "规则关闭时的议案")
    tx = paper.set_nonvoter_rule(True, sender=committee)
    [log] = tx.decode_logs(paper.NonvoterRuleSet)
    assert (log.on, log.from_block, log.set_by) == (True, tx.block_number, committee.address)
    on = make(assembly, paper, committee, chain, tellers, "规则开启后的议案")
    assert (paper.nonvoter_rule_for(off.id), paper.nonvoter_rule_for(on.id)) == (False, True)
    assert paper.nonvoter_rule_change(0) == (tx.block_number, True)

    open_voting(chain, on)
    for p in (off, on):  # the same ballots on both
        assembly.castVote(p.id, FOR, sender=owner_a)
        assembly.castVote(p.id, FOR, sender=owner_b)
        reconcile_none(paper, p, tellers)
    close_voting(chain, on)
    assert assembly.state(on.id) == assembly.state(off.id) == DEFEATED  # by the ballots alone

    # Service of C proven: recorded by one teller, confirmed by the other.
    with ape.reverts("ballots: non-voter rule not in force"):
        paper.record_service(off.id, [ident(registry, owner_c)], EVIDENCE, sender=owner_b)
    rec = paper.record_service(on.id, [ident(registry, owner_c)], EVIDENCE, sender=owner_b)
    [r] = rec.decode_logs(paper.ServiceRecorded)
    assert (r.batch, list(r.identities), r.evidence_hash, r.teller) == (0, [ident(registry, owner_c)], EVIDENCE,
                                                                        owner_b.address)
    assert paper.served_heads(on.id) == 0  # one teller alone counts nothing
    conf = paper.confirm_service(on.id, 0, [ident(registry, owner_c)], EVIDENCE, sender=owner_c)
    [c] = conf.decode_logs(paper.ServiceConfirmed)
    assert (c.area, c.heads, c.entered_by, c.confirmed_by) == (C_AREA, 1, owner_b.address, owner_c.address)
    assert (paper.served_area(on.id), paper.served_heads(on.id)) == (C_AREA, 1)
    assert paper.service_state(on.id, ident(registry, owner_c)) == 2
    assert paper.service_batch(on.id, 0)[0] == owner_b.address and paper.service_batch(on.id, 0)[2]

    pre_off = paper.publish_preliminary(off.id, sender=attacker)
    assert not pre_off.decode_logs(paper.DeemedVotes)
    [r_off] = pre_off.decode_logs(paper.PreliminaryResult)
    assert (r_off.passed, r_off.turnout_met) == (False, False)

    pre_on = paper.publish_preliminary(on.id, sender=attacker)
    [d] = pre_on.decode_logs(paper.DeemedVotes)
    assert (d.side, d.area, d.heads, d.served_area, d.served_heads) == (FOR, C_AREA, 1, C_AREA, 1)
    assert (d.passed_without, d.turnout_met_without) == (False, False)
    [r_on] = pre_on.decode_logs(paper.PreliminaryResult)
    # The tallies are the ballots; passed and turnout count the served non-voter.
    assert (r_on.passed, r_on.turnout_met, r_on.for_heads, r_on.for_area) == (True, True, 2, A_AREA + B_AREA)
    assert paper.deemed_pass(on.id) and not paper.deemed_pass(off.id)
    assert (assembly.state(on.id), assembly.state(off.id)) == (ANNOUNCED, DEFEATED)
    assert tuple(assembly.outcome(on.id))[:2] == (True, True)
    with ape.reverts("ballots: preliminary result already published"):  # no service after the preliminary result
        paper.record_service(on.id, [ident(registry, developer)], EVIDENCE, sender=owner_b)

    at(chain, paper.objection_ends(on.id))
    final = paper.publish_final(on.id, sender=attacker)
    assert final.decode_logs(paper.FinalResult)[0].passed
    [tallied] = final.decode_logs(assembly.ProposalTallied)
    assert (tallied.passed, tallied.turnout_met, tallied.for_heads) == (True, True, 2)
    assert assembly.state(on.id) == SUCCEEDED
    assembly.queue(*on.calls, sender=attacker)
    assert not paper.publish_final(off.id, sender=attacker).decode_logs(paper.FinalResult)[0].passed
    assert assembly.state(off.id) == DEFEATED


def test_only_proven_served_non_voters_count(nv_assembly, nv_paper, registry, committee, owner_a, owner_b, owner_c,
                                            developer, chain):
    """Served: C only; the developer did not vote and was not shown served: C's area
    and head are added, not the developer's."""
    assembly, paper = nv_assembly, nv_paper
    paper.set_nonvoter_rule(True, sender=committee)
    p = make(assembly, paper, committee, chain, [owner_a, owner_b], "仅已送达者计入")
    open_voting(chain, p)
    assembly.castVote(p.id, FOR, sender=owner_a)
    assembly.castVote(p.id, FOR, sender=owner_b)
    reconcile_none(paper, p, [owner_a, owner_b])
    close_voting(chain, p)
    paper.record_service(p.id, [ident(registry, owner_c)], EVIDENCE, sender=owner_a)
    paper.confirm_service(p.id, 0, [ident(registry, owner_c)], EVIDENCE, sender=owner_b)
    [d] = paper.publish_preliminary(p.id, sender=owner_a).decode_logs(paper.DeemedVotes)
    assert (d.side, d.area, d.heads) == (FOR, C_AREA, 1)
    assert paper.service_state(p.id, ident(registry, developer)) == 0


def test_voters_on_every_channel_cannot_be_recorded_as_served(nv_assembly, nv_paper, registry, committee, owner_a,
                                                               owner_b, owner_c, developer, chain):
    assembly, paper = nv_assembly, nv_paper
    paper.set_nonvoter_rule(True, sender=committee)
    p = make(assembly, paper, committee, chain, [owner_b, owner_c], "投票者不是未表决业主")
    assembly.set_delegate(owner_a.address, p.id, sender=owner_b)  # B's delegate: A
    open_voting(chain, p)
    assembly.castVote(p.id, FOR, sender=owner_a)  # online
    assembly.castVoteAsDelegate(p.id, [owner_b.address], AGAINST, sender=owner_a)  # by delegate
    dev = ident(registry, developer)
    paper.enter_ballot(p.id, dev, FOR, keccak(text="scan dev"), sender=owner_b)  # on paper
    paper.confirm_ballot(p.id, dev, FOR, keccak(text="scan dev"), sender=owner_c)
    with ape.reverts("ballots: voting not over"):  # not while owners may still vote
        paper.record_service(p.id, [ident(registry, owner_c)], EVIDENCE, sender=owner_b)
    close_voting(chain, p)
    for voter in (owner_a, owner_b, developer):
        with ape.reverts("ballots: owner voted"):
            paper.record_service(p.id, [ident(registry, voter)], EVIDENCE, sender=owner_b)
        # Nor hidden in a list with a non-voter.
        with ape.reverts("ballots: owner voted"):
            paper.record_service(p.id, [ident(registry, owner_c), ident(registry, voter)], EVIDENCE, sender=owner_b)
    with ape.reverts("ballots: no vote at the snapshot"):  # not on the roll
        paper.record_service(p.id, [10_000], EVIDENCE, sender=owner_b)
    with ape.reverts("ballots: empty evidence hash"):
        paper.record_service(p.id, [ident(registry, owner_c)], b"\x00" * 32, sender=owner_b)
    with ape.reverts("ballots: nobody named"):
        paper.record_service(p.id, [], EVIDENCE, sender=owner_b)
    # More than MAX_SERVED in one call: refused by the contract's bounds (sent raw, past Ape's encoder).
    too_many = [ident(registry, owner_c)] * (paper.MAX_SERVED() + 1)
    data = keccak(text="record_service(uint256,uint256[],bytes32)")[:4] + encode(
        ["uint256", "uint256[]", "bytes32"], [p.id, too_many, EVIDENCE])
    with pytest.raises(Exception, match="revert") as refused:
        chain.provider.web3.eth.call({"from": owner_b.address, "to": paper.address, "data": data})
    assert "ballots:" not in str(refused.value)  # the bound, before any check of the list's owners
    assert paper.service_batches(p.id) == 0


def test_one_teller_alone_own_confirmation_and_twice_refused(nv_assembly, nv_paper, registry, committee, owner_a,
                                                              owner_b, owner_c, developer, chain):
    assembly, paper = nv_assembly, nv_paper
    paper.set_nonvoter_rule(True, sender=committee)
    p = make(assembly, paper, committee, chain, [owner_b, owner_c], "监票人各自为政")
    open_voting(chain, p)
    assembly.castVote(p.id, FOR, sender=owner_a)
    assembly.castVote(p.id, FOR, sender=owner_b)
    reconcile_none(paper, p, [owner_b, owner_c])
    close_voting(chain, p)
    c, dev = ident(registry, owner_c), ident(registry, developer)
    paper.record_service(p.id, [c], EVIDENCE, sender=owner_b)
    with ape.reverts("ballots: a teller cannot confirm their own entry"):
        paper.confirm_service(p.id, 0, [c], EVIDENCE, sender=owner_b)
    with ape.reverts("ballots: service already recorded"):  # by another teller, or in a list
        paper.record_service(p.id, [c], EVIDENCE, sender=owner_c)
    with ape.reverts("ballots: service already recorded"):
        paper.record_service(p.id, [dev, dev], EVIDENCE, sender=owner_c)
    with ape.reverts("ballots: entry differs"):  # another list or evidence than recorded
        paper.confirm_service(p.id, 0, [c, dev], EVIDENCE, sender=owner_c)
    with ape.reverts("ballots: entry differs"):
        paper.confirm_service(p.id, 0, [c], keccak(text="其他证据"), sender=owner_c)
    with ape.reverts("ballots: no such entry"):
        paper.confirm_service(p.id, 1, [c], EVIDENCE, sender=owner_c)
    # Unconfirmed, C counts for nothing: defeated, nothing added.
    snap = chain.snapshot()
    [d] = paper.publish_preliminary(p.id, sender=owner_a).decode_logs(paper.DeemedVotes)
    assert (d.side, d.area, d.heads, d.served_heads) == (FOR, 0, 0, 0)
    assert assembly.state(p.id) == DEFEATED and not paper.deemed_pass(p.id)
    chain.restore(snap)
    paper.confirm_service(p.id, 0, [c], EVIDENCE, sender=owner_c)
    with ape.reverts("ballots: already confirmed"):
        paper.confirm_service(p.id, 0, [c], EVIDENCE, sender=owner_c)
    assert paper.served_heads(p.id) == 1


def test_no_majority_side_adds_nothing_and_against_side_never_passes(nv_assembly, nv_paper, registry, committee,
                                                                     owner_a, owner_b, owner_c, developer, chain):
    assembly, paper = nv_assembly, nv_paper
    paper.set_nonvoter_rule(True, sender=committee)
    split = make(assembly, paper, committee, chain, [owner_b, owner_c], "一比一")
    against = make(assembly, paper, committee, chain, [owner_b, owner_c], "多数反对")
    open_voting(chain, against)
    assembly.castVote(split.id, FOR, sender=owner_a)  # more area FOR, but heads 1 : 1
    assembly.castVote(split.id, AGAINST, sender=owner_b)
    assembly.castVote(against.id, AGAINST, sender=owner_a)
    assembly.castVote(against.id, AGAINST, sender=owner_b)
    for p in (split, against):
        reconcile_none(paper, p, [owner_b, owner_c])
    close_voting(chain, against)
    for p in (split, against):
        paper.record_service(p.id, [ident(registry, owner_c), ident(registry, developer)], EVIDENCE, sender=owner_b)
        paper.confirm_service(p.id, 0, [ident(registry, owner_c), ident(registry, developer)], EVIDENCE,
                              sender=owner_c)
    tx = paper.publish_preliminary(split.id, sender=owner_a)
    [d] = tx.decode_logs(paper.DeemedVotes)
    assert (d.side, d.area, d.heads, d.served_heads) == (NO_SIDE, 0, 0, 2)
    [r] = tx.decode_logs(paper.PreliminaryResult)
    assert (r.passed, r.turnout_met) == (False, False)  # 2 heads of 4 voted; nobody was added
    tx = paper.publish_preliminary(against.id, sender=owner_a)
    [d] = tx.decode_logs(paper.DeemedVotes)
    assert (d.side, d.area, d.heads) == (AGAINST, C_AREA + DEV_AREA, 2)
    [r] = tx.decode_logs(paper.PreliminaryResult)
    assert (r.passed, r.turnout_met) == (False, True)  # turnout met with the deemed votes, rejected
    assert not paper.deemed_pass(split.id) and not paper.deemed_pass(against.id)
    assert assembly.state(against.id) == DEFEATED


def test_changing_the_rule_during_a_vote_changes_nothing(nv_assembly, nv_paper, registry, committee, owner_a, owner_b,
                                                          owner_c, chain):
    assembly, paper = nv_assembly, nv_paper
    made_off = make(assembly, paper, committee, chain, [owner_b, owner_c], "投票中开启")
    paper.set_nonvoter_rule(True, sender=committee)
    made_on = make(assembly, paper, committee, chain, [owner_b, owner_c], "投票中关闭")
    open_voting(chain, made_on)
    assembly.castVote(made_on.id, FOR, sender=owner_a)
    paper.set_nonvoter_rule(False, sender=committee)  # mid-vote: off
    assert not paper.nonvoter_rule()
    assert (paper.nonvoter_rule_for(made_off.id), paper.nonvoter_rule_for(made_on.id)) == (False, True)
    paper.set_nonvoter_rule(True, sender=committee)  # and on again
    assert (paper.nonvoter_rule_for(made_off.id), paper.nonvoter_rule_for(made_on.id)) == (False, True)
    assert paper.nonvoter_rule_changes() == 3
    # Two changes in one block leave one entry: the last.
    web3 = chain.provider.web3
    nonce = web3.eth.get_transaction_count(committee.address)
    chain.provider.make_request("evm_setAutomine", [False])
    try:
        for i, on in enumerate((False, True)):
            web3.eth.send_transaction({"from": committee.address, "to": paper.address, "nonce": nonce + i,
                                       "gas": 200_000, "data": paper.set_nonvoter_rule.encode_input(on)})
        chain.mine()
    finally:
        chain.provider.make_request("evm_setAutomine", [True])
    assert [r["status"] for r in (web3.eth.get_transaction_receipt(t) for t in web3.eth.get_block("latest")[
        "transactions"])] == [1, 1]
    assert paper.nonvoter_rule_changes() == 4 and paper.nonvoter_rule()
    later = make(assembly, paper, committee, chain, [owner_b, owner_c], "之后的议案")
    assert paper.nonvoter_rule_for(later.id)
    close_voting(chain, made_on)
    with ape.reverts("ballots: non-voter rule not in force"):
        paper.record_service(made_off.id, [ident(registry, owner_c)], EVIDENCE, sender=owner_b)
    paper.record_service(made_on.id, [ident(registry, owner_c)], EVIDENCE, sender=owner_b)


def test_every_wrong_role_is_refused(nv_assembly, nv_paper, registry, committee, manager, owner_a, owner_b, owner_c,
                                     merchant, provider, attacker, roles, chain):
    assembly, paper = nv_assembly, nv_paper
    board = attacker  # a committee member who is not the assembly
    registry.grantRole(roles["committee"], board.address, sender=committee)
    for who in (board, manager, merchant, provider, owner_a, owner_b):
        with ape.reverts("ballots: assembly only"):
            paper.set_nonvoter_rule(True, sender=who)
    assert paper.nonvoter_rule_changes() == 0
    # (Its class on chain, ordinary, comes from backend/chain/constitution.py: tests/power.)
    paper.set_nonvoter_rule(True, sender=committee)
    p = make(assembly, paper, committee, chain, [owner_b, owner_c], "角色")
    close_voting(chain, p)
    c = ident(registry, owner_c)
    for who in (board, committee, manager, owner_a):  # no teller of this proposal
        with ape.reverts("ballots: not a teller"):
            paper.record_service(p.id, [c], EVIDENCE, sender=who)
    paper.record_service(p.id, [c], EVIDENCE, sender=owner_b)
    for who in (board, committee, manager, owner_a):
        with ape.reverts("ballots: not a teller"):
            paper.confirm_service(p.id, 0, [c], EVIDENCE, sender=who)
    # A teller of another proposal is no teller of this one.
    make(assembly, paper, committee, chain, [owner_a, owner_c], "另一议案")
    with ape.reverts("ballots: not a teller"):
        paper.confirm_service(p.id, 0, [c], EVIDENCE, sender=owner_a)


def test_the_assembly_turns_the_rule_on_by_an_ordinary_vote(nv_assembly, nv_paper, nv, committee, owner_a, owner_b,
                                                            owner_c, developer, chain):
    """The real path: a proposal of the rules of procedure calling set_nonvoter_rule is
    ordinary (> 1/2), passes, and the timelock's execution turns the rule on for the
    proposals made afterwards."""
    assembly, paper, timelock = nv_assembly, nv_paper, nv["AssemblyTimelock"]
    p = propose(assembly, committee, chain, matter=RULES_OF_PROCEDURE,
                calls=[(paper, 0, paper.set_nonvoter_rule.encode_input(True))])
    assert assembly.proposal(p.id)[4] & 32 == 0  # not counted by the 3/4 rule
    open_voting(chain, p)
    for who in (owner_a, owner_b, owner_c, developer):
        assembly.castVote(p.id, FOR, sender=who)
    close_voting(chain, p)
    publish_result(assembly, chain, p)
    queued = assembly.queue(*p.calls, sender=owner_a)
    at(chain, queued.timestamp + ASSEMBLY_PARAMS["timelock_delay"])
    assert not paper.nonvoter_rule()
    tx = assembly.execute(*p.calls, sender=owner_a)
    [log] = tx.decode_logs(paper.NonvoterRuleSet)
    assert (log.on, log.set_by) == (True, timelock.address)
    assert paper.nonvoter_rule() and not paper.nonvoter_rule_for(p.id)
    later = propose(assembly, committee, chain, text="规则生效后的议案")
    assert paper.nonvoter_rule_for(later.id)
