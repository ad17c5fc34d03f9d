"""Deploy a community's PropertyFees (and, on a local chain, its settlement token).

`deploy_community` calls `deploy_fees` after the registry and the points exist; the
benchmarks and the fee tests go through it too, so what they measure is what an
operator deploys.
"""

from __future__ import annotations

from typing import Any


def deploy_fees(project: Any, chain: Any, deployer: Any, community: Any, settlement_token: Any = None) -> dict[str, Any]:
    """Deploy PropertyFees wired to the community's registry, points and settlement token.

    - `settlement_token`: the address (or contract) of the CNY deposit token on a
      private chain; when None, the stand-in SettlementToken (2 decimals, mintable by
      the deployer) is deployed.
    - The fees contract becomes a points minter when the deployer owns the points
      (the committee is the deployer in local deploys); otherwise the committee must
      call `points.set_minter(fees, True)` itself.
    - Billing starts in the current month; the committee records the service
      contract (the rate) afterwards.

    Returns {"SettlementToken": token, "PropertyFees": fees}.
    """
    if settlement_token is None:
        token = deployer.deploy(project.SettlementToken, deployer.address)
    elif hasattr(settlement_token, "address"):
        token = settlement_token
    else:
        token = project.SettlementToken.at(settlement_token)
    fees = deployer.deploy(project.PropertyFees, community.registry.address, community.points.address, token.address, 0)
    if community.points.owner() == deployer.address:
        community.points.set_minter(fees.address, True, sender=deployer)
    return {"SettlementToken": token, "PropertyFees": fees}
