"""Response models, one per resource; lists come in an envelope with a cursor.

Addresses and hashes are lower-case 0x-hex; areas are in 0.01 m²; points are whole
points (the token has 0 decimals). Every response says how far the index goes:
`indexed_block` (the last block written) and `finalized_block` (the last one the
indexer treats as final).
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

Item = TypeVar("Item")


class IndexPosition(BaseModel):
    indexed_block: int = Field(description="Last block the index has written")
    finalized_block: int = Field(description="Last indexed block that is final: the node's finalized block, or head - finality depth on a node without the \"finalized\" tag")


class Page(IndexPosition, Generic[Item]):
    items: list[Item]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class EventPosition(BaseModel):
    block_number: int
    log_index: int
    tx_hash: str
    block_timestamp: int


class CommunityOut(IndexPosition):
    community: str = Field(description="The registry address: the community's key")
    chain_id: int
    name: str
    network: str
    deploy_block: int
    contracts: dict[str, str]


class CommunitySummary(CommunityOut):
    units: int
    total_area: int = Field(description="Exclusive area of all units, 0.01 m²")
    heads: int = Field(description="Owner identities counted as heads (民法典 第二百七十八条)")
    owners: int = Field(description="Owner identities holding at least one unit")
    residents: int = Field(description="Linked residents who are not owners")
    merchants: int
    points_supply: int
    points_holders: int


class UnitOut(BaseModel):
    unit_id: int
    label: str
    area: int
    identity: int
    owner_wallet: str | None
    registered_block: int
    updated_block: int


class OwnerOut(BaseModel):
    identity: int
    commitment: str
    wallet: str
    area: int
    units: int
    updated_block: int


class ResidentOut(BaseModel):
    wallet: str
    unit_id: int
    commitment: str
    linked_block: int


class AreaChangeOut(EventPosition):
    old_area: int
    new_area: int


class UnitTransferOut(EventPosition):
    previous_owner: str
    new_owner: str
    previous_identity: int
    new_identity: int


class UnitDetail(IndexPosition):
    unit: UnitOut
    owner: OwnerOut | None
    residents: list[ResidentOut]
    area_changes: list[AreaChangeOut]
    transfers: list[UnitTransferOut]


class OwnerDetail(IndexPosition):
    owner: OwnerOut
    units: list[UnitOut]


class RoleMemberOut(BaseModel):
    role: str = Field(description="Role name (committee, manager, …) or the role id for an unknown role")
    role_id: str
    account: str
    granted_block: int


class MerchantOut(BaseModel):
    account: str
    synced_block: int


class BalanceOut(BaseModel):
    holder: str
    balance: int


class BalanceDetail(IndexPosition, BalanceOut):
    pass


class MovementOut(EventPosition):
    sender: str
    receiver: str
    amount: int
    kind: str = Field(description="mint, redemption (burn) or transfer")


class MintOut(EventPosition):
    recipient: str
    amount: int
    reason: int
    minter: str


class PointsCapOut(IndexPosition):
    cap: int = Field(description="Participation points a household may receive per Beijing year; 0: no cap")
    set_by: str | None
    set_at_block: int | None


class PointsClipOut(EventPosition):
    """A participation mint cut down by the household cap: `requested` asked, `minted` given."""

    household: str = Field(description="The registry's household key, decimal (2**160 | wallet: no household)")
    recipient: str
    reason: int
    year: int = Field(description="Beijing calendar year")
    requested: int
    minted: int
    cap: int


class RedemptionOut(EventPosition):
    merchant: str
    amount: int
    settlement_ref: str


class RawEventOut(EventPosition):
    address: str
    contract: str
    event: str | None
    args: dict[str, Any] | None


class CommunityHealth(BaseModel):
    community: str
    indexed_block: int
    chain_head: int | None
    lag: int | None
    halted: bool
    indexer_sees_node: bool
    last_error: str | None


class Health(BaseModel):
    status: str = Field(description="ok, degraded (lagging, halted or node down) or down (database down)")
    database_reachable: bool
    node_reachable: bool
    node_head: int | None
    communities: list[CommunityHealth]


# ----------------------------------------------------------------------- PropertyFees
# Amounts in fen (the settlement token has 2 decimals); months are the contract's
# Beijing-time month indices (year * 12 + month - 1) with a "YYYY-MM" label beside.


class FeeConfigOut(IndexPosition):
    fees_contract: str
    billing_start_month: int
    late_fee_bps: int = Field(description="Late fee per month overdue, bps of a month's dues")
    late_fee_cap_bps: int = Field(description="Cap of the late fee per month of dues, bps")
    prepay_limit_months: int = Field(description="Months after the current one that may be paid in advance")
    maintenance_share_bps: int = Field(description="Share of each payment that goes to the maintenance fund")
    points_rate: int = Field(description="Points per yuan of on-time dues, in bps of a point")
    governance: str | None = Field(description="The owners' assembly: the latest holder of the registry's "
                                   "ASSEMBLY_ROLE (its timelock once the deployer handed over)")
    treasury_module: str | None = Field(description="CommunityTreasury, the only way money leaves PropertyFees")
    current_month: int = Field(description="Beijing month of the indexed head block")
    current_month_label: str
    rate_in_force: int = Field(description="Fee standard this month, fen per m² per month (0: none)")
    contract_in_force: int = Field(description="Service contract the rate comes from (0: none)")
    fee_income_mode: str | None = Field(description="How the contract in force uses fee income: lump_sum (包干制, the "
                                        "company's revenue) or commission (酬金制, spent within budgets)")
    commission_bps: int | None = Field(description="The company's commission on expenses under 酬金制, bps")


class StatementOut(IndexPosition):
    unit_id: int
    area: int = Field(description="Exclusive area now, 0.01 m²")
    current_month: int
    current_month_label: str
    first_unpaid_month: int
    first_unpaid_month_label: str
    months_due: int
    months_overdue: int
    monthly_amount: int = Field(description="Dues of one month at this month's rate, fen")
    dues: int
    late_fee: int
    total: int
    claimable_points: int = Field(description="Points earned by on-time payments, not yet claimed")
    payments: int = Field(description="Payments recorded for the unit")
    computed_from: str = Field(description="'index': computed from indexed events as the contract computes them")


class PaymentOut(EventPosition):
    unit_id: int
    payer: str
    from_month: int
    to_month: int
    from_month_label: str
    to_month_label: str
    dues: int
    late_fee: int
    amount: int
    to_maintenance: int
    points: int = Field(description="Points earned (accrued to the unit until claimed)")
    channel: int = Field(0, description="0 settlement token, 1 WeChat, 2 Alipay, 3 bank transfer, 4 cash")
    channel_name: str = Field("token", description="token, wechat, alipay, bank or cash")
    recorded_by: str | None = Field(None, description="The cashier who recorded a payment received off chain")
    reference: str | None = Field(None, description="Hash of the receipt or bank reference of a recorded payment")
    dispute: str | None = Field(None, description="The owner's dispute of a record: open, upheld (void) or rejected")
    void: bool = Field(False, description="An upheld dispute voided the record: its months are unpaid again")


class RecordDisputeOut(EventPosition):
    reference: str = Field(description="The disputed record's reference hash")
    unit_id: int
    owner: str
    reason: str = Field(description="Hash of the owner's reason (the text is kept off chain)")
    state: str = Field(description="open, upheld (the record is void) or rejected")
    answered_by: str | None = None
    answer: str | None = Field(None, description="Hash of the answer")


class CashierDayOut(BaseModel):
    cashier: str
    day: int = Field(description="Beijing day index: days since 1970-01-01 in UTC+8")
    date: str = Field(description="The Beijing date, YYYY-MM-DD")
    total: int = Field(description="What the cashier recorded that day, fen, as the contract published it")
    records: int


class PointsClaimOut(EventPosition):
    unit_id: int
    claimant: str
    amount: int


class ServiceContractOut(BaseModel):
    contract_id: int
    company: str
    doc_hash: str
    start_month: int
    end_month: int
    rate: int = Field(description="Fee standard, fen per m² per month")
    service_items: list[str]
    proposed_by: str
    proposed_block: int
    approved: bool
    approved_by: str | None
    approved_block: int | None
    segment: int | None = Field(description="Index of the rate segment it created once approved")
    mode: str | None = Field(description="lump_sum (包干制) or commission (酬金制)")
    commission_bps: int | None = Field(description="Commission on expenses under 酬金制, bps")


class RateSegmentOut(EventPosition):
    segment: int
    start_month: int
    start_month_label: str
    rate: int
    contract_id: int


class RateHistoryOut(IndexPosition):
    items: list[RateSegmentOut]


class FundBalances(BaseModel):
    fee_income: int = Field(description="Property fee income held, after expenses")
    public_income: int = Field(description="Public income (公共收益) held, after expenses")
    maintenance_fund: int = Field(description="Maintenance fund (专项维修资金), reserved part included")
    maintenance_reserved: int = Field(description="Part of the fund reserved for approved projects")


class EmergencyUseOut(BaseModel):
    cap_per_use: int = Field(description="Most one emergency repair may cost, set by the assembly (0: none allowed)")
    cap_per_year: int = Field(description="Most emergency repairs may cost in a calendar year")
    year: int = Field(description="Beijing year of the indexed head block")
    paid_this_year: int
    paid_out: int = Field(description="Every emergency repair so far")
    repairs: int


class TreasuryOut(IndexPosition):
    balances: FundBalances
    fees_collected: int
    fees_recorded_off_chain: int = Field(0, description="Part of fees_collected received off chain (WeChat, Alipay, "
                                         "bank, cash) and recorded by a cashier: in the company's account, not held")
    dues_collected: int
    late_fees_collected: int
    to_maintenance: int
    public_income_received: int
    public_income_by_source: dict[str, int]
    maintenance_deposits: int
    expenses_from_fee_income: int
    expenses_from_public_income: int
    maintenance_paid_out: int = Field(description="Milestones and emergency repairs paid from the fund")
    milestones_paid_out: int
    emergency: EmergencyUseOut = Field(description="Emergency repairs (民法典 第二百八十一条), apart from projects")
    commission_accrued: int = Field(description="Commission the company's 酬金制 expenses accrued")
    commission_paid: int
    lump_sum_paid: int = Field(description="Fee income paid to the company under 包干制")
    decision_payouts: int = Field(description="Fee and public income paid by assembly decisions outside budgets")


class MonthlyFlowOut(BaseModel):
    month: int
    month_label: str
    flow: str = Field(description="income or expense")
    fund: str = Field(description="fee_income, public_income or maintenance_fund")
    kind: str = Field(description="property_fee, maintenance_share, parking, advertising, promotion, service_fee, "
                      "other, deposit, expense, milestone, emergency_repair, commission, lump_sum, decision")
    category: int | None = Field(description="Expense category (expenses only)")
    amount: int
    count: int
    channel: str | None = Field(default=None, description="How fee income was paid: token, wechat, alipay, bank or "
                                "cash (a cashier's record); fee income only")


class MonthlyFlowsOut(IndexPosition):
    items: list[MonthlyFlowOut]


class ExpenseOut(EventPosition):
    expense_id: int
    category: int
    payee: str
    amount: int
    invoice_hash: str
    period: int
    period_label: str
    fund: str
    budget_spent: int
    recorded_by: str
    commission: int | None = Field(description="Commission the expense accrued (酬金制)")
    contract_id: int | None = Field(description="Service contract the commission accrued under")


class ExpenseDetail(IndexPosition, ExpenseOut):
    pass


class PublicIncomeOut(EventPosition):
    payer: str
    source: str
    source_code: int
    amount: int
    paid_by: str


class BudgetOut(BaseModel):
    year: int
    fund: str | None = Field(description="fee_income or public_income")
    category: int
    budget: int
    spent: int
    remaining: int
    approvals: int
    approved_block: int


class AnnualBudgetOut(BaseModel):
    year: int
    fund: str
    amount: int = Field(description="What the assembly lets the fund spend that year")
    allocated: int = Field(description="Sum of the committee's category budgets")
    spent: int
    remaining: int
    doc_hash: str
    approvals: int
    approved_block: int
    approved_by: str


class BudgetsOut(IndexPosition):
    items: list[BudgetOut]
    annual: list[AnnualBudgetOut] = Field(description="The assembly's annual budgets per year and fund")


class MilestoneReleaseOut(EventPosition):
    index: int
    amount: int
    remaining: int


class MaintenanceProjectOut(BaseModel):
    project_id: int
    payee: str
    total: int
    milestones: list[int]
    doc_hash: str
    approved_block: int
    approved_tx: str
    released: int = Field(description="Milestones paid")
    paid: int
    remaining: int
    closed: bool = Field(description="Closed by the assembly before its last milestone")
    releases: list[MilestoneReleaseOut]


class MaintenanceProjectDetail(IndexPosition, MaintenanceProjectOut):
    pass


class EmergencyRepairOut(EventPosition):
    repair_id: int
    kind: str = Field(description="elevator, roof_leak, fire_system, water_supply, facade or other_danger")
    kind_code: int
    payee: str
    amount: int
    approval_hash: str = Field(description="sha256 of the housing authority's approval document")
    year: int
    paid_this_year: int
    paid_by: str


class DisbursementOut(EventPosition):
    fund: str
    payee: str
    amount: int
    balance_after: int


class SatisfactionOut(BaseModel):
    period: int
    period_label: str
    count: int
    sum: int
    average: float


class SatisfactionListOut(IndexPosition):
    items: list[SatisfactionOut]


# ----------------------------------------------------------------------- OwnersAssembly
# Proposal ids are uint256 hashes, given as decimal strings.


class ChoiceTally(BaseModel):
    area: int = Field(description="0.01 m²")
    heads: int


class Tallies(BaseModel):
    for_: ChoiceTally = Field(alias="for")
    against: ChoiceTally
    abstain: ChoiceTally

    model_config = {"populate_by_name": True}


class StatuteOut(BaseModel):
    """民法典 第二百七十八条 applied to the tallies, as the contract counts."""

    rule: str = Field(description="ordinary (> 1/2 of participating area and heads) or major (≥ 3/4)")
    total_area: int = Field(description="Exclusive area at the snapshot")
    total_heads: int = Field(description="Owners at the snapshot")
    participating_area: int
    participating_heads: int
    turnout_area_required: int = Field(description="Smallest participating area that is ≥ 2/3 of the total")
    turnout_heads_required: int
    turnout_met: bool
    approval_area_required: int = Field(description="Smallest area for that approves, given the participation")
    approval_heads_required: int
    approved: bool
    passed: bool = Field(description="Turnout met and approved")


class CallOut(BaseModel):
    target: str
    value: str
    calldata: str


class DeemedOut(BaseModel):
    """The non-voter rule at the preliminary result (DeemedVotes): the served non-voters
    joined the side with more than 1/2 of the participating area and heads."""

    side: Literal["for", "against", "none"] = Field(description="none: no side had the majority; nothing added")
    area: int = Field(description="Area added to that side (0.01 m²)")
    heads: int = Field(description="Heads added to that side")
    passed_without: bool = Field(description="The result by the ballots alone")
    turnout_met_without: bool = Field(description="The 2/3 turnout by the ballots alone")


class ResultOut(BaseModel):
    """Where a vote's result stands (PaperBallots.result_state at the indexed head's time)."""

    phase: Literal["none", "preliminary", "objections_closed", "final"] = Field(
        description="none: no result published yet; preliminary: the preliminary result is out and its objection "
                    "period runs; objections_closed: the period is over, the final result may be published; final")
    paper_reconciled: bool | None = Field(
        description="The tellers' paper count adds up (None: no tellers were appointed, nothing to reconcile); "
                    "without it no result can be published")
    passed: bool | None = Field(description="As the latest published result says")
    preliminary_at: int | None = Field(description="When the preliminary result was published (block time)")
    preliminary_tx: str | None
    objection_ends: int | None = Field(description="End of the objection period (preliminary_at + the window)")
    objections: int = Field(description="Owners' objections to the preliminary result (one per owner identity)")
    final_at: int | None = Field(description="When the final result was published (block time)")
    final_tx: str | None
    served_area: int = Field(description="Non-voters whose service of the notice two tellers confirmed, under the "
                                         "non-voter rule: their exclusive area (0.01 m²)")
    served_heads: int = Field(description="… and their number (heads)")
    deemed: DeemedOut | None = Field(description="What the non-voter rule added at the preliminary result (None: "
                                                 "not published yet, or the proposal is not counted under the rule)")


class ProposalOut(EventPosition):
    proposal_id: str
    proposer: str
    title: str
    matter: int
    major: bool
    doc_hash: str
    snapshot_block: int
    vote_start: int
    vote_end: int
    objection_window: int
    cosigners_required: int
    cosigners: int
    state: str = Field(description="pending, active, canceled, defeated, succeeded, queued, expired, executed, "
                       "announced, gathering (at the indexed head block's time)")
    state_code: int = Field(description="The contract's state number")
    tallies: Tallies
    statute: StatuteOut
    eta: int | None = Field(description="Timelock eta once queued")
    executed: bool
    finalized: bool
    matter_major: bool = Field(description="The written matter is one the statute counts at 3/4 (items 6-8)")
    calls_major: bool = Field(description="A call the proposal makes needs 3/4 by the constitution")
    major_target: str | None = Field(description="The first call that made it major: its contract")
    major_selector: str | None = Field(description="… and its function selector")
    queue_window: int | None = Field(description="Seconds after the objection window to queue it once passed")
    nonvoter_rule: bool = Field(description="Counted under the non-voter rule (指导规则 第二十六条第二款) as it stood "
                                            "at the snapshot: owners who did not vote and whose service of the "
                                            "notice is proven count with the majority of those who voted")
    result: ResultOut


class CommentOut(EventPosition):
    author: str
    identity: int
    objection: bool
    text_hash: str


class CosignOut(EventPosition):
    owner: str
    identity: int
    cosigners: int
    required: int


class ProposalDetailOut(IndexPosition, ProposalOut):
    calls: list[CallOut]
    cosigns: list[CosignOut]
    comments: list[CommentOut]


class VoteOut(EventPosition):
    proposal_id: str
    voter: str
    support: int = Field(description="0 against, 1 for, 2 abstain")
    choice: str
    area: int = Field(description="The voter identity's area at the snapshot, 0.01 m²")
    delegate: str | None = Field(description="Who cast it, when cast by a delegate")
    identity: int | None = Field(description="The owner identity (the registry's index) the ballot counts for")
    channel: str = Field(description="own (the owner's wallet), delegate, paper (two tellers), signed (a relayed "
                                     "signature), or own_or_signed: a first ballot from the wallet or by signature "
                                     "(the events do not tell these two apart)")
    replaced: bool = Field(description="This ballot replaced the identity's earlier one (VoteChanged)")
    replaced_channel: str | None = Field(description="The channel of the ballot it replaced")


class PaperEntryOut(BaseModel):
    identity: int = Field(description="The owner identity the paper ballot names (the registry's index)")
    support: int = Field(description="0 against, 1 for, 2 abstain")
    choice: str
    scan_hash: str = Field(description="sha256 of the ballot's scan (the scan stays off chain)")
    entered_by: str
    entered_tx: str
    entered_block: int
    confirmed: bool
    confirmed_by: str | None
    confirmed_tx: str | None
    area: int | None = Field(description="The identity's area at the snapshot, counted on confirmation (0.01 m²)")
    replaced_channel: str | None = Field(description="The ballot the paper one replaced (a delegate's), if any")


class PaperReconciliationOut(BaseModel):
    declared: int = Field(description="The last number of paper ballots collected a teller declared (0: none)")
    declared_by: str | None
    declaration_confirmed: bool
    confirmed_declaration: int | None = Field(description="The count a second teller confirmed")
    declaration_confirmed_by: str | None
    entered: int
    confirmed: int
    reconciled: bool = Field(description="Confirmed declaration = entered = confirmed (PaperBallots.reconciled)")


class PaperBallotsOut(IndexPosition):
    proposal_id: str
    paper_contract: str
    tellers: list[str]
    appointed_by: str | None
    appointed_tx: str | None
    entries: list[PaperEntryOut]
    reconciliation: PaperReconciliationOut


class DelegationOut(EventPosition):
    proposal_id: str = Field(description="\"0\" for a standing delegation")
    owner: str
    delegate: str
    identity: int
    active: bool = Field(description="DelegationSet (true) or DelegationRevoked (false)")


class CallClassOut(BaseModel):
    """One entry of the constitution: what a proposal calling (target, selector) needs."""

    target: str
    selector: str
    by_arg: bool = Field(description="True: the entry applies when the call's first argument is `arg`")
    arg: str | None
    call_class: Literal["ordinary", "major", "forbidden"]


class AssemblyRulesOut(IndexPosition):
    assembly_contract: str
    min_notice: int
    min_voting_period: int
    max_voting_period: int
    objection_window: int
    queue_window: int | None = Field(description="Seconds after the objection window to queue a passed proposal")
    constitution_contract: str | None = Field(description="The table of what each call a proposal makes needs")
    call_classes: list[CallClassOut] = Field(description="The constitution's entries in force; an unlisted call "
                                                         "counts as major")
    timelock_contract: str | None = Field(description="The timelock that runs passed proposals' calls")
    timelock_delay: int | None = Field(description="Seconds between a passed proposal's queueing and its calls")


class TimelockCallOut(EventPosition):
    """One call the assembly's timelock holds: scheduled, waiting, ready, run or cancelled."""

    operation_id: str
    call_index: int
    target: str
    amount: int
    payload: str = Field(description="The call's calldata, 0x-hex")
    predecessor: str
    salt: str | None
    delay: int
    ready_at: int = Field(description="Unix time from which the call may run")
    state: Literal["waiting", "ready", "done", "cancelled"] = Field(
        description="At the index's head block time")
    executed_tx: str | None
