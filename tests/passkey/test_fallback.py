"""On a chain without the P256VERIFY precompile (anvil --hardfork prague) the account
verifies with snekmate's pure-EVM p256: the implementation's probe finds no precompile,
a valid assertion executes, and each forgery that only the signature's mathematics can
catch is refused. Driven through web3 on a second anvil started for this module."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from web3.exceptions import ContractLogicError

from tests.utils.anvil import anvil, deploy
from tests.utils.webauthn import Passkey, call_hash, message_hash

BLOCK_GAS_CAP = 16_777_216  # EIP-7825: no transaction may use more
RECIPIENT = "0x000000000000000000000000000000000000bEEF"


@pytest.fixture(scope="module")
def prague(project):
    with anvil("prague") as w3:
        implementation = deploy(w3, project.PasskeyAccount)
        factory = deploy(w3, project.PasskeyAccountFactory, implementation.address)
        key = Passkey(seed=0xFA11)
        w3.eth.wait_for_transaction_receipt(factory.functions.create_account(*key.public_key).transact())
        address = factory.functions.account_address(*key.public_key).call()
        account = w3.eth.contract(address=address, abi=implementation.abi)
        w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"to": address, "value": 10**18}))
        yield w3, implementation, account, key


def signed(w3, account, key, value=1, **options):
    nonce = account.functions.next_nonce().call()
    challenge = call_hash(account.address, w3.eth.chain_id, RECIPIENT, value, b"", nonce)
    return [RECIPIENT, value, b"", nonce, key.assert_challenge(challenge, **options).as_tuple()]


def refused(call, reason):
    with pytest.raises(ContractLogicError) as info:
        call.call({"from": call.w3.eth.accounts[1]})
    assert str(info.value.message).endswith(reason), info.value.message


def test_the_probe_finds_no_precompile(prague):
    _, implementation, _, _ = prague
    assert implementation.functions.HAS_PRECOMPILE().call() is False


def test_a_valid_assertion_executes_below_the_transaction_gas_cap(prague):
    w3, _, account, key = prague
    before = w3.eth.get_balance(RECIPIENT)
    tx = account.functions.execute(*signed(w3, account, key)).transact({"from": w3.eth.accounts[1]})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    assert receipt.status == 1
    assert w3.eth.get_balance(RECIPIENT) == before + 1
    assert receipt.gasUsed < BLOCK_GAS_CAP
    # The fallback really ran: far more gas than the precompile's 6,900.
    assert receipt.gasUsed > 100_000


def test_forgeries_refused_by_the_fallback(prague):
    w3, _, account, key = prague
    stranger = Passkey(seed=0xBAD)
    args = signed(w3, account, stranger)
    forged = (*args[4][:6], *key.public_key)
    refused(account.functions.execute(*args[:4], forged), "passkey: invalid signature")
    refused(account.functions.execute(*signed(w3, account, key, low_s=False)), "passkey: high s")
    good = signed(w3, account, key)
    tampered = (good[4][0][:33] + b"\x00\x00\x00\x63", *good[4][1:])
    refused(account.functions.execute(*good[:4], tampered), "passkey: invalid signature")


def test_eip1271_by_the_fallback(prague):
    w3, _, account, key = prague
    digest = keccak(text="Acknowledgement of notice 3")
    assertion = key.assert_challenge(message_hash(account.address, w3.eth.chain_id, digest))
    assert account.functions.isValidSignature(digest, assertion.encoded()).call() == bytes.fromhex("1626ba7e")
    wrong = assertion.but(x=Passkey(seed=0xBAD).x, y=Passkey(seed=0xBAD).y)
    assert account.functions.isValidSignature(digest, wrong.encoded()).call() == bytes.fromhex("ffffffff")
    forged = Passkey(seed=0xBAD).assert_challenge(message_hash(account.address, w3.eth.chain_id, digest))
    assert account.functions.isValidSignature(digest, forged.but(x=key.x, y=key.y).encoded()).call() == \
        bytes.fromhex("ffffffff")
