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
Arguments the bulk insert cannot take as they are (arrays for JSON columns, uint256
values beyond SQLite's 64 bits such as proposal ids) are left out of `columns` and
named in RAW_JSON_COLUMNS / PROPOSAL_ID_TABLES: the projection fills them from the
raw event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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


def same(*names: str) -> Mapping[str, str]:
    """Columns named like the event's arguments."""
    return MappingProxyType({name: name for name in names})


def cols(*names: str, **renamed: str) -> Mapping[str, str]:
    """Columns named like the arguments, plus `column="argument"` renames."""
    return MappingProxyType({**{name: name for name in names}, **renamed})


REGISTRY = "HouseholdRegistry"
POINTS = "CommunityPoints"
FEES = "PropertyFees"
ASSEMBLY = "OwnersAssembly"
SERVICES = "ServiceMarket"
SUGGESTIONS = "SuggestionBox"
CONSENT = "DataConsent"


def setting(name: str) -> Mapping[str, Any]:
    return MappingProxyType({"setting": name})


def action(name: str) -> Mapping[str, Any]:
    return MappingProxyType({"action": name})

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
    EventSpec(REGISTRY, "TransferCancelled", "unit_transfer_cancellations", same("unit_id", "cancelled_by")),
    EventSpec(REGISTRY, "UnitTransferred", "unit_transfers",
              same("unit_id", "previous_owner", "new_owner", "label", "area", "previous_identity", "new_identity",
                   "commitment")),
    EventSpec(REGISTRY, "RecoveryRequested", "recovery_requests",
              same("identity", "current_wallet", "new_wallet", "eta")),
    EventSpec(REGISTRY, "RecoveryCancelled", "recovery_cancellations", same("identity", "cancelled_by")),
    EventSpec(REGISTRY, "WalletRecovered", "wallet_recoveries",
              same("identity", "previous_wallet", "new_wallet", "commitment")),
    # Residents who are not owners.
    EventSpec(REGISTRY, "ResidentLinked", "resident_changes",
              cols("unit_id", "wallet", "commitment", changed_by="linked_by"), MappingProxyType({"linked": True})),
    EventSpec(REGISTRY, "ResidentUnlinked", "resident_changes",
              cols("unit_id", "wallet", changed_by="unlinked_by"),
              MappingProxyType({"linked": False, "commitment": None})),
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
    # PropertyFees: payments, points, treasury, budgets, service contracts, settings,
    # maintenance fund, satisfaction.
    EventSpec(FEES, "FeePaid", "fee_payments",
              same("unit_id", "payer", "from_month", "to_month", "dues", "late_fee", "amount", "to_maintenance",
                   "points")),
    EventSpec(FEES, "PointsClaimed", "fee_points_claims", same("unit_id", "claimant", "amount")),
    EventSpec(FEES, "PublicIncomeReceived", "public_incomes", same("payer", "source", "amount", "paid_by")),
    EventSpec(FEES, "MaintenanceDeposited", "maintenance_deposits", same("depositor", "amount", "source")),
    EventSpec(FEES, "ExpenseRecorded", "expenses",
              same("expense_id", "category", "payee", "amount", "invoice_hash", "period", "fund", "budget_spent",
                   "recorded_by")),
    EventSpec(FEES, "BudgetApproved", "budget_approvals", same("year", "category", "amount", "spent", "approved_by")),
    EventSpec(FEES, "ServiceContractProposed", "service_contract_proposals",
              same("contract_id", "company", "doc_hash", "start_month", "end_month", "rate", "proposed_by")),
    EventSpec(FEES, "ServiceContractApproved", "service_contract_approvals",
              same("contract_id", "company", "start_month", "rate", "segment", "approved_by")),
    EventSpec(FEES, "LateFeeSet", "fee_settings", cols(value="rate_bps", value2="cap_bps"), setting("late_fee")),
    EventSpec(FEES, "PrepayLimitSet", "fee_settings", cols(value="months"), setting("prepay_limit")),
    EventSpec(FEES, "PointsRateSet", "fee_settings", cols(value="rate"), setting("points_rate")),
    EventSpec(FEES, "BillingStartSet", "fee_settings", cols(value="month"), setting("billing_start")),
    EventSpec(FEES, "MaintenanceShareSet", "fee_settings", cols("set_by", value="bps"), setting("maintenance_share")),
    EventSpec(FEES, "UnitBillingStartSet", "unit_billing_starts", same("unit_id", "month")),
    EventSpec(FEES, "GovernanceSet", "fee_governance_changes", same("previous", "governance", "set_by")),
    EventSpec(FEES, "MaintenanceProjectApproved", "maintenance_projects",
              same("project_id", "payee", "total", "doc_hash", "reserved_after")),
    EventSpec(FEES, "MilestoneReleased", "milestone_releases",
              cols("project_id", "payee", "amount", "remaining", milestone_index="index")),
    EventSpec(FEES, "ServiceRated", "service_ratings", same("period", "identity", "rater", "score", "count", "total")),
    # OwnersAssembly. `proposal_id` is not mapped here: proposal ids are uint256
    # hashes, so projections.fill_from_raw writes them as decimal strings.
    EventSpec(ASSEMBLY, "ProposalCreated", "proposal_creations",
              cols("proposer", vote_start="voteStart", vote_end="voteEnd", title="description")),
    EventSpec(ASSEMBLY, "ProposalDetails", "proposal_details",
              same("proposer", "matter", "major", "doc_hash", "snapshot_block", "total_area", "total_heads",
                   "cosigners_required", "objection_window")),
    EventSpec(ASSEMBLY, "ProposalCosigned", "proposal_cosigns",
              same("owner", "identity", "cosigners", "required", "supported")),
    EventSpec(ASSEMBLY, "VoteCast", "votes", same("voter", "support", "weight")),
    EventSpec(ASSEMBLY, "VoteTallied", "vote_tallies", same("support", "area", "heads")),
    EventSpec(ASSEMBLY, "DelegateVoteCast", "delegate_votes", same("delegate", "owner", "identity")),
    EventSpec(ASSEMBLY, "DelegationSet", "delegation_changes", same("owner", "delegate", "identity", "previous"),
              MappingProxyType({"active": True})),
    EventSpec(ASSEMBLY, "DelegationRevoked", "delegation_changes", same("owner", "delegate", "identity"),
              MappingProxyType({"active": False, "previous": None})),
    EventSpec(ASSEMBLY, "ProposalCommented", "proposal_comments", same("author", "identity", "objection", "text_hash")),
    EventSpec(ASSEMBLY, "ProposalTallied", "proposal_results",
              same("passed", "turnout_met", "for_area", "for_heads", "against_area", "against_heads", "abstain_area",
                   "abstain_heads", "total_area", "total_heads", "objection_ends")),
    EventSpec(ASSEMBLY, "ProposalQueued", "proposal_actions", cols(eta="etaSeconds"), action("queued")),
    EventSpec(ASSEMBLY, "ProposalExecuted", "proposal_actions", cols(), action("executed")),
    EventSpec(ASSEMBLY, "ProposalCanceled", "proposal_actions", cols(), action("canceled")),
    EventSpec(ASSEMBLY, "VotingRulesSet", "voting_rules_changes",
              same("min_notice", "min_voting_period", "max_voting_period", "objection_window")),
    EventSpec(ASSEMBLY, "MajorCallSet", "major_call_changes", same("target", "selector", "major")),

    # ------------------------------------------------ SERVICES / SUGGESTIONS / CONSENT
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
)

# Columns filled by projections.fill_from_raw from the raw event's arguments, in the
# batch's transaction, because the bulk insert copies arguments unconverted:
# - array arguments into JSON columns (table -> {column: argument});
RAW_JSON_COLUMNS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "service_contract_proposals": same("service_items"),
    "maintenance_projects": same("milestones"),
    "proposal_creations": cols("targets", "calldatas", call_values="values"),
})
# - proposal ids (uint256, beyond SQLite's 64-bit INTEGER) as decimal strings into
#   `proposal_id` (table -> argument).
PROPOSAL_ID_TABLES: Mapping[str, str] = MappingProxyType({
    spec.table: "proposalId" for spec in EVENT_SPECS if spec.contract == ASSEMBLY
    and spec.table not in ("voting_rules_changes", "major_call_changes")
})


def specs_by_event() -> dict[tuple[str, str], EventSpec]:
    """(contract, event) -> spec, refusing a duplicate entry."""
    found: dict[tuple[str, str], EventSpec] = {}
    for spec in EVENT_SPECS:
        key = (spec.contract, spec.event)
        if key in found:
            raise ValueError(f"two specs for {spec.contract}.{spec.event}")
        found[key] = spec
    return found
