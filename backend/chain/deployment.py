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
from typing import Any, Callable

MANIFEST_VERSION = 1
DEFAULT_CHANGE_DELAY = 3 * 86400  # a sale or wallet recovery waits three days

# Role ids as the registry computes them (keccak256 of "linli.role.<name>").
ROLE_NAMES = ("assembly", "committee", "manager", "cashier", "merchant", "provider", "auditor")


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
    # The owners' committee (its Safe's address; the deployer's in a test's community).
    committee: str = ""

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


ASSEMBLY_ROLE = role_id("assembly")


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

    The deployer pays for the deployment and holds the owners' assembly's powers
    (the registry's ASSEMBLY_ROLE, the points' ownership) while it wires the
    community; `hand_over` gives them to the assembly's timelock. `committee`
    (default: the deployer) receives COMMITTEE_ROLE.
    """
    committee_address = getattr(committee, "address", committee) or deployer.address
    deploy_block = chain.blocks.head.number + 1
    registry = deployer.deploy(project.HouseholdRegistry, name, committee_address, change_delay)
    points = deployer.deploy(project.CommunityPoints, registry.address, deployer.address)
    registry.set_points(points.address, sender=deployer)
    return Community(
        name=name,
        chain_id=chain.chain_id,
        deploy_block=deploy_block,
        registry=registry,
        points=points,
        committee=committee_address,
    )


def deploy_full_community(
    project: Any,
    chain: Any,
    deployer: Any,
    *,
    name: str,
    committee: Any | None = None,
    committee_members: list[Any] | None = None,
    committee_threshold: int | None = None,
    change_delay: int = DEFAULT_CHANGE_DELAY,
    settlement_token: Any | None = None,
    assembly_params: dict[str, int] | None = None,
    vault_logger: Any | None = None,
    founding: Callable[[Community], None] | None = None,
    hand_over_powers: bool = True,
    passkey_factory: Any | None = None,
    safe_infrastructure: dict[str, str] | None = None,
) -> Community:
    """Everything a community runs on, in dependency order:

    1. HouseholdRegistry and CommunityPoints;
    2. PropertyFees (with a stand-in settlement token on a local chain);
    3. the owners' assembly: its timelock, the Constitution (what each call needs)
       and OwnersAssembly;
    4. CultureWorks; CommunityActivities and MerchantPromotions (promotions pay into
       the fees' public income); ServiceMarket (escrow in the settlement token, the
       platform fee to public income); SuggestionBox and DataConsent, with
       `vault_logger` (the backend vault's account) appointed DataConsent logger;
       NoticeBoard (documents, notices, receipts), `vault_logger` its anchorer;
       the passkey accounts' implementation and factory (once per chain: pass
       `passkey_factory` to name the chain's existing one), so the relayer knows
       which accounts are residents' passkey accounts;
    5. the committee: `committee` (an existing Safe's address; any address on a local
       chain) or a new Safe of `committee_members` with `committee_threshold`, born
       with the timelock as its module and CommitteeGuard as its guard (on Safe's
       infrastructure at `safe_infrastructure`'s addresses when given: a district's
       communities share one);
    6. the constitution table, then `founding(community)`: what the community decided
       before it came on chain (its property service contract, this year's budget),
       recorded by the deployer while it still holds the assembly's powers;
    7. unless `hand_over_powers` is False (tests that act as the assembly directly),
       the hand-over: the timelock becomes the assembly (ASSEMBLY_ROLE, the points'
       owner), the committee the only COMMITTEE_ROLE holder, and the deployer keeps
       nothing.
    """
    from backend.chain.deploy_activities import deploy_activities
    from backend.chain.deploy_assembly import deploy_assembly
    from backend.chain.deploy_consent import deploy_suggestions_and_consent
    from backend.chain.deploy_culture import deploy_culture
    from backend.chain.deploy_fees import deploy_fees
    from backend.chain.deploy_notices import deploy_notices
    from backend.chain.deploy_services import deploy_services

    community = deploy_community(project, chain, deployer, name=name, change_delay=change_delay)
    fees = deploy_fees(project, chain, deployer, community, settlement_token=settlement_token)
    community.extra.update(fees)
    community.extra.update(deploy_assembly(project, chain, deployer, community, **(assembly_params or {})))
    community.extra.update(deploy_culture(project, chain, deployer, community))
    community.extra.update(deploy_activities(project, chain, deployer, community, fees["PropertyFees"]))
    community.extra.update(deploy_services(project, chain, deployer, community, fees["PropertyFees"]))
    community.extra.update(deploy_suggestions_and_consent(project, chain, deployer, community, vault_logger=vault_logger))
    community.extra.update(deploy_notices(project, deployer, community, anchorer=vault_logger))
    community.extra.update(_passkeys(project, chain, deployer, passkey_factory))
    committee_address = _committee(project, chain, deployer, community, committee, committee_members,
                                   committee_threshold, safe_infrastructure)
    community.committee = committee_address
    write_constitution(community, deployer)
    if committee_address != deployer.address:
        community.registry.grantRole(role_id("committee"), committee_address, sender=deployer)
    if founding is not None:
        founding(community)
    if hand_over_powers:
        hand_over(community, deployer)
    return community


def _passkeys(project: Any, chain: Any, deployer: Any, factory: Any | None) -> dict[str, Any]:
    """The chain's passkey factory and implementation: `factory` when the chain has one,
    else both deployed now."""
    if factory is None:
        from backend.chain.deploy_passkeys import deploy_passkeys

        return deploy_passkeys(project, chain, deployer)
    factory = project.PasskeyAccountFactory.at(getattr(factory, "address", factory))
    return {"PasskeyAccount": project.PasskeyAccount.at(factory.IMPLEMENTATION()), "PasskeyAccountFactory": factory}


def _committee(project: Any, chain: Any, deployer: Any, community: Community, committee: Any,
               members: list[Any] | None, threshold: int | None,
               safe_infrastructure: dict[str, str] | None = None) -> str:
    """The committee's address: a new Safe of `members`, an existing Safe, or (a
    local chain's tests) any address; the deployer when none is named."""
    if members:
        from backend.chain.committee_safe import create_committee_safe

        safe = create_committee_safe(project, chain, deployer, community, members, threshold or len(members) // 2 + 1,
                                     safe_infrastructure)
        community.extra["CommitteeSafe"] = safe
        return safe.address
    address = getattr(committee, "address", committee)
    if address is None:
        return deployer.address
    from backend.chain.accounts import LOCAL_CHAIN_IDS
    from backend.chain.committee_safe import check_committee_safe

    if chain.chain_id not in LOCAL_CHAIN_IDS or chain.provider.get_code(address):
        community.extra["CommitteeSafe"] = check_committee_safe(project, chain, address)
    return address


def write_constitution(community: Community, deployer: Any) -> None:
    """Write the constitution table (backend/chain/constitution.py) for this community's
    contracts into its Constitution contract; the deployer must still hold the
    assembly's powers."""
    from backend.chain.constitution import constitution_entries

    entries = constitution_entries(community.contracts())
    constitution = community.extra["Constitution"]
    for start in range(0, len(entries), 64):
        constitution.set_call_class(entries[start:start + 64], sender=deployer)


def hand_over(community: Community, deployer: Any) -> None:
    """Give the assembly's powers to its timelock and leave the deployer with none:
    ASSEMBLY_ROLE and the points' ownership to the timelock; the deployer's own
    COMMITTEE_ROLE dropped when another committee (its Safe) holds it. A deployer that
    is itself the only committee (a test's) keeps that role and nothing else."""
    registry, points = community.registry, community.points
    timelock = community.extra["AssemblyTimelock"]
    committee_role = role_id("committee")
    committee = community.committee or deployer.address
    if committee != deployer.address and registry.hasRole(committee_role, deployer.address):
        registry.renounceRole(committee_role, deployer.address, sender=deployer)
    if not registry.hasRole(ASSEMBLY_ROLE, timelock.address):
        registry.grantRole(ASSEMBLY_ROLE, timelock.address, sender=deployer)
    points.transfer_ownership(timelock.address, sender=deployer)
    registry.renounceRole(ASSEMBLY_ROLE, deployer.address, sender=deployer)


# Contracts that mint points (CommunityPoints.set_minter) once deployed.
POINTS_MINTERS = ("PropertyFees", "CultureWorks", "CommunityActivities", "ServiceMarket", "SuggestionBox")


def committee_wiring(community: Community) -> list[str]:
    """What an existing Safe's members do once so that the owners' assembly sets their
    committee's members (two Safe transactions to the Safe itself, before the guard
    is set: the guard refuses any later one)."""
    timelock = community.extra["AssemblyTimelock"].address
    guard = community.extra["CommitteeGuard"].address if "CommitteeGuard" in community.extra else "<CommitteeGuard>"
    return [
        f"safe.enableModule({timelock})  # the owners' assembly's timelock",
        f"safe.setGuard({guard})  # CommitteeGuard: members cannot change the committee themselves",
    ]


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


def manifest_with(path: Path, chain_id: int, contract: str, missing: str) -> dict[str, Any]:
    """The manifest at `path`, checked to be for the chain `chain_id` and to name
    `contract` (ManifestError otherwise; `missing` says what to deploy first)."""
    manifest = read_manifest(path)
    if manifest["chain_id"] != chain_id:
        raise ManifestError(f"{path} is for chain {manifest['chain_id']}, connected to {chain_id}")
    if contract not in manifest["contracts"]:
        raise ManifestError(f"{path} has no {contract}: {missing}")
    return manifest


def manifest_path(root: Path, network: str, chain_id: int) -> Path:
    """Where the manifest of a network lives: deployments/<network>-<chain id>.json."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in network)
    return root / "deployments" / f"{safe}-{chain_id}.json"
