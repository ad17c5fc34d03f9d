"""Delegation (委托投票): per proposal or standing, one delegate for many owners;
the owner's own ballot stands against the delegate and replaces the delegate's."""

from __future__ import annotations

import ape

from tests.assembly.helpers import ABSTAIN, AGAINST, FOR, close_voting, open_voting, propose, sign_ballot

A_AREA, B_AREA = 20_950, 9_000
ZERO = "0x" + "00" * 20
OWN, DELEGATE, SIGNED = 0, 1, 3  # OwnersAssembly's ballot channels


def test_standing_delegation(assembly, registry, populated, committee, owner_a, tenant, chain):
    tx = assembly.set_delegate(tenant.address, 0, sender=owner_a)
    [log] = tx.decode_logs(assembly.DelegationSet)
    identity = registry.identity_of(owner_a.address)[1]
    assert (log.owner, log.delegate, log.proposalId, log.identity, log.previous) == (
        owner_a.address,
        tenant.address,
        0,
        identity,
        ZERO,
    )
    assert assembly.delegate_of(owner_a.address, 0) == tenant.address
    p = propose(assembly, committee, chain)
    assert assembly.delegate_of(owner_a.address, p.id) == tenant.address
    open_voting(chain, p)
    tx = assembly.castVoteAsDelegate(p.id, [owner_a.address], FOR, sender=tenant)
    [cast] = tx.decode_logs(assembly.VoteCast)
    assert (cast.voter, cast.weight, cast.support) == (owner_a.address, A_AREA, FOR)
    [by] = tx.decode_logs(assembly.DelegateVoteCast)
    assert (by.proposalId, by.delegate, by.owner, by.identity) == (p.id, tenant.address, owner_a.address, identity)
    assert assembly.hasVoted(p.id, owner_a.address)


def test_one_delegate_holds_many_owners(assembly, populated, committee, owner_a, owner_b, owner_c, merchant, chain):
    p = propose(assembly, committee, chain)
    assembly.set_delegate(merchant.address, p.id, sender=owner_a)
    assembly.set_delegate(merchant.address, 0, sender=owner_b)
    open_voting(chain, p)
    tx = assembly.castVoteAsDelegate(p.id, [owner_a.address, owner_b.address], AGAINST, sender=merchant)
    assert [log.voter for log in tx.decode_logs(assembly.VoteCast)] == [owner_a.address, owner_b.address]
    assert tuple(assembly.tally(p.id, AGAINST)) == (A_AREA + B_AREA, 2)
    # The delegate holds nothing for owner_c.
    with ape.reverts("assembly: not the owner's delegate"):
        assembly.castVoteAsDelegate(p.id, [owner_c.address], FOR, sender=merchant)


def test_per_proposal_delegate_wins_over_standing(assembly, populated, committee, owner_a, tenant, merchant, chain):
    assembly.set_delegate(tenant.address, 0, sender=owner_a)
    p = propose(assembly, committee, chain)
    assembly.set_delegate(merchant.address, p.id, sender=owner_a)
    assert assembly.delegate_of(owner_a.address, p.id) == merchant.address
    open_voting(chain, p)
    with ape.reverts("assembly: not the owner's delegate"):
        assembly.castVoteAsDelegate(p.id, [owner_a.address], FOR, sender=tenant)
    assembly.castVoteAsDelegate(p.id, [owner_a.address], FOR, sender=merchant)


def test_owner_in_person_before_delegate_wins(assembly, populated, committee, owner_a, tenant, chain):
    assembly.set_delegate(tenant.address, 0, sender=owner_a)
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    assembly.castVote(p.id, AGAINST, sender=owner_a)
    with ape.reverts("assembly: already voted"):
        assembly.castVoteAsDelegate(p.id, [owner_a.address], FOR, sender=tenant)
    assert tuple(assembly.tally(p.id, AGAINST)) == (A_AREA, 1)
    assert tuple(assembly.tally(p.id, FOR)) == (0, 0)


def test_owner_in_person_overrides_the_delegate(assembly, registry, populated, committee, owner_a, owner_b, tenant,
                                                chain):
    assembly.set_delegate(tenant.address, 0, sender=owner_a)
    assembly.set_delegate(tenant.address, 0, sender=owner_b)
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    assembly.castVoteAsDelegate(p.id, [owner_a.address, owner_b.address], FOR, sender=tenant)
    assert tuple(assembly.tally(p.id, FOR)) == (A_AREA + B_AREA, 2)
    tx = assembly.castVote(p.id, AGAINST, sender=owner_a)
    [changed] = tx.decode_logs(assembly.VoteChanged)
    identity = registry.identity_of(owner_a.address)[1]
    assert (changed.identity, changed.previous_support, changed.previous_channel, changed.support, changed.channel) == (
        identity, FOR, DELEGATE, AGAINST, OWN)
    assert tuple(assembly.tally(p.id, FOR)) == (B_AREA, 1)
    assert tuple(assembly.tally(p.id, AGAINST)) == (A_AREA, 1)
    # The delegate cannot take it back, for this owner or again for the other.
    with ape.reverts("assembly: already voted"):
        assembly.castVoteAsDelegate(p.id, [owner_a.address], FOR, sender=tenant)
    with ape.reverts("assembly: already voted"):
        assembly.castVoteAsDelegate(p.id, [owner_b.address], AGAINST, sender=tenant)
    # A relayed signature overrides a delegate's ballot too (owner_b's own choice).
    sig = sign_ballot(assembly, chain, owner_b, p.id, ABSTAIN)
    tx = assembly.castVoteBySig(p.id, ABSTAIN, owner_b.address, sig, sender=tenant)
    [changed] = tx.decode_logs(assembly.VoteChanged)
    assert (changed.previous_channel, changed.channel) == (DELEGATE, SIGNED)
    assert tuple(assembly.tally(p.id, FOR)) == (0, 0)
    assert tuple(assembly.tally(p.id, ABSTAIN)) == (B_AREA, 1)


def test_revoked_delegate_cannot_vote(assembly, populated, committee, owner_a, tenant, chain):
    assembly.set_delegate(tenant.address, 0, sender=owner_a)
    tx = assembly.revoke_delegation(0, sender=owner_a)
    [log] = tx.decode_logs(assembly.DelegationRevoked)
    assert (log.owner, log.delegate, log.proposalId) == (owner_a.address, tenant.address, 0)
    assert assembly.delegate_of(owner_a.address, 0) == ZERO
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    with ape.reverts("assembly: not the owner's delegate"):
        assembly.castVoteAsDelegate(p.id, [owner_a.address], FOR, sender=tenant)
    assembly.castVote(p.id, FOR, sender=owner_a)


def test_revoke_per_proposal_delegation(assembly, populated, committee, owner_a, tenant, chain):
    p = propose(assembly, committee, chain)
    assembly.set_delegate(tenant.address, p.id, sender=owner_a)
    assembly.revoke_delegation(p.id, sender=owner_a)
    with ape.reverts("assembly: no delegation"):
        assembly.revoke_delegation(p.id, sender=owner_a)
    with ape.reverts("assembly: no delegation"):
        assembly.revoke_delegation(0, sender=owner_a)


def test_redelegation_reports_previous(assembly, populated, owner_a, tenant, merchant):
    assembly.set_delegate(tenant.address, 0, sender=owner_a)
    tx = assembly.set_delegate(merchant.address, 0, sender=owner_a)
    assert tx.decode_logs(assembly.DelegationSet)[0].previous == tenant.address


def test_delegation_refusals(assembly, populated, committee, owner_a, attacker, tenant, chain):
    with ape.reverts("registry: not an owner wallet"):
        assembly.set_delegate(tenant.address, 0, sender=attacker)
    with ape.reverts("assembly: not an owner wallet"):
        assembly.revoke_delegation(0, sender=attacker)
    with ape.reverts("assembly: invalid delegate"):
        assembly.set_delegate(owner_a.address, 0, sender=owner_a)
    with ape.reverts("assembly: invalid delegate"):
        assembly.set_delegate(ZERO, 0, sender=owner_a)
    with ape.reverts("assembly: unknown proposal"):
        assembly.set_delegate(tenant.address, 77, sender=owner_a)
    p = propose(assembly, committee, chain)
    close_voting(chain, p)
    with ape.reverts("assembly: voting is over"):
        assembly.set_delegate(tenant.address, p.id, sender=owner_a)


def test_delegate_vote_refusals(assembly, populated, committee, owner_a, tenant, attacker, chain):
    assembly.set_delegate(tenant.address, 0, sender=owner_a)
    p = propose(assembly, committee, chain)
    with ape.reverts("assembly: voting not started"):
        assembly.castVoteAsDelegate(p.id, [owner_a.address], FOR, sender=tenant)
    open_voting(chain, p)
    with ape.reverts("assembly: no owners given"):
        assembly.castVoteAsDelegate(p.id, [], FOR, sender=tenant)
    with ape.reverts("assembly: not the owner's delegate"):
        assembly.castVoteAsDelegate(p.id, [attacker.address], FOR, sender=tenant)
    with ape.reverts("assembly: not the owner's delegate"):
        assembly.castVoteAsDelegate(p.id, [owner_a.address], FOR, sender=attacker)
    # The same owner twice in one batch: the second is a double vote.
    with ape.reverts("assembly: already voted"):
        assembly.castVoteAsDelegate(p.id, [owner_a.address, owner_a.address], FOR, sender=tenant)
    assert not assembly.hasVoted(p.id, owner_a.address)


def test_delegate_of_unknown_wallet_is_nobody(assembly, attacker):
    assert assembly.delegate_of(attacker.address, 0) == ZERO
