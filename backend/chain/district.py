"""A district: many communities on one chain, listed by the street office in
contracts/DistrictRegistry.vy.

- `deploy_district` deploys the registry, owned by the street office's Safe (a new
  one of its members, or an existing Safe; on a local chain any account).
- `register_community` lists a deployed community (its public name, street,
  HouseholdRegistry, deploy block and every contract by name), sent as the street
  office: directly when the sender owns the registry, else as a Safe transaction its
  members sign (`street_office_caller`, LINLI_STREET_OFFICE_KEYS).
- `manifest_from_district` is a community's manifest read back from the registry by
  name, with the project's ABIs: what the deploy and units commands use to find a
  community of a shared chain, and what an indexer can build from `CommunityAdded`.
"""

from __future__ import annotations

import os
from typing import Any

from backend.chain.deployment import MANIFEST_VERSION, Community

DISTRICT_ENV = "LINLI_DISTRICT"
STREET_OFFICE_KEYS_ENV = "LINLI_STREET_OFFICE_KEYS"
MAX_NAME_BYTES = 64


class DistrictError(RuntimeError):
    """A community or a district that cannot be found or listed as asked."""


def check_name(label: str, value: str) -> str:
    """A name or street as the registry stores it: stripped, 1 to 64 UTF-8 bytes."""
    value = value.strip()
    if not value:
        raise DistrictError(f"the community's {label} is empty")
    if len(value.encode("utf-8")) > MAX_NAME_BYTES:
        raise DistrictError(f"the community's {label} {value!r} is longer than {MAX_NAME_BYTES} bytes (UTF-8)")
    return value


def deploy_district(project: Any, chain: Any, deployer: Any, *, street_office: Any | None = None,
                    members: list[Any] | None = None, threshold: int | None = None) -> tuple[Any, Any]:
    """The district's registry and its owner: a new Safe of `members` (the street
    office's signers) with `threshold`, else `street_office` (an existing Safe 1.4.1,
    or on a local chain any address), else the deployer. Returns (registry, owner's
    address)."""
    from backend.chain.accounts import LOCAL_CHAIN_IDS
    from backend.chain.safe import accept_safe, create_safe, deploy_safe_infrastructure

    if members:
        infrastructure = deploy_safe_infrastructure(chain, deployer)
        owner = create_safe(infrastructure, members, threshold or len(members) // 2 + 1, sender=deployer).address
    else:
        owner = getattr(street_office, "address", street_office) or deployer.address
        if owner != deployer.address and (chain.chain_id not in LOCAL_CHAIN_IDS or chain.provider.get_code(owner)):
            accept_safe(chain, owner)
    return deployer.deploy(project.DistrictRegistry, owner), owner


def district_at(project: Any, address: str) -> Any:
    return project.DistrictRegistry.at(address)


def community_entries(community: Community) -> list[tuple[str, str]]:
    """Every contract of a community as the registry lists it: (contract name, address)."""
    return [(name, instance.address) for name, instance in community.contracts().items()]


def street_office_caller(chain: Any, district: Any, sender: Any, member_keys: list[str] | None = None):
    """How a script acts as the street office: directly when `sender` owns the registry,
    else as a SafeTx of the owner's Safe signed with `member_keys`
    (LINLI_STREET_OFFICE_KEYS: at least the threshold of its members' keys) and sent
    by `sender`. Returns `send(method, *args) -> receipt`."""
    from ape_accounts.accounts import ApeSigner

    from backend.chain.safe import SafeCommittee, SafeError

    owner = district.owner()
    if owner == sender.address:
        return lambda method, *args: method(*args, sender=sender)
    if not chain.provider.get_code(owner):
        raise DistrictError(f"the district's street office is {owner}, an account: only it can list communities")
    keys = member_keys if member_keys is not None else [
        k.strip() for k in os.environ.get(STREET_OFFICE_KEYS_ENV, "").split(",") if k.strip()]
    office = SafeCommittee.at(chain, owner)
    signers = [ApeSigner(private_key=k if k.startswith("0x") else "0x" + k) for k in keys]
    members = set(office.owners())
    strangers = [s.address for s in signers if s.address not in members]
    if strangers:
        raise SafeError(f"{STREET_OFFICE_KEYS_ENV} holds keys of non-members: {', '.join(strangers)}")
    if len(signers) < office.threshold():
        raise SafeError(f"the street office's Safe needs {office.threshold()} members' signatures; "
                        f"{STREET_OFFICE_KEYS_ENV} gives {len(signers)}")
    return lambda method, *args: office.call(method, *args, signers=signers, sender=sender)


def shared_safe_infrastructure(district: Any) -> dict[str, str] | None:
    """Safe's infrastructure the district's latest listed community uses (SafeL2,
    SafeProxyFactory, …), for the next community's committee Safe: deployed once per
    chain, not once per community. `deploy_safe_infrastructure` checks each address's
    code is Safe's before it is used. None when no listed community has it."""
    from backend.chain.safe import INFRASTRUCTURE

    for community_id in range(district.community_count(), 0, -1):
        if district.community(community_id).retired:
            continue
        listed = {entry.name: entry.at for entry in district.contracts_of(community_id)}
        if all(name in listed for name in INFRASTRUCTURE):
            return {name: listed[name] for name in INFRASTRUCTURE}
    return None


def shared_contracts(district: Any) -> dict[str, Any]:
    """What the district's communities share on the chain, for a new factory: Safe's
    infrastructure ("safe", see `shared_safe_infrastructure`) and the passkey factory
    ("passkey_factory") the latest listed community uses; None for what none lists."""
    passkey_factory = None
    for community_id in range(district.community_count(), 0, -1):
        if district.community(community_id).retired:
            continue
        listed = {entry.name: entry.at for entry in district.contracts_of(community_id)}
        if "PasskeyAccountFactory" in listed:
            passkey_factory = listed["PasskeyAccountFactory"]
            break
    return {"safe": shared_safe_infrastructure(district), "passkey_factory": passkey_factory}


def check_name_free(district: Any, name: str) -> None:
    """Refuse, before anything is deployed, a name the district already lists."""
    if district.community_id(name):
        raise DistrictError(f"the district already lists a community named {name!r} "
                            f"(id {district.community_id(name)})")


def register_community(district: Any, community: Community, street: str, send: Any) -> int:
    """List `community` in the district (as the street office, through `send`);
    returns its id."""
    name, street = check_name("name", community.name), check_name("street", street)
    receipt = send(district.add_community, name, street, community.registry.address, community.deploy_block,
                   community_entries(community))
    [added] = receipt.decode_logs(district.CommunityAdded)
    return int(added.id)


def find_community(district: Any, name: str) -> int:
    """The id of the listed community called `name` (DistrictError if none)."""
    community_id = district.community_id(name.strip())
    if not community_id:
        raise DistrictError(f"the district at {district.address} lists no community named {name.strip()!r}")
    return int(community_id)


def manifest_from_district(project: Any, chain: Any, district: Any, name: str, network: str) -> dict[str, Any]:
    """The manifest of the community called `name`, from the registry's entry and the
    project's ABIs (the same shape `deployment.manifest_dict` writes)."""
    community_id = find_community(district, name)
    entry = district.community(community_id)
    contracts = {}
    for listed in district.contracts_of(community_id):
        contracts[listed.name] = {
            "address": listed.at,
            "abi": [item.model_dump(mode="json", by_alias=True) for item in _abi(project, listed.name)],
        }
    return {
        "version": MANIFEST_VERSION,
        "name": entry.name,
        "street": entry.street,
        "network": network,
        "chain_id": chain.chain_id,
        "deploy_block": entry.deploy_block,
        "community": entry.registry,
        "district": district.address,
        "district_id": community_id,
        "abi_source": "ape compile (contracts/*.vy, vyper 0.4.3); Safe's artifacts",
        "contracts": contracts,
    }


def _abi(project: Any, contract_name: str) -> list[Any]:
    """The ABI of a community's contract by the name the registry lists it under: the
    project's contracts, Safe's artifacts, the committee's Safe being a SafeL2."""
    from backend.chain.safe import ARTIFACT_PATHS, contract_type

    safe_name = "SafeL2" if contract_name == "CommitteeSafe" else contract_name
    if safe_name in ARTIFACT_PATHS:
        return contract_type(safe_name).abi
    try:
        return getattr(project, contract_name).contract_type.abi
    except AttributeError as exc:
        raise DistrictError(f"the district lists a contract {contract_name!r} this project does not know") from exc
