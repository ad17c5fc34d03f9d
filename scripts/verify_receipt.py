#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-only
"""Verify an owner's receipt of a notice against the root anchored on chain.

    python scripts/verify_receipt.py proof.json --rpc http://127.0.0.1:8545

`proof.json` is what the API gives at
GET /api/v1/communities/{community}/notices/{notice}/receipts/{owner}/proof. Nothing in it
is taken on trust; the script checks, with nothing but the chain:

1. the signature is the owner's over the EIP-712 Acknowledgement(notice, content, owner,
   acknowledgedAt) in the NoticeBoard's domain (recovered for an account with a key;
   EIP-1271 `isValidSignature` on the owner for an account contract);
2. the notice's content hash is the one the board published under that number;
3. the receipt's leaf, walked up its proof, is the root the board anchored as that batch
   (checked locally and by the board's own `verify_receipt`).

Exit 0 and "verified" when all hold; exit 1 and what failed otherwise. Needs web3 and
eth-account (pip install web3), not the rest of the project: a copy of this file and
of backend/notices/receipts.py is enough.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eth_utils import to_checksum_address  # noqa: E402
from web3 import HTTPProvider, Web3  # noqa: E402

from backend.notices import receipts as rc  # noqa: E402

BOARD_ABI = json.loads("""[
 {"type":"function","name":"batch_root","stateMutability":"view","inputs":[{"name":"arg0","type":"uint256"}],
  "outputs":[{"name":"","type":"bytes32"}]},
 {"type":"function","name":"notice_content","stateMutability":"view","inputs":[{"name":"arg0","type":"uint256"}],
  "outputs":[{"name":"","type":"bytes32"}]},
 {"type":"function","name":"verify_receipt","stateMutability":"view","inputs":[{"name":"batch","type":"uint256"},
  {"name":"leaf","type":"bytes32"},{"name":"proof","type":"bytes32[]"}],"outputs":[{"name":"","type":"bool"}]},
 {"type":"function","name":"isValidSignature","stateMutability":"view","inputs":[{"name":"hash","type":"bytes32"},
  {"name":"signature","type":"bytes"}],"outputs":[{"name":"","type":"bytes4"}]}
]""")


def _bytes(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def verify(claim: dict, w3: Web3) -> list[str]:
    """What fails, in words; empty when the receipt is proven."""
    problems = []
    if int(w3.eth.chain_id) != int(claim["chain_id"]):
        return [f"the node is chain {w3.eth.chain_id}, the receipt is of chain {claim['chain_id']}"]
    board = w3.eth.contract(address=to_checksum_address(claim["notice_board"]), abi=BOARD_ABI)
    owner = to_checksum_address(claim["owner"])
    notice, at = int(claim["notice_id"]), int(claim["acknowledged_at"])
    content, signature = _bytes(claim["content_hash"]), _bytes(claim["signature"])
    if board.functions.notice_content(notice).call() != content:
        problems.append(f"notice {notice} on the board has another content hash (or no such notice)")
    if w3.eth.get_code(owner):
        digest = rc.digest(int(claim["chain_id"]), board.address, notice, content, owner, at)
        try:
            answer = bytes(w3.eth.contract(address=owner, abi=BOARD_ABI).functions.isValidSignature(
                digest, signature).call())
        except Exception:
            answer = b""
        if answer != rc.EIP1271_MAGIC:
            problems.append("the owner's account contract does not accept the signature (EIP-1271)")
    elif rc.recover(int(claim["chain_id"]), board.address, notice, content, owner, at, signature) != owner:
        problems.append("the signature is not the owner's over this acknowledgement")
    leaf = rc.receipt_leaf(notice, content, owner, at, signature)
    if claim.get("leaf") and _bytes(claim["leaf"]) != leaf:
        problems.append("the leaf given is not this receipt's")
    if claim.get("batch") is None or claim.get("proof") is None:
        problems.append("the receipt is not anchored yet (no batch or proof): ask again after the next anchoring")
        return problems
    batch, proof = int(claim["batch"]), [_bytes(p) for p in claim["proof"]]
    root = board.functions.batch_root(batch).call()
    if root == b"\x00" * 32:
        problems.append(f"batch {batch} is not anchored on this board")
    elif rc.proof_root(leaf, proof) != root:
        problems.append(f"the proof does not lead to batch {batch}'s anchored root 0x{root.hex()}")
    elif not board.functions.verify_receipt(batch, leaf, proof).call():
        problems.append("the board's own verify_receipt refuses the proof")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("proof", type=Path, help="the proof JSON (- for standard input)")
    parser.add_argument("--rpc", default="http://127.0.0.1:8545", help="a node of the community's chain")
    args = parser.parse_args()
    claim = json.load(sys.stdin if str(args.proof) == "-" else args.proof.open(encoding="utf-8"))
    problems = verify(claim, Web3(HTTPProvider(args.rpc, request_kwargs={"timeout": 20})))
    if problems:
        print("refused: " + "; ".join(problems))
        return 1
    when = datetime.fromtimestamp(int(claim["acknowledged_at"]), timezone.utc).isoformat()
    print(f"verified: {claim['owner']} acknowledged notice {claim['notice_id']} (content {claim['content_hash']}) "
          f"at {when}, anchored in batch {claim['batch']} of {claim['notice_board']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
