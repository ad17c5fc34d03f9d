# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title MerchantPromotions
@custom:contract-name MerchantPromotions
@license GNU Affero General Public License v3.0 only
@notice Promotion slots sold to the community's registered merchants; the money
        goes to the treasury's public income (公共收益).

        - A slot is a placement (uint8: e.g. 1 = notice board banner, 2 = app home
          page; the meaning is published by the committee) for one period: a
          Beijing-time calendar month, as the index `year * 12 + month - 1` used
          by PropertyFees. One merchant per (placement, period).
        - The committee sets the price of each placement in the settlement token
          (fen); a placement with price 0 is not offered. A merchant (registry
          MERCHANT_ROLE) buys the current month or one up to `MAX_MONTHS_AHEAD`
          months ahead, at the current price and never above `max_price`.
        - Payment: the merchant approves this contract (or signs an EIP-2612
          permit); the contract pulls the price and forwards it in the same
          transaction with `PropertyFees.receive_public_income(merchant, price,
          SOURCE_PROMOTION)`. This contract holds no tokens between
          transactions, so every fen a merchant pays is in the treasury.
@custom:security Moves tokens, so every external function is nonreentrant and the
                 slot is written before any token call. The settlement token is
                 assumed to be a plain ERC-20 (no fee on transfer, no callbacks),
                 as PropertyFees assumes. The contract approves PropertyFees for
                 an unlimited amount at deployment: it holds nothing at rest, so the
                 allowance can only move tokens in flight inside `buy`. A slot is
                 not refundable once bought; a merchant whose role is revoked keeps
                 the slots it paid for.
"""

from ethereum.ercs import IERC20
from interfaces import IHouseholdRegistry
from interfaces import IPropertyFees
import fees_calendar


ASSEMBLY_ROLE: constant(bytes32) = keccak256("linli.role.assembly")
MERCHANT_ROLE: constant(bytes32) = keccak256("linli.role.merchant")

SOURCE_PROMOTION: public(constant(uint8)) = 3
MAX_MONTHS_AHEAD: public(constant(uint256)) = 12

MASK96: constant(uint256) = 2**96 - 1
MASK160: constant(uint256) = 2**160 - 1
SHIFT_PRICE: constant(uint256) = 160


registry: public(immutable(address))
fees: public(immutable(address))
settlement_token: public(immutable(address))

# placement -> price (fen per period); 0 = not offered
price_of: public(HashMap[uint8, uint256])
# period << 8 | placement -> price paid << 160 | merchant
_slot: HashMap[uint256, uint256]


event PriceSet:
    placement: indexed(uint8)
    price: uint256
    committee: indexed(address)

event PromotionBought:
    placement: indexed(uint8)
    period: indexed(uint256)
    merchant: indexed(address)
    price: uint256
    period_start: uint256
    period_end: uint256


@deploy
def __init__(registry_: address, fees_: address):
    """
    @notice Deploy the promotion slots of one community.
    @param registry_ The community's HouseholdRegistry (committee and merchant roles).
    @param fees_ The community's PropertyFees (public income, settlement token).
    """
    assert registry_ != empty(address), "promotions: registry is the zero address"
    assert fees_ != empty(address), "promotions: fees is the zero address"
    registry = registry_
    fees = fees_
    token: address = staticcall IPropertyFees(fees_).settlement_token()
    settlement_token = token
    # Holds nothing at rest: the allowance only covers a payment in flight (see @custom:security).
    assert extcall IERC20(token).approve(fees_, max_value(uint256), default_return_value=True), "promotions: approve failed"


@external
def set_price(placement: uint8, price: uint256):
    """
    @notice Set the price of a placement per period; 0 withdraws it. Slots already
            sold keep the price paid. The owners' assembly only: a business run on
            the community's common parts (民法典 第二百七十八条 (八)).
    @param placement The placement (0..255).
    @param price The price in fen (at most 2**96 - 1).
    """
    assert staticcall IHouseholdRegistry(registry).hasRole(ASSEMBLY_ROLE, msg.sender), "promotions: assembly only"
    assert price <= MASK96, "promotions: price out of range"
    self.price_of[placement] = price
    log PriceSet(placement=placement, price=price, committee=msg.sender)


@external
def buy(placement: uint8, period: uint256, max_price: uint256):
    """
    @notice Buy a promotion slot (registered merchants); the caller must have
            approved this contract for the price.
    @param placement The placement.
    @param period The Beijing month index (`year * 12 + month - 1`), from the
           current month to `MAX_MONTHS_AHEAD` months ahead.
    @param max_price The most the merchant agrees to pay (guards against a price change).
    """
    self._buy(placement, period, max_price)


@external
def buy_with_permit(placement: uint8, period: uint256, max_price: uint256, deadline: uint256, v: uint8, r: bytes32, s: bytes32):
    """
    @notice Buy a promotion slot with an EIP-2612 permit for `max_price` in the
            same transaction (no separate approve).
    @param placement The placement.
    @param period The Beijing month index, from the current month to
           `MAX_MONTHS_AHEAD` months ahead.
    @param max_price The most the merchant agrees to pay; the permit's amount.
    @param deadline The permit's deadline.
    @param v The permit signature's v.
    @param r The permit signature's r.
    @param s The permit signature's s.
    @dev The permit is tried, not required: if someone front-ran it (the allowance
         is already there) the purchase still goes through; otherwise transferFrom
         fails for lack of allowance.
    """
    # A failed permit is ignored on purpose: transferFrom in _buy decides.
    permitted: bool = raw_call(
        settlement_token,
        abi_encode(msg.sender, self, max_price, deadline, v, r, s, method_id=method_id("permit(address,address,uint256,uint256,uint8,bytes32,bytes32)")),
        revert_on_failure=False,
    )
    self._buy(placement, period, max_price)


@external
@view
def slot(placement: uint8, period: uint256) -> (address, uint256):
    """
    @notice Who holds a slot and what they paid.
    @param placement The placement.
    @param period The Beijing month index.
    @return merchant (zero address if unsold), price paid
    """
    word: uint256 = self._slot[(period << 8) | convert(placement, uint256)]
    return (convert(word & MASK160, address), word >> SHIFT_PRICE)


@external
@view
def current_period() -> uint256:
    """
    @notice The current Beijing month index.
    @return year * 12 + month - 1.
    """
    return fees_calendar._month_of(block.timestamp)


@external
@view
def period_start(period: uint256) -> uint256:
    """
    @notice When a period starts (00:00 Beijing time on the 1st of the month).
    @param period The Beijing month index.
    @return The timestamp.
    """
    return fees_calendar._month_start(period)


@internal
def _buy(placement: uint8, period: uint256, max_price: uint256):
    """
    @dev Check and record the slot, then pull the price from the merchant and
         forward it to PropertyFees as promotion income.
    @param placement The placement.
    @param period The Beijing month index.
    @param max_price The merchant's upper bound.
    """
    assert staticcall IHouseholdRegistry(registry).hasRole(MERCHANT_ROLE, msg.sender), "promotions: merchant only"
    price: uint256 = self.price_of[placement]
    assert price != 0, "promotions: placement not offered"
    assert price <= max_price, "promotions: price above the maximum"
    current: uint256 = fees_calendar._month_of(block.timestamp)
    assert period >= current, "promotions: period already over"
    assert period <= current + MAX_MONTHS_AHEAD, "promotions: period too far ahead"
    key: uint256 = (period << 8) | convert(placement, uint256)
    assert self._slot[key] == 0, "promotions: slot taken"
    self._slot[key] = (price << SHIFT_PRICE) | convert(msg.sender, uint256)
    assert extcall IERC20(settlement_token).transferFrom(msg.sender, self, price, default_return_value=True), "promotions: transfer failed"
    extcall IPropertyFees(fees).receive_public_income(msg.sender, price, SOURCE_PROMOTION)
    log PromotionBought(
        placement=placement,
        period=period,
        merchant=msg.sender,
        price=price,
        period_start=fees_calendar._month_start(period),
        period_end=fees_calendar._month_start(period + 1),
    )
