"""The test chain is Osaka, as a current private chain is (ape-config.yaml): the P256VERIFY
precompile answers (EIP-7951, what passkey accounts verify with), and no transaction the
tests, scripts or benches send through Ape can spend more than Osaka's per-transaction
cap (EIP-7825), because Ape asks for exactly that much and no more. anvil 1.7.1 does not
enforce the cap itself (it took a transaction asking for 16,777,217), so the limit Ape
asks for is what stands in for the node's refusal."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

TX_GAS_CAP = 16_777_216
P256VERIFY = "0x0000000000000000000000000000000000000100"


def test_p256verify_answers_a_real_signature_and_refuses_a_forged_one(chain):
    key = ec.generate_private_key(ec.SECP256R1())
    message = "邻里 passkey".encode()
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    numbers = key.public_key().public_numbers()
    digest = hashlib.sha256(message).digest()

    def verify(r_: int, s_: int) -> bytes:
        data = digest + b"".join(v.to_bytes(32, "big") for v in (r_, s_, numbers.x, numbers.y))
        return bytes(chain.provider.web3.eth.call({"to": P256VERIFY, "data": "0x" + data.hex()}))

    assert verify(r, s) == (1).to_bytes(32, "big")
    assert verify(r, s ^ 1) == b""  # a forged signature: the precompile returns nothing


def test_every_transaction_asks_for_the_cap_and_cannot_spend_more(chain, committee, owner_a):
    tx = committee.transfer(owner_a, 1)
    assert tx.gas_limit == TX_GAS_CAP
    # Init code that loops forever (JUMPDEST PUSH1 0 JUMP) spends all the gas it is given:
    # exactly the cap, never more.
    burn = chain.provider.network.ecosystem.create_transaction(data=bytes.fromhex("5b600056"))
    with pytest.raises(Exception):
        committee.call(burn)
    receipt = chain.history[committee.address][-1]
    assert receipt.failed and receipt.gas_limit == TX_GAS_CAP and receipt.gas_used == TX_GAS_CAP
