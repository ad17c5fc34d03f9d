"""Deploy one community's contracts and describe them in a deployment manifest.

The deploy script, the demo seed and the test fixtures all go through
`deploy_community`, so what the tests exercise is what an operator deploys.

The manifest (JSON) is what the indexer and the pages read: chain id, the block
the deployment started at, every contract's address and ABI, and the community's
key (the registry address, which tags every indexed row).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_VERSION = 1
DEFAULT_CHANGE_DELAY = 3 * 86400  # a sale or wallet recovery waits three days

# Role ids as the registry computes them (keccak256 of the role name).
ROLE_NAMES = ("committee", "manager", "merchant", "provider", "auditor")


class ManifestError(RuntimeError):
    """The manifest is missing, unreadable or belongs to another chain."""


@dataclass
class Community:
    """The deployed contracts of one community (Ape contract instances)."""

    name: str
    chain_id: int
    deploy_block: int
    registry: Any
    points: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def contracts(self) -> dict[str, Any]:
        """Every deployed contract by its contract name."""
        found = {"HouseholdRegistry": self.registry, "CommunityPoints": self.points}
        found.update(self.extra)
        return found


def role_id(name: str) -> bytes:
    """The bytes32 id of a Linli role, e.g. role_id("merchant")."""
    from eth_utils import keccak

    if name not in ROLE_NAMES:
        raise ValueError(f"unknown role {name!r}; one of {', '.join(ROLE_NAMES)}")
    return keccak(text=f"linli.role.{name}")


def deploy_community(
    project: Any,
    chain: Any,
    deployer: Any,
    *,
    name: str,
    committee: Any | None = None,
    change_delay: int = DEFAULT_CHANGE_DELAY,
) -> Community:
    """Deploy the registry and the points, and wire them together.

    The deployer pays for the deployment; `committee` (default: the deployer)
    receives every administrative power. When the deployer is not the committee it
    keeps none.
    """
    committee_address = getattr(committee, "address", committee) or deployer.address
    deploy_block = chain.blocks.head.number + 1
    registry = deployer.deploy(project.HouseholdRegistry, name, committee_address, change_delay)
    points = deployer.deploy(project.CommunityPoints, registry.address, committee_address)
    if committee_address == deployer.address:
        registry.set_points(points.address, sender=deployer)
    return Community(
        name=name,
        chain_id=chain.chain_id,
        deploy_block=deploy_block,
        registry=registry,
        points=points,
    )


def deploy_full_community(
    project: Any,
    chain: Any,
    deployer: Any,
    *,
    name: str,
    committee: Any | None = None,
    change_delay: int = DEFAULT_CHANGE_DELAY,
    settlement_token: Any | None = None,
    assembly_params: dict[str, int] | None = None,
    vault_logger: Any | None = None,
) -> Community:
    """Everything a community runs on, in dependency order:

    1. HouseholdRegistry and CommunityPoints;
    2. PropertyFees (with a stand-in settlement token on a local chain);
    3. the owners' assembly and its timelock, which becomes the only way to move the
       maintenance fund;
    4. CultureWorks; CommunityActivities and MerchantPromotions (promotions pay into
       the fees' public income); ServiceMarket (escrow in the settlement token, the
       platform fee to public income); SuggestionBox and DataConsent, with
       `vault_logger` (the backend vault's account) appointed DataConsent logger.

    Every module that mints points becomes a minter when the deployer is the
    committee. With another committee, the committee finishes the wiring itself:
    `committee_wiring(community)` lists the calls.
    """
    from backend.chain.deploy_activities import deploy_activities
    from backend.chain.deploy_assembly import deploy_assembly
    from backend.chain.deploy_consent import deploy_suggestions_and_consent
    from backend.chain.deploy_culture import deploy_culture
    from backend.chain.deploy_fees import deploy_fees
    from backend.chain.deploy_services import deploy_services

    community = deploy_community(project, chain, deployer, name=name, committee=committee, change_delay=change_delay)
    fees = deploy_fees(project, chain, deployer, community, settlement_token=settlement_token)
    community.extra.update(fees)
    committee_is_deployer = community.points.owner() == deployer.address
    assembly = deploy_assembly(
        project,
        chain,
        deployer,
        community,
        fees=fees["PropertyFees"] if committee_is_deployer else None,
        **(assembly_params or {}),
    )
    community.extra.update(assembly)
    community.extra.update(deploy_culture(project, chain, deployer, community))
    community.extra.update(deploy_activities(project, chain, deployer, community, fees["PropertyFees"]))
    community.extra.update(deploy_services(project, chain, deployer, community, fees["PropertyFees"]))
    community.extra.update(deploy_suggestions_and_consent(project, chain, deployer, community, vault_logger=vault_logger))
    return community


# Contracts that mint points (CommunityPoints.set_minter) once deployed.
POINTS_MINTERS = ("PropertyFees", "CultureWorks", "CommunityActivities", "ServiceMarket", "SuggestionBox")


def committee_wiring(community: Community) -> list[str]:
    """The calls a committee that is not the deployer makes once to finish the wiring
    (the deployer holds no power over the community, so it could not make them)."""
    contracts = community.contracts()
    calls = [f"registry.set_points({community.points.address})"]
    calls += [
        f"points.set_minter({contracts[name].address}, True)  # {name}" for name in POINTS_MINTERS if name in contracts
    ]
    if "PropertyFees" in contracts and "AssemblyTimelock" in contracts:
        calls.append(f"fees.set_governance({contracts['AssemblyTimelock'].address})  # the assembly's timelock")
    calls.append("consent.set_logger(<the vault's account>, True)  # unless --vault-logger named it at deploy")
    return calls


def manifest_dict(community: Community, network: str) -> dict[str, Any]:
    """The JSON-ready manifest of a deployed community."""
    contracts = {}
    for contract_name, instance in community.contracts().items():
        contracts[contract_name] = {
            "address": instance.address,
            "abi": [entry.model_dump(mode="json", by_alias=True) for entry in instance.contract_type.abi],
        }
    return {
        "version": MANIFEST_VERSION,
        "name": community.name,
        "network": network,
        "chain_id": community.chain_id,
        "deploy_block": community.deploy_block,
        "community": community.registry.address,
        "abi_source": "ape compile (contracts/*.vy, vyper 0.4.3)",
        "contracts": contracts,
    }


def write_manifest(manifest: dict[str, Any], path: Path) -> None:
    """Write the manifest atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def read_manifest(path: Path) -> dict[str, Any]:
    """Read a manifest, with a clear error when it is missing or malformed."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ManifestError(f"no deployment manifest at {path}; run the deploy script first") from exc
    except json.JSONDecodeError as exc:
        raise ManifestError(f"deployment manifest {path} is not valid JSON: {exc}") from exc
    for key in ("chain_id", "deploy_block", "community", "contracts"):
        if key not in manifest:
            raise ManifestError(f"deployment manifest {path} has no {key!r}")
    return manifest


def manifest_path(root: Path, network: str, chain_id: int) -> Path:
    """Where the manifest of a network lives: deployments/<network>-<chain id>.json."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in network)
    return root / "deployments" / f"{safe}-{chain_id}.json"
