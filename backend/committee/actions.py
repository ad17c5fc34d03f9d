# SPDX-License-Identifier: AGPL-3.0-only
"""What the committee's console offers, and a SafeTx's call read back as that action.

The console proposes only calls on this list, to the community's own contracts (the
deployment manifest's addresses), one at a time or as a batch through Safe's
MultiSendCallOnly (what `ape run committee budget` sends). Anything else a member
proposes through the backend is refused, with the reason; a member still can sign
anything with Safe's own tools, but not through our store.

Each action is shown decoded from the manifest's ABIs (contract, function, named
arguments), never as raw calldata only. Some offered functions take an argument that
decides whose power they use; for those, RULES narrows the arguments to the committee's
own (backend/chain/constitution.py): roles only the cashier, merchant and provider roles
(the assembly grants the others), points only as a grant (reason 1, within the yearly
allowance the contract counts), units only as a batch the contract takes (1 to 60, each
with a label, an area, an owner and a commitment, no label twice, no unit for the Safe).
A refused sibling (the committee role, another reason) is
refused here with the reason, not merely left to the contract to revert.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from backend.chain.constitution import POWERS
from backend.chain.deployment import role_id
from backend.chain.proposal_actions import proposal_refusal
from backend.chain.safe import CALL, DELEGATECALL, SafeError, decode_multisend
from backend.chain.units_csv import MAX_AREA_CENTI, MAX_LABEL_BYTES, UNITS_PER_TX

# (contract, function) the committee's console offers, each a function the constitution
# gives the committee (backend/chain/constitution.py, callers include "committee").
OFFERED = (
    ("CommunityTreasury", "allocate_budget"),  # divide the assembly's annual budget among categories
    ("CommunityTreasury", "pay_emergency_repair"),  # an expense: an emergency repair with its document's hash
    ("HouseholdRegistry", "register_units"),  # a batch of a units CSV checked as the CLI checks it (RULES)
    ("HouseholdRegistry", "grantRole"),  # cashier, merchant, provider only (RULES)
    ("HouseholdRegistry", "revokeRole"),  # the same three
    ("CommunityPoints", "mint"),  # a grant (reason 1) within the yearly allowance (RULES)
    ("CommunityActivities", "approve_activity"),  # a resident's proposed activity opens for sign-up
    ("CommunityActivities", "cancel_activity"),  # with the hash of the written reason
    ("CultureWorks", "hide_work"),  # a work that breaks the rules, with the hash of the written reason
    ("CultureWorks", "unhide_work"),
    ("CultureWorks", "create_exhibition"),
    ("CultureWorks", "add_to_exhibition"),
    ("CultureWorks", "remove_from_exhibition"),
    ("ServiceMarket", "resolve"),  # a disputed job: the provider's share of the escrow, the decision's hash
    ("OwnersAssembly", "propose"),  # a proposal composed from typed actions (RULES: backend/chain/proposal_actions.py)
    ("NoticeBoard", "publish_notice"),  # a proposal's notice, batched with its proposal by the composer (RULES)
)
ZERO_ADDRESS = "0x" + "00" * 20
# The roles the committee administers (the registry's role admin is COMMITTEE_ROLE), as
# the constitution lists them: grantRole/revokeRole with arg_role and the committee as caller.
COMMITTEE_ROLES = {role_id(power.arg_role): power.arg_role for power in POWERS
                   if power.contract == "HouseholdRegistry" and power.name == "grantRole" and power.callers == ("committee",)}
ROLE_LABELS = {role_id(name): name for name in ("assembly", "committee", "manager", "cashier", "merchant", "provider",
                                                   "auditor")}
REASON_COMMITTEE_GRANT = 1  # CommunityPoints.REASON_COMMITTEE_GRANT


def _role_rule(args: Mapping[str, Any], safe: str | None) -> str | None:
    role = bytes(args["role"])
    if role not in COMMITTEE_ROLES:
        name = ROLE_LABELS.get(role, "0x" + role.hex())
        return (f"the {name} role is not one the committee may grant or revoke (only "
                f"{', '.join(sorted(COMMITTEE_ROLES.values()))}; the assembly decides the others)")
    if args["account"] == ZERO_ADDRESS:
        return "a role for the zero address"
    if safe is not None and args["account"] == safe:
        return "the committee's own Safe holds no paid role (the registry refuses it too)"
    return None


def _mint_rule(args: Mapping[str, Any], safe: str | None) -> str | None:
    if int(args["reason"]) != REASON_COMMITTEE_GRANT:
        return (f"points reason {args['reason']} is not the committee's: the console grants points only with "
                f"reason {REASON_COMMITTEE_GRANT} (a committee grant within the yearly allowance)")
    if args["to"] == ZERO_ADDRESS:
        return "points for the zero address"
    if int(args["amount"]) == 0:
        return "a grant of zero points"
    return None


def _units_rule(args: Mapping[str, Any], safe: str | None) -> str | None:
    """A register_units batch as the CLI's check leaves it (backend/chain/units_csv.py):
    what the registry would refuse for one unit is refused here for the batch, by unit."""
    units = args["units"]
    if not 1 <= len(units) <= UNITS_PER_TX:
        return f"a batch registers 1 to {UNITS_PER_TX} units (the registry's limit), not {len(units)}"
    seen: dict[str, int] = {}
    for number, (label, area, owner, commitment) in enumerate(units, start=1):
        where = f"unit {number} of the batch"
        if not label or len(label.encode()) > MAX_LABEL_BYTES:
            return f"{where}: a label of 1 to {MAX_LABEL_BYTES} bytes"
        if label in seen:
            return f"{where}: label {label!r} is also unit {seen[label]}"
        seen[label] = number
        if not 0 < int(area) <= MAX_AREA_CENTI:
            return f"{where}: the area must be above 0 and at most {MAX_AREA_CENTI} (0.01 m²)"
        if owner.lower() == ZERO_ADDRESS:
            return f"{where}: the owner is the zero address"
        if safe is not None and owner.lower() == safe:
            return f"{where}: the committee's own Safe owns no unit"
        if bytes(commitment) == bytes(32):
            return f"{where}: the identity commitment is empty"
    return None


def _notice_rule(args: Mapping[str, Any], safe: str | None) -> str | None:
    """Only a proposal's notice to the owners (the composer batches it with its proposal);
    the board's other notices stay outside the console."""
    if int(args["kind"]) != 1 or int(args["audience"]) != 3 or int(args["proposal_id"]) == 0:
        return "the console publishes only a proposal's notice to the owners (kind 1, audience 3, its proposal)"
    return None


# Checks on the decoded arguments (by name, addresses lower-case); a text is the refusal.
RULES = {
    ("HouseholdRegistry", "register_units"): _units_rule,
    ("HouseholdRegistry", "grantRole"): _role_rule,
    ("HouseholdRegistry", "revokeRole"): _role_rule,
    ("CommunityPoints", "mint"): _mint_rule,
    ("OwnersAssembly", "propose"): lambda args, safe: proposal_refusal(args),
    ("NoticeBoard", "publish_notice"): _notice_rule,
}
MAX_BATCH = 250  # as LINES_PER_SAFE_TX of the budget command


class ActionRefused(ValueError):
    """The SafeTx is not a call the console offers (422)."""


def _abi_type(item: Mapping[str, Any]) -> str:
    """An input's canonical ABI type: a struct as its components' tuple, `(string,uint256,…)[]`."""
    kind = item["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in item["components"]) + ")" + kind[len("tuple"):]
    return kind


def _selector(entry: Mapping[str, Any]) -> bytes:
    return keccak(text=f"{entry['name']}({','.join(_abi_type(i) for i in entry['inputs'])})")[:4]


def _plain(value: Any, kind: str, components: list | None = None) -> Any:
    """A decoded argument as JSON: integers as decimal text (safe in JavaScript), bytes as
    0x-hex, addresses checksummed, a struct as an object by its fields' names."""
    if kind.startswith("tuple"):
        if kind != "tuple":  # an array of structs
            return [_plain(item, kind[:kind.rindex("[")], components) for item in value]
        return {c["name"]: _plain(v, c["type"], c.get("components")) for c, v in zip(components, value)}
    if kind == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item, kind.removesuffix("[]")) for item in value]
    return value


class Actions:
    """The offered functions of a community's contracts, by address and selector."""

    def __init__(self, contracts: Mapping[str, Mapping[str, Any]], multi_send: str | None):
        self.names = {entry["address"].lower(): name for name, entry in contracts.items()}
        self.multi_send = multi_send.lower() if multi_send else None
        safe = contracts.get("CommitteeSafe")
        self.safe = safe["address"].lower() if safe else None
        self.functions: dict[tuple[str, bytes], tuple[str, dict]] = {}
        for name, function in OFFERED:
            entry = contracts.get(name)
            if entry is None:
                continue
            for item in entry.get("abi", []):
                if item.get("type") == "function" and item.get("name") == function:
                    self.functions[(entry["address"].lower(), _selector(item))] = (name, item)

    def call(self, to: str, data: bytes, value: int = 0) -> dict[str, Any]:
        """One call, decoded: {contract, address, function, args}; ActionRefused when it is
        not an offered function of the community's contracts."""
        address = to.lower()
        if address not in self.names:
            raise ActionRefused(f"{to_checksum_address(to)} is not one of this community's contracts")
        if value:
            raise ActionRefused("the console's actions send no ether (value must be 0)")
        found = self.functions.get((address, bytes(data[:4])))
        if found is None:
            offered = ", ".join(f"{c}.{f}" for c, f in OFFERED)
            raise ActionRefused(f"this call to {self.names[address]} is not an action the console offers "
                                f"(it offers {offered})")
        contract, item = found
        types = [_abi_type(i) for i in item["inputs"]]
        try:
            values = abi_decode(types, bytes(data[4:]), strict=True)
            # Only the canonical encoding: no bytes missing, none extra, what a member reads is all there is.
            canonical = abi_encode(types, values) == bytes(data[4:])
        except Exception as exc:  # eth_abi raises several kinds for malformed data
            raise ActionRefused(f"the arguments of {contract}.{item['name']} cannot be decoded: {exc}") from None
        if not canonical:
            raise ActionRefused(f"the arguments of {contract}.{item['name']} cannot be decoded: not their ABI "
                                "encoding (bytes missing or extra)")
        rule = RULES.get((contract, item["name"]))
        if rule is not None:
            named = {i["name"]: (v.lower() if i["type"] == "address" else v) for i, v in zip(item["inputs"], values)}
            refusal = rule(named, self.safe)
            if refusal:
                raise ActionRefused(f"{contract}.{item['name']} is not offered with these arguments: {refusal}")
        args = []
        for i, v in zip(item["inputs"], values):
            arg = {"name": i["name"], "type": _abi_type(i), "value": _plain(v, i["type"], i.get("components"))}
            if i["type"] == "bytes32" and i["name"] == "role":
                arg["label"] = ROLE_LABELS.get(bytes(v))  # the role's name, for the members' words
            args.append(arg)
        return {"contract": contract, "address": to_checksum_address(to), "function": item["name"], "args": args}

    def decode(self, to: str, data: bytes, value: int, operation: int) -> dict[str, Any]:
        """The action of a SafeTx: {"calls": [call, …], "batch": bool}."""
        if operation == CALL:
            return {"batch": False, "calls": [self.call(to, data, value)]}
        if operation != DELEGATECALL:
            raise ActionRefused(f"unknown operation {operation} (0 call, 1 delegate call)")
        if self.multi_send is None or to.lower() != self.multi_send:
            raise ActionRefused("a delegate call goes only to Safe's MultiSendCallOnly of this community")
        if value:
            raise ActionRefused("the console's actions send no ether (value must be 0)")
        try:
            calls = decode_multisend(data)
        except (SafeError, Exception) as exc:
            raise ActionRefused(f"the batch cannot be read: {exc}") from None
        if not calls or len(calls) > MAX_BATCH:
            raise ActionRefused(f"a batch holds 1 to {MAX_BATCH} calls, not {len(calls)}")
        decoded = [self.call(t, d, v) for t, v, d in calls]
        # Each register_units batch is sized to the transaction gas cap: two in one SafeTx are not.
        units = sum(len(c["args"][0]["value"]) for c in decoded if c["function"] == "register_units")
        if units > UNITS_PER_TX:
            raise ActionRefused(f"a SafeTx registers at most {UNITS_PER_TX} units (the registry's batch, within the "
                                f"16,777,216-gas transaction cap), not {units}: one SafeTx per batch")
        return {"batch": True, "calls": decoded}
