"""Deploy a community's PropertyFees and CommunityTreasury (and, on a local chain, its
settlement token).

`deploy_community` calls `deploy_fees` after the registry and the points exist; the
benchmarks and the fee tests go through it too, so what they measure is what an
operator deploys.
"""

from __future__ import annotations

from typing import Any

from eth_utils import keccak

ASSEMBLY_ROLE = keccak(text="linli.role.assembly")


class FeesWiringError(RuntimeError):
    """The deployer cannot name the treasury module: it does not hold the assembly's role."""


def deploy_fees(project: Any, chain: Any, deployer: Any, community: Any, settlement_token: Any = None) -> dict[str, Any]:
    """Deploy PropertyFees and CommunityTreasury wired to the community's registry,
    points and settlement token.

    - `settlement_token`: the address (or contract) of the CNY deposit token on a
      private chain; when None, the stand-in SettlementToken (2 decimals, mintable by
      the deployer) is deployed.
    - The deployer must still hold the registry's ASSEMBLY_ROLE (it does until the
      deployment hands it to the assembly's timelock): it names the treasury module
      in PropertyFees, once and for good (`set_treasury`), so no deployment can leave
      the money without its only way out, nor with another one.
    - PropertyFees becomes a points minter when the deployer owns the points.
    - Billing starts in the current month; the assembly approves the service
      contract (the rate) afterwards.

    Returns {"SettlementToken": token, "PropertyFees": fees, "CommunityTreasury": treasury}.
    """
    del chain  # same signature as the other deploy helpers
    registry = community.registry
    if not registry.hasRole(ASSEMBLY_ROLE, deployer.address):
        raise FeesWiringError(
            f"{deployer.address} does not hold the registry's assembly role: deploy the fees while the "
            "deployer still wires the community (before the hand-over to the assembly's timelock)"
        )
    if settlement_token is None:
        token = deployer.deploy(project.SettlementToken, deployer.address)
    elif hasattr(settlement_token, "address"):
        token = settlement_token
    else:
        token = project.SettlementToken.at(settlement_token)
    fees = deployer.deploy(project.PropertyFees, registry.address, community.points.address, token.address, 0)
    treasury = deployer.deploy(project.CommunityTreasury, fees.address)
    fees.set_treasury(treasury.address, sender=deployer)
    if community.points.owner() == deployer.address:
        community.points.set_minter(fees.address, True, sender=deployer)
    return {"SettlementToken": token, "PropertyFees": fees, "CommunityTreasury": treasury}
