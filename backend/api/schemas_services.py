"""Response models of the service market, suggestions and data consent routes.

Amounts in fen (the settlement token has 2 decimals); times are Unix seconds (block
timestamps); durations in seconds. Description, reason, decision, text, response,
scope, purpose and reference are hashes: the texts and the data stay off chain.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from backend.api.schemas import EventPosition, IndexPosition

# ----------------------------------------------------------------------- ServiceMarket


class ServiceSettingChangeOut(EventPosition):
    setting: str = Field(description="fee_bps, release_delay or rating_points")
    value: int
    set_by: str


class ServiceMarketOut(IndexPosition):
    market_contract: str
    fee_bps: int = Field(description="Platform fee on new acceptances, bps of the price")
    release_delay: int = Field(description="Seconds work marked done waits before anyone can release it")
    rating_points: int = Field(description="Points minted to a resident per rating")
    requests: int
    requests_by_status: dict[str, int]
    escrow_held: int = Field(description="Escrow of the requests not closed: what the market holds")
    paid_to_providers: int = Field(description="Net of fees")
    fees_to_public_income: int
    refunded_to_residents: int = Field(description="Budget above the price at acceptance, cancellations, "
                                       "reclaims and the residents' part of dispute splits")
    providers: int = Field(description="Accounts holding the provider role now")
    settings_changes: list[ServiceSettingChangeOut]


class ServiceCategoryOut(BaseModel):
    category: int
    label: str | None = Field(description="The API's name of the category (null for an unnamed number)")
    requests: int
    open_requests: int
    providers_with_history: int


class ServiceCategoriesOut(IndexPosition):
    items: list[ServiceCategoryOut]


class ServiceRequestOut(EventPosition):
    request_id: int
    resident: str
    category: int
    category_label: str | None
    description_hash: str
    budget: int
    deadline: int
    posted_at: int
    status: str = Field(description="open, accepted, done, disputed, confirmed, released, resolved, cancelled, "
                        "reclaimed")
    status_code: int = Field(description="The contract's status number (1 open … 9 reclaimed)")
    provider: str | None = Field(description="The provider whose offer was accepted")
    price: int | None
    escrow: int = Field(description="Held for the request now: the budget while open, the price once accepted, "
                        "0 once closed")


class OfferOut(BaseModel):
    """A provider's offer on a request as it stands (the contract's `offer` view)."""

    provider: str
    price: int = Field(description="0 once withdrawn")
    completion_by: int = Field(description="0 once withdrawn")
    first_offered_at: int
    offered_at: int = Field(description="Time of the offer's latest version")
    response_seconds: int = Field(description="First offer time minus the request's time")
    revisions: int
    withdrawn: bool
    accepted: bool


class OfferEventOut(EventPosition):
    request_id: int
    provider: str
    kind: str = Field(description="offer, revision or withdrawal")
    price: int | None
    completion_by: int | None
    at: int


class AcceptanceOut(EventPosition):
    provider: str
    price: int
    completion_by: int
    refund: int
    fee_bps: int
    accepted_at: int


class CompletionOut(EventPosition):
    done_at: int
    release_at: int


class DisputeOut(EventPosition):
    reason_hash: str
    escrow: int
    previous_status: str
    disputed_at: int


class ClosureOut(EventPosition):
    status: str
    to_provider: int
    fee: int
    to_resident: int
    decision_hash: str | None = Field(description="The committee's decision (resolved disputes only)")
    closed_by: str
    closed_at: int


class RatingOut(EventPosition):
    request_id: int
    provider: str
    rater: str
    score: int
    points: int = Field(description="Points minted to the rater")


class ServiceRequestDetail(IndexPosition, ServiceRequestOut):
    fee_bps: int | None = Field(description="Fee fixed at acceptance")
    releasable: bool = Field(description="Done, and the release time passed at the indexed head: anyone can release")
    reclaimable: bool = Field(description="Accepted, not done, and the deadline passed: the resident can reclaim")
    rated: bool
    time_to_first_offer: int | None
    time_to_acceptance: int | None
    offers: list[OfferOut]
    offer_events: list[OfferEventOut]
    acceptance: AcceptanceOut | None
    completion: CompletionOut | None
    dispute: DisputeOut | None
    closure: ClosureOut | None
    rating: RatingOut | None


class ScoreComponentOut(BaseModel):
    name: str
    weight: float
    value: float = Field(description="In [0, 1]")
    contribution: float = Field(description="weight × value")
    explanation: str


class RecommendationOut(BaseModel):
    rank: int
    provider: str
    score: float = Field(description="Sum of the components' contributions, in [0, 1]")
    components: list[ScoreComponentOut]
    jobs_completed: int
    category_jobs_completed: int
    category_offers: int = Field(description="Fresh offers in the request's category (category_fit counts the "
                                             "ones beyond the completed jobs at a quarter each)")
    rating_count: int
    rating_average: float | None
    mean_response_seconds: float | None
    mean_price_ratio: float | None = Field(description="Mean price / budget of the accepted jobs")
    expected_price: int | None = Field(description="mean_price_ratio × this request's budget")
    offered: bool = Field(description="Has a standing offer on this request")
    offer_price: int | None
    offer_completion_by: int | None


class RecommendationsOut(IndexPosition):
    request_id: int
    category: int
    category_label: str | None
    budget: int
    formula: str
    weights: dict[str, float]
    rating_prior_mean: float = Field(description="Stars of the pseudo-ratings every provider starts with")
    rating_prior_weight: int = Field(description="How many pseudo-ratings")
    candidates: int = Field(description="Providers ranked (holders of the provider role, the resident excepted)")
    items: list[RecommendationOut]


class ProviderCategoryOut(BaseModel):
    category: int
    label: str | None
    offers: int
    jobs_accepted: int
    jobs_completed: int
    earned: int


class ProviderOut(BaseModel):
    provider: str
    holds_provider_role: bool
    offers: int
    offers_withdrawn: int
    mean_response_seconds: float | None = Field(description="Offer time minus request time, each capped at 7 days")
    jobs_accepted: int
    jobs_completed: int = Field(description="Confirmed or released (the contract's jobs_completed)")
    jobs_released: int = Field(description="Of which released without the resident's confirmation")
    jobs_disputed: int = Field(description="Disputes resolved by the committee (the contract's jobs_disputed)")
    disputes_raised: int
    jobs_reclaimed: int = Field(description="Accepted jobs not done by the deadline, refunded to the resident")
    rating_count: int
    rating_sum: int
    rating_average: float | None
    bayesian_rating: float = Field(description="Mean score after 5 pseudo-ratings of 3 stars (see recommendations)")
    earned: int = Field(description="Paid to the provider, net of fees")
    fees_paid: int
    mean_price_ratio: float | None = Field(description="Mean price / budget of the accepted jobs")


class ProviderDetail(IndexPosition, ProviderOut):
    categories: list[ProviderCategoryOut]
    recent_ratings: list[RatingOut] = Field(description="The latest 20 ratings, newest first")


# ----------------------------------------------------------------------- SuggestionBox


class SuggestionOut(EventPosition):
    suggestion_id: int
    submitter: str
    category: int
    text_hash: str
    submitted_at: int
    status: str = Field(description="submitted, received, accepted, in_progress, done, declined")
    status_code: int
    updated_at: int = Field(description="Time of the latest answer (the submission while unanswered)")
    response_hash: str | None = Field(description="The latest response text's hash")
    answers: int
    time_to_first_answer: int | None
    time_to_close: int | None = Field(description="Seconds to done or declined")
    points: int = Field(description="Points the submitter earned by acceptance")


class SuggestionAnswerOut(EventPosition):
    answered_by: str
    previous_status: str
    status: str
    response_hash: str | None
    answered_at: int
    elapsed: int = Field(description="Seconds since the submission")
    points: int


class SuggestionDetail(IndexPosition, SuggestionOut):
    age: int = Field(description="Seconds from submission to the close, or to the indexed head while open")
    time_to_acceptance: int | None
    history: list[SuggestionAnswerOut]


class DurationStats(BaseModel):
    count: int
    mean: float | None
    median: float | None
    p90: float | None
    max: int | None


class SuggestionCategoryStats(BaseModel):
    category: int
    submitted: int
    open: int
    done: int
    declined: int
    median_time_to_first_answer: float | None


class SuggestionStatsOut(IndexPosition):
    submitted: int
    by_status: dict[str, int]
    open: int
    oldest_open_age: int | None = Field(description="Seconds the oldest unclosed suggestion has waited")
    unanswered: int
    time_to_first_answer: DurationStats
    time_to_acceptance: DurationStats
    time_to_done: DurationStats
    time_to_decline: DurationStats
    acceptance_rate: float | None = Field(description="Accepted (ever) / closed or accepted")
    points_awarded: int
    reward_rate: int = Field(description="Points an acceptance earns now")
    by_category: list[SuggestionCategoryStats]


# ----------------------------------------------------------------------- DataConsent


class GrantOut(EventPosition):
    resident: str
    grantee: str
    scope: str = Field(description="keccak256 of the scope's name")
    version: int
    state: str = Field(description="live, expired, revoked, superseded (a newer grant replaced it while live) or "
                       "role_lost (the grantee no longer holds the role it was granted as)")
    live: bool
    granted_at: int
    expiry: int = Field(description="After renewals (exclusive)")
    original_expiry: int
    renewals: int
    revoked_at: int | None
    reference: str = Field(description="What the grant is for, as the resident gave it (a hash or an id)")
    grantee_role: str = Field(description="provider, manager, merchant or committee")
    grantee_role_id: str
    replaces: int = Field(description="The live version this grant superseded (0: none)")
    accesses: int = Field(description="Accesses logged under this version")
    last_accessed_at: int | None


class AccessOut(EventPosition):
    resident: str
    grantee: str
    scope: str
    version: int = Field(description="The grant version the access was made under")
    purpose_hash: str
    accessed_at: int
    logged_by: str


class LoggerOut(EventPosition):
    account: str
    enabled: bool
    set_by: str
    changes: int


class LoggersOut(IndexPosition):
    items: list[LoggerOut]
