"""Deploy a community's ServiceMarket (service requests, offers and their escrow).

The market settles in PropertyFees' settlement token and pays its platform fee into
PropertyFees' public income, so it is deployed after the fees. The tests and the gas
bench go through this helper, so what they measure is what an operator deploys.
"""

from __future__ import annotations

from typing import Any


def deploy_services(project: Any, chain: Any, deployer: Any, community: Any, fees: Any) -> dict[str, Any]:
    """Deploy ServiceMarket wired to the community's registry, points and fees.

    - `fees`: the community's PropertyFees (contract or address); the market reads the
      settlement token from it and approves it once for the platform fees.
    - The market becomes a points minter (ratings mint points, reason 6) when the
      deployer owns the points; otherwise the committee must call
      `points.set_minter(market, True)` itself.
    - Defaults: fee 0 bps, release delay 7 days, no points per rating; the committee
      sets them with `set_fee`, `set_release_delay`, `set_rating_points`.

    Returns {"ServiceMarket": market}.
    """
    fees_address = fees.address if hasattr(fees, "address") else fees
    market = deployer.deploy(project.ServiceMarket, community.registry.address, community.points.address, fees_address)
    if community.points.owner() == deployer.address:
        community.points.set_minter(market.address, True, sender=deployer)
    return {"ServiceMarket": market}
