"""The committee's membership changes only through the Safe: as a SafeTx signed by the
threshold, or by a module the Safe enabled (the assembly's timelock)."""

from __future__ import annotations

import pytest
from ape.exceptions import ContractLogicError

from backend.chain.safe import SENTINEL_OWNERS, SafeError, module_call_data, sign_safe_tx


def run(committee_helper, tx, signers, sender):
    return committee_helper.execute(tx, {m.address: sign_safe_tx(tx, m) for m in signers}, sender=sender)


def test_add_a_member_and_raise_the_threshold(safe_committee, committee_safe, committee_target, owner_a, owner_b, owner_c, tenant, committee):
    tx = safe_committee.propose_add_member(tenant, 3)
    receipt = run(safe_committee, tx, [owner_a, owner_b], committee)
    [added] = receipt.decode_logs(committee_safe.AddedOwner)
    assert added.owner == tenant.address
    assert tenant.address in safe_committee.owners()
    assert (len(safe_committee.owners()), safe_committee.threshold()) == (4, 3)

    call = safe_committee.propose_call(committee_target.record, 5)
    with pytest.raises(SafeError, match="2 of the 3"):
        run(safe_committee, call, [owner_a, owner_b], committee)
    run(safe_committee, call, [owner_a, owner_c, tenant], committee)
    assert committee_target.total() == 5


def test_remove_a_member(safe_committee, committee_safe, committee_target, owner_a, owner_b, owner_c, committee):
    # owner_b sits in the middle of Safe's list: its predecessor is needed.
    assert safe_committee.owners().index(owner_b.address) == 1
    tx = safe_committee.propose_remove_member(owner_b)
    assert tx.data == committee_safe.removeOwner.encode_input(owner_a.address, owner_b.address, 2)
    run(safe_committee, tx, [owner_a, owner_b], committee)
    assert safe_committee.owners() == [owner_a.address, owner_c.address]
    assert safe_committee.threshold() == 2

    # The removed member's signature no longer counts, by our check or by the Safe's.
    call = safe_committee.propose_call(committee_target.record, 5)
    with pytest.raises(SafeError, match="not a member"):
        run(safe_committee, call, [owner_a, owner_b], committee)
    run(safe_committee, call, [owner_a, owner_c], committee)


def test_remove_the_first_member(safe_committee, committee_safe, owner_a, owner_b, owner_c, committee):
    tx = safe_committee.propose_remove_member(owner_a, 1)
    assert tx.data == committee_safe.removeOwner.encode_input(SENTINEL_OWNERS, owner_a.address, 1)
    run(safe_committee, tx, [owner_b, owner_c], committee)
    assert (safe_committee.owners(), safe_committee.threshold()) == ([owner_b.address, owner_c.address], 1)


def test_change_the_threshold(safe_committee, committee_target, owner_a, owner_b, owner_c, committee):
    run(safe_committee, safe_committee.propose_threshold(3), [owner_a, owner_b], committee)
    assert safe_committee.threshold() == 3
    call = safe_committee.propose_call(committee_target.record, 5)
    with pytest.raises(SafeError, match="2 of the 3"):
        run(safe_committee, call, [owner_a, owner_b], committee)
    # A threshold above the members is Safe's GS201: the helper names the inner reason.
    too_high = safe_committee.propose_threshold(4)
    with pytest.raises(SafeError, match="GS201 \\(threshold cannot exceed the number of owners\\)"):
        run(safe_committee, too_high, [owner_a, owner_b, owner_c], committee)


def test_membership_is_the_safes_own_call(committee_safe, owner_a, tenant):
    """A member calling the Safe's owner functions directly is refused (GS031)."""
    with pytest.raises(ContractLogicError, match="GS031"):
        committee_safe.addOwnerWithThreshold(tenant, 1, sender=owner_a)
    with pytest.raises(ContractLogicError, match="GS031"):
        committee_safe.changeThreshold(1, sender=owner_a)


def test_the_assembly_as_a_module_sets_the_members(safe_committee, committee_safe, owner_a, owner_b, owner_c, manager, tenant, committee):
    """With the assembly's timelock enabled as a module (here an account stands in for
    it), the assembly changes the members without their signatures."""
    assembly = manager
    add = committee_safe.addOwnerWithThreshold.encode_input(tenant.address, 2)
    with pytest.raises(ContractLogicError, match="GS104"):
        assembly.transfer(committee_safe, 0, data=module_call_data(committee_safe, add))
    run(safe_committee, safe_committee.propose_enable_module(assembly), [owner_a, owner_b], committee)
    assert committee_safe.isModuleEnabled(assembly.address)

    receipt = assembly.transfer(committee_safe, 0, data=module_call_data(committee_safe, add))
    assert receipt.decode_logs(committee_safe.ExecutionFromModuleSuccess)
    remove = committee_safe.removeOwner.encode_input(tenant.address, owner_a.address, 2)
    assembly.transfer(committee_safe, 0, data=module_call_data(committee_safe, remove))
    assert safe_committee.owners() == [tenant.address, owner_b.address, owner_c.address]


def test_the_timelock_reverts_a_committee_change_the_safe_did_not_make(project, safe_committee, committee_safe,
                                                                      owner_a, owner_b, owner_c, manager, committee):
    """Safe's execTransactionFromModule returns false, not a revert, when its call fails (a
    removeOwner naming the wrong previous owner, as after another proposal changed the
    members). The assembly's timelock reverts then, so a decision to change the committee
    never reads "executed" having changed nothing; the same call rightly formed goes through,
    alone or in a batch."""
    zero = b"\x00" * 32
    timelock = project.AssemblyTimelock.deploy(0, [manager], [manager], "0x" + "00" * 20, sender=manager)
    run(safe_committee, safe_committee.propose_enable_module(timelock), [owner_a, owner_b], committee)
    owners = safe_committee.owners()

    def scheduled(payload: bytes, salt: bytes) -> None:
        timelock.schedule(committee_safe.address, 0, payload, zero, salt, 0, sender=manager)

    # owner_c's predecessor is owner_b, not owner_a: Safe's removeOwner fails inside (GS205).
    wrong = module_call_data(committee_safe, committee_safe.removeOwner.encode_input(owner_a.address, owner_c.address, 2))
    scheduled(wrong, b"\x01" * 32)
    with pytest.raises(ContractLogicError, match="timelock: Safe module call failed"):
        timelock.execute(committee_safe.address, 0, wrong, zero, b"\x01" * 32, sender=manager)
    timelock.schedule_batch([committee_safe.address], [0], [wrong], zero, b"\x02" * 32, 0, sender=manager)
    with pytest.raises(ContractLogicError, match="timelock: Safe module call failed"):
        timelock.execute_batch([committee_safe.address], [0], [wrong], zero, b"\x02" * 32, sender=manager)
    assert safe_committee.owners() == owners

    right = module_call_data(committee_safe, committee_safe.removeOwner.encode_input(owner_b.address, owner_c.address, 2))
    scheduled(right, b"\x03" * 32)
    receipt = timelock.execute(committee_safe.address, 0, right, zero, b"\x03" * 32, sender=manager)
    assert receipt.decode_logs(committee_safe.ExecutionFromModuleSuccess)
    assert owner_c.address not in safe_committee.owners()
    # Any other role still cannot execute (snekmate's check, kept).
    scheduled(wrong, b"\x04" * 32)
    with pytest.raises(ContractLogicError, match="access_control: account is missing role"):
        timelock.execute(committee_safe.address, 0, wrong, zero, b"\x04" * 32, sender=owner_a)
