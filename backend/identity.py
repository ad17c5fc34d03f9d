"""Identity commitments: the only trace of a person that goes on chain.

A commitment is sha256 over a domain tag, a random per-person salt and the
normalised identity document number. The salt and the number stay off chain (in
the vault); the chain stores only the 32-byte digest, so it cannot be reversed by
trying all ID numbers without the salt.
"""

from __future__ import annotations

import hashlib
import re
import secrets

DOMAIN_TAG = b"linli.identity.v1\x00"
SALT_BYTES = 16
_COMMITMENT_RE = re.compile(r"^0x[0-9a-fA-F]{64}$")


def new_salt() -> bytes:
    """A fresh random salt for one person."""
    return secrets.token_bytes(SALT_BYTES)


def identity_commitment(id_number: str, salt: bytes) -> bytes:
    """The commitment for an ID number and salt (32 bytes)."""
    if len(salt) < SALT_BYTES:
        raise ValueError(f"salt must be at least {SALT_BYTES} bytes")
    normalised = id_number.strip().upper().encode()
    if not normalised:
        raise ValueError("empty id number")
    return hashlib.sha256(DOMAIN_TAG + salt + normalised).digest()


def parse_commitment(text: str) -> bytes:
    """Parse a 0x-prefixed 32-byte hex commitment; rejects anything else, including zero."""
    if not _COMMITMENT_RE.match(text.strip()):
        raise ValueError("commitment must be 0x followed by 64 hex digits")
    value = bytes.fromhex(text.strip()[2:])
    if value == bytes(32):
        raise ValueError("commitment must not be zero")
    return value
