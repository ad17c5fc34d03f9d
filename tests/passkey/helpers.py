"""Helpers of the passkey accounts' tests."""

from __future__ import annotations

from tests.utils.webauthn import call_hash


def sign_call(account, key, chain_id, target, data=b"", value=0, nonce=None, **assert_options):
    """The arguments of `execute` for a call `key` signed: target, value, data, nonce, assertion."""
    nonce = account.next_nonce() if nonce is None else nonce
    target = getattr(target, "address", target)
    challenge = call_hash(account.address, chain_id, target, value, bytes(data), nonce)
    return (target, value, bytes(data), nonce, key.assert_challenge(challenge, **assert_options).as_tuple())
