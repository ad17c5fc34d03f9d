# SPDX-License-Identifier: AGPL-3.0-only
"""The notice board as the backend sees it: the board's address per community (from the
deployment manifests), who may acknowledge (the registry's views), an account
contract's EIP-1271 answer, and the anchorer's transaction.

The anchorer is the backend's service account (LINLI_VAULT_LOGGER_KEY; on a local chain
anvil's account 8, which deploy appoints). It shares the key with the vault's access
log, so transactions go with the node's pending nonce and a "nonce" refusal is retried.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_utils import to_checksum_address
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError

from backend.chain.deployment import ManifestError, read_manifest
from backend.notices.receipts import EIP1271_MAGIC

LOCAL_CHAIN_IDS = {31337, 1337}

_ABI = json.loads("""[
 {"type":"function","name":"is_owner","stateMutability":"view",
  "inputs":[{"name":"wallet","type":"address"}],"outputs":[{"name":"","type":"bool"}]},
 {"type":"function","name":"is_member","stateMutability":"view",
  "inputs":[{"name":"wallet","type":"address"}],"outputs":[{"name":"","type":"bool"}]},
 {"type":"function","name":"isValidSignature","stateMutability":"view",
  "inputs":[{"name":"hash","type":"bytes32"},{"name":"signature","type":"bytes"}],"outputs":[{"name":"","type":"bytes4"}]},
 {"type":"function","name":"batch_of_root","stateMutability":"view",
  "inputs":[{"name":"arg0","type":"bytes32"}],"outputs":[{"name":"","type":"uint256"}]},
 {"type":"function","name":"batch_root","stateMutability":"view",
  "inputs":[{"name":"arg0","type":"uint256"}],"outputs":[{"name":"","type":"bytes32"}]},
 {"type":"function","name":"anchor_receipts","stateMutability":"nonpayable",
  "inputs":[{"name":"root","type":"bytes32"},{"name":"receipts","type":"uint256"},
            {"name":"first_acknowledged_at","type":"uint256"},{"name":"last_acknowledged_at","type":"uint256"}],
  "outputs":[{"name":"","type":"uint256"}]}
]""")


class ChainUnavailable(RuntimeError):
    """The node does not answer, or a contract is missing (503)."""


@dataclass(frozen=True)
class Board:
    community: str  # registry address, lower case
    chain_id: int
    registry: str
    board: str  # NoticeBoard's address (checksummed)


def load_boards(paths: list[Path]) -> dict[str, Board]:
    """The communities with a NoticeBoard among the manifests, by registry address (lower case)."""
    found = {}
    for path in paths:
        try:
            manifest = read_manifest(Path(path))
        except ManifestError as exc:
            raise ChainUnavailable(str(exc)) from None
        board = manifest["contracts"].get("NoticeBoard", {}).get("address")
        if board:
            key = manifest["community"].lower()
            found[key] = Board(key, int(manifest["chain_id"]), to_checksum_address(manifest["community"]),
                               to_checksum_address(board))
    return found


@dataclass(frozen=True)
class Anchored:
    batch: int
    tx_hash: str | None
    block_number: int | None


class BoardChain:
    def __init__(self, rpc_url: str, anchorer_key: str | None, *, timeout_s: float, receipt_timeout_s: float):
        self.w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_s}))
        self._key = anchorer_key
        self._receipt_timeout_s = receipt_timeout_s

    def _contract(self, address: str):
        return self.w3.eth.contract(address=to_checksum_address(address), abi=_ABI)

    def _call(self, fn):
        try:
            return fn.call()
        except ContractLogicError as exc:
            raise ChainUnavailable(f"the contract refused a view: {exc}") from None
        except Exception as exc:
            raise ChainUnavailable(f"the node does not answer: {type(exc).__name__}") from None

    def may_acknowledge(self, board: Board, wallet: str, owners_only: bool) -> bool:
        registry = self._contract(board.registry)
        fn = registry.functions.is_owner if owners_only else registry.functions.is_member
        return bool(self._call(fn(to_checksum_address(wallet))))

    def is_contract(self, wallet: str) -> bool:
        try:
            return len(self.w3.eth.get_code(to_checksum_address(wallet))) > 0
        except Exception as exc:
            raise ChainUnavailable(f"the node does not answer: {type(exc).__name__}") from None

    def eip1271_valid(self, wallet: str, digest: bytes, signature: bytes) -> bool:
        """An account contract's own word on a signature (EIP-1271); False when it reverts."""
        try:
            answer = self._contract(wallet).functions.isValidSignature(digest, signature).call()
        except ContractLogicError:
            return False
        except Exception as exc:
            raise ChainUnavailable(f"the node does not answer: {type(exc).__name__}") from None
        return bytes(answer) == EIP1271_MAGIC

    def batch_of_root(self, board: Board, root: bytes) -> int:
        return int(self._call(self._contract(board.board).functions.batch_of_root(root)))

    def anchorer(self):
        key = self._key
        if key is None:
            if int(self.w3.eth.chain_id) not in LOCAL_CHAIN_IDS:
                raise ChainUnavailable("LINLI_VAULT_LOGGER_KEY is not set: receipts cannot be anchored")
            from backend.vault.chain import local_service_key

            key = local_service_key()
        return Account.from_key(key)

    def anchor(self, board: Board, root: bytes, count: int, first_at: int, last_at: int) -> Anchored:
        """Send anchor_receipts and wait for it; a root already on chain answers its batch."""
        known = self.batch_of_root(board, root)
        if known:
            return Anchored(known, None, None)
        account = self.anchorer()
        call = self._contract(board.board).functions.anchor_receipts(root, count, first_at, last_at)
        for attempt in range(3):
            try:
                gas = call.estimate_gas({"from": account.address})
                tx = call.build_transaction({"from": account.address, "chainId": int(self.w3.eth.chain_id),
                                             "nonce": self.w3.eth.get_transaction_count(account.address, "pending"),
                                             "gas": gas + gas // 5})
                tx_hash = self.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
                break
            except ContractLogicError as exc:
                raise ChainUnavailable(f"the board refused the batch: {exc}") from None
            except Web3RPCError as exc:
                if "nonce" in str(exc).lower() and attempt < 2:
                    continue
                raise ChainUnavailable(f"the node refused the batch: {exc}") from None
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self._receipt_timeout_s,
                                                               poll_latency=0.05)
        except TimeExhausted:
            raise ChainUnavailable(f"the anchor {tx_hash.to_0x_hex()} was not mined in time") from None
        if receipt["status"] != 1:
            raise ChainUnavailable("the anchor transaction reverted")
        return Anchored(self.batch_of_root(board, root), receipt["transactionHash"].to_0x_hex(),
                        int(receipt["blockNumber"]))
