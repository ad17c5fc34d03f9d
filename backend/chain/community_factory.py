"""A district's CommunityFactory (contracts/CommunityFactory.vy): a whole community in
four transactions, each under Osaka's cap of 16,777,216 gas, listed in the district.

Once per chain, `deploy_blueprints` puts every community contract's initcode on the
chain: an ERC-5202 blueprint for each (preamble 0xFE7100, then the initcode; the
factory creates from it with `create_from_blueprint`), and for the two whose initcode
is larger than a contract may be (EIP-170: 24,576 bytes), OwnersAssembly and
PropertyFees, two code stores each that return their half when called (the factory
joins them and uses `raw_create`).

Once per district, `deploy_factory` makes the factory with those blueprints, Safe's
infrastructure, CommitteeSafeSetup and the chain's passkey factory; the street office
then makes it the district registry's lister and names its deployers
(`enable_factory`).

Then `build_community` builds and lists a community: the same contracts, wired the
same way, as `deployment.deploy_full_community` deploys in 43 transactions (the tests
compare the two: tests/district/test_community_factory.py). A build that stopped part way
keeps its name reserved until it is resumed (`build_community(resume=…)`) or given up
(`abandon_build`, `ape run district abandon`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from eth_utils import keccak, to_checksum_address

from backend.chain.deploy_assembly import DEFAULT_ASSEMBLY_PARAMS
from backend.chain.deployment import DEFAULT_CHANGE_DELAY, Community

FACTORY_ENV = "LINLI_COMMUNITY_FACTORY"
ZERO_ADDRESS = "0x" + "0" * 40
CALL_CLASS_ABI = "(address,bytes4,bool,bytes32,uint8)[]"
ERC5202_PREAMBLE = b"\xfe\x71\x00"  # EIP-5202: magic 0xFE71, version 0, no data section
MAX_CODE = 24_576  # EIP-170

# The factory's Blueprints struct, field by field: the contract each is made of.
BLUEPRINTS = (
    ("settlement_token", "SettlementToken"),
    ("registry", "HouseholdRegistry"),
    ("points", "CommunityPoints"),
    ("paper_ballots", "PaperBallots"),
    ("fees_head", "PropertyFees"),
    ("fees_tail", "PropertyFees"),
    ("treasury", "CommunityTreasury"),
    ("timelock", "AssemblyTimelock"),
    ("constitution", "Constitution"),
    ("assembly_head", "OwnersAssembly"),
    ("assembly_tail", "OwnersAssembly"),
    ("culture", "CultureWorks"),
    ("activities", "CommunityActivities"),
    ("promotions", "MerchantPromotions"),
    ("market", "ServiceMarket"),
    ("suggestions", "SuggestionBox"),
    ("consent", "DataConsent"),
    ("notices", "NoticeBoard"),
    ("guard", "CommitteeGuard"),
)

# The contracts `finish` lists, in its order: a constitution entry names its target by
# its index here. The last five only with a new committee Safe.
LISTING = (
    "HouseholdRegistry", "CommunityPoints", "SettlementToken", "PropertyFees", "CommunityTreasury",
    "AssemblyTimelock", "Constitution", "PaperBallots", "OwnersAssembly", "CultureWorks", "CommunityActivities",
    "MerchantPromotions", "ServiceMarket", "SuggestionBox", "DataConsent", "NoticeBoard", "PasskeyAccount",
    "PasskeyAccountFactory", "CommitteeSafe", "CommitteeGuard", "SafeL2", "SafeProxyFactory",
    "CompatibilityFallbackHandler", "MultiSendCallOnly",
)
SAFE_ARTIFACTS = ("SafeL2", "SafeProxyFactory", "CompatibilityFallbackHandler", "MultiSendCallOnly")


log = logging.getLogger(__name__)


class FactoryError(RuntimeError):
    """The factory cannot build this community (what is wrong, before or instead of a revert)."""


class BuildStopped(FactoryError):
    """A step after `begin` failed: the build is kept, to resume or abandon."""

    def __init__(self, build_id: int, steps_done: int, cause: Exception):
        self.build_id, self.steps_done = build_id, steps_done
        super().__init__(f"build {build_id} stopped after step {steps_done} of 4 ({cause}); its name stays reserved: "
                         f"run the same command again with --resume {build_id}, or abandon it "
                         f"(`ape run district abandon --id {build_id}`)")


# --- code on the chain ------------------------------------------------------------------


def blueprint_code(initcode: bytes) -> bytes:
    """An ERC-5202 blueprint's code: the preamble, then the initcode."""
    return ERC5202_PREAMBLE + initcode


def store_code(data: bytes) -> bytes:
    """A code store's code: a 12-byte prologue that copies the data after it to memory and
    returns it (CODECOPY, RETURN), then the data. Called with anything, it returns the data."""
    size = len(data).to_bytes(2, "big")
    prologue = b"\x61" + size + b"\x60\x0c\x5f\x39" + b"\x61" + size + b"\x5f\xf3"
    return prologue + data


def _creation(code: bytes) -> bytes:
    """Initcode that deploys `code` as it is (Ape's ERC-5202 deployer: PUSH2 len,
    RETURNDATASIZE, DUP2, PUSH1 10, RETURNDATASIZE, CODECOPY, RETURN)."""
    return b"\x61" + len(code).to_bytes(2, "big") + b"\x3d\x81\x60\x0a\x3d\x39\xf3" + code


def _initcode(project: Any, contract_name: str) -> bytes:
    return bytes(getattr(project, contract_name).contract_type.deployment_bytecode.to_bytes())


def expected_codes(project: Any) -> dict[str, bytes]:
    """Each Blueprints field's code as this project's contracts make it."""
    codes = {}
    for field_name, contract_name in BLUEPRINTS:
        initcode = _initcode(project, contract_name)
        if field_name.endswith("_head"):
            codes[field_name] = store_code(initcode[: len(initcode) // 2])
        elif field_name.endswith("_tail"):
            codes[field_name] = store_code(initcode[len(initcode) // 2:])
        else:
            codes[field_name] = blueprint_code(initcode)
        if len(codes[field_name]) > MAX_CODE:
            raise FactoryError(f"{contract_name}'s {field_name} is {len(codes[field_name])} bytes, above EIP-170's "
                               f"{MAX_CODE}: keep it in two code stores")
    return codes


def _deploy_code(deployer: Any, code: bytes, label: str) -> str:
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    contract_type = ContractType(contractName=f"Blueprint_{label}", abi=[],
                                 deploymentBytecode={"bytecode": "0x" + _creation(code).hex()})
    return ContractContainer(contract_type).deploy(sender=deployer).address


def deploy_blueprints(project: Any, chain: Any, deployer: Any, known: dict[str, str] | None = None) -> dict[str, str]:
    """Every Blueprints field's address: `known`'s (e.g. another district's factory's
    `BLUEPRINTS()`) where its code is this project's, else deployed now (19 transactions
    the first time on a chain)."""
    found = {}
    for field_name, code in expected_codes(project).items():
        address = (known or {}).get(field_name)
        if address and keccak(bytes(chain.provider.get_code(address))) == keccak(code):
            found[field_name] = to_checksum_address(address)
            continue
        if address:
            log.warning("the blueprint %s at %s is not this project's code: deploying it again", field_name, address)
        found[field_name] = _deploy_code(deployer, code, field_name)
    return found


def blueprints_of(factory: Any) -> dict[str, str]:
    """The Blueprints a deployed factory was made with, by field."""
    blueprints = factory.BLUEPRINTS()
    return {name: getattr(blueprints, name) for name, _ in BLUEPRINTS}


def table_hash(entries: list[tuple]) -> bytes:
    """keccak256 of the constitution table as `finish` receives it (Vyper's abi_encode)."""
    from eth_abi import encode

    return keccak(encode([CALL_CLASS_ABI], [entries]))


def deploy_factory(project: Any, chain: Any, deployer: Any, district: Any, *,
                   safe_infrastructure: dict[str, str] | None = None, passkey_factory: Any = None,
                   blueprints: dict[str, str] | None = None, settlement_token: Any = None) -> Any:
    """A CommunityFactory for `district`, on this chain's blueprints (deployed where
    missing), Safe's infrastructure (`safe_infrastructure`'s, else Safe's canonical
    addresses, else deployed), a CommitteeSafeSetup, and `passkey_factory` (deployed
    when None). Its rules: `settlement_token`, the chain's CNY token every community
    settles in (None on a local chain only: a stand-in per community), and this
    project's constitution table."""
    from backend.chain.accounts import LOCAL_CHAIN_IDS
    from backend.chain.safe import deploy_safe_infrastructure, runtime_code_hash

    if settlement_token is None and chain.chain_id not in LOCAL_CHAIN_IDS:
        raise FactoryError("on a private chain name the settlement token every community settles in")

    codes = deploy_blueprints(project, chain, deployer, blueprints)
    infra = deploy_safe_infrastructure(chain, deployer, safe_infrastructure)
    setup = deployer.deploy(project.CommitteeSafeSetup)
    if passkey_factory is None:
        from backend.chain.deploy_passkeys import deploy_passkeys

        passkey_factory = deploy_passkeys(project, chain, deployer)["PasskeyAccountFactory"]
    infrastructure = (infra.singleton.address, infra.proxy_factory.address, infra.fallback_handler.address,
                      infra.multi_send.address, setup.address, getattr(passkey_factory, "address", passkey_factory))
    rules = (getattr(settlement_token, "address", settlement_token) or ZERO_ADDRESS,
             table_hash(factory_entries(True)), table_hash(factory_entries(False)),
             runtime_code_hash("SafeProxy"), runtime_code_hash("Safe"))
    return deployer.deploy(project.CommunityFactory, getattr(district, "address", district),
                           tuple(codes[name] for name, _ in BLUEPRINTS), infrastructure, rules)


def enable_factory(district: Any, factory: Any, deployers: list[Any], send: Callable[..., Any]) -> None:
    """As the street office (`send`, e.g. `district.street_office_caller`): make `factory`
    the district's lister and let `deployers` build."""
    if not district.is_lister(factory.address):
        send(district.set_lister, factory.address, True)
    for account in deployers:
        address = getattr(account, "address", account)
        if not factory.is_deployer(address):
            send(factory.set_deployer, address, True)


# --- a community ------------------------------------------------------------------------


def factory_entries(new_safe: bool = True) -> list[tuple[str, bytes, bool, bytes, int]]:
    """The constitution table for `finish`: each target the index of its contract in
    LISTING, as an address."""
    from backend.chain.constitution import constitution_entries

    names = LISTING if new_safe else LISTING[: LISTING.index("CommitteeSafe") + 1]
    return constitution_entries({name: f"0x{index:040x}" for index, name in enumerate(names)})


@dataclass
class Built:
    community: Community
    district_id: int
    build_id: int
    receipts: list[Any]


def build_community(
    project: Any,
    chain: Any,
    factory: Any,
    deployer: Any,
    *,
    name: str,
    street: str,
    committee_members: list[Any] | None = None,
    committee_threshold: int | None = None,
    committee: Any = None,
    change_delay: int = DEFAULT_CHANGE_DELAY,
    settlement_token: Any = None,
    vault_logger: Any = None,
    assembly_params: dict[str, int] | None = None,
    resume: int | None = None,
) -> Built:
    """Build and list a community with `factory`, four transactions sent by `deployer`
    (one of the factory's deployers): `committee_members` and a threshold (default a
    majority) for a new committee Safe, or `committee`, an existing Safe.
    `settlement_token`, when given, must be the factory's. `resume`: the id of a build
    of the deployer's that stopped part way (a failed step sends nothing): its steps
    left are sent, with these settings."""
    from backend.chain.safe import accept_safe, check_members

    unknown = set(assembly_params or {}) - set(DEFAULT_ASSEMBLY_PARAMS)
    if unknown:
        raise TypeError(f"unknown assembly parameter(s): {', '.join(sorted(unknown))}")
    settings = {**DEFAULT_ASSEMBLY_PARAMS, **(assembly_params or {})}
    if not factory.is_deployer(deployer.address):
        raise FactoryError(f"{deployer.address} is not a deployer of the factory at {factory.address}: "
                           "the street office names it (`ape run district factory --deployer`)")
    members = [to_checksum_address(getattr(m, "address", m)) for m in committee_members or []]
    if bool(members) == bool(committee):
        raise FactoryError("name the members of a new committee Safe or an existing Safe, one of the two")
    threshold = committee_threshold or (len(members) // 2 + 1 if members else 0)
    # As the contract-by-contract deploy checks them, before anything is sent (SafeError).
    if members:
        check_members(members, threshold)
    else:
        accept_safe(chain, committee)
    token = getattr(settlement_token, "address", settlement_token)
    rules = factory.RULES()
    if token and token.lower() != rules.settlement_token.lower():
        raise FactoryError(f"the factory's communities settle in {rules.settlement_token}, not {token}")
    logger = getattr(vault_logger, "address", vault_logger) or ZERO_ADDRESS

    receipts = []
    if resume is None:
        holder = int(factory.reserved_by(keccak(text=name)))
        if holder:  # `begin` would revert: say which build holds the name and what to do
            raise FactoryError(f"the name {name!r} is reserved by the factory's unfinished build {holder}: "
                               f"finish it (--resume {holder}) or abandon it "
                               f"(`ape run district abandon --id {holder}`)")
        receipts.append(factory.begin(name, street, change_delay, sender=deployer))
        build_id = int(receipts[0].decode_logs(factory.CommunityBuildBegun)[0].build_id)
        done = 1
    else:
        build = factory.build(resume)
        if build.deployer != deployer.address or build.name != name or not 1 <= build.step <= 3:
            raise FactoryError(f"build {resume} is not an unfinished build of {name!r} by {deployer.address} "
                               f"(its deployer {build.deployer}, name {build.name!r}, step {build.step} of 4)")
        build_id, done = resume, int(build.step)
    try:
        if done < 2:
            receipts.append(factory.build_money(build_id, settings["timelock_delay"], sender=deployer))
            done = 2
        if done < 3:
            receipts.append(factory.build_assembly(build_id, settings["min_notice"], settings["min_voting_period"],
                                                   settings["max_voting_period"], settings["objection_window"],
                                                   settings["queue_window"], sender=deployer))
            done = 3
        receipts.append(factory.finish(build_id, logger, members, threshold,
                                       ZERO_ADDRESS if members else getattr(committee, "address", committee),
                                       factory_entries(bool(members)), sender=deployer))
    except Exception as exc:  # a revert, a node fault: the steps done stay done
        raise BuildStopped(build_id, done, exc) from exc
    [built] = receipts[-1].decode_logs(factory.CommunityBuilt)
    return Built(community=community_from_listing(project, chain, factory, build_id),
                 district_id=int(built.district_id), build_id=build_id, receipts=receipts)


def community_from_listing(project: Any, chain: Any, factory: Any, build_id: int) -> Community:
    """The built community as `deploy_full_community` returns one (Ape instances by
    contract name), from the district's listing of it."""
    from backend.chain.safe import container, safe_at

    build = factory.build(build_id)
    district = project.DistrictRegistry.at(factory.DISTRICT())
    listed = {entry.name: entry.at for entry in district.contracts_of(district.community_of(build.registry))}
    instances = {}
    for contract_name, address in listed.items():
        if contract_name == "CommitteeSafe":
            instances[contract_name] = safe_at(address)
        elif contract_name in SAFE_ARTIFACTS:
            instances[contract_name] = container(contract_name).at(address, fetch_from_explorer=False,
                                                                   detect_proxy=False)
        else:
            instances[contract_name] = getattr(project, contract_name).at(address)
    registry, points = instances.pop("HouseholdRegistry"), instances.pop("CommunityPoints")
    return Community(name=build.name, chain_id=chain.chain_id, deploy_block=int(build.deploy_block),
                     registry=registry, points=points, extra=instances, committee=listed["CommitteeSafe"])


# --- an unfinished build given up ---------------------------------------------------------

STEP_FINISHED, STEP_ABANDONED = 4, 5  # CommunityFactory's FINISHED and ABANDONED


@dataclass
class Abandoned:
    build_id: int
    name: str
    receipt: Any


def find_build(factory: Any, build_id: int | None = None, name: str | None = None) -> tuple[int, Any]:
    """(id, `factory.build(id)`) of the build `build_id`, or of the build of `name`: the
    unfinished one reserving it, else the latest one of that name (listed or abandoned,
    for the caller to refuse). FactoryError when there is none."""
    if (build_id is None) == (name is None):
        raise FactoryError("name the build by its id or by its community's name, one of the two")
    count = int(factory.build_count())
    if build_id is not None:
        if not 1 <= build_id <= count:
            raise FactoryError(f"the factory at {factory.address} has no build {build_id} "
                               f"(its builds are 1 to {count})" if count else
                               f"the factory at {factory.address} has no build {build_id} (it has none)")
        return build_id, factory.build(build_id)
    name = name.strip()
    reserved = int(factory.reserved_by(keccak(text=name)))
    if reserved:
        return reserved, factory.build(reserved)
    for candidate in range(count, 0, -1):  # nothing reserves it: the latest build of the name, if any
        build = factory.build(candidate)
        if build.name == name:
            return candidate, build
    raise FactoryError(f"no build of the factory at {factory.address} is named {name!r}")


def abandon_call(factory: Any, build_id: int) -> tuple[str, str]:
    """(target, calldata) of `CommunityFactory.abandon(build_id)`: the transaction the
    street office's Safe makes to abandon someone else's build."""
    return factory.address, "0x" + bytes(factory.abandon.encode_input(build_id)).hex()


def abandon_build(project: Any, factory: Any, deployer: Any, build_id: int | None = None, name: str | None = None, *,
                  send: Callable[..., Any] | None = None) -> Abandoned:
    """Abandon an unfinished build (by `build_id` or its community's `name`) and free its
    name, as its `deployer`, or, with `send` (`district.street_office_caller`), as the
    street office, which may abandon any deployer's build. Refused before anything is
    sent (FactoryError): no such build, a listed or already abandoned one, and without
    `send` a build of another deployer (the message gives the street office's Safe the
    transaction to make)."""
    build_id, build = find_build(factory, build_id, name)
    step = int(build.step)
    if step == STEP_FINISHED:
        raise FactoryError(f"build {build_id} ({build.name!r}) is finished and listed in the district: a listed "
                           f"community is never abandoned; the street office retires an entry made by mistake "
                           f"(`ape run district retire {build.name} --note …`)")
    if step == STEP_ABANDONED:
        raise FactoryError(f"build {build_id} ({build.name!r}) is already abandoned: its name is free")
    if send is None and build.deployer != deployer.address:
        office = project.DistrictRegistry.at(factory.DISTRICT()).owner()
        target, data = abandon_call(factory, build_id)
        raise FactoryError(f"{deployer.address} is not the deployer of build {build_id} ({build.name!r}; its deployer "
                           f"is {build.deployer}): only its deployer abandons it, or the street office through its "
                           f"Safe {office}: run this command with --street-office and its members' keys in "
                           f"LINLI_STREET_OFFICE_KEYS, or propose to that Safe the transaction to {target}, value 0, "
                           f"data {data}")
    receipt = send(factory.abandon, build_id) if send else factory.abandon(build_id, sender=deployer)
    return Abandoned(build_id=build_id, name=build.name, receipt=receipt)
