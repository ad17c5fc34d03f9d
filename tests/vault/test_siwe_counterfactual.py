# SPDX-License-Identifier: AGPL-3.0-only
"""A passkey account signs in to the vault before the factory has created it (issue 18).

Nothing on the chain answers `isValidSignature` for an address with no code, so the
vault takes the passkey's public key with the sign-in and accepts it only when the
community's PasskeyAccountFactory (named by the vault's manifest, read on the chain)
derives the claimed address from that key and the assertion, by that key, verifies off
the chain as the account will verify it. The attacks: another key (its factory address
is not the claimed one), another passkey's valid signature, a signature of another
message or one replayed, a forged key in the assertion, no key at all (400 saying
why), a vault whose manifests name no factory; and an account that exists is still
asked on the chain (EIP-1271), with any key sent ignored. The off-chain check is held
equal to the account's own: assertions judged before the account exists are judged
the same by its `isValidSignature` once it does."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from eth_utils import keccak, to_checksum_address
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deploy_passkeys import deploy_passkeys
from backend.chain.deployment import manifest_dict
from backend.vault import passkey_signature
from backend.vault.service import Vault
from tests.passkey.helpers import sign_call
from tests.utils.webauthn import FLAG_UP, N, Passkey, message_hash
from tests.vault.conftest import login, request_nonce

MAGIC = bytes.fromhex("1626ba7e")


@pytest.fixture
def factory_vault(project, chain, committee, consent_community, tmp_path, vault_settings, clock):
    """The vault with a manifest naming the chain's passkey factory; its client and the factory."""
    stack = deploy_passkeys(project, chain, committee)
    community = replace(consent_community, extra={**consent_community.extra, **stack})
    path = tmp_path / "with-passkeys" / "local-31337.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(manifest_dict(community, "local")))
    settings = vault_settings.model_copy(update={"vault_manifests": [path]})
    app = create_app(settings)
    app.state.vault = Vault(settings, clock=clock)
    with TestClient(app) as client:
        yield client, stack["PasskeyAccountFactory"]
    app.state.vault.close()
    app.state.engine.dispose()


def digest_of(text: str) -> bytes:
    body = text.encode()
    return keccak(b"\x19Ethereum Signed Message:\n" + str(len(body)).encode() + body)  # EIP-191


def signed(key: Passkey, text: str, account: str, chain_id: int = 31337, **options):
    return key.assert_challenge(message_hash(account, chain_id, digest_of(text)), **options)


def hexed(assertion) -> str:
    return "0x" + assertion.encoded().hex()


def key_of(key: Passkey) -> dict:
    return {"x": hex(key.x), "y": hex(key.y)}


def login_with(client, message: str, signature: str, key: Passkey | None):
    body = {"message": message, "signature": signature}
    if key is not None:
        body["passkey"] = key_of(key)
    return client.post("/api/v1/vault/siwe/login", json=body)


class _Address:
    def __init__(self, address: str):
        self.address = address


def test_an_account_not_yet_created_signs_in_with_its_key(factory_vault, chain):
    client, factory = factory_vault
    phone = Passkey(seed=0xC0F1)
    account = factory.account_address(*phone.public_key)
    assert chain.provider.get_code(account) == b""
    offer = request_nonce(client, _Address(account))
    answer = login_with(client, offer["message"], hexed(signed(phone, offer["message"], account)), phone)
    assert answer.status_code == 200, answer.text
    assert answer.json()["address"] == account.lower()
    session = {"Authorization": f"Bearer {answer.json()['token']}"}
    assert client.get("/api/v1/vault/session", headers=session).json()["address"] == account.lower()
    # Replayed: the nonce is spent.
    again = login_with(client, offer["message"], hexed(signed(phone, offer["message"], account)), phone)
    assert again.status_code == 401 and "already used" in again.json()["detail"]


def test_without_the_key_an_account_not_on_the_chain_is_told_what_is_needed(factory_vault):
    client, factory = factory_vault
    phone = Passkey(seed=0xC0F2)
    account = factory.account_address(*phone.public_key)
    offer = request_nonce(client, _Address(account))
    answer = login_with(client, offer["message"], hexed(signed(phone, offer["message"], account)), None)
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert "not on the chain yet" in detail and "public key" in detail, detail


def test_another_key_another_passkey_or_another_message_is_refused(factory_vault, chain):
    client, factory = factory_vault
    phone, thief = Passkey(seed=0xC0F3), Passkey(seed=0xBAD1)
    account = factory.account_address(*phone.public_key)

    def refused(message, assertion, key, words):
        answer = login_with(client, message, hexed(assertion), key)
        assert answer.status_code == 401 and words in answer.json()["detail"], answer.text

    # The thief's own key, its own valid assertion for the victim's address: the factory
    # puts the thief's key elsewhere.
    offer = request_nonce(client, _Address(account))
    refused(offer["message"], signed(thief, offer["message"], account), thief, "derives another account")
    # The victim's key sent, the thief's valid assertion: not by the key sent.
    offer = request_nonce(client, _Address(account))
    refused(offer["message"], signed(thief, offer["message"], account), phone, "not by the passkey sent")
    # The thief's signature with the victim's key written into the assertion: does not verify.
    offer = request_nonce(client, _Address(account))
    forged = signed(thief, offer["message"], account).but(x=phone.x, y=phone.y)
    refused(offer["message"], forged, phone, "passkey: invalid signature")
    # The victim's real signature of another message (another nonce), and one made for
    # another account's domain: the challenge is not this message's for this account.
    offer = request_nonce(client, _Address(account))
    other = request_nonce(client, _Address(account))["message"]
    refused(offer["message"], signed(phone, other, account), phone, "passkey: wrong challenge")
    offer = request_nonce(client, _Address(account))
    elsewhere = factory.account_address(*thief.public_key)
    refused(offer["message"], signed(phone, offer["message"], elsewhere), phone, "passkey: wrong challenge")
    offer = request_nonce(client, _Address(account))
    refused(offer["message"], signed(phone, offer["message"], account, chain_id=1), phone, "passkey: wrong challenge")
    # No user verification, and the high s of the pair.
    offer = request_nonce(client, _Address(account))
    refused(offer["message"], signed(phone, offer["message"], account, flags=FLAG_UP), phone,
            "passkey: user not verified")
    offer = request_nonce(client, _Address(account))
    refused(offer["message"], signed(phone, offer["message"], account, low_s=False), phone, "passkey: high s")
    # Not an ABI-encoded assertion at all.
    offer = request_nonce(client, _Address(account))
    answer = login_with(client, offer["message"], "0x" + "ab" * 96, phone)
    assert answer.status_code == 401 and "not a passkey account's" in answer.json()["detail"]
    assert chain.provider.get_code(account) == b""


def test_a_vault_that_knows_no_factory_refuses(client, chain):
    """The default test manifest names no PasskeyAccountFactory: nothing derives the address."""
    phone = Passkey(seed=0xC0F4)
    account = to_checksum_address(keccak(text="no factory")[12:])
    offer = request_nonce(client, _Address(account))
    answer = login_with(client, offer["message"], hexed(signed(phone, offer["message"], account)), phone)
    assert answer.status_code == 401 and "knows no passkey account factory" in answer.json()["detail"]


def test_a_created_account_is_asked_on_the_chain_whatever_key_is_sent(factory_vault, project, chain, accounts):
    """Once the account exists, its own isValidSignature decides: a phone added later (whose
    key the factory maps elsewhere) signs in, and a key sent with the thief's signature
    changes nothing."""
    client, factory = factory_vault
    relayer = accounts[8]
    phone, new_phone, thief = Passkey(seed=0xC0F5), Passkey(seed=0xC0F6), Passkey(seed=0xBAD2)
    factory.create_account(*phone.public_key, sender=relayer)
    account = project.PasskeyAccount.at(factory.account_address(*phone.public_key))
    account.execute(*sign_call(account, phone, chain.chain_id, account,
                               data=account.add_passkey.encode_input(*new_phone.public_key)), sender=relayer)
    offer = request_nonce(client, account)
    by_new_phone = hexed(signed(new_phone, offer["message"], account.address))
    answer = login_with(client, offer["message"], by_new_phone, new_phone)
    assert answer.status_code == 200, answer.text
    offer = request_nonce(client, account)
    answer = login_with(client, offer["message"], hexed(signed(thief, offer["message"], account.address)), thief)
    assert answer.status_code == 401 and "EIP-1271" in answer.json()["detail"]


def test_the_off_chain_check_judges_as_the_account_will(project, chain, committee, accounts):
    """Assertions judged off the chain before the account exists, then by the account's
    own isValidSignature after the factory created it: the same verdict for each."""
    factory = deploy_passkeys(project, chain, committee)["PasskeyAccountFactory"]
    phone, thief = Passkey(seed=0xC0F7), Passkey(seed=0xBAD3)
    address = factory.account_address(*phone.public_key)
    digest = digest_of("Sign in to the Linli vault")
    good = signed(phone, "Sign in to the Linli vault", address, chain_id=chain.chain_id)
    cases = {
        "valid": good,
        "another message": signed(phone, "something else", address, chain_id=chain.chain_id),
        "no user verification": signed(phone, "Sign in to the Linli vault", address, chain_id=chain.chain_id,
                                       flags=FLAG_UP),
        "high s": good.but(s=N - good.s),
        "forged key": signed(thief, "Sign in to the Linli vault", address, chain_id=chain.chain_id).but(
            x=phone.x, y=phone.y),
        "tampered authenticator data": good.but(authenticator_data=good.authenticator_data[:-1] + b"\x09"),
        "challenge elsewhere": good.but(challenge_index=good.challenge_index + 1),
        "not a get": signed(phone, "Sign in to the Linli vault", address, chain_id=chain.chain_id,
                            type_="webauthn.create"),
        "r zero": good.but(r=0),
    }
    off_chain = {name: passkey_signature.rule_broken(address, chain.chain_id, digest, a) for name, a in cases.items()}
    assert off_chain["valid"] is None and all(off_chain[name] for name in cases if name != "valid"), off_chain
    factory.create_account(*phone.public_key, sender=accounts[8])
    account = project.PasskeyAccount.at(address)
    for name, assertion in cases.items():
        try:
            on_chain = bytes(account.isValidSignature(digest, assertion.encoded())) == MAGIC
        except Exception:  # a malformed assertion reverts with its reason
            on_chain = False
        assert on_chain == (off_chain[name] is None), name
