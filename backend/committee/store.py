# SPDX-License-Identifier: AGPL-3.0-only
"""Proposed SafeTx of the committee's Safe and their members' signatures, kept until the
Safe runs them: our own small version of Safe's transaction service.

Every signature is checked off chain before it is kept: recovered from the EIP-712
SafeTx hash computed here for the community's Safe and chain (never a hash the client
sends), it must be the signature of the member it is filed under, and that member must
be an owner of the Safe now (getOwners()). A proposal is refused, each with a 4xx and
the reason, when its nonce is one the Safe already used (409), when it calls anything
but an action the console offers on the community's own contracts (422,
backend/committee/actions.py), when it would pay gas refunds (422), or when the same
SafeTx is proposed again (409); a signature, when it is the member's second (409) or
the proposal is no longer pending (409).

Pending means: the SafeTx's nonce is not below the Safe's. Once the Safe's nonce
passes it, the proposal leaves the pending list for `done`, marked executed (the Safe's
ExecutionSuccess for its hash), failed, or replaced (another SafeTx took the nonce).
A signature kept from a member since removed is listed but does not count.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from eth_utils import to_checksum_address
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from backend.chain.safe import ZERO_ADDRESS, SafeTx, recover_signer
from backend.committee.actions import ActionRefused, Actions
from backend.committee.chain import SafeReader
from backend.db.models.committee import SafeProposal, SafeSignature

PROPOSALS = SafeProposal.__table__
SIGNATURES = SafeSignature.__table__
MAX_NONCE_AHEAD = 20  # proposals queued behind the next one; more is a typo
DONE_LISTED = 10


class NotFound(Exception):
    """No committee Safe in this community, or no such proposal (404)."""


class Refused(Exception):
    """Not kept: `status` 403 (not a member), 409 (nonce used, a duplicate, no longer
    pending), 422 (the SafeTx or the signature)."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def _hex(data: bytes) -> str:
    return "0x" + bytes(data).hex()


class CommitteeStore:
    """One per API process (built on the first committee request)."""

    def __init__(self, engine: Engine, manifest: Mapping[str, Any], chain: SafeReader, *,
                 clock: Callable[[], float] = time.time):
        self.engine = engine
        self.chain = chain
        self.clock = clock
        self.community = manifest["community"].lower()
        self.chain_id = int(manifest["chain_id"])
        self.deploy_block = int(manifest.get("deploy_block", 0))
        contracts = manifest["contracts"]
        safe = contracts.get("CommitteeSafe")
        self.safe = to_checksum_address(safe["address"]) if safe else None
        multi_send = contracts.get("MultiSendCallOnly", {}).get("address")
        self.actions = Actions(contracts, multi_send)
        self.registry = contracts.get("HouseholdRegistry")

    # ------------------------------------------------------------ helpers

    def _check_community(self, community: str) -> str:
        if community.lower() != self.community or self.safe is None:
            raise NotFound(f"community {community.lower()} has no committee Safe served here")
        return self.safe

    def _tx(self, row: Mapping[str, Any]) -> SafeTx:
        return SafeTx(safe=row["safe"], chain_id=row["chain_id"], to=row["to"], data=bytes.fromhex(row["data"][2:]),
                      nonce=row["nonce"], value=int(row["value"]), operation=row["operation"],
                      safe_tx_gas=int(row["safe_tx_gas"]), base_gas=int(row["base_gas"]),
                      gas_price=int(row["gas_price"]), gas_token=row["gas_token"],
                      refund_receiver=row["refund_receiver"])

    def _signer(self, tx: SafeTx, signer: str, signature: bytes, owners: list[str]) -> str:
        """The member `signer`, after checking `signature` is theirs for `tx` and they are an owner."""
        if len(signature) != 65 or signature[64] not in (27, 28):
            raise Refused("a member's signature is 65 bytes (r, s, v) with v 27 or 28: sign the SafeTx's EIP-712 "
                          "typed data (eth_signTypedData_v4)")
        try:
            recovered = recover_signer(tx, signature)
        except Exception as exc:  # SafeError, or eth_keys' BadSignature for bytes on no curve point
            raise Refused(f"the signature cannot be read: {type(exc).__name__}: {exc}") from None
        claimed = to_checksum_address(signer)
        if recovered != claimed:
            raise Refused(f"the signature is not {claimed}'s of this SafeTx (Safe {tx.safe}, chain {tx.chain_id}, "
                          f"nonce {tx.nonce}, safeTxHash {_hex(tx.hash)})")
        if claimed not in owners:
            raise Refused(f"{claimed} is not a member (owner) of the committee's Safe {tx.safe}", 403)
        return claimed

    # ------------------------------------------------------------ writes

    def propose(self, community: str, fields: Mapping[str, Any], signer: str, signature: bytes) -> dict[str, Any]:
        """Keep a proposed SafeTx with its proposer's signature; the proposal as listed."""
        safe = self._check_community(community)
        if fields.get("safe") is not None and to_checksum_address(fields["safe"]) != safe:
            raise Refused(f"this SafeTx is for the Safe {to_checksum_address(fields['safe'])}; the committee's is {safe}")
        if fields.get("chainId") is not None and int(fields["chainId"]) != self.chain_id:
            raise Refused(f"this SafeTx is for chain {fields['chainId']}; the committee's Safe is on {self.chain_id}")
        tx = SafeTx(safe=safe, chain_id=self.chain_id, to=to_checksum_address(fields["to"]),
                    data=bytes.fromhex(fields["data"].removeprefix("0x")), nonce=int(fields["nonce"]),
                    value=int(fields["value"]), operation=int(fields["operation"]),
                    safe_tx_gas=int(fields["safeTxGas"]), base_gas=int(fields["baseGas"]),
                    gas_price=int(fields["gasPrice"]), gas_token=to_checksum_address(fields["gasToken"]),
                    refund_receiver=to_checksum_address(fields["refundReceiver"]))
        if tx.gas_price != 0 or tx.gas_token != ZERO_ADDRESS or tx.refund_receiver != ZERO_ADDRESS:
            raise Refused("the console's SafeTx pay no gas refunds: gasPrice 0, gasToken and refundReceiver the "
                          "zero address")
        try:
            action = self.actions.decode(tx.to, tx.data, tx.value, tx.operation)
        except ActionRefused as exc:
            raise Refused(str(exc)) from None
        owners, _threshold, nonce = self.chain.state(safe)
        if tx.nonce < nonce:
            raise Refused(f"nonce {tx.nonce} is used: the Safe is at nonce {nonce}", 409)
        if tx.nonce > nonce + MAX_NONCE_AHEAD:
            raise Refused(f"nonce {tx.nonce} is more than {MAX_NONCE_AHEAD} ahead of the Safe's ({nonce})")
        member = self._signer(tx, signer, signature, owners)
        labels = {u["label"] for call in action["calls"] if call["function"] == "register_units"
                  for u in call["args"][0]["value"]}
        clash = self._pending_labels(safe, labels, except_nonce=tx.nonce) if labels else {}
        if clash:
            raise Refused(self._pending_words(clash), 409)
        now = int(self.clock())
        safe_tx_hash = _hex(tx.hash)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(PROPOSALS).values(
                    safe_tx_hash=safe_tx_hash, community=self.community, safe=safe.lower(), chain_id=self.chain_id,
                    to=tx.to.lower(), value=str(tx.value), data=_hex(tx.data), operation=tx.operation,
                    safe_tx_gas=str(tx.safe_tx_gas), base_gas=str(tx.base_gas), gas_price=str(tx.gas_price),
                    gas_token=tx.gas_token.lower(), refund_receiver=tx.refund_receiver.lower(), nonce=tx.nonce,
                    proposer=member.lower(), proposed_at=now))
                conn.execute(insert(SIGNATURES).values(safe_tx_hash=safe_tx_hash, signer=member.lower(),
                                                       signature=_hex(signature), signed_at=now))
        except IntegrityError:
            raise Refused(f"this SafeTx ({safe_tx_hash}) is already proposed: sign it instead", 409) from None
        return self.proposal(community, safe_tx_hash)

    def sign(self, community: str, safe_tx_hash: str, signer: str, signature: bytes) -> dict[str, Any]:
        """Keep another member's signature of a pending proposal; the proposal as listed."""
        self._check_community(community)
        row = self._row(safe_tx_hash)
        tx = self._tx(row)
        owners, _threshold, nonce = self.chain.state(tx.safe)
        if tx.nonce < nonce:
            raise Refused(f"this SafeTx is no longer pending: the Safe is at nonce {nonce}, past its {tx.nonce}", 409)
        member = self._signer(tx, signer, signature, owners)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(SIGNATURES).values(safe_tx_hash=row["safe_tx_hash"], signer=member.lower(),
                                                       signature=_hex(signature), signed_at=int(self.clock())))
        except IntegrityError:
            raise Refused(f"{member} already signed this SafeTx", 409) from None
        return self.proposal(community, row["safe_tx_hash"])

    # ------------------------------------------------------------ reads

    def check_units(self, community: str, text: str) -> dict[str, Any]:
        """A units CSV checked as the CLI checks it (backend/committee/units.py): its
        batches, or UnitsRefused (422) with every bad line. Nothing is kept."""
        from backend.committee.units import RegistryViews, check_units

        safe = self._check_community(community)
        if self.registry is None:
            raise NotFound("this community's manifest names no HouseholdRegistry")
        plan = check_units(text, RegistryViews(self.chain.w3, self.registry["address"], self.registry["abi"]))
        # The same file uploaded again while its batches wait for signatures would be
        # proposed again at new nonces (the chain refuses the second registration only
        # when it runs, after the members signed both): refused while they are pending.
        labels = {u["label"] for batch in plan["batches"] for u in batch["units"]}
        clash = self._pending_labels(safe, labels)
        if clash:
            raise Refused(self._pending_words(clash), 409)
        return plan

    def _pending_labels(self, safe: str, labels: set[str], except_nonce: int | None = None) -> dict[int, list[str]]:
        """Pending SafeTx (by nonce) registering any of `labels`, with the labels they register."""
        _owners, _threshold, nonce = self.chain.state(safe)
        with self.engine.connect() as conn:
            rows = conn.execute(select(PROPOSALS).where(
                PROPOSALS.c.community == self.community, PROPOSALS.c.safe == safe.lower(),
                PROPOSALS.c.nonce >= nonce)).mappings().all()
        found: dict[int, list[str]] = {}
        for row in rows:
            if row["nonce"] == except_nonce:
                continue
            tx = self._tx(row)
            try:
                action = self.actions.decode(tx.to, tx.data, tx.value, tx.operation)
            except ActionRefused:
                continue
            for call in action["calls"]:
                if call["function"] != "register_units":
                    continue
                hit = [u["label"] for u in call["args"][0]["value"] if u["label"] in labels]
                if hit:
                    found.setdefault(row["nonce"], []).extend(h for h in hit if h not in found.get(row["nonce"], []))
        return dict(sorted(found.items()))

    @staticmethod
    def _pending_words(clash: dict[int, list[str]]) -> str:
        labels = sorted({label for hit in clash.values() for label in hit})
        shown = ", ".join(labels[:5]) + (f" and {len(labels) - 5} more" if len(labels) > 5 else "")
        nonces = ", ".join(str(n) for n in clash)
        return (f"units {shown} are already proposed by the committee's pending SafeTx at nonce(s) {nonces}: sign "
                f"and execute those (or replace them at the same nonce); nothing proposed")

    def _row(self, safe_tx_hash: str) -> Mapping[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(PROPOSALS).where(PROPOSALS.c.safe_tx_hash == safe_tx_hash.lower(),
                                                       PROPOSALS.c.community == self.community)).mappings().first()
        if row is None:
            raise NotFound(f"no proposal {safe_tx_hash.lower()} for this committee")
        return row

    def _out(self, row: Mapping[str, Any], signatures: list[Mapping[str, Any]], owners: list[str], threshold: int,
             nonce: int) -> dict[str, Any]:
        tx = self._tx(row)
        try:
            action = self.actions.decode(tx.to, tx.data, tx.value, tx.operation)
        except ActionRefused as exc:  # the manifest changed since: shown as not offered
            action = {"batch": False, "calls": [], "refused": str(exc)}
        signed = [{"signer": to_checksum_address(s["signer"]), "signature": s["signature"],
                   "signed_at": s["signed_at"], "counts": to_checksum_address(s["signer"]) in owners}
                  for s in sorted(signatures, key=lambda s: s["signed_at"])]
        confirmations = sum(1 for s in signed if s["counts"])
        return {**tx.to_json(), "proposer": to_checksum_address(row["proposer"]), "proposed_at": row["proposed_at"],
                "action": action, "signatures": signed, "confirmations": confirmations, "threshold": threshold,
                "executable": confirmations >= threshold and tx.nonce == nonce}

    def _signatures(self, conn, hashes: list[str]) -> dict[str, list]:
        found: dict[str, list] = {h: [] for h in hashes}
        if hashes:
            for s in conn.execute(select(SIGNATURES).where(SIGNATURES.c.safe_tx_hash.in_(hashes))).mappings():
                found[s["safe_tx_hash"]].append(s)
        return found

    def proposal(self, community: str, safe_tx_hash: str) -> dict[str, Any]:
        safe = self._check_community(community)
        row = self._row(safe_tx_hash)
        owners, threshold, nonce = self.chain.state(safe)
        with self.engine.connect() as conn:
            signatures = self._signatures(conn, [row["safe_tx_hash"]])[row["safe_tx_hash"]]
        return self._out(row, signatures, owners, threshold, nonce)

    def overview(self, community: str) -> dict[str, Any]:
        """The Safe (members, threshold, nonce), its pending proposals (lowest nonce first)
        and the last proposals it passed with what became of them."""
        safe = self._check_community(community)
        owners, threshold, nonce = self.chain.state(safe)
        with self.engine.connect() as conn:
            base = select(PROPOSALS).where(PROPOSALS.c.community == self.community, PROPOSALS.c.safe == safe.lower())
            pending = conn.execute(base.where(PROPOSALS.c.nonce >= nonce).order_by(
                PROPOSALS.c.nonce, PROPOSALS.c.proposed_at, PROPOSALS.c.safe_tx_hash)).mappings().all()
            done = conn.execute(base.where(PROPOSALS.c.nonce < nonce).order_by(
                PROPOSALS.c.nonce.desc(), PROPOSALS.c.proposed_at.desc()).limit(DONE_LISTED)).mappings().all()
            signatures = self._signatures(conn, [r["safe_tx_hash"] for r in [*pending, *done]])
        finished = []
        for row in done:
            item = self._out(row, signatures[row["safe_tx_hash"]], owners, threshold, nonce)
            outcome = self.chain.outcome(safe, row["safe_tx_hash"], self.deploy_block)
            item["executable"] = False
            item["status"], item["tx_hash"] = outcome if outcome else ("replaced", None)
            finished.append(item)
        return {"safe": safe, "chain_id": self.chain_id, "owners": owners, "threshold": threshold, "nonce": nonce,
                "multi_send": self.actions.multi_send and to_checksum_address(self.actions.multi_send),
                "pending": [self._out(r, signatures[r["safe_tx_hash"]], owners, threshold, nonce) for r in pending],
                "done": finished}
