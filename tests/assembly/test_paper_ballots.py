"""Paper ballots (线上线下相结合): tellers appointed per proposal, each ballot entered
by one teller and counted once a second teller confirms it, one identity counted
once across channels, and the tellers' declared count reconciled with the entries.
Every attack on the tellers' rules is performed here and must fail."""

from __future__ import annotations

import ape
from eth_utils import keccak

from tests.assembly.helpers import ABSTAIN, AGAINST, FOR, close_voting, open_voting, propose, register

A_AREA, B_AREA, C_AREA, DEV_AREA = 20_950, 9_000, 11_050, 20_000  # the `populated` community
OWN, DELEGATE, PAPER = 0, 1, 2  # OwnersAssembly's ballot channels
NONE_REPLACED = 255


def scan(text: str) -> bytes:
    """The sha256 a teller records for a ballot's scan (any 32 bytes here)."""
    return keccak(text=f"scan {text}")


def identity(registry, who) -> int:
    bound, index = registry.identity_of(who.address)
    assert bound
    return index


def open_with_tellers(assembly, paper, committee, chain, tellers):
    p = propose(assembly, committee, chain)
    tx = paper.appoint_tellers(p.id, [t.address for t in tellers], sender=committee)
    [log] = tx.decode_logs(paper.TellersAppointed)
    assert (log.proposal_id, list(log.tellers), log.appointed_by) == (p.id, [t.address for t in tellers], committee.address)
    open_voting(chain, p)
    return p


def test_a_vote_reaches_two_thirds_only_with_paper_ballots(assembly, paper, registry, committee, voters, chain):
    town = register(registry, committee, voters[:6], [[10_000]] * 6, prefix="paper-town")
    first, second = town.owners[4].account, town.owners[5].account  # tellers, and owners who vote online
    p = open_with_tellers(assembly, paper, committee, chain, [first, second])
    for owner in (first, second):
        assembly.castVote(p.id, FOR, sender=owner)
    # Two heads of six online: a third, far from the 2/3 turnout of art. 278.
    assert tuple(assembly.outcome(p.id))[:2] == (False, False)
    for owner in town.owners[:3]:
        tx = paper.enter_ballot(p.id, owner.identity, FOR, scan(owner.tag), sender=first)
        [entered] = tx.decode_logs(paper.PaperBallotEntered)
        assert (entered.identity, entered.support, entered.scan_hash, entered.teller) == (
            owner.identity, FOR, scan(owner.tag), first.address)
        tx = paper.confirm_ballot(p.id, owner.identity, FOR, scan(owner.tag), sender=second)
        [confirmed] = tx.decode_logs(paper.PaperBallotConfirmed)
        assert (confirmed.entered_by, confirmed.confirmed_by, confirmed.area, confirmed.replaced_channel) == (
            first.address, second.address, 10_000, NONE_REPLACED)
        [cast] = tx.decode_logs(assembly.VoteCast)
        assert (cast.voter, cast.support, cast.weight) == (owner.address, FOR, 10_000)
        assert assembly.ballot_of(p.id, owner.identity) == (FOR + 1) | PAPER << 2
    assert tuple(assembly.tally(p.id, FOR)) == (50_000, 5)
    assert tuple(assembly.outcome(p.id))[:2] == (True, True)
    # The tellers' count: one declares, another confirms; then it adds up.
    assert not paper.reconciled(p.id)
    paper.declare_collected(p.id, 3, sender=first)
    assert not paper.reconciled(p.id)
    paper.confirm_collected(p.id, 3, sender=second)
    assert paper.reconciled(p.id)
    close_voting(chain, p)
    assert paper.publish_preliminary(p.id, sender=committee).decode_logs(paper.PreliminaryResult)[0].passed
    chain.pending_timestamp = paper.objection_ends(p.id)
    assert paper.publish_final(p.id, sender=committee).decode_logs(assembly.ProposalTallied)[0].passed


def test_an_entry_counts_only_once_a_second_teller_confirms_it(assembly, paper, registry, populated, committee,
                                                                owner_a, owner_b, owner_c, developer, chain):
    p = open_with_tellers(assembly, paper, committee, chain, [owner_b, owner_c, developer])
    who = identity(registry, owner_a)
    paper.enter_ballot(p.id, who, AGAINST, scan("a"), sender=owner_b)
    # Entered by one teller only: nothing counted.
    assert tuple(assembly.tally(p.id, AGAINST)) == (0, 0)
    assert not assembly.hasVoted(p.id, owner_a.address)
    assert (paper.entered(p.id), paper.confirmed(p.id)) == (1, 0)
    assert not paper.entry(p.id, who).confirmed
    # The teller who entered it cannot confirm it.
    with ape.reverts("ballots: a teller cannot confirm their own entry"):
        paper.confirm_ballot(p.id, who, AGAINST, scan("a"), sender=owner_b)
    # A second teller must read the same choice and scan.
    with ape.reverts("ballots: entry differs"):
        paper.confirm_ballot(p.id, who, FOR, scan("a"), sender=owner_c)
    with ape.reverts("ballots: entry differs"):
        paper.confirm_ballot(p.id, who, AGAINST, scan("another"), sender=owner_c)
    with ape.reverts("ballots: no such entry"):
        paper.confirm_ballot(p.id, identity(registry, developer), AGAINST, scan("a"), sender=owner_c)
    paper.confirm_ballot(p.id, who, AGAINST, scan("a"), sender=owner_c)
    assert tuple(assembly.tally(p.id, AGAINST)) == (A_AREA, 1)
    # Confirmed twice, by the same teller or a third: refused, counted once.
    for teller in (owner_c, developer, owner_b):
        with ape.reverts():
            paper.confirm_ballot(p.id, who, AGAINST, scan("a"), sender=teller)
    with ape.reverts("ballots: already confirmed"):
        paper.confirm_ballot(p.id, who, AGAINST, scan("a"), sender=developer)
    assert tuple(assembly.tally(p.id, AGAINST)) == (A_AREA, 1)
    entry = paper.entry(p.id, who)
    assert (entry.teller, entry.support, entry.confirmed, entry.scan_hash) == (owner_b.address, AGAINST, True, scan("a"))
    # The same identity cannot be entered again.
    with ape.reverts("ballots: identity already entered"):
        paper.enter_ballot(p.id, who, FOR, scan("a again"), sender=developer)


def test_who_is_not_a_teller_cannot_enter_or_confirm(assembly, paper, registry, populated, committee, owner_a,
                                                     owner_b, owner_c, developer, attacker, chain):
    p = open_with_tellers(assembly, paper, committee, chain, [owner_b, owner_c])
    who = identity(registry, owner_a)
    # An outsider, an owner who is no teller, and the committee itself.
    for outsider in (attacker, developer, committee):
        with ape.reverts("ballots: not a teller"):
            paper.enter_ballot(p.id, who, FOR, scan("x"), sender=outsider)
        with ape.reverts("ballots: not a teller"):
            paper.declare_collected(p.id, 1, sender=outsider)
        with ape.reverts("ballots: not a teller"):
            paper.confirm_collected(p.id, 1, sender=outsider)
    paper.enter_ballot(p.id, who, FOR, scan("x"), sender=owner_b)
    for outsider in (attacker, developer, committee):
        with ape.reverts("ballots: not a teller"):
            paper.confirm_ballot(p.id, who, FOR, scan("x"), sender=outsider)
    # Tellers of one proposal are not tellers of another.
    other = propose(assembly, committee, chain)
    open_voting(chain, other)
    with ape.reverts("ballots: not a teller"):
        paper.enter_ballot(other.id, who, FOR, scan("x"), sender=owner_b)
    # Nobody but PaperBallots hands a paper ballot to the assembly.
    for caller in (attacker, committee, owner_b):
        with ape.reverts("assembly: paper ballots only"):
            assembly.castPaperBallot(p.id, who, A_AREA, owner_a.address, FOR, sender=caller)
    assert tuple(assembly.tally(p.id, FOR)) == (0, 0)


def test_appointing_tellers(assembly, paper, populated, committee, manager, owner_a, owner_b, owner_c, tenant,
                            attacker, chain):
    p = propose(assembly, committee, chain)
    tellers = [owner_b.address, owner_c.address]
    # Every role but the committee and the assembly is refused.
    for wrong in (manager, owner_a, tenant, attacker):
        with ape.reverts("ballots: committee or assembly only"):
            paper.appoint_tellers(p.id, tellers, sender=wrong)
    # One teller short of MIN_TELLERS (a 监票人 and a 计票人) is refused; MIN_TELLERS is accepted below.
    with ape.reverts("ballots: at least two tellers"):
        paper.appoint_tellers(p.id, tellers[:paper.MIN_TELLERS() - 1], sender=committee)
    with ape.reverts("ballots: a teller must be an owner"):
        paper.appoint_tellers(p.id, [owner_b.address, tenant.address], sender=committee)
    with ape.reverts("ballots: teller named twice"):
        paper.appoint_tellers(p.id, [owner_b.address, owner_b.address], sender=committee)
    with ape.reverts("assembly: unknown proposal"):
        paper.appoint_tellers(77, tellers, sender=committee)
    assert len(tellers) == paper.MIN_TELLERS()
    paper.appoint_tellers(p.id, tellers, sender=committee)
    assert paper.is_teller(p.id, owner_b.address) and paper.teller_count(p.id) == 2
    with ape.reverts("ballots: tellers already appointed"):
        paper.appoint_tellers(p.id, [owner_a.address, owner_c.address], sender=committee)
    late = propose(assembly, committee, chain)
    close_voting(chain, late)
    with ape.reverts("ballots: voting closed"):
        paper.appoint_tellers(late.id, tellers, sender=committee)


def test_the_assembly_is_named_once(paper, assembly, committee, attacker):
    assert paper.assembly() == assembly.address and assembly.paper_ballots() == paper.address
    with ape.reverts("ballots: assembly only"):
        paper.set_assembly(attacker.address, sender=attacker)
    # The deployer of a test community still holds the assembly's role: named once all the same.
    with ape.reverts("ballots: assembly already set"):
        paper.set_assembly(attacker.address, sender=committee)


def test_a_paper_ballot_overrides_the_delegate(assembly, paper, registry, populated, committee, owner_a, owner_b,
                                               owner_c, tenant, chain):
    assembly.set_delegate(tenant.address, 0, sender=owner_a)
    p = open_with_tellers(assembly, paper, committee, chain, [owner_b, owner_c])
    assembly.castVoteAsDelegate(p.id, [owner_a.address], FOR, sender=tenant)
    who = identity(registry, owner_a)
    paper.enter_ballot(p.id, who, AGAINST, scan("a"), sender=owner_c)
    tx = paper.confirm_ballot(p.id, who, AGAINST, scan("a"), sender=owner_b)
    [changed] = tx.decode_logs(assembly.VoteChanged)
    assert (changed.identity, changed.previous_support, changed.previous_channel, changed.support, changed.channel) == (
        who, FOR, DELEGATE, AGAINST, PAPER)
    assert tx.decode_logs(paper.PaperBallotConfirmed)[0].replaced_channel == DELEGATE
    assert tuple(assembly.tally(p.id, FOR)) == (0, 0)
    assert tuple(assembly.tally(p.id, AGAINST)) == (A_AREA, 1)
    # The paper ballot is the tellers' record: no online ballot replaces it.
    with ape.reverts("assembly: voted on paper"):
        assembly.castVote(p.id, FOR, sender=owner_a)
    with ape.reverts("assembly: already voted"):
        assembly.castVoteAsDelegate(p.id, [owner_a.address], FOR, sender=tenant)


def test_an_owner_who_voted_online_cannot_vote_on_paper(assembly, paper, registry, populated, committee, owner_a,
                                                        owner_b, owner_c, developer, chain):
    p = open_with_tellers(assembly, paper, committee, chain, [owner_b, owner_c])
    assembly.castVote(p.id, FOR, sender=owner_a)
    with ape.reverts("ballots: owner voted online"):
        paper.enter_ballot(p.id, identity(registry, owner_a), AGAINST, scan("a"), sender=owner_b)
    # Online between entry and confirmation: the assembly refuses the paper ballot.
    dev = identity(registry, developer)
    paper.enter_ballot(p.id, dev, AGAINST, scan("dev"), sender=owner_b)
    assembly.castVote(p.id, ABSTAIN, sender=developer)
    with ape.reverts("assembly: owner voted online"):
        paper.confirm_ballot(p.id, dev, AGAINST, scan("dev"), sender=owner_c)
    assert tuple(assembly.tally(p.id, ABSTAIN)) == (DEV_AREA, 1)
    assert tuple(assembly.tally(p.id, AGAINST)) == (0, 0)
    # The entry stands unconfirmed: the paper count does not add up.
    paper.declare_collected(p.id, 1, sender=owner_b)
    paper.confirm_collected(p.id, 1, sender=owner_c)
    assert not paper.reconciled(p.id)


def test_entry_refusals_and_the_window(assembly, paper, registry, populated, committee, owner_a, owner_b, owner_c,
                                       chain):
    p = propose(assembly, committee, chain)
    paper.appoint_tellers(p.id, [owner_b.address, owner_c.address], sender=committee)
    who = identity(registry, owner_a)
    with ape.reverts("ballots: voting not started"):
        paper.enter_ballot(p.id, who, FOR, scan("a"), sender=owner_b)
    open_voting(chain, p)
    with ape.reverts("ballots: invalid vote type"):
        paper.enter_ballot(p.id, who, 3, scan("a"), sender=owner_b)
    with ape.reverts("ballots: empty scan hash"):
        paper.enter_ballot(p.id, who, FOR, b"\x00" * 32, sender=owner_b)
    with ape.reverts("ballots: no vote at the snapshot"):
        paper.enter_ballot(p.id, 999, FOR, scan("nobody"), sender=owner_b)
    paper.enter_ballot(p.id, who, FOR, scan("a"), sender=owner_b)
    close_voting(chain, p)
    # After the close the tallies are final: no entry, no confirmation.
    with ape.reverts("ballots: voting closed"):
        paper.confirm_ballot(p.id, who, FOR, scan("a"), sender=owner_c)
    with ape.reverts("ballots: voting closed"):
        paper.enter_ballot(p.id, identity(registry, owner_c), FOR, scan("c"), sender=owner_b)


def test_the_declared_count_needs_two_tellers(assembly, paper, populated, committee, owner_b, owner_c, developer,
                                              chain):
    p = open_with_tellers(assembly, paper, committee, chain, [owner_b, owner_c, developer])
    with ape.reverts("ballots: nothing declared"):
        paper.confirm_collected(p.id, 0, sender=owner_c)
    tx = paper.declare_collected(p.id, 2, sender=owner_b)
    assert tx.decode_logs(paper.CollectedDeclared)[0].collected == 2
    with ape.reverts("ballots: a teller cannot confirm their own entry"):
        paper.confirm_collected(p.id, 2, sender=owner_b)
    with ape.reverts("ballots: entry differs"):
        paper.confirm_collected(p.id, 3, sender=owner_c)
    # A new declaration replaces an unconfirmed one; its author cannot confirm it either.
    paper.declare_collected(p.id, 0, sender=owner_c)
    with ape.reverts("ballots: a teller cannot confirm their own entry"):
        paper.confirm_collected(p.id, 0, sender=owner_c)
    paper.confirm_collected(p.id, 0, sender=developer)
    # No paper ballot collected, none entered: reconciled; and the count is final.
    assert paper.reconciled(p.id)
    with ape.reverts("ballots: count already confirmed"):
        paper.declare_collected(p.id, 5, sender=owner_b)
    with ape.reverts("ballots: count already confirmed"):
        paper.confirm_collected(p.id, 0, sender=owner_b)
