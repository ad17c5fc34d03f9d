# pragma version 0.4.3
"""
@title Constitution
@custom:contract-name Constitution
@license GNU Affero General Public License v3.0 only
@notice The owners' assembly's table of what each call needs: for every function
        a passed proposal may call (target and selector, refined by the call's
        first argument where that decides, as the role a `grantRole` gives), its
        class — ordinary (more than 1/2), major (at least 3/4) or forbidden (no
        vote may make it). The OwnersAssembly reads it when a proposal is made
        and counts the proposal by the strictest of its written matter and its
        calls; a call the table does not list counts as major.

        It also answers the statute's counting rule for any numbers
        (`statute_outcome`), for pages and audits.

        The deploy script writes the first table from `backend/chain/constitution.py`
        while the deployer still holds the registry's ASSEMBLY_ROLE; from then on
        only a passed proposal changes it, and a proposal that does is itself
        major (the assembly fixes that, not this table).
@custom:security A forbidden entry is permanent: no vote can lift what no vote may
                 do (hand the assembly's own role to a key, for instance). The
                 table is advisory to nobody but the assembly: each contract
                 still checks its caller's role itself.
"""

from interfaces import IHouseholdRegistry
import assembly_statute as statute


CLASS_UNLISTED: public(constant(uint8)) = 0
CLASS_ORDINARY: public(constant(uint8)) = 1
CLASS_MAJOR: public(constant(uint8)) = 2
CLASS_FORBIDDEN: public(constant(uint8)) = 3

ASSEMBLY_ROLE: constant(bytes32) = keccak256("linli.role.assembly")
MAX_ENTRIES: constant(uint256) = 128
MAX_CALLDATA: constant(uint256) = 1024


struct CallClass:
    target: address
    selector: bytes4
    # True: the class applies only when the call's first argument is `arg`.
    by_arg: bool
    arg: bytes32
    call_class: uint8


registry: public(immutable(IHouseholdRegistry))

# target -> selector -> class; and the refinement by first argument, which wins.
_class: HashMap[address, HashMap[bytes4, uint8]]
_class_by_arg: HashMap[address, HashMap[bytes4, HashMap[bytes32, uint8]]]


event CallClassSet:
    target: indexed(address)
    selector: indexed(bytes4)
    by_arg: bool
    arg: bytes32
    call_class: uint8
    set_by: indexed(address)


@deploy
def __init__(registry_: IHouseholdRegistry):
    """
    @notice Create the (empty) table of a community.
    @param registry_ The community's HouseholdRegistry (whose ASSEMBLY_ROLE may write).
    """
    assert registry_.address != empty(address), "constitution: registry is the zero address"
    registry = registry_


@external
def set_call_class(entries: DynArray[CallClass, MAX_ENTRIES]):
    """
    @notice Add or change entries; only the assembly (the deployer while it wires
            the community, then only a passed major proposal). A forbidden entry
            stays forbidden.
    @param entries (target, selector, by_arg, arg, class): class 1 ordinary, 2 major,
           3 forbidden, 0 removes the entry (the call then counts as major).
    """
    assert staticcall registry.hasRole(ASSEMBLY_ROLE, msg.sender), "constitution: assembly only"
    for entry: CallClass in entries:
        assert entry.call_class <= CLASS_FORBIDDEN, "constitution: unknown call class"
        current: uint8 = 0
        if entry.by_arg:
            current = self._class_by_arg[entry.target][entry.selector][entry.arg]
        else:
            current = self._class[entry.target][entry.selector]
        assert current != CLASS_FORBIDDEN or entry.call_class == CLASS_FORBIDDEN, "constitution: a forbidden call stays forbidden"
        if entry.by_arg:
            self._class_by_arg[entry.target][entry.selector][entry.arg] = entry.call_class
        else:
            self._class[entry.target][entry.selector] = entry.call_class
        log CallClassSet(
            target=entry.target,
            selector=entry.selector,
            by_arg=entry.by_arg,
            arg=entry.arg,
            call_class=entry.call_class,
            set_by=msg.sender,
        )


@external
@view
def class_of(target: address, calldata_: Bytes[MAX_CALLDATA]) -> uint8:
    """
    @notice The class of a call by the table: the entry for its first argument if
            there is one, else the entry for its selector; unlisted counts as major.
    @param target The call's target.
    @param calldata_ The call's calldata (selector and arguments).
    @return 1 ordinary, 2 major, 3 forbidden.
    """
    selector: bytes4 = empty(bytes4)
    if len(calldata_) >= 4:
        selector = convert(slice(calldata_, 0, 4), bytes4)
    if len(calldata_) >= 36:
        refined: uint8 = self._class_by_arg[target][selector][extract32(calldata_, 4)]
        if refined != CLASS_UNLISTED:
            return refined
    found: uint8 = self._class[target][selector]
    if found == CLASS_UNLISTED:
        return CLASS_MAJOR
    return found


@external
@view
def entry(target: address, selector: bytes4, by_arg: bool, arg: bytes32) -> uint8:
    """
    @notice One entry as stored (0 when absent).
    @param target The contract.
    @param selector The function selector.
    @param by_arg Whether to read the refinement by first argument.
    @param arg The first argument (with by_arg).
    @return The stored class.
    """
    if by_arg:
        return self._class_by_arg[target][selector][arg]
    return self._class[target][selector]


@external
@pure
def statute_outcome(
    matter: uint8,
    total_area: uint256,
    total_heads: uint256,
    for_area: uint256,
    for_heads: uint256,
    against_area: uint256,
    against_heads: uint256,
    abstain_area: uint256,
    abstain_heads: uint256,
) -> (bool, bool):
    """
    @notice 民法典 第二百七十八条 applied to any numbers (for pages and audits).
    @param matter The matter number (1..9).
    @param total_area Exclusive area at the snapshot.
    @param total_heads Owners at the snapshot.
    @param for_area Area voting for.
    @param for_heads Owners voting for.
    @param against_area Area voting against.
    @param against_heads Owners voting against.
    @param abstain_area Area abstaining.
    @param abstain_heads Owners abstaining.
    @return (turnout met, passed)
    """
    assert statute._is_matter(matter), "constitution: unknown matter"
    return statute._outcome(
        statute._is_major(matter), total_area, total_heads, for_area, for_heads, against_area, against_heads, abstain_area, abstain_heads
    )


@external
@pure
def is_major_matter(matter: uint8) -> bool:
    """
    @notice True for matters 6, 7 and 8 (3/4 rule).
    @param matter The matter number (1..9).
    @return Whether the matter is major.
    """
    assert statute._is_matter(matter), "constitution: unknown matter"
    return statute._is_major(matter)
