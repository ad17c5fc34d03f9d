"""Passkeys in tests: a P-256 key made with `cryptography` that answers a WebAuthn
`navigator.credentials.get` the way a browser and a platform authenticator do
(authenticatorData, clientDataJSON, a DER signature taken apart into r and s), and
the EIP-712 challenges of PasskeyAccount computed independently of the contract."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, replace

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from backend.relayer.passkeys import Assertion as RelayedAssertion

# The secp256r1 group order.
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

FLAG_UP, FLAG_UV = 0x01, 0x04
RP_ID = "linli.example"
ORIGIN = "https://linli.example"

ASSERTION_ABI = "(bytes,bytes,uint256,uint256,uint256,uint256,uint256,uint256)"

DOMAIN_TYPE = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
CALL_TYPE = keccak(text="Call(address target,uint256 value,bytes data,uint256 nonce)")
MESSAGE_TYPE = keccak(text="PasskeyMessage(bytes32 hash)")


def b64url(data: bytes) -> str:
    """Unpadded base64url, as WebAuthn writes the challenge."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class Assertion(RelayedAssertion):
    """What the page sends to the relayer (the relayer's own Assertion), and its EIP-1271 form."""

    def encoded(self) -> bytes:
        """The EIP-1271 signature: the ABI-encoded struct."""
        return encode([ASSERTION_ABI], [self.as_tuple()])

    def but(self, **changes) -> Assertion:
        return replace(self, **changes)


class Passkey:
    """A platform passkey (P-256) on a resident's phone."""

    def __init__(self, seed: int | None = None):
        self.private_key = (ec.derive_private_key(seed, ec.SECP256R1()) if seed is not None
                            else ec.generate_private_key(ec.SECP256R1()))
        numbers = self.private_key.public_key().public_numbers()
        self.x, self.y = numbers.x, numbers.y
        self.sign_count = 0

    @property
    def public_key(self) -> tuple[int, int]:
        return self.x, self.y

    def assert_challenge(self, challenge: bytes, *, type_: str = "webauthn.get", flags: int = FLAG_UP | FLAG_UV,
                         origin: str = ORIGIN, low_s: bool = True) -> Assertion:
        """Sign `challenge` as `navigator.credentials.get` does.

        The browser serialises clientDataJSON with type first, then challenge, origin and
        crossOrigin (Chromium's order); the authenticator signs authenticatorData ||
        sha256(clientDataJSON) with ECDSA-SHA256. Authenticators return either s of the
        pair, so the page (and this helper, unless told otherwise) takes the low one."""
        self.sign_count += 1
        authenticator_data = hashlib.sha256(RP_ID.encode()).digest() + bytes([flags]) + self.sign_count.to_bytes(4, "big")
        client_data = json.dumps(
            {"type": type_, "challenge": b64url(challenge), "origin": origin, "crossOrigin": False},
            separators=(",", ":"),
        ).encode()
        der = self.private_key.sign(authenticator_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        if low_s and s > N // 2:
            s = N - s
        elif not low_s and s <= N // 2:
            s = N - s
        return Assertion(
            authenticator_data,
            client_data,
            client_data.index(b'"challenge":"'),
            client_data.index(b'"type":"'),
            r,
            s,
            self.x,
            self.y,
        )


def domain_separator(account: str, chain_id: int) -> bytes:
    return keccak(encode(
        ["bytes32", "bytes32", "bytes32", "uint256", "address"],
        [DOMAIN_TYPE, keccak(text="Linli PasskeyAccount"), keccak(text="1"), chain_id, to_checksum_address(account)],
    ))


def call_hash(account: str, chain_id: int, target: str, value: int, data: bytes, nonce: int) -> bytes:
    """The challenge of `execute(target, value, data, nonce, …)` on `account`."""
    struct = keccak(encode(["bytes32", "address", "uint256", "bytes32", "uint256"],
                           [CALL_TYPE, to_checksum_address(target), value, keccak(data), nonce]))
    return keccak(b"\x19\x01" + domain_separator(account, chain_id) + struct)


def message_hash(account: str, chain_id: int, digest: bytes) -> bytes:
    """The challenge of `isValidSignature(digest, …)` on `account`."""
    struct = keccak(encode(["bytes32", "bytes32"], [MESSAGE_TYPE, digest]))
    return keccak(b"\x19\x01" + domain_separator(account, chain_id) + struct)
