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
