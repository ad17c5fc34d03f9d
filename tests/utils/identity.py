"""Deterministic identity commitments for tests (never a real ID number)."""

from backend.identity import identity_commitment


def commitment_for(tag: str) -> bytes:
    """A stable commitment for a named test person, e.g. commitment_for("owner_a")."""
    salt = (tag.encode() * 16)[:16]
    return identity_commitment(f"TEST-{tag}", salt)
