# pragma version 0.4.3
"""
@title CommitteeGuard
@custom:contract-name CommitteeGuard
@license GNU Affero General Public License v3.0 only
@notice The transaction guard of the owners' committee's Safe (Safe 1.4.1's
        `Guard`): the committee's members may act together as the committee, but
        not change who the committee is. Every transaction the members sign is
        checked before it runs, and refused when it
          - calls the Safe itself (adding or removing a member, changing the
            threshold, the modules, the guard or the fallback handler): the
            owners' assembly sets the committee's members and threshold, through
            its timelock, which is the Safe's module (module transactions do not
            pass through a Safe 1.4.1 guard);
          - is a delegate call, which would run foreign code on the Safe's own
            storage (and so could rewrite its members).
        One guard serves every committee Safe: the Safe is the caller.
@custom:security The checks read the call's fixed-position arguments straight from
                 the calldata, so a transaction of any size is checked (an ABI
                 decoder would need a bound on `data`). Everything else the
                 committee does is bounded by the roles the registry gives the
                 Safe, not here. A Safe can only drop this guard by a transaction
                 to itself, which this guard refuses; the assembly can, through
                 the module.
"""


# Safe 1.4.1 Guard: checkTransaction(address,uint256,bytes,uint8,uint256,uint256,
# uint256,address,address,bytes,address) and checkAfterExecution(bytes32,bool).
CHECK_TRANSACTION: constant(bytes4) = 0x75f0bb52
GUARD_INTERFACE_ID: constant(bytes4) = 0xe6d7a83a
ERC165_INTERFACE_ID: constant(bytes4) = 0x01ffc9a7
OPERATION_CALL: constant(uint256) = 0
MASK160: constant(uint256) = 2**160 - 1


@external
@view
def supportsInterface(interface_id: bytes4) -> bool:
    """
    @notice ERC-165: this is a Safe `Guard` (Safe's `setGuard` checks it).
    @param interface_id The interface identifier.
    @return Whether it is supported.
    """
    return interface_id == GUARD_INTERFACE_ID or interface_id == ERC165_INTERFACE_ID


@external
def __default__():
    """
    @notice `checkTransaction` refuses a call to the Safe itself and any delegate
            call; `checkAfterExecution` and anything else pass.
    """
    if len(msg.data) < 4 + 4 * 32:
        return
    if convert(slice(msg.data, 0, 4), bytes4) != CHECK_TRANSACTION:
        return
    # Head words: to, value, offset of data, operation.
    head: Bytes[128] = slice(msg.data, 4, 128)
    to: address = convert(extract32(head, 0, output_type=uint256) & MASK160, address)
    operation: uint256 = extract32(head, 96, output_type=uint256)
    assert operation == OPERATION_CALL, "committee: no delegate calls"
    assert to != msg.sender, "committee: the assembly sets the committee's members"
