# pragma version 0.4.3
"""
@title DistrictRegistry
@custom:contract-name DistrictRegistry
@license GNU Affero General Public License v3.0 only
@notice The communities of a district (e.g. 虹口区) that share one chain, as the
        street office (街道办) lists them: each community's public name, its
        street, its HouseholdRegistry (the key every indexed row of the community
        carries), the addresses of all its contracts by contract name, and the
        block its deployment started at.

        - The owner is the street office's multisig (a Safe). It adds a community
          and retires an entry made by mistake; it cannot touch anything inside
          a community: this contract only lists addresses.
        - Names are unique among the communities listed (byte for byte); a
          retired entry frees its name and its HouseholdRegistry, so the
          corrected entry can take them.
        - `CommunityAdded` carries everything an indexer needs to follow a new
          community without a manifest file: its id, name, street,
          HouseholdRegistry, deploy block and every contract by name (the ABIs
          are the project's, by those names). `CommunityRetired` tells it to stop.
        - The street office may also name listers (`set_lister`): the district's
          CommunityFactory, whose last step lists the community it has just built
          from the district's blueprints. A lister adds communities as the
          street office would; it cannot retire an entry nor name another lister.
        - No personal data: a community's public name and street, contract
          addresses and block numbers only.
@custom:security The street office is trusted to list real communities: the
                 contract checks that the HouseholdRegistry has code and that no
                 field is empty, not that the listed contracts belong together.
                 A wrong entry is visible to all (events) and retired, never
                 edited in place, so an indexer that followed it sees why it
                 stopped. Names are compared as bytes: "小区" and "小区 " differ,
                 so the scripts strip names before sending them.
"""

from snekmate.auth import ownable

initializes: ownable

# No renounce_ownership: a district without its street office could list nothing more.
exports: (ownable.owner, ownable.transfer_ownership)


MAX_CONTRACTS: public(constant(uint256)) = 32
MAX_NAME: constant(uint256) = 64


struct CommunityContract:
    name: String[32]
    at: address


struct Community:
    name: String[MAX_NAME]
    street: String[MAX_NAME]
    registry: address
    deploy_block: uint256
    retired: bool


# Ids start at 1; 0 means "none" in the lookups below.
community_count: public(uint256)
_communities: HashMap[uint256, Community]
_contracts: HashMap[uint256, DynArray[CommunityContract, MAX_CONTRACTS]]
# keccak256(name) -> id of the listed (not retired) community of that name.
_id_by_name: HashMap[bytes32, uint256]
# HouseholdRegistry -> id of the listed (not retired) community it anchors.
community_of: public(HashMap[address, uint256])
# Accounts the street office lets add communities (its CommunityFactory).
is_lister: public(HashMap[address, bool])


event CommunityAdded:
    id: indexed(uint256)
    registry: indexed(address)
    name: String[MAX_NAME]
    street: String[MAX_NAME]
    deploy_block: uint256
    contracts: DynArray[CommunityContract, MAX_CONTRACTS]


event CommunityRetired:
    id: indexed(uint256)
    registry: indexed(address)
    name: String[MAX_NAME]
    # sha256 of the street office's note saying what was wrong (kept off chain).
    reason_hash: bytes32


event ListerSet:
    account: indexed(address)
    allowed: bool


@deploy
def __init__(street_office: address):
    """
    @notice The registry of a district, owned by its street office.
    @param street_office The street office's multisig (a Safe; on a local
           chain any account).
    """
    assert street_office != empty(address), "district: street office empty"
    ownable.__init__()
    ownable._transfer_ownership(street_office)


@external
def add_community(
    name: String[MAX_NAME],
    street: String[MAX_NAME],
    registry: address,
    deploy_block: uint256,
    contracts: DynArray[CommunityContract, MAX_CONTRACTS],
) -> uint256:
    """
    @notice List a community of the district (the street office or a lister
            it named).
    @param name The community's public name, unique in the district.
    @param street The street (街道) it belongs to.
    @param registry Its HouseholdRegistry, the community's key.
    @param deploy_block The block its deployment started at (an indexer
           backfills from it).
    @param contracts Every contract of the community by contract name.
    @return The community's id.
    """
    assert msg.sender == ownable.owner or self.is_lister[msg.sender], "district: street office only"
    assert len(name) > 0, "district: name empty"
    assert len(street) > 0, "district: street empty"
    name_key: bytes32 = keccak256(name)
    assert self._id_by_name[name_key] == 0, "district: name taken"
    assert registry.is_contract, "district: registry has no code"
    assert self.community_of[registry] == 0, "district: community already listed"
    assert deploy_block <= block.number, "district: deploy block in the future"
    assert len(contracts) > 0, "district: no contracts"
    for entry: CommunityContract in contracts:
        assert len(entry.name) > 0, "district: contract name empty"
        assert entry.at != empty(address), "district: contract address empty"

    community_id: uint256 = self.community_count + 1
    self.community_count = community_id
    self._communities[community_id] = Community(
        name=name, street=street, registry=registry, deploy_block=deploy_block, retired=False
    )
    self._contracts[community_id] = contracts
    self._id_by_name[name_key] = community_id
    self.community_of[registry] = community_id
    log CommunityAdded(
        id=community_id,
        registry=registry,
        name=name,
        street=street,
        deploy_block=deploy_block,
        contracts=contracts,
    )
    return community_id


@external
def set_lister(account: address, allowed: bool):
    """
    @notice Let `account` add communities, or stop it (street office only).
    @param account The district's CommunityFactory (or any account the street
           office trusts to list as it does).
    @param allowed True to let it list, False to stop it.
    """
    self._only_street_office()
    assert account != empty(address), "district: lister empty"
    self.is_lister[account] = allowed
    log ListerSet(account=account, allowed=allowed)


@external
def retire_community(community_id: uint256, reason_hash: bytes32):
    """
    @notice Retire an entry made by mistake (street office only). The entry
            stays readable, marked retired; its name and HouseholdRegistry are
            free again.
    @param community_id The entry's id.
    @param reason_hash sha256 of the street office's note saying why.
    """
    self._only_street_office()
    assert community_id != 0 and community_id <= self.community_count, "district: no such community"
    entry: Community = self._communities[community_id]
    assert not entry.retired, "district: community already retired"
    self._communities[community_id].retired = True
    self._id_by_name[keccak256(entry.name)] = 0
    self.community_of[entry.registry] = 0
    log CommunityRetired(id=community_id, registry=entry.registry, name=entry.name, reason_hash=reason_hash)


@view
@external
def community(community_id: uint256) -> Community:
    """
    @notice A community's entry (retired ones included).
    @param community_id The entry's id.
    @return Its name, street, HouseholdRegistry, deploy block and whether retired.
    """
    assert community_id != 0 and community_id <= self.community_count, "district: no such community"
    return self._communities[community_id]


@view
@external
def contracts_of(community_id: uint256) -> DynArray[CommunityContract, MAX_CONTRACTS]:
    """
    @notice Every contract of a community by contract name.
    @param community_id The entry's id.
    @return The (name, address) pairs it was listed with.
    """
    assert community_id != 0 and community_id <= self.community_count, "district: no such community"
    return self._contracts[community_id]


@view
@external
def community_id(name: String[MAX_NAME]) -> uint256:
    """
    @notice The id of the listed (not retired) community of this name, 0 if none.
    @param name The community's public name.
    @return Its id, or 0.
    """
    return self._id_by_name[keccak256(name)]


@internal
def _only_street_office():
    assert msg.sender == ownable.owner, "district: street office only"
