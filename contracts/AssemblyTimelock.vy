# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title AssemblyTimelock
@custom:contract-name AssemblyTimelock
@license GNU Affero General Public License v3.0 only
@notice The owners' assembly's timelock: snekmate's `timelock_controller`, with one
        change: a call to a Safe's `execTransactionFromModule` that returns false
        reverts the execution ("timelock: Safe module call failed").
        Passed proposals are scheduled here by the OwnersAssembly (its proposer and
        canceller), one single-call operation per call of the proposal, and run
        after the minimum delay, all calls of a proposal in one transaction; whatever the community moves
        only by a vote (the maintenance fund, later the committee's other powers)
        names this contract as its governance.

        `deploy_assembly` deploys it with the deployer as a temporary admin,
        grants the assembly the proposer, canceller and executor roles and then
        renounces the admin role, so from then on the timelock administers
        itself: roles and the delay change only by a passed proposal.
@custom:security The pragma covers this wrapper's own code; the exported
                 functions keep snekmate's `nonreentrancy off`, because a
                 proposal may call the timelock itself (`update_delay`, role
                 changes) from `execute`. snekmate guards that reentry
                 with `_after_call`, which requires the operation to be still
                 ready (not done) after the calls. Anyone holding
                 EXECUTOR_ROLE may execute a ready operation; deploy grants it
                 only to the assembly, whose `execute` is open to anyone.
"""

from snekmate.auth import access_control
from snekmate.governance import timelock_controller

initializes: access_control
initializes: timelock_controller[access_control := access_control]

# Everything of snekmate's timelock but `execute` and `execute_batch`, which are below:
# the same, and a call to a Safe's `execTransactionFromModule` that returns false reverts.
exports: (
    timelock_controller.__default__,
    timelock_controller.DEFAULT_ADMIN_ROLE,
    timelock_controller.hasRole,
    timelock_controller.getRoleAdmin,
    timelock_controller.grantRole,
    timelock_controller.revokeRole,
    timelock_controller.renounceRole,
    timelock_controller.set_role_admin,
    timelock_controller.PROPOSER_ROLE,
    timelock_controller.EXECUTOR_ROLE,
    timelock_controller.CANCELLER_ROLE,
    timelock_controller.IERC721_TOKENRECEIVER_SELECTOR,
    timelock_controller.IERC1155_TOKENRECEIVER_SINGLE_SELECTOR,
    timelock_controller.IERC1155_TOKENRECEIVER_BATCH_SELECTOR,
    timelock_controller.get_timestamp,
    timelock_controller.get_minimum_delay,
    timelock_controller.supportsInterface,
    timelock_controller.is_operation,
    timelock_controller.is_operation_pending,
    timelock_controller.is_operation_ready,
    timelock_controller.is_operation_done,
    timelock_controller.get_operation_state,
    timelock_controller.hash_operation,
    timelock_controller.hash_operation_batch,
    timelock_controller.schedule,
    timelock_controller.schedule_batch,
    timelock_controller.cancel,
    timelock_controller.update_delay,
    timelock_controller.onERC721Received,
    timelock_controller.onERC1155Received,
    timelock_controller.onERC1155BatchReceived,
)

# Safe's `execTransactionFromModule(address,uint256,bytes,uint8)` returns false, and does
# not revert, when the call it makes for a module fails (a `removeOwner` naming the wrong
# previous owner, say, after another proposal changed the members): without this check an
# assembly's decision to change the committee would read "executed" and change nothing.
SAFE_MODULE_CALL: constant(bytes4) = 0x468721a7


@deploy
@payable
def __init__(
    minimum_delay_: uint256,
    proposers_: DynArray[address, 255],
    executors_: DynArray[address, 255],
    admin_: address,
):
    """
    @notice Create the timelock.
    @param minimum_delay_ Seconds between scheduling and execution.
    @param proposers_ Accounts given the proposer and canceller roles (the assembly).
    @param executors_ Accounts given the executor role (the assembly; the zero
           address opens execution to anyone).
    @param admin_ Optional temporary admin for wiring roles after deployment; it
           must renounce DEFAULT_ADMIN_ROLE once done (zero: none).
    """
    access_control.__init__()
    timelock_controller.__init__(minimum_delay_, proposers_, executors_, admin_)


@external
@payable
def execute(target: address, amount: uint256, payload: Bytes[1_024], predecessor: bytes32, salt: bytes32):
    """
    @notice Execute a ready single-call operation (EXECUTOR_ROLE), as snekmate's
            `execute` does, with the Safe module call's result checked.
    @param target The contract called.
    @param amount Wei sent with the call.
    @param payload The calldata.
    @param predecessor The operation that must be done first (zero: none).
    @param salt The operation's salt.
    """
    timelock_controller._only_role_or_open_role(timelock_controller.EXECUTOR_ROLE)
    id: bytes32 = timelock_controller._hash_operation(target, amount, payload, predecessor, salt)
    timelock_controller._before_call(id, predecessor)
    self._execute(target, amount, payload)
    log timelock_controller.CallExecuted(id=id, index=empty(uint256), target=target, amount=amount, payload=payload)
    timelock_controller._after_call(id)


@external
@payable
def execute_batch(
    targets: DynArray[address, 255],
    amounts: DynArray[uint256, 255],
    payloads: DynArray[Bytes[1_024], 255],
    predecessor: bytes32,
    salt: bytes32,
):
    """
    @notice Execute a ready batch operation (EXECUTOR_ROLE), as snekmate's
            `execute_batch` does, with each Safe module call's result checked.
    @param targets The contracts called.
    @param amounts Wei sent with each call.
    @param payloads The calldata of each call.
    @param predecessor The operation that must be done first (zero: none).
    @param salt The operation's salt.
    """
    timelock_controller._only_role_or_open_role(timelock_controller.EXECUTOR_ROLE)
    assert len(targets) == len(amounts) and len(targets) == len(payloads), "timelock_controller: length mismatch"
    id: bytes32 = timelock_controller._hash_operation_batch(targets, amounts, payloads, predecessor, salt)
    timelock_controller._before_call(id, predecessor)
    idx: uint256 = empty(uint256)
    for target: address in targets:
        self._execute(target, amounts[idx], payloads[idx])
        log timelock_controller.CallExecuted(id=id, index=idx, target=target, amount=amounts[idx], payload=payloads[idx])
        idx = unsafe_add(idx, 1)
    timelock_controller._after_call(id)


@internal
def _execute(target: address, amount: uint256, payload: Bytes[1_024]):
    """
    @dev snekmate's `_execute` (bubble a revert up), and a Safe module call that
         returned false reverts.
    @param target The contract called.
    @param amount Wei sent.
    @param payload The calldata.
    """
    success: bool = False
    return_data: Bytes[255] = b""
    success, return_data = raw_call(target, payload, max_outsize=255, value=amount, revert_on_failure=False)
    if not success:
        if len(return_data) != 0:
            raw_revert(return_data)
        raise "timelock_controller: underlying transaction reverted"
    if len(payload) >= 4 and convert(slice(payload, 0, 4), bytes4) == SAFE_MODULE_CALL:
        assert len(return_data) == 32 and extract32(return_data, 0, output_type=uint256) == 1, "timelock: Safe module call failed"
