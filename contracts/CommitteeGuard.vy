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
            storage (and so could rewrite its members) — except to Safe's
            MultiSendCallOnly, the batch of plain calls, when none of the batch's
            calls is to the Safe itself.
        One guard serves every committee Safe of a chain: the Safe is the caller.
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
OPERATION_DELEGATECALL: constant(uint256) = 1
MASK160: constant(uint256) = 2**160 - 1
# multiSend(bytes): one 32-byte offset, then the length of the packed calls.
MULTI_SEND: constant(bytes4) = method_id("multiSend(bytes)", output_type=bytes4)
MAX_BATCH: constant(uint256) = 256

# Safe 1.4.1's MultiSendCallOnly on this chain: the only delegate call allowed.
multi_send_call_only: public(immutable(address))


@deploy
def __init__(multi_send_call_only_: address):
    """
    @notice Create the guard.
    @param multi_send_call_only_ Safe 1.4.1's MultiSendCallOnly on this chain.
    """
    assert multi_send_call_only_ != empty(address), "committee: multisend is the zero address"
    multi_send_call_only = multi_send_call_only_


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
            call but a batch of plain calls none of which is to the Safe;
            `checkAfterExecution` and anything else pass.
    """
    if len(msg.data) < 4 + 4 * 32:
        return
    if convert(slice(msg.data, 0, 4), bytes4) != CHECK_TRANSACTION:
        return
    # Head words: to, value, offset of data, operation.
    head: Bytes[128] = slice(msg.data, 4, 128)
    to: address = convert(extract32(head, 0, output_type=uint256) & MASK160, address)
    operation: uint256 = extract32(head, 96, output_type=uint256)
    if operation == OPERATION_CALL:
        assert to != msg.sender, "committee: the assembly sets the committee's members"
        return
    assert operation == OPERATION_DELEGATECALL and to == multi_send_call_only, "committee: no delegate calls"
    self._check_batch(4 + extract32(head, 64, output_type=uint256))


@internal
@view
def _check_batch(data_at: uint256):
    """
    @dev Walk the packed calls of multiSend(bytes) in msg.data (each: operation 1
         byte, to 20, value 32, length 32, data) and refuse any to the Safe: by its
         address, or by the zero address, which MultiSend reads as the Safe itself.
         A batch that is not well formed reverts on a read past the calldata.
    @param data_at Where `data` (its length word) starts in msg.data.
    """
    call_at: uint256 = data_at + 32
    assert convert(slice(msg.data, call_at, 4), bytes4) == MULTI_SEND, "committee: no delegate calls"
    packed_at: uint256 = call_at + 4 + extract32(slice(msg.data, call_at + 4, 32), 0, output_type=uint256)
    pos: uint256 = packed_at + 32
    end: uint256 = pos + extract32(slice(msg.data, packed_at, 32), 0, output_type=uint256)
    for _: uint256 in range(MAX_BATCH):
        if pos >= end:
            return
        inner: address = convert(extract32(slice(msg.data, pos + 1, 32), 0, output_type=uint256) >> 96, address)
        assert inner != msg.sender and inner != empty(address), "committee: the assembly sets the committee's members"
        pos += 85 + extract32(slice(msg.data, pos + 53, 32), 0, output_type=uint256)
    raise "committee: batch too long"
