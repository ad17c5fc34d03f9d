"""One owner, one vote (issue 16, attacks 1 and 2), on the production-shaped community:
a committee that is a 2-of-3 Safe, the assembly's timelock at the root.

1. A stolen owner key tried to veto its own recovery forever (it cancelled every
   recovery and sale the committee requested) and kept voting, and a standing delegate
   it had set survived the recovery. Now it may object once (a longer delay, never a
   cancellation), it has no vote, no delegation and no signed ballot while the recovery
   is pending, and the recovery ends every delegation the old wallet made.
2. The committee shortened the delay, recovered an absent owner's wallet to one it
   controlled and voted that owner's area on an open proposal. Now the delay is the
   assembly's alone, and a wallet bound to an identity while a proposal is open casts
   no ballot on it.

The victim is the fourth owner (the `developer` account: an owner who is not a member of
the committee's Safe); the committee's signers are owner_a and owner_b.
"""

from __future__ import annotations

import ape
import pytest

from backend.chain.deployment import DEFAULT_CHANGE_DELAY
from backend.chain.safe import SafeCallReverted
from tests.assembly.helpers import AGAINST, FOR, open_voting, propose, sign_ballot
from tests.utils.identity import commitment_for

DELAY = DEFAULT_CHANGE_DELAY
EVIDENCE = commitment_for("vault check of the ID number, case 7")
ZERO = "0x" + "00" * 20
AREA = 10_000


def committee_does(town, method, *args, signers):
    return town.safe.call(method, *args, signers=signers)


def identity_of(town, wallet):
    bound, identity = town.registry.identity_of(wallet)
    assert bound
    return identity


def test_a_stolen_key_cannot_veto_its_recovery_nor_vote_meanwhile(town, chain, owner_a, owner_b, developer, attacker,
                                                                   tenant, accounts):
    """Attack 1: the thief holds the victim's key (here: the `developer` account)."""
    registry, assembly = town.registry, town.assembly
    thief, victim_identity = developer, identity_of(town, developer)
    new_wallet = accounts.generate_test_account()
    chain.set_balance(new_wallet.address, 10**20)
    # Before anyone noticed, the thief set a standing delegate and signed a ballot.
    assembly.set_delegate(attacker.address, 0, sender=thief)
    p = propose(assembly, owner_a, chain, length=20 * 86400)
    open_voting(chain, p)
    signed = sign_ballot(assembly, chain, thief, p.id, AGAINST)

    receipt = committee_does(town, registry.request_recovery, thief.address, new_wallet.address, EVIDENCE,
                             signers=[owner_a, owner_b])
    [requested] = receipt.decode_logs(registry.RecoveryRequested)
    assert (requested.evidence_hash, requested.new_wallet) == (EVIDENCE, new_wallet.address)

    # The thief cannot cancel it; it may object once, which only delays it.
    with ape.reverts("registry: committee only"):
        registry.cancel_recovery(victim_identity, sender=thief)
    registry.object_recovery(victim_identity, b"\0" * 32, sender=thief)
    with ape.reverts("registry: already objected"):
        registry.object_recovery(victim_identity, b"\0" * 32, sender=thief)
    assert registry.pending_recovery(victim_identity)[1] == requested.eta + DELAY

    # Meanwhile the thief's wallet has no vote: in person, by signature or by delegate.
    with ape.reverts("registry: recovery pending"):
        assembly.castVote(p.id, AGAINST, sender=thief)
    with ape.reverts("registry: recovery pending"):
        assembly.castVoteBySig(p.id, AGAINST, thief.address, signed, sender=tenant)
    with ape.reverts("registry: recovery pending"):
        assembly.castVoteAsDelegate(p.id, [thief.address], AGAINST, sender=attacker)
    with ape.reverts("registry: recovery pending"):
        assembly.set_delegate(tenant.address, p.id, sender=thief)
    assert not assembly.hasVoted(p.id, thief.address)

    # The longer delay passes and anyone completes it.
    chain.pending_timestamp = requested.eta + DELAY
    registry.execute_recovery(victim_identity, sender=tenant)
    assert registry.identity_of(new_wallet) == (True, victim_identity)
    # The standing delegate the thief set has ended with the old wallet.
    assert assembly.delegate_of(thief.address, 0) == ZERO
    assert assembly.delegate_of(new_wallet.address, 0) == ZERO
    q = propose(assembly, owner_a, chain)
    open_voting(chain, q)
    with ape.reverts("registry: not an owner wallet"):
        assembly.castVoteAsDelegate(q.id, [thief.address], AGAINST, sender=attacker)
    with ape.reverts("assembly: not the owner's delegate"):
        assembly.castVoteAsDelegate(q.id, [new_wallet.address], AGAINST, sender=attacker)
    with ape.reverts("registry: not an owner wallet"):
        assembly.castVote(q.id, AGAINST, sender=thief)
    tx = assembly.castVote(q.id, FOR, sender=new_wallet)
    assert tx.decode_logs(assembly.VoteCast)[0].weight == AREA


def test_a_stolen_key_cannot_veto_a_sale(town, chain, owner_a, owner_b, developer, attacker):
    """Attack 1, the sale: the owner's key objects once, the sale completes after the
    longer delay; only the committee could have withdrawn it."""
    registry = town.registry
    unit = registry.unit_id_of("1-1-104")
    assert registry.unit_owner(unit) == developer.address
    receipt = committee_does(town, registry.request_transfer, unit, attacker.address, commitment_for("buyer-16"),
                             signers=[owner_a, owner_b])
    eta = receipt.decode_logs(registry.TransferRequested)[0].eta
    with ape.reverts("registry: committee only"):
        registry.cancel_transfer(unit, sender=developer)
    registry.object_transfer(unit, b"\0" * 32, sender=developer)
    with ape.reverts("registry: already objected"):
        registry.object_transfer(unit, b"\0" * 32, sender=developer)
    chain.pending_timestamp = eta + DELAY - 10
    with ape.reverts("registry: transfer delay not over"):
        registry.execute_transfer(unit, sender=attacker)
    chain.pending_timestamp = eta + DELAY
    registry.execute_transfer(unit, sender=attacker)
    assert registry.unit_owner(unit) == attacker.address


def test_the_committee_cannot_take_an_absent_owners_vote(town, chain, owner_a, owner_b, developer, attacker):
    """Attack 2: the committee may not shorten the delay, and a wallet it has recovered
    an absent owner's identity to casts no ballot on a proposal open at the time."""
    registry, assembly = town.registry, town.assembly
    with pytest.raises(SafeCallReverted, match="registry: assembly only"):
        committee_does(town, registry.set_change_delay, 3600, signers=[owner_a, owner_b])
    assert registry.change_delay() == DELAY

    p = propose(assembly, owner_a, chain, length=20 * 86400)
    open_voting(chain, p)
    victim = identity_of(town, developer)
    receipt = committee_does(town, registry.request_recovery, developer.address, attacker.address, EVIDENCE,
                             signers=[owner_a, owner_b])
    chain.pending_timestamp = receipt.decode_logs(registry.RecoveryRequested)[0].eta
    registry.execute_recovery(victim, sender=owner_a)
    assert registry.identity_of(attacker) == (True, victim)
    # The proposal is still open; the committee's wallet has the identity but not its vote.
    with ape.reverts("registry: wallet bound after the snapshot"):
        assembly.castVote(p.id, FOR, sender=attacker)
    with ape.reverts("registry: wallet bound after the snapshot"):
        assembly.castVoteBySig(p.id, FOR, attacker.address, sign_ballot(assembly, chain, attacker, p.id, FOR),
                               sender=owner_a)
    assert tuple(assembly.tally(p.id, FOR)) == (0, 0)
    assert not assembly.hasVoted(p.id, attacker.address)


def test_a_lost_phone_is_recovered_within_the_delay(town, chain, owner_a, owner_b, developer, tenant, accounts):
    """The legitimate path: the owner lost its phone; the committee checks the ID number
    against the commitment in the vault, requests the recovery with the evidence's hash;
    after the delay the owner's new wallet holds the identity and votes on the next
    proposal, and its earlier ballot on the open one stands."""
    registry, assembly = town.registry, town.assembly
    identity = identity_of(town, developer)
    p = propose(assembly, owner_a, chain, length=20 * 86400)
    open_voting(chain, p)
    assembly.castVote(p.id, FOR, sender=developer)
    assembly.set_delegate(tenant.address, 0, sender=developer)

    phone = accounts.generate_test_account()
    chain.set_balance(phone.address, 10**20)
    receipt = committee_does(town, registry.request_recovery, developer.address, phone.address, EVIDENCE,
                             signers=[owner_a, owner_b])
    assert registry.wallet_status(developer) == (True, identity, registry.wallet_status(developer)[2], True)
    chain.pending_timestamp = receipt.decode_logs(registry.RecoveryRequested)[0].eta
    tx = registry.execute_recovery(identity, sender=owner_b)
    assert tx.decode_logs(registry.WalletRecovered)[0].new_wallet == phone.address
    assert registry.unit_owner(registry.unit_id_of("1-1-104")) == phone.address
    # The ballot cast before the loss stands; the new wallet votes from the next proposal.
    assert assembly.hasVoted(p.id, phone.address)
    assert tuple(assembly.tally(p.id, FOR)) == (AREA, 1)
    assert assembly.delegate_of(phone.address, 0) == ZERO
    q = propose(assembly, owner_a, chain)
    open_voting(chain, q)
    assert assembly.castVote(q.id, AGAINST, sender=phone).decode_logs(assembly.VoteCast)[0].weight == AREA
    # Its points stay with the household: the old wallet is counted under it still.
    assert registry.household_key(developer) == registry.household_key(phone) == identity + 1
