"""Deploy a community's SuggestionBox and DataConsent.

`deploy_full_community` calls `deploy_suggestions_and_consent` after the registry and
the points exist; the tests and the gas benchmark go through it too, so what they
measure is what an operator deploys.
"""

from __future__ import annotations

from typing import Any

# Points an accepted suggestion earns until the committee sets another rate.
DEFAULT_SUGGESTION_REWARD = 10

ZERO_ADDRESS = "0x" + "0" * 40


def deploy_suggestions_and_consent(
    project: Any,
    chain: Any,
    deployer: Any,
    community: Any,
    vault_logger: Any = None,
    suggestion_reward: int = DEFAULT_SUGGESTION_REWARD,
) -> dict[str, Any]:
    """Deploy SuggestionBox and DataConsent wired to the community's registry and points.

    - The SuggestionBox becomes a points minter when the deployer owns the points
      (the committee is the deployer in local deploys); otherwise the committee must
      call `points.set_minter(box, True)` itself for acceptances to pay.
    - `vault_logger`: the vault's account (or address), appointed DataConsent logger
      in the constructor; None for none (the committee calls `set_logger` later).
    - `suggestion_reward`: points per accepted suggestion (the committee can change it).

    Returns {"SuggestionBox": box, "DataConsent": consent}.
    """
    registry = community.registry.address
    box = deployer.deploy(project.SuggestionBox, registry, community.points.address, suggestion_reward)
    logger = ZERO_ADDRESS if vault_logger is None else getattr(vault_logger, "address", vault_logger)
    consent = deployer.deploy(project.DataConsent, registry, logger)
    if community.points.owner() == deployer.address:
        community.points.set_minter(box.address, True, sender=deployer)
    return {"SuggestionBox": box, "DataConsent": consent}
