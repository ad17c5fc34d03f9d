# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title CommunityFactory
@custom:contract-name CommunityFactory
@license GNU Affero General Public License v3.0 only
@notice Builds a whole community of a district from the chain's blueprints, in
        four transactions each under Osaka's cap of 16,777,216 gas (EIP-7825),
        and lists it in the district's registry. The same community, wired the
        same way, as `deploy_full_community` (backend/chain/deployment.py)
        deploys contract by contract in 43 transactions:

        1. `begin`: HouseholdRegistry, CommunityPoints, PaperBallots (and on a
           local chain, whose factory names no settlement token, a stand-in
           token owned by the deployer);
        2. `build_money`: PropertyFees and its CommunityTreasury, the
           AssemblyTimelock, the Constitution;
        3. `build_assembly`: OwnersAssembly, wired to the timelock and the paper
           ballots; CultureWorks, CommunityActivities, MerchantPromotions;
        4. `finish`: ServiceMarket, SuggestionBox, DataConsent, NoticeBoard; the
           committee's Safe (born with the timelock as its module and a
           CommitteeGuard as its guard) or a named existing Safe; the
           constitution table; the hand-over (the timelock the assembly, the
           Safe the only committee, the factory keeps nothing); the listing.

        - Each contract is created from an ERC-5202 blueprint
          (`create_from_blueprint`). OwnersAssembly's and PropertyFees' initcode
          is larger than a contract may be (EIP-170), so each is kept in two
          code stores that return their bytes when called, and created with
          `raw_create` from the two halves joined.
        - Only deployers the street office named (`set_deployer`) build; each
          build's later steps only by the deployer that began it, in order. A
          build reserves its name from `begin` to `finish` (or `abandon`).
        - What the street office approves when it makes a factory its lister is
          fixed in the factory: the blueprints, the settlement token every
          community settles in, and the constitution table (its hash, one for a
          new committee Safe and one for an existing Safe): a deployer chooses
          the names, the committee and the periods, not the rules.
        - While a community is built the factory holds the assembly's powers
          over it (the registry's ASSEMBLY_ROLE, the points' ownership, the
          timelock's admin role) and the committee role; `finish` gives every
          one of them away in the same transaction that lists the community.
          A build never finished is never listed.
        - No personal data: names of the community and its street, addresses.
@custom:security The factory is a lister of the district's registry
                 (`DistrictRegistry.set_lister`), so an approved deployer lists
                 without a Safe transaction of the street office's: the
                 street office trusts its deployers to name communities as it
                 trusts itself (a mistaken entry is retired), and nothing else.
                 The constitution table the deployer sends must hash to the
                 factory's (backend/chain/constitution.py computes it), so no
                 deployer can forbid replacing the committee or make handing the
                 assembly's power to one key an ordinary matter; its targets
                 are indices into the community's own listing. An existing
                 committee must be a Safe 1.4.1 proxy running Safe's or SafeL2's
                 code, as the contract-by-contract deploy checks off chain.
"""


MAX_MEMBERS: constant(uint256) = 32
MAX_ENTRIES: constant(uint256) = 128
MAX_CONTRACTS: constant(uint256) = 32
MAX_NAME: constant(uint256) = 64
# Half of the largest initcode kept in two code stores (a store is at most 24,576 bytes).
MAX_HALF: constant(uint256) = 24_576

# The registry's roles and the timelock's (keccak256 of their names).
ASSEMBLY_ROLE: constant(bytes32) = keccak256("linli.role.assembly")
COMMITTEE_ROLE: constant(bytes32) = keccak256("linli.role.committee")
PROPOSER_ROLE: constant(bytes32) = keccak256("PROPOSER_ROLE")
EXECUTOR_ROLE: constant(bytes32) = keccak256("EXECUTOR_ROLE")
CANCELLER_ROLE: constant(bytes32) = keccak256("CANCELLER_ROLE")
DEFAULT_ADMIN_ROLE: constant(bytes32) = empty(bytes32)

# The defaults the Python deploy uses (deploy_culture, deploy_activities, deploy_consent).
LIKE_RATE: constant(uint256) = 1
LIKE_DAILY_CAP: constant(uint256) = 20
MAX_ACTIVITY_POINTS: constant(uint256) = 100
SUGGESTION_REWARD: constant(uint256) = 10

# Steps done of a build; FINISHED once listed.
STEP_BEGUN: constant(uint8) = 1
STEP_MONEY: constant(uint8) = 2
STEP_ASSEMBLY: constant(uint8) = 3
FINISHED: constant(uint8) = 4
ABANDONED: constant(uint8) = 5


struct CallClass:
    target: address
    selector: bytes4
    by_arg: bool
    arg: bytes32
    call_class: uint8


struct CommunityContract:
    name: String[32]
    at: address


# The chain's blueprints (ERC-5202) and split code stores, deployed once per chain.
struct Blueprints:
    settlement_token: address
    registry: address
    points: address
    paper_ballots: address
    fees_head: address
    fees_tail: address
    treasury: address
    timelock: address
    constitution: address
    assembly_head: address
    assembly_tail: address
    culture: address
    activities: address
    promotions: address
    market: address
    suggestions: address
    consent: address
    notices: address
    guard: address


# What every community of the district gets, whoever builds it.
struct Rules:
    # The chain's CNY deposit token; empty on a local chain: a stand-in per community.
    settlement_token: address
    # keccak256(abi_encode(entries)) of the constitution table `finish` must be sent:
    # with a new committee Safe, and with an existing one (no guard, no Safe infrastructure).
    table_new_safe: bytes32
    table_existing_safe: bytes32
    # Safe 1.4.1's SafeProxy runtime code and Safe's (not SafeL2's) singleton code, by hash.
    safe_proxy_codehash: bytes32
    safe_codehash: bytes32


# Safe 1.4.1's contracts on this chain, the committee's setup hook, the passkey factory.
struct Infrastructure:
    safe_singleton: address
    safe_proxy_factory: address
    fallback_handler: address
    multi_send_call_only: address
    committee_setup: address
    passkey_factory: address


struct Build:
    deployer: address
    step: uint8
    deploy_block: uint256
    name: String[MAX_NAME]
    street: String[MAX_NAME]
    settlement_token: address
    registry: address
    points: address
    paper_ballots: address
    fees: address
    treasury: address
    timelock: address
    constitution: address
    assembly: address
    culture: address
    activities: address
    promotions: address


interface IDistrict:
    def owner() -> address: view
    def community_id(name: String[MAX_NAME]) -> uint256: view
    def add_community(name: String[MAX_NAME], street: String[MAX_NAME], registry: address, deploy_block: uint256,
                      contracts: DynArray[CommunityContract, MAX_CONTRACTS]) -> uint256: nonpayable

interface IRoles:
    def grantRole(role: bytes32, account: address): nonpayable
    def renounceRole(role: bytes32, account: address): nonpayable

interface IRegistry:
    def set_points(points_: address): nonpayable

interface IPoints:
    def set_minter(minter: address, status: bool): nonpayable
    def transfer_ownership(new_owner: address): nonpayable

interface IFees:
    def set_treasury(treasury_: address): nonpayable

interface IPaperBallots:
    def set_assembly(assembly_: address): nonpayable

interface IConstitution:
    def set_call_class(entries: DynArray[CallClass, MAX_ENTRIES]): nonpayable

interface ISafeProxyFactory:
    def createProxyWithNonce(singleton: address, initializer: Bytes[4_096], salt_nonce: uint256) -> address: nonpayable

interface IPasskeyFactory:
    def IMPLEMENTATION() -> address: view



DISTRICT: public(immutable(address))
BLUEPRINTS: public(immutable(Blueprints))
INFRASTRUCTURE: public(immutable(Infrastructure))
RULES: public(immutable(Rules))

is_deployer: public(HashMap[address, bool])
build_count: public(uint256)
_builds: HashMap[uint256, Build]
# HouseholdRegistry -> id of the finished build that made it (0: not this factory's).
build_of: public(HashMap[address, uint256])
# keccak256(name) -> the unfinished build that reserved it (0: none).
reserved_by: public(HashMap[bytes32, uint256])


event DeployerSet:
    account: indexed(address)
    allowed: bool


event CommunityBuildBegun:
    build_id: indexed(uint256)
    deployer: indexed(address)
    registry: address
    name: String[MAX_NAME]


event CommunityBuilt:
    build_id: indexed(uint256)
    registry: indexed(address)
    district_id: uint256
    committee: address


event CommunityBuildAbandoned:
    build_id: indexed(uint256)
    abandoned_by: indexed(address)


@deploy
def __init__(district: address, blueprints: Blueprints, infrastructure: Infrastructure, rules: Rules):
    """
    @notice The factory of one district's communities.
    @param district The district's registry (its owner, the street office, names
           the deployers; the factory must be made its lister).
    @param blueprints The chain's blueprints and code stores of every contract.
    @param infrastructure Safe 1.4.1's contracts, CommitteeSafeSetup and the
           chain's PasskeyAccountFactory.
    @param rules The settlement token, the constitution table's hashes, Safe's code hashes.
    """
    assert district.is_contract, "factory: district has no code"
    assert blueprints.registry.is_contract and blueprints.assembly_tail.is_contract, "factory: blueprint has no code"
    assert infrastructure.safe_proxy_factory.is_contract, "factory: Safe's proxy factory has no code"
    assert infrastructure.passkey_factory.is_contract, "factory: passkey factory has no code"
    assert rules.settlement_token == empty(address) or rules.settlement_token.is_contract, \
        "factory: settlement token has no code"
    assert rules.table_new_safe != empty(bytes32) and rules.table_existing_safe != empty(bytes32), \
        "factory: no constitution table"
    DISTRICT = district
    RULES = rules
    BLUEPRINTS = blueprints
    INFRASTRUCTURE = infrastructure


@external
def set_deployer(account: address, allowed: bool):
    """
    @notice Let `account` build and list communities, or stop it (the district's
            street office only).
    @param account The operator's account.
    @param allowed True to let it build, False to stop it (a build it began
           then cannot go on).
    """
    assert msg.sender == staticcall IDistrict(DISTRICT).owner(), "factory: street office only"
    assert account != empty(address), "factory: deployer empty"
    self.is_deployer[account] = allowed
    log DeployerSet(account=account, allowed=allowed)


@external
def begin(name: String[MAX_NAME], street: String[MAX_NAME], change_delay: uint256) -> uint256:
    """
    @notice Step 1: HouseholdRegistry, CommunityPoints and PaperBallots of a new
            community (and a stand-in settlement token owned by the caller when
            the factory names none: a local chain). Reserves the name.
    @param name The community's public name, free in the district.
    @param street Its street (街道).
    @param change_delay Seconds a sale or wallet recovery waits (the registry checks the range).
    @return The build's id (from 1).
    """
    assert self.is_deployer[msg.sender], "factory: not a deployer of the district"
    assert len(name) > 0, "factory: name empty"
    assert len(street) > 0, "factory: street empty"
    name_key: bytes32 = keccak256(name)
    assert staticcall IDistrict(DISTRICT).community_id(name) == 0, "factory: name taken in the district"
    assert self.reserved_by[name_key] == 0, "factory: name reserved by another build"
    token: address = RULES.settlement_token
    if token == empty(address):
        token = create_from_blueprint(BLUEPRINTS.settlement_token, msg.sender, code_offset=3)
    # The factory is the committee until `finish` names the Safe.
    registry: address = create_from_blueprint(BLUEPRINTS.registry, name, self, change_delay, code_offset=3)
    points: address = create_from_blueprint(BLUEPRINTS.points, registry, self, code_offset=3)
    extcall IRegistry(registry).set_points(points)
    paper_ballots: address = create_from_blueprint(BLUEPRINTS.paper_ballots, registry, code_offset=3)

    build_id: uint256 = self.build_count + 1
    self.build_count = build_id
    build: Build = empty(Build)
    build.deployer = msg.sender
    build.step = STEP_BEGUN
    build.deploy_block = block.number
    build.name = name
    build.street = street
    build.settlement_token = token
    build.registry = registry
    build.points = points
    build.paper_ballots = paper_ballots
    self._builds[build_id] = build
    self.reserved_by[name_key] = build_id
    log CommunityBuildBegun(build_id=build_id, deployer=msg.sender, registry=registry, name=name)
    return build_id


@external
def build_money(build_id: uint256, timelock_delay: uint256):
    """
    @notice Step 2: PropertyFees (billing from the current month) and its
            CommunityTreasury, named once; AssemblyTimelock (the factory its
            admin until step 3); the Constitution.
    @param build_id The build's id.
    @param timelock_delay Seconds between a passed proposal's queueing and its execution.
    """
    build: Build = self._step(build_id, STEP_BEGUN)
    fees: address = raw_create(self._joined(BLUEPRINTS.fees_head, BLUEPRINTS.fees_tail), build.registry, build.points,
                               build.settlement_token, empty(uint256))
    treasury: address = create_from_blueprint(BLUEPRINTS.treasury, fees, code_offset=3)
    extcall IFees(fees).set_treasury(treasury)
    extcall IPoints(build.points).set_minter(fees, True)
    no_one: DynArray[address, 255] = []
    timelock: address = create_from_blueprint(BLUEPRINTS.timelock, timelock_delay, no_one, no_one, self, code_offset=3)
    constitution: address = create_from_blueprint(BLUEPRINTS.constitution, build.registry, code_offset=3)
    self._builds[build_id].fees = fees
    self._builds[build_id].treasury = treasury
    self._builds[build_id].timelock = timelock
    self._builds[build_id].constitution = constitution
    self._builds[build_id].step = STEP_MONEY


@external
def build_assembly(build_id: uint256, min_notice: uint256, min_voting_period: uint256, max_voting_period: uint256,
                   objection_window: uint256, queue_window: uint256):
    """
    @notice Step 3: OwnersAssembly, named in the paper ballots, made the
            timelock's proposer, canceller and executor, the factory then
            renouncing the timelock's admin role; the timelock joins the
            registry's assembly role; CultureWorks, CommunityActivities (both
            points minters) and MerchantPromotions.
    @param build_id The build's id.
    @param min_notice Seconds of notice before a vote opens (OwnersAssembly checks the ranges).
    @param min_voting_period Shortest vote, seconds.
    @param max_voting_period Longest vote, seconds.
    @param objection_window Seconds owners may object to a preliminary result.
    @param queue_window Seconds a passed proposal may wait to be queued.
    """
    build: Build = self._step(build_id, STEP_MONEY)
    assembly: address = raw_create(
        self._joined(BLUEPRINTS.assembly_head, BLUEPRINTS.assembly_tail), build.registry, build.timelock, min_notice,
        min_voting_period, max_voting_period, objection_window, queue_window, build.constitution, build.paper_ballots
    )
    extcall IPaperBallots(build.paper_ballots).set_assembly(assembly)
    extcall IRoles(build.timelock).grantRole(PROPOSER_ROLE, assembly)
    extcall IRoles(build.timelock).grantRole(CANCELLER_ROLE, assembly)
    extcall IRoles(build.timelock).grantRole(EXECUTOR_ROLE, assembly)
    extcall IRoles(build.timelock).renounceRole(DEFAULT_ADMIN_ROLE, self)
    extcall IRoles(build.registry).grantRole(ASSEMBLY_ROLE, build.timelock)
    culture: address = create_from_blueprint(BLUEPRINTS.culture, build.registry, build.points, LIKE_RATE, LIKE_DAILY_CAP,
                                             code_offset=3)
    extcall IPoints(build.points).set_minter(culture, True)
    activities: address = create_from_blueprint(BLUEPRINTS.activities, build.registry, build.points, MAX_ACTIVITY_POINTS,
                                                code_offset=3)
    extcall IPoints(build.points).set_minter(activities, True)
    promotions: address = create_from_blueprint(BLUEPRINTS.promotions, build.registry, build.fees, code_offset=3)
    self._builds[build_id].assembly = assembly
    self._builds[build_id].culture = culture
    self._builds[build_id].activities = activities
    self._builds[build_id].promotions = promotions
    self._builds[build_id].step = STEP_ASSEMBLY


@external
def finish(build_id: uint256, vault_logger: address, members: DynArray[address, MAX_MEMBERS], threshold: uint256,
           committee: address, entries: DynArray[CallClass, MAX_ENTRIES]) -> uint256:
    """
    @notice Step 4: ServiceMarket and SuggestionBox (points minters),
            DataConsent and NoticeBoard (`vault_logger` their logger and
            anchorer); the committee; the constitution table; the hand-over;
            the listing in the district.
    @param build_id The build's id.
    @param vault_logger The vault's account (empty: none, appointed later).
    @param members A new committee Safe's members (empty: `committee` names an existing Safe).
    @param threshold The new Safe's threshold (1 .. len(members)).
    @param committee An existing committee Safe, when `members` is empty; it
           must then enable the timelock as module and set a guard itself.
    @param entries The constitution table (`factory_entries`): each target
           given as the index of one of this community's contracts in the
           listing `finish` makes (`LISTING` in backend/chain/community_factory.py);
           it must hash to the factory's table.
    @return The community's id in the district.
    """
    build: Build = self._step(build_id, STEP_ASSEMBLY)
    table: bytes32 = RULES.table_existing_safe
    if len(members) > 0:
        table = RULES.table_new_safe
    assert keccak256(abi_encode(entries)) == table, "factory: constitution table is not the district's"
    market: address = create_from_blueprint(BLUEPRINTS.market, build.registry, build.points, build.fees, code_offset=3)
    extcall IPoints(build.points).set_minter(market, True)
    box: address = create_from_blueprint(BLUEPRINTS.suggestions, build.registry, build.points, SUGGESTION_REWARD,
                                         code_offset=3)
    extcall IPoints(build.points).set_minter(box, True)
    consent: address = create_from_blueprint(BLUEPRINTS.consent, build.registry, vault_logger, code_offset=3)
    notices: address = create_from_blueprint(BLUEPRINTS.notices, build.registry, build.assembly, vault_logger,
                                             code_offset=3)

    safe: address = committee
    guard: address = empty(address)
    if len(members) > 0:
        assert committee == empty(address), "factory: name an existing Safe or new members, not both"
        assert threshold >= 1 and threshold <= len(members), "factory: threshold out of range"
        guard = create_from_blueprint(BLUEPRINTS.guard, INFRASTRUCTURE.multi_send_call_only, code_offset=3)
        safe = self._committee_safe(build_id, members, threshold, build.timelock, guard)
    else:
        assert committee != self, "factory: the committee is neither new members nor a Safe"
        assert self._is_safe(committee), "factory: the committee is neither new members nor a Safe"

    contracts: DynArray[CommunityContract, MAX_CONTRACTS] = [
        CommunityContract(name="HouseholdRegistry", at=build.registry),
        CommunityContract(name="CommunityPoints", at=build.points),
        CommunityContract(name="SettlementToken", at=build.settlement_token),
        CommunityContract(name="PropertyFees", at=build.fees),
        CommunityContract(name="CommunityTreasury", at=build.treasury),
        CommunityContract(name="AssemblyTimelock", at=build.timelock),
        CommunityContract(name="Constitution", at=build.constitution),
        CommunityContract(name="PaperBallots", at=build.paper_ballots),
        CommunityContract(name="OwnersAssembly", at=build.assembly),
        CommunityContract(name="CultureWorks", at=build.culture),
        CommunityContract(name="CommunityActivities", at=build.activities),
        CommunityContract(name="MerchantPromotions", at=build.promotions),
        CommunityContract(name="ServiceMarket", at=market),
        CommunityContract(name="SuggestionBox", at=box),
        CommunityContract(name="DataConsent", at=consent),
        CommunityContract(name="NoticeBoard", at=notices),
        CommunityContract(name="PasskeyAccount", at=staticcall IPasskeyFactory(INFRASTRUCTURE.passkey_factory).IMPLEMENTATION()),
        CommunityContract(name="PasskeyAccountFactory", at=INFRASTRUCTURE.passkey_factory),
        CommunityContract(name="CommitteeSafe", at=safe),
    ]
    if len(members) > 0:
        contracts.append(CommunityContract(name="CommitteeGuard", at=guard))
        contracts.append(CommunityContract(name="SafeL2", at=INFRASTRUCTURE.safe_singleton))
        contracts.append(CommunityContract(name="SafeProxyFactory", at=INFRASTRUCTURE.safe_proxy_factory))
        contracts.append(CommunityContract(name="CompatibilityFallbackHandler", at=INFRASTRUCTURE.fallback_handler))
        contracts.append(CommunityContract(name="MultiSendCallOnly", at=INFRASTRUCTURE.multi_send_call_only))

    # The constitution table: each entry's target is given as its index in the
    # listing above (a number, as an address), since this step creates some of
    # them; only the community's own contracts (not the passkey factory nor
    # Safe's shared contracts) can be named.
    resolved: DynArray[CallClass, MAX_ENTRIES] = []
    for entry: CallClass in entries:
        resolved.append(CallClass(target=self._own(entry.target, contracts), selector=entry.selector, by_arg=entry.by_arg,
                               arg=entry.arg, call_class=entry.call_class))
    extcall IConstitution(build.constitution).set_call_class(resolved)

    # The hand-over: the Safe the only committee, the timelock the assembly.
    extcall IRoles(build.registry).grantRole(COMMITTEE_ROLE, safe)
    extcall IRoles(build.registry).renounceRole(COMMITTEE_ROLE, self)
    extcall IPoints(build.points).transfer_ownership(build.timelock)
    extcall IRoles(build.registry).renounceRole(ASSEMBLY_ROLE, self)

    self._builds[build_id].step = FINISHED
    self.build_of[build.registry] = build_id
    self.reserved_by[keccak256(build.name)] = 0
    district_id: uint256 = extcall IDistrict(DISTRICT).add_community(
        build.name, build.street, build.registry, build.deploy_block, contracts
    )
    log CommunityBuilt(build_id=build_id, registry=build.registry, district_id=district_id, committee=safe)
    return district_id


@external
def abandon(build_id: uint256):
    """
    @notice Give up an unfinished build and free its name (its deployer, or the
            street office). Its contracts stay unlisted; nothing can build on them.
    @param build_id The build's id.
    """
    build: Build = self._builds[build_id]
    assert build.deployer != empty(address), "factory: no such build"
    assert msg.sender == build.deployer or msg.sender == staticcall IDistrict(DISTRICT).owner(), \
        "factory: not this build's deployer"
    assert build.step < FINISHED, "factory: step out of order"
    self._builds[build_id].step = ABANDONED
    self.reserved_by[keccak256(build.name)] = 0
    log CommunityBuildAbandoned(build_id=build_id, abandoned_by=msg.sender)


@view
@external
def build(build_id: uint256) -> Build:
    """
    @notice A build's deployer, the steps it has done (4: listed, 5: abandoned) and what it made.
    @param build_id The build's id.
    """
    assert build_id != 0 and build_id <= self.build_count, "factory: no such build"
    return self._builds[build_id]


@internal
def _step(build_id: uint256, done: uint8) -> Build:
    """The build `build_id` when the caller began it, may still build, and the
    steps before this one are done."""
    build: Build = self._builds[build_id]
    assert build.deployer != empty(address), "factory: no such build"
    assert build.deployer == msg.sender, "factory: not this build's deployer"
    assert self.is_deployer[msg.sender], "factory: not a deployer of the district"
    assert build.step == done, "factory: step out of order"
    return build


@view
@internal
def _joined(head: address, tail: address) -> Bytes[2 * MAX_HALF]:
    """The initcode kept in two code stores: each returns its bytes when called."""
    first: Bytes[MAX_HALF] = raw_call(head, b"", max_outsize=MAX_HALF, is_static_call=True)
    second: Bytes[MAX_HALF] = raw_call(tail, b"", max_outsize=MAX_HALF, is_static_call=True)
    return concat(first, second)


@internal
def _committee_safe(build_id: uint256, members: DynArray[address, MAX_MEMBERS], threshold: uint256,
                    timelock: address, guard: address) -> address:
    """A committee Safe of `members`, set up with the timelock as its module and
    `guard` as its guard (CommitteeSafeSetup, delegate-called by Safe's `setup`)."""
    hook: Bytes[68] = abi_encode(timelock, guard, method_id=method_id("enable_assembly(address,address)"))
    initializer: Bytes[4_096] = abi_encode(
        members, threshold, INFRASTRUCTURE.committee_setup, hook, INFRASTRUCTURE.fallback_handler, empty(address),
        empty(uint256), empty(address),
        method_id=method_id("setup(address[],uint256,address,bytes,address,address,uint256,address)"),
    )
    return extcall ISafeProxyFactory(INFRASTRUCTURE.safe_proxy_factory).createProxyWithNonce(
        INFRASTRUCTURE.safe_singleton, initializer, build_id
    )


@view
@internal
def _is_safe(account: address) -> bool:
    """Whether `account` is a Safe 1.4.1: SafeProxy's code, running Safe's or SafeL2's."""
    if account.codehash != RULES.safe_proxy_codehash:
        return False
    # The proxy's singleton (its slot 0), read through Safe's `getStorageAt`: a proxy
    # running other code may have no such function, or answer anything.
    ok: bool = False
    answer: Bytes[96] = b""
    ok, answer = raw_call(account, abi_encode(empty(uint256), convert(1, uint256),
                                              method_id=method_id("getStorageAt(uint256,uint256)")),
                          max_outsize=96, is_static_call=True, revert_on_failure=False)
    if not ok or len(answer) != 96 or extract32(answer, 0, output_type=uint256) != 32 \
            or extract32(answer, 32, output_type=uint256) != 32:
        return False
    word: uint256 = extract32(answer, 64, output_type=uint256)
    if word >> 160 != 0:
        return False
    singleton: address = convert(convert(word, uint160), address)
    return singleton.codehash == INFRASTRUCTURE.safe_singleton.codehash or singleton.codehash == RULES.safe_codehash


@pure
@internal
def _own(index: address, contracts: DynArray[CommunityContract, MAX_CONTRACTS]) -> address:
    """The contract at `index` (a number given as an address) of the community's
    listing, when it is the community's own."""
    number: uint256 = convert(index, uint256)
    assert number < len(contracts), "factory: constitution entry about another contract"
    name: String[32] = contracts[number].name
    assert name != "PasskeyAccount" and name != "PasskeyAccountFactory" and name != "SafeL2" \
        and name != "SafeProxyFactory" and name != "CompatibilityFallbackHandler" and name != "MultiSendCallOnly", \
        "factory: constitution entry about another contract"
    return contracts[number].at
