"""A bytes32 stand-in for the hash of an off-chain document (a contract, an invoice,
a text, a purpose): what the contracts store instead of the document itself."""

from __future__ import annotations

from eth_utils import keccak


def h(text: str) -> bytes:
    """keccak256 of `text`: distinct texts give distinct bytes32 values."""
    return keccak(text=text)
