# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title SettlementToken
@custom:contract-name SettlementToken
@license GNU Affero General Public License v3.0 only
@notice The local stand-in for a CNY deposit token (2 decimals: one unit is one
        fen, 分) in which property fees, public income and the maintenance fund
        are settled. On a private chain the deployment names the real settlement
        token instead and this contract is not deployed.

        - A snekmate ERC-20 with EIP-2612 `permit`, so a resident approves and pays
          in one transaction.
        - ERC-1363 (`transferAndCall` and its siblings): a resident pays a contract
          and tells it what for in one transaction with no signature, no nonce and
          no allowance written and cleared, the cheapest payment a token allows
          (PropertyFees takes fee payments this way).
        - The owner (the deployer, in a local deployment the committee) is a minter
          and can appoint other minters, so a demo community can hand out balances.
@custom:security A stand-in for demos and tests: whoever holds the minter role can
                 create money at will. Never deploy it where the token must have
                 real value.
"""

from snekmate.auth import ownable
from snekmate.tokens import erc20

initializes: ownable
initializes: erc20[ownable := ownable]

exports: erc20.__interface__


interface IERC1363Receiver:
    def onTransferReceived(operator: address, sender: address, amount: uint256, data: Bytes[MAX_DATA]) -> bytes4: nonpayable


interface IERC1363Spender:
    def onApprovalReceived(owner: address, amount: uint256, data: Bytes[MAX_DATA]) -> bytes4: nonpayable


# The most data a call forwards to its receiver (a fee payment sends 64 bytes).
MAX_DATA: constant(uint256) = 1024
ERC165_ID: constant(bytes4) = 0x01ffc9a7
ERC1363_ID: constant(bytes4) = 0xb0202a11
ON_TRANSFER_RECEIVED: constant(bytes4) = 0x88a7ca5c
ON_APPROVAL_RECEIVED: constant(bytes4) = 0x7b04a2d0


@deploy
def __init__(owner_: address):
    """
    @notice Deploy the stand-in CNY deposit token.
    @param owner_ The owner and first minter (the committee in a local deployment).
    """
    assert owner_ != empty(address), "token: owner is the zero address"
    ownable.__init__()
    erc20.__init__("Linli CNY Deposit", "dCNY", 2, "Linli CNY Deposit", "1")
    if owner_ != msg.sender:
        # snekmate makes the deployer the minter; hand both powers to the owner.
        erc20.is_minter[msg.sender] = False
        log erc20.RoleMinterChanged(minter=msg.sender, status=False)
        erc20.is_minter[owner_] = True
        log erc20.RoleMinterChanged(minter=owner_, status=True)
        ownable._transfer_ownership(owner_)


@external
@view
def supportsInterface(interface_id: bytes4) -> bool:
    """
    @notice ERC-165: this token speaks ERC-165 and ERC-1363.
    @param interface_id The interface identifier.
    """
    return interface_id == ERC165_ID or interface_id == ERC1363_ID


@external
def transferAndCall(to: address, amount: uint256, data: Bytes[MAX_DATA] = b"") -> bool:
    """
    @notice ERC-1363: transfer `amount` to the contract `to` and call its
            `onTransferReceived` with `data`, in one transaction.
    @dev The whole transfer reverts unless `to` is a contract that returns the
         ERC-1363 receiver selector.
    @param to The receiving contract.
    @param amount The amount in fen.
    @param data What the payment is for, in the receiver's terms.
    @return True (a failure reverts).
    """
    erc20._transfer(msg.sender, to, amount)
    self._check_received(msg.sender, msg.sender, to, amount, data)
    return True


@external
def transferFromAndCall(sender: address, to: address, amount: uint256, data: Bytes[MAX_DATA] = b"") -> bool:
    """
    @notice ERC-1363: `transferFrom` within the caller's allowance, then the
            receiver's `onTransferReceived`.
    @param sender The wallet the tokens leave.
    @param to The receiving contract.
    @param amount The amount in fen.
    @param data What the payment is for, in the receiver's terms.
    @return True (a failure reverts).
    """
    erc20._spend_allowance(sender, msg.sender, amount)
    erc20._transfer(sender, to, amount)
    self._check_received(msg.sender, sender, to, amount, data)
    return True


@external
def approveAndCall(spender: address, amount: uint256, data: Bytes[MAX_DATA] = b"") -> bool:
    """
    @notice ERC-1363: approve the contract `spender` and call its
            `onApprovalReceived` with `data`.
    @param spender The approved contract.
    @param amount The allowance in fen.
    @param data What the approval is for, in the spender's terms.
    @return True (a failure reverts).
    """
    erc20._approve(msg.sender, spender, amount)
    assert spender.is_contract, "token: spender is not a contract"
    answer: bytes4 = extcall IERC1363Spender(spender).onApprovalReceived(msg.sender, amount, data)
    assert answer == ON_APPROVAL_RECEIVED, "token: spender refused the approval"
    return True


@internal
def _check_received(operator: address, sender: address, to: address, amount: uint256, data: Bytes[MAX_DATA]):
    # An account without code cannot say what a payment was for: refuse rather than
    # leave the money with it silently.
    assert to.is_contract, "token: receiver is not a contract"
    answer: bytes4 = extcall IERC1363Receiver(to).onTransferReceived(operator, sender, amount, data)
    assert answer == ON_TRANSFER_RECEIVED, "token: receiver refused the transfer"
