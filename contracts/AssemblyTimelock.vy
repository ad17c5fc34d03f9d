# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title AssemblyTimelock
@custom:contract-name AssemblyTimelock
@license GNU Affero General Public License v3.0 only
@notice The owners' assembly's timelock: snekmate's `timelock_controller`, unchanged.
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

exports: timelock_controller.__interface__


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
