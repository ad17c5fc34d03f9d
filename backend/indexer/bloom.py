"""The logs bloom of a block header (Yellow Paper 4.4.1): 2048 bits, three set per address
and per topic of each log, at the positions the low 11 bits of the first three byte pairs
of the value's keccak256 name. As a big-endian integer, position v is bit v."""

from __future__ import annotations

from eth_utils import keccak


def bloom_mask(value: str | bytes) -> int:
    """The three bits `value` (an address or a topic) sets in a bloom."""
    raw = bytes.fromhex(value[2:] if value.startswith("0x") else value) if isinstance(value, str) else value
    digest = keccak(raw)
    mask = 0
    for i in (0, 2, 4):
        mask |= 1 << (((digest[i] << 8) | digest[i + 1]) & 2047)
    return mask


def may_hold(bloom_hex: str, masks: tuple[int, ...]) -> bool:
    """Whether a block with this logs bloom may hold a log of one of the masked values."""
    bloom = int(bloom_hex, 16)
    return any(bloom & mask == mask for mask in masks)
