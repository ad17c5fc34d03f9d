# pragma version 0.4.3
"""
@title CommitteeSafeSetup
@custom:contract-name CommitteeSafeSetup
@license GNU Affero General Public License v3.0 only
@notice Run by a new committee Safe during its `setup` (as Safe's own
        `SafeToL2Setup` is: a delegate call from the Safe), so the Safe is born
        with the owners' assembly's timelock as its module and the
        CommitteeGuard as its guard: no transaction of the members ever runs
        without them.
@custom:security Called only by delegate call from a Safe in `setup`: `self` is
                 then the Safe, and the two calls below are the Safe calling
                 itself, which Safe's `authorized` functions accept. Called
                 directly it changes nothing of anyone's (the calls revert, this
                 contract is no Safe). It keeps no storage, so it cannot write
                 over the Safe's.
"""


interface ISafe:
    def enableModule(module: address): nonpayable
    def setGuard(guard: address): nonpayable


@external
def enable_assembly(module: address, guard: address):
    """
    @notice Enable `module` (the assembly's timelock) and set `guard` on the Safe
            running this code by delegate call.
    @param module The owners' assembly's timelock.
    @param guard The CommitteeGuard.
    """
    extcall ISafe(self).enableModule(module)
    extcall ISafe(self).setGuard(guard)
