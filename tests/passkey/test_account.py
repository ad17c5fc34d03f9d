"""A passkey account executes exactly the calls its passkeys signed, once, in order, on
this account and this chain; every other assertion is refused with the rule it broke.

Signatures are real: P-256 keys made with `cryptography` sign WebAuthn-formatted
authenticatorData and clientDataJSON (tests/utils/webauthn.py). The test anvil (1.7.1,
hardfork osaka by default) has the P256VERIFY precompile, so these tests exercise it;
snekmate's pure-EVM verifier, on an anvil without the precompile, is in
test_fallback.py."""

from __future__ import annotations

import ape
import pytest

from tests.passkey.helpers import sign_call
from tests.utils.webauthn import FLAG_UP, FLAG_UV, call_hash, domain_separator, message_hash

GIFT = 10**15


@pytest.fixture(scope="module")
def funded_account(passkey_account, chain):
    """The account holds a little ETH to send (as a refund or gift would give it)."""
    chain.set_balance(passkey_account.address, 10**18)
    return passkey_account


def test_the_test_anvil_has_the_precompile_so_it_verifies(passkey_stack):
    # anvil 1.7.1 runs its latest hardfork (osaka) unless told otherwise.
    assert passkey_stack["PasskeyAccount"].HAS_PRECOMPILE() is True


def test_a_signed_call_is_executed_by_whoever_relays_it(funded_account, phone, chain, relayer, tenant):
    before = tenant.balance
    args = sign_call(funded_account, phone, chain.chain_id, tenant, value=GIFT)
    tx = funded_account.execute(*args, sender=relayer)
    assert tenant.balance == before + GIFT
    assert funded_account.next_nonce() == 1
    [executed] = tx.decode_logs(funded_account.Executed)
    assert (executed.target, executed.value, executed.nonce) == (tenant.address, GIFT, 0)


def test_the_contract_computes_the_challenge_the_page_computes(funded_account, chain, tenant):
    data = b"\x12\x34"
    assert funded_account.call_hash(tenant, 5, data, 7) == call_hash(funded_account.address, chain.chain_id, tenant.address, 5, data, 7)
    # The domain names the proxy (the resident's account), not the shared implementation.
    assert funded_account.domain_separator() == domain_separator(funded_account.address, chain.chain_id)


def test_replayed_signature_refused(funded_account, phone, chain, relayer, tenant):
    args = sign_call(funded_account, phone, chain.chain_id, tenant, value=GIFT)
    funded_account.execute(*args, sender=relayer)
    with ape.reverts("passkey: wrong nonce"):
        funded_account.execute(*args, sender=relayer)
    # The same assertion under the next nonce is a different challenge.
    target, value, data, _, assertion = args
    with ape.reverts("passkey: wrong challenge"):
        funded_account.execute(target, value, data, 1, assertion, sender=relayer)
    assert funded_account.next_nonce() == 1


def test_reordered_calls_refused(funded_account, phone, chain, relayer, tenant):
    first = sign_call(funded_account, phone, chain.chain_id, tenant, value=GIFT, nonce=0)
    second = sign_call(funded_account, phone, chain.chain_id, tenant, value=2 * GIFT, nonce=1)
    with ape.reverts("passkey: wrong nonce"):
        funded_account.execute(*second, sender=relayer)
    target, value, data, _, assertion = second
    with ape.reverts("passkey: wrong challenge"):
        funded_account.execute(target, value, data, 0, assertion, sender=relayer)
    funded_account.execute(*first, sender=relayer)
    funded_account.execute(*second, sender=relayer)
    assert funded_account.next_nonce() == 2


def test_a_call_that_reverts_reverts_with_its_reason_and_spends_no_nonce(funded_account, phone, chain, relayer):
    # The called contract's own reason reaches the relayer (here the account refusing
    # to remove its last key), so the relayer can tell the resident what went wrong.
    args = sign_call(funded_account, phone, chain.chain_id, funded_account, data=funded_account.remove_passkey.encode_input(*phone.public_key))
    with ape.reverts("passkey: cannot remove the last key"):
        funded_account.execute(*args, sender=relayer)
    assert funded_account.next_nonce() == 0


def test_signature_of_another_call_refused(funded_account, phone, chain, relayer, tenant, attacker):
    target, value, data, nonce, assertion = sign_call(funded_account, phone, chain.chain_id, tenant, value=GIFT)
    for changed in ((attacker.address, value, data), (target, 10 * GIFT, data), (target, value, b"\x01")):
        with ape.reverts("passkey: wrong challenge"):
            funded_account.execute(*changed, nonce, assertion, sender=relayer)


def test_cross_account_signature_refused(project, passkey_factory, funded_account, phone, stranger_phone, chain, relayer, tenant):
    passkey_factory.create_account(*stranger_phone.public_key, sender=relayer)
    other = project.PasskeyAccount.at(passkey_factory.account_address(*stranger_phone.public_key))
    chain.set_balance(other.address, 10**18)
    # The resident's signature for their own account, sent to another one.
    args = sign_call(funded_account, phone, chain.chain_id, tenant, value=GIFT)
    with ape.reverts("passkey: unknown key"):
        other.execute(*args, sender=relayer)
    # Even when the other account also trusts that key, the challenge names the account.
    add = sign_call(other, stranger_phone, chain.chain_id, other, data=other.add_passkey.encode_input(*phone.public_key))
    other.execute(*add, sender=relayer)
    args = sign_call(funded_account, phone, chain.chain_id, tenant, value=GIFT, nonce=other.next_nonce())
    with ape.reverts("passkey: wrong challenge"):
        other.execute(*args, sender=relayer)


def test_cross_chain_signature_refused(funded_account, phone, chain, relayer, tenant):
    target = tenant.address
    challenge = call_hash(funded_account.address, chain.chain_id + 1, target, GIFT, b"", 0)
    assertion = phone.assert_challenge(challenge).as_tuple()
    with ape.reverts("passkey: wrong challenge"):
        funded_account.execute(target, GIFT, b"", 0, assertion, sender=relayer)


def test_wrong_key_refused(funded_account, phone, stranger_phone, chain, relayer, tenant):
    # A stranger's key, named as itself: not one of the account's keys.
    args = sign_call(funded_account, stranger_phone, chain.chain_id, tenant, value=GIFT)
    with ape.reverts("passkey: unknown key"):
        funded_account.execute(*args, sender=relayer)
    # A stranger's signature presented as the resident's key.
    target, value, data, nonce, assertion = args
    forged = (*assertion[:6], *phone.public_key)
    with ape.reverts("passkey: invalid signature"):
        funded_account.execute(target, value, data, nonce, forged, sender=relayer)


def test_high_s_refused(funded_account, phone, chain, relayer, tenant):
    args = sign_call(funded_account, phone, chain.chain_id, tenant, value=GIFT, low_s=False)
    with ape.reverts("passkey: high s"):
        funded_account.execute(*args, sender=relayer)


@pytest.mark.parametrize(("flags", "reason"), [
    (FLAG_UP, "passkey: user not verified"),
    (FLAG_UV, "passkey: user not present"),
    (0, "passkey: user not present"),
])
def test_missing_user_presence_or_verification_refused(funded_account, phone, chain, relayer, tenant, flags, reason):
    args = sign_call(funded_account, phone, chain.chain_id, tenant, value=GIFT, flags=flags)
    with ape.reverts(reason):
        funded_account.execute(*args, sender=relayer)


def test_a_registration_is_not_an_assertion(funded_account, phone, chain, relayer, tenant):
    args = sign_call(funded_account, phone, chain.chain_id, tenant, value=GIFT, type_="webauthn.create")
    with ape.reverts("passkey: not an assertion"):
        funded_account.execute(*args, sender=relayer)


def test_tampered_authenticator_data_or_client_data_refused(funded_account, phone, chain, relayer, tenant):
    target, value, data, nonce, assertion = sign_call(funded_account, phone, chain.chain_id, tenant, value=GIFT)
    authenticator_data, client_data = assertion[0], assertion[1]
    bumped = authenticator_data[:33] + (int.from_bytes(authenticator_data[33:37], "big") + 1).to_bytes(4, "big")
    with ape.reverts("passkey: invalid signature"):
        funded_account.execute(target, value, data, nonce, (bumped, *assertion[1:]), sender=relayer)
    other_origin = client_data.replace(b"https://linli.example", b"https://evil.example")
    with ape.reverts("passkey: invalid signature"):
        funded_account.execute(target, value, data, nonce, (authenticator_data, other_origin, *assertion[2:]), sender=relayer)


@pytest.mark.parametrize("case", ["short_authenticator_data", "truncated_client_data", "type_index_past_end",
                                  "type_index_huge", "challenge_index_past_end", "challenge_index_huge",
                                  "type_index_elsewhere", "challenge_index_elsewhere", "empty_client_data"])
def test_malformed_payload_is_a_clear_revert(funded_account, phone, chain, relayer, tenant, case):
    target, value, data, nonce, assertion = sign_call(funded_account, phone, chain.chain_id, tenant, value=GIFT)
    authenticator_data, client_data, challenge_index, type_index = assertion[:4]
    rest = assertion[4:]
    cut = challenge_index + 30  # inside the challenge
    malformed, reason = {
        "short_authenticator_data": ((authenticator_data[:36], client_data, challenge_index, type_index),
                                     "passkey: authenticator data too short"),
        "truncated_client_data": ((authenticator_data, client_data[:cut], challenge_index, type_index),
                                  "passkey: challenge out of range"),
        "type_index_past_end": ((authenticator_data, client_data, challenge_index, len(client_data) - 20),
                                "passkey: type out of range"),
        "type_index_huge": ((authenticator_data, client_data, challenge_index, 2**256 - 1), "passkey: type out of range"),
        "challenge_index_past_end": ((authenticator_data, client_data, len(client_data) - 56, type_index),
                                     "passkey: challenge out of range"),
        "challenge_index_huge": ((authenticator_data, client_data, 2**256 - 1, type_index),
                                 "passkey: challenge out of range"),
        "type_index_elsewhere": ((authenticator_data, client_data, challenge_index, type_index + 1),
                                 "passkey: not an assertion"),
        "challenge_index_elsewhere": ((authenticator_data, client_data, challenge_index + 1, type_index),
                                      "passkey: wrong challenge"),
        "empty_client_data": ((authenticator_data, b"", challenge_index, type_index), "passkey: type out of range"),
    }[case]
    with ape.reverts(reason):
        funded_account.execute(target, value, data, nonce, (*malformed, *rest), sender=relayer)


def test_a_signed_call_cannot_reenter_the_account(funded_account, phone, chain, relayer, tenant):
    """A call that calls back into `execute` (here, a second signed call nested in the
    first) meets the reentrancy lock; the whole transaction reverts, no nonce is spent."""
    inner = sign_call(funded_account, phone, chain.chain_id, tenant, value=GIFT, nonce=1)
    outer = sign_call(funded_account, phone, chain.chain_id, funded_account, data=funded_account.execute.encode_input(*inner), nonce=0)
    before = tenant.balance
    with ape.reverts():
        funded_account.execute(*outer, sender=relayer)
    assert funded_account.next_nonce() == 0 and tenant.balance == before


def test_an_eip1271_signature_is_never_a_call_and_a_call_never_an_eip1271_signature(funded_account, phone, chain, relayer, tenant):
    target, value, data, nonce, _ = sign_call(funded_account, phone, chain.chain_id, tenant, value=GIFT)
    challenge = call_hash(funded_account.address, chain.chain_id, target, value, data, nonce)
    as_message = phone.assert_challenge(message_hash(funded_account.address, chain.chain_id, challenge))
    with ape.reverts("passkey: wrong challenge"):
        funded_account.execute(target, value, data, nonce, as_message.as_tuple(), sender=relayer)
    as_call = phone.assert_challenge(challenge)
    with ape.reverts("passkey: wrong challenge"):
        funded_account.isValidSignature(challenge, as_call.encoded())
