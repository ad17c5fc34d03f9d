# pragma version 0.4.3
"""
@title ReentrantToken
@custom:contract-name ReentrantToken
@license GNU Affero General Public License v3.0 only
@notice TEST ONLY. A settlement-token stand-in that calls back into a target
        during `transfer` (the escrow payout path), to show the ServiceMarket's
        reentrancy lock refuses the call. The outcome of the callback is recorded
        instead of reverting the payout, so a test can read whether it got through
        and with what revert data.
@custom:security Never deploy outside tests: anyone can mint and arm the hook.
"""

from ethereum.ercs import IERC20

implements: IERC20


balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
totalSupply: public(uint256)

hook_target: public(address)
hook_calldata: public(Bytes[256])
hook_armed: public(bool)
hook_calls: public(uint256)
hook_succeeded: public(bool)
hook_revert_data: public(Bytes[256])


event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


@external
def mint(to: address, amount: uint256):
    """
    @notice Mint tokens to anyone (test stand-in).
    @param to The recipient.
    @param amount The amount.
    """
    self.balanceOf[to] += amount
    self.totalSupply += amount
    log Transfer(sender=empty(address), receiver=to, value=amount)


@external
def arm(target: address, calldata: Bytes[256]):
    """
    @notice Call `target` with `calldata` during the next `transfer`, once.
    @param target The contract to re-enter.
    @param calldata The call to make.
    """
    self.hook_target = target
    self.hook_calldata = calldata
    self.hook_armed = True


@external
def transfer(receiver: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transfer that first fires the armed hook (once).
    @param receiver The recipient.
    @param amount The amount.
    @return True.
    """
    if self.hook_armed:
        self.hook_armed = False
        self.hook_calls += 1
        ok: bool = False
        data: Bytes[256] = b""
        ok, data = raw_call(self.hook_target, self.hook_calldata, max_outsize=256, revert_on_failure=False)
        self.hook_succeeded = ok
        self.hook_revert_data = data
    self._transfer(msg.sender, receiver, amount)
    return True


@external
def transferFrom(owner: address, receiver: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transferFrom (no hook).
    @param owner The payer.
    @param receiver The recipient.
    @param amount The amount.
    @return True.
    """
    allowed: uint256 = self.allowance[owner][msg.sender]
    if allowed != max_value(uint256):
        assert allowed >= amount, "token: insufficient allowance"
        self.allowance[owner][msg.sender] = allowed - amount
    self._transfer(owner, receiver, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    """
    @notice ERC-20 approve.
    @param spender The spender.
    @param amount The allowance.
    @return True.
    """
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@internal
def _transfer(owner: address, receiver: address, amount: uint256):
    """
    @notice Move balance.
    @param owner The payer.
    @param receiver The recipient.
    @param amount The amount.
    """
    assert self.balanceOf[owner] >= amount, "token: insufficient balance"
    self.balanceOf[owner] -= amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=owner, receiver=receiver, value=amount)
