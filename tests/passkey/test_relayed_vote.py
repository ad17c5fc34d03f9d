"""A resident with only a passkey takes part like any wallet: the account is registered in
HouseholdRegistry as a unit's owner, votes in OwnersAssembly through `execute`, and a
tenant's account accepts its link; a relayer submits each and pays the gas, the
accounts hold no ETH."""

from __future__ import annotations

import ape
import pytest

from backend.chain.deploy_assembly import deploy_assembly
from tests.assembly.conftest import ASSEMBLY_PARAMS
from tests.assembly.helpers import AGAINST, FOR, open_voting, propose
from tests.passkey.helpers import sign_call
from tests.utils.identity import commitment_for
from tests.utils.webauthn import Passkey

AREA = 9_870  # 98.70 m²


@pytest.fixture(scope="module")
def passkey_owner(project, community, registry, committee, passkey_factory, relayer):
    """A unit whose owner is a passkey account (registered by the committee like any wallet)."""
    key = Passkey(seed=0x0B0E)
    passkey_factory.create_account(*key.public_key, sender=relayer)
    account = project.PasskeyAccount.at(passkey_factory.account_address(*key.public_key))
    registry.register_units([("3-2-1101", AREA, account.address, commitment_for("passkey-owner"))], sender=committee)
    return account, key


@pytest.fixture(scope="module")
def passkey_gov(project, chain, committee, community, passkey_owner):
    return deploy_assembly(project, chain, committee, community, **ASSEMBLY_PARAMS)


def test_a_passkey_owner_votes_through_the_relayer(passkey_owner, passkey_gov, committee, relayer, chain):
    account, key = passkey_owner
    assembly = passkey_gov["OwnersAssembly"]
    assert account.balance == 0
    proposal = propose(assembly, committee, chain)
    open_voting(chain, proposal)

    relayer_before = relayer.balance
    args = sign_call(account, key, chain.chain_id, assembly, data=assembly.castVote.encode_input(proposal.id, FOR))
    tx = account.execute(*args, sender=relayer)

    [cast] = tx.decode_logs(assembly.VoteCast)
    assert (cast.voter, cast.proposalId, cast.support, cast.weight) == (account.address, proposal.id, FOR, AREA)
    assert assembly.hasVoted(proposal.id, account.address)
    assert tuple(assembly.tally(proposal.id, FOR)) == (AREA, 1)
    assert account.balance == 0
    assert relayer.balance == relayer_before - tx.total_fees_paid
    # The same ballot again: refused by the account (replay); freshly signed, the owner
    # changes their vote (the account's nonce, not the assembly, stops replays).
    with ape.reverts("passkey: wrong nonce"):
        account.execute(*args, sender=relayer)
    again = sign_call(account, key, chain.chain_id, assembly, data=assembly.castVote.encode_input(proposal.id, AGAINST))
    tx = account.execute(*again, sender=relayer)
    [changed] = tx.decode_logs(assembly.VoteChanged)
    assert (changed.voter, changed.previous_support, changed.support) == (account.address, FOR, AGAINST)
    assert tuple(assembly.tally(proposal.id, FOR)) == (0, 0)
    assert tuple(assembly.tally(proposal.id, AGAINST)) == (AREA, 1)


def test_a_relayer_cannot_vote_otherwise_with_the_residents_signature(passkey_owner, passkey_gov, committee, relayer, chain):
    account, key = passkey_owner
    assembly = passkey_gov["OwnersAssembly"]
    proposal = propose(assembly, committee, chain)
    open_voting(chain, proposal)
    target, value, _, nonce, assertion = sign_call(account, key, chain.chain_id, assembly,
                                                   data=assembly.castVote.encode_input(proposal.id, FOR))
    against = assembly.castVote.encode_input(proposal.id, 0)
    with ape.reverts("passkey: wrong challenge"):
        account.execute(target, value, against, nonce, assertion, sender=relayer)
    assert not assembly.hasVoted(proposal.id, account.address)


def test_a_tenant_with_a_passkey_accepts_the_owners_invitation(project, community, registry, committee, owner_b,
                                                               passkey_factory, relayer, chain):
    # Its own unit, numbered by the registry, not `populated`'s unit 3: in the full suite
    # owner_b was refused as "not the unit's owner" of unit 3 (units registered earlier on
    # the shared community shift the numbers `populated` assumes).
    registry.register_units([("3-2-1102", 9_000, owner_b.address, commitment_for("owner_b"))], sender=committee)
    unit = registry.unit_count()
    assert registry.unit_owner(unit) == owner_b.address
    key = Passkey(seed=0x7E4A)
    passkey_factory.create_account(*key.public_key, sender=relayer)
    account = project.PasskeyAccount.at(passkey_factory.account_address(*key.public_key))
    commitment = commitment_for("passkey-tenant")
    registry.invite_resident(unit, account.address, commitment, sender=owner_b)
    args = sign_call(account, key, chain.chain_id, registry, data=registry.accept_residence.encode_input(unit, commitment))
    tx = account.execute(*args, sender=relayer)
    [linked] = tx.decode_logs(registry.ResidentLinked)
    assert (linked.unit_id, linked.wallet) == (unit, account.address)
    assert registry.is_member(account.address)
    assert account.balance == 0
