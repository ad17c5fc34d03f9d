"""Passkeys of an account: a new phone is added, and a key removed, only by a call a
passkey signed; the last key stays; EIP-1271 answers for the account's keys only."""

from __future__ import annotations

import ape
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from backend.notices import receipts
from backend.notices.chain import BoardChain
from tests.passkey.helpers import sign_call
from tests.utils.webauthn import message_hash

MAGIC, INVALID = bytes.fromhex("1626ba7e"), bytes.fromhex("ffffffff")


def add_key(account, signer, key, chain, relayer):
    return account.execute(*sign_call(account, signer, chain.chain_id, account,
                                      data=account.add_passkey.encode_input(*key.public_key)), sender=relayer)


def test_the_first_passkey_adds_a_new_phone_which_then_signs(passkey_account, phone, new_phone, chain, relayer, tenant):
    tx = add_key(passkey_account, phone, new_phone, chain, relayer)
    [added] = tx.decode_logs(passkey_account.PasskeyAdded)
    assert (added.x, added.y) == new_phone.public_key
    assert passkey_account.is_passkey(*new_phone.public_key)
    assert passkey_account.passkey_count() == 2
    chain.set_balance(passkey_account.address, 10**18)
    passkey_account.execute(*sign_call(passkey_account, new_phone, chain.chain_id, tenant, value=1), sender=relayer)
    assert passkey_account.next_nonce() == 2


def test_add_key_by_anyone_but_the_account_refused(passkey_account, new_phone, relayer, attacker, phone):
    for caller in (attacker, relayer):
        with ape.reverts("passkey: only the account itself"):
            passkey_account.add_passkey(*new_phone.public_key, sender=caller)
        with ape.reverts("passkey: only the account itself"):
            passkey_account.remove_passkey(*phone.public_key, sender=caller)
    assert not passkey_account.is_passkey(*new_phone.public_key)


def test_a_key_that_is_not_a_curve_point_or_already_there_refused(passkey_account, phone, chain, relayer):
    x, y = phone.public_key
    for data, reason in ((passkey_account.add_passkey.encode_input(x, y + 1), "passkey: not a P-256 point"),
                         (passkey_account.add_passkey.encode_input(0, 0), "passkey: not a P-256 point"),
                         (passkey_account.add_passkey.encode_input(x, y), "passkey: key already added")):
        with ape.reverts(reason):
            passkey_account.execute(*sign_call(passkey_account, phone, chain.chain_id, passkey_account, data=data),
                                    sender=relayer)


def test_a_removed_key_signs_nothing_and_the_last_key_stays(passkey_account, passkey_factory, phone, new_phone, chain,
                                                            relayer, tenant, attacker):
    add_key(passkey_account, phone, new_phone, chain, relayer)
    remove = passkey_account.remove_passkey.encode_input(*phone.public_key)
    tx = passkey_account.execute(*sign_call(passkey_account, new_phone, chain.chain_id, passkey_account, data=remove),
                                 sender=relayer)
    [removed] = tx.decode_logs(passkey_account.PasskeyRemoved)
    assert (removed.x, removed.y) == phone.public_key
    assert passkey_account.passkey_count() == 1
    with ape.reverts("passkey: unknown key"):
        passkey_account.execute(*sign_call(passkey_account, phone, chain.chain_id, tenant), sender=relayer)
    # The address still derives from the removed key: creating "its" account again
    # (someone holding the lost phone) gives back the same account, the key still out.
    assert passkey_factory.create_account(*phone.public_key, sender=attacker).return_value == passkey_account.address
    assert not passkey_account.is_passkey(*phone.public_key) and passkey_account.passkey_count() == 1
    last = passkey_account.remove_passkey.encode_input(*new_phone.public_key)
    with ape.reverts("passkey: cannot remove the last key"):
        passkey_account.execute(*sign_call(passkey_account, new_phone, chain.chain_id, passkey_account, data=last),
                                sender=relayer)
    assert passkey_account.is_passkey(*new_phone.public_key)


def test_initialize_refused_on_an_account_and_on_the_implementation(passkey_account, passkey_stack, stranger_phone, attacker):
    with ape.reverts("passkey: already initialized"):
        passkey_account.initialize(*stranger_phone.public_key, sender=attacker)
    with ape.reverts("passkey: the implementation holds no keys"):
        passkey_stack["PasskeyAccount"].initialize(*stranger_phone.public_key, sender=attacker)


def test_the_account_receives_eth(passkey_account, tenant):
    before = passkey_account.balance
    tenant.transfer(passkey_account, 12345)
    assert passkey_account.balance == before + 12345


def test_eip1271_valid_for_the_accounts_passkey(passkey_account, phone, chain):
    digest = keccak(text="Acknowledgement of notice 7")
    assertion = phone.assert_challenge(message_hash(passkey_account.address, chain.chain_id, digest))
    assert passkey_account.message_hash(digest) == message_hash(passkey_account.address, chain.chain_id, digest)
    assert passkey_account.isValidSignature(digest, assertion.encoded()) == MAGIC


def test_eip1271_invalid_for_another_hash_key_or_high_s(passkey_account, phone, stranger_phone, chain):
    digest = keccak(text="Acknowledgement of notice 7")
    challenge = message_hash(passkey_account.address, chain.chain_id, digest)
    good = phone.assert_challenge(challenge)
    with ape.reverts("passkey: wrong challenge"):  # a well-formed assertion over another hash
        passkey_account.isValidSignature(keccak(text="another notice"), good.encoded())
    # Signed by a stranger: named as itself (unknown key) or as the resident's key (bad signature).
    stranger = stranger_phone.assert_challenge(challenge)
    assert passkey_account.isValidSignature(digest, stranger.encoded()) == INVALID
    assert passkey_account.isValidSignature(digest, stranger.but(x=phone.x, y=phone.y).encoded()) == INVALID
    assert passkey_account.isValidSignature(digest, phone.assert_challenge(challenge, low_s=False).encoded()) == INVALID
    # The raw digest as the challenge (no account domain): refused, so one key's signature
    # cannot serve two accounts.
    with ape.reverts("passkey: wrong challenge"):
        passkey_account.isValidSignature(digest, phone.assert_challenge(digest).encoded())


def test_eip1271_malformed_signature_reverts(passkey_account, phone, chain):
    digest = keccak(text="Acknowledgement of notice 7")
    good = phone.assert_challenge(message_hash(passkey_account.address, chain.chain_id, digest))
    with ape.reverts("passkey: user not verified"):
        passkey_account.isValidSignature(digest, good.but(authenticator_data=good.authenticator_data[:32] + b"\x01" +
                                                          good.authenticator_data[33:]).encoded())
    with ape.reverts():
        passkey_account.isValidSignature(digest, b"\x00" * 65)  # an EOA's 65 bytes: not an assertion


@given(digest=st.one_of(st.binary(min_size=32, max_size=32),
                        st.sampled_from([b"\x00" * 32, b"\xff" * 32, bytes.fromhex("fbefbe" * 10 + "fbef")])))
def test_eip1271_accepts_any_digest_its_passkey_signed(passkey_account, phone, chain, digest):
    """Random challenges: the contract's base64url (word-at-a-time) matches the browser's
    on every character class, '-' and '_' included."""
    assertion = phone.assert_challenge(message_hash(passkey_account.address, chain.chain_id, digest))
    assert passkey_account.isValidSignature(digest, assertion.encoded()) == MAGIC


def test_the_notice_service_accepts_a_passkey_accounts_acknowledgement(passkey_account, phone, stranger_phone, chain):
    """Issue 19's receipts check an account contract through EIP-1271: the backend's own
    check (backend/notices/chain.py) against a passkey account, a real Acknowledgement digest."""
    board = BoardChain(chain.provider.uri, None, timeout_s=30, receipt_timeout_s=30)
    ack = receipts.digest(chain.chain_id, "0x" + "ab" * 20, 4, keccak(text="停水通知"), passkey_account.address, 1_780_000_000)
    challenge = message_hash(passkey_account.address, chain.chain_id, ack)
    signature = phone.assert_challenge(challenge).encoded()
    assert len(signature) <= 2048  # what the receipts table stores
    assert board.eip1271_valid(passkey_account.address, ack, signature)
    assert not board.eip1271_valid(passkey_account.address, ack, stranger_phone.assert_challenge(challenge).encoded())
    assert not board.eip1271_valid(passkey_account.address, ack, phone.assert_challenge(ack).encoded())
