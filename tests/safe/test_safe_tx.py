"""The SafeTx as Safe signs it: our EIP-712 hash equals the Safe's getTransactionHash,
a proposal survives storage as JSON, and a wallet's eth_signTypedData_v4 of
`typed_data()` is a signature the Safe accepts."""

from __future__ import annotations

import json

import pytest
from eth_account import Account

from backend.chain.safe import (
    CALL,
    DELEGATECALL,
    SafeError,
    SafeTx,
    decode_multisend,
    pack_signatures,
    recover_signer,
    sign_safe_tx,
)


def safe_hash(safe, tx: SafeTx) -> bytes:
    """The Safe's own hash of `tx`."""
    return bytes(
        safe.getTransactionHash(
            tx.to, tx.value, tx.data, tx.operation, tx.safe_tx_gas, tx.base_gas, tx.gas_price,
            tx.gas_token, tx.refund_receiver, tx.nonce,
        )
    )


def test_hash_equals_safe_getTransactionHash(safe_committee, committee_safe, committee_target, safe_infra, owner_a):
    single = safe_committee.propose_call(committee_target.record, 5)
    assert (single.operation, single.nonce) == (CALL, 0)
    assert single.hash == safe_hash(committee_safe, single)

    batch = safe_committee.propose_batch([(committee_target.record, (1,)), (committee_target.record, (2,))])
    assert (batch.to, batch.operation) == (safe_infra.multi_send.address, DELEGATECALL)
    assert batch.hash == safe_hash(committee_safe, batch)

    # Every field is in the hash: a later nonce, a value, refund fields.
    unusual = SafeTx(
        safe=committee_safe.address, chain_id=single.chain_id, to=owner_a.address, data=b"\x01\x02",
        nonce=7, value=10**18, safe_tx_gas=50_000, base_gas=21_000, gas_price=3,
        gas_token=committee_target.address, refund_receiver=owner_a.address,
    )
    assert unusual.hash == safe_hash(committee_safe, unusual)
    assert unusual.hash != single.hash


def test_json_round_trip_and_tampering(safe_committee, committee_target):
    tx = safe_committee.propose_call(committee_target.record, 5, note="record 5")
    stored = json.loads(json.dumps(tx.to_json()))
    assert stored["safeTxHash"] == "0x" + tx.hash.hex()
    assert stored["note"] == "record 5"
    assert SafeTx.from_json(stored) == tx

    stored["data"] = stored["data"][:-1] + "6"  # record 6 instead of 5
    with pytest.raises(SafeError, match="does not match"):
        SafeTx.from_json(stored)


def test_wallet_typed_data_signature_executes(safe_committee, committee_target, owner_a, owner_b, committee):
    """A page hands `typed_data()` (as JSON) to each member's wallet and collects what
    eth_signTypedData_v4 returns; here eth_account plays the wallet."""
    tx = safe_committee.propose_call(committee_target.record, 5)
    wire = json.dumps(tx.typed_data())
    signatures = {}
    for member in (owner_a, owner_b):
        signed = Account.sign_typed_data(member.private_key, full_message=json.loads(wire))
        assert signed.v in (27, 28)
        signatures[member.address] = signed.signature
        assert safe_committee.check_signature(tx, signed.signature) == member.address
    receipt = safe_committee.execute(tx, signatures, sender=committee)
    assert committee_target.total() == 5
    assert not receipt.failed


def test_ape_and_eth_account_sign_alike(safe_committee, committee_target, owner_a):
    tx = safe_committee.propose_call(committee_target.record, 5)
    by_ape = sign_safe_tx(tx, owner_a)
    by_eth_account = sign_safe_tx(tx, Account.from_key(owner_a.private_key))
    assert by_ape == by_eth_account
    assert recover_signer(tx, by_ape) == owner_a.address


def test_signatures_are_packed_in_owner_order(safe_committee, committee_target, safe_members, members_by_address):
    tx = safe_committee.propose_call(committee_target.record, 5)
    signatures = {m.address: sign_safe_tx(tx, m) for m in reversed(safe_members)}
    packed = pack_signatures(signatures)
    assert [recover_signer(tx, packed[i * 65 : (i + 1) * 65]) for i in range(3)] == [
        m.address for m in members_by_address
    ]


def test_batch_reads_back(safe_committee, committee_target):
    tx = safe_committee.propose_batch([(committee_target.record, (1,)), (committee_target.record, (2,))])
    calls = decode_multisend(tx.data)
    assert [(to, value) for to, value, _ in calls] == [(committee_target.address, 0)] * 2
    assert calls[1][2] == committee_target.record.encode_input(2)


def test_eth_sign_signature_is_accepted(safe_committee, committee_target, owner_a, owner_b, committee):
    """A wallet that can only eth_sign the hash (v + 4, Safe's convention) still counts."""
    from eth_account.messages import encode_defunct

    tx = safe_committee.propose_call(committee_target.record, 5)
    signed = Account.sign_message(encode_defunct(primitive=tx.hash), owner_a.private_key)
    eth_sign = signed.signature[:64] + bytes([signed.v + 4])
    assert recover_signer(tx, eth_sign) == owner_a.address
    safe_committee.execute(tx, [eth_sign, sign_safe_tx(tx, owner_b)], sender=committee)
    assert committee_target.total() == 5
