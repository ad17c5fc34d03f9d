# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title PropertyFees
@custom:contract-name PropertyFees
@license GNU Affero General Public License v3.0 only
@notice Property fees (物业费), the balances of the community's money (fee income,
        public income 公共收益, the maintenance fund 专项维修资金), the property
        service contracts and residents' satisfaction with the property service.
        What may leave the balances, and when, is CommunityTreasury's to decide.

        - Billing costs nothing: dues are computed from the calendar. A unit owes
          `monthly amount × months` from its first unpaid month to the current
          month, where the monthly amount is `round(area × rate / 100)` fen with the
          area in 0.01 m² and the rate in fen per m² per month, summed over the rate
          segments of the property service contracts approved so far. Months are
          Beijing-time calendar months as indices `year * 12 + month - 1`.
        - A payment reads and writes two storage words: the unit's (first unpaid
          month, paid flag, points accrued) and one word holding the configuration,
          the latest rate segment, fee income and the maintenance fund.
        - A month is due during itself and overdue from the next month on. The late
          fee of an overdue month is `monthly amount × min(late_rate × months
          overdue, late_cap) / 10_000`.
        - Any wallet pays a unit for N months (oldest first), prepaying at most
          `max_prepay_months` after the current one, with `approve`, an EIP-2612
          permit in the same transaction, or (cheapest, what the pages send) the
          settlement token's ERC-1363 `transferAndCall` of exactly the amount due. The exact amount is charged; `max_amount`
          protects the payer against a change of schedule before inclusion. The
          months of a payment that are not overdue (the current month and later)
          earn community points for whoever paid: they accrue in the unit's
          payment word beside the payer (no extra storage write, no call to the
          points contract) and the payer claims them, several units at once, with
          `claim_points`, which mints them through the minter role. When another
          wallet pays the unit, the points the previous payer had not claimed are
          minted to it then: a unit's points are never the next payer's, nor its
          owner's or residents' unless they paid.
        - Balances are kept apart: fee income, public income and the maintenance
          fund. A share (bps) of every fee payment goes to the fund. Money leaves
          only through `disburse`, called by the treasury module (CommunityTreasury)
          that the owners' assembly names once; every disbursement is an event.
        - A new rate comes only with a property service contract (document hash,
          company, term, fee standard, service level item hashes, and how fee
          income is used: 包干制, the company's revenue, or 酬金制, spent within the
          assembly's budget for an agreed commission) proposed by the manager, the
          committee or the assembly and approved by the owners' assembly (民法典
          第二百七十八条: hiring the property company). It takes effect from its
          first month, which must be after the current month (the very first
          contract may start earlier, to bill from the billing start). Prepaid
          months keep the rate they were paid at.
        - The assembly (the registry's ASSEMBLY_ROLE: the assembly's timelock) sets
          the limits: late fee, prepayment limit, points rate, maintenance share.
          The committee sets the operational billing starts.
        - After a month closes, each owner identity rates the service 1-5 once for
          that month, within `SATISFACTION_WINDOW` months; count and sum are public.
@custom:security The treasury module is named once and never changes: whoever could
                 change it could spend every balance. Balances are bounded to 2**47
                 (fee income) and 2**48 (maintenance fund) fen, far above any
                 community's money. The settlement token is assumed to be a plain
                 ERC-20 (no fee on transfer); the lock on every entry point refuses
                 a call back from it.
"""

from ethereum.ercs import IERC20
from interfaces import IHouseholdRegistry
from interfaces import ICommunityPoints
from interfaces import IPropertyFees

import fees_calendar

implements: IPropertyFees


ASSEMBLY_ROLE: constant(bytes32) = keccak256("linli.role.assembly")
COMMITTEE_ROLE: constant(bytes32) = keccak256("linli.role.committee")
MANAGER_ROLE: constant(bytes32) = keccak256("linli.role.manager")
CASHIER_ROLE: constant(bytes32) = keccak256("linli.role.cashier")

BPS: constant(uint256) = 10_000
# Points are minted per yuan (100 fen) at `points_rate` / BPS.
FEN_PER_YUAN: constant(uint256) = 100
POINTS_DIVISOR: constant(uint256) = BPS * FEN_PER_YUAN
REASON_ON_TIME_PAYMENT: constant(uint16) = 2

MAX_CONTRACTS: constant(uint256) = 256
MAX_SERVICE_ITEMS: constant(uint256) = 16
MAX_PREPAY_LIMIT: constant(uint256) = 36
MAX_MONTH: constant(uint256) = 2**20 - 1
MAX_RATE: constant(uint256) = 2**32 - 1
MAX_POINTS_RATE: constant(uint256) = 2**32 - 1
MAX_CLAIM_UNITS: constant(uint256) = 32
SATISFACTION_WINDOW: public(constant(uint256)) = 3

# How a payment reached the community: the settlement token (0), or money the property
# company received off chain and a cashier recorded.
CHANNEL_TOKEN: public(constant(uint8)) = 0
CHANNEL_WECHAT: public(constant(uint8)) = 1
CHANNEL_ALIPAY: public(constant(uint8)) = 2
CHANNEL_BANK: public(constant(uint8)) = 3
CHANNEL_CASH: public(constant(uint8)) = 4
# Records per `record_payments` call: a batch of 100 stays far below 16,777,216 gas (bench/cashier_bench.py).
MAX_RECORD_BATCH: public(constant(uint256)) = 100
# How long the unit's owner may dispute a cashier's record (seconds).
DISPUTE_PERIOD: public(constant(uint256)) = 30 * 86_400
# Beijing days (UTC+8) for the cashiers' daily totals.
BEIJING_OFFSET: constant(uint256) = 8 * 3_600

# How `_pay` is paid: pulled with transferFrom, pushed by ERC-1363, or recorded by a cashier.
PULLED: constant(uint8) = 0
PUSHED: constant(uint8) = 1
RECORDED: constant(uint8) = 2

# A cashier's record, keyed by its reference: bits 0..63 unit, 64..95 first month,
# 96..127 months, 128..191 time recorded, 192..193 status, 194..255 points accrued.
RECORD_SHIFT_FIRST: constant(uint256) = 64
RECORD_SHIFT_MONTHS: constant(uint256) = 96
RECORD_SHIFT_TIME: constant(uint256) = 128
RECORD_SHIFT_STATUS: constant(uint256) = 192
RECORD_SHIFT_POINTS: constant(uint256) = 194
RECORD_STANDING: constant(uint256) = 0
RECORD_DISPUTED: constant(uint256) = 1
RECORD_VOIDED: constant(uint256) = 2
RECORD_UPHELD: constant(uint256) = 3  # the dispute was rejected: the record stands for good

# The community's money, kept apart.
FUND_FEE_INCOME: public(constant(uint8)) = 0
FUND_PUBLIC_INCOME: public(constant(uint8)) = 1
FUND_MAINTENANCE: public(constant(uint8)) = 2

# How a service contract uses fee income.
MODE_LUMP_SUM: public(constant(uint8)) = 1  # 包干制: fee income is the company's revenue
MODE_COMMISSION: public(constant(uint8)) = 2  # 酬金制: spent within budget, commission in bps

# Public income sources (公共收益).
SOURCE_PARKING: public(constant(uint8)) = 1
SOURCE_ADVERTISING: public(constant(uint8)) = 2
SOURCE_PROMOTION: public(constant(uint8)) = 3
SOURCE_SERVICE_FEE: public(constant(uint8)) = 4
SOURCE_OTHER: public(constant(uint8)) = 5

MASK6: constant(uint256) = 2**6 - 1
MASK9: constant(uint256) = 2**9 - 1
MASK14: constant(uint256) = 2**14 - 1
MASK20: constant(uint256) = 2**20 - 1
MASK32: constant(uint256) = 2**32 - 1
MASK47: constant(uint256) = 2**47 - 1
MASK48: constant(uint256) = 2**48 - 1
MASK64: constant(uint256) = 2**64 - 1
MASK128: constant(uint256) = 2**128 - 1

# Unit word: bits 0..31 first unpaid month, bit 32 set once the unit has paid,
# bits 33..95 points earned by on-time payments and not yet claimed, bits 96..255
# the wallet that paid them (the latest payer), whose points they are.
# A zero word is a unit never paid and without its own start: it owes from billing_start.
PAID_FLAG: constant(uint256) = 2**32
SHIFT_ACCRUED: constant(uint256) = 33
MASK63: constant(uint256) = 2**63 - 1
SHIFT_PAYER: constant(uint256) = 96

# The state word, everything a payment reads or writes besides the unit's word:
#   bits   0..19  billing start month          bits  20..33  late fee (bps per month)
#   bits  34..47  late fee cap (bps)           bits  48..53  max prepaid months
#   bits  54..67  maintenance share (bps)      bits  68..99  points rate (bps of a point per yuan)
#   bits 100..119 latest rate segment's first month
#   bits 120..128 number of rate segments      bits 129..160 latest rate (fen per m² per month)
#   bits 161..207 fee income (fen)             bits 208..255 maintenance fund (fen)
SHIFT_LATE_RATE: constant(uint256) = 20
SHIFT_LATE_CAP: constant(uint256) = 34
SHIFT_PREPAY: constant(uint256) = 48
SHIFT_SHARE: constant(uint256) = 54
SHIFT_POINTS: constant(uint256) = 68
SHIFT_HEAD_MONTH: constant(uint256) = 100
SHIFT_SEG_COUNT: constant(uint256) = 120
SHIFT_HEAD_RATE: constant(uint256) = 129
SHIFT_FEE: constant(uint256) = 161
SHIFT_FUND: constant(uint256) = 208
# The schedule's bits (head month, count, rate).
SCHEDULE_BITS: constant(uint256) = ((MASK20 << SHIFT_HEAD_MONTH) | (MASK9 << SHIFT_SEG_COUNT)) | (MASK32 << SHIFT_HEAD_RATE)

# Rate segment word: bits 0..31 first month, 64..95 service contract id,
# 96..127 rate (fen per m² per month).
SHIFT_SEG_CONTRACT: constant(uint256) = 64
SHIFT_SEG_RATE: constant(uint256) = 96

# A service contract's terms word: company (bits 0..159), mode (160..167), commission bps (168..).
SHIFT_MODE: constant(uint256) = 160
SHIFT_COMMISSION: constant(uint256) = 168


struct ServiceContract:
    doc_hash: bytes32
    company: address
    start_month: uint256
    end_month: uint256
    rate: uint256
    service_items: DynArray[bytes32, MAX_SERVICE_ITEMS]
    proposed_by: address
    approved: bool


struct CashPayment:
    unit_id: uint256
    from_month: uint256
    months: uint256
    amount: uint256
    channel: uint8
    reference: bytes32


struct Statement:
    first_unpaid_month: uint256
    current_month: uint256
    months_due: uint256
    months_overdue: uint256
    monthly_amount: uint256
    dues: uint256
    late_fee: uint256
    total: uint256


registry: public(immutable(address))
points: public(immutable(address))
settlement_token: public(immutable(address))

# The treasury module (CommunityTreasury): the only caller of `disburse`, set once.
treasury: public(address)

_state: uint256
_public_income: uint256
_unit_word: HashMap[uint256, uint256]

# Every rate segment, oldest first; the latest is also the head inside _state.
_segments: HashMap[uint256, uint256]
service_contract_count: public(uint256)
service_contracts: public(HashMap[uint256, ServiceContract])
# contract id -> terms word (company, fee income mode, commission): what the treasury reads per expense.
_terms: HashMap[uint256, uint256]

# reference (hash of the receipt or bank reference) -> record word; non-zero once used.
_records: HashMap[bytes32, uint256]
# cashier -> Beijing day -> total recorded that day (fen)
cashier_total: public(HashMap[address, HashMap[uint256, uint256]])

# month -> count << 128 | sum of scores
_satisfaction: HashMap[uint256, uint256]
# month -> identity // 256 -> bitmap of identities that rated
_rated: HashMap[uint256, HashMap[uint256, uint256]]


event FeePaid:
    unit_id: indexed(uint256)
    payer: indexed(address)
    from_month: uint256
    to_month: uint256
    dues: uint256
    late_fee: uint256
    amount: uint256
    to_maintenance: uint256
    points: uint256

# A payment received off chain (WeChat, Alipay, bank, cash), recorded by a cashier; the
# FeePaid of the same months precedes it. `day_total` is the cashier's total that day.
event FeeRecorded:
    unit_id: indexed(uint256)
    cashier: indexed(address)
    reference: indexed(bytes32)
    channel: uint8
    from_month: uint256
    to_month: uint256
    amount: uint256
    day: uint256
    day_total: uint256

event RecordDisputed:
    reference: indexed(bytes32)
    unit_id: indexed(uint256)
    owner: indexed(address)
    reason: bytes32

# An upheld dispute voids the record: the unit's paid months go back by the record's months.
event DisputeAnswered:
    reference: indexed(bytes32)
    unit_id: indexed(uint256)
    answered_by: indexed(address)
    upheld: bool
    answer: bytes32
    first_unpaid_month: uint256
    points_taken_back: uint256

# A unit's accrued points minted to their payer: by its claim, or when another wallet
# paid the unit (`claimant` is the payer either way).
event PointsClaimed:
    unit_id: indexed(uint256)
    claimant: indexed(address)
    amount: uint256

event PublicIncomeReceived:
    payer: indexed(address)
    source: indexed(uint8)
    amount: uint256
    paid_by: indexed(address)

event MaintenanceDeposited:
    depositor: indexed(address)
    amount: uint256
    source: indexed(bytes32)

event Disbursed:
    fund: indexed(uint8)
    payee: indexed(address)
    amount: uint256
    balance_after: uint256
    treasury: indexed(address)

event TreasurySet:
    treasury: indexed(address)
    set_by: indexed(address)

event ServiceContractProposed:
    contract_id: indexed(uint256)
    company: indexed(address)
    doc_hash: bytes32
    start_month: uint256
    end_month: uint256
    rate: uint256
    service_items: DynArray[bytes32, MAX_SERVICE_ITEMS]
    proposed_by: indexed(address)
    mode: uint8
    commission_bps: uint256

event ServiceContractApproved:
    contract_id: indexed(uint256)
    company: indexed(address)
    start_month: uint256
    rate: uint256
    segment: uint256
    approved_by: indexed(address)

event LateFeeSet:
    rate_bps: uint256
    cap_bps: uint256

event PrepayLimitSet:
    months: uint256

event PointsRateSet:
    rate: uint256

event BillingStartSet:
    month: uint256

event UnitBillingStartSet:
    unit_id: indexed(uint256)
    month: uint256

event MaintenanceShareSet:
    bps: uint256
    set_by: indexed(address)

event ServiceRated:
    period: indexed(uint256)
    identity: indexed(uint256)
    rater: indexed(address)
    score: uint256
    count: uint256
    total: uint256


@deploy
def __init__(registry_: address, points_: address, settlement_token_: address, billing_start: uint256):
    """
    @notice Deploy the fees of one community.
    @param registry_ The community's HouseholdRegistry (units, areas, roles).
    @param points_ The community's CommunityPoints (this contract must be made a minter).
    @param settlement_token_ The ERC-20 fees are paid in (2 decimals: fen).
    @param billing_start The month index from which never-paid units owe (0: the current month).
    """
    assert registry_ != empty(address), "fees: registry is the zero address"
    assert points_ != empty(address), "fees: points is the zero address"
    assert settlement_token_ != empty(address), "fees: token is the zero address"
    registry = registry_
    points = points_
    settlement_token = settlement_token_
    start: uint256 = billing_start
    if start == 0:
        start = fees_calendar._month_of(block.timestamp)
    assert start <= MAX_MONTH, "fees: month out of range"
    # Defaults: late fee 50 bps per month overdue capped at 1_000 bps of a month's dues,
    # prepayment up to 12 months, 10% to the maintenance fund, one point per yuan paid on time.
    state: uint256 = start | (50 << SHIFT_LATE_RATE) | (1_000 << SHIFT_LATE_CAP) | (12 << SHIFT_PREPAY)
    state |= (1_000 << SHIFT_SHARE) | (BPS << SHIFT_POINTS)
    self._state = state
    log BillingStartSet(month=start)
    log LateFeeSet(rate_bps=50, cap_bps=1_000)
    log PrepayLimitSet(months=12)
    log MaintenanceShareSet(bps=1_000, set_by=msg.sender)
    log PointsRateSet(rate=BPS)


# ---------------------------------------------------------------- payments


@external
def pay(unit_id: uint256, months: uint256, max_amount: uint256) -> uint256:
    """
    @notice Pay a unit's fees for `months` months, oldest unpaid month first. Any
            wallet may pay any unit; the caller must have approved this contract.
    @param unit_id The unit.
    @param months The number of months to pay (> 0).
    @param max_amount The most the caller accepts to pay (dues + late fee).
    @return The amount charged in fen.
    """
    return self._pay(msg.sender, unit_id, months, max_amount, PULLED)[0]


@external
def pay_with_permit(
    unit_id: uint256, months: uint256, max_amount: uint256, deadline: uint256, v: uint8, r: bytes32, s: bytes32
) -> uint256:
    """
    @notice Pay like `pay`, approving with an EIP-2612 permit of `max_amount` signed
            by the caller in the same transaction.
    @dev The permit is tried, not required: if someone front-ran it (the allowance
         is already there) the payment still goes through; otherwise transferFrom
         fails for lack of allowance.
    @param unit_id The unit.
    @param months The number of months to pay (> 0).
    @param max_amount The permit's value and the most the caller accepts to pay.
    @param deadline The permit's deadline.
    @param v The permit signature's v.
    @param r The permit signature's r.
    @param s The permit signature's s.
    @return The amount charged in fen.
    """
    # A failed permit is ignored on purpose: transferFrom below decides.
    permitted: bool = raw_call(
        settlement_token,
        abi_encode(msg.sender, self, max_amount, deadline, v, r, s, method_id=method_id("permit(address,address,uint256,uint256,uint8,bytes32,bytes32)")),
        revert_on_failure=False,
    )
    return self._pay(msg.sender, unit_id, months, max_amount, PULLED)[0]


@external
def onTransferReceived(operator: address, sender: address, amount: uint256, data: Bytes[1_024]) -> bytes4:
    """
    @notice Pay a unit's fees with the settlement token's ERC-1363 `transferAndCall`:
            `data` is `abi.encode(unit_id, months)` and the amount transferred must
            be exactly what `quote` says is due (dues + late fee). One transaction,
            no signature and no allowance: the cheapest way a resident pays.
    @dev Called by the settlement token after it moved `amount` from `sender` to
         this contract; anything else calling it is refused, or a caller could say
         it paid without paying. The points go to `sender`, whose money it was.
    @param operator The wallet that called the token (the payer, or a spender of its allowance).
    @param sender The wallet the money came from: the payer.
    @param amount The amount received in fen.
    @param data abi.encode(unit_id, months).
    @return The ERC-1363 receiver selector.
    """
    assert msg.sender == settlement_token, "fees: only the settlement token pays in"
    assert len(data) == 64, "fees: payment data is not (unit, months)"
    unit_id: uint256 = 0
    months: uint256 = 0
    unit_id, months = abi_decode(data, (uint256, uint256))
    self._pay(sender, unit_id, months, amount, PUSHED)
    return method_id("onTransferReceived(address,address,uint256,bytes)", output_type=bytes4)


@external
def claim_points(unit_ids: DynArray[uint256, MAX_CLAIM_UNITS]) -> uint256:
    """
    @notice Claim the community points your on-time payments of units earned: they
            are minted to the caller, who must be the wallet that paid them (not
            the unit's owner or residents as such: points belong to whoever paid).
            Several units (an owner's flat and parking space) in one call, one mint.
    @param unit_ids The units, each at most once.
    @return The points minted.
    """
    total: uint256 = 0
    for unit_id: uint256 in unit_ids:
        word: uint256 = self._unit_word[unit_id]
        assert word >> SHIFT_PAYER == convert(msg.sender, uint256), "fees: not the unit's payer"
        accrued: uint256 = (word >> SHIFT_ACCRUED) & MASK63
        if accrued == 0:
            continue
        self._unit_word[unit_id] = word & ~(MASK63 << SHIFT_ACCRUED)
        # Each unit's accrued points are < 2**64 and there are at most 32 units.
        total = unsafe_add(total, accrued)
        log PointsClaimed(unit_id=unit_id, claimant=msg.sender, amount=accrued)
    assert total > 0, "fees: no points to claim"
    extcall ICommunityPoints(points).mint(msg.sender, total, REASON_ON_TIME_PAYMENT)
    return total


@external
def receive_public_income(payer: address, amount: uint256, source: uint8):
    """
    @notice Pay public income (公共收益: parking, advertising on common parts,
            merchant promotion, service platform fees) into the treasury. The
            tokens are pulled from the caller; `payer` is who the income is from
            (a merchant, a driver, or the caller itself), so a module can forward
            income it collected on someone's behalf.
    @param payer The party the income is attributed to.
    @param amount The amount in fen (> 0).
    @param source The source category (SOURCE_*: 1 parking … 5 other).
    """
    assert amount > 0, "fees: zero amount"
    assert source >= SOURCE_PARKING and source <= SOURCE_OTHER, "fees: unknown income source"
    assert payer != empty(address), "fees: payer is the zero address"
    balance: uint256 = self._public_income + amount
    assert balance <= MASK128, "fees: balance overflow"
    self._public_income = balance
    assert extcall IERC20(settlement_token).transferFrom(msg.sender, self, amount, default_return_value=True), "fees: transfer failed"
    log PublicIncomeReceived(payer=payer, source=source, amount=amount, paid_by=msg.sender)


@external
def deposit_maintenance(amount: uint256, source: bytes32):
    """
    @notice Pay settlement tokens straight into the maintenance fund (e.g. a levy
            decided by the assembly, or the initial deposits of the units).
    @param amount The amount in fen (> 0).
    @param source What the deposit is for (e.g. hash of the assembly decision).
    """
    assert amount > 0, "fees: zero amount"
    state: uint256 = self._state
    balance: uint256 = (state >> SHIFT_FUND) + amount
    assert balance <= MASK48, "fees: balance overflow"
    self._state = (state & ~(MASK48 << SHIFT_FUND)) | (balance << SHIFT_FUND)
    assert extcall IERC20(settlement_token).transferFrom(msg.sender, self, amount, default_return_value=True), "fees: transfer failed"
    log MaintenanceDeposited(depositor=msg.sender, amount=amount, source=source)


# ---------------------------------------------------------------- payments received off chain


@external
def record_payment(unit_id: uint256, from_month: uint256, months: uint256, amount: uint256, channel: uint8, reference: bytes32):
    """
    @notice Record a fee payment the property company received off chain (WeChat,
            Alipay, bank transfer, cash): it counts exactly like a token payment of
            the same months (statement, receipt, late fee, points), but no token
            moves and the balances held here do not change (the money is in the
            company's account). The points go to the unit's owner.
    @dev `from_month` is the unit's first unpaid month the cashier saw: a second
         record of the same months (another receipt of the same payment) is refused.
    @param unit_id The unit.
    @param from_month The unit's first unpaid month (the first month paid).
    @param months The number of months paid (> 0).
    @param amount The amount received in fen: exactly the dues and late fee of those months.
    @param channel CHANNEL_WECHAT (1), CHANNEL_ALIPAY (2), CHANNEL_BANK (3) or CHANNEL_CASH (4).
    @param reference Hash of the receipt or bank reference (no personal data), once only.
    """
    assert self._has_role(CASHIER_ROLE, msg.sender), "fees: cashier only"
    day: uint256 = (block.timestamp + BEIJING_OFFSET) // 86_400
    total: uint256 = self._record(CashPayment(
        unit_id=unit_id, from_month=from_month, months=months, amount=amount, channel=channel, reference=reference
    ), day, self.cashier_total[msg.sender][day])
    self.cashier_total[msg.sender][day] = total


@external
def record_payments(payments: DynArray[CashPayment, MAX_RECORD_BATCH]):
    """
    @notice Record several off-chain payments at once, as `record_payment` each
            (a bank statement's lines); all or none.
    @param payments The payments (up to MAX_RECORD_BATCH).
    """
    assert self._has_role(CASHIER_ROLE, msg.sender), "fees: cashier only"
    day: uint256 = (block.timestamp + BEIJING_OFFSET) // 86_400
    total: uint256 = self.cashier_total[msg.sender][day]
    for payment: CashPayment in payments:
        total = self._record(payment, day, total)
    self.cashier_total[msg.sender][day] = total


@external
def dispute_record(reference: bytes32, reason: bytes32):
    """
    @notice Dispute a cashier's record of your unit within DISPUTE_PERIOD of it,
            once; the committee or the manager answers.
    @param reference The record's reference.
    @param reason Hash of the reason (the text is kept off chain).
    """
    record: uint256 = self._records[reference]
    assert record != 0, "fees: no such record"
    unit_id: uint256 = record & MASK64
    assert staticcall IHouseholdRegistry(registry).unit_owner(unit_id) == msg.sender, "fees: not the unit's owner"
    assert (record >> RECORD_SHIFT_STATUS) & 3 == RECORD_STANDING, "fees: already disputed"
    assert block.timestamp <= ((record >> RECORD_SHIFT_TIME) & MASK64) + DISPUTE_PERIOD, "fees: dispute period over"
    self._records[reference] = record | (RECORD_DISPUTED << RECORD_SHIFT_STATUS)
    log RecordDisputed(reference=reference, unit_id=unit_id, owner=msg.sender, reason=reason)


@external
def answer_dispute(reference: bytes32, upheld: bool, answer: bytes32):
    """
    @notice Answer an open dispute. Upheld, the record is void: the unit's first
            unpaid month goes back by the record's months (later payments keep
            their count of months) and the points it earned are taken back from
            the unit's unclaimed points while they are still the owner's.
            Rejected, the record stands and cannot be disputed again.
    @param reference The record's reference.
    @param upheld Whether the owner is right.
    @param answer Hash of the answer (the text is kept off chain).
    """
    assert self._is_manager(msg.sender) or self._has_role(COMMITTEE_ROLE, msg.sender), "fees: committee or manager only"
    record: uint256 = self._records[reference]
    assert (record >> RECORD_SHIFT_STATUS) & 3 == RECORD_DISPUTED, "fees: no open dispute"
    unit_id: uint256 = record & MASK64
    word: uint256 = self._unit_word[unit_id]
    taken: uint256 = 0
    status: uint256 = RECORD_UPHELD
    if upheld:
        status = RECORD_VOIDED
        # The unit paid through at least the record's months: first unpaid >= its end.
        first: uint256 = (word & MASK32) - ((record >> RECORD_SHIFT_MONTHS) & MASK32)
        accrued: uint256 = (word >> SHIFT_ACCRUED) & MASK63
        owner: uint256 = convert(staticcall IHouseholdRegistry(registry).unit_owner(unit_id), uint256)
        if word >> SHIFT_PAYER == owner:
            taken = min(accrued, record >> RECORD_SHIFT_POINTS)
        word = (word & ~(MASK32 | (MASK63 << SHIFT_ACCRUED))) | first | ((accrued - taken) << SHIFT_ACCRUED)
        self._unit_word[unit_id] = word
    self._records[reference] = (record & ~(3 << RECORD_SHIFT_STATUS)) | (status << RECORD_SHIFT_STATUS)
    log DisputeAnswered(
        reference=reference, unit_id=unit_id, answered_by=msg.sender, upheld=upheld, answer=answer,
        first_unpaid_month=word & MASK32, points_taken_back=taken,
    )


@external
@view
def payment_record(reference: bytes32) -> (uint256, uint256, uint256, uint256, uint256, uint256):
    """
    @notice A cashier's record.
    @param reference The record's reference.
    @return unit (0: no such record), first month, months, time recorded,
            status (0 standing, 1 disputed, 2 voided, 3 dispute rejected), points earned.
    """
    record: uint256 = self._records[reference]
    return (
        record & MASK64,
        (record >> RECORD_SHIFT_FIRST) & MASK32,
        (record >> RECORD_SHIFT_MONTHS) & MASK32,
        (record >> RECORD_SHIFT_TIME) & MASK64,
        (record >> RECORD_SHIFT_STATUS) & 3,
        record >> RECORD_SHIFT_POINTS,
    )


# ---------------------------------------------------------------- disbursements


@external
def set_treasury(treasury_: address):
    """
    @notice Name the treasury module, the only caller of `disburse`. Once: nobody,
            the assembly included, can change it afterwards (the deployer names
            it while it holds the assembly's role).
    @param treasury_ The CommunityTreasury of this community.
    """
    self._only_assembly()
    assert self.treasury == empty(address), "fees: treasury already set"
    assert treasury_ != empty(address), "fees: treasury is the zero address"
    self.treasury = treasury_
    log TreasurySet(treasury=treasury_, set_by=msg.sender)


@external
def disburse(fund: uint8, payee: address, amount: uint256):
    """
    @notice Pay `amount` from a fund to `payee`: the only way money leaves this
            contract, at the treasury module's call (which checks the decision,
            the budget or the cap behind it).
    @param fund FUND_FEE_INCOME (0), FUND_PUBLIC_INCOME (1) or FUND_MAINTENANCE (2).
    @param payee Who is paid (not this contract nor the treasury module).
    @param amount The amount in fen (> 0).
    """
    module: address = self.treasury
    assert msg.sender == module and module != empty(address), "fees: treasury module only"
    assert amount > 0, "fees: zero amount"
    assert payee != empty(address) and payee != self and payee != module, "fees: payee not allowed"
    balance: uint256 = 0
    if fund == FUND_PUBLIC_INCOME:
        balance = self._public_income
        assert balance >= amount, "fees: insufficient balance"
        # balance >= amount was just checked.
        balance = unsafe_sub(balance, amount)
        self._public_income = balance
    else:
        assert fund == FUND_FEE_INCOME or fund == FUND_MAINTENANCE, "fees: unknown fund"
        offset: uint256 = SHIFT_FEE
        mask: uint256 = MASK47
        if fund == FUND_MAINTENANCE:
            offset = SHIFT_FUND
            mask = MASK48
        state: uint256 = self._state
        balance = (state >> offset) & mask
        assert balance >= amount, "fees: insufficient balance"
        balance = unsafe_sub(balance, amount)
        self._state = (state & ~(mask << offset)) | (balance << offset)
    assert extcall IERC20(settlement_token).transfer(payee, amount, default_return_value=True), "fees: transfer failed"
    log Disbursed(fund=fund, payee=payee, amount=amount, balance_after=balance, treasury=module)


# ---------------------------------------------------------------- property service contract


@external
def propose_service_contract(
    doc_hash: bytes32,
    company: address,
    start_month: uint256,
    end_month: uint256,
    rate: uint256,
    service_items: DynArray[bytes32, MAX_SERVICE_ITEMS],
    mode: uint8,
    commission_bps: uint256,
) -> uint256:
    """
    @notice Propose a property service contract (物业服务合同) and the fee standard
            it brings. It applies only once the owners' assembly approves it.
    @param doc_hash sha256 of the signed contract document.
    @param company The property company's wallet (must hold the manager role).
    @param start_month The first month of the term; the rate applies from it.
    @param end_month The last month of the term (inclusive).
    @param rate Fee standard in fen per m² per month (> 0).
    @param service_items Hashes of the service level items (up to 16).
    @param mode MODE_LUMP_SUM (1, 包干制) or MODE_COMMISSION (2, 酬金制).
    @param commission_bps The company's commission on expenses under 酬金制, in bps
           (0 under 包干制).
    @return The contract id (1, 2, …).
    """
    assert (
        self._is_manager(msg.sender) or self._has_role(COMMITTEE_ROLE, msg.sender) or self._has_role(ASSEMBLY_ROLE, msg.sender)
    ), "fees: manager, committee or assembly only"
    assert doc_hash != empty(bytes32), "fees: empty document hash"
    assert self._is_manager(company), "fees: company is not the manager"
    assert rate > 0 and rate <= MAX_RATE, "fees: rate out of range"
    assert start_month <= end_month and end_month <= MAX_MONTH, "fees: bad term"
    assert mode == MODE_LUMP_SUM or mode == MODE_COMMISSION, "fees: unknown fee income mode"
    assert commission_bps <= BPS, "fees: bps out of range"
    assert mode == MODE_COMMISSION or commission_bps == 0, "fees: commission without the commission mode"
    contract_id: uint256 = self.service_contract_count + 1
    self.service_contract_count = contract_id
    self.service_contracts[contract_id] = ServiceContract(
        doc_hash=doc_hash,
        company=company,
        start_month=start_month,
        end_month=end_month,
        rate=rate,
        service_items=service_items,
        proposed_by=msg.sender,
        approved=False,
    )
    self._terms[contract_id] = convert(company, uint256) | (convert(mode, uint256) << SHIFT_MODE) | (commission_bps << SHIFT_COMMISSION)
    log ServiceContractProposed(
        contract_id=contract_id,
        company=company,
        doc_hash=doc_hash,
        start_month=start_month,
        end_month=end_month,
        rate=rate,
        service_items=service_items,
        proposed_by=msg.sender,
        mode=mode,
        commission_bps=commission_bps,
    )
    return contract_id


@external
def approve_service_contract(contract_id: uint256):
    """
    @notice Approve a proposed service contract (the assembly hires the property
            company, 民法典 第二百七十八条): its rate applies from its first month.
    @param contract_id The proposed contract.
    """
    self._only_assembly()
    sc: ServiceContract = self.service_contracts[contract_id]
    assert sc.doc_hash != empty(bytes32), "fees: unknown service contract"
    assert not sc.approved, "fees: already approved"
    assert self._is_manager(sc.company), "fees: company is not the manager"
    state: uint256 = self._state
    count: uint256 = (state >> SHIFT_SEG_COUNT) & MASK9
    if count > 0:
        # Months already begun keep their rate; the schedule only grows forward.
        assert sc.start_month > fees_calendar._month_of(block.timestamp), "fees: rate must start after the current month"
        assert sc.start_month > (state >> SHIFT_HEAD_MONTH) & MASK20, "fees: starts before the latest rate"
    assert count < MAX_CONTRACTS, "fees: too many rate changes"
    self._segments[count] = sc.start_month | (contract_id << SHIFT_SEG_CONTRACT) | (sc.rate << SHIFT_SEG_RATE)
    head: uint256 = (sc.start_month << SHIFT_HEAD_MONTH) | ((count + 1) << SHIFT_SEG_COUNT) | (sc.rate << SHIFT_HEAD_RATE)
    self._state = (state & ~SCHEDULE_BITS) | head
    self.service_contracts[contract_id].approved = True
    log ServiceContractApproved(
        contract_id=contract_id, company=sc.company, start_month=sc.start_month, rate=sc.rate, segment=count, approved_by=msg.sender
    )


# ---------------------------------------------------------------- the assembly's limits


@external
def set_late_fee(rate_bps: uint256, cap_bps: uint256):
    """
    @notice Set the late fee: `rate_bps` of the monthly amount per month overdue,
            at most `cap_bps` of it per month of dues.
    @param rate_bps Basis points per month overdue (0..10_000).
    @param cap_bps Cap in basis points of a month's dues (0..10_000).
    """
    self._only_assembly()
    assert rate_bps <= BPS and cap_bps <= BPS, "fees: bps out of range"
    state: uint256 = self._state & ~((MASK14 << SHIFT_LATE_RATE) | (MASK14 << SHIFT_LATE_CAP))
    self._state = state | (rate_bps << SHIFT_LATE_RATE) | (cap_bps << SHIFT_LATE_CAP)
    log LateFeeSet(rate_bps=rate_bps, cap_bps=cap_bps)


@external
def set_prepay_limit(months: uint256):
    """
    @notice Set how many months after the current one may be paid in advance.
    @param months 0..36.
    """
    self._only_assembly()
    assert months <= MAX_PREPAY_LIMIT, "fees: prepayment limit out of range"
    self._state = (self._state & ~(MASK6 << SHIFT_PREPAY)) | (months << SHIFT_PREPAY)
    log PrepayLimitSet(months=months)


@external
def set_points_rate(rate: uint256):
    """
    @notice Set the points minted for an on-time payment, in basis points of a
            point per yuan of dues (10_000: one point per yuan; 0: none).
    @param rate The rate.
    """
    self._only_assembly()
    assert rate <= MAX_POINTS_RATE, "fees: points rate out of range"
    self._state = (self._state & ~(MASK32 << SHIFT_POINTS)) | (rate << SHIFT_POINTS)
    log PointsRateSet(rate=rate)


@external
def set_maintenance_share(bps: uint256):
    """
    @notice Set the share of every fee payment that goes to the maintenance fund
            (raising the fund, 筹集维修资金, is a major assembly matter).
    @param bps 0..10_000.
    """
    self._only_assembly()
    assert bps <= BPS, "fees: bps out of range"
    self._state = (self._state & ~(MASK14 << SHIFT_SHARE)) | (bps << SHIFT_SHARE)
    log MaintenanceShareSet(bps=bps, set_by=msg.sender)


# ---------------------------------------------------------------- the committee's settings


@external
def set_billing_start(month: uint256):
    """
    @notice Set the month from which units that never paid and have no start of
            their own owe fees.
    @param month A month index.
    """
    self._only_committee()
    assert month > 0 and month <= MAX_MONTH, "fees: month out of range"
    self._state = (self._state & ~MASK20) | month
    log BillingStartSet(month=month)


@external
def set_unit_billing_start(unit_id: uint256, month: uint256):
    """
    @notice Set the month a unit that never paid owes from (e.g. a unit registered
            or delivered after the community's billing start).
    @param unit_id The unit.
    @param month A month index.
    """
    self._only_committee()
    self._area_of(unit_id)
    assert month > 0 and month <= MAX_MONTH, "fees: month out of range"
    assert self._unit_word[unit_id] & PAID_FLAG == 0, "fees: unit already paid"
    self._unit_word[unit_id] = month
    log UnitBillingStartSet(unit_id=unit_id, month=month)


# ---------------------------------------------------------------- satisfaction


@external
def rate_service(period: uint256, score: uint256):
    """
    @notice Rate the property service of a closed month, 1 (poor) to 5 (excellent),
            once per owner identity; open for SATISFACTION_WINDOW months after it.
    @param period The month index rated (before the current month).
    @param score 1..5.
    """
    assert score >= 1 and score <= 5, "fees: score out of range"
    current: uint256 = fees_calendar._month_of(block.timestamp)
    assert period < current, "fees: period not closed"
    assert period + SATISFACTION_WINDOW >= current, "fees: rating window closed"
    bound: bool = False
    identity: uint256 = 0
    bound, identity = staticcall IHouseholdRegistry(registry).identity_of(msg.sender)
    assert bound and staticcall IHouseholdRegistry(registry).is_owner(msg.sender), "fees: owners only"
    bit: uint256 = 1 << (identity % 256)
    bitmap: uint256 = self._rated[period][identity // 256]
    assert bitmap & bit == 0, "fees: already rated"
    self._rated[period][identity // 256] = bitmap | bit
    word: uint256 = self._satisfaction[period]
    count: uint256 = (word >> 128) + 1
    total: uint256 = (word & MASK128) + score
    self._satisfaction[period] = (count << 128) | total
    log ServiceRated(period=period, identity=identity, rater=msg.sender, score=score, count=count, total=total)


# ---------------------------------------------------------------- views


@external
@view
def statement(unit_id: uint256) -> Statement:
    """
    @notice A unit's statement now: unpaid months through the current month, the
            current monthly amount, dues, late fee and total.
    @param unit_id The unit.
    """
    area: uint256 = self._area_of(unit_id)
    state: uint256 = self._state
    current: uint256 = fees_calendar._month_of(block.timestamp)
    first: uint256 = self._first_unpaid(self._unit_word[unit_id], state)
    s: Statement = empty(Statement)
    s.first_unpaid_month = first
    s.current_month = current
    s.monthly_amount = self._monthly_amount(area, self._segment_at(current) >> SHIFT_SEG_RATE)
    if first <= current:
        s.months_due = current + 1 - first
        s.months_overdue = current - first
        if (state >> SHIFT_SEG_COUNT) & MASK9 != 0:
            on_time: uint256 = 0
            s.dues, s.late_fee, on_time = self._charge(area, first, current + 1, current, state)
    s.total = s.dues + s.late_fee
    return s


@external
@view
def quote(unit_id: uint256, months: uint256) -> (uint256, uint256, uint256, uint256, uint256):
    """
    @notice What `pay(unit_id, months, …)` would charge now, with the same checks.
    @param unit_id The unit.
    @param months The number of months.
    @return first month covered, last month covered, dues, late fee, total.
    """
    assert months > 0, "fees: zero months"
    area: uint256 = self._area_of(unit_id)
    state: uint256 = self._state
    first: uint256 = self._first_unpaid(self._unit_word[unit_id], state)
    current: uint256 = fees_calendar._month_of(block.timestamp)
    end: uint256 = first + months
    assert end <= current + 1 + ((state >> SHIFT_PREPAY) & MASK6), "fees: over the prepayment limit"
    assert (state >> SHIFT_SEG_COUNT) & MASK9 != 0, "fees: no fee standard in force"
    dues: uint256 = 0
    late: uint256 = 0
    on_time: uint256 = 0
    dues, late, on_time = self._charge(area, first, end, current, state)
    return (first, end - 1, dues, late, dues + late)


@external
@view
def first_unpaid_month(unit_id: uint256) -> uint256:
    """
    @notice The first month a unit has not paid (paid through the month before).
    @param unit_id The unit (not checked against the registry).
    """
    return self._first_unpaid(self._unit_word[unit_id], self._state)


@external
@view
def claimable_points(unit_id: uint256) -> uint256:
    """
    @notice Points a unit's on-time payments earned that their payer has not claimed yet.
    @param unit_id The unit.
    """
    return (self._unit_word[unit_id] >> SHIFT_ACCRUED) & MASK63


@external
@view
def points_payer(unit_id: uint256) -> address:
    """
    @notice The wallet a unit's unclaimed points belong to: the unit's latest payer.
    @param unit_id The unit.
    """
    return convert(convert(self._unit_word[unit_id] >> SHIFT_PAYER, uint160), address)


@external
@view
def has_paid(unit_id: uint256) -> bool:
    """
    @notice Whether a unit ever paid (its billing start can no longer be set).
    @param unit_id The unit.
    """
    return self._unit_word[unit_id] & PAID_FLAG != 0


@external
@view
def current_month() -> uint256:
    """
    @notice The current Beijing-time month index (year * 12 + month - 1).
    """
    return fees_calendar._month_of(block.timestamp)


@external
@pure
def month_of(timestamp: uint256) -> uint256:
    """
    @notice The Beijing-time month index of a Unix timestamp.
    @param timestamp Seconds since the epoch (below 2**64).
    """
    assert timestamp < 2**64, "fees: timestamp out of range"
    return fees_calendar._month_of(timestamp)


@external
@pure
def month_start(month: uint256) -> uint256:
    """
    @notice The Unix timestamp of 00:00 Beijing time on the first of a month.
    @param month A month index from February 1970.
    """
    return fees_calendar._month_start(month)


@external
@view
def rate_at(month: uint256) -> (uint256, uint256):
    """
    @notice The fee standard (fen per m² per month) of a month and the service
            contract it comes from (0, 0 before the first contract).
    @param month A month index.
    """
    seg: uint256 = self._segment_at(month)
    return (seg >> SHIFT_SEG_RATE, (seg >> SHIFT_SEG_CONTRACT) & MASK32)


@external
@view
def rate_segment_count() -> uint256:
    """
    @notice How many rate segments (approved service contracts) the schedule has.
    """
    return (self._state >> SHIFT_SEG_COUNT) & MASK9


@external
@view
def rate_segment(index: uint256) -> (uint256, uint256, uint256):
    """
    @notice One segment of the fee schedule, oldest first.
    @param index 0 .. rate_segment_count() - 1.
    @return first month, rate (fen per m² per month), service contract id.
    """
    assert index < (self._state >> SHIFT_SEG_COUNT) & MASK9, "fees: no such segment"
    seg: uint256 = self._segments[index]
    return (seg & MASK32, seg >> SHIFT_SEG_RATE, (seg >> SHIFT_SEG_CONTRACT) & MASK32)


@external
@view
def contract_in_force() -> uint256:
    """
    @notice The id of the service contract whose rate applies this month (0: none).
    """
    return (self._segment_at(fees_calendar._month_of(block.timestamp)) >> SHIFT_SEG_CONTRACT) & MASK32


@external
@view
def terms_in_force() -> (uint256, address, uint8, uint256):
    """
    @notice The service contract in force this month and how it uses fee income.
    @return contract id (0: none), company, mode (1 包干制, 2 酬金制; 0: none),
            commission in bps.
    """
    contract_id: uint256 = (self._segment_at(fees_calendar._month_of(block.timestamp)) >> SHIFT_SEG_CONTRACT) & MASK32
    terms: uint256 = self._terms[contract_id]
    return (contract_id, self._company(terms), self._mode(terms), terms >> SHIFT_COMMISSION)


@external
@view
def service_terms(contract_id: uint256) -> (address, uint8, uint256, bool):
    """
    @notice How a service contract uses fee income.
    @param contract_id The contract.
    @return company, mode (1 包干制, 2 酬金制), commission in bps, approved.
    """
    terms: uint256 = self._terms[contract_id]
    return (self._company(terms), self._mode(terms), terms >> SHIFT_COMMISSION, self.service_contracts[contract_id].approved)


@external
@view
def service_items(contract_id: uint256) -> DynArray[bytes32, MAX_SERVICE_ITEMS]:
    """
    @notice The service level item hashes of a service contract.
    @param contract_id The contract.
    """
    return self.service_contracts[contract_id].service_items


@external
@view
def config() -> (uint256, uint256, uint256, uint256, uint256, uint256):
    """
    @notice The fee configuration.
    @return billing start month, late fee bps per month, late fee cap bps,
            max prepaid months, maintenance share bps, points rate.
    """
    state: uint256 = self._state
    return (
        state & MASK20,
        (state >> SHIFT_LATE_RATE) & MASK14,
        (state >> SHIFT_LATE_CAP) & MASK14,
        (state >> SHIFT_PREPAY) & MASK6,
        (state >> SHIFT_SHARE) & MASK14,
        (state >> SHIFT_POINTS) & MASK32,
    )


@external
@view
def maintenance_share() -> uint256:
    """
    @notice The share of each fee payment that goes to the maintenance fund, in bps.
    """
    return (self._state >> SHIFT_SHARE) & MASK14


@external
@view
def fee_income() -> uint256:
    """
    @notice Property fee income held (fen), after disbursements.
    """
    return (self._state >> SHIFT_FEE) & MASK47


@external
@view
def public_income() -> uint256:
    """
    @notice Public income held (fen), after disbursements.
    """
    return self._public_income


@external
@view
def maintenance_fund() -> uint256:
    """
    @notice The maintenance fund's balance (fen), reserved part included.
    """
    return self._state >> SHIFT_FUND


@external
@view
def satisfaction(period: uint256) -> (uint256, uint256):
    """
    @notice The ratings of a month: how many owners rated and the sum of scores.
    @param period The month index.
    @return count, sum.
    """
    word: uint256 = self._satisfaction[period]
    return (word >> 128, word & MASK128)


@external
@view
def has_rated(period: uint256, identity: uint256) -> bool:
    """
    @notice Whether an owner identity rated a month.
    @param period The month index.
    @param identity The owner identity index.
    """
    return self._rated[period][identity // 256] & (1 << (identity % 256)) != 0


# ---------------------------------------------------------------- internal


@internal
def _pay(payer_: address, unit_id: uint256, months: uint256, max_amount: uint256, how: uint8) -> (uint256, uint256):
    # The one path of every fee payment; returns the amount and the points earned.
    assert months > 0, "fees: zero months"
    area: uint256 = self._area_of(unit_id)
    payer_wallet: address = payer_
    if how == RECORDED:
        # The points of a payment received off chain are the owner's: the money was theirs.
        payer_wallet = staticcall IHouseholdRegistry(registry).unit_owner(unit_id)
    state: uint256 = self._state
    word: uint256 = self._unit_word[unit_id]
    first: uint256 = self._first_unpaid(word, state)
    current: uint256 = fees_calendar._month_of(block.timestamp)
    end: uint256 = first + months
    assert end <= current + 1 + ((state >> SHIFT_PREPAY) & MASK6), "fees: over the prepayment limit"
    assert (state >> SHIFT_SEG_COUNT) & MASK9 != 0, "fees: no fee standard in force"
    dues: uint256 = 0
    late: uint256 = 0
    on_time: uint256 = 0
    dues, late, on_time = self._charge(area, first, end, current, state)
    amount: uint256 = dues + late
    if how == PULLED:
        assert amount <= max_amount, "fees: amount above max_amount"
    else:
        # Paid by ERC-1363 transferAndCall (the token has moved `max_amount` already), or
        # received off chain: exactly what is due.
        assert amount == max_amount, "fees: payment differs from the amount due"

    to_fund: uint256 = 0
    if how != RECORDED:
        # Money received off chain is in the company's account, not held here.
        to_fund = amount * ((state >> SHIFT_SHARE) & MASK14) // BPS
        # to_fund <= amount, so amount - to_fund cannot underflow.
        fee_balance: uint256 = ((state >> SHIFT_FEE) & MASK47) + unsafe_sub(amount, to_fund)
        fund_balance: uint256 = (state >> SHIFT_FUND) + to_fund
        assert fee_balance <= MASK47 and fund_balance <= MASK48, "fees: balance overflow"
        self._state = (state & (2**SHIFT_FEE - 1)) | (fee_balance << SHIFT_FEE) | (fund_balance << SHIFT_FUND)
    # The months of the payment that are not overdue earn points for the payer; they
    # accrue in the unit's word beside it.
    earned: uint256 = on_time * ((state >> SHIFT_POINTS) & MASK32) // POINTS_DIVISOR
    accrued: uint256 = (word >> SHIFT_ACCRUED) & MASK63
    previous_payer: uint256 = word >> SHIFT_PAYER
    payer: uint256 = convert(payer_wallet, uint256)
    owed: uint256 = 0
    if previous_payer != payer:
        # Another wallet paid before: what it earned and left unclaimed is minted to it
        # below, never carried over to this payer.
        owed = accrued
        accrued = 0
    accrued += earned
    assert accrued <= MASK63, "fees: points overflow"
    # end < 2**32: months beyond MAX_MONTH are unreachable since first <= current + 37.
    self._unit_word[unit_id] = end | PAID_FLAG | (accrued << SHIFT_ACCRUED) | (payer << SHIFT_PAYER)

    if how == PULLED:
        assert extcall IERC20(settlement_token).transferFrom(payer_wallet, self, amount, default_return_value=True), "fees: transfer failed"

    log FeePaid(
        unit_id=unit_id,
        payer=payer_wallet,
        from_month=first,
        to_month=end - 1,
        dues=dues,
        late_fee=late,
        amount=amount,
        to_maintenance=to_fund,
        points=earned,
    )
    if owed != 0:
        previous: address = convert(convert(previous_payer, uint160), address)
        log PointsClaimed(unit_id=unit_id, claimant=previous, amount=owed)
        extcall ICommunityPoints(points).mint(previous, owed, REASON_ON_TIME_PAYMENT)
    return (amount, earned)


@internal
def _record(payment: CashPayment, day: uint256, day_total: uint256) -> uint256:
    # One cashier's record; returns the cashier's new total of the day.
    assert payment.channel >= CHANNEL_WECHAT and payment.channel <= CHANNEL_CASH, "fees: unknown payment channel"
    assert payment.reference != empty(bytes32), "fees: empty reference"
    assert self._records[payment.reference] == 0, "fees: reference already recorded"
    assert payment.unit_id <= MASK64, "fees: unit not registered"
    # The months paid are the unit's next unpaid ones: a second record of the same months
    # (the same money under another reference) finds them paid and is refused.
    if self._first_unpaid(self._unit_word[payment.unit_id], self._state) != payment.from_month:
        self._area_of(payment.unit_id)
        raise "fees: months already recorded"
    earned: uint256 = self._pay(empty(address), payment.unit_id, payment.months, payment.amount, RECORDED)[1]
    self._records[payment.reference] = (
        payment.unit_id | (payment.from_month << RECORD_SHIFT_FIRST) | (payment.months << RECORD_SHIFT_MONTHS)
        | (block.timestamp << RECORD_SHIFT_TIME) | (earned << RECORD_SHIFT_POINTS)
    )
    total: uint256 = day_total + payment.amount
    log FeeRecorded(
        unit_id=payment.unit_id, cashier=msg.sender, reference=payment.reference, channel=payment.channel,
        from_month=payment.from_month, to_month=payment.from_month + payment.months - 1, amount=payment.amount,
        day=day, day_total=total,
    )
    return total


@internal
@view
def _area_of(unit_id: uint256) -> uint256:
    # raw_call so an unknown unit gets this contract's reason, not the registry's.
    ok: bool = False
    response: Bytes[32] = b""
    ok, response = raw_call(
        registry,
        abi_encode(unit_id, method_id=method_id("unit_area(uint256)")),
        max_outsize=32,
        is_static_call=True,
        revert_on_failure=False,
    )
    assert ok and len(response) == 32, "fees: unit not registered"
    return convert(response, uint256)


@internal
@pure
def _first_unpaid(word: uint256, state: uint256) -> uint256:
    if word == 0:
        return state & MASK20
    return word & MASK32


@internal
@pure
def _monthly_amount(area: uint256, rate: uint256) -> uint256:
    # area < 2**64 and rate < 2**32 would allow unsafe math; kept checked for clarity of audit.
    return (area * rate + 50) // 100


@internal
@view
def _segment_at(month: uint256) -> uint256:
    # The segment word in force in `month`, or 0 before the first one (views only).
    count: uint256 = (self._state >> SHIFT_SEG_COUNT) & MASK9
    for j: uint256 in range(count, bound=MAX_CONTRACTS):
        seg: uint256 = self._segments[count - 1 - j]
        if month >= seg & MASK32:
            return seg
    return 0


@internal
@pure
def _late_units(k: uint256, rate_bps: uint256, cap_bps: uint256) -> uint256:
    # sum over j = 1..k of min(rate_bps * j, cap_bps): linear up to cap/rate months, flat after.
    if k == 0 or rate_bps == 0:
        return 0
    linear: uint256 = cap_bps // rate_bps
    if k <= linear:
        # k * (k + 1) is even.
        return rate_bps * (k * (k + 1) // 2)
    return rate_bps * (linear * (linear + 1) // 2) + cap_bps * (k - linear)


@internal
@view
def _charge(area: uint256, first: uint256, end: uint256, current: uint256, state: uint256) -> (uint256, uint256, uint256):
    # Dues, late fee and the dues of the months not overdue (>= current) of months
    # [first, end), walking the rate segments from the latest back; the common case
    # (all months in the latest segment) reads only the state word.
    late_rate: uint256 = (state >> SHIFT_LATE_RATE) & MASK14
    late_cap: uint256 = (state >> SHIFT_LATE_CAP) & MASK14
    dues: uint256 = 0
    late_units: uint256 = 0
    on_time: uint256 = 0
    hi: uint256 = end
    seg_start: uint256 = (state >> SHIFT_HEAD_MONTH) & MASK20
    rate: uint256 = (state >> SHIFT_HEAD_RATE) & MASK32
    index: uint256 = (state >> SHIFT_SEG_COUNT) & MASK9
    for _: uint256 in range(MAX_CONTRACTS):
        lo: uint256 = max(first, seg_start)
        if lo < hi:
            monthly: uint256 = self._monthly_amount(area, rate)
            dues += monthly * (hi - lo)
            if lo < current:
                # Months lo .. min(hi, current) - 1 are overdue by current - m months.
                top: uint256 = min(hi, current)
                late_units += monthly * (
                    self._late_units(current - lo, late_rate, late_cap) - self._late_units(current - top, late_rate, late_cap)
                )
            if hi > current:
                on_time += monthly * (hi - max(lo, current))
            hi = lo
        index -= 1
        if seg_start <= first or index == 0:
            break
        seg: uint256 = self._segments[index - 1]
        seg_start = seg & MASK32
        rate = seg >> SHIFT_SEG_RATE
    return (dues, late_units // BPS, on_time)


@internal
@pure
def _company(terms: uint256) -> address:
    return convert(convert(terms & (2**160 - 1), uint160), address)


@internal
@pure
def _mode(terms: uint256) -> uint8:
    return convert((terms >> SHIFT_MODE) & 255, uint8)


@internal
@view
def _has_role(role: bytes32, account: address) -> bool:
    return staticcall IHouseholdRegistry(registry).hasRole(role, account)


@internal
@view
def _is_manager(account: address) -> bool:
    return staticcall IHouseholdRegistry(registry).hasRole(MANAGER_ROLE, account)


@internal
@view
def _only_committee():
    assert self._has_role(COMMITTEE_ROLE, msg.sender), "fees: committee only"


@internal
@view
def _only_assembly():
    assert self._has_role(ASSEMBLY_ROLE, msg.sender), "fees: assembly only"
