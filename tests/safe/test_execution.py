"""A 2-of-3 committee Safe at work: two members' signatures execute a call, and every way
around that is refused by the Safe itself (sent raw with `exec_transaction`, so Safe's
own check is what fires) and, before anything is sent, by our helper."""

from __future__ import annotations

import pytest
from ape.exceptions import ContractLogicError

from backend.chain.safe import (
    SafeCallReverted,
    SafeError,
    SafeTx,
    exec_transaction,
    pack_signatures,
    sign_safe_tx,
)


def signed_by(tx: SafeTx, *members) -> dict[str, bytes]:
    return {m.address: sign_safe_tx(tx, m) for m in members}


def test_two_of_three_executes(safe_committee, committee_safe, committee_target, owner_a, owner_c, committee):
    tx = safe_committee.propose_call(committee_target.record, 5)
    receipt = safe_committee.execute(tx, signed_by(tx, owner_a, owner_c), sender=committee)
    [recorded] = receipt.decode_logs(committee_target.Recorded)
    assert (recorded.caller, recorded.amount) == (committee_safe.address, 5)
    [success] = receipt.decode_logs(committee_safe.ExecutionSuccess)
    assert bytes(success.txHash) == tx.hash
    # SafeL2's event: the call and who signed it, readable from logs alone.
    [multisig] = receipt.decode_logs(committee_safe.SafeMultiSigTransaction)
    assert (multisig.to, bytes(multisig.data)) == (committee_target.address, tx.data)
    assert bytes(multisig.signatures) == pack_signatures(signed_by(tx, owner_a, owner_c))
    assert committee_target.total() == 5
    assert safe_committee.nonce() == 1


def test_a_member_alone_does_nothing(safe_committee, committee_safe, committee_target, owner_a, committee):
    tx = safe_committee.propose_call(committee_target.record, 5)
    with pytest.raises(SafeError, match="1 of the 2 members' signatures needed"):
        safe_committee.execute(tx, signed_by(tx, owner_a), sender=committee)
    with pytest.raises(SafeError, match="GS020"):
        exec_transaction(committee_safe, tx, sign_safe_tx(tx, owner_a), committee)
    # The same signature twice is still one member.
    with pytest.raises(SafeError, match="GS026"):
        exec_transaction(committee_safe, tx, sign_safe_tx(tx, owner_a) * 2, committee)
    # Nor can the member call the target directly.
    with pytest.raises(ContractLogicError, match="target: caller is not the committee"):
        committee_target.record(5, sender=owner_a)
    assert committee_target.count() == 0
    assert safe_committee.nonce() == 0


def test_a_non_member_signature_is_refused(safe_committee, committee_safe, committee_target, owner_a, attacker, committee):
    tx = safe_committee.propose_call(committee_target.record, 5)
    with pytest.raises(SafeError, match="not a member"):
        safe_committee.sign(tx, attacker)
    forged = sign_safe_tx(tx, attacker)
    with pytest.raises(SafeError, match=f"by {attacker.address}, who is not a member"):
        safe_committee.execute(tx, [sign_safe_tx(tx, owner_a), forged], sender=committee)
    with pytest.raises(SafeError, match="GS026"):
        exec_transaction(committee_safe, tx, pack_signatures({owner_a.address: sign_safe_tx(tx, owner_a), attacker.address: forged}), committee)
    assert committee_target.count() == 0


def test_signatures_out_of_order_are_refused(safe_committee, committee_safe, committee_target, members_by_address, committee):
    tx = safe_committee.propose_call(committee_target.record, 5)
    low, high = members_by_address[0], members_by_address[1]
    with pytest.raises(SafeError, match="GS026"):
        exec_transaction(committee_safe, tx, sign_safe_tx(tx, high) + sign_safe_tx(tx, low), committee)
    receipt = exec_transaction(committee_safe, tx, sign_safe_tx(tx, low) + sign_safe_tx(tx, high), committee)
    assert not receipt.failed


def test_a_signature_filed_under_another_member_is_refused(safe_committee, committee_target, owner_a, owner_b, committee):
    tx = safe_committee.propose_call(committee_target.record, 5)
    with pytest.raises(SafeError, match=f"filed under {owner_b.address} is by {owner_a.address}"):
        safe_committee.execute(tx, {owner_b.address: sign_safe_tx(tx, owner_a)}, sender=committee)


def test_replay_is_refused(safe_committee, committee_safe, committee_target, owner_a, owner_b, committee):
    tx = safe_committee.propose_call(committee_target.record, 5)
    signatures = signed_by(tx, owner_a, owner_b)
    safe_committee.execute(tx, signatures, sender=committee)
    with pytest.raises(SafeError, match="nonce 0 is used"):
        safe_committee.execute(tx, signatures, sender=committee)
    # Sent raw, the Safe hashes the call with its new nonce: the old signatures recover
    # to strangers.
    with pytest.raises(SafeError, match="GS026"):
        exec_transaction(committee_safe, tx, pack_signatures(signatures), committee)
    assert committee_target.count() == 1
    assert safe_committee.nonce() == 1


def test_a_later_nonce_waits_its_turn(safe_committee, committee_target, owner_a, owner_b, committee):
    first = safe_committee.propose_call(committee_target.record, 5)
    second = safe_committee.propose_call(committee_target.record, 6, nonce=1)
    second_signatures = signed_by(second, owner_a, owner_b)
    with pytest.raises(SafeError, match="waits for nonce 1"):
        safe_committee.execute(second, second_signatures, sender=committee)
    safe_committee.execute(first, signed_by(first, owner_a, owner_b), sender=committee)
    safe_committee.execute(second, second_signatures, sender=committee)
    assert committee_target.total() == 11


def test_approve_hash_on_chain_and_executor_counts(safe_committee, committee_safe, committee_target, owner_a, owner_b, owner_c, committee):
    """A member may approve on chain instead of signing, and the member who executes
    counts without signing: here no signature at all."""
    tx = safe_committee.propose_call(committee_target.record, 5)
    receipt = safe_committee.approve(tx, owner_b)
    [approval] = receipt.decode_logs(committee_safe.ApproveHash)
    assert (bytes(approval.approvedHash), approval.owner) == (tx.hash, owner_b.address)
    assert safe_committee.approvals(tx) == [owner_b.address]
    with pytest.raises(SafeError, match="1 of the 2"):
        safe_committee.execute(tx, {}, sender=committee)
    safe_committee.execute(tx, {}, sender=owner_c)
    assert committee_target.total() == 5
    # A non-member cannot approve.
    later = safe_committee.propose_call(committee_target.record, 6)
    with pytest.raises(ContractLogicError, match="GS030"):
        committee_safe.approveHash(later.hash, sender=committee)


def test_inner_revert_surfaces_with_its_reason(safe_committee, committee_safe, committee_target, owner_a, owner_b, committee):
    tx = safe_committee.propose_call(committee_target.record, 0)
    signatures = signed_by(tx, owner_a, owner_b)
    with pytest.raises(SafeCallReverted, match="the committee's call reverts: target: zero amount") as refused:
        safe_committee.execute(tx, signatures, sender=committee)
    assert (refused.value.reason, refused.value.index) == ("target: zero amount", None)
    # Sent anyway, safeTxGas = gasPrice = 0 makes the Safe revert whole (GS013): the
    # nonce is not consumed, so the members' next SafeTx keeps its place.
    with pytest.raises(SafeError, match="GS013"):
        exec_transaction(committee_safe, tx, pack_signatures(signatures), committee)
    assert safe_committee.nonce() == 0


def test_batch_runs_all_calls(safe_committee, committee_safe, committee_target, owner_a, owner_b, committee):
    receipt = safe_committee.batch(
        [(committee_target.record, (1,)), (committee_target.record, (2,)), (committee_target.record, (3,))],
        signers=[owner_a, owner_b],
        sender=committee,
    )
    events = receipt.decode_logs(committee_target.Recorded)
    assert [(e.caller, e.amount) for e in events] == [(committee_safe.address, n) for n in (1, 2, 3)]
    assert (committee_target.count(), safe_committee.nonce()) == (3, 1)


@pytest.mark.parametrize(
    "amounts, index, reason",
    [
        ((1, 2, 0), 2, "target: zero amount"),
        ((1, 2, 2), 2, "fails after the batch's earlier calls (alone it succeeds)"),
    ],
)
def test_batch_is_all_or_nothing(safe_committee, committee_safe, committee_target, owner_a, owner_b, committee, amounts, index, reason):
    tx = safe_committee.propose_batch([(committee_target.record, (n,)) for n in amounts])
    signatures = signed_by(tx, owner_a, owner_b)
    with pytest.raises(SafeCallReverted, match=f"call #{index + 1} of the batch reverts") as refused:
        safe_committee.execute(tx, signatures, sender=committee)
    assert (refused.value.index, refused.value.reason) == (index, reason)
    with pytest.raises(SafeError, match="GS013"):
        exec_transaction(committee_safe, tx, pack_signatures(signatures), committee)
    assert (committee_target.count(), committee_target.recorded(1)) == (0, False)


def test_delegatecall_only_to_multisend(safe_committee, committee_safe, committee_target, owner_a, owner_b):
    """A DELEGATECALL runs foreign code as the Safe (it could rewrite the members): the
    helper proposes and signs one only to MultiSendCallOnly."""
    with pytest.raises(SafeError, match="refusing a DELEGATECALL"):
        safe_committee.propose(committee_target.address, b"", operation=1)
    batch = safe_committee.propose_batch([(committee_target.record, (1,))])
    rogue = SafeTx(**{**batch.__dict__, "to": committee_target.address})
    with pytest.raises(SafeError, match="refusing a DELEGATECALL"):
        safe_committee.sign(rogue, owner_a)


def test_a_foreign_safe_tx_is_refused(safe_committee, committee_target, owner_a):
    tx = safe_committee.propose_call(committee_target.record, 5)
    for foreign in (SafeTx(**{**tx.__dict__, "chain_id": 1}), SafeTx(**{**tx.__dict__, "safe": committee_target.address})):
        with pytest.raises(SafeError, match="this SafeTx is for the Safe"):
            safe_committee.sign(foreign, owner_a)
