"""The profile fields the vault keeps, and the DataConsent scopes that open them.

A scope on chain is keccak256 of its name, as DataConsent documents (keccak256("phone")).
Each scope opens a fixed list of fields; a grantee reads exactly those, nothing else.
`identity_salt` belongs to no scope: it never leaves the vault except to its resident,
and the committee's commitment check uses it without returning it.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import keccak


@dataclass(frozen=True)
class FieldSpec:
    name: str
    max_length: int
    pattern: str | None
    description: str


# Bounds are generous for Chinese and foreign names and addresses but finite, so an
# oversized body is a 422, not a large row.
FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("name", 64, None, "full name"),
        FieldSpec("phone", 32, r"^\+?[0-9][0-9 ()\-]{3,31}$", "phone number: digits, spaces, ( ) - and a leading +"),
        FieldSpec("email", 254, r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$", "e-mail address"),
        FieldSpec("address", 200, None, "mailing address"),
        FieldSpec("emergency_contact", 200, None, "who to call in an emergency, and how"),
        FieldSpec("vehicle_plate", 16, None, "licence plate of the resident's vehicle"),
        FieldSpec("id_number", 32, r"^[0-9A-Za-z]{4,32}$", "identity document number (letters and digits)"),
        FieldSpec("identity_salt", 130, r"^0x[0-9a-fA-F]{32,128}$",
                  "the salt of the resident's identity commitment (0x + 16..64 bytes hex), from the committee"),
    )
}

# scope name -> fields it opens. `contact` is the bundle a service provider needs to come by.
SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "phone": ("phone",),
    "email": ("email",),
    "address": ("address",),
    "emergency_contact": ("emergency_contact",),
    "vehicle_plate": ("vehicle_plate",),
    "id_number": ("id_number",),
    "contact": ("name", "phone"),
}


def scope_id(name: str) -> bytes:
    """The bytes32 scope id of a scope name, as granted on chain."""
    return keccak(text=name)


SCOPE_BY_ID: dict[bytes, str] = {scope_id(name): name for name in SCOPE_FIELDS}


def resolve_scope(text: str) -> str | None:
    """A scope name from its name or its 0x bytes32 id; None when the vault serves no such scope."""
    if text in SCOPE_FIELDS:
        return text
    if text.startswith("0x") and len(text) == 66:
        try:
            return SCOPE_BY_ID.get(bytes.fromhex(text[2:]))
        except ValueError:
            return None
    return None


def purpose_hash(purpose: str) -> bytes:
    """The purpose as logged on chain: keccak256 of the grantee's UTF-8 purpose text."""
    return keccak(text=purpose)
