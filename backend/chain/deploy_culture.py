"""Deploy a community's CultureWorks (residents' works, likes, exhibitions).

The culture tests and bench/gas_culture.py go through this helper, so what they
measure is what an operator deploys.
"""

from __future__ import annotations

from typing import Any

# Defaults: one point per like, at most 20 points per creator per Beijing day.
LIKE_RATE = 1
LIKE_DAILY_CAP = 20


def deploy_culture(
    project: Any, chain: Any, deployer: Any, community: Any, like_rate: int = LIKE_RATE, like_daily_cap: int = LIKE_DAILY_CAP
) -> dict[str, Any]:
    """Deploy CultureWorks wired to the community's registry and points.

    - The contract becomes a points minter when the deployer owns the points (the
      committee is the deployer in local deploys); otherwise the committee must call
      `points.set_minter(culture, True)` itself.
    - The like reward and the gift switch are the committee's to change afterwards
      (`set_like_reward`, `set_gifts_enabled`).

    Returns {"CultureWorks": culture}.
    """
    culture = deployer.deploy(
        project.CultureWorks, community.registry.address, community.points.address, like_rate, like_daily_cap
    )
    if community.points.owner() == deployer.address:
        community.points.set_minter(culture.address, True, sender=deployer)
    return {"CultureWorks": culture}
