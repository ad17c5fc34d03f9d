# SPDX-License-Identifier: AGPL-3.0-only
"""A passkey account's EIP-1271 signature checked off the chain, for an account the
factory has not created yet (issue 18: a resident signs in to the vault before their
first relayed call).

An account that exists answers `isValidSignature` itself and the vault asks it on the
chain. One that does not exist yet has no code to ask, but its address is a promise:
PasskeyAccountFactory puts the account of key (x, y) at `account_address(x, y)` (CREATE2
of a proxy to the implementation, salt keccak256(x, y)) and gives it that key, and only
that key, in the transaction that creates it. So for an address with no code the vault
accepts a signature when

1. the factory (one named by the vault's manifests, read on the chain) derives the
   claimed address from the key (x, y) the page sent, and the assertion is by that key;
2. the assertion verifies exactly as `PasskeyAccount.isValidSignature` will verify it
   once the account exists: the same ABI decoding and size limits, the same WebAuthn
   checks (flags UP and UV, `"type":"webauthn.get"` at `type_index`, the base64url
   challenge at `challenge_index`), the same challenge (the EIP-712 hash of
   `PasskeyMessage(bytes32 hash)` in the account's domain: name "Linli PasskeyAccount",
   version "1", the chain id, the account's address), low s, and P-256 ECDSA over
   sha256(authenticatorData || sha256(clientDataJSON)), here with `cryptography`.

This is the ERC-6492 idea (a signature of a contract that will be deployed) without its
wrapper and deploy-in-`eth_call` validator: the vault knows the one factory and the one
account code, so it checks the promise directly and needs no contract of its own.
`rule` names the first check that fails in the contract's words ("passkey: wrong
challenge"), so a refusal says which.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature
from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

ASSERTION_TYPE = "(bytes,bytes,uint256,uint256,uint256,uint256,uint256,uint256)"
# PasskeyAccount's limits: abi_decode into its struct refuses longer fields.
MAX_AUTHENTICATOR_DATA = 256
MAX_CLIENT_DATA_JSON = 1024
# The secp256r1 group order and half of it (the account takes only the low s).
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
HALF_N = N // 2
FLAG_USER_PRESENT, FLAG_USER_VERIFIED = 0x01, 0x04
TYPE_GET = b'"type":"webauthn.get"'
CHALLENGE_KEY = b'"challenge":"'
CHALLENGE_LENGTH = 57  # '"challenge":"' + 43 base64url characters + '"'

DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
NAME_HASH = keccak(text="Linli PasskeyAccount")
VERSION_HASH = keccak(text="1")
MESSAGE_TYPEHASH = keccak(text="PasskeyMessage(bytes32 hash)")


class NotAnAssertion(ValueError):
    """The signature does not decode as PasskeyAccount's WebAuthnAssertion."""


@dataclass(frozen=True)
class WebAuthnAssertion:
    authenticator_data: bytes
    client_data_json: bytes
    challenge_index: int
    type_index: int
    r: int
    s: int
    x: int
    y: int


def decode_assertion(signature: bytes) -> WebAuthnAssertion:
    """The assertion ABI-encoded as `isValidSignature` decodes it; NotAnAssertion if not."""
    try:
        (fields,) = decode([ASSERTION_TYPE], signature)
    except Exception:  # eth_abi's decoding errors
        raise NotAnAssertion("the signature is not an ABI-encoded WebAuthn assertion") from None
    assertion = WebAuthnAssertion(*fields)
    if len(assertion.authenticator_data) > MAX_AUTHENTICATOR_DATA or \
            len(assertion.client_data_json) > MAX_CLIENT_DATA_JSON:
        raise NotAnAssertion("the assertion's authenticator data or client data is longer than the account reads")
    return assertion


def base64url(digest: bytes) -> bytes:
    return base64.urlsafe_b64encode(digest).rstrip(b"=")


def domain_separator(account: str, chain_id: int) -> bytes:
    return keccak(encode(["bytes32", "bytes32", "bytes32", "uint256", "address"],
                         [DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chain_id, to_checksum_address(account)]))


def message_hash(account: str, chain_id: int, digest: bytes) -> bytes:
    """PasskeyAccount.message_hash(digest) of `account` on chain `chain_id`: the challenge."""
    struct = keccak(encode(["bytes32", "bytes32"], [MESSAGE_TYPEHASH, digest]))
    return keccak(b"\x19\x01" + domain_separator(account, chain_id) + struct)


def rule_broken(account: str, chain_id: int, digest: bytes, assertion: WebAuthnAssertion) -> str | None:
    """None when `assertion` is a valid signature of `digest` by its key (x, y) for `account`,
    as `isValidSignature` checks it; else the rule it breaks, in the contract's words. The
    key is the caller's to check (for an account not yet created: the factory's)."""
    a = assertion
    if len(a.authenticator_data) < 37:
        return "passkey: authenticator data too short"
    flags = a.authenticator_data[32]
    if not flags & FLAG_USER_PRESENT:
        return "passkey: user not present"
    if not flags & FLAG_USER_VERIFIED:
        return "passkey: user not verified"
    data = a.client_data_json
    if len(data) < len(TYPE_GET) or a.type_index > len(data) - len(TYPE_GET):
        return "passkey: type out of range"
    if data[a.type_index:a.type_index + len(TYPE_GET)] != TYPE_GET:
        return "passkey: not an assertion"
    if len(data) < CHALLENGE_LENGTH or a.challenge_index > len(data) - CHALLENGE_LENGTH:
        return "passkey: challenge out of range"
    expected = CHALLENGE_KEY + base64url(message_hash(account, chain_id, digest)) + b'"'
    if data[a.challenge_index:a.challenge_index + CHALLENGE_LENGTH] != expected:
        return "passkey: wrong challenge"
    if not 0 < a.r < N or not 0 < a.s <= HALF_N:
        return "passkey: high s" if a.s > HALF_N else "passkey: invalid signature"
    message = hashlib.sha256(a.authenticator_data + hashlib.sha256(data).digest()).digest()
    try:
        key = ec.EllipticCurvePublicNumbers(a.x, a.y, ec.SECP256R1()).public_key()
        key.verify(encode_dss_signature(a.r, a.s), message, ec.ECDSA(Prehashed(hashes.SHA256())))
    except (ValueError, InvalidSignature):  # not a point of the curve, or not its signature
        return "passkey: invalid signature"
    return None
