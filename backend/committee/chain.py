# SPDX-License-Identifier: AGPL-3.0-only
"""The committee's Safe as the store reads it: members, threshold, nonce, and whether a
SafeTx ran (SafeL2's ExecutionSuccess / ExecutionFailure, indexed by safeTxHash).
Views only: the backend holds no key of the committee's."""

from __future__ import annotations

from eth_utils import keccak, to_checksum_address
from web3 import HTTPProvider, Web3

from backend.chain.safe import load_artifact

SUCCESS = "0x" + keccak(text="ExecutionSuccess(bytes32,uint256)").hex()
FAILURE = "0x" + keccak(text="ExecutionFailure(bytes32,uint256)").hex()


class ChainUnavailable(RuntimeError):
    """The node does not answer, or the Safe is not there (503)."""


class SafeReader:
    def __init__(self, rpc_url: str, *, timeout_s: float = 10.0):
        self.w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_s}))
        self.abi = [item for item in load_artifact("SafeL2")["abi"] if item.get("type") == "function"]

    def _safe(self, safe: str):
        return self.w3.eth.contract(address=to_checksum_address(safe), abi=self.abi)

    def _ask(self, fn):
        try:
            return fn()
        except Exception as exc:  # connection refused, timeout, no code at the address
            raise ChainUnavailable(f"the node cannot read the committee's Safe: {type(exc).__name__}: {exc}") \
                from None

    def state(self, safe: str) -> tuple[list[str], int, int]:
        """(members, threshold, nonce) of the Safe now."""
        contract = self._safe(safe)
        owners = self._ask(lambda: contract.functions.getOwners().call())
        threshold = self._ask(lambda: contract.functions.getThreshold().call())
        nonce = self._ask(lambda: contract.functions.nonce().call())
        return [to_checksum_address(o) for o in owners], int(threshold), int(nonce)

    def outcome(self, safe: str, safe_tx_hash: str, from_block: int) -> tuple[str, str] | None:
        """("executed" or "failed", the transaction's hash), from the Safe's own events; None
        when the Safe emitted neither for this safeTxHash (another SafeTx took its nonce)."""
        logs = self._ask(lambda: self.w3.eth.get_logs({
            "address": to_checksum_address(safe), "fromBlock": max(from_block, 0), "toBlock": "latest",
            "topics": [[SUCCESS, FAILURE], safe_tx_hash]}))
        for log in logs:
            topic = "0x" + bytes(log["topics"][0]).hex()
            return ("executed" if topic == SUCCESS else "failed", "0x" + bytes(log["transactionHash"]).hex())
        return None
