"""The result of a vote the legal way (issue 20): at the close a preliminary result
(初步统计结果), an objection period (询异), then the final result, each an event and a
state; and the paper count reconciled, or no result at all. PaperBallots publishes
the steps and records the final result in the assembly, which `queue` needs. Every
way around that is tried here and must fail."""

from __future__ import annotations

import ape
from eth_utils import keccak

from tests.assembly.conftest import ASSEMBLY_PARAMS
from tests.assembly.helpers import (
    AGAINST,
    ANNOUNCED,
    DAY,
    DEFEATED,
    FOR,
    SUCCEEDED,
    at,
    close_voting,
    open_voting,
    propose,
)

WINDOW = ASSEMBLY_PARAMS["objection_window"]
NONE, PRELIMINARY, OBJECTIONS_CLOSED, FINAL = 0, 1, 2, 3  # PaperBallots.result_state


def scan(text: str) -> bytes:
    return keccak(text=f"scan {text}")


def identity(registry, who) -> int:
    return registry.identity_of(who.address)[1]


def rules_calls(assembly):
    return [(assembly, 0, assembly.set_voting_rules.encode_input(2 * DAY, DAY, 20 * DAY, 5 * DAY, 30 * DAY))]


def with_paper(assembly, paper, registry, committee, chain, tellers, on_paper, online, text="纸质票议案"):
    """A proposal with tellers; `on_paper` owners vote FOR on paper (entered by the
    first teller, confirmed by the second), `online` owners vote FOR from their wallet."""
    p = propose(assembly, committee, chain, calls=rules_calls(assembly), text=text)
    paper.appoint_tellers(p.id, [t.address for t in tellers], sender=committee)
    open_voting(chain, p)
    for who in online:
        assembly.castVote(p.id, FOR, sender=who)
    for who in on_paper:
        paper.enter_ballot(p.id, identity(registry, who), FOR, scan(who.address), sender=tellers[0])
        paper.confirm_ballot(p.id, identity(registry, who), FOR, scan(who.address), sender=tellers[1])
    return p


def test_preliminary_objections_final_each_an_event_and_a_state(assembly, paper, registry, populated, committee,
                                                                 owner_a, owner_b, owner_c, developer, attacker,
                                                                 chain):
    p = with_paper(assembly, paper, registry, committee, chain, [owner_b, owner_c], [owner_a], [owner_b, owner_c,
                                                                                               developer])
    paper.declare_collected(p.id, 1, sender=owner_b)
    paper.confirm_collected(p.id, 1, sender=owner_c)
    close_voting(chain, p)
    assert (assembly.state(p.id), paper.result_state(p.id)) == (ANNOUNCED, NONE)

    at(chain, p.end + DAY)  # published a day after the close: its period runs from then
    tx = paper.publish_preliminary(p.id, sender=attacker)  # anyone
    [pre] = tx.decode_logs(paper.PreliminaryResult)
    _, _, total_area, total_heads = assembly.outcome(p.id)
    assert (pre.proposal_id, pre.passed, pre.turnout_met, pre.for_heads, pre.against_heads, pre.abstain_heads) == (
        p.id, True, True, 4, 0, 0)
    assert (pre.for_area, pre.total_area, pre.total_heads) == (assembly.tally(p.id, FOR)[0], total_area, total_heads)
    assert (pre.paper_ballots, pre.objection_ends, pre.published_by) == (1, tx.timestamp + WINDOW, attacker.address)
    assert (paper.published_at(p.id), paper.objection_ends(p.id)) == (tx.timestamp, tx.timestamp + WINDOW)
    assert (assembly.state(p.id), paper.result_state(p.id)) == (ANNOUNCED, PRELIMINARY)
    assert not tx.decode_logs(assembly.ProposalTallied) and not paper.final_published(p.id)  # not final yet

    # Objections: one per owner identity, counted on chain.
    first = paper.object_result(p.id, keccak(text="计票有误"), sender=owner_b)
    [log] = first.decode_logs(paper.ResultObjected)
    assert (log.proposal_id, log.identity, log.text_hash, log.objections, log.owner) == (
        p.id, identity(registry, owner_b), keccak(text="计票有误"), 1, owner_b.address)
    paper.object_result(p.id, keccak(text="未见纸质票扫描件"), sender=developer)
    assert paper.objections(p.id) == 2 and paper.objected(p.id, identity(registry, owner_b))

    # One second before the period ends: no final result, no queue.
    at(chain, tx.timestamp + WINDOW - 1)
    with ape.reverts("ballots: objection period not over"):
        paper.publish_final(p.id, sender=attacker)
    with ape.reverts("assembly: no final result"):
        assembly.queue(*p.calls, sender=attacker)
    # Past the window counted from the close, still announced: the period follows the publication.
    assert p.end + WINDOW < tx.timestamp + WINDOW - 1
    assert assembly.state(p.id) == ANNOUNCED

    at(chain, tx.timestamp + WINDOW)
    chain.mine()
    assert paper.result_state(p.id) == OBJECTIONS_CLOSED
    with ape.reverts("ballots: objection period over"):
        paper.object_result(p.id, keccak(text="迟到的异议"), sender=owner_c)
    final = paper.publish_final(p.id, sender=attacker)  # anyone
    [out] = final.decode_logs(paper.FinalResult)
    assert (out.passed, out.for_heads, out.for_area, out.objections, out.objection_ends, out.published_by) == (
        True, 4, pre.for_area, 2, tx.timestamp + WINDOW, attacker.address)
    [tallied] = final.decode_logs(assembly.ProposalTallied)  # recorded in the assembly
    assert (tallied.passed, tallied.for_heads, tallied.objection_ends) == (True, 4, tx.timestamp + WINDOW)
    assert (assembly.state(p.id), paper.result_state(p.id)) == (SUCCEEDED, FINAL)
    assert assembly.proposal(p.id)[4] & 16 and paper.final_published(p.id)

    # Twice: refused, by anyone, at every step.
    with ape.reverts("ballots: final result already published"):
        paper.publish_final(p.id, sender=committee)
    with ape.reverts("ballots: preliminary result already published"):
        paper.publish_preliminary(p.id, sender=committee)
    assembly.queue(*p.calls, sender=attacker)


def test_unreconciled_paper_ballots_refuse_every_result(assembly, paper, registry, populated, committee, owner_a,
                                                        owner_b, owner_c, developer, attacker, chain):
    """The tellers declare three ballots collected; two were entered: no preliminary
    result, so no final result, no queue, and nothing the tellers can do after the close."""
    p = with_paper(assembly, paper, registry, committee, chain, [owner_b, owner_c], [owner_a, developer],
                   [owner_b, owner_c])
    paper.declare_collected(p.id, 3, sender=owner_b)
    paper.confirm_collected(p.id, 3, sender=owner_c)
    close_voting(chain, p)
    assert tuple(assembly.outcome(p.id))[:2] == (True, True)  # it would pass
    assert not paper.reconciled(p.id) and not paper.settled(p.id)
    for who in (attacker, committee, owner_b):
        with ape.reverts("ballots: paper ballots not reconciled"):
            paper.publish_preliminary(p.id, sender=who)
    # Siblings: the final result, the assembly's own record and the queue directly.
    with ape.reverts("ballots: no preliminary result"):
        paper.publish_final(p.id, sender=attacker)
    for who in (attacker, committee, owner_b):
        with ape.reverts("assembly: paper ballots only"):
            assembly.finalize(p.id, p.end, sender=who)
    at(chain, p.end + WINDOW + DAY)
    chain.mine()
    assert assembly.state(p.id) == ANNOUNCED
    with ape.reverts("assembly: no final result"):
        assembly.queue(*p.calls, sender=attacker)
    with ape.reverts("ballots: no preliminary result"):
        paper.object_result(p.id, keccak(text="x"), sender=owner_a)
    # After the close the count cannot be mended: no new entry, no new declaration.
    with ape.reverts("ballots: voting closed"):
        paper.enter_ballot(p.id, identity(registry, owner_c), FOR, scan("late"), sender=owner_b)
    with ape.reverts("ballots: count already confirmed"):
        paper.declare_collected(p.id, 2, sender=owner_b)


def test_a_declared_count_equal_to_entries_but_one_unconfirmed_is_refused(assembly, paper, registry, populated,
                                                                         committee, owner_a, owner_b, owner_c,
                                                                         developer, chain):
    p = with_paper(assembly, paper, registry, committee, chain, [owner_b, owner_c], [owner_a], [owner_b, owner_c])
    paper.enter_ballot(p.id, identity(registry, developer), AGAINST, scan("dev"), sender=owner_c)  # never confirmed
    paper.declare_collected(p.id, 2, sender=owner_b)
    paper.confirm_collected(p.id, 2, sender=owner_c)
    close_voting(chain, p)
    assert (paper.entered(p.id), paper.confirmed(p.id), paper.declared(p.id)) == (2, 1, 2)
    with ape.reverts("ballots: paper ballots not reconciled"):
        paper.publish_preliminary(p.id, sender=committee)


def test_a_declared_count_not_confirmed_by_a_second_teller_is_refused(assembly, paper, registry, populated,
                                                                      committee, owner_a, owner_b, owner_c, chain):
    p = with_paper(assembly, paper, registry, committee, chain, [owner_b, owner_c], [owner_a], [owner_b, owner_c])
    paper.declare_collected(p.id, 1, sender=owner_b)  # one teller's word only
    close_voting(chain, p)
    with ape.reverts("ballots: paper ballots not reconciled"):
        paper.publish_preliminary(p.id, sender=committee)
    # The second teller confirms after the close: the count adds up, the result may go out.
    paper.confirm_collected(p.id, 1, sender=owner_c)
    assert paper.publish_preliminary(p.id, sender=committee).decode_logs(paper.PreliminaryResult)[0].passed


def test_tellers_with_no_paper_ballot_must_declare_zero(assembly, paper, registry, populated, committee, owner_a,
                                                        owner_b, owner_c, developer, chain):
    """A sibling: tellers appointed, nobody voted on paper. Without their confirmed
    declaration of zero there is no result (a box of uncounted ballots is possible)."""
    p = with_paper(assembly, paper, registry, committee, chain, [owner_b, owner_c], [], [owner_a, owner_b, owner_c,
                                                                                        developer])
    close_voting(chain, p)
    assert not paper.reconciled(p.id)
    with ape.reverts("ballots: paper ballots not reconciled"):
        paper.publish_preliminary(p.id, sender=committee)
    paper.declare_collected(p.id, 0, sender=owner_c)
    paper.confirm_collected(p.id, 0, sender=owner_b)
    assert paper.reconciled(p.id) and paper.settled(p.id)
    tx = paper.publish_preliminary(p.id, sender=committee)
    assert tx.decode_logs(paper.PreliminaryResult)[0].paper_ballots == 0


def test_without_tellers_no_paper_requirement(assembly, paper, populated, committee, owner_a, owner_b, owner_c,
                                              developer, chain):
    p = propose(assembly, committee, chain, calls=rules_calls(assembly))
    open_voting(chain, p)
    for who in (owner_a, owner_b, owner_c, developer):
        assembly.castVote(p.id, FOR, sender=who)
    close_voting(chain, p)
    assert paper.settled(p.id) and not paper.reconciled(p.id)  # nothing declared: none possible
    assert paper.publish_preliminary(p.id, sender=owner_a).decode_logs(paper.PreliminaryResult)[0].passed


def test_refusals_before_the_close_and_for_proposals_never_voted(assembly, paper, populated, committee, owner_a,
                                                                 attacker, chain):
    p = propose(assembly, committee, chain)
    with ape.reverts("ballots: voting not over"):
        paper.publish_preliminary(p.id, sender=attacker)
    open_voting(chain, p)
    with ape.reverts("ballots: voting not over"):
        paper.publish_preliminary(p.id, sender=attacker)
    with ape.reverts("ballots: no preliminary result"):
        paper.publish_final(p.id, sender=attacker)
    with ape.reverts("assembly: unknown proposal"):
        paper.publish_preliminary(p.id + 1, sender=attacker)
    withdrawn = propose(assembly, committee, chain, text="撤回")
    assembly.cancel(withdrawn.id, sender=committee)
    close_voting(chain, withdrawn)
    with ape.reverts("ballots: proposal never went to the vote"):
        paper.publish_preliminary(withdrawn.id, sender=attacker)


def test_objection_refusals(assembly, paper, populated, committee, owner_a, owner_b, tenant, attacker, chain):
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    assembly.castVote(p.id, FOR, sender=owner_a)
    with ape.reverts("ballots: no preliminary result"):
        paper.object_result(p.id, keccak(text="x"), sender=owner_b)
    close_voting(chain, p)
    paper.publish_preliminary(p.id, sender=committee)
    for who in (attacker, tenant):  # a stranger, a resident who owns nothing
        with ape.reverts("ballots: owners only"):
            paper.object_result(p.id, keccak(text="x"), sender=who)
    with ape.reverts("ballots: empty text hash"):
        paper.object_result(p.id, b"\x00" * 32, sender=owner_b)
    paper.object_result(p.id, keccak(text="第一次"), sender=owner_b)
    with ape.reverts("ballots: already objected"):
        paper.object_result(p.id, keccak(text="第二次"), sender=owner_b)
    assert paper.objections(p.id) == 1


def test_a_defeated_result_goes_the_same_way(assembly, paper, populated, committee, owner_a, owner_b, owner_c,
                                             attacker, chain):
    """A defeated proposal has a preliminary result too, objections to it (a voter whose
    ballot is missing), and a final result; the final result never makes it queueable."""
    p = propose(assembly, committee, chain, calls=rules_calls(assembly))
    open_voting(chain, p)
    assembly.castVote(p.id, FOR, sender=owner_a)
    assembly.castVote(p.id, AGAINST, sender=owner_b)
    close_voting(chain, p)
    assert assembly.state(p.id) == DEFEATED
    tx = paper.publish_preliminary(p.id, sender=attacker)
    assert not tx.decode_logs(paper.PreliminaryResult)[0].passed
    assert paper.result_state(p.id) == PRELIMINARY
    paper.object_result(p.id, keccak(text="我的票未计入"), sender=owner_c)
    at(chain, tx.timestamp + WINDOW)
    final = paper.publish_final(p.id, sender=attacker)
    [out] = final.decode_logs(paper.FinalResult)
    assert (out.passed, out.objections) == (False, 1)
    assert not final.decode_logs(assembly.ProposalTallied)[0].passed
    assert (assembly.state(p.id), paper.result_state(p.id)) == (DEFEATED, FINAL)
    with ape.reverts("assembly: proposal not passed"):
        assembly.queue(*p.calls, sender=attacker)


def test_a_zero_objection_window_publishes_both_in_one_block_but_in_order(project, chain, committee, community,
                                                                          populated, owner_a, owner_b, owner_c,
                                                                          developer):
    from backend.chain.deploy_assembly import deploy_assembly

    gov = deploy_assembly(project, chain, committee, community, **{**ASSEMBLY_PARAMS, "objection_window": 0})
    assembly, paper = gov["OwnersAssembly"], gov["PaperBallots"]
    p = propose(assembly, committee, chain, calls=rules_calls(assembly))
    open_voting(chain, p)
    for who in (owner_a, owner_b, owner_c, developer):
        assembly.castVote(p.id, FOR, sender=who)
    close_voting(chain, p)
    with ape.reverts("ballots: no preliminary result"):
        paper.publish_final(p.id, sender=owner_a)
    tx = paper.publish_preliminary(p.id, sender=owner_a)
    assert paper.objection_ends(p.id) == tx.timestamp
    with ape.reverts("ballots: objection period over"):
        paper.object_result(p.id, keccak(text="x"), sender=owner_b)
    paper.publish_final(p.id, sender=owner_a)
    assert assembly.state(p.id) == SUCCEEDED
