# SPDX-License-Identifier: AGPL-3.0-only
"""An owners' assembly proposal composed from a menu of typed actions, never raw calldata.

Each action (`ACTIONS`) is a form's worth of typed fields (days, basis points, yuan, a
service contract's number, a committee member) and becomes one or two calls of the
community's own contracts: the targets, values and calldatas `OwnersAssembly.propose`
takes. The statute matter (民法典 第二百七十八条) each action falls under is suggested
here; the class of each call (ordinary > 1/2, major ≥ 3/4, forbidden) is never decided
here: `compose` asks the chain (`OwnersAssembly.call_class`, the constitution the contract
itself reads) and the same contract's `Constitution.is_major_matter` for the matter, so the
pages never disagree with the contract.

Used by `POST /communities/{c}/assembly/compose` (the composer page) and usable from a
script: `compose(contracts, request, ChainReader(rpc_url))`.

Checks that need the chain (a member who is not on the committee, a service contract that
does not exist or is approved already) are refused as `ComposeRefused(field, message)`,
which the API answers 422 with the field's place, as FastAPI answers a bad field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, Union

from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from pydantic import BaseModel, ConfigDict, Field, model_validator

DAY = 86400
MAX_CALLS = 8  # OwnersAssembly.MAX_CALLS
ZERO = "0x" + "00" * 20
SENTINEL = "0x" + "00" * 19 + "01"  # Safe's owners list starts (and ends) here
CLASS_NAMES = {1: "ordinary", 2: "major", 3: "forbidden"}
FUNDS = {"fee_income": 0, "public_income": 1}  # CommunityTreasury.FUND_FEE_INCOME / FUND_PUBLIC_INCOME

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="An account, 0x + 40 hex digits")]
Hash = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="A SHA-256 of a document, 0x + 64 hex")]
Yuan = Annotated[str, Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,2})?$", description="Yuan, at most two decimals")]


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def encode_call(signature: str, args: list[Any]) -> bytes:
    types = signature[signature.index("(") + 1:-1]
    return selector(signature) + abi_encode([t for t in _split(types)], args)


def _split(types: str) -> list[str]:
    """Top-level argument types of a signature's parentheses (tuples kept whole)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(types):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            out.append(types[start:i])
            start = i + 1
    if types:
        out.append(types[start:])
    return out


def fen(yuan: str) -> int:
    return int(Decimal(yuan) * 100)


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SetVotingRules(_Action):
    """How long an assembly's notice, vote, objection period and queue window are (a rule of procedure)."""

    action: Literal["set_voting_rules"]
    min_notice_days: int = Field(ge=0, le=365, description="Days between a proposal and the start of its vote")
    min_voting_days: int = Field(ge=1, le=365, description="Shortest voting window, days")
    max_voting_days: int = Field(ge=1, le=365, description="Longest voting window, days")
    objection_days: int = Field(ge=0, le=365, description="Objection period (公示) after the preliminary result, days")
    queue_days: int = Field(ge=1, le=255, description="Days after the objection period to queue a passed proposal")

    @model_validator(mode="after")
    def _order(self):
        if self.max_voting_days < self.min_voting_days:
            raise ValueError("max_voting_days: the longest voting window is shorter than the shortest")
        return self


class SetCosignThreshold(_Action):
    """The share of owners (heads) whose co-signatures send an owners' motion to the vote."""

    action: Literal["set_cosign_threshold"]
    bps: int = Field(ge=1, le=2000, description="Basis points of the heads (1..2,000: at most 1/5)")


class ApproveServiceContract(_Action):
    """Hire the property company on a service contract its manager proposed, with its fee rate."""

    action: Literal["approve_service_contract"]
    contract_id: int = Field(ge=1, le=2**32, description="The proposed service contract's number")


class SetLateFee(_Action):
    action: Literal["set_late_fee"]
    rate_bps: int = Field(ge=0, le=10_000, description="Basis points of a month's dues per month overdue")
    cap_bps: int = Field(ge=0, le=10_000, description="At most this share of a month's dues, basis points")


class SetMaintenanceShare(_Action):
    """Raise (or lower) the share of every fee payment that goes to the maintenance fund."""

    action: Literal["set_maintenance_share"]
    bps: int = Field(ge=0, le=10_000, description="Basis points of each fee payment")


class AddCommitteeMember(_Action):
    """Elect a committee member: a new owner of the committee's Safe (or the committee role)."""

    action: Literal["add_committee_member"]
    member: Address
    threshold: int | None = Field(default=None, ge=1, le=64,
                                  description="The Safe's signatures needed afterwards (a Safe committee)")


class RemoveCommitteeMember(_Action):
    action: Literal["remove_committee_member"]
    member: Address
    threshold: int | None = Field(default=None, ge=1, le=64,
                                  description="The Safe's signatures needed afterwards (a Safe committee)")


class ReplaceCommitteeMember(_Action):
    action: Literal["replace_committee_member"]
    member: Address = Field(description="The member who leaves")
    new_member: Address = Field(description="The member elected in their place")


class PayByDecision(_Action):
    """Spend fee or public income as the assembly decides, outside any budget."""

    action: Literal["pay_by_decision"]
    fund: Literal["public_income", "fee_income"] = "public_income"
    payee: Address
    amount_yuan: Yuan
    doc_hash: Hash = Field(description="SHA-256 of the decision's document")


class ApproveAnnualBudget(_Action):
    action: Literal["approve_annual_budget"]
    year: int = Field(ge=2000, le=2200)
    fund: Literal["public_income", "fee_income"] = "fee_income"
    amount_yuan: Yuan
    doc_hash: Hash = Field(description="SHA-256 of the budget document")


ProposalAction = Annotated[Union[SetVotingRules, SetCosignThreshold, ApproveServiceContract, SetLateFee,
                                 SetMaintenanceShare, AddCommitteeMember, RemoveCommitteeMember,
                                 ReplaceCommitteeMember, PayByDecision, ApproveAnnualBudget],
                           Field(discriminator="action")]


class ComposeIn(BaseModel):
    """The actions of one proposal (1..8 calls once encoded) and, optionally, the statute
    matter it is filed under (else the strictest the actions suggest)."""

    model_config = ConfigDict(extra="forbid")

    actions: list[ProposalAction] = Field(min_length=1, max_length=MAX_CALLS)
    matter: int | None = Field(default=None, ge=1, le=9, description="民法典 第二百七十八条 item (1..9)")


# The statute item each action falls under (民法典 第二百七十八条): 1 rules of procedure,
# 3 the committee, 4 the property company, 6 raising the maintenance fund, 9 other
# matters of common property and its management (the use of public income, budgets).
MATTERS = {
    "set_voting_rules": 1, "set_cosign_threshold": 1, "approve_service_contract": 4, "set_late_fee": 4,
    "set_maintenance_share": 6, "add_committee_member": 3, "remove_committee_member": 3,
    "replace_committee_member": 3, "pay_by_decision": 9, "approve_annual_budget": 9,
}
MAJOR_MATTERS = (6, 7, 8)  # only to order suggestions; the chain answers for the proposal itself


class ComposeRefused(ValueError):
    """A field the chain says is wrong (422, with the field's place)."""

    def __init__(self, loc: list[Any], message: str):
        super().__init__(message)
        self.loc, self.message = loc, message


class ChainReader:
    """The views compose needs, through a node (web3)."""

    def __init__(self, rpc_url: str, timeout_s: float = 10.0):
        from web3 import HTTPProvider, Web3

        self.w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_s}))

    def _call(self, to: str, data: bytes) -> bytes:
        return bytes(self.w3.eth.call({"to": to_checksum_address(to), "data": "0x" + data.hex()}))

    def call_class(self, assembly: str, target: str, calldata: bytes) -> int:
        out = self._call(assembly, encode_call("call_class(address,bytes)", [to_checksum_address(target), calldata]))
        return int.from_bytes(out[:32], "big")

    def is_major_matter(self, constitution: str, matter: int) -> bool:
        out = self._call(constitution, encode_call("is_major_matter(uint8)", [matter]))
        return int.from_bytes(out[:32], "big") == 1

    def safe_owners(self, safe: str) -> list[str]:
        from eth_abi import decode

        out = self._call(safe, selector("getOwners()"))
        return [to_checksum_address(a) for a in decode(["address[]"], out)[0]]

    def service_contract(self, fees: str, contract_id: int) -> tuple[bool, bool]:
        """(exists, approved) of a proposed service contract."""
        from eth_abi import decode

        out = self._call(fees, encode_call("service_contracts(uint256)", [contract_id]))
        # A struct with a dynamic array comes back as one tuple behind an offset.
        (doc_hash, _company, _start, _end, _rate, _items, _by, approved), = decode(
            ["(bytes32,address,uint256,uint256,uint256,bytes32[],address,bool)"], out)
        return doc_hash != b"\x00" * 32, bool(approved)


def _address(contracts: dict[str, Any], name: str, loc: list[Any]) -> str:
    entry = contracts.get(name)
    if entry is None:
        raise ComposeRefused(loc, f"this community has no {name}")
    return to_checksum_address(entry["address"] if isinstance(entry, dict) else getattr(entry, "address", entry))


def _committee_calls(contracts, reader: ChainReader, action, loc, state: dict) -> list[tuple[str, str, str, list[Any]]]:
    """Calls that change the committee: through the Safe's module when the committee is a
    Safe (execTransactionFromModule with addOwnerWithThreshold/removeOwner/swapOwner), else
    the registry's committee role.

    Safe keeps its owners as a linked list and removeOwner/swapOwner name the previous
    owner; `state` follows the list through the proposal's earlier actions (Safe puts a new
    owner first), since a module call whose inner call fails returns false instead of
    reverting: a wrong previous owner would leave the committee unchanged silently."""
    members = [action.member] + ([action.new_member] if isinstance(action, ReplaceCommitteeMember) else [])
    for field, who in zip(("member", "new_member"), members):
        if who.lower() == ZERO or who.lower() == SENTINEL:
            raise ComposeRefused(loc + [field], "this address cannot be a committee member")
    if "CommitteeSafe" not in contracts:
        registry = _address(contracts, "HouseholdRegistry", loc)
        role = keccak(text="linli.role.committee")
        grant, revoke = "grantRole(bytes32,address)", "revokeRole(bytes32,address)"
        if isinstance(action, AddCommitteeMember):
            return [("HouseholdRegistry", registry, grant, [role, to_checksum_address(action.member)])]
        if isinstance(action, RemoveCommitteeMember):
            return [("HouseholdRegistry", registry, revoke, [role, to_checksum_address(action.member)])]
        return [("HouseholdRegistry", registry, revoke, [role, to_checksum_address(action.member)]),
                ("HouseholdRegistry", registry, grant, [role, to_checksum_address(action.new_member)])]
    safe = _address(contracts, "CommitteeSafe", loc)
    if "owners" not in state:
        state["owners"] = reader.safe_owners(safe)
        state["threshold"] = _current_threshold(reader, safe)
    owners: list[str] = state["owners"]
    lowered = [o.lower() for o in owners]
    member = to_checksum_address(action.member)
    if isinstance(action, AddCommitteeMember):
        if member.lower() in lowered:
            raise ComposeRefused(loc + ["member"], "already a member of the committee")
        threshold = action.threshold if action.threshold is not None else state["threshold"]
        if threshold > len(owners) + 1:
            raise ComposeRefused(loc + ["threshold"], f"more signatures than the {len(owners) + 1} members")
        inner = encode_call("addOwnerWithThreshold(address,uint256)", [member, threshold])
        owners.insert(0, member)
    else:
        if member.lower() not in lowered:
            raise ComposeRefused(loc + ["member"], "not a member of the committee")
        index = lowered.index(member.lower())
        previous = to_checksum_address(SENTINEL if index == 0 else owners[index - 1])
        if isinstance(action, RemoveCommitteeMember):
            if len(owners) == 1:
                raise ComposeRefused(loc + ["member"], "the committee's last member cannot be removed")
            threshold = action.threshold if action.threshold is not None else min(state["threshold"], len(owners) - 1)
            if threshold > len(owners) - 1:
                raise ComposeRefused(loc + ["threshold"], f"more signatures than the {len(owners) - 1} members left")
            inner = encode_call("removeOwner(address,address,uint256)", [previous, member, threshold])
            owners.pop(index)
        else:
            new = to_checksum_address(action.new_member)
            if new.lower() in lowered:
                raise ComposeRefused(loc + ["new_member"], "already a member of the committee")
            inner = encode_call("swapOwner(address,address,address)", [previous, member, new])
            threshold = state["threshold"]
            owners[index] = new
    state["threshold"] = threshold
    outer = [safe, 0, inner, 0]
    return [("CommitteeSafe", safe, "execTransactionFromModule(address,uint256,bytes,uint8)", outer)]


def _current_threshold(reader: ChainReader, safe: str) -> int:
    return int.from_bytes(reader._call(safe, selector("getThreshold()"))[:32], "big")


def _calls_of(contracts, reader: ChainReader, action, loc, state: dict) -> list[tuple[str, str, str, list[Any]]]:
    """(contract, target, signature, args) of one action."""
    kind = action.action
    if kind == "set_voting_rules":
        return [("OwnersAssembly", _address(contracts, "OwnersAssembly", loc),
                 "set_voting_rules(uint256,uint256,uint256,uint256,uint256)",
                 [action.min_notice_days * DAY, action.min_voting_days * DAY, action.max_voting_days * DAY,
                  action.objection_days * DAY, action.queue_days * DAY])]
    if kind == "set_cosign_threshold":
        return [("OwnersAssembly", _address(contracts, "OwnersAssembly", loc), "set_cosign_threshold(uint256)",
                 [action.bps])]
    if kind == "approve_service_contract":
        fees = _address(contracts, "PropertyFees", loc)
        exists, approved = reader.service_contract(fees, action.contract_id)
        if not exists:
            raise ComposeRefused(loc + ["contract_id"], f"no service contract {action.contract_id} was proposed")
        if approved:
            raise ComposeRefused(loc + ["contract_id"], f"service contract {action.contract_id} is approved already")
        return [("PropertyFees", fees, "approve_service_contract(uint256)", [action.contract_id])]
    if kind == "set_late_fee":
        return [("PropertyFees", _address(contracts, "PropertyFees", loc), "set_late_fee(uint256,uint256)",
                 [action.rate_bps, action.cap_bps])]
    if kind == "set_maintenance_share":
        return [("PropertyFees", _address(contracts, "PropertyFees", loc), "set_maintenance_share(uint256)",
                 [action.bps])]
    if kind in ("add_committee_member", "remove_committee_member", "replace_committee_member"):
        return _committee_calls(contracts, reader, action, loc, state)
    if kind == "pay_by_decision":
        if action.payee.lower() == ZERO:
            raise ComposeRefused(loc + ["payee"], "the zero address cannot be paid")
        amount = fen(action.amount_yuan)
        if amount == 0:
            raise ComposeRefused(loc + ["amount_yuan"], "a payment of nothing")
        return [("CommunityTreasury", _address(contracts, "CommunityTreasury", loc),
                 "pay_by_decision(uint8,address,uint256,bytes32)",
                 [FUNDS[action.fund], to_checksum_address(action.payee), amount, bytes.fromhex(action.doc_hash[2:])])]
    if kind == "approve_annual_budget":
        return [("CommunityTreasury", _address(contracts, "CommunityTreasury", loc),
                 "approve_annual_budget(uint256,uint8,uint256,bytes32)",
                 [action.year, FUNDS[action.fund], fen(action.amount_yuan), bytes.fromhex(action.doc_hash[2:])])]
    raise ComposeRefused(loc + ["action"], f"unknown action {kind}")  # unreachable: the model refuses it first


def suggested_matter(actions: list[Any]) -> int:
    """The strictest item the actions fall under: a major one (6..8) first, else the first action's."""
    matters = [MATTERS[a.action] for a in actions]
    major = [m for m in matters if m in MAJOR_MATTERS]
    return major[0] if major else matters[0]


def compose(contracts: dict[str, Any], request: ComposeIn, reader: ChainReader) -> dict[str, Any]:
    """The calls of `request` with the class the chain gives each, the matter and what the
    proposal needs to pass. `contracts`: the manifest's name -> {address, …}."""
    calls: list[dict[str, Any]] = []
    state: dict[str, Any] = {}  # the committee as the proposal's earlier actions leave it
    for index, action in enumerate(request.actions):
        loc = ["body", "actions", index]
        for contract, target, signature, args in _calls_of(contracts, reader, action, loc, state):
            calls.append({"action_index": index, "action": action.action, "matter": MATTERS[action.action],
                          "contract": contract, "function": signature.split("(", 1)[0], "signature": signature,
                          "target": target, "value": "0", "calldata": encode_call(signature, args)})
    if len(calls) > MAX_CALLS:
        raise ComposeRefused(["body", "actions"], f"{len(calls)} calls: a proposal makes at most {MAX_CALLS}")
    assembly = _address(contracts, "OwnersAssembly", ["body"])
    constitution = _address(contracts, "Constitution", ["body"])
    for call in calls:
        call["call_class"] = CLASS_NAMES.get(reader.call_class(assembly, call["target"], call["calldata"]), "major")
        if call["call_class"] == "forbidden":
            raise ComposeRefused(["body", "actions", call["action_index"]],
                                 f"no vote may make this call ({call['contract']}.{call['function']})")
        call["calldata"] = "0x" + call["calldata"].hex()
    matter = request.matter or suggested_matter(request.actions)
    matter_major = reader.is_major_matter(constitution, matter)
    calls_major = any(c["call_class"] != "ordinary" for c in calls)
    major_call = next((c for c in calls if c["call_class"] != "ordinary"), None)
    return {
        "calls": calls,
        "targets": [c["target"] for c in calls],
        "values": [c["value"] for c in calls],
        "calldatas": [c["calldata"] for c in calls],
        "matter": matter,
        "suggested_matter": suggested_matter(request.actions),
        "matters": sorted({MATTERS[a.action] for a in request.actions}),
        "matter_major": matter_major,
        "calls_major": calls_major,
        "major": matter_major or calls_major,
        "major_call": {"contract": major_call["contract"], "function": major_call["function"]} if major_call else None,
        # 民法典 第二百七十八条: two thirds of the area and of the owners take part; then more
        # than half (ordinary) or at least three quarters (major) of those taking part agree.
        "turnout": "2/3",
        "approval": "3/4" if matter_major or calls_major else "1/2",
    }


# Every function an action may call (the committee's Safe proposes only these, RULES in
# backend/committee/actions.py: what the composer could have made, never raw calldata).
COMPOSED_SIGNATURES = (
    "set_voting_rules(uint256,uint256,uint256,uint256,uint256)", "set_cosign_threshold(uint256)",
    "approve_service_contract(uint256)", "set_late_fee(uint256,uint256)", "set_maintenance_share(uint256)",
    "execTransactionFromModule(address,uint256,bytes,uint8)", "grantRole(bytes32,address)",
    "revokeRole(bytes32,address)", "pay_by_decision(uint8,address,uint256,bytes32)",
    "approve_annual_budget(uint256,uint8,uint256,bytes32)",
)
COMPOSED_SELECTORS = {selector(s): s for s in COMPOSED_SIGNATURES}


def proposal_refusal(args: dict[str, Any]) -> str | None:
    """Why a `propose` call's arguments are not a composed proposal (None when they are):
    each call one of the composer's functions, no ether. The chain checks the rest (the
    class of each call, the matter, the window)."""
    for i, (value, data) in enumerate(zip(args["values"], args["calldatas"])):
        if int(value) != 0:
            return f"call {i + 1} sends ether; composed proposals send none"
        if bytes(data[:4]) not in COMPOSED_SELECTORS:
            return f"call {i + 1} is not one the proposal composer makes (compose it from the menu of actions)"
    return None
