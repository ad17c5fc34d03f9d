# pragma version 0.4.3
"""
@title CommitteeTarget
@notice Test-only stand-in for a committee-only contract: it records amounts sent by
        its committee (the Safe under test) and refuses anyone else, a zero and an
        amount already recorded, each with its own reason, so the Safe tests can see
        which call failed and why. Compiled by tests/safe/conftest.py (not part of the
        project's contracts).
"""

committee: public(address)
count: public(uint256)
total: public(uint256)
recorded: public(HashMap[uint256, bool])


event Recorded:
    caller: indexed(address)
    amount: uint256


@deploy
def __init__(committee_: address):
    """
    @notice Name the committee.
    @param committee_ The only account allowed to record.
    """
    self.committee = committee_


@external
def record(amount: uint256):
    """
    @notice Record `amount` once.
    @param amount A non-zero amount not recorded before.
    """
    assert msg.sender == self.committee, "target: caller is not the committee"
    assert amount != 0, "target: zero amount"
    assert not self.recorded[amount], "target: amount already recorded"
    self.recorded[amount] = True
    self.count += 1
    self.total += amount
    log Recorded(caller=msg.sender, amount=amount)
