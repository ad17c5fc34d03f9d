"""ServiceMarket, SuggestionBox and DataConsent: their event tables, and the
providers' aggregates projected from the market's events.

Every event of the three contracts has its table. Request, suggestion and grant
states (open, accepted …; submitted, done …; live, expired, revoked …) are derived
from the event tables at read time: each moves through a short, fixed lifecycle with
at most one event per step, so a state is a few indexed lookups and a reorganisation
needs nothing rebuilt for them. Provider aggregates are the exception: ranking every
provider for a request reads them all, so they are kept in `service_providers` and
`service_provider_categories`, moved forward by backend/indexer/services_projection.py.

Amounts are in fen (the settlement token has 2 decimals). The market bounds them by
2**80; on SQLite (64 bits) an amount above 2**63 - 1 fen cannot be stored, as for
PropertyFees: no deposit token holds that much. Scopes, purposes, references and
texts are hashes: nothing personal is stored.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Address, Base, EventRow, Hash32, Uint256, by_position


def _by_request(table: str) -> Index:
    return Index(f"ix_{table}_request", "community", "request_id")


# --------------------------------------------------------------------- ServiceMarket


class ServiceRequestPosted(EventRow, Base):
    """RequestPosted: a resident's request, its budget escrowed."""

    __tablename__ = "service_requests"
    __table_args__ = (
        by_position("service_requests"),
        _by_request("service_requests"),
        Index("ix_service_requests_resident", "community", "resident", "block_number", "log_index"),
        Index("ix_service_requests_category", "community", "category", "block_number", "log_index"),
    )

    request_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    resident: Mapped[str] = Address(nullable=False)
    category: Mapped[int] = mapped_column(Integer, nullable=False)
    description_hash: Mapped[str] = Hash32(nullable=False)
    budget: Mapped[int] = mapped_column(Uint256, nullable=False)
    deadline: Mapped[int] = mapped_column(BigInteger, nullable=False)
    posted_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ServiceOfferMade(EventRow, Base):
    """OfferMade: a provider's offer on an open request, or its revision."""

    __tablename__ = "service_offers"
    __table_args__ = (
        by_position("service_offers"),
        Index("ix_service_offers_request", "community", "request_id", "provider"),
        Index("ix_service_offers_provider", "community", "provider", "block_number", "log_index"),
    )

    request_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    provider: Mapped[str] = Address(nullable=False)
    price: Mapped[int] = mapped_column(Uint256, nullable=False)
    completion_by: Mapped[int] = mapped_column(BigInteger, nullable=False)
    offered_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    revision: Mapped[bool] = mapped_column(Boolean, nullable=False)


class ServiceOfferWithdrawn(EventRow, Base):
    __tablename__ = "service_offer_withdrawals"
    __table_args__ = (
        by_position("service_offer_withdrawals"),
        Index("ix_service_offer_withdrawals_request", "community", "request_id", "provider"),
    )

    request_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    provider: Mapped[str] = Address(nullable=False)
    withdrawn_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ServiceOfferAccepted(EventRow, Base):
    """OfferAccepted: the deal; `refund` (budget - price) went back to the resident."""

    __tablename__ = "service_acceptances"
    __table_args__ = (
        by_position("service_acceptances"),
        _by_request("service_acceptances"),
        Index("ix_service_acceptances_provider", "community", "provider"),
    )

    request_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    resident: Mapped[str] = Address(nullable=False)
    provider: Mapped[str] = Address(nullable=False)
    price: Mapped[int] = mapped_column(Uint256, nullable=False)
    completion_by: Mapped[int] = mapped_column(BigInteger, nullable=False)
    refund: Mapped[int] = mapped_column(Uint256, nullable=False)
    fee_bps: Mapped[int] = mapped_column(Integer, nullable=False)
    accepted_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ServiceWorkDone(EventRow, Base):
    """WorkMarkedDone: released to the provider at `release_at` unless confirmed or disputed."""

    __tablename__ = "service_completions"
    __table_args__ = (by_position("service_completions"), _by_request("service_completions"))

    request_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    provider: Mapped[str] = Address(nullable=False)
    done_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    release_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ServiceRequestDisputed(EventRow, Base):
    __tablename__ = "service_disputes"
    __table_args__ = (by_position("service_disputes"), _by_request("service_disputes"))

    request_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    resident: Mapped[str] = Address(nullable=False)
    provider: Mapped[str] = Address(nullable=False)
    reason_hash: Mapped[str] = Hash32(nullable=False)
    escrow: Mapped[int] = mapped_column(Uint256, nullable=False)
    previous_status: Mapped[int] = mapped_column(Integer, nullable=False)
    disputed_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ServiceRequestClosed(EventRow, Base):
    """RequestClosed: confirmed, released, resolved, cancelled or reclaimed; no escrow left."""

    __tablename__ = "service_closures"
    __table_args__ = (
        by_position("service_closures"),
        _by_request("service_closures"),
        Index("ix_service_closures_provider", "community", "provider"),
    )

    request_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    resident: Mapped[str] = Address(nullable=False)
    provider: Mapped[str] = Address(nullable=False)
    status: Mapped[int] = mapped_column(Integer, nullable=False)
    to_provider: Mapped[int] = mapped_column(Uint256, nullable=False)
    fee: Mapped[int] = mapped_column(Uint256, nullable=False)
    to_resident: Mapped[int] = mapped_column(Uint256, nullable=False)
    decision_hash: Mapped[str] = Hash32(nullable=False)
    closed_by: Mapped[str] = Address(nullable=False)
    closed_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ProviderRated(EventRow, Base):
    """ProviderRated: a resident's 1-5 score of a finished job, with the provider's running totals."""

    __tablename__ = "provider_ratings"
    __table_args__ = (
        by_position("provider_ratings"),
        _by_request("provider_ratings"),
        Index("ix_provider_ratings_provider", "community", "provider", "block_number", "log_index"),
    )

    request_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    provider: Mapped[str] = Address(nullable=False)
    rater: Mapped[str] = Address(nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    rating_count: Mapped[int] = mapped_column(BigInteger, nullable=False)
    rating_sum: Mapped[int] = mapped_column(BigInteger, nullable=False)
    points: Mapped[int] = mapped_column(Uint256, nullable=False)


class ServiceFeeSet(EventRow, Base):
    """FeeSet: the platform fee on later acceptances, bps of the price."""

    __tablename__ = "service_fee_changes"
    __table_args__ = (by_position("service_fee_changes"),)

    bps: Mapped[int] = mapped_column(Integer, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


class ServiceReleaseDelaySet(EventRow, Base):
    __tablename__ = "service_release_delay_changes"
    __table_args__ = (by_position("service_release_delay_changes"),)

    seconds: Mapped[int] = mapped_column(BigInteger, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


class ServiceRatingPointsSet(EventRow, Base):
    __tablename__ = "service_rating_points_changes"
    __table_args__ = (by_position("service_rating_points_changes"),)

    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


class ServiceMinRatedFeeSet(EventRow, Base):
    """MinRatedFeeSet: the least platform fee (fen) a job pays for its rating to earn points."""

    __tablename__ = "service_min_rated_fee_changes"
    __table_args__ = (by_position("service_min_rated_fee_changes"),)

    fee: Mapped[int] = mapped_column(Uint256, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


# --------------------------------------------------------------------- providers (projection)


class ServiceProvider(Base):
    """A provider's aggregates over the market's events (sums, so the order of
    events does not matter and a rebuild gives the same row)."""

    __tablename__ = "service_providers"

    community: Mapped[str] = Address(primary_key=True)
    provider: Mapped[str] = Address(primary_key=True)
    # Fresh offers (revisions not counted; an offer made again after a withdrawal counts again).
    offers: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    offers_withdrawn: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Sum of fresh offers' response times (offer time - request time), each capped (see the projection).
    response_seconds: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    jobs_accepted: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Sum over accepted jobs of price / budget in millionths (the price history).
    price_ratio_ppm: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Confirmed or released, as the contract's jobs_completed.
    jobs_completed: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    jobs_released: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    disputes_raised: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Resolved by the committee, as the contract's jobs_disputed.
    disputes_resolved: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    jobs_reclaimed: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    rating_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    rating_sum: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    earned: Mapped[int] = mapped_column(Uint256, nullable=False, default=0)
    fees_paid: Mapped[int] = mapped_column(Uint256, nullable=False, default=0)


class ServiceProviderCategory(Base):
    """A provider's history in one category: what category fit is measured on."""

    __tablename__ = "service_provider_categories"
    __table_args__ = (Index("ix_service_provider_categories_category", "community", "category"),)

    community: Mapped[str] = Address(primary_key=True)
    provider: Mapped[str] = Address(primary_key=True)
    category: Mapped[int] = mapped_column(Integer, primary_key=True)
    offers: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    jobs_accepted: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    jobs_completed: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    earned: Mapped[int] = mapped_column(Uint256, nullable=False, default=0)


# --------------------------------------------------------------------- SuggestionBox


class SuggestionSubmitted(EventRow, Base):
    __tablename__ = "suggestions"
    __table_args__ = (
        by_position("suggestions"),
        Index("ix_suggestions_suggestion", "community", "suggestion_id"),
        Index("ix_suggestions_submitter", "community", "submitter", "block_number", "log_index"),
        Index("ix_suggestions_category", "community", "category", "block_number", "log_index"),
    )

    suggestion_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    submitter: Mapped[str] = Address(nullable=False)
    category: Mapped[int] = mapped_column(Integer, nullable=False)
    text_hash: Mapped[str] = Hash32(nullable=False)
    submitted_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class SuggestionAnswered(EventRow, Base):
    """SuggestionAnswered: one status change, with the seconds since submission."""

    __tablename__ = "suggestion_answers"
    __table_args__ = (
        by_position("suggestion_answers"),
        Index("ix_suggestion_answers_suggestion", "community", "suggestion_id", "block_number", "log_index"),
    )

    suggestion_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    submitter: Mapped[str] = Address(nullable=False)
    answered_by: Mapped[str] = Address(nullable=False)
    category: Mapped[int] = mapped_column(Integer, nullable=False)
    previous_status: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[int] = mapped_column(Integer, nullable=False)
    response_hash: Mapped[str] = Hash32(nullable=False)
    submitted_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    answered_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    elapsed: Mapped[int] = mapped_column(BigInteger, nullable=False)
    points: Mapped[int] = mapped_column(Uint256, nullable=False)


class SuggestionRewardRateSet(EventRow, Base):
    __tablename__ = "suggestion_reward_rate_changes"
    __table_args__ = (by_position("suggestion_reward_rate_changes"),)

    previous: Mapped[int] = mapped_column(Uint256, nullable=False)
    rate: Mapped[int] = mapped_column(Uint256, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


# --------------------------------------------------------------------- DataConsent


def _by_triple(table: str) -> Index:
    return Index(f"ix_{table}_triple", "community", "resident", "grantee", "scope", "version")


class ConsentGranted(EventRow, Base):
    """ConsentGranted: version `version` of a resident's grant to a grantee for a scope."""

    __tablename__ = "consent_grants"
    __table_args__ = (
        by_position("consent_grants"),
        _by_triple("consent_grants"),
        Index("ix_consent_grants_grantee", "community", "grantee", "block_number", "log_index"),
    )

    resident: Mapped[str] = Address(nullable=False)
    grantee: Mapped[str] = Address(nullable=False)
    scope: Mapped[str] = Hash32(nullable=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    expiry: Mapped[int] = mapped_column(BigInteger, nullable=False)
    granted_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    grant_reference: Mapped[str] = Hash32(nullable=False)
    grantee_role: Mapped[str] = Hash32(nullable=False)
    replaces: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ConsentRenewed(EventRow, Base):
    __tablename__ = "consent_renewals"
    __table_args__ = (by_position("consent_renewals"), _by_triple("consent_renewals"))

    resident: Mapped[str] = Address(nullable=False)
    grantee: Mapped[str] = Address(nullable=False)
    scope: Mapped[str] = Hash32(nullable=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    previous_expiry: Mapped[int] = mapped_column(BigInteger, nullable=False)
    expiry: Mapped[int] = mapped_column(BigInteger, nullable=False)
    renewed_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ConsentRevoked(EventRow, Base):
    __tablename__ = "consent_revocations"
    __table_args__ = (by_position("consent_revocations"), _by_triple("consent_revocations"))

    resident: Mapped[str] = Address(nullable=False)
    grantee: Mapped[str] = Address(nullable=False)
    scope: Mapped[str] = Hash32(nullable=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    expiry: Mapped[int] = mapped_column(BigInteger, nullable=False)
    revoked_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class DataAccessLogged(EventRow, Base):
    """AccessLogged: a grantee read `scope` of a resident's data, for `purpose_hash`."""

    __tablename__ = "data_access_logs"
    __table_args__ = (
        by_position("data_access_logs"),
        Index("ix_data_access_logs_resident", "community", "resident", "block_number", "log_index"),
        Index("ix_data_access_logs_grantee", "community", "grantee", "block_number", "log_index"),
    )

    resident: Mapped[str] = Address(nullable=False)
    grantee: Mapped[str] = Address(nullable=False)
    scope: Mapped[str] = Hash32(nullable=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    purpose_hash: Mapped[str] = Hash32(nullable=False)
    accessed_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    logged_by: Mapped[str] = Address(nullable=False)


class ConsentLoggerSet(EventRow, Base):
    """LoggerSet: an account (the vault's) appointed or removed as access logger."""

    __tablename__ = "consent_logger_changes"
    __table_args__ = (by_position("consent_logger_changes"),)

    account: Mapped[str] = Address(nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)
