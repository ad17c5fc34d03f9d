"""Ballots in person: tallies by area and head, the voting window, changing one's
vote before the close, and weights frozen at the snapshot (area changes, sales and wallet recoveries
during the vote)."""

from __future__ import annotations

import ape

from tests.assembly.helpers import ABSTAIN, ACTIVE, AGAINST, DAY, FOR, at, close_voting, open_voting, propose, register
from tests.utils.identity import commitment_for

A_AREA, B_AREA, C_AREA, DEV_AREA = 20_950, 9_000, 11_050, 20_000  # the `populated` community
OWN = 0  # OwnersAssembly's channel of a ballot from the owner's own wallet


EVIDENCE = commitment_for("evidence")


def test_ballots_are_tallied_by_area_and_head(assembly, populated, committee, owner_a, owner_b, owner_c, developer, chain):
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    assert assembly.state(p.id) == ACTIVE

    tx = assembly.castVote(p.id, FOR, sender=owner_a)
    [cast] = tx.decode_logs(assembly.VoteCast)
    assert (cast.voter, cast.proposalId, cast.support, cast.weight, cast.reason) == (owner_a.address, p.id, FOR, A_AREA, "")
    [tallied] = tx.decode_logs(assembly.VoteTallied)
    assert (tallied.proposalId, tallied.support, tallied.area, tallied.heads) == (p.id, FOR, A_AREA, 1)

    tx = assembly.castVote(p.id, FOR, sender=developer)  # two unsold units: one head
    [tallied] = tx.decode_logs(assembly.VoteTallied)
    assert (tallied.support, tallied.area, tallied.heads) == (FOR, A_AREA + DEV_AREA, 2)

    assembly.castVote(p.id, AGAINST, sender=owner_b)
    assembly.castVote(p.id, ABSTAIN, sender=owner_c)
    assert tuple(assembly.tally(p.id, FOR)) == (A_AREA + DEV_AREA, 2)
    assert tuple(assembly.tally(p.id, AGAINST)) == (B_AREA, 1)
    assert tuple(assembly.tally(p.id, ABSTAIN)) == (C_AREA, 1)
    assert tuple(assembly.proposalVotes(p.id)) == (B_AREA, A_AREA + DEV_AREA, C_AREA)
    for who in (owner_a, owner_b, owner_c, developer):
        assert assembly.hasVoted(p.id, who.address)
    # 67% of the area is for, but only 2 of 4 heads: not more than half of the owners.
    assert tuple(assembly.outcome(p.id)) == (True, False, 61_000, 4)


def test_has_voted_is_false_before_and_for_strangers(assembly, populated, committee, owner_a, attacker, chain):
    p = propose(assembly, committee, chain)
    assert not assembly.hasVoted(p.id, owner_a.address)
    assert not assembly.hasVoted(p.id, attacker.address)


def test_ballot_changed_before_the_close_and_refused_after(assembly, populated, committee, owner_a, owner_b, chain):
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    assembly.castVote(p.id, FOR, sender=owner_a)
    assembly.castVote(p.id, FOR, sender=owner_b)
    tx = assembly.castVote(p.id, AGAINST, sender=owner_a)
    # The old ballot's area and head came off FOR, the new one went on AGAINST.
    assert [(t.support, t.area, t.heads) for t in tx.decode_logs(assembly.VoteTallied)] == [
        (FOR, B_AREA, 1), (AGAINST, A_AREA, 1)]
    [changed] = tx.decode_logs(assembly.VoteChanged)
    identity = changed.identity
    assert (changed.proposalId, changed.voter, changed.previous_support, changed.previous_channel, changed.support,
            changed.channel) == (p.id, owner_a.address, FOR, OWN, AGAINST, OWN)
    assert assembly.ballot_of(p.id, identity) == (AGAINST + 1) | OWN << 2
    assert tuple(assembly.tally(p.id, FOR)) == (B_AREA, 1)
    assert tuple(assembly.tally(p.id, AGAINST)) == (A_AREA, 1)
    # The same choice again changes nothing in the tallies.
    assembly.castVote(p.id, AGAINST, sender=owner_a)
    assert tuple(assembly.tally(p.id, AGAINST)) == (A_AREA, 1)
    close_voting(chain, p)
    with ape.reverts("assembly: voting closed"):
        assembly.castVote(p.id, FOR, sender=owner_a)
    assert tuple(assembly.tally(p.id, FOR)) == (B_AREA, 1)
    assert tuple(assembly.tally(p.id, AGAINST)) == (A_AREA, 1)


def test_voting_window(assembly, populated, committee, owner_a, owner_b, owner_c, chain):
    p = propose(assembly, committee, chain)
    at(chain, p.start - 1)
    with ape.reverts("assembly: voting not started"):
        assembly.castVote(p.id, FOR, sender=owner_a)
    at(chain, p.start)
    assembly.castVote(p.id, FOR, sender=owner_a)  # the first second counts
    at(chain, p.end - 1)
    assembly.castVote(p.id, FOR, sender=owner_b)  # and the last
    at(chain, p.end)
    with ape.reverts("assembly: voting closed"):
        assembly.castVote(p.id, FOR, sender=owner_c)


def test_invalid_ballots(assembly, populated, committee, owner_a, tenant, attacker, chain):
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    with ape.reverts("assembly: invalid vote type"):
        assembly.castVote(p.id, 3, sender=owner_a)
    with ape.reverts("assembly: unknown proposal"):
        assembly.castVote(p.id + 1, FOR, sender=owner_a)
    for who in (tenant, attacker):  # a linked resident and a stranger have no vote
        with ape.reverts("registry: not an owner wallet"):
            assembly.castVote(p.id, FOR, sender=who)


# ---------------------------------------------------------------- snapshot


def test_area_change_after_snapshot_does_not_change_weight(assembly, registry, populated, committee, owner_a, chain):
    p = propose(assembly, committee, chain)
    registry.set_unit_area(1, 30_000, sender=committee)  # owner_a's 1-1-101 re-surveyed
    open_voting(chain, p)
    tx = assembly.castVote(p.id, FOR, sender=owner_a)
    assert tx.decode_logs(assembly.VoteCast)[0].weight == A_AREA
    assert tuple(assembly.outcome(p.id))[2:] == (61_000, 4)
    # A proposal made after the change sees it.
    q = propose(assembly, committee, chain, text="later")
    open_voting(chain, q)
    tx = assembly.castVote(q.id, FOR, sender=owner_a)
    assert tx.decode_logs(assembly.VoteCast)[0].weight == A_AREA - 8_950 + 30_000


def test_owner_registered_after_snapshot_has_no_vote(assembly, registry, populated, committee, voters, chain):
    p = propose(assembly, committee, chain)
    register(registry, committee, voters[:1], [[50_000]], prefix="late")
    open_voting(chain, p)
    with ape.reverts("registry: wallet bound after the snapshot"):
        assembly.castVote(p.id, FOR, sender=voters[0])
    assert tuple(assembly.outcome(p.id))[2:] == (61_000, 4)


def sell_after_snapshot(assembly, registry, committee, chain, unit_id, buyer, commitment):
    """Request a sale, let its delay pass, make a proposal, then complete the sale."""
    registry.request_transfer(unit_id, buyer.address, commitment, sender=committee)
    chain.pending_timestamp += 3 * DAY + 1
    chain.mine()
    p = propose(assembly, committee, chain)
    registry.execute_transfer(unit_id, sender=committee)
    open_voting(chain, p)
    return p


def test_unit_sold_mid_vote_to_new_owner(assembly, registry, populated, committee, owner_b, voters, chain):
    buyer = voters[0]
    p = sell_after_snapshot(assembly, registry, committee, chain, 3, buyer, commitment_for("buyer"))
    assert registry.unit_owner(3) == buyer.address
    with ape.reverts("registry: wallet bound after the snapshot"):
        assembly.castVote(p.id, FOR, sender=buyer)
    tx = assembly.castVote(p.id, FOR, sender=owner_b)  # the seller owned it at the snapshot
    assert tx.decode_logs(assembly.VoteCast)[0].weight == B_AREA
    assert tuple(assembly.tally(p.id, FOR)) == (B_AREA, 1)


def test_unit_sold_mid_vote_to_existing_owner_counts_once(assembly, registry, populated, committee, owner_b, owner_c, chain):
    # owner_c sells 1-1-202 to owner_b during the vote: both vote, the unit counts once.
    p = sell_after_snapshot(assembly, registry, committee, chain, 4, owner_b, commitment_for("owner_b"))
    assert registry.unit_owner(4) == owner_b.address
    tx_b = assembly.castVote(p.id, FOR, sender=owner_b)
    tx_c = assembly.castVote(p.id, AGAINST, sender=owner_c)
    assert tx_b.decode_logs(assembly.VoteCast)[0].weight == B_AREA
    assert tx_c.decode_logs(assembly.VoteCast)[0].weight == C_AREA
    voted = assembly.tally(p.id, FOR)[0] + assembly.tally(p.id, AGAINST)[0]
    assert voted == B_AREA + C_AREA


def test_wallet_recovered_mid_vote_cannot_vote_twice(assembly, registry, populated, committee, owner_b, voters, chain):
    # owner_b votes, then its wallet is recovered (a three-day delay inside a 7-day vote).
    new_wallet = voters[0]
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    assembly.castVote(p.id, FOR, sender=owner_b)
    registry.request_recovery(owner_b.address, new_wallet.address, EVIDENCE, sender=committee)
    chain.pending_timestamp += 3 * DAY + 1
    registry.execute_recovery(registry.identity_of(owner_b.address)[1], sender=committee)
    # The new wallet was bound while the proposal was open: it casts no ballot on it,
    # and the identity's earlier ballot stands.
    with ape.reverts("registry: wallet bound after the snapshot"):
        assembly.castVote(p.id, AGAINST, sender=new_wallet)
    with ape.reverts("registry: not an owner wallet"):
        assembly.castVote(p.id, AGAINST, sender=owner_b)
    assert assembly.hasVoted(p.id, new_wallet.address)
    assert tuple(assembly.tally(p.id, FOR)) == (B_AREA, 1)


def test_recovered_wallet_votes_on_the_next_proposal(assembly, registry, populated, committee, owner_b, voters, chain):
    new_wallet = voters[0]
    registry.request_recovery(owner_b.address, new_wallet.address, EVIDENCE, sender=committee)
    chain.pending_timestamp += 3 * DAY + 1
    registry.execute_recovery(registry.identity_of(owner_b.address)[1], sender=committee)
    chain.mine()
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    tx = assembly.castVote(p.id, FOR, sender=new_wallet)
    assert tx.decode_logs(assembly.VoteCast)[0].weight == B_AREA


def test_a_pending_recovery_takes_the_wallets_vote_until_withdrawn(assembly, registry, populated, committee, owner_b,
                                                                   voters, chain):
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    registry.request_recovery(owner_b.address, voters[0].address, EVIDENCE, sender=committee)
    with ape.reverts("registry: recovery pending"):
        assembly.castVote(p.id, FOR, sender=owner_b)
    registry.cancel_recovery(registry.identity_of(owner_b.address)[1], sender=committee)
    tx = assembly.castVote(p.id, FOR, sender=owner_b)
    assert tx.decode_logs(assembly.VoteCast)[0].weight == B_AREA


def test_outcome_is_final_after_voting(assembly, populated, committee, owner_a, owner_b, owner_c, chain):
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    for who in (owner_a, owner_b, owner_c):
        assembly.castVote(p.id, FOR, sender=who)
    close_voting(chain, p)
    before = tuple(assembly.outcome(p.id))
    chain.pending_timestamp += 10 * DAY
    chain.mine()
    assert tuple(assembly.outcome(p.id)) == before == (True, True, 61_000, 4)
