"""The community's constitution: who may call each state-changing function of each
contract, and which majority a proposal of the owners' assembly needs to call it.

One table serves three readers:
- the deploy script writes the vote classes into the Constitution contract
  (`constitution_entries`), which the OwnersAssembly reads when a proposal is made;
- the README's table is rendered from it (`render_markdown`), and a test fails when
  the README and this table differ;
- the tests probe every deployed contract with every role and check each refusal
  against `callers` (tests/contracts/test_constitution.py).

Classes: ordinary (more than 1/2 of the participating area and heads), major (at
least 3/4), forbidden (no vote may make the call: it would hand the assembly's power
to a key). A call the table does not list counts as major. The statute's own
classes (民法典 第二百七十八条) are the floor: a proposal is counted by the stricter
of its written matter and its calls. Beyond the statute, every call that changes who
governs (roles that govern, governance addresses, the committee's members), a delay
or a limit is major: such a call changes what every later vote and payment means.

Not in the table: PasskeyAccount and PasskeyAccountFactory. They are residents'
wallets, deployed once per chain, not a community's contracts: no role and no vote
governs them. An account acts only on what one of its own passkeys signed (`execute`,
and through it `add_passkey` and `remove_passkey`); `initialize` is the factory's, in
the transaction that creates the account; anyone may call `create_account`. A proposal
that called an account would be an unlisted call (major) that could do nothing: the
assembly's timelock holds no passkey.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

ORDINARY, MAJOR, FORBIDDEN = 1, 2, 3
CLASS_NAMES = {ORDINARY: "ordinary (1/2)", MAJOR: "major (3/4)", FORBIDDEN: "forbidden"}

# Callers that are roles in the registry (or the assembly's timelock): a test probes
# each with every other role and checks the refusal.
ROLE_CALLERS = ("assembly", "committee", "manager", "cashier", "merchant", "provider", "auditor")


@dataclass(frozen=True)
class Power:
    """One state-changing function: who may call it directly, and the class of a
    proposal that calls it (None: not the assembly's to call; it would fail)."""

    contract: str
    signature: str
    callers: tuple[str, ...]
    vote: int | None = None
    # A refinement by the call's first argument: the role `grantRole` gives, say.
    arg_role: str | None = None
    why: str = ""

    @property
    def selector(self) -> bytes:
        return keccak(text=self.signature)[:4]

    @property
    def name(self) -> str:
        return self.signature.split("(", 1)[0]


def _role(name: str) -> bytes:
    return keccak(text=f"linli.role.{name}")


A, C = "assembly", "committee"
ANYONE = ("anyone",)

POWERS: tuple[Power, ...] = (
    # ------------------------------------------------------------ HouseholdRegistry
    Power("HouseholdRegistry", "grantRole(bytes32,address)", (A,), FORBIDDEN, "assembly",
          "no vote may hand the assembly's own power to another account"),
    Power("HouseholdRegistry", "grantRole(bytes32,address)", (A,), MAJOR, "committee",
          "elect the committee (art. 278(3)): who governs"),
    Power("HouseholdRegistry", "grantRole(bytes32,address)", (A,), ORDINARY, "manager",
          "hire the property company (art. 278(4))"),
    Power("HouseholdRegistry", "grantRole(bytes32,address)", (A,), ORDINARY, "auditor", "appoint an auditor"),
    Power("HouseholdRegistry", "grantRole(bytes32,address)", (C,), None, "cashier", "the property company's staff"),
    Power("HouseholdRegistry", "grantRole(bytes32,address)", (C,), None, "merchant", "register a merchant"),
    Power("HouseholdRegistry", "grantRole(bytes32,address)", (C,), None, "provider", "register a service provider"),
    Power("HouseholdRegistry", "revokeRole(bytes32,address)", (A,), FORBIDDEN, "assembly",
          "no vote may leave the assembly without its power"),
    Power("HouseholdRegistry", "revokeRole(bytes32,address)", (A,), MAJOR, "committee",
          "replace the committee (art. 278(3)): who governs"),
    Power("HouseholdRegistry", "revokeRole(bytes32,address)", (A,), ORDINARY, "manager",
          "dismiss the property company (art. 278(4))"),
    Power("HouseholdRegistry", "revokeRole(bytes32,address)", (A,), ORDINARY, "auditor", "dismiss an auditor"),
    Power("HouseholdRegistry", "revokeRole(bytes32,address)", (C,), None, "cashier", ""),
    Power("HouseholdRegistry", "revokeRole(bytes32,address)", (C,), None, "merchant", ""),
    Power("HouseholdRegistry", "revokeRole(bytes32,address)", (C,), None, "provider", ""),
    Power("HouseholdRegistry", "renounceRole(bytes32,address)", ("any role holder, for itself",), FORBIDDEN, "assembly",
          "the assembly's role is never left without a holder"),
    Power("HouseholdRegistry", "set_points(address)", (A,), MAJOR, why="a governance address"),
    Power("HouseholdRegistry", "set_change_delay(uint256)", (A,), MAJOR, why="a delay: how long an owner has to object"),
    Power("HouseholdRegistry", "set_developer(bytes32)", (C,)),
    Power("HouseholdRegistry", "register_unit(string,uint256,address,bytes32)", (C,)),
    Power("HouseholdRegistry", "register_units((string,uint256,address,bytes32)[])", (C,)),
    Power("HouseholdRegistry", "set_unit_area(uint256,uint256)", (C,)),
    Power("HouseholdRegistry", "request_transfer(uint256,address,bytes32)", (C,)),
    Power("HouseholdRegistry", "object_transfer(uint256,bytes32)", ("the unit's owner",),
          why="once: another delay, never a cancellation"),
    Power("HouseholdRegistry", "cancel_transfer(uint256)", (C,), why="the committee withdraws its own request"),
    Power("HouseholdRegistry", "execute_transfer(uint256)", ANYONE, why="after the delay; ends the seller's links"),
    Power("HouseholdRegistry", "request_recovery(address,address,bytes32)", (C,),
          why="with the hash of its identity evidence; the wallet has no vote meanwhile"),
    Power("HouseholdRegistry", "object_recovery(uint256,bytes32)", ("the identity's wallet",),
          why="once: another delay, never a cancellation"),
    Power("HouseholdRegistry", "cancel_recovery(uint256)", (C,), why="the committee withdraws its own request"),
    Power("HouseholdRegistry", "execute_recovery(uint256)", ANYONE,
          why="after the delay; ends the old wallet's delegations"),
    Power("HouseholdRegistry", "invite_resident(uint256,address,bytes32)", ("the unit's owner",)),
    Power("HouseholdRegistry", "accept_residence(uint256,bytes32)", ("the invited wallet",),
          why="a link needs the wallet's own consent"),
    Power("HouseholdRegistry", "unlink_resident(address)", ("the resident", "the unit's owner", C)),
    # ------------------------------------------------------------ CommunityPoints
    Power("CommunityPoints", "set_minter(address,bool)", (A,), MAJOR, why="who may create points"),
    Power("CommunityPoints", "transfer_ownership(address)", (A,), FORBIDDEN,
          why="the points belong to the assembly: no vote hands them to a key"),
    Power("CommunityPoints", "set_free_transfer(bool)", (A,), MAJOR, why="a limit: points are not a currency"),
    Power("CommunityPoints", "set_household_cap(uint256)", (A,), MAJOR, why="a limit"),
    Power("CommunityPoints", "set_suggestion_cap(uint256)", (A,), MAJOR,
          why="a limit: suggestion points per household and year"),
    Power("CommunityPoints", "set_grant_allowance(uint256)", (A,), MAJOR, why="a limit on the committee's grants"),
    Power("CommunityPoints", "mint(address,uint256,uint16)", ("minter modules", C, A), ORDINARY,
          why="grants (reason 1): the committee within its yearly allowance, or the assembly"),
    Power("CommunityPoints", "redeem(uint256,bytes32)", ("merchant",)),
    Power("CommunityPoints", "sync_merchant(address)", ANYONE, why="copies the registry's answer"),
    Power("CommunityPoints", "transfer(address,uint256)", ("holder",),
          why="to a merchant unless free transfer is on; a merchant refunds only who paid it, up to what it paid"),
    Power("CommunityPoints", "transferFrom(address,address,uint256)", ("holder's spender",)),
    Power("CommunityPoints", "approve(address,uint256)", ("holder",)),
    Power("CommunityPoints", "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)", ANYONE,
          why="with the holder's signature"),
    # ------------------------------------------------------------ PropertyFees
    Power("PropertyFees", "pay(uint256,uint256,uint256)", ANYONE, why="for any unit"),
    Power("PropertyFees", "pay_with_permit(uint256,uint256,uint256,uint256,uint8,bytes32,bytes32)", ANYONE),
    Power("PropertyFees", "onTransferReceived(address,address,uint256,bytes)", ("the settlement token",),
          why="a payment by the token's ERC-1363 transferAndCall, of exactly the amount due"),
    Power("PropertyFees", "claim_points(uint256[])", ("the units' payer",), why="points belong to whoever paid"),
    Power("PropertyFees", "receive_public_income(address,uint256,uint8)", ANYONE),
    Power("PropertyFees", "deposit_maintenance(uint256,bytes32)", ANYONE),
    Power("PropertyFees", "rate_service(uint256,uint256)", ("owner",)),
    Power("PropertyFees", "set_treasury(address)", (A,), FORBIDDEN,
          why="named once at deploy: whoever could change it could spend every balance"),
    Power("PropertyFees", "disburse(uint8,address,uint256)", ("the treasury module",), FORBIDDEN,
          why="money leaves only by the treasury's rules"),
    Power("PropertyFees", "propose_service_contract(bytes32,address,uint256,uint256,uint256,bytes32[],uint8,uint256)",
          ("manager", C, A), ORDINARY),
    Power("PropertyFees", "approve_service_contract(uint256)", (A,), ORDINARY,
          why="hire the property company, its fee standard and fee income mode (art. 278(4))"),
    Power("PropertyFees", "set_late_fee(uint256,uint256)", (A,), MAJOR, why="a limit on what owners are charged"),
    Power("PropertyFees", "set_prepay_limit(uint256)", (A,), MAJOR, why="a limit"),
    Power("PropertyFees", "set_points_rate(uint256)", (A,), MAJOR, why="a limit on points"),
    Power("PropertyFees", "set_maintenance_share(uint256)", (A,), MAJOR,
          why="raise the maintenance fund (art. 278(6))"),
    Power("PropertyFees", "set_billing_start(uint256)", (C,)),
    Power("PropertyFees", "set_unit_billing_start(uint256,uint256)", (C,)),
    Power("PropertyFees", "record_payment(uint256,uint256,uint256,uint256,uint8,bytes32)", ("cashier",),
          why="a payment received off chain (WeChat, Alipay, bank, cash): each reference and month once"),
    Power("PropertyFees", "record_payments((uint256,uint256,uint256,uint256,uint8,bytes32)[])", ("cashier",),
          why="a bank statement's lines, all or none"),
    Power("PropertyFees", "dispute_record(bytes32,bytes32)", ("the unit's owner",),
          why="within 30 days of a cashier's record, once"),
    Power("PropertyFees", "answer_dispute(bytes32,bool,bytes32)", (C, "manager"),
          why="upheld, the record is void and the unit's months go back"),
    # ------------------------------------------------------------ CommunityTreasury
    Power("CommunityTreasury", "approve_annual_budget(uint256,uint8,uint256,bytes32)", (A,), ORDINARY,
          why="what fee or public income may spend this year (arts. 278, 282)"),
    Power("CommunityTreasury", "allocate_budget(uint256,uint8,uint8,uint256)", (C,),
          why="categories within the assembly's annual budget"),
    Power("CommunityTreasury", "record_expense(uint8,address,uint256,bytes32,uint8)", ("manager",),
          why="this year's budget only"),
    Power("CommunityTreasury", "pay_commission(uint256,uint256)", ("manager",), why="酬金制: the commission earned"),
    Power("CommunityTreasury", "pay_lump_sum(uint256)", ("manager",), why="包干制: fee income to the company"),
    Power("CommunityTreasury", "pay_by_decision(uint8,address,uint256,bytes32)", (A,), ORDINARY,
          why="fee or public income paid by decision"),
    Power("CommunityTreasury", "approve_maintenance_project(address,uint256[],bytes32)", (A,), ORDINARY,
          why="use the maintenance fund (art. 278(5))"),
    Power("CommunityTreasury", "release_milestone(uint256)", (A,), ORDINARY, why="use the maintenance fund (art. 278(5))"),
    Power("CommunityTreasury", "close_maintenance_project(uint256)", (A,), ORDINARY, why="frees a reserve; moves nothing"),
    Power("CommunityTreasury", "set_emergency_caps(uint256,uint256)", (A,), MAJOR,
          why="a limit: what the committee may pay from the fund without a vote"),
    Power("CommunityTreasury", "pay_emergency_repair(uint8,address,uint256,bytes32)", (C,),
          why="an urgent repair, with the housing authority's approval (art. 281(2))"),
    # ------------------------------------------------------------ OwnersAssembly
    Power("OwnersAssembly", "propose(address[],uint256[],bytes[],uint8,string,bytes32,uint256,uint256)",
          (C, "owner"), why="an owner's motion needs the co-signer threshold (1/5 of the heads unless the assembly lowered it)"),
    Power("OwnersAssembly", "cosign(uint256)", ("owner",)),
    Power("OwnersAssembly", "cancel(uint256)", ("the proposer",), why="before voting starts"),
    Power("OwnersAssembly", "castVote(uint256,uint8)", ("owner",)),
    Power("OwnersAssembly", "castVoteBySig(uint256,uint8,address,bytes)", ANYONE, why="with the owner's signature"),
    Power("OwnersAssembly", "castVoteAsDelegate(uint256,address[],uint8)", ("the owners' delegate",)),
    Power("OwnersAssembly", "castPaperBallot(uint256,uint256,uint256,address,uint8)", ("PaperBallots",),
          why="a paper ballot two tellers confirmed"),
    Power("OwnersAssembly", "set_delegate(address,uint256)", ("owner",)),
    Power("OwnersAssembly", "revoke_delegation(uint256)", ("owner",)),
    Power("OwnersAssembly", "comment(uint256,bytes32,bool)", ("owner",)),
    Power("OwnersAssembly", "finalize(uint256,uint256)", ("PaperBallots",),
          why="the final result, after the preliminary result and its objection period"),
    Power("OwnersAssembly", "queue(uint256,address[],uint256[],bytes[],bytes32)", ANYONE,
          why="a passed proposal, within its queue window"),
    Power("OwnersAssembly", "execute(uint256,address[],uint256[],bytes[],bytes32)", ANYONE,
          why="after the timelock's delay"),
    Power("OwnersAssembly", "set_voting_rules(uint256,uint256,uint256,uint256,uint256)", (A,), MAJOR,
          why="delays and windows (fixed in the assembly)"),
    Power("OwnersAssembly", "set_cosign_threshold(uint256)", (A,), ORDINARY,
          why="a rule of the assembly's procedure (议事规则, 民法典 第二百七十八条 (一)); it can only "
              "lower the 1/5 of the heads owners' motions need"),
    # ------------------------------------------------------------ PaperBallots
    Power("PaperBallots", "set_assembly(address)", (A,), FORBIDDEN,
          why="named once at deploy: whoever could change it could count ballots elsewhere"),
    Power("PaperBallots", "appoint_tellers(uint256,address[])", (C, A), ORDINARY,
          why="at least two owners per proposal, once, before the vote closes"),
    Power("PaperBallots", "enter_ballot(uint256,uint256,uint8,bytes32)", ("the proposal's teller",),
          why="with the sha256 of the scan; counts once another teller confirms it"),
    Power("PaperBallots", "confirm_ballot(uint256,uint256,uint8,bytes32)", ("another of its tellers",),
          why="never one's own entry; once"),
    Power("PaperBallots", "declare_collected(uint256,uint256)", ("the proposal's teller",)),
    Power("PaperBallots", "confirm_collected(uint256,uint256)", ("another of its tellers",)),
    Power("PaperBallots", "set_nonvoter_rule(bool)", (A,), ORDINARY,
          why="a rule of the assembly's procedure (议事规则, 指导规则 第二十六条第二款): whether served "
              "non-voters count with the majority; proposals made afterwards only"),
    Power("PaperBallots", "record_service(uint256,uint256[],bytes32)", ("the proposal's teller",),
          why="after the close, under the non-voter rule: owners who did not vote, service of the notice proven"),
    Power("PaperBallots", "confirm_service(uint256,uint256,uint256[],bytes32)", ("another of its tellers",),
          why="never one's own record; once"),
    Power("PaperBallots", "publish_preliminary(uint256)", ANYONE,
          why="after the close, once the paper count adds up; opens the objection period"),
    Power("PaperBallots", "object_result(uint256,bytes32)", ("owner",), why="during the objection period, once"),
    Power("PaperBallots", "publish_final(uint256)", ANYONE, why="after the objection period; records it in the assembly"),
    # ------------------------------------------------------------ Constitution
    Power("Constitution", "set_call_class((address,bytes4,bool,bytes32,uint8)[])", (A,), MAJOR,
          why="what each vote needs (fixed in the assembly); a forbidden call stays forbidden"),
    # ------------------------------------------------------------ AssemblyTimelock
    Power("AssemblyTimelock", "update_delay(uint256)", ("the timelock itself",), MAJOR, why="a delay"),
    Power("AssemblyTimelock", "schedule(address,uint256,bytes,bytes32,bytes32,uint256)", ("the assembly contract",),
          FORBIDDEN, why="only through a passed proposal"),
    Power("AssemblyTimelock", "schedule_batch(address[],uint256[],bytes[],bytes32,bytes32,uint256)",
          ("the assembly contract",), FORBIDDEN),
    Power("AssemblyTimelock", "execute(address,uint256,bytes,bytes32,bytes32)", ("the assembly contract",), FORBIDDEN),
    Power("AssemblyTimelock", "execute_batch(address[],uint256[],bytes[],bytes32,bytes32)", ("the assembly contract",),
          FORBIDDEN),
    Power("AssemblyTimelock", "cancel(bytes32)", ("the assembly contract",), FORBIDDEN),
    Power("AssemblyTimelock", "grantRole(bytes32,address)", ("the timelock itself",), FORBIDDEN,
          why="no vote may give another account the power to schedule or execute"),
    Power("AssemblyTimelock", "revokeRole(bytes32,address)", ("the timelock itself",), FORBIDDEN),
    Power("AssemblyTimelock", "renounceRole(bytes32,address)", ("a role holder, for itself",), FORBIDDEN),
    Power("AssemblyTimelock", "set_role_admin(bytes32,bytes32)", ("the timelock itself",), FORBIDDEN),
    Power("AssemblyTimelock", "onERC721Received(address,address,uint256,bytes)", ANYONE, FORBIDDEN, why="a hook"),
    Power("AssemblyTimelock", "onERC1155Received(address,address,uint256,uint256,bytes)", ANYONE, FORBIDDEN),
    Power("AssemblyTimelock", "onERC1155BatchReceived(address,address,uint256[],uint256[],bytes)", ANYONE, FORBIDDEN),
    # ------------------------------------------------------------ CultureWorks
    Power("CultureWorks", "mint_work(string,uint8,bytes32,string)", ("member",)),
    Power("CultureWorks", "mint_work_cid(string,uint8,bytes32,bytes)", ("member",)),
    Power("CultureWorks", "like(uint256)", ("member",), why="one per household, not one's own household"),
    Power("CultureWorks", "gift(address,uint256)", ("the creator",), why="once"),
    Power("CultureWorks", "transferFrom(address,address,uint256)", ("nobody",), why="works are not tradeable"),
    Power("CultureWorks", "safeTransferFrom(address,address,uint256)", ("nobody",)),
    Power("CultureWorks", "safeTransferFrom(address,address,uint256,bytes)", ("nobody",)),
    Power("CultureWorks", "approve(address,uint256)", ("nobody",)),
    Power("CultureWorks", "setApprovalForAll(address,bool)", ("nobody",)),
    Power("CultureWorks", "hide_work(uint256,bytes32)", (C,)),
    Power("CultureWorks", "unhide_work(uint256,bytes32)", (C,)),
    Power("CultureWorks", "set_like_reward(uint256,uint256)", (A,), MAJOR, why="a limit on points"),
    Power("CultureWorks", "set_gifts_enabled(bool)", (C,)),
    Power("CultureWorks", "create_exhibition(string)", (C,)),
    Power("CultureWorks", "add_to_exhibition(uint256,uint256)", (C,)),
    Power("CultureWorks", "remove_from_exhibition(uint256,uint256)", (C,)),
    # ------------------------------------------------------------ CommunityActivities
    Power("CommunityActivities", "create_activity(string,bytes32,uint256,uint256,uint256,uint256,address)", (C,)),
    Power("CommunityActivities", "propose_activity(string,bytes32,uint256,uint256,uint256,uint256)", ("member",)),
    Power("CommunityActivities", "approve_activity(uint256)", (C,)),
    Power("CommunityActivities", "cancel_activity(uint256,bytes32)", ("the organiser", C)),
    Power("CommunityActivities", "set_max_points(uint256)", (A,), MAJOR, why="a limit on points"),
    Power("CommunityActivities", "sign_up(uint256)", ("member",)),
    Power("CommunityActivities", "cancel_sign_up(uint256)", ("who signed up",)),
    Power("CommunityActivities", "check_in(uint256,address[])", ("the organiser",)),
    Power("CommunityActivities", "check_in_with_code(uint256,address,uint256,bytes)", ANYONE,
          why="with the organiser's signed code"),
    Power("CommunityActivities", "leave_feedback(uint256,uint8,bytes32)", ("an attendee",)),
    # ------------------------------------------------------------ MerchantPromotions
    Power("MerchantPromotions", "set_price(uint8,uint256)", (A,), MAJOR,
          why="a business on common parts (art. 278(8))"),
    Power("MerchantPromotions", "buy(uint8,uint256,uint256)", ("merchant",)),
    Power("MerchantPromotions", "buy_with_permit(uint8,uint256,uint256,uint256,uint8,bytes32,bytes32)", ("merchant",)),
    # ------------------------------------------------------------ ServiceMarket
    Power("ServiceMarket", "post_request(uint8,bytes32,uint256,uint256)", ("member",)),
    Power("ServiceMarket", "onTransferReceived(address,address,uint256,bytes)", ("the settlement token",),
          why="a member's request posted by the token's ERC-1363 transferAndCall, the amount its budget"),
    Power("ServiceMarket", "make_offer(uint256,uint256,uint256)", ("provider",)),
    Power("ServiceMarket", "withdraw_offer(uint256)", ("the offering provider",)),
    Power("ServiceMarket", "accept_offer(uint256,address,uint256,uint256)", ("the requester",)),
    Power("ServiceMarket", "cancel_request(uint256)", ("the requester",)),
    Power("ServiceMarket", "mark_done(uint256)", ("the job's provider",)),
    Power("ServiceMarket", "confirm(uint256)", ("the requester",)),
    Power("ServiceMarket", "release(uint256)", ANYONE, why="after the release delay"),
    Power("ServiceMarket", "dispute(uint256,bytes32)", ("the requester",)),
    Power("ServiceMarket", "resolve(uint256,uint256,bytes32)", (C,)),
    Power("ServiceMarket", "reclaim(uint256)", ("the requester",)),
    Power("ServiceMarket", "rate(uint256,uint256)", ("the requester",)),
    Power("ServiceMarket", "set_fee(uint256)", (A,), MAJOR, why="a limit: the platform fee to public income"),
    Power("ServiceMarket", "set_release_delay(uint256)", (A,), MAJOR, why="a delay"),
    Power("ServiceMarket", "set_rating_points(uint256)", (A,), MAJOR, why="a limit on points"),
    Power("ServiceMarket", "set_min_rated_fee(uint256)", (A,), MAJOR,
          why="a limit: the least fee a job pays for its rating to earn points"),
    # ------------------------------------------------------------ SuggestionBox
    Power("SuggestionBox", "submit(uint8,bytes32)", ("member",)),
    Power("SuggestionBox", "answer(uint256,uint8,bytes32)", (C, "manager")),
    Power("SuggestionBox", "set_reward_rate(uint256)", (A,), MAJOR, why="a limit on points"),
    # ------------------------------------------------------------ DataConsent
    Power("DataConsent", "grant(address,bytes32,uint256,bytes32)", ("member",)),
    Power("DataConsent", "renew(address,bytes32,uint256)", ("the resident who granted",)),
    Power("DataConsent", "revoke(address,bytes32)", ("the resident who granted",)),
    Power("DataConsent", "log_access(address,address,bytes32,bytes32)", ("the grantee", "logger")),
    Power("DataConsent", "set_logger(address,bool)", (A,), MAJOR, why="who may log access to personal data"),
    # ------------------------------------------------------------ NoticeBoard
    Power("NoticeBoard", "register_document(bytes32,uint8,string)", (C,)),
    Power("NoticeBoard", "withdraw_document(bytes32,bytes32)", (C,)),
    Power("NoticeBoard", "publish_notice(bytes32,uint8,uint8,string,string,uint256,bytes32[])",
          (C, "a proposal's proposer"), why="a proposal's notice at least the notice period before its vote"),
    Power("NoticeBoard", "anchor_receipts(bytes32,uint256,uint256,uint256)", ("anchorer",),
          why="the backend's account: roots of owners' signed receipts"),
    Power("NoticeBoard", "set_anchorer(address,bool)", (A,), ORDINARY,
          why="who anchors receipts (an anchorer can withhold receipts, never forge one)"),
)

# The committee's Safe: the assembly changes its members and threshold through its
# module (the timelock); the members cannot (CommitteeGuard).
SAFE_POWERS: tuple[Power, ...] = (
    Power("CommitteeSafe", "execTransactionFromModule(address,uint256,bytes,uint8)", (A,), MAJOR,
          why="the committee's members and threshold: who governs"),
)


def constitution_entries(contracts: dict[str, Any]) -> list[tuple[str, bytes, bool, bytes, int]]:
    """The Constitution contract's table for deployed `contracts` (name -> contract or
    address): (target, selector, by_arg, arg, class) for every power the assembly may
    exercise. The assembly's, the constitution's and the timelock's own functions are
    fixed in OwnersAssembly, not written here."""
    fixed = {"OwnersAssembly", "Constitution", "AssemblyTimelock"}
    entries = []
    for power in (*POWERS, *SAFE_POWERS):
        if power.vote is None or power.contract in fixed or power.contract not in contracts:
            continue
        target = getattr(contracts[power.contract], "address", contracts[power.contract])
        arg = _role(power.arg_role) if power.arg_role else b"\x00" * 32
        entries.append((target, power.selector, power.arg_role is not None, arg, power.vote))
    return entries


def render_markdown() -> str:
    """The README's table: every state-changing function, who may call it, and the
    majority a proposal needs to call it."""
    lines = [
        "| contract | function | who may call it | a proposal calling it needs |",
        "|---|---|---|---|",
    ]
    for power in (*POWERS, *SAFE_POWERS):
        function = f"`{power.name}`" + (f" ({power.arg_role})" if power.arg_role else "")
        vote = CLASS_NAMES[power.vote] if power.vote else "—"
        if power.why:
            vote += f": {power.why}"
        lines.append(f"| {power.contract} | {function} | {', '.join(power.callers)} | {vote} |")
    return "\n".join(lines) + "\n"
