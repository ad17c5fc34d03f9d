# SPDX-License-Identifier: AGPL-3.0-only
"""Owners' receipts of notices: what an owner signs, how a receipt becomes a Merkle leaf,
the tree of a batch and the proof of one receipt. Pure functions, shared by the backend,
the tests and scripts/verify_receipt.py, and mirrored by NoticeBoard's views
(`acknowledgement_digest`, `receipt_leaf`, `verify_receipt`).

- The owner signs EIP-712 `Acknowledgement(uint256 notice,bytes32 content,address owner,
  uint256 acknowledgedAt)` in the NoticeBoard's domain ("Linli NoticeBoard", "1", chain
  id, the board's address): no gas. An externally owned account's signature is checked
  by recovery; an account contract's (a passkey account's) by EIP-1271
  `isValidSignature(digest, signature)` on the account.
- leaf = keccak256(keccak256(abi.encode(notice, content, owner, acknowledgedAt,
  keccak256(signature)))): hashed twice so no inner node of the tree passes as a leaf.
- The tree hashes pairs sorted (OpenZeppelin's MerkleProof convention), so a proof is
  just the siblings from the leaf up; an odd node is carried up unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

DOMAIN_NAME = "Linli NoticeBoard"
DOMAIN_VERSION = "1"
ACKNOWLEDGEMENT_TYPES = {
    "Acknowledgement": [
        {"name": "notice", "type": "uint256"},
        {"name": "content", "type": "bytes32"},
        {"name": "owner", "type": "address"},
        {"name": "acknowledgedAt", "type": "uint256"},
    ]
}
# EIP-1271's magic value: isValidSignature(bytes32,bytes) answers its own selector.
EIP1271_MAGIC = bytes.fromhex("1626ba7e")


@dataclass(frozen=True)
class Receipt:
    """One owner's signed acknowledgement of one notice."""

    notice_id: int
    content: bytes  # 32 bytes: the notice text's sha256
    owner: str  # checksummed
    acknowledged_at: int
    signature: bytes

    def leaf(self) -> bytes:
        return receipt_leaf(self.notice_id, self.content, self.owner, self.acknowledged_at, self.signature)


def typed_data(chain_id: int, board: str, notice_id: int, content: bytes, owner: str, acknowledged_at: int) -> dict:
    """The EIP-712 message as a wallet signs it (eth_signTypedData_v4)."""
    return {
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id,
                   "verifyingContract": to_checksum_address(board)},
        "types": {"EIP712Domain": [
            {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
            **ACKNOWLEDGEMENT_TYPES},
        "primaryType": "Acknowledgement",
        "message": {"notice": notice_id, "content": "0x" + bytes(content).hex(),
                    "owner": to_checksum_address(owner), "acknowledgedAt": acknowledged_at},
    }


def digest(chain_id: int, board: str, notice_id: int, content: bytes, owner: str, acknowledged_at: int) -> bytes:
    """The 32-byte EIP-712 digest (what EIP-1271's isValidSignature is asked about)."""
    signable = encode_typed_data(full_message=typed_data(chain_id, board, notice_id, content, owner, acknowledged_at))
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def recover(chain_id: int, board: str, notice_id: int, content: bytes, owner: str, acknowledged_at: int,
            signature: bytes) -> str | None:
    """The address that signed, or None for a signature that is not a valid ECDSA one."""
    if len(signature) != 65:
        return None
    message = encode_typed_data(full_message=typed_data(chain_id, board, notice_id, content, owner, acknowledged_at))
    try:
        return Account.recover_message(message, signature=signature)
    except Exception:  # malformed r, s or v, or a high s
        return None


def receipt_leaf(notice_id: int, content: bytes, owner: str, acknowledged_at: int, signature: bytes) -> bytes:
    inner = keccak(encode(["uint256", "bytes32", "address", "uint256", "bytes32"],
                          [notice_id, bytes(content), to_checksum_address(owner), acknowledged_at,
                           keccak(bytes(signature))]))
    return keccak(inner)


def _pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def tree_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first (in the order given), root last."""
    if not leaves:
        raise ValueError("a batch needs at least one receipt")
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        level = levels[-1]
        levels.append([_pair(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                       for i in range(0, len(level), 2)])
    return levels


def merkle_root(leaves: list[bytes]) -> bytes:
    return tree_levels(leaves)[-1][0]


def merkle_proof(levels: list[list[bytes]], index: int) -> list[bytes]:
    """The siblings of leaf `index` from the bottom up (none where a node is carried up alone)."""
    proof = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        index //= 2
    return proof


def proof_root(leaf: bytes, proof: list[bytes]) -> bytes:
    node = leaf
    for sibling in proof:
        node = _pair(node, sibling)
    return node
