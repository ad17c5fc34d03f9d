"""CultureWorks, CommunityActivities and MerchantPromotions event tables."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Address, Base, EventRow, Hash32, Uint256, by_position

# --------------------------------------------------------------------- CultureWorks
#
# Event tables only: a work's likes, owner, visibility and exhibitions are read from
# them at request time (a community has hundreds of works, not millions), so a
# reorganisation needs no state table rebuilt.
#
# A work's token id is the sha256 of its file (a uint256 far beyond 64 bits), so
# `work_id` holds it as a bytes32 would be written: 0x + 64 lower-case hex digits,
# i.e. the file's sha256 as anyone computes it. `work_mints` takes it straight from
# the event's `content_hash` (the contract makes the two equal); the other tables
# convert the token id as it is decoded (specs.HEX_WORK). Household keys reach 2**128
# (resident households), so they are decimal strings (specs.DECIMAL_HOUSEHOLD).


def WorkId(nullable: bool = True) -> Mapped[str | None]:
    return Hash32(nullable=nullable)


def HouseholdKey() -> Mapped[str | None]:
    return mapped_column(String(78), nullable=True)


class WorkMint(EventRow, Base):
    """WorkMinted: a resident registers a work; the title lives only in this event."""

    __tablename__ = "work_mints"
    __table_args__ = (
        by_position("work_mints"),
        Index("ix_work_mints_work", "community", "work_id"),
        Index("ix_work_mints_creator", "community", "creator", "block_number", "log_index"),
        Index("ix_work_mints_kind", "community", "kind", "block_number", "log_index"),
    )

    work_id: Mapped[str] = WorkId(nullable=False)
    creator: Mapped[str] = Address(nullable=False)
    household: Mapped[str | None] = HouseholdKey()
    kind: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    uri: Mapped[str] = mapped_column(Text, nullable=False)


class WorkLike(EventRow, Base):
    """WorkLiked: one household's like and the points it minted to the creator."""

    __tablename__ = "work_likes"
    __table_args__ = (
        by_position("work_likes"),
        Index("ix_work_likes_work", "community", "work_id", "block_number", "log_index"),
        Index("ix_work_likes_creator", "community", "creator"),
        Index("ix_work_likes_liker", "community", "liker"),
    )

    work_id: Mapped[str | None] = WorkId()
    liker: Mapped[str] = Address(nullable=False)
    household: Mapped[str | None] = HouseholdKey()
    creator: Mapped[str] = Address(nullable=False)
    points_minted: Mapped[int] = mapped_column(Uint256, nullable=False)
    # Beijing day index (days since 1970-01-01 in UTC+8) and the creator's like points that day.
    day: Mapped[int] = mapped_column(BigInteger, nullable=False)
    creator_day_total: Mapped[int] = mapped_column(Uint256, nullable=False)


class WorkGift(EventRow, Base):
    """WorkGifted: the creator's one-time gift of the work to another resident."""

    __tablename__ = "work_gifts"
    __table_args__ = (by_position("work_gifts"), Index("ix_work_gifts_work", "community", "work_id"))

    work_id: Mapped[str | None] = WorkId()
    creator: Mapped[str] = Address(nullable=False)
    recipient: Mapped[str] = Address(nullable=False)
    recipient_household: Mapped[str | None] = HouseholdKey()


class WorkVisibilityChange(EventRow, Base):
    """WorkHidden (hidden) and WorkUnhidden (not hidden): the committee's curation.
    A work's latest row says whether it is hidden now, and why."""

    __tablename__ = "work_visibility_changes"
    __table_args__ = (
        by_position("work_visibility_changes"),
        Index("ix_work_visibility_changes_work", "community", "work_id", "block_number", "log_index"),
    )

    work_id: Mapped[str | None] = WorkId()
    hidden: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reason_hash: Mapped[str] = Hash32(nullable=False)
    changed_by: Mapped[str] = Address(nullable=False)


class WorkTransfer(EventRow, Base):
    """ERC-721 Transfer: a mint (from the zero address) or a gift; works are not tradeable."""

    __tablename__ = "work_transfers"
    __table_args__ = (by_position("work_transfers"), Index("ix_work_transfers_work", "community", "work_id"))

    sender: Mapped[str] = Address(nullable=False)
    receiver: Mapped[str] = Address(nullable=False)
    work_id: Mapped[str | None] = WorkId()


class Exhibition(EventRow, Base):
    """ExhibitionCreated: a named exhibition the committee curates (ids 1, 2, …)."""

    __tablename__ = "exhibitions"
    __table_args__ = (by_position("exhibitions"), Index("ix_exhibitions_id", "community", "exhibition_id"))

    exhibition_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    created_by: Mapped[str] = Address(nullable=False)


class ExhibitionChange(EventRow, Base):
    """ExhibitionWorkAdded (added) and ExhibitionWorkRemoved (not added); the latest row
    of an (exhibition, work) says whether the work is shown there now."""

    __tablename__ = "exhibition_changes"
    __table_args__ = (
        by_position("exhibition_changes"),
        Index("ix_exhibition_changes_exhibition", "community", "exhibition_id", "block_number", "log_index"),
        Index("ix_exhibition_changes_work", "community", "work_id", "exhibition_id"),
    )

    exhibition_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    work_id: Mapped[str | None] = WorkId()
    added: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # Works in the exhibition after this change.
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    changed_by: Mapped[str] = Address(nullable=False)


class LikeRewardChange(EventRow, Base):
    """LikeRewardSet: points per like and the daily cap per creator (each below 2**64)."""

    __tablename__ = "like_reward_changes"
    __table_args__ = (by_position("like_reward_changes"),)

    rate: Mapped[int] = mapped_column(Uint256, nullable=False)
    daily_cap: Mapped[int] = mapped_column(Uint256, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


class GiftSwitch(EventRow, Base):
    """GiftsSwitched: the committee allows or stops creators' gifts."""

    __tablename__ = "gift_switches"
    __table_args__ = (by_position("gift_switches"),)

    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


class CultureMinterChange(EventRow, Base):
    """snekmate's RoleMinterChanged, logged once at deployment: nobody keeps the ERC-721
    minter role (works are minted by `mint_work` only)."""

    __tablename__ = "culture_minter_changes"
    __table_args__ = (by_position("culture_minter_changes"),)

    minter: Mapped[str] = Address(nullable=False)
    status: Mapped[bool] = mapped_column(Boolean, nullable=False)


class CultureOwnershipChange(EventRow, Base):
    """snekmate's OwnershipTransferred, logged at deployment: ownership goes to the zero
    address (authority is the registry's committee role)."""

    __tablename__ = "culture_ownership_changes"
    __table_args__ = (by_position("culture_ownership_changes"),)

    previous_owner: Mapped[str] = Address(nullable=False)
    new_owner: Mapped[str] = Address(nullable=False)


# --------------------------------------------------------------------- CommunityActivities
#
# An activity's status and counts are read from these tables at request time: the
# status is cancelled if a cancellation exists, open if it was created open or
# approved, proposed otherwise; times are Unix seconds.


class Activity(EventRow, Base):
    """ActivityCreated: by the committee (open) or proposed by a resident (proposed)."""

    __tablename__ = "activities"
    __table_args__ = (
        by_position("activities"),
        Index("ix_activities_id", "community", "activity_id"),
        Index("ix_activities_organiser", "community", "organiser"),
        Index("ix_activities_starts_at", "community", "starts_at"),
    )

    activity_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    organiser: Mapped[str] = Address(nullable=False)
    created_by: Mapped[str] = Address(nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    description_hash: Mapped[str] = Hash32(nullable=False)
    # `start`/`end` in the event; renamed because END is reserved in SQL.
    starts_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    ends_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    capacity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    points: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Status at creation: 1 proposed, 2 open.
    status: Mapped[int] = mapped_column(Integer, nullable=False)


class ActivityApproval(EventRow, Base):
    __tablename__ = "activity_approvals"
    __table_args__ = (by_position("activity_approvals"), Index("ix_activity_approvals_id", "community", "activity_id"))

    activity_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    approved_by: Mapped[str] = Address(nullable=False)


class ActivityCancellation(EventRow, Base):
    __tablename__ = "activity_cancellations"
    __table_args__ = (
        by_position("activity_cancellations"),
        Index("ix_activity_cancellations_id", "community", "activity_id"),
    )

    activity_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cancelled_by: Mapped[str] = Address(nullable=False)
    reason_hash: Mapped[str] = Hash32(nullable=False)


class SignUp(EventRow, Base):
    """SignedUp (cancelled false) and SignUpCancelled (cancelled true); a resident's
    latest row in an activity says whether they hold a place now."""

    __tablename__ = "activity_sign_ups"
    __table_args__ = (
        by_position("activity_sign_ups"),
        Index("ix_activity_sign_ups_activity", "community", "activity_id", "resident", "block_number", "log_index"),
        Index("ix_activity_sign_ups_resident", "community", "resident", "block_number", "log_index"),
    )

    activity_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    resident: Mapped[str] = Address(nullable=False)
    cancelled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # Places taken in the activity after this event.
    signed_up: Mapped[int] = mapped_column(BigInteger, nullable=False)


class CheckIn(EventRow, Base):
    """CheckedIn: attendance, by the organiser or with an organiser-signed code; the
    activity's points are minted to the attendee once."""

    __tablename__ = "activity_check_ins"
    __table_args__ = (
        by_position("activity_check_ins"),
        Index("ix_activity_check_ins_activity", "community", "activity_id", "attendee"),
        Index("ix_activity_check_ins_attendee", "community", "attendee"),
    )

    activity_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    attendee: Mapped[str] = Address(nullable=False)
    checked_in_by: Mapped[str] = Address(nullable=False)
    points: Mapped[int] = mapped_column(BigInteger, nullable=False)
    by_code: Mapped[bool] = mapped_column(Boolean, nullable=False)


class ActivityFeedback(EventRow, Base):
    """FeedbackGiven: an attendee's score 1-5 and the hash of an optional text."""

    __tablename__ = "activity_feedback"
    __table_args__ = (
        by_position("activity_feedback"),
        Index("ix_activity_feedback_activity", "community", "activity_id", "block_number", "log_index"),
        Index("ix_activity_feedback_attendee", "community", "attendee"),
    )

    activity_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    attendee: Mapped[str] = Address(nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    text_hash: Mapped[str] = Hash32(nullable=False)


class MaxPointsChange(EventRow, Base):
    """MaxPointsChanged: the most points an activity may award each attendee."""

    __tablename__ = "activity_max_points_changes"
    __table_args__ = (by_position("activity_max_points_changes"),)

    max_points: Mapped[int] = mapped_column(BigInteger, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


# --------------------------------------------------------------------- MerchantPromotions
#
# Periods are Beijing month indices (year * 12 + month - 1) as in PropertyFees;
# prices are in fen and below 2**96 (Uint256: NUMERIC on PostgreSQL; SQLite holds
# 64 bits, like every amount of the index).


class PromotionPrice(EventRow, Base):
    """PriceSet: a placement's price per period (0 withdraws it)."""

    __tablename__ = "promotion_prices"
    __table_args__ = (
        by_position("promotion_prices"),
        Index("ix_promotion_prices_placement", "community", "placement", "block_number", "log_index"),
    )

    placement: Mapped[int] = mapped_column(Integer, nullable=False)
    price: Mapped[int] = mapped_column(Uint256, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


class Promotion(EventRow, Base):
    """PromotionBought: one merchant's slot (placement, period); the price went to the
    treasury's public income in the same transaction."""

    __tablename__ = "promotions"
    __table_args__ = (
        by_position("promotions"),
        Index("ix_promotions_slot", "community", "period", "placement"),
        Index("ix_promotions_merchant", "community", "merchant"),
    )

    placement: Mapped[int] = mapped_column(Integer, nullable=False)
    period: Mapped[int] = mapped_column(BigInteger, nullable=False)
    merchant: Mapped[str] = Address(nullable=False)
    price: Mapped[int] = mapped_column(Uint256, nullable=False)
    period_start: Mapped[int] = mapped_column(BigInteger, nullable=False)
    period_end: Mapped[int] = mapped_column(BigInteger, nullable=False)
