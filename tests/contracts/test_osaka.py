"""The test chain is Osaka, as a current private chain is (ape-config.yaml names it; anvil
1.7.1 runs it by default): the P256VERIFY precompile answers (EIP-7951, what passkey
accounts verify with). anvil 1.7.1 does not enforce Osaka's per-transaction gas cap
(EIP-7825) itself: it took a transaction asking for 16,777,217; the cap is checked on the
transactions themselves (tests/scripts/test_private_chain.py, the batch tests)."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

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
