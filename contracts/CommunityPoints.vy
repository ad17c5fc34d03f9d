# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title CommunityPoints
@custom:contract-name CommunityPoints
@license GNU Affero General Public License v3.0 only
@notice Community points (积分): an ERC-20 with EIP-2612 permit, earned for taking
        part in community life and spent at the community's registered merchants.

        - Minted only by minters (the modules of fees, assembly, culture, activities,
          services and suggestions, and the committee itself), each mint with a
          reason code in a `PointsMinted` event.
        - Points are not a tradeable currency: while `free_transfer` is off, a holder
          can send points only to a registered merchant (spending), and a merchant
          can send them back (refund) or redeem them (burn, with a settlement
          reference). The committee can switch free transfer on.
        - The merchant set is the registry's MERCHANT_ROLE, mirrored here so the
          spend path reads one local slot instead of calling the registry.
@custom:security The owner (the committee) is a minter by snekmate's design and can
                 appoint minters; a compromised minter can inflate the supply, which
                 `PointsMinted` makes visible. A merchant whose role is revoked keeps
                 its balance but can no longer receive, refund or redeem until the
                 role is given back. `sync_merchant` is permissionless: it only copies
                 the registry's answer.
"""

from ethereum.ercs import IERC20
from snekmate.auth import ownable
from snekmate.tokens import erc20

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


interface IRegistryRoles:
    def hasRole(role: bytes32, account: address) -> bool: view


MERCHANT_ROLE: constant(bytes32) = keccak256("linli.role.merchant")

# Reason codes carried by PointsMinted (documented in README, "Points").
REASON_COMMITTEE_GRANT: public(constant(uint16)) = 1
REASON_ON_TIME_PAYMENT: public(constant(uint16)) = 2
REASON_VOTE: public(constant(uint16)) = 3
REASON_CULTURE_LIKE: public(constant(uint16)) = 4
REASON_ACTIVITY: public(constant(uint16)) = 5
REASON_SERVICE_RATING: public(constant(uint16)) = 6
REASON_SUGGESTION_ACCEPTED: public(constant(uint16)) = 7


registry: public(immutable(address))
# Mirror of the registry's MERCHANT_ROLE.
is_merchant: public(HashMap[address, bool])
free_transfer: public(bool)


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


@deploy
def __init__(registry_: address, committee: address):
    """
    @notice Deploy the points of one community.
    @param registry_ The community's HouseholdRegistry (source of the merchant role).
    @param committee The owner of the token: appoints minters, switches free transfer.
    """
    assert registry_ != empty(address), "points: registry is the zero address"
    assert committee != empty(address), "points: committee is the zero address"
    ownable.__init__()
    erc20.__init__("Linli Community Points", "LLPT", 0, "Linli Community Points", "1")
    registry = registry_
    # Hand the token to the committee; snekmate moves the owner's minter flag with it.
    if committee != msg.sender:
        erc20.is_minter[msg.sender] = False
        log erc20.RoleMinterChanged(minter=msg.sender, status=False)
        erc20.is_minter[committee] = True
        log erc20.RoleMinterChanged(minter=committee, status=True)
        ownable._transfer_ownership(committee)


@external
def transfer(to: address, amount: uint256) -> bool:
    """
    @notice Send points; while free transfer is off only to a merchant, or by a merchant.
    @param to The receiver.
    @param amount The number of points.
    @return True.
    """
    self._check_policy(msg.sender, to)
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
    self._check_policy(owner, to)
    erc20._spend_allowance(owner, msg.sender, amount)
    erc20._transfer(owner, to, amount)
    return True


@external
def mint(to: address, amount: uint256, reason: uint16):
    """
    @notice Mint points for taking part in community life.
    @param to The resident (or merchant) credited.
    @param amount The number of points (> 0).
    @param reason The reason code (see REASON_*).
    """
    assert erc20.is_minter[msg.sender], "points: minter only"
    assert amount > 0, "points: zero amount"
    assert reason != 0, "points: reason required"
    erc20._mint(to, amount)
    log PointsMinted(to=to, amount=amount, reason=reason, minter=msg.sender)


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
    status: bool = staticcall IRegistryRoles(registry).hasRole(MERCHANT_ROLE, account)
    if self.is_merchant[account] != status:
        self.is_merchant[account] = status
        log MerchantSynced(account=account, is_merchant=status)


@external
def set_free_transfer(enabled: bool):
    """
    @notice Switch free transfer between holders on or off (committee).
    @param enabled True lets anyone send points to anyone.
    """
    assert msg.sender == ownable.owner, "points: committee only"
    self.free_transfer = enabled
    log FreeTransferChanged(enabled=enabled)


@internal
@view
def _check_policy(sender: address, to: address):
    # Spending at a merchant is the hot path: one local read decides it.
    if self.is_merchant[to]:
        return
    if self.free_transfer:
        return
    assert self.is_merchant[sender], "points: transfers only to registered merchants"
