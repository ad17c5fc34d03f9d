"""Which event goes to which table: the one place to extend when a contract lands.

Each `EventSpec` names a contract (as in the deployment manifest), an event (as in
its ABI), the typed table that receives it (a model in backend/db/models/) and how
the table's columns come from the event's arguments. Every event of every manifest
contract also lands in `raw_events`, spec or not, so a new contract is browsable the
moment it is in the manifest and gets typed tables by adding rows here.

Adding a contract's events (e.g. PropertyFees) is:
  1. a model per table in backend/db/models/<family>.py and an Alembic revision;
  2. rows in EVENT_SPECS below;
  3. if a state table derives from them, a projection in projections.py.
Array arguments go straight into JSON columns (the indexer encodes them); uint256
values beyond SQLite's 64 bits (proposal ids, sha256 work ids) are converted as they
are decoded, by naming a converter of CONVERTERS in the spec's `convert`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class EventSpec:
    """Map one contract event to one typed table."""

    contract: str
    event: str
    table: str
    # table column -> event argument name
    columns: Mapping[str, str]
    # table column -> fixed value (e.g. linked=True for ResidentLinked)
    constants: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # table column -> name of a converter in CONVERTERS, applied to the argument as it
    # is decoded (e.g. a uint256 hash id that does not fit SQLite's 64-bit INTEGER)
    convert: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def _decimal(value: int) -> str:
    return str(int(value))


def _hex32(value: int) -> str:
    return f"0x{int(value):064x}"


# How an argument becomes a column value when it cannot go in as decoded. Array
# arguments need none: a JSON column's value is encoded by the indexer itself.
CONVERTERS: Mapping[str, Any] = MappingProxyType({
    "decimal": _decimal,  # uint256 ids as decimal strings (e.g. proposal ids)
    "hex32": _hex32,  # uint256 hashes as 0x + 64 hex digits (e.g. a work's sha256 id)
})


def same(*names: str) -> Mapping[str, str]:
    """Columns named like the event's arguments."""
    return MappingProxyType({name: name for name in names})


def cols(*names: str, **renamed: str) -> Mapping[str, str]:
    """Columns named like the arguments, plus `column="argument"` renames."""
    return MappingProxyType({**{name: name for name in names}, **renamed})


REGISTRY = "HouseholdRegistry"
POINTS = "CommunityPoints"
FEES = "PropertyFees"
TREASURY = "CommunityTreasury"
ASSEMBLY = "OwnersAssembly"
TIMELOCK = "AssemblyTimelock"
CONSTITUTION = "Constitution"
CULTURE = "CultureWorks"
ACTIVITIES = "CommunityActivities"
PROMOTIONS = "MerchantPromotions"
SERVICES = "ServiceMarket"
SUGGESTIONS = "SuggestionBox"
CONSENT = "DataConsent"
NOTICES = "NoticeBoard"
PAPER = "PaperBallots"


def setting(name: str) -> Mapping[str, Any]:
    return MappingProxyType({"setting": name})


def action(name: str) -> Mapping[str, Any]:
    return MappingProxyType({"action": name})


# Converters of the culture rows: a work's uint256 token id is its file's sha256.
HEX_WORK: Mapping[str, str] = MappingProxyType({"work_id": "hex32"})
DECIMAL_HOUSEHOLD: Mapping[str, str] = MappingProxyType({"household": "decimal"})
PROPOSAL_DECIMAL: Mapping[str, str] = MappingProxyType({"proposal_id": "decimal"})


def proposal(spec: EventSpec) -> EventSpec:
    """`spec` with the event's uint256 `proposalId` in `proposal_id`, as a decimal string."""
    return replace(spec, columns=MappingProxyType({**spec.columns, "proposal_id": "proposalId"}),
                   convert=MappingProxyType({**spec.convert, "proposal_id": "decimal"}))

EVENT_SPECS: tuple[EventSpec, ...] = (
    # HouseholdRegistry: units, owner identities and weights, totals.
    EventSpec(REGISTRY, "UnitRegistered", "unit_registrations",
              same("unit_id", "label", "area", "owner", "commitment", "identity")),
    EventSpec(REGISTRY, "UnitAreaChanged", "unit_area_changes", same("unit_id", "label", "old_area", "new_area")),
    EventSpec(REGISTRY, "OwnerWeightChanged", "owner_weight_changes",
              same("identity", "commitment", "wallet", "area", "units")),
    EventSpec(REGISTRY, "TotalsChanged", "totals_changes", same("area", "heads")),
    # Sales of units and recoveries of lost wallets.
    EventSpec(REGISTRY, "TransferRequested", "unit_transfer_requests",
              same("unit_id", "current_owner", "new_owner", "commitment", "eta")),
    EventSpec(REGISTRY, "TransferObjected", "unit_transfer_objections", same("unit_id", "owner", "reason_hash", "eta")),
    EventSpec(REGISTRY, "TransferCancelled", "unit_transfer_cancellations", same("unit_id", "cancelled_by")),
    EventSpec(REGISTRY, "UnitTransferred", "unit_transfers",
              same("unit_id", "previous_owner", "new_owner", "label", "area", "previous_identity", "new_identity",
                   "commitment")),
    EventSpec(REGISTRY, "RecoveryRequested", "recovery_requests",
              same("identity", "current_wallet", "new_wallet", "evidence_hash", "eta")),
    EventSpec(REGISTRY, "RecoveryObjected", "recovery_objections", same("identity", "wallet", "reason_hash", "eta")),
    EventSpec(REGISTRY, "RecoveryCancelled", "recovery_cancellations", same("identity", "cancelled_by")),
    EventSpec(REGISTRY, "WalletRecovered", "wallet_recoveries",
              same("identity", "previous_wallet", "new_wallet", "commitment")),
    # Residents who are not owners.
    EventSpec(REGISTRY, "ResidentInvited", "resident_invitations", same("unit_id", "wallet", "commitment", "invited_by")),
    EventSpec(REGISTRY, "ResidentLinked", "resident_changes",
              cols("unit_id", "wallet", "commitment", "household", changed_by="linked_by"),
              MappingProxyType({"linked": True})),
    EventSpec(REGISTRY, "ResidentUnlinked", "resident_changes",
              cols("unit_id", "wallet", changed_by="unlinked_by"),
              MappingProxyType({"linked": False, "commitment": None, "household": None})),
    # Roles (snekmate access_control events).
    EventSpec(REGISTRY, "RoleGranted", "role_changes", cols("role", "account", changed_by="sender"),
              MappingProxyType({"granted": True})),
    EventSpec(REGISTRY, "RoleRevoked", "role_changes", cols("role", "account", changed_by="sender"),
              MappingProxyType({"granted": False})),
    # CommunityPoints.
    EventSpec(POINTS, "Transfer", "points_movements", cols(sender="sender", receiver="receiver", amount="value")),
    EventSpec(POINTS, "PointsMinted", "points_mints", cols("amount", "reason", "minter", recipient="to")),
    EventSpec(POINTS, "PointsRedeemed", "points_redemptions", same("merchant", "amount", "settlement_ref")),
    EventSpec(POINTS, "MerchantSynced", "merchant_syncs", same("account", "is_merchant")),
    EventSpec(POINTS, "RoleMinterChanged", "minter_changes", same("minter", "status")),
    EventSpec(POINTS, "HouseholdCapSet", "points_cap_changes", same("previous", "cap", "set_by")),
    EventSpec(POINTS, "SuggestionCapSet", "suggestion_cap_changes", same("previous", "cap", "set_by")),
    EventSpec(POINTS, "GrantAllowanceSet", "grant_allowance_changes", same("previous", "allowance", "set_by")),
    EventSpec(POINTS, "CommitteeGranted", "committee_grants",
              cols("amount", "year", "granted_this_year", "allowance", recipient="to")),
    EventSpec(POINTS, "MintClipped", "points_clips",
              cols("household", "reason", "year", "requested", "minted", "cap", recipient="to"),
              convert=DECIMAL_HOUSEHOLD),
    # PropertyFees: payments, points, income received, disbursements, service contracts,
    # settings, satisfaction.
    EventSpec(FEES, "FeePaid", "fee_payments",
              same("unit_id", "payer", "from_month", "to_month", "dues", "late_fee", "amount", "to_maintenance",
                   "points")),
    EventSpec(FEES, "FeeRecorded", "fee_records",
              same("unit_id", "cashier", "reference", "channel", "from_month", "to_month", "amount", "day",
                   "day_total")),
    EventSpec(FEES, "RecordDisputed", "fee_record_disputes", same("reference", "unit_id", "owner", "reason")),
    EventSpec(FEES, "DisputeAnswered", "fee_dispute_answers",
              same("reference", "unit_id", "answered_by", "upheld", "answer", "first_unpaid_month",
                   "points_taken_back")),
    EventSpec(FEES, "PointsClaimed", "fee_points_claims", same("unit_id", "claimant", "amount")),
    EventSpec(FEES, "PublicIncomeReceived", "public_incomes", same("payer", "source", "amount", "paid_by")),
    EventSpec(FEES, "MaintenanceDeposited", "maintenance_deposits", same("depositor", "amount", "source")),
    EventSpec(FEES, "Disbursed", "fee_disbursements", same("fund", "payee", "amount", "balance_after", "treasury")),
    EventSpec(FEES, "TreasurySet", "fee_treasury_modules", same("treasury", "set_by")),
    EventSpec(FEES, "ServiceContractProposed", "service_contract_proposals",
              same("contract_id", "company", "doc_hash", "start_month", "end_month", "rate", "service_items",
                   "proposed_by", "mode", "commission_bps")),
    EventSpec(FEES, "ServiceContractApproved", "service_contract_approvals",
              same("contract_id", "company", "start_month", "rate", "segment", "approved_by")),
    EventSpec(FEES, "LateFeeSet", "fee_settings", cols(value="rate_bps", value2="cap_bps"), setting("late_fee")),
    EventSpec(FEES, "PrepayLimitSet", "fee_settings", cols(value="months"), setting("prepay_limit")),
    EventSpec(FEES, "PointsRateSet", "fee_settings", cols(value="rate"), setting("points_rate")),
    EventSpec(FEES, "BillingStartSet", "fee_settings", cols(value="month"), setting("billing_start")),
    EventSpec(FEES, "MaintenanceShareSet", "fee_settings", cols("set_by", value="bps"), setting("maintenance_share")),
    EventSpec(FEES, "UnitBillingStartSet", "unit_billing_starts", same("unit_id", "month")),
    EventSpec(FEES, "ServiceRated", "service_ratings", same("period", "identity", "rater", "score", "count", "total")),
    # CommunityTreasury: annual and category budgets, expenses, the property company's
    # commission or lump sum, the assembly's direct payouts, the maintenance fund's
    # projects and emergency repairs.
    EventSpec(TREASURY, "AnnualBudgetApproved", "annual_budgets",
              same("year", "fund", "amount", "allocated", "doc_hash", "approved_by")),
    EventSpec(TREASURY, "BudgetAllocated", "budget_approvals",
              cols("year", "fund", "category", "amount", "spent", "allocated", approved_by="allocated_by")),
    EventSpec(TREASURY, "ExpenseRecorded", "expenses",
              same("expense_id", "category", "payee", "amount", "invoice_hash", "period", "fund", "budget_spent",
                   "recorded_by", "commission", "contract_id")),
    EventSpec(TREASURY, "CommissionPaid", "commission_payments",
              same("contract_id", "company", "amount", "owed_after", "paid_by")),
    EventSpec(TREASURY, "LumpSumPaid", "lump_sum_payments", same("contract_id", "company", "amount", "paid_by")),
    EventSpec(TREASURY, "DecisionPayout", "decision_payouts",
              same("payout_id", "fund", "payee", "amount", "doc_hash", "paid_by")),
    EventSpec(TREASURY, "MaintenanceProjectApproved", "maintenance_projects",
              same("project_id", "payee", "total", "doc_hash", "milestones", "reserved_after")),
    EventSpec(TREASURY, "MilestoneReleased", "milestone_releases",
              cols("project_id", "payee", "amount", "remaining", milestone_index="index")),
    EventSpec(TREASURY, "MaintenanceProjectClosed", "maintenance_project_closures",
              same("project_id", "unreserved", "reserved_after", "closed_by")),
    EventSpec(TREASURY, "EmergencyCapsSet", "emergency_caps", same("per_use", "per_year", "set_by")),
    EventSpec(TREASURY, "EmergencyRepairPaid", "emergency_repairs",
              same("repair_id", "kind", "payee", "amount", "approval_hash", "year", "paid_this_year", "paid_by")),
    # OwnersAssembly. Proposal ids are uint256 hashes: `proposal(...)` maps them into
    # `proposal_id` as decimal strings.
    proposal(EventSpec(ASSEMBLY, "ProposalCreated", "proposal_creations",
                       cols("proposer", "targets", "calldatas", vote_start="voteStart", vote_end="voteEnd",
                            title="description", call_values="values"))),
    proposal(EventSpec(ASSEMBLY, "ProposalDetails", "proposal_details",
                       same("proposer", "matter", "major", "doc_hash", "snapshot_block", "total_area",
                            "total_heads", "cosigners_required", "objection_window"))),
    proposal(EventSpec(ASSEMBLY, "ProposalCosigned", "proposal_cosigns",
                       same("owner", "identity", "cosigners", "required", "supported"))),
    proposal(EventSpec(ASSEMBLY, "VoteCast", "votes", same("voter", "support", "weight"))),
    proposal(EventSpec(ASSEMBLY, "VoteTallied", "vote_tallies", same("support", "area", "heads"))),
    proposal(EventSpec(ASSEMBLY, "VoteChanged", "vote_changes",
                       same("voter", "identity", "previous_support", "previous_channel", "support", "channel"))),
    proposal(EventSpec(ASSEMBLY, "DelegateVoteCast", "delegate_votes", same("delegate", "owner", "identity"))),
    proposal(EventSpec(ASSEMBLY, "DelegationSet", "delegation_changes",
                       same("owner", "delegate", "identity", "previous"),
                       MappingProxyType({"active": True}))),
    proposal(EventSpec(ASSEMBLY, "DelegationRevoked", "delegation_changes", same("owner", "delegate", "identity"),
                       MappingProxyType({"active": False, "previous": None}))),
    proposal(EventSpec(ASSEMBLY, "ProposalCommented", "proposal_comments",
                       same("author", "identity", "objection", "text_hash"))),
    proposal(EventSpec(ASSEMBLY, "ProposalTallied", "proposal_results",
                       same("passed", "turnout_met", "for_area", "for_heads", "against_area", "against_heads",
                            "abstain_area", "abstain_heads", "total_area", "total_heads", "objection_ends"))),
    proposal(EventSpec(ASSEMBLY, "ProposalQueued", "proposal_actions", cols(eta="etaSeconds"), action("queued"))),
    proposal(EventSpec(ASSEMBLY, "ProposalExecuted", "proposal_actions", cols(), action("executed"))),
    proposal(EventSpec(ASSEMBLY, "ProposalCanceled", "proposal_actions", cols(), action("canceled"))),
    EventSpec(ASSEMBLY, "VotingRulesSet", "voting_rules_changes",
              same("min_notice", "min_voting_period", "max_voting_period", "objection_window", "queue_window")),
    EventSpec(ASSEMBLY, "CosignThresholdSet", "cosign_threshold_changes", same("bps")),
    proposal(EventSpec(ASSEMBLY, "ProposalClassified", "proposal_classes",
                       same("nonce", "matter_major", "calls_major", "major_target", "major_selector",
                            "queue_window"))),
    # PaperBallots: tellers, paper ballots entered and confirmed, the declared count.
    # Its events call the proposal `proposal_id` (a uint256, as a decimal string).
    EventSpec(PAPER, "TellersAppointed", "paper_tellers", same("proposal_id", "tellers", "appointed_by"),
              convert=PROPOSAL_DECIMAL),
    EventSpec(PAPER, "PaperBallotEntered", "paper_ballot_entries",
              same("proposal_id", "identity", "support", "scan_hash", "teller"), convert=PROPOSAL_DECIMAL),
    EventSpec(PAPER, "PaperBallotConfirmed", "paper_ballot_confirmations",
              same("proposal_id", "identity", "support", "scan_hash", "entered_by", "confirmed_by", "area",
                   "replaced_channel"), convert=PROPOSAL_DECIMAL),
    EventSpec(PAPER, "CollectedDeclared", "paper_count_declarations", same("proposal_id", "collected", "teller"),
              convert=PROPOSAL_DECIMAL),
    EventSpec(PAPER, "CollectedConfirmed", "paper_count_confirmations",
              same("proposal_id", "collected", "declared_by", "confirmed_by"), convert=PROPOSAL_DECIMAL),
    # PaperBallots: the result the legal way (preliminary, objections, final).
    EventSpec(PAPER, "PreliminaryResult", "preliminary_results",
              same("proposal_id", "passed", "turnout_met", "for_area", "for_heads", "against_area", "against_heads",
                   "abstain_area", "abstain_heads", "total_area", "total_heads", "paper_ballots", "objection_ends",
                   "published_by"), convert=PROPOSAL_DECIMAL),
    # PaperBallots: the non-voter rule (指导规则 第二十六条第二款), served non-voters, deemed votes.
    EventSpec(PAPER, "NonvoterRuleSet", "nonvoter_rule_changes", cols("from_block", "set_by", rule_on="on")),
    EventSpec(PAPER, "ServiceRecorded", "service_records",
              same("proposal_id", "batch", "identities", "evidence_hash", "teller"), convert=PROPOSAL_DECIMAL),
    EventSpec(PAPER, "ServiceConfirmed", "service_confirmations",
              same("proposal_id", "batch", "identities", "evidence_hash", "area", "heads", "entered_by",
                   "confirmed_by"), convert=PROPOSAL_DECIMAL),
    EventSpec(PAPER, "DeemedVotes", "deemed_votes",
              same("proposal_id", "side", "area", "heads", "served_area", "served_heads", "passed_without",
                   "turnout_met_without"), convert=PROPOSAL_DECIMAL),
    EventSpec(PAPER, "ResultObjected", "result_objections",
              same("proposal_id", "identity", "text_hash", "objections", "owner"), convert=PROPOSAL_DECIMAL),
    EventSpec(PAPER, "FinalResult", "final_results",
              same("proposal_id", "passed", "for_area", "for_heads", "against_area", "against_heads", "abstain_area",
                   "abstain_heads", "objections", "objection_ends", "published_by"), convert=PROPOSAL_DECIMAL),
    # Constitution: what each call a proposal makes needs.
    EventSpec(CONSTITUTION, "CallClassSet", "call_class_changes",
              same("target", "selector", "by_arg", "arg", "call_class", "set_by")),
    # AssemblyTimelock (snekmate timelock_controller): what waits, when, and what ran.
    EventSpec(TIMELOCK, "CallScheduled", "timelock_calls_scheduled",
              cols("target", "amount", "payload", "predecessor", "delay", operation_id="id", call_index="index")),
    EventSpec(TIMELOCK, "CallExecuted", "timelock_calls_executed",
              cols("target", "amount", "payload", operation_id="id", call_index="index")),
    EventSpec(TIMELOCK, "CallSalt", "timelock_salts", cols("salt", operation_id="id")),
    EventSpec(TIMELOCK, "Cancelled", "timelock_cancellations", cols(operation_id="id")),
    EventSpec(TIMELOCK, "MinimumDelayChange", "timelock_delay_changes", same("old_duration", "new_duration")),
    EventSpec(TIMELOCK, "RoleGranted", "timelock_role_changes", cols("role", "account", changed_by="sender"),
              MappingProxyType({"granted": True})),
    EventSpec(TIMELOCK, "RoleRevoked", "timelock_role_changes", cols("role", "account", changed_by="sender"),
              MappingProxyType({"granted": False})),
    # CultureWorks. Token ids (sha256 values) are stored as 0x-hex, the way a bytes32
    # is, so a work id reads as the hash of its file; household keys (an owner's
    # identity + 1, or 2**128 | unit id for a unit's residents) as decimal strings. A
    # mint's `work_id` is its `content_hash`, which the contract makes equal to the token id.
    EventSpec(CULTURE, "WorkMinted", "work_mints", cols("creator", "kind", "title", "uri", "household", work_id="content_hash"),
              convert=DECIMAL_HOUSEHOLD),
    EventSpec(CULTURE, "WorkLiked", "work_likes",
              cols("liker", "creator", "points_minted", "day", "creator_day_total", "household", work_id="token_id"),
              convert=MappingProxyType({**HEX_WORK, **DECIMAL_HOUSEHOLD})),
    EventSpec(CULTURE, "WorkGifted", "work_gifts",
              cols("creator", "recipient", "recipient_household", work_id="token_id"),
              convert=MappingProxyType({**HEX_WORK, "recipient_household": "decimal"})),
    EventSpec(CULTURE, "WorkHidden", "work_visibility_changes",
              cols("reason_hash", work_id="token_id", changed_by="hidden_by"), MappingProxyType({"hidden": True}),
              HEX_WORK),
    EventSpec(CULTURE, "WorkUnhidden", "work_visibility_changes",
              cols("reason_hash", work_id="token_id", changed_by="unhidden_by"), MappingProxyType({"hidden": False}),
              HEX_WORK),
    EventSpec(CULTURE, "Transfer", "work_transfers", cols("sender", "receiver", work_id="token_id"),
              convert=HEX_WORK),
    EventSpec(CULTURE, "ExhibitionCreated", "exhibitions", same("exhibition_id", "title", "created_by")),
    EventSpec(CULTURE, "ExhibitionWorkAdded", "exhibition_changes",
              cols("exhibition_id", "size", work_id="token_id", changed_by="added_by"),
              MappingProxyType({"added": True}), HEX_WORK),
    EventSpec(CULTURE, "ExhibitionWorkRemoved", "exhibition_changes",
              cols("exhibition_id", "size", work_id="token_id", changed_by="removed_by"),
              MappingProxyType({"added": False}), HEX_WORK),
    EventSpec(CULTURE, "LikeRewardSet", "like_reward_changes", same("rate", "daily_cap", "set_by")),
    EventSpec(CULTURE, "GiftsSwitched", "gift_switches", same("enabled", "set_by")),
    EventSpec(CULTURE, "RoleMinterChanged", "culture_minter_changes", same("minter", "status")),
    EventSpec(CULTURE, "OwnershipTransferred", "culture_ownership_changes", same("previous_owner", "new_owner")),
    # CommunityActivities.
    EventSpec(ACTIVITIES, "ActivityCreated", "activities",
              cols("activity_id", "organiser", "created_by", "title", "description_hash", "capacity", "points",
                   "status", starts_at="start", ends_at="end")),
    EventSpec(ACTIVITIES, "ActivityApproved", "activity_approvals", cols("activity_id", approved_by="committee")),
    EventSpec(ACTIVITIES, "ActivityCancelled", "activity_cancellations",
              same("activity_id", "cancelled_by", "reason_hash")),
    EventSpec(ACTIVITIES, "SignedUp", "activity_sign_ups", same("activity_id", "resident", "signed_up"),
              MappingProxyType({"cancelled": False})),
    EventSpec(ACTIVITIES, "SignUpCancelled", "activity_sign_ups", same("activity_id", "resident", "signed_up"),
              MappingProxyType({"cancelled": True})),
    EventSpec(ACTIVITIES, "CheckedIn", "activity_check_ins",
              same("activity_id", "attendee", "checked_in_by", "points", "by_code")),
    EventSpec(ACTIVITIES, "FeedbackGiven", "activity_feedback", same("activity_id", "attendee", "score", "text_hash")),
    EventSpec(ACTIVITIES, "MaxPointsChanged", "activity_max_points_changes", cols("max_points", set_by="committee")),
    # MerchantPromotions.
    EventSpec(PROMOTIONS, "PriceSet", "promotion_prices", cols("placement", "price", set_by="committee")),
    EventSpec(PROMOTIONS, "PromotionBought", "promotions",
              same("placement", "period", "merchant", "price", "period_start", "period_end")),
    # ServiceMarket, SuggestionBox, DataConsent (models in backend/db/models/services.py).
    # No array arguments and no uint256 beyond 64 bits that a real deposit token can
    # reach (amounts < 2**80 fen by the market, counters, 40-bit times), so every
    # column is copied straight from the event. The market's events call the provider
    # `service_provider`; the tables say `provider`.
    EventSpec(SERVICES, "RequestPosted", "service_requests",
              same("request_id", "resident", "category", "description_hash", "budget", "deadline", "posted_at")),
    EventSpec(SERVICES, "OfferMade", "service_offers",
              cols("request_id", "price", "completion_by", "offered_at", "revision", provider="service_provider")),
    EventSpec(SERVICES, "OfferWithdrawn", "service_offer_withdrawals",
              cols("request_id", "withdrawn_at", provider="service_provider")),
    EventSpec(SERVICES, "OfferAccepted", "service_acceptances",
              cols("request_id", "resident", "price", "completion_by", "refund", "fee_bps", "accepted_at",
                   provider="service_provider")),
    EventSpec(SERVICES, "WorkMarkedDone", "service_completions",
              cols("request_id", "done_at", "release_at", provider="service_provider")),
    EventSpec(SERVICES, "RequestDisputed", "service_disputes",
              cols("request_id", "resident", "reason_hash", "escrow", "previous_status", "disputed_at",
                   provider="service_provider")),
    EventSpec(SERVICES, "RequestClosed", "service_closures",
              cols("request_id", "resident", "status", "to_provider", "fee", "to_resident", "decision_hash",
                   "closed_by", "closed_at", provider="service_provider")),
    EventSpec(SERVICES, "ProviderRated", "provider_ratings",
              cols("request_id", "rater", "score", "rating_count", "rating_sum", "points",
                   provider="service_provider")),
    EventSpec(SERVICES, "FeeSet", "service_fee_changes", same("bps", "set_by")),
    EventSpec(SERVICES, "ReleaseDelaySet", "service_release_delay_changes", same("seconds", "set_by")),
    EventSpec(SERVICES, "RatingPointsSet", "service_rating_points_changes", same("amount", "set_by")),
    EventSpec(SERVICES, "MinRatedFeeSet", "service_min_rated_fee_changes", same("fee", "set_by")),
    EventSpec(SUGGESTIONS, "SuggestionSubmitted", "suggestions",
              same("suggestion_id", "submitter", "category", "text_hash", "submitted_at")),
    EventSpec(SUGGESTIONS, "SuggestionAnswered", "suggestion_answers",
              same("suggestion_id", "submitter", "answered_by", "category", "previous_status", "status",
                   "response_hash", "submitted_at", "answered_at", "elapsed", "points")),
    EventSpec(SUGGESTIONS, "RewardRateSet", "suggestion_reward_rate_changes", same("previous", "rate", "set_by")),
    EventSpec(CONSENT, "ConsentGranted", "consent_grants",
              cols("resident", "grantee", "scope", "version", "expiry", "granted_at", "grantee_role", "replaces",
                   grant_reference="reference")),
    EventSpec(CONSENT, "ConsentRenewed", "consent_renewals",
              same("resident", "grantee", "scope", "version", "previous_expiry", "expiry", "renewed_at")),
    EventSpec(CONSENT, "ConsentRevoked", "consent_revocations",
              same("resident", "grantee", "scope", "version", "expiry", "revoked_at")),
    EventSpec(CONSENT, "AccessLogged", "data_access_logs",
              same("resident", "grantee", "scope", "version", "purpose_hash", "accessed_at", "logged_by")),
    EventSpec(CONSENT, "LoggerSet", "consent_logger_changes", same("account", "enabled", "set_by")),
    # NoticeBoard (models in backend/db/models/notices.py).
    EventSpec(NOTICES, "DocumentRegistered", "document_registrations",
              same("doc_hash", "kind", "title", "registered_by", "registered_at")),
    EventSpec(NOTICES, "DocumentWithdrawn", "document_withdrawals",
              same("doc_hash", "reason_hash", "withdrawn_by", "withdrawn_at")),
    EventSpec(NOTICES, "NoticePublished", "notice_publications",
              same("notice_id", "content_hash", "kind", "audience", "building", "title", "documents", "publisher",
                   "published_at")),
    EventSpec(NOTICES, "ProposalNoticed", "proposal_notices",
              same("notice_id", "proposal_id", "vote_start", "vote_end", "snapshot_block", "total_area",
                   "total_heads", "min_notice"), convert=MappingProxyType({"proposal_id": "decimal"})),
    EventSpec(NOTICES, "ReceiptsAnchored", "receipt_batches",
              same("batch", "root", "receipts", "first_acknowledged_at", "last_acknowledged_at", "anchored_by")),
    EventSpec(NOTICES, "AnchorerSet", "notice_anchorer_changes", same("account", "enabled", "set_by")),
)


def specs_by_event() -> dict[tuple[str, str], EventSpec]:
    """(contract, event) -> spec, refusing a duplicate entry or an unknown converter."""
    found: dict[tuple[str, str], EventSpec] = {}
    for spec in EVENT_SPECS:
        key = (spec.contract, spec.event)
        if key in found:
            raise ValueError(f"two specs for {spec.contract}.{spec.event}")
        for column, converter in spec.convert.items():
            if converter not in CONVERTERS:
                raise ValueError(f"{spec.contract}.{spec.event}: unknown converter {converter!r} for {column}")
            if column not in spec.columns:
                raise ValueError(f"{spec.contract}.{spec.event}: converter for unmapped column {column}")
        found[key] = spec
    return found
