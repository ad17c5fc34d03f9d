"""Response models of the district routes (backend/api/routes/district.py): each
community's figures side by side, the district's total, and the flags.

Amounts in fen; rates and turnouts in percent (0-100); durations in seconds. A figure
is null when the community has no contract that records it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class DistrictFigures(BaseModel):
    units: int
    units_paid_up: int | None = Field(description="Units with no overdue month at the index's current month")
    fee_collection_rate: float | None = Field(description="units_paid_up / units, percent")
    units_in_arrears: int | None
    arrears: int | None = Field(description="What the units in arrears owe (their statements' totals), fen")
    fees_collected: int | None = Field(description="As the community's treasury route counts it, fen")
    public_income_received: int | None
    public_income_paid_out: int | None
    maintenance_fund_balance: int | None = Field(description="Maintenance fund (专项维修资金): fee shares and deposits "
                                                 "received less paid out, fen")
    maintenance_fund_used: int | None = Field(description="Paid out of the maintenance fund, fen (emergency repairs "
                                              "included)")
    maintenance_fund_used_emergency: int | None = Field(description="Of which emergency repairs (民法典 第二百八十一条), fen")
    satisfaction_average: float | None = Field(description="Owners' rating of the property service (1-5) in the "
                                               "latest month rated; the district's: pooled over those months")
    satisfaction_period: int | None = Field(description="That month (year * 12 + month - 1); null in the total")
    satisfaction_ratings: int | None = Field(description="Ratings in that month")
    suggestions_received: int | None
    suggestions_answered: int | None = Field(description="Suggestions with at least one answer")
    suggestions_median_time_to_first_answer: float | None = Field(description="Seconds")
    assemblies_held: int | None = Field(description="Proposals finalized (tallied by the contract)")
    assemblies_passed: int | None
    assembly_turnout_area: float | None = Field(description="Area that took part / total area, pooled, percent")
    assembly_turnout_heads: float | None = Field(description="Heads that took part / total heads, pooled, percent")
    activities: int | None
    activity_sign_ups: int | None
    activity_check_ins: int | None
    points_issued: int
    points_redeemed: int


class DistrictCommunityOut(DistrictFigures):
    community: str
    name: str
    street: str | None = Field(description="The street its district registry entry names; null when no registry "
                                           "lists it")
    retired: bool = Field(description="Every registry entry of it is retired: shown, but in no total, flag or ranking")
    retired_block: int | None
    retired_reason_hash: str | None = Field(description="sha256 of the street office's note (kept off chain)")
    chain_id: int
    indexed_block: int
    finalized_block: int


class DistrictTotalOut(DistrictFigures):
    communities: int = Field(description="Communities counted: those not retired")
    retired: int = Field(description="Retired communities in the table, counted in no figure here")


class DistrictCommunitiesOut(BaseModel):
    items: list[DistrictCommunityOut] = Field(description="By community address")
    district: DistrictTotalOut = Field(description="Sums over the communities not retired; rates and medians over the pooled "
                                                   "figures, not averages of the communities' rates")


class DistrictFlagOut(BaseModel):
    community: str
    name: str
    kind: str = Field(description="expense_spike, collection_rate_low, suggestion_backlog or satisfaction_drop")
    message: str
    figures: dict[str, int | float | None] = Field(description="The numbers that raised the flag")


class DistrictFlagsOut(BaseModel):
    items: list[DistrictFlagOut] = Field(description="By community, kind, then category")
    indexed_blocks: dict[str, int] = Field(description="Each community's indexed block this answer was built at: "
                                                      "it may be one rebuild behind the index (see the README)")
    thresholds: dict[str, int | float]


class DistrictRankingPartOut(BaseModel):
    part: str = Field(description="fee_collection, suggestions_answered, suggestion_answer_time, assembly_turnout "
                                  "or activity_participation")
    figures: list[str] = Field(description="The table's figures the part is computed from")
    raw: float | None = Field(description="The part's figure (in `unit`); null when the community has none")
    unit: str
    weight: float
    counted: bool = Field(description="False when the community has no figure for the part: left out of the mean")
    normalised: float | None = Field(description="0 (worst) to 1 (best)")
    contribution: float | None = Field(description="Points of the score this part gives; they add up to the score")


class DistrictRankedOut(BaseModel):
    rank: int | None = Field(description="1 is the highest score; null when the community has no part to score")
    community: str
    name: str
    street: str | None
    score: float | None = Field(description="0-100: the weighted mean of the counted parts' normalised values")
    counted_weight: float = Field(description="The sum of the counted parts' weights (the mean's divisor)")
    parts: list[DistrictRankingPartOut]


class DistrictRankingOut(BaseModel):
    items: list[DistrictRankedOut] = Field(description="Highest score first (ties by address); retired communities "
                                                       "are not ranked")
    weights: dict[str, float]
    answer_time_good: int = Field(description="Seconds: a median first answer this fast or faster scores 1")
    answer_time_poor: int = Field(description="Seconds: this slow or slower scores 0")
    check_ins_per_unit_full: float
    indexed_blocks: dict[str, int] = Field(description="Each community's indexed block this answer was built at: "
                                                      "it may be one rebuild behind the index (see the README)")


class RatedMonthOut(BaseModel):
    month: int = Field(description="year * 12 + month - 1")
    month_label: str
    ratings: int
    average: float = Field(description="1-5, two decimals")


class CommunitySatisfactionOut(BaseModel):
    community: str
    name: str
    months: list[RatedMonthOut] = Field(description="Oldest first; a month without ratings is left out")


class DistrictSatisfactionOut(BaseModel):
    from_month: int | None
    to_month: int | None = Field(description="The newest month any community's index has reached")
    items: list[CommunitySatisfactionOut] = Field(description="The communities listed now with a fee contract")
    district: list[RatedMonthOut] = Field(description="Every rating of the month over the communities, pooled")
    indexed_blocks: dict[str, int] = Field(description="Each community's indexed block this answer was built at: "
                                                      "it may be one rebuild behind the index (see the README)")
