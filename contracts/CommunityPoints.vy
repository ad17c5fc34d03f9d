# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title CommunityPoints
@custom:contract-name CommunityPoints
@license GNU Affero General Public License v3.0 only
@notice Community points (积分): an ERC-20 with EIP-2612 permit, earned for taking
        part in community life and spent at the community's registered merchants.

        - Minted only by minters (the modules of fees, assembly, culture, activities,
          services and suggestions), each mint with a reason code in a
          `PointsMinted` event. Grants (reason 1) are the committee's, within a
          yearly allowance the owners' assembly sets, or the assembly's own.
        - The owner is the owners' assembly (its timelock; the deployer while it
          wires the community): it appoints minters, sets the household cap and
          the committee's grant allowance, and switches free transfer.
        - Points are not a tradeable currency: while `free_transfer` is off, a holder
          can send points only to a registered merchant (spending), and a merchant
          can refund a wallet only what that wallet paid it (`refundable`), or
          redeem points (burn, with a settlement reference). The assembly can
          switch free transfer on.
        - The merchant set is the registry's MERCHANT_ROLE, mirrored here so the
          spend path reads one local slot instead of calling the registry.
        - Yearly cap per household: the assembly may set `household_cap`, the most
          participation points (reasons 2 and above) one household receives in a
          Beijing calendar year (UTC+8, `fees_calendar`). A mint above what is left
          is clipped, never refused, so the act that earned it (a like, a
          check-in, a claim) still goes through: the recipient gets what is left
          (possibly 0) and `MintClipped` says why. Committee grants (reason 1) are
          outside the cap: neither counted nor clipped. Cap 0 (the default) means
          no cap, and then nothing is counted.
        - The household is the registry's `household_key(recipient)` at mint time:
          an owner identity together with the residents linked to its units, kept
          by a wallet after it leaves (an unlinked resident, an owner who sold, a
          wallet replaced by a recovery), so leaving never starts a fresh count. A
          recipient never in a household (a merchant, a provider) is a household
          of its own, keyed `WALLET_HOUSEHOLD | wallet`, and has its own cap.
        - Suggestion points (reason 7) have a yearly cap of their own per household
          (`suggestion_cap`, the assembly's), within the household cap.
@custom:security The owner (the assembly) is a minter by snekmate's design and can
                 appoint minters; a compromised minter can inflate the supply, which
                 `PointsMinted` makes visible. Only the owner and the committee may
                 mint reason 1, so no other minter can label a mint a grant to
                 escape the cap; the committee's grants are bounded by the yearly
                 allowance (0 until the assembly sets one). A merchant whose
                 role is revoked keeps its balance but can no longer receive, refund
                 or redeem until the role is given back. `sync_merchant` is
                 permissionless: it only copies the registry's answer.
                 The cap trusts the registry's `household_key`, households as the
                 registry defines them: a wallet that joins another household (a
                 tenant who moves to another owner's unit) counts under that one
                 from then on; no wallet ever leaves for a household of its own.
                 Points minted while the cap is 0 are not
                 counted, so a cap switched on mid-year counts from then on. The
                 count is by the year of the mint, not of the act: fee points accrued
                 in one year and claimed in the next count in the next. A lowered cap
                 applies at once: a household already above it gets nothing more that
                 year. Clipped points are not owed later: each module has already
                 recorded the act (its own events show the points it asked for).
"""

from ethereum.ercs import IERC20
from interfaces import IHouseholdRegistry
from snekmate.auth import ownable
from snekmate.tokens import erc20

import fees_calendar

initializes: ownable
initializes: erc20[ownable := ownable]

exports: (
    erc20.name,
    erc20.symbol,
    erc20.decimals,
    erc20.balanceOf,
    erc20.allowance,
    erc20.totalSupply,
    erc20.approve,
    erc20.permit,
    erc20.nonces,
    erc20.DOMAIN_SEPARATOR,
    erc20.eip712Domain,
    erc20.is_minter,
    erc20.set_minter,
    erc20.owner,
    erc20.transfer_ownership,
)


MERCHANT_ROLE: constant(bytes32) = keccak256("linli.role.merchant")

# Reason codes carried by PointsMinted (documented in README, "Points").
REASON_COMMITTEE_GRANT: public(constant(uint16)) = 1
REASON_ON_TIME_PAYMENT: public(constant(uint16)) = 2
REASON_VOTE: public(constant(uint16)) = 3
REASON_CULTURE_LIKE: public(constant(uint16)) = 4
REASON_ACTIVITY: public(constant(uint16)) = 5
REASON_SERVICE_RATING: public(constant(uint16)) = 6
REASON_SUGGESTION_ACCEPTED: public(constant(uint16)) = 7

COMMITTEE_ROLE: constant(bytes32) = keccak256("linli.role.committee")

# Cap key of a recipient in no household: above every registry key (owner
# households <= 2**32, resident households 2**128 | unit id < 2**129).
WALLET_HOUSEHOLD: public(constant(uint256)) = 2**160
MASK128: constant(uint256) = 2**128 - 1
# A household's count shares its word with the year: bits 0..127 points, 128..255 year.
SHIFT_YEAR: constant(uint256) = 128
MAX_HOUSEHOLD_CAP: public(constant(uint256)) = MASK128


registry: public(immutable(address))
# Mirror of the registry's MERCHANT_ROLE.
is_merchant: public(HashMap[address, bool])
free_transfer: public(bool)
# Most participation points per household per Beijing year; 0: no cap.
household_cap: public(uint256)
# household key -> (Beijing year << SHIFT_YEAR) | participation points counted that year.
# One word, so the mint path reads and writes one slot per household.
_household_year: HashMap[uint256, uint256]
# Most suggestion points (reason 7) per household per Beijing year; 0: none beyond
# the household cap. Counted in `_suggestion_year`, as `_household_year`.
suggestion_cap: public(uint256)
_suggestion_year: HashMap[uint256, uint256]
# merchant -> wallet -> points the wallet paid the merchant and was not refunded:
# the most the merchant may send back to it while free transfer is off.
refundable: public(HashMap[address, HashMap[address, uint256]])
# Most points the committee may grant (reason 1) per Beijing year; set by the assembly.
grant_allowance: public(uint256)
# (Beijing year << SHIFT_YEAR) | points the committee granted that year.
_granted: uint256


event PointsMinted:
    to: indexed(address)
    amount: uint256
    reason: indexed(uint16)
    minter: indexed(address)

event PointsRedeemed:
    merchant: indexed(address)
    amount: uint256
    settlement_ref: indexed(bytes32)

event MerchantSynced:
    account: indexed(address)
    is_merchant: bool

event FreeTransferChanged:
    enabled: bool

event HouseholdCapSet:
    previous: uint256
    cap: uint256
    set_by: indexed(address)

event SuggestionCapSet:
    previous: uint256
    cap: uint256
    set_by: indexed(address)

event GrantAllowanceSet:
    previous: uint256
    allowance: uint256
    set_by: indexed(address)

event CommitteeGranted:
    to: indexed(address)
    amount: uint256
    year: uint256
    granted_this_year: uint256
    allowance: uint256

# A participation mint cut down by the yearly household cap, or a suggestion mint
# by the suggestion cap (`cap` is the one that bound; minted may be 0;
# PointsMinted follows only when minted > 0).
event MintClipped:
    household: indexed(uint256)
    to: indexed(address)
    reason: indexed(uint16)
    year: uint256
    requested: uint256
    minted: uint256
    cap: uint256


@deploy
def __init__(registry_: address, owner_: address):
    """
    @notice Deploy the points of one community.
    @param registry_ The community's HouseholdRegistry (source of the merchant and
           committee roles).
    @param owner_ The owner of the token: the owners' assembly (its timelock), or the
           deployer while it wires the community before handing it over.
    """
    assert registry_ != empty(address), "points: registry is the zero address"
    assert owner_ != empty(address), "points: owner is the zero address"
    ownable.__init__()
    erc20.__init__("Linli Community Points", "LLPT", 0, "Linli Community Points", "1")
    registry = registry_
    # snekmate moves the owner's minter flag with the ownership.
    if owner_ != msg.sender:
        erc20.is_minter[msg.sender] = False
        log erc20.RoleMinterChanged(minter=msg.sender, status=False)
        erc20.is_minter[owner_] = True
        log erc20.RoleMinterChanged(minter=owner_, status=True)
        ownable._transfer_ownership(owner_)


@external
def transfer(to: address, amount: uint256) -> bool:
    """
    @notice Send points; while free transfer is off only to a merchant, or by a merchant.
    @param to The receiver.
    @param amount The number of points.
    @return True.
    """
    self._check_policy(msg.sender, to, amount)
    erc20._transfer(msg.sender, to, amount)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    """
    @notice Move points under an allowance (or a permit), under the same policy as transfer.
    @param owner The holder.
    @param to The receiver.
    @param amount The number of points.
    @return True.
    """
    self._check_policy(owner, to, amount)
    erc20._spend_allowance(owner, msg.sender, amount)
    erc20._transfer(owner, to, amount)
    return True


@external
def mint(to: address, amount: uint256, reason: uint16) -> uint256:
    """
    @notice Mint points for taking part in community life. A participation mint
            (reason 2 and above) is clipped to what the recipient's household has
            left under the yearly cap, possibly to 0; it never reverts for the cap.
            A grant (reason 1) is the committee's, within the yearly allowance the
            assembly sets, or the assembly's own; grants are outside the cap.
    @dev With the cap off (0) the registry is not called for participation mints.
    @param to The resident (or merchant) credited.
    @param amount The number of points asked for (> 0).
    @param reason The reason code (see REASON_*).
    @return The number of points minted (less than `amount` when clipped).
    """
    minted: uint256 = amount
    if reason == REASON_COMMITTEE_GRANT:
        # Outside the cap, so no other minter may use it.
        is_owner: bool = msg.sender == ownable.owner
        assert is_owner or staticcall IHouseholdRegistry(registry).hasRole(COMMITTEE_ROLE, msg.sender), "points: grants by the committee only"
        assert amount > 0, "points: zero amount"
        if not is_owner:
            self._count_grant(to, amount)
    else:
        assert erc20.is_minter[msg.sender], "points: minter only"
        assert amount > 0, "points: zero amount"
        assert reason != 0, "points: reason required"
        cap: uint256 = self.household_cap
        if cap != 0 or reason == REASON_SUGGESTION_ACCEPTED:
            minted = self._clip(to, amount, reason, cap)
            if minted == 0:
                return 0
    erc20._mint(to, minted)
    log PointsMinted(to=to, amount=minted, reason=reason, minter=msg.sender)
    return minted


@external
def redeem(amount: uint256, settlement_ref: bytes32):
    """
    @notice A merchant redeems (burns) points it received; the event is the
            settlement record the committee pays the merchant against.
    @param amount The number of points (> 0).
    @param settlement_ref The merchant's reference (e.g. hash of the settlement sheet).
    """
    assert self.is_merchant[msg.sender], "points: merchant only"
    assert amount > 0, "points: zero amount"
    erc20._burn(msg.sender, amount)
    log PointsRedeemed(merchant=msg.sender, amount=amount, settlement_ref=settlement_ref)


@external
def sync_merchant(account: address):
    """
    @notice Copy the registry's MERCHANT_ROLE for `account`. The registry calls this
            whenever it grants or revokes the role; anyone may call it again.
    @param account The wallet to sync.
    """
    status: bool = staticcall IHouseholdRegistry(registry).hasRole(MERCHANT_ROLE, account)
    if self.is_merchant[account] != status:
        self.is_merchant[account] = status
        log MerchantSynced(account=account, is_merchant=status)


@external
def set_free_transfer(enabled: bool):
    """
    @notice Switch free transfer between holders on or off (the assembly).
    @param enabled True lets anyone send points to anyone.
    """
    assert msg.sender == ownable.owner, "points: assembly only"
    self.free_transfer = enabled
    log FreeTransferChanged(enabled=enabled)


@external
def set_household_cap(cap: uint256):
    """
    @notice Set the most participation points one household receives per Beijing
            calendar year (the assembly). It applies from the next mint, to the
            points already counted this year; 0 switches the cap off.
    @param cap Points per household per year, at most MAX_HOUSEHOLD_CAP; 0: no cap.
    """
    assert msg.sender == ownable.owner, "points: assembly only"
    assert cap <= MAX_HOUSEHOLD_CAP, "points: cap out of range"
    previous: uint256 = self.household_cap
    self.household_cap = cap
    log HouseholdCapSet(previous=previous, cap=cap, set_by=msg.sender)


@external
def set_suggestion_cap(cap: uint256):
    """
    @notice Set the most suggestion points (reason 7) one household receives per
            Beijing calendar year (the assembly); within the household cap, and
            applied to what it received this year; 0: no cap of its own.
    @param cap Points per household per year, at most MAX_HOUSEHOLD_CAP.
    """
    assert msg.sender == ownable.owner, "points: assembly only"
    assert cap <= MAX_HOUSEHOLD_CAP, "points: cap out of range"
    previous: uint256 = self.suggestion_cap
    self.suggestion_cap = cap
    log SuggestionCapSet(previous=previous, cap=cap, set_by=msg.sender)


@external
def set_grant_allowance(allowance: uint256):
    """
    @notice Set the most points the committee may grant (reason 1) per Beijing
            calendar year (the assembly); applies to what it granted this year.
    @param allowance Points per year, at most MAX_HOUSEHOLD_CAP; 0: no grants.
    """
    assert msg.sender == ownable.owner, "points: assembly only"
    assert allowance <= MAX_HOUSEHOLD_CAP, "points: allowance out of range"
    previous: uint256 = self.grant_allowance
    self.grant_allowance = allowance
    log GrantAllowanceSet(previous=previous, allowance=allowance, set_by=msg.sender)


@external
@view
def granted_this_year() -> uint256:
    """
    @notice The points the committee granted (reason 1) in the current Beijing year.
    @return The points.
    """
    return self._counted(self._granted, self._year())


@external
@view
def cap_household_of(wallet: address) -> uint256:
    """
    @notice The household key the yearly cap counts `wallet` under now.
    @param wallet Any wallet.
    @return The registry's `household_key(wallet)`, or `WALLET_HOUSEHOLD | wallet`
            for a wallet never in a household.
    """
    return self._cap_household(wallet)


@external
@view
def household_points(household: uint256) -> (uint256, uint256):
    """
    @notice The participation points counted for a household in the latest Beijing
            year it received any under a cap.
    @param household A household key (see `cap_household_of`).
    @return (year, points); (0, 0) if never counted. A year before `current_year()`
            means nothing is counted yet this year.
    """
    word: uint256 = self._household_year[household]
    return (word >> SHIFT_YEAR, word & MASK128)


@external
@view
def suggestion_points(household: uint256) -> (uint256, uint256):
    """
    @notice The suggestion points counted for a household in the latest Beijing year
            it received any under the suggestion cap.
    @param household A household key (see `cap_household_of`).
    @return (year, points); (0, 0) if never counted.
    """
    word: uint256 = self._suggestion_year[household]
    return (word >> SHIFT_YEAR, word & MASK128)


@external
@view
def cap_remaining(wallet: address) -> uint256:
    """
    @notice The participation points `wallet`'s household can still receive this
            Beijing year.
    @param wallet Any wallet.
    @return The points left under the cap; max_value(uint256) when there is no cap.
    """
    cap: uint256 = self.household_cap
    if cap == 0:
        return max_value(uint256)
    counted: uint256 = self._counted(self._household_year[self._cap_household(wallet)], self._year())
    if counted >= cap:
        return 0
    # counted < cap here.
    return unsafe_sub(cap, counted)


@external
@view
def current_year() -> uint256:
    """
    @notice The Beijing (UTC+8) calendar year now, which the cap counts by.
    @return The year, e.g. 2026.
    """
    return self._year()


@internal
def _clip(to: address, amount: uint256, reason: uint16, cap: uint256) -> uint256:
    """
    @dev Count a participation mint against the household's yearly cap (and a
         suggestion mint against the suggestion cap too) and return what may be
         minted; logs MintClipped when that is less than `amount`.
    @param to The recipient.
    @param amount The points asked for (> 0).
    @param reason The reason code (>= 2).
    @param cap The household cap in force (0: none).
    @return The points to mint (0..amount).
    """
    suggestion_cap: uint256 = 0
    if reason == REASON_SUGGESTION_ACCEPTED:
        suggestion_cap = self.suggestion_cap
        if suggestion_cap == 0 and cap == 0:
            return amount
    household: uint256 = self._cap_household(to)
    year: uint256 = self._year()
    minted: uint256 = amount
    bound_by: uint256 = 0
    suggested: uint256 = 0
    if suggestion_cap != 0:
        suggested = self._counted(self._suggestion_year[household], year)
        # Below the cap, the subtraction cannot underflow; at or above it nothing is left.
        left: uint256 = 0
        if suggested < suggestion_cap:
            left = unsafe_sub(suggestion_cap, suggested)
        if left < minted:
            minted = left
            bound_by = suggestion_cap
    if cap != 0:
        counted: uint256 = self._counted(self._household_year[household], year)
        left: uint256 = 0
        if counted < cap:
            left = unsafe_sub(cap, counted)
        if left < minted:
            minted = left
            bound_by = cap
        if minted != 0:
            # counted + minted <= cap <= MASK128: fits its 128 bits.
            self._household_year[household] = (year << SHIFT_YEAR) | unsafe_add(counted, minted)
    if suggestion_cap != 0 and minted != 0:
        # suggested + minted <= suggestion_cap <= MASK128.
        self._suggestion_year[household] = (year << SHIFT_YEAR) | unsafe_add(suggested, minted)
    if minted != amount:
        log MintClipped(household=household, to=to, reason=reason, year=year, requested=amount, minted=minted, cap=bound_by)
    return minted


@internal
def _count_grant(to: address, amount: uint256):
    """
    @dev Count a committee grant against the yearly allowance; refuse it beyond.
    @param to The recipient.
    @param amount The points granted.
    """
    year: uint256 = self._year()
    granted: uint256 = self._counted(self._granted, year) + amount
    allowance: uint256 = self.grant_allowance
    assert granted <= allowance, "points: over the committee's yearly grant allowance"
    # granted <= allowance <= MASK128: fits its 128 bits.
    self._granted = (year << SHIFT_YEAR) | granted
    log CommitteeGranted(to=to, amount=amount, year=year, granted_this_year=granted, allowance=allowance)


@internal
@view
def _cap_household(wallet: address) -> uint256:
    """
    @dev The key the cap counts `wallet` under: its registry household, or a
         household of its own above every registry key.
    @param wallet Any wallet.
    @return The household key (never 0).
    """
    household: uint256 = staticcall IHouseholdRegistry(registry).household_key(wallet)
    if household == 0:
        return WALLET_HOUSEHOLD | convert(wallet, uint256)
    return household


@internal
@view
def _year() -> uint256:
    """
    @dev The Beijing calendar year of the current block.
    @return The year.
    """
    # A month index over 12 is its year; dividing by a non-zero constant cannot fail.
    return unsafe_div(fees_calendar._month_of(block.timestamp), 12)


@internal
@pure
def _counted(word: uint256, year: uint256) -> uint256:
    """
    @dev The points a household word counts for `year`: 0 if the word is of an
         earlier year (a new year starts from nothing).
    @param word The household's packed word.
    @param year The current Beijing year.
    @return The points counted this year.
    """
    if word >> SHIFT_YEAR != year:
        return 0
    return word & MASK128


@internal
def _check_policy(sender: address, to: address, amount: uint256):
    # Spending at a merchant is the hot path: one local read decides it, and the
    # payment is what the merchant may later refund to this wallet.
    if self.is_merchant[to]:
        self.refundable[to][sender] += amount
        return
    if self.free_transfer:
        return
    assert self.is_merchant[sender], "points: transfers only to registered merchants"
    paid: uint256 = self.refundable[sender][to]
    assert paid >= amount, "points: a refund goes only to who paid, up to what it paid"
    # paid >= amount: no underflow.
    self.refundable[sender][to] = unsafe_sub(paid, amount)
