"""Deploy a community's CommunityActivities and MerchantPromotions.

`deploy_full_community` calls `deploy_activities` after PropertyFees exists; the
activity tests and bench/gas_activities.py go through it too, so what they measure
is what an operator deploys.
"""

from __future__ import annotations

from typing import Any

# Points per attendee an activity may award until the committee changes it.
DEFAULT_MAX_POINTS = 100


def deploy_activities(
    project: Any, chain: Any, deployer: Any, community: Any, fees: Any, max_points: int = DEFAULT_MAX_POINTS
) -> dict[str, Any]:
    """Deploy CommunityActivities and MerchantPromotions wired to the community.

    - `fees`: the community's PropertyFees (contract or address); promotions pay
      into its public income in its settlement token.
    - CommunityActivities becomes a points minter when the deployer owns the points
      (the committee is the deployer in local deploys); otherwise the committee must
      call `points.set_minter(activities, True)` itself.

    Returns {"CommunityActivities": activities, "MerchantPromotions": promotions}.
    """
    fees_address = getattr(fees, "address", fees)
    activities = deployer.deploy(project.CommunityActivities, community.registry.address, community.points.address, max_points)
    promotions = deployer.deploy(project.MerchantPromotions, community.registry.address, fees_address)
    if community.points.owner() == deployer.address:
        community.points.set_minter(activities.address, True, sender=deployer)
    return {"CommunityActivities": activities, "MerchantPromotions": promotions}
