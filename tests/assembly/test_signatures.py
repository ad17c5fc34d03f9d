"""Signed ballots (EIP-712, snekmate eip712_domain_separator + ecdsa) relayed by
another account: counted once; forged, altered and replayed ballots refused, and a
ballot cannot be replayed on another proposal, chain or contract."""

from __future__ import annotations

import ape
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from backend.chain.deploy_assembly import deploy_assembly
from tests.assembly.conftest import ASSEMBLY_PARAMS
from tests.assembly.helpers import AGAINST, BALLOT_TYPES, FOR, open_voting, propose, sign_ballot

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def test_relayed_ballot_counts_for_the_signer(assembly, populated, committee, owner_a, attacker, chain):
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    sig = sign_ballot(assembly, chain, owner_a, p.id, FOR)
    owner_balance = owner_a.balance
    tx = assembly.castVoteBySig(p.id, FOR, owner_a.address, sig, sender=attacker)  # anyone may relay
    [cast] = tx.decode_logs(assembly.VoteCast)
    assert (cast.voter, cast.support, cast.weight) == (owner_a.address, FOR, 20_950)
    assert assembly.hasVoted(p.id, owner_a.address)
    assert owner_a.balance == owner_balance  # the owner paid nothing
    with ape.reverts("assembly: already voted"):  # the same ballot again
        assembly.castVoteBySig(p.id, FOR, owner_a.address, sig, sender=attacker)
    # The owner changes their mind from their wallet; the old signature cannot undo it.
    assembly.castVote(p.id, AGAINST, sender=owner_a)
    with ape.reverts("assembly: already voted"):
        assembly.castVoteBySig(p.id, FOR, owner_a.address, sig, sender=attacker)
    assert tuple(assembly.tally(p.id, AGAINST)) == (20_950, 1)
    assert tuple(assembly.tally(p.id, FOR)) == (0, 0)


def test_digest_matches_eip712(assembly, populated, committee, owner_a, chain):
    p = propose(assembly, committee, chain)
    message = {
        "domain": {"name": "Linli OwnersAssembly", "version": "1", "chainId": chain.chain_id, "verifyingContract": assembly.address},
        "types": BALLOT_TYPES,
        "primaryType": "Ballot",
        "message": {"proposalId": p.id, "support": FOR, "voter": owner_a.address},
    }
    signable = encode_typed_data(full_message=message)
    expected = keccak(b"\x19\x01" + signable.header + signable.body)
    assert assembly.ballot_digest(p.id, FOR, owner_a.address) == expected
    assert assembly.BALLOT_TYPEHASH() == keccak(text="Ballot(uint256 proposalId,uint8 support,address voter)")
    domain = assembly.eip712Domain()
    assert (domain[1], domain[2], domain[3], domain[4]) == ("Linli OwnersAssembly", "1", chain.chain_id, assembly.address)


def test_compact_signature_accepted(assembly, populated, committee, owner_b, attacker, chain):
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    sig = sign_ballot(assembly, chain, owner_b, p.id, AGAINST)
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    compact = r + (s | ((v - 27) << 255)).to_bytes(32, "big")  # EIP-2098
    assembly.castVoteBySig(p.id, AGAINST, owner_b.address, compact, sender=attacker)
    # The 65-byte form of the same ballot is a replay.
    with ape.reverts("assembly: already voted"):
        assembly.castVoteBySig(p.id, AGAINST, owner_b.address, sig, sender=attacker)


def test_forged_and_altered_ballots_refused(assembly, populated, committee, owner_a, owner_b, attacker, chain):
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    forged = sign_ballot(assembly, chain, attacker, p.id, FOR, voter=owner_a.address)
    with ape.reverts("assembly: invalid signature"):
        assembly.castVoteBySig(p.id, FOR, owner_a.address, forged, sender=attacker)
    sig = sign_ballot(assembly, chain, owner_a, p.id, FOR)
    with ape.reverts("assembly: invalid signature"):  # the relayer flips the vote
        assembly.castVoteBySig(p.id, AGAINST, owner_a.address, sig, sender=attacker)
    with ape.reverts("assembly: invalid signature"):  # or credits another owner
        assembly.castVoteBySig(p.id, FOR, owner_b.address, sig, sender=attacker)
    with ape.reverts("assembly: invalid signature"):  # truncated
        assembly.castVoteBySig(p.id, FOR, owner_a.address, sig[:40], sender=attacker)
    assert not assembly.hasVoted(p.id, owner_a.address)


def test_malleated_signature_refused(assembly, populated, committee, owner_a, attacker, chain):
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    sig = sign_ballot(assembly, chain, owner_a, p.id, FOR)
    s = int.from_bytes(sig[32:64], "big")
    high_s = sig[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - sig[64]])
    with ape.reverts("ecdsa: invalid signature `s` value"):
        assembly.castVoteBySig(p.id, FOR, owner_a.address, high_s, sender=attacker)


def test_ballot_not_replayable_on_another_proposal(assembly, populated, committee, owner_a, attacker, chain):
    p = propose(assembly, committee, chain, text="one")
    q = propose(assembly, committee, chain, text="two")
    # q's voting opens when p's does or a second later (proposed in the next block): open
    # both, so that the replay is refused for its signature, not for q's start (CI met that).
    open_voting(chain, q)
    sig = sign_ballot(assembly, chain, owner_a, p.id, FOR)
    assembly.castVoteBySig(p.id, FOR, owner_a.address, sig, sender=attacker)
    with ape.reverts("assembly: invalid signature"):
        assembly.castVoteBySig(q.id, FOR, owner_a.address, sig, sender=attacker)


def test_ballot_not_replayable_on_another_chain(assembly, populated, committee, owner_a, attacker, chain):
    p = propose(assembly, committee, chain)
    open_voting(chain, p)
    message = {
        "domain": {"name": "Linli OwnersAssembly", "version": "1", "chainId": chain.chain_id + 1, "verifyingContract": assembly.address},
        "types": BALLOT_TYPES,
        "primaryType": "Ballot",
        "message": {"proposalId": p.id, "support": FOR, "voter": owner_a.address},
    }
    other_chain = bytes(Account.sign_message(encode_typed_data(full_message=message), owner_a.private_key).signature)
    with ape.reverts("assembly: invalid signature"):
        assembly.castVoteBySig(p.id, FOR, owner_a.address, other_chain, sender=attacker)


def test_ballot_not_replayable_on_another_assembly(project, community, assembly, populated, committee, owner_a, attacker, chain):
    other = deploy_assembly(project, chain, committee, community, **ASSEMBLY_PARAMS)["OwnersAssembly"]
    # The same proposal content has the same id in both assemblies.
    p = propose(assembly, committee, chain)
    q = propose(other, committee, chain)
    assert p.id == q.id
    open_voting(chain, q)
    sig = sign_ballot(assembly, chain, owner_a, p.id, FOR)
    with ape.reverts("assembly: invalid signature"):
        other.castVoteBySig(q.id, FOR, owner_a.address, sig, sender=attacker)
    assembly.castVoteBySig(p.id, FOR, owner_a.address, sig, sender=attacker)


def test_signed_ballot_window_and_ownership(assembly, populated, committee, owner_a, attacker, chain):
    p = propose(assembly, committee, chain)
    sig = sign_ballot(assembly, chain, owner_a, p.id, FOR)
    with ape.reverts("assembly: voting not started"):
        assembly.castVoteBySig(p.id, FOR, owner_a.address, sig, sender=attacker)
    open_voting(chain, p)
    own = sign_ballot(assembly, chain, attacker, p.id, FOR)
    with ape.reverts("registry: not an owner wallet"):  # a valid signature without a vote
        assembly.castVoteBySig(p.id, FOR, attacker.address, own, sender=attacker)
