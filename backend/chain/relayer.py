"""The vote relayer: checks a resident's signed ballot against the chain, then pays the
gas of `OwnersAssembly.castVoteBySig` with the relayer's own key.

Every check reads the chain, not the index, so a ballot is judged on the state it will
meet: the EIP-712 domain comes from the contract (`eip712Domain()`, ERC-5267), the
proposal must be active, the voter's identity must have no ballot of its own (a
delegate's it may replace) and must have area at the proposal's snapshot. A last `eth_estimateGas` of the very call catches what
changed in between. Refusals raise `BallotRefused` with a stable code the page
translates; node trouble raises `RelayerUnavailable`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_abi import decode, encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from backend.indexer.rpc import RpcClient, RpcError, RpcUnavailable
from backend.relayer.budget import Spending

STATE_NAMES = ("pending", "active", "canceled", "defeated", "succeeded", "queued", "expired", "executed",
               "announced", "gathering")
STATE_ACTIVE = 1
CHANNEL_DELEGATE = 1  # OwnersAssembly.ballot_of: (support + 1) | channel << 2
BALLOT_TYPES = {
    "Ballot": [
        {"name": "proposalId", "type": "uint256"},
        {"name": "support", "type": "uint8"},
        {"name": "voter", "type": "address"},
    ]
}
# Reverts of castVoteBySig that a relayed ballot can still meet after the checks (a
# race with another ballot or the end of voting), as the page's refusal codes.
REVERT_CODES = {
    "assembly: already voted": ("already_voted", 409),
    "assembly: voting closed": ("proposal_closed", 409),
    "assembly: voting not started": ("proposal_closed", 409),
    "assembly: proposal canceled": ("proposal_closed", 409),
    "assembly: proposal lacks co-signers": ("proposal_closed", 409),
    "assembly: unknown proposal": ("unknown_proposal", 404),
    "assembly: invalid signature": ("bad_signature", 400),
    "assembly: invalid vote type": ("bad_support", 400),
    "assembly: not an owner wallet": ("no_weight", 403),
    "assembly: no vote at the snapshot": ("no_weight", 403),
}
GAS_HEADROOM = 1.25  # estimate × headroom, so a slightly different path still fits


class BallotRefused(Exception):
    """The ballot cannot be counted; `code` is stable, `status` the HTTP status."""

    def __init__(self, code: str, status: int, message: str, reason: str | None = None,
                 retry_after: str | None = None):
        super().__init__(message)
        self.code, self.status, self.message, self.reason = code, status, message, reason
        self.retry_after = retry_after  # seconds, for a 429


class RelayerUnavailable(Exception):
    """The node does not answer or the relayer cannot pay: try again later."""


def _selector(signature: str) -> bytes:
    return function_signature_to_4byte_selector(signature)


def _call_data(signature: str, types: list[str], args: list[Any]) -> str:
    return "0x" + (_selector(signature) + encode(types, args)).hex()


def _revert_reason(error: RpcError) -> str | None:
    """The namespaced reason in a node's revert message ("execution reverted: fees: …")."""
    text = str(error)
    marker = "execution reverted: "
    if marker in text:
        return text.split(marker, 1)[1].strip().rstrip(".")
    return None


def normalize_signature(signature: bytes) -> bytes:
    """65 bytes r‖s‖v (v 27/28); an EIP-2098 64-byte r‖vs is expanded as the contract does."""
    if len(signature) == 64:
        r, vs = signature[:32], int.from_bytes(signature[32:], "big")
        s = vs & ((1 << 255) - 1)
        return r + s.to_bytes(32, "big") + bytes([27 + (vs >> 255)])
    if len(signature) == 65:
        v = signature[64]
        return signature[:64] + bytes([v + 27 if v < 27 else v])
    raise BallotRefused("bad_signature", 400, "a signature has 65 bytes (or 64, EIP-2098)")


@dataclass
class Domain:
    name: str
    version: str
    chain_id: int
    verifying_contract: str


@dataclass
class RelayedBallot:
    tx_hash: str
    status: str  # "confirmed" or "pending" (no receipt within the timeout)
    block_number: int | None
    area: int


class BallotRelayer:
    """Verifies and relays signed ballots for one chain with one key (thread-safe)."""

    def __init__(self, rpc: RpcClient, private_key: str, *, receipt_timeout_s: float = 30.0,
                 poll_s: float = 0.1, priority_fee_wei: int | None = None):
        self.rpc = rpc
        # None: the node's suggestion; 0 on a chain that charges nothing (the fee is then
        # the base fee alone: nothing where the base fee is 0).
        self.priority_fee_wei = priority_fee_wei
        self.account = Account.from_key(private_key)
        self.receipt_timeout_s = receipt_timeout_s
        self.poll_s = poll_s
        # One sender key: nonces are taken and used under this lock.
        self._send_lock = threading.Lock()
        # (assembly, proposal, voter) being relayed now, so a double click is a 409, not a wasted tx.
        self._in_flight: set[tuple[str, int, str]] = set()
        self._in_flight_lock = threading.Lock()
        self._domains: dict[str, Domain] = {}

    @property
    def address(self) -> str:
        return self.account.address

    # ------------------------------------------------------------------ chain reads

    def _call(self, to: str, data: str, sender: str | None = None) -> bytes:
        request = {"to": to, "data": data}
        if sender:
            request["from"] = sender
        try:
            return bytes.fromhex(self.rpc.call("eth_call", [request, "latest"])[2:])
        except RpcUnavailable as exc:
            raise RelayerUnavailable(f"the chain's node does not answer: {exc}") from exc

    def domain(self, assembly: str) -> Domain:
        """The assembly's EIP-712 domain as the contract reports it (cached: it is immutable)."""
        found = self._domains.get(assembly)
        if found is None:
            raw = self._call(assembly, _call_data("eip712Domain()", [], []))
            _, name, version, chain_id, verifying, _, _ = decode(
                ["bytes1", "string", "string", "uint256", "address", "bytes32", "uint256[]"], raw)
            found = Domain(name, version, chain_id, to_checksum_address(verifying))
            self._domains[assembly] = found
        return found

    def recover(self, assembly: str, proposal_id: int, support: int, voter: str, signature: bytes) -> str:
        """The address that signed Ballot(proposalId, support, voter) in the assembly's domain."""
        domain = self.domain(assembly)
        message = {
            "domain": {"name": domain.name, "version": domain.version, "chainId": domain.chain_id,
                       "verifyingContract": domain.verifying_contract},
            "types": BALLOT_TYPES,
            "primaryType": "Ballot",
            "message": {"proposalId": proposal_id, "support": support, "voter": voter},
        }
        try:
            return Account.recover_message(encode_typed_data(full_message=message),
                                           signature=normalize_signature(signature))
        except BallotRefused:
            raise
        except Exception as exc:  # malformed r/s/v: not a signature of anything
            raise BallotRefused("bad_signature", 400, f"the signature is not valid: {exc}") from exc

    def _state(self, assembly: str, proposal_id: int) -> int:
        try:
            raw = self._call(assembly, _call_data("state(uint256)", ["uint256"], [proposal_id]))
        except RpcError as exc:
            if _revert_reason(exc) == "assembly: unknown proposal":
                raise BallotRefused("unknown_proposal", 404, f"proposal {proposal_id} does not exist",
                                    "assembly: unknown proposal") from exc
            raise
        return decode(["uint8"], raw)[0]

    def _weight(self, assembly: str, registry: str, proposal_id: int, voter: str) -> tuple[int, int]:
        snapshot = decode(["uint256"], self._call(
            assembly, _call_data("proposalSnapshot(uint256)", ["uint256"], [proposal_id])))[0]
        try:
            raw = self._call(registry, _call_data("voting_weight(address,uint256)", ["address", "uint256"],
                                                  [voter, snapshot]))
        except RpcError as exc:
            reason = _revert_reason(exc)
            if reason == "registry: not an owner wallet":
                raise BallotRefused("no_weight", 403, f"{voter} is not an owner's wallet: it has no vote",
                                    reason) from exc
            if reason == "registry: recovery pending":
                raise BallotRefused("recovery_pending", 403,
                                    f"a recovery of {voter}'s identity is pending: the wallet has no vote until it ends",
                                    reason) from exc
            if reason == "registry: wallet bound after the snapshot":
                raise BallotRefused("bound_after_snapshot", 403,
                                    f"{voter} became the owner's wallet after proposal {proposal_id} was made: "
                                    "it has no vote on it", reason) from exc
            raise
        return decode(["uint256", "uint256"], raw)

    # ------------------------------------------------------------------ the relay

    def check(self, assembly: str, registry: str, proposal_id: int, support: int, voter: str,
              signature: bytes) -> int:
        """Every check before sending; returns the area the ballot will count."""
        signer = self.recover(assembly, proposal_id, support, voter, signature)
        if signer.lower() != voter.lower():
            raise BallotRefused("bad_signature", 400,
                                f"the signature was made by {signer}, not by the voter {voter}",
                                "assembly: invalid signature")
        state = self._state(assembly, proposal_id)
        if state != STATE_ACTIVE:
            name = STATE_NAMES[state] if state < len(STATE_NAMES) else str(state)
            raise BallotRefused("proposal_closed", 409, f"proposal {proposal_id} is not open for voting ({name})",
                                "assembly: voting closed" if state not in (0, 9) else "assembly: voting not started")
        identity, area = self._weight(assembly, registry, proposal_id, voter)
        # The contract's rule: a signed ballot (no nonce) replaces only a delegate's ballot.
        standing = decode(["uint256"], self._call(
            assembly, _call_data("ballot_of(uint256,uint256)", ["uint256", "uint256"], [proposal_id, identity])))[0]
        if standing and standing >> 2 != CHANNEL_DELEGATE:
            raise BallotRefused("already_voted", 409, f"{voter} has already voted on proposal {proposal_id}",
                                "assembly: already voted")
        if area == 0:
            raise BallotRefused("no_weight", 403, f"{voter} owned no area at the proposal's snapshot",
                                "assembly: no vote at the snapshot")
        return area

    def relay(self, assembly: str, registry: str, proposal_id: int, support: int, voter: str,
              signature: bytes, admit: Callable[[str], None] | None = None,
              spending: Spending | None = None) -> RelayedBallot:
        """Check, send castVoteBySig and wait for its receipt (up to the timeout).

        `admit(voter)` runs once every check has passed, just before sending: the place for
        a limit per voter, which only a ballot the voter really signed may count (raise
        BallotRefused there to refuse it). `spending` is the community's daily budget
        (backend/relayer/budget.py): reserved before signing, settled with the receipt."""
        voter = to_checksum_address(voter)
        key = (assembly.lower(), proposal_id, voter.lower())
        with self._in_flight_lock:
            if key in self._in_flight:
                raise BallotRefused("already_voted", 409, "this ballot is being relayed already",
                                    "assembly: already voted")
            self._in_flight.add(key)
        try:
            area = self.check(assembly, registry, proposal_id, support, voter, signature)
            if admit is not None:
                admit(voter)
            data = _call_data("castVoteBySig(uint256,uint8,address,bytes)", ["uint256", "uint8", "address", "bytes"],
                              [proposal_id, support, voter, signature])
            tx_hash = self._send(assembly, data, spending)
            return self._wait(tx_hash, area, spending)
        finally:
            with self._in_flight_lock:
                self._in_flight.discard(key)

    def send(self, to: str, data: str, spending: Spending | None = None) -> str:
        """Send `data` to `to` with the relayer's key, gas from the estimate (shared with the
        passkey relayer: one key, one nonce lock, one budget)."""
        return self._send(to, data, spending)

    def _send(self, to: str, data: str, spending: Spending | None = None) -> str:
        request = {"from": self.address, "to": to, "data": data}
        try:
            gas = int(self.rpc.call("eth_estimateGas", [request]), 16)
        except RpcError as exc:
            reason = _revert_reason(exc)
            if reason in REVERT_CODES:
                code, status = REVERT_CODES[reason]
                raise BallotRefused(code, status, f"the contract refuses the ballot: {reason}", reason) from exc
            if "insufficient funds" in str(exc).lower():
                raise RelayerUnavailable("the relayer has no gas money left; tell the committee") from exc
            raise BallotRefused("refused", 400, f"the contract refuses the ballot: {reason or exc}", reason) from exc
        except RpcUnavailable as exc:
            raise RelayerUnavailable(f"the chain's node does not answer: {exc}") from exc
        with self._send_lock:
            try:
                chain_id, nonce, block = self.rpc.batch([
                    ("eth_chainId", []), ("eth_getTransactionCount", [self.address, "pending"]),
                    ("eth_getBlockByNumber", ["latest", False])])
                tx: dict[str, Any] = {"to": to_checksum_address(to), "data": data, "value": 0,
                                      "gas": int(gas * GAS_HEADROOM), "nonce": int(nonce, 16),
                                      "chainId": int(chain_id, 16)}
                base_fee = block.get("baseFeePerGas")
                if base_fee is not None:
                    tip = self.priority_fee_wei
                    if tip is None:
                        tip = int(self.rpc.call("eth_maxPriorityFeePerGas", []), 16)
                    tx.update(maxPriorityFeePerGas=tip, maxFeePerGas=2 * int(base_fee, 16) + tip)
                elif self.priority_fee_wei is not None:
                    tx["gasPrice"] = self.priority_fee_wei
                else:
                    tx["gasPrice"] = int(self.rpc.call("eth_gasPrice", []), 16)
                if spending is not None:
                    # Under the send lock: what is reserved here is what the next request sees.
                    spending.reserve(tx["gas"], tx.get("maxFeePerGas", tx.get("gasPrice", 0)))
                try:
                    signed = self.account.sign_transaction(tx)
                    tx_hash = self.rpc.call("eth_sendRawTransaction", ["0x" + bytes(signed.raw_transaction).hex()])
                except BaseException:
                    if spending is not None:
                        spending.release()  # nothing was sent: the reservation goes back
                    raise
                if spending is not None:
                    spending.sent(tx_hash)
                return tx_hash
            except RpcUnavailable as exc:
                raise RelayerUnavailable(f"the chain's node does not answer: {exc}") from exc
            except RpcError as exc:
                if "insufficient funds" in str(exc).lower():
                    raise RelayerUnavailable("the relayer has no gas money left; tell the committee") from exc
                raise RelayerUnavailable(f"the node did not take the transaction: {exc}") from exc

    def wait_receipt(self, tx_hash: str, spending: Spending | None = None) -> dict | None:
        """The transaction's receipt, or None when it did not come within the timeout; either
        way what it cost goes to the budget (a reverted transaction's gas too)."""
        deadline = time.monotonic() + self.receipt_timeout_s
        receipt = None
        try:
            while True:
                try:
                    receipt = self.rpc.call("eth_getTransactionReceipt", [tx_hash])
                except RpcUnavailable:
                    receipt = None
                if receipt is not None or time.monotonic() >= deadline:
                    return receipt
                time.sleep(self.poll_s)
        finally:
            if spending is not None:
                spending.settle(receipt)

    def _wait(self, tx_hash: str, area: int, spending: Spending | None = None) -> RelayedBallot:
        receipt = self.wait_receipt(tx_hash, spending)
        if receipt is None:
            return RelayedBallot(tx_hash, "pending", None, area)
        if int(receipt["status"], 16) != 1:
            raise BallotRefused("reverted", 409,
                                f"the ballot's transaction {tx_hash} failed on chain (another ballot or "
                                "the end of voting came first)")
        return RelayedBallot(tx_hash, "confirmed", int(receipt["blockNumber"], 16), area)
