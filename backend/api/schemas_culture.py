"""Response models of the culture, activity and promotion routes (CultureWorks,
CommunityActivities, MerchantPromotions).

Work ids are the works' token ids written as a bytes32: 0x + 64 hex digits, which is
the sha256 of the work's file; `token_id` repeats it in decimal for wallets that show
ERC-721 ids that way (a string: it does not fit a JSON number). Times are Unix
seconds; periods are Beijing month indices (year * 12 + month - 1); prices in fen.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from backend.api.schemas import CommunitySummary, EventPosition, IndexPosition

# ----------------------------------------------------------------------- CultureWorks


class GiftOut(EventPosition):
    recipient: str
    recipient_household: str | None = Field(description="The recipient's household key (decimal)")


class VisibilityChangeOut(EventPosition):
    hidden: bool = Field(description="True: hidden by this change; false: shown again")
    reason_hash: str = Field(description="Hash of the committee's written reason")
    changed_by: str


class WorkOut(BaseModel):
    work_id: str = Field(description="The token id as 0x + 64 hex digits: the sha256 of the work's file")
    token_id: str = Field(description="The same id in decimal, as wallets show ERC-721 ids")
    content_hash: str = Field(description="sha256 of the work's file, fixed at mint (equals work_id)")
    creator: str
    creator_household: str | None = Field(description="The creator's household key at mint (decimal)")
    owner: str = Field(description="The creator, or the recipient once gifted")
    kind: int = Field(description="0 calligraphy, 1 painting, 2 photograph, 3 story, 4 idea, 5 other")
    kind_name: str
    title: str
    uri: str
    minted_at: int = Field(description="Timestamp of the mint's block (the contract's minted_at)")
    minted_block: int
    minted_tx: str
    likes: int = Field(description="Households that liked the work")
    points_from_likes: int = Field(description="Points its likes minted to the creator (within the daily cap)")
    hidden: bool
    hidden_reason_hash: str | None = Field(description="Reason hash of the hiding in force (null when shown)")
    gift: GiftOut | None
    exhibitions: list[int] = Field(description="Exhibitions showing the work now")


class WorkDetail(IndexPosition, WorkOut):
    visibility_history: list[VisibilityChangeOut] = Field(description="Hidings and unhidings, oldest first")


class ProvenanceOut(IndexPosition):
    content_hash: str
    work_id: str
    token_id: str
    creator: str
    minted_at: int
    minted_block: int
    minted_tx: str
    title: str
    hidden: bool = Field(description="Hidden works keep their provenance")


class LikeOut(EventPosition):
    work_id: str
    liker: str
    household: str | None = Field(description="The liker's household key (decimal); one like per household")
    creator: str
    points_minted: int = Field(description="0 once the creator reached the daily cap")
    day: int = Field(description="Beijing day index (days since 1970-01-01 in UTC+8)")
    creator_day_total: int = Field(description="The creator's like points that day after this like")


class CreatorOut(IndexPosition):
    creator: str
    works: int
    hidden_works: int
    gifted_works: int
    likes_received: int
    points_from_likes: int
    first_minted_at: int
    last_minted_at: int


class ExhibitionOut(EventPosition):
    exhibition_id: int
    title: str
    created_by: str
    size: int = Field(description="Works shown now")


class ExhibitionDetail(IndexPosition, ExhibitionOut):
    works: list[WorkOut] = Field(description="Works shown now, in the order they were added (at most 500; "
                                 "the gallery's exhibition filter pages through any number)")


class CultureOut(IndexPosition):
    culture_contract: str
    like_rate: int = Field(description="Points a like mints to the creator")
    like_daily_cap: int = Field(description="Most like points a creator earns per Beijing day")
    gifts_enabled: bool
    works: int
    hidden_works: int
    likes: int
    points_from_likes: int
    exhibitions: int


# ----------------------------------------------------------------------- CommunityActivities


class ActivityOut(BaseModel):
    activity_id: int
    title: str
    description_hash: str
    organiser: str
    created_by: str
    proposed: bool = Field(description="Proposed by a resident (opens once the committee approves)")
    starts_at: int
    ends_at: int
    capacity: int
    points: int = Field(description="Points each attendee earns once")
    status: str = Field(description="proposed, open or cancelled (the contract's status)")
    status_code: int = Field(description="1 proposed, 2 open, 3 cancelled")
    phase: str = Field(description="upcoming, ongoing or past at the indexed head block's time")
    signed_up: int = Field(description="Places taken now")
    checked_in: int
    points_awarded: int
    feedback_count: int
    feedback_sum: int
    feedback_average: float | None
    created_block: int
    created_tx: str
    created_at: int
    approved_by: str | None
    approved_block: int | None
    cancelled_by: str | None
    cancellation_reason_hash: str | None
    cancelled_block: int | None


class ActivityDetail(IndexPosition, ActivityOut):
    pass


class SignUpOut(EventPosition):
    activity_id: int
    resident: str
    signed_up_count: int = Field(description="Places taken right after this sign-up")
    checked_in: bool


class CheckInOut(EventPosition):
    activity_id: int
    attendee: str
    checked_in_by: str
    by_code: bool = Field(description="Relayed with an organiser-signed check-in code")
    points: int


class FeedbackOut(EventPosition):
    activity_id: int
    attendee: str
    score: int
    text_hash: str


class ParticipationOut(EventPosition):
    """A wallet in one activity; the position is its latest sign-up or cancellation."""

    activity_id: int
    title: str
    starts_at: int
    ends_at: int
    status: str
    phase: str
    signed_up: bool = Field(description="Holds a place now (a checked-in attendee keeps it)")
    checked_in: bool
    by_code: bool | None
    points_earned: int
    feedback_score: int | None
    feedback_text_hash: str | None


class ActivitiesSummaryOut(IndexPosition):
    activities_contract: str
    max_points: int = Field(description="Most points an activity may award each attendee")
    activities: int
    by_status: dict[str, int]
    by_phase: dict[str, int] = Field(description="Open activities by phase at the indexed head's time")
    sign_ups: int = Field(description="Places taken now, all activities")
    check_ins: int
    points_awarded: int
    feedback_count: int
    feedback_average: float | None


# ----------------------------------------------------------------------- MerchantPromotions


class PromotionOut(EventPosition):
    placement: int
    period: int
    period_label: str
    merchant: str
    price: int
    period_start: int
    period_end: int
    public_income: int = Field(description="Promotion income PropertyFees recorded in the same transaction")


class PromotionDetail(IndexPosition, PromotionOut):
    pass


class PromotionMonthOut(BaseModel):
    period: int
    period_label: str
    slots: int
    paid: int = Field(description="Prices paid for the month's slots")
    public_income: int = Field(description="Of which PropertyFees recorded as promotion income")
    by_placement: dict[int, int] = Field(description="placement -> price paid")


class PromotionMonthsOut(IndexPosition):
    items: list[PromotionMonthOut]


class PlacementPriceOut(BaseModel):
    placement: int
    price: int = Field(description="Price per period now, fen; 0: not offered")
    offered: bool
    set_by: str
    set_block: int


class PlacementPricesOut(IndexPosition):
    items: list[PlacementPriceOut]


# ----------------------------------------------------------------------- community summary


class CommunitySummaryOut(CommunitySummary):
    works: int = Field(description="Works registered (CultureWorks)")
    exhibitions: int
    activities: int = Field(description="Activities created or proposed (CommunityActivities)")
    upcoming_activities: int = Field(description="Open activities not started at the indexed head's time")
    promotions: int = Field(description="Promotion slots sold (MerchantPromotions)")
