# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title ServiceMarket
@custom:contract-name ServiceMarket
@license GNU Affero General Public License v3.0 only
@notice Residents' service requests (家政, 维修, 跑腿 …), providers' offers and the
        escrow between them, settled in the community's settlement token.

        - A member of the community (registry `is_member`) posts a request: category,
          description hash (the text stays off chain), budget and deadline. The budget
          is escrowed at once: transferFrom the resident after its approval, or in
          one call with the settlement token's ERC-1363 `transferAndCall` (the
          budget is the amount, the request the data), which a passkey account's
          relayed call can do without ever writing an allowance.
        - Providers (registry PROVIDER_ROLE) offer a price (0 < price <= budget) and a
          promised completion time (after now, not after the deadline); a provider can
          revise or withdraw its offer while the request is open. The offer's
          timestamp is in the `OfferMade` event, so response times are public.
        - The resident accepts one offer, naming its price and time (a revision that
          lands first makes the acceptance fail instead of binding the resident to new
          terms). The difference budget - price is refunded at acceptance, so from then
          on the escrow is the price. The platform fee (bps, set by the committee, at
          most `MAX_FEE_BPS`) is fixed at acceptance: a later change of the fee never
          applies to a deal already made.
        - The provider marks the work done, at the latest at the deadline; the resident
          confirms and the escrow pays the provider the price minus the fee, and the
          fee goes to PropertyFees' public income (`receive_public_income(provider, fee,
          SOURCE_SERVICE_FEE)`). Work marked done and neither confirmed nor disputed is
          released to the provider by anyone once `release_delay` (fixed when the work
          is marked done) has passed.
        - The resident may dispute an accepted request, or work marked done before its
          release time. The committee then splits the escrow: `provider_share` to the
          provider (the fee is charged on that share only), the rest back to the
          resident; a decision hash records the reasoning.
        - Refunds: an open request (no offer accepted) is cancelled by its resident
          for the whole budget, whenever; an accepted request whose provider has not
          marked the work done by the deadline is reclaimed by the resident for the
          whole escrow (marking done after the deadline is refused, so the two cannot
          race).
        - After a confirmed, released or resolved job the resident rates the provider
          1-5 once. Per-provider aggregates (jobs completed, jobs disputed, rating
          count and sum, amount earned) are one storage word, read by the API's
          matching. A household rates a provider at most once per Beijing month,
          and never a provider of its own household. A rating mints
          `rating_points` points to the rater (reason 6) when the job paid a
          platform fee of at least `min_rated_fee` (and of at least 1 fen: a job
          that paid no fee earns no points), both set by the assembly.
        - A request is two storage words (resident, status, category, deadline,
          release time | provider, fee bps, escrow); an offer and a provider's
          aggregates are one word each, so each step reads each slot once.
@custom:security The escrow is held here: the settlement tokens held equal the
                 escrow of the requests not yet closed. State changes before any
                 token transfer, and `nonreentrancy on` locks every function, so a token
                 that calls back cannot settle twice. The committee is trusted to
                 arbitrate disputes (bounded by the escrow: it cannot take more than the
                 request holds, and nothing goes to the committee) and to set the fee
                 within its cap. PropertyFees holds an unlimited allowance from this
                 contract to pull fees: it only ever pulls from its caller, so only this
                 contract's own calls move these tokens. A disputed request waits for
                 the committee: there is no timeout on arbitration. Rating points can be
                 farmed by a household colluding with a provider at the cost of the
                 fee, once a month per provider; the assembly sets the rate and the
                 minimum fee knowing that.
"""

from ethereum.ercs import IERC20
from interfaces import IHouseholdRegistry
from interfaces import ICommunityPoints
from interfaces import IPropertyFees
import fees_calendar


COMMITTEE_ROLE: constant(bytes32) = keccak256("linli.role.committee")
ASSEMBLY_ROLE: constant(bytes32) = keccak256("linli.role.assembly")
PROVIDER_ROLE: constant(bytes32) = keccak256("linli.role.provider")

BPS: constant(uint256) = 10_000
MAX_FEE_BPS: public(constant(uint256)) = 1_000
MIN_RELEASE_DELAY: public(constant(uint256)) = 3_600
MAX_RELEASE_DELAY: public(constant(uint256)) = 90 * 86_400
MAX_RATING_POINTS: public(constant(uint256)) = 1_000_000
SOURCE_SERVICE_FEE: constant(uint8) = 4
REASON_SERVICE_RATING: constant(uint16) = 6

# Request status (the low 7 bits of the status byte). 5.. are closed: no escrow left.
STATUS_OPEN: public(constant(uint256)) = 1
STATUS_ACCEPTED: public(constant(uint256)) = 2
STATUS_DONE: public(constant(uint256)) = 3
STATUS_DISPUTED: public(constant(uint256)) = 4
STATUS_CONFIRMED: public(constant(uint256)) = 5
STATUS_RELEASED: public(constant(uint256)) = 6
STATUS_RESOLVED: public(constant(uint256)) = 7
STATUS_CANCELLED: public(constant(uint256)) = 8
STATUS_RECLAIMED: public(constant(uint256)) = 9

MASK16: constant(uint256) = 2**16 - 1
MASK32: constant(uint256) = 2**32 - 1
MASK40: constant(uint256) = 2**40 - 1
MASK64: constant(uint256) = 2**64 - 1
MASK80: constant(uint256) = 2**80 - 1
MASK128: constant(uint256) = 2**128 - 1
MASK160: constant(uint256) = 2**160 - 1
STATUS_MASK: constant(uint256) = 127

# Request head word: bits 0..159 resident, 160..166 status, 167 rated flag,
# 168..175 category, 176..215 deadline, 216..255 release time (0 until marked done).
SHIFT_STATUS: constant(uint256) = 160
RATED_FLAG: constant(uint256) = 2**167
SHIFT_CATEGORY: constant(uint256) = 168
SHIFT_DEADLINE: constant(uint256) = 176
SHIFT_RELEASE: constant(uint256) = 216

# Request deal word: bits 0..159 provider (0 until accepted), 160..175 fee bps fixed
# at acceptance, 176..255 escrow (the budget while open, the price once accepted;
# once closed, the platform fee the job paid).
SHIFT_FEE: constant(uint256) = 160
SHIFT_ESCROW: constant(uint256) = 176

# Offer word: bits 0..79 price, 80..119 promised completion time (> 0: the offer exists).
SHIFT_COMPLETION: constant(uint256) = 80

# Provider word: bits 0..31 jobs completed (confirmed or released), 32..63 jobs
# disputed (resolved by the committee), 64..95 rating count, 96..127 rating sum,
# 128..255 amount earned (net of fees).
SHIFT_DISPUTED: constant(uint256) = 32
SHIFT_RATING_COUNT: constant(uint256) = 64
SHIFT_RATING_SUM: constant(uint256) = 96
SHIFT_EARNED: constant(uint256) = 128

# Configuration word: bits 0..15 fee bps, 16..55 release delay (s), 56..119 rating
# points, 120..199 the least platform fee (fen) a job pays for its rating to earn points.
SHIFT_DELAY: constant(uint256) = 16
SHIFT_POINTS: constant(uint256) = 56
SHIFT_MIN_FEE: constant(uint256) = 120

DEFAULT_RELEASE_DELAY: constant(uint256) = 7 * 86_400


struct ServiceRequest:
    resident: address
    status: uint256
    rated: bool
    category: uint8
    deadline: uint256
    release_at: uint256
    provider: address
    fee_bps: uint256
    escrow: uint256


struct Offer:
    price: uint256
    completion_by: uint256


struct ProviderStats:
    jobs_completed: uint256
    jobs_disputed: uint256
    rating_count: uint256
    rating_sum: uint256
    earned: uint256


registry: public(immutable(address))
points: public(immutable(address))
fees: public(immutable(address))
settlement_token: public(immutable(address))

request_count: public(uint256)

_config: uint256
_head: HashMap[uint256, uint256]
_deal: HashMap[uint256, uint256]
# request id -> provider -> offer word
_offer: HashMap[uint256, HashMap[address, uint256]]
_provider: HashMap[address, uint256]
# keccak256(rater's household, provider) -> Beijing month index + 1 of its last rating
_rated_month: HashMap[bytes32, uint256]


event RequestPosted:
    request_id: indexed(uint256)
    resident: indexed(address)
    category: indexed(uint8)
    description_hash: bytes32
    budget: uint256
    deadline: uint256
    posted_at: uint256

event OfferMade:
    request_id: indexed(uint256)
    service_provider: indexed(address)
    price: uint256
    completion_by: uint256
    offered_at: uint256
    revision: bool

event OfferWithdrawn:
    request_id: indexed(uint256)
    service_provider: indexed(address)
    withdrawn_at: uint256

event OfferAccepted:
    request_id: indexed(uint256)
    resident: indexed(address)
    service_provider: indexed(address)
    price: uint256
    completion_by: uint256
    refund: uint256
    fee_bps: uint256
    accepted_at: uint256

event WorkMarkedDone:
    request_id: indexed(uint256)
    service_provider: indexed(address)
    done_at: uint256
    release_at: uint256

event RequestDisputed:
    request_id: indexed(uint256)
    resident: indexed(address)
    service_provider: indexed(address)
    reason_hash: bytes32
    escrow: uint256
    previous_status: uint256
    disputed_at: uint256

event RequestClosed:
    request_id: indexed(uint256)
    resident: indexed(address)
    service_provider: indexed(address)
    status: uint256
    to_provider: uint256
    fee: uint256
    to_resident: uint256
    decision_hash: bytes32
    closed_by: address
    closed_at: uint256

event ProviderRated:
    request_id: indexed(uint256)
    service_provider: indexed(address)
    rater: indexed(address)
    score: uint256
    rating_count: uint256
    rating_sum: uint256
    points: uint256

event FeeSet:
    bps: uint256
    set_by: indexed(address)

event ReleaseDelaySet:
    seconds: uint256
    set_by: indexed(address)

event RatingPointsSet:
    amount: uint256
    set_by: indexed(address)

event MinRatedFeeSet:
    fee: uint256
    set_by: indexed(address)


@deploy
def __init__(registry_: address, points_: address, fees_: address):
    """
    @notice Deploy the service market of one community.
    @dev Approves `fees_` for the settlement token once, so settling a job pays the
         platform fee without an approve call each time.
    @param registry_ The community's HouseholdRegistry (members, providers, committee).
    @param points_ The community's CommunityPoints (this contract must be made a minter
           for ratings to mint points).
    @param fees_ The community's PropertyFees: settlement token and public income.
    """
    assert registry_ != empty(address), "services: registry is the zero address"
    assert points_ != empty(address), "services: points is the zero address"
    assert fees_ != empty(address), "services: fees is the zero address"
    registry = registry_
    points = points_
    fees = fees_
    token: address = staticcall IPropertyFees(fees_).settlement_token()
    settlement_token = token
    self._config = DEFAULT_RELEASE_DELAY << SHIFT_DELAY
    assert extcall IERC20(token).approve(fees_, max_value(uint256), default_return_value=True), "services: approve failed"
    log FeeSet(bps=0, set_by=msg.sender)
    log ReleaseDelaySet(seconds=DEFAULT_RELEASE_DELAY, set_by=msg.sender)
    log RatingPointsSet(amount=0, set_by=msg.sender)


# ---------------------------------------------------------------- requests and offers


@external
def post_request(category: uint8, description_hash: bytes32, budget: uint256, deadline: uint256) -> uint256:
    """
    @notice Post a service request and escrow its budget. The caller must be a member
            of the community and have approved this contract for `budget` (or pay
            with the settlement token's `transferAndCall`, see `onTransferReceived`).
    @param category The service category (labels kept by the API).
    @param description_hash sha256 of the description kept off chain.
    @param budget The most the resident pays, in fen (> 0, < 2**80).
    @param deadline When the work must be done by (unix time, in the future, before
           2**40 - MAX_RELEASE_DELAY so the release time fits its 40 bits).
    @return The request id (1, 2, …).
    """
    request_id: uint256 = self._post(msg.sender, category, description_hash, budget, deadline)
    assert extcall IERC20(settlement_token).transferFrom(msg.sender, self, budget, default_return_value=True), "services: transfer failed"
    return request_id


@external
def onTransferReceived(operator: address, sender: address, amount: uint256, data: Bytes[1_024]) -> bytes4:
    """
    @notice Post a service request with the settlement token's ERC-1363
            `transferAndCall`: `data` is `abi.encode(category, description_hash,
            deadline)` (the category as a uint256 below 256) and the amount
            transferred is the budget. One transaction, no approval: a resident
            signed in by passkey orders a service in one relayed call.
    @dev Called by the settlement token after it moved `amount` from `sender` to
         this contract; anything else calling it is refused, or a caller could say
         it escrowed a budget it never paid. The request is `sender`'s, whose money
         it was (not the operator's, a spender of its allowance), with the same
         checks as `post_request`: `sender` a member, budget and deadline in range.
    @param operator The wallet that called the token (the resident, or a spender of its allowance).
    @param sender The wallet the money came from: the request's resident.
    @param amount The amount received in fen: the budget.
    @param data abi.encode(uint256 category, bytes32 description_hash, uint256 deadline).
    @return The ERC-1363 receiver selector.
    """
    assert msg.sender == settlement_token, "services: only the settlement token pays in"
    assert len(data) == 96, "services: request data is not (category, description, deadline)"
    category: uint256 = 0
    description_hash: bytes32 = empty(bytes32)
    deadline: uint256 = 0
    category, description_hash, deadline = abi_decode(data, (uint256, bytes32, uint256))
    assert category <= 255, "services: request data is not (category, description, deadline)"
    self._post(sender, convert(category, uint8), description_hash, amount, deadline)
    return method_id("onTransferReceived(address,address,uint256,bytes)", output_type=bytes4)


@external
def make_offer(request_id: uint256, price: uint256, completion_by: uint256):
    """
    @notice Offer to do an open request, or revise the caller's offer on it.
    @param request_id The request.
    @param price The price in fen (0 < price <= budget).
    @param completion_by When the provider promises the work done (after now, not
           after the request's deadline).
    """
    assert staticcall IHouseholdRegistry(registry).hasRole(PROVIDER_ROLE, msg.sender), "services: providers only"
    head: uint256 = self._head[request_id]
    assert (head >> SHIFT_STATUS) & STATUS_MASK == STATUS_OPEN, "services: request not open"
    assert convert(head & MASK160, address) != msg.sender, "services: own request"
    assert price > 0 and price <= self._deal[request_id] >> SHIFT_ESCROW, "services: price out of range"
    assert completion_by > block.timestamp and completion_by <= (head >> SHIFT_DEADLINE) & MASK40, "services: completion time out of range"
    revision: bool = self._offer[request_id][msg.sender] != 0
    self._offer[request_id][msg.sender] = price | (completion_by << SHIFT_COMPLETION)
    log OfferMade(
        request_id=request_id,
        service_provider=msg.sender,
        price=price,
        completion_by=completion_by,
        offered_at=block.timestamp,
        revision=revision,
    )


@external
def withdraw_offer(request_id: uint256):
    """
    @notice Withdraw the caller's offer on a request that is still open.
    @param request_id The request.
    """
    assert self._offer[request_id][msg.sender] != 0, "services: no offer"
    assert (self._head[request_id] >> SHIFT_STATUS) & STATUS_MASK == STATUS_OPEN, "services: request not open"
    self._offer[request_id][msg.sender] = 0
    log OfferWithdrawn(request_id=request_id, service_provider=msg.sender, withdrawn_at=block.timestamp)


@external
def accept_offer(request_id: uint256, provider: address, price: uint256, completion_by: uint256):
    """
    @notice Accept a provider's offer on the caller's open request. The budget above
            the price is refunded now; the current platform fee is fixed for the job.
    @param request_id The request.
    @param provider The provider whose offer is accepted.
    @param price The offer's price as the resident saw it (must still match).
    @param completion_by The offer's completion time as the resident saw it (must
           still match).
    """
    head: uint256 = self._head[request_id]
    self._only_resident(head)
    assert (head >> SHIFT_STATUS) & STATUS_MASK == STATUS_OPEN, "services: request not open"
    assert block.timestamp <= (head >> SHIFT_DEADLINE) & MASK40, "services: past deadline"
    offer: uint256 = self._offer[request_id][provider]
    assert offer != 0, "services: no offer"
    assert offer == price | (completion_by << SHIFT_COMPLETION), "services: offer changed"
    assert staticcall IHouseholdRegistry(registry).hasRole(PROVIDER_ROLE, provider), "services: not a provider"
    budget: uint256 = self._deal[request_id] >> SHIFT_ESCROW
    fee_bps: uint256 = self._config & MASK16
    self._head[request_id] = (head & ~(STATUS_MASK << SHIFT_STATUS)) | (STATUS_ACCEPTED << SHIFT_STATUS)
    self._deal[request_id] = convert(provider, uint256) | (fee_bps << SHIFT_FEE) | (price << SHIFT_ESCROW)
    # make_offer keeps price <= budget, and the budget of an open request never changes.
    refund: uint256 = unsafe_sub(budget, price)
    if refund > 0:
        self._pay(msg.sender, refund)
    log OfferAccepted(
        request_id=request_id,
        resident=msg.sender,
        service_provider=provider,
        price=price,
        completion_by=completion_by,
        refund=refund,
        fee_bps=fee_bps,
        accepted_at=block.timestamp,
    )


@external
def cancel_request(request_id: uint256):
    """
    @notice Cancel the caller's open request (no offer accepted) and refund the budget.
    @param request_id The request.
    """
    head: uint256 = self._head[request_id]
    self._only_resident(head)
    assert (head >> SHIFT_STATUS) & STATUS_MASK == STATUS_OPEN, "services: request not open"
    deal: uint256 = self._deal[request_id]
    escrow: uint256 = deal >> SHIFT_ESCROW
    self._close(request_id, head, deal, STATUS_CANCELLED, 0)
    self._pay(msg.sender, escrow)
    log RequestClosed(
        request_id=request_id,
        resident=msg.sender,
        service_provider=empty(address),
        status=STATUS_CANCELLED,
        to_provider=0,
        fee=0,
        to_resident=escrow,
        decision_hash=empty(bytes32),
        closed_by=msg.sender,
        closed_at=block.timestamp,
    )


# ---------------------------------------------------------------- the job


@external
def mark_done(request_id: uint256):
    """
    @notice The accepted provider marks the work done (at the latest at the
            deadline). The escrow is released to it after the release delay unless
            the resident confirms or disputes first.
    @param request_id The request.
    """
    head: uint256 = self._head[request_id]
    assert (head >> SHIFT_STATUS) & STATUS_MASK == STATUS_ACCEPTED, "services: request not accepted"
    assert convert(self._deal[request_id] & MASK160, address) == msg.sender, "services: provider only"
    assert block.timestamp <= (head >> SHIFT_DEADLINE) & MASK40, "services: past deadline"
    # Fits 40 bits: now <= deadline <= MASK40 - MAX_RELEASE_DELAY (post_request).
    release_at: uint256 = block.timestamp + ((self._config >> SHIFT_DELAY) & MASK40)
    self._head[request_id] = (head & ~((STATUS_MASK << SHIFT_STATUS) | (MASK40 << SHIFT_RELEASE))) | (
        STATUS_DONE << SHIFT_STATUS
    ) | (release_at << SHIFT_RELEASE)
    log WorkMarkedDone(request_id=request_id, service_provider=msg.sender, done_at=block.timestamp, release_at=release_at)


@external
def confirm(request_id: uint256):
    """
    @notice The resident confirms work marked done: the provider is paid the escrow
            minus the platform fee, which goes to public income.
    @param request_id The request.
    """
    head: uint256 = self._head[request_id]
    self._only_resident(head)
    assert (head >> SHIFT_STATUS) & STATUS_MASK == STATUS_DONE, "services: work not marked done"
    self._settle(request_id, head, STATUS_CONFIRMED)


@external
def release(request_id: uint256):
    """
    @notice Release to the provider work marked done whose release time has passed
            without confirmation or dispute. Anyone may call it.
    @param request_id The request.
    """
    head: uint256 = self._head[request_id]
    assert (head >> SHIFT_STATUS) & STATUS_MASK == STATUS_DONE, "services: work not marked done"
    assert block.timestamp >= head >> SHIFT_RELEASE, "services: release time not reached"
    self._settle(request_id, head, STATUS_RELEASED)


@external
def dispute(request_id: uint256, reason_hash: bytes32):
    """
    @notice The resident disputes an accepted request, or work marked done before
            its release time; the committee will split the escrow.
    @param request_id The request.
    @param reason_hash sha256 of the resident's complaint kept off chain.
    """
    head: uint256 = self._head[request_id]
    self._only_resident(head)
    status: uint256 = (head >> SHIFT_STATUS) & STATUS_MASK
    assert status == STATUS_ACCEPTED or status == STATUS_DONE, "services: nothing to dispute"
    if status == STATUS_DONE:
        assert block.timestamp < head >> SHIFT_RELEASE, "services: release time passed"
    assert reason_hash != empty(bytes32), "services: empty reason hash"
    deal: uint256 = self._deal[request_id]
    self._head[request_id] = (head & ~(STATUS_MASK << SHIFT_STATUS)) | (STATUS_DISPUTED << SHIFT_STATUS)
    log RequestDisputed(
        request_id=request_id,
        resident=msg.sender,
        service_provider=convert(deal & MASK160, address),
        reason_hash=reason_hash,
        escrow=deal >> SHIFT_ESCROW,
        previous_status=status,
        disputed_at=block.timestamp,
    )


@external
def resolve(request_id: uint256, provider_share: uint256, decision_hash: bytes32):
    """
    @notice The committee settles a dispute: `provider_share` of the escrow to the
            provider (less the platform fee on that share), the rest to the resident.
    @param request_id The disputed request.
    @param provider_share The part of the escrow awarded to the provider (<= escrow).
    @param decision_hash sha256 of the committee's decision kept off chain.
    """
    self._only_committee()
    head: uint256 = self._head[request_id]
    assert (head >> SHIFT_STATUS) & STATUS_MASK == STATUS_DISPUTED, "services: not disputed"
    assert decision_hash != empty(bytes32), "services: empty decision hash"
    deal: uint256 = self._deal[request_id]
    escrow: uint256 = deal >> SHIFT_ESCROW
    assert provider_share <= escrow, "services: share exceeds escrow"
    provider: address = convert(deal & MASK160, address)
    resident: address = convert(head & MASK160, address)
    fee: uint256 = provider_share * ((deal >> SHIFT_FEE) & MASK16) // BPS
    # fee <= provider_share (fee bps <= MAX_FEE_BPS < BPS) and provider_share <= escrow.
    to_provider: uint256 = unsafe_sub(provider_share, fee)
    to_resident: uint256 = unsafe_sub(escrow, provider_share)
    self._close(request_id, head, deal, STATUS_RESOLVED, fee)
    stats: uint256 = self._provider[provider]
    assert (stats >> SHIFT_DISPUTED) & MASK32 < MASK32, "services: counter overflow"
    # The disputed count was just checked below 2**32 - 1; earned is 128 bits of fen.
    self._provider[provider] = unsafe_add(stats, 1 << SHIFT_DISPUTED) + (to_provider << SHIFT_EARNED)
    if to_provider > 0:
        self._pay(provider, to_provider)
    if fee > 0:
        extcall IPropertyFees(fees).receive_public_income(provider, fee, SOURCE_SERVICE_FEE)
    if to_resident > 0:
        self._pay(resident, to_resident)
    log RequestClosed(
        request_id=request_id,
        resident=resident,
        service_provider=provider,
        status=STATUS_RESOLVED,
        to_provider=to_provider,
        fee=fee,
        to_resident=to_resident,
        decision_hash=decision_hash,
        closed_by=msg.sender,
        closed_at=block.timestamp,
    )


@external
def reclaim(request_id: uint256):
    """
    @notice The resident takes back the escrow of an accepted request whose provider
            did not mark the work done by the deadline.
    @param request_id The request.
    """
    head: uint256 = self._head[request_id]
    self._only_resident(head)
    assert (head >> SHIFT_STATUS) & STATUS_MASK == STATUS_ACCEPTED, "services: request not accepted"
    assert block.timestamp > (head >> SHIFT_DEADLINE) & MASK40, "services: deadline not passed"
    deal: uint256 = self._deal[request_id]
    escrow: uint256 = deal >> SHIFT_ESCROW
    self._close(request_id, head, deal, STATUS_RECLAIMED, 0)
    self._pay(msg.sender, escrow)
    log RequestClosed(
        request_id=request_id,
        resident=msg.sender,
        service_provider=convert(deal & MASK160, address),
        status=STATUS_RECLAIMED,
        to_provider=0,
        fee=0,
        to_resident=escrow,
        decision_hash=empty(bytes32),
        closed_by=msg.sender,
        closed_at=block.timestamp,
    )


@external
def rate(request_id: uint256, score: uint256):
    """
    @notice The resident rates the provider of a confirmed, released or resolved job,
            once; a household rates one provider at most once per Beijing month,
            and never a provider of its own household. Mints `rating_points`
            points to the resident when the job paid a platform fee of at least
            `min_rated_fee` (and at least 1 fen).
    @param request_id The request.
    @param score 1..5.
    """
    head: uint256 = self._head[request_id]
    self._only_resident(head)
    status: uint256 = (head >> SHIFT_STATUS) & STATUS_MASK
    assert status == STATUS_CONFIRMED or status == STATUS_RELEASED or status == STATUS_RESOLVED, "services: job not finished"
    assert head & RATED_FLAG == 0, "services: already rated"
    assert score >= 1 and score <= 5, "services: score out of range"
    self._head[request_id] = head | RATED_FLAG
    deal: uint256 = self._deal[request_id]
    provider: address = convert(deal & MASK160, address)
    household: uint256 = staticcall IHouseholdRegistry(registry).household_key(msg.sender)
    assert household != staticcall IHouseholdRegistry(registry).household_key(provider), "services: cannot rate own household's provider"
    pair: bytes32 = keccak256(abi_encode(household, provider))
    # A month index + 1 is never 0, the value of a pair never rated.
    month: uint256 = unsafe_add(fees_calendar._month_of(block.timestamp), 1)
    assert self._rated_month[pair] != month, "services: provider already rated by the household this month"
    self._rated_month[pair] = month
    stats: uint256 = self._provider[provider]
    count: uint256 = ((stats >> SHIFT_RATING_COUNT) & MASK32) + 1
    total: uint256 = ((stats >> SHIFT_RATING_SUM) & MASK32) + score
    assert total <= MASK32, "services: counter overflow"
    # count <= total <= MASK32 (every score >= 1), so both fit their 32 bits.
    self._provider[provider] = (stats & ~((MASK32 << SHIFT_RATING_COUNT) | (MASK32 << SHIFT_RATING_SUM))) | (
        count << SHIFT_RATING_COUNT
    ) | (total << SHIFT_RATING_SUM)
    config: uint256 = self._config
    amount: uint256 = 0
    fee: uint256 = deal >> SHIFT_ESCROW
    if fee != 0 and fee >= (config >> SHIFT_MIN_FEE) & MASK80:
        amount = (config >> SHIFT_POINTS) & MASK64
    if amount > 0:
        extcall ICommunityPoints(points).mint(msg.sender, amount, REASON_SERVICE_RATING)
    log ProviderRated(
        request_id=request_id, service_provider=provider, rater=msg.sender, score=score, rating_count=count, rating_sum=total, points=amount
    )


# ---------------------------------------------------------------- the assembly's settings


@external
def set_fee(bps: uint256):
    """
    @notice Set the platform fee on new acceptances, in basis points of the price paid
            to the provider (at most `MAX_FEE_BPS`).
    @param bps 0..MAX_FEE_BPS.
    """
    self._only_assembly()
    assert bps <= MAX_FEE_BPS, "services: fee out of range"
    self._config = (self._config & ~MASK16) | bps
    log FeeSet(bps=bps, set_by=msg.sender)


@external
def set_release_delay(seconds: uint256):
    """
    @notice Set how long work marked done waits for confirmation or dispute before
            anyone can release it to the provider (applies to work marked done later).
    @param seconds MIN_RELEASE_DELAY..MAX_RELEASE_DELAY.
    """
    self._only_assembly()
    assert seconds >= MIN_RELEASE_DELAY and seconds <= MAX_RELEASE_DELAY, "services: release delay out of range"
    self._config = (self._config & ~(MASK40 << SHIFT_DELAY)) | (seconds << SHIFT_DELAY)
    log ReleaseDelaySet(seconds=seconds, set_by=msg.sender)


@external
def set_rating_points(amount: uint256):
    """
    @notice Set the points minted to a resident for each rating (0: none).
    @param amount 0..MAX_RATING_POINTS.
    """
    self._only_assembly()
    assert amount <= MAX_RATING_POINTS, "services: points out of range"
    self._config = (self._config & ~(MASK64 << SHIFT_POINTS)) | (amount << SHIFT_POINTS)
    log RatingPointsSet(amount=amount, set_by=msg.sender)


@external
def set_min_rated_fee(fee: uint256):
    """
    @notice Set the least platform fee (fen) a job must have paid for its rating to
            earn points (a job that paid no fee never earns them).
    @param fee Fen, below 2**80.
    """
    self._only_assembly()
    assert fee <= MASK80, "services: fee out of range"
    self._config = (self._config & ~(MASK80 << SHIFT_MIN_FEE)) | (fee << SHIFT_MIN_FEE)
    log MinRatedFeeSet(fee=fee, set_by=msg.sender)


# ---------------------------------------------------------------- views


@view
@external
def request(request_id: uint256) -> ServiceRequest:
    """
    @notice A request's state (all zero for an unknown id).
    @param request_id The request.
    @return The request: resident, status, rated, category, deadline, release time,
            provider, fee bps, escrow held for it (0 once closed).
    """
    head: uint256 = self._head[request_id]
    deal: uint256 = self._deal[request_id]
    status: uint256 = (head >> SHIFT_STATUS) & STATUS_MASK
    escrow: uint256 = 0
    if status < STATUS_CONFIRMED:
        escrow = deal >> SHIFT_ESCROW
    return ServiceRequest(
        resident=convert(head & MASK160, address),
        status=status,
        rated=head & RATED_FLAG != 0,
        category=convert((head >> SHIFT_CATEGORY) & 255, uint8),
        deadline=(head >> SHIFT_DEADLINE) & MASK40,
        release_at=head >> SHIFT_RELEASE,
        provider=convert(deal & MASK160, address),
        fee_bps=(deal >> SHIFT_FEE) & MASK16,
        escrow=escrow,
    )


@view
@external
def offer(request_id: uint256, provider: address) -> Offer:
    """
    @notice A provider's current offer on a request (zero if none or withdrawn).
    @param request_id The request.
    @param provider The provider.
    @return The offer: price, promised completion time.
    """
    word: uint256 = self._offer[request_id][provider]
    return Offer(price=word & MASK80, completion_by=word >> SHIFT_COMPLETION)


@view
@external
def provider_stats(provider: address) -> ProviderStats:
    """
    @notice A provider's aggregates, for matching and reputation.
    @param provider The provider.
    @return Jobs completed (confirmed or released), jobs disputed (resolved), rating
            count, rating sum, amount earned net of fees.
    """
    word: uint256 = self._provider[provider]
    return ProviderStats(
        jobs_completed=word & MASK32,
        jobs_disputed=(word >> SHIFT_DISPUTED) & MASK32,
        rating_count=(word >> SHIFT_RATING_COUNT) & MASK32,
        rating_sum=(word >> SHIFT_RATING_SUM) & MASK32,
        earned=word >> SHIFT_EARNED,
    )


@view
@external
def fee_bps() -> uint256:
    """
    @notice The platform fee applied to new acceptances, in basis points.
    @return The fee in bps.
    """
    return self._config & MASK16


@view
@external
def release_delay() -> uint256:
    """
    @notice How long work marked done waits before anyone can release it.
    @return The delay in seconds.
    """
    return (self._config >> SHIFT_DELAY) & MASK40


@view
@external
def rating_points() -> uint256:
    """
    @notice The points minted to a resident per rating.
    @return The amount of points.
    """
    return (self._config >> SHIFT_POINTS) & MASK64


@view
@external
def min_rated_fee() -> uint256:
    """
    @notice The least platform fee (fen) a job pays for its rating to earn points.
    @return The fee in fen.
    """
    return (self._config >> SHIFT_MIN_FEE) & MASK80


@view
@external
def fee_paid(request_id: uint256) -> uint256:
    """
    @notice The platform fee a closed job paid (0 while open, cancelled or reclaimed).
    @param request_id The request.
    @return The fee in fen.
    """
    if (self._head[request_id] >> SHIFT_STATUS) & STATUS_MASK < STATUS_CONFIRMED:
        return 0
    return self._deal[request_id] >> SHIFT_ESCROW


@view
@external
def rated_this_month(rater: address, provider: address) -> bool:
    """
    @notice Whether `rater`'s household already rated `provider` this Beijing month.
    @param rater A resident wallet.
    @param provider A provider.
    @return True if a rating now would be refused for that reason.
    """
    household: uint256 = staticcall IHouseholdRegistry(registry).household_key(rater)
    month: uint256 = unsafe_add(fees_calendar._month_of(block.timestamp), 1)
    return self._rated_month[keccak256(abi_encode(household, provider))] == month


# ---------------------------------------------------------------- internal


@internal
def _post(resident: address, category: uint8, description_hash: bytes32, budget: uint256, deadline: uint256) -> uint256:
    """
    @notice Post a request of `resident`: the checks, the two words, the event. The
            caller moves the budget: post_request pulls it after, transferAndCall
            pushed it before.
    @param resident The member posting (post_request's caller, or the ERC-1363 sender).
    @param category The service category.
    @param description_hash sha256 of the description kept off chain.
    @param budget The budget in fen.
    @param deadline The deadline (unix time).
    @return The request id.
    """
    assert staticcall IHouseholdRegistry(registry).is_member(resident), "services: members only"
    assert description_hash != empty(bytes32), "services: empty description hash"
    # 0 < budget <= MASK80 in one comparison: budget - 1 wraps to 2**256 - 1 for 0.
    assert unsafe_sub(budget, 1) < MASK80, "services: budget out of range"
    # now < deadline <= MASK40 - MAX_RELEASE_DELAY in one comparison (now is far below
    # that bound, and deadline - now - 1 wraps for a deadline not after now).
    assert unsafe_sub(deadline, unsafe_add(block.timestamp, 1)) < unsafe_sub(MASK40 - MAX_RELEASE_DELAY, block.timestamp), "services: deadline out of range"
    # One more than the last id: never near 2**256.
    request_id: uint256 = unsafe_add(self.request_count, 1)
    self.request_count = request_id
    self._head[request_id] = (
        convert(resident, uint256)
        | (STATUS_OPEN << SHIFT_STATUS)
        | (convert(category, uint256) << SHIFT_CATEGORY)
        | (deadline << SHIFT_DEADLINE)
    )
    self._deal[request_id] = budget << SHIFT_ESCROW
    log RequestPosted(
        request_id=request_id,
        resident=resident,
        category=category,
        description_hash=description_hash,
        budget=budget,
        deadline=deadline,
        posted_at=block.timestamp,
    )
    return request_id


@internal
def _settle(request_id: uint256, head: uint256, status: uint256):
    """
    @notice Pay a job marked done to its provider, minus the fee to public income.
    @param request_id The request.
    @param head The request's head word as read by the caller.
    @param status STATUS_CONFIRMED or STATUS_RELEASED.
    """
    deal: uint256 = self._deal[request_id]
    provider: address = convert(deal & MASK160, address)
    escrow: uint256 = deal >> SHIFT_ESCROW
    fee: uint256 = escrow * ((deal >> SHIFT_FEE) & MASK16) // BPS
    # fee bps <= MAX_FEE_BPS < BPS, so fee <= escrow.
    to_provider: uint256 = unsafe_sub(escrow, fee)
    self._close(request_id, head, deal, status, fee)
    stats: uint256 = self._provider[provider]
    assert stats & MASK32 < MASK32, "services: counter overflow"
    # The completed count was just checked below 2**32 - 1; earned is 128 bits of fen
    # and the whole token supply is far below that.
    self._provider[provider] = unsafe_add(stats, 1) + (to_provider << SHIFT_EARNED)
    self._pay(provider, to_provider)
    if fee > 0:
        extcall IPropertyFees(fees).receive_public_income(provider, fee, SOURCE_SERVICE_FEE)
    log RequestClosed(
        request_id=request_id,
        resident=convert(head & MASK160, address),
        service_provider=provider,
        status=status,
        to_provider=to_provider,
        fee=fee,
        to_resident=0,
        decision_hash=empty(bytes32),
        closed_by=msg.sender,
        closed_at=block.timestamp,
    )


@internal
def _close(request_id: uint256, head: uint256, deal: uint256, status: uint256, fee: uint256):
    """
    @notice Move a request to a closed status; its escrow field keeps the platform
            fee the job paid (kept: provider, fee bps).
    @param request_id The request.
    @param head The request's head word as read by the caller.
    @param deal The request's deal word as read by the caller.
    @param status The closed status.
    @param fee The platform fee paid (at most the escrow: fits its 80 bits).
    """
    self._head[request_id] = (head & ~(STATUS_MASK << SHIFT_STATUS)) | (status << SHIFT_STATUS)
    self._deal[request_id] = (deal & ~(MASK80 << SHIFT_ESCROW)) | (fee << SHIFT_ESCROW)


@internal
def _pay(to: address, amount: uint256):
    """
    @notice Transfer settlement tokens out of the escrow.
    @param to The recipient.
    @param amount The amount in fen.
    """
    assert extcall IERC20(settlement_token).transfer(to, amount, default_return_value=True), "services: transfer failed"


@internal
@view
def _only_resident(head: uint256):
    """
    @notice Refuse a caller other than the request's resident (also refuses unknown ids).
    @param head The request's head word.
    """
    assert convert(head & MASK160, address) == msg.sender, "services: resident only"


@internal
@view
def _only_assembly():
    assert staticcall IHouseholdRegistry(registry).hasRole(ASSEMBLY_ROLE, msg.sender), "services: assembly only"


@internal
@view
def _only_committee():
    """
    @notice Refuse a caller without the registry's committee role.
    """
    assert staticcall IHouseholdRegistry(registry).hasRole(COMMITTEE_ROLE, msg.sender), "services: committee only"
