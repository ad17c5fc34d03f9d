"""Sign-In with Ethereum: no read without a session; nonces single use, bound and
expiring; domain, URI, chain id, expiration and not-before checked; sessions expire
and end at logout; sign-in rate-limited."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta, timezone

import pytest
from eth_utils import keccak
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deploy_passkeys import deploy_passkeys
from backend.vault.service import Vault
from tests.utils.webauthn import Passkey, message_hash
from tests.vault.conftest import SIWE_DOMAIN, SIWE_URI, login, request_nonce, sign, sign_in

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from siwe import SiweMessage


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def build_message(account, nonce: str, **overrides) -> str:
    now = datetime.now(timezone.utc)
    fields = dict(domain=SIWE_DOMAIN, address=account.address, statement="Sign in", uri=SIWE_URI, version="1",
                  chain_id=31337, nonce=nonce, issued_at=_iso(now), expiration_time=_iso(now + timedelta(minutes=10)))
    fields.update(overrides)
    return SiweMessage(**fields).prepare_message()


def test_every_private_route_needs_a_session(client, base, owner_a):
    resident = owner_a.address.lower()
    calls = [
        ("GET", f"{base}/profile", None),
        ("PUT", f"{base}/profile", {"phone": "13800138000"}),
        ("DELETE", f"{base}/profile", None),
        ("GET", f"{base}/profile/access-log", None),
        ("POST", f"{base}/residents/{resident}/reads", {"scope": "phone", "purpose": "call"}),
        ("GET", f"{base}/residents/{resident}/commitment", None),
        ("GET", "/api/v1/vault/session", None),
        ("POST", "/api/v1/vault/siwe/logout", None),
    ]
    for headers in (None, {"Authorization": "Bearer " + "x" * 43}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer short"}):
        for method, url, body in calls:
            response = client.request(method, url, json=body, headers=headers)
            assert response.status_code == 401, (method, url, headers, response.text)
            assert response.headers["www-authenticate"] == "Bearer"


def test_sign_in_session_and_logout(client, owner_a, clock, vault_settings):
    offer = request_nonce(client, owner_a)
    assert (offer["domain"], offer["uri"], offer["chain_id"]) == (SIWE_DOMAIN, SIWE_URI, 31337)
    assert offer["nonce"] in offer["message"] and owner_a.address in offer["message"]
    response = login(client, offer["message"], sign(owner_a, offer["message"]))
    assert response.status_code == 200, response.text
    session = response.json()
    assert session["address"] == owner_a.address.lower() and session["token_type"] == "bearer"
    # The session lasts the session lifetime (an hour), not the message's expiry (the
    # nonce's five minutes, which only bounds when the message may be used to sign in).
    assert session["expires_at"] > offer["expires_at"]
    assert abs(session["expires_at"] - (clock() + vault_settings.vault_session_lifetime_s)) <= 5
    headers = {"Authorization": f"Bearer {session['token']}"}
    assert client.get("/api/v1/vault/session", headers=headers).json()["address"] == owner_a.address.lower()
    assert client.post("/api/v1/vault/siwe/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/vault/session", headers=headers).status_code == 401


def test_the_database_keeps_only_the_token_hash(client, vault_app, owner_a):
    from sqlalchemy import select

    from backend.vault.models import sessions

    headers = sign_in(client, owner_a)
    token = headers["Authorization"].split()[1]
    with vault_app.state.vault.engine.connect() as conn:
        stored = [row.token_hash for row in conn.execute(select(sessions))]
    assert len(stored) == 1 and token not in stored[0]


def test_session_expires(client, clock, owner_a, vault_settings):
    headers = sign_in(client, owner_a)
    assert client.get("/api/v1/vault/session", headers=headers).status_code == 200
    # Past the message's expiry (the nonce lifetime) the session still serves...
    clock.offset += vault_settings.vault_nonce_lifetime_s + 60
    assert client.get("/api/v1/vault/session", headers=headers).status_code == 200
    # ...until the session lifetime is over.
    clock.offset = vault_settings.vault_session_lifetime_s + 1
    response = client.get("/api/v1/vault/session", headers=headers)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_replayed_nonce_refused(client, owner_a):
    offer = request_nonce(client, owner_a)
    signature = sign(owner_a, offer["message"])
    assert login(client, offer["message"], signature).status_code == 200
    replay = login(client, offer["message"], signature)
    assert replay.status_code == 401 and "already used" in replay.json()["detail"]


def test_a_failed_login_still_uses_up_the_nonce(client, owner_a, owner_b):
    offer = request_nonce(client, owner_a)
    bad = login(client, offer["message"], sign(owner_b, offer["message"]))
    assert bad.status_code == 401 and "signature" in bad.json()["detail"]
    again = login(client, offer["message"], sign(owner_a, offer["message"]))
    assert again.status_code == 401 and "already used" in again.json()["detail"]


def test_unknown_nonce_refused(client, owner_a):
    message = build_message(owner_a, "NeverIssued12345")
    response = login(client, message, sign(owner_a, message))
    assert response.status_code == 401 and "unknown nonce" in response.json()["detail"]


def test_nonce_expires(client, clock, owner_a, vault_settings):
    offer = request_nonce(client, owner_a)
    clock.offset += vault_settings.vault_nonce_lifetime_s + 1
    message = build_message(owner_a, offer["nonce"], issued_at=_iso(datetime.now(timezone.utc) + timedelta(
        seconds=clock.offset)), expiration_time=None)
    response = login(client, message, sign(owner_a, message))
    assert response.status_code == 401 and "nonce has expired" in response.json()["detail"]


def test_nonce_bound_to_its_address(client, owner_a, owner_b):
    offer = request_nonce(client, owner_a)
    message = build_message(owner_b, offer["nonce"])
    response = login(client, message, sign(owner_b, message))
    assert response.status_code == 401 and "another address" in response.json()["detail"]


@pytest.mark.parametrize("overrides,reason", [
    ({"domain": "evil.example"}, "domain"),
    ({"uri": "https://evil.example/"}, "URI"),
    ({"chain_id": 1}, "chain 1"),
    ({"expiration_time": "2020-01-01T00:00:00Z", "issued_at": "2019-12-31T00:00:00Z"}, "expired"),
    ({"not_before": "2999-01-01T00:00:00Z"}, "not valid yet"),
    ({"issued_at": "2999-01-01T00:00:00Z", "expiration_time": None}, "issued in the future"),
])
def test_message_checks(client, owner_a, overrides, reason):
    offer = request_nonce(client, owner_a)
    message = build_message(owner_a, offer["nonce"], **overrides)
    response = login(client, message, sign(owner_a, message))
    assert response.status_code == 401, response.text
    assert reason in response.json()["detail"]


def test_login_input_validated(client, owner_a):
    offer = request_nonce(client, owner_a)
    good_signature = sign(owner_a, offer["message"])
    cases = [
        ({"message": "hello", "signature": good_signature}, "message"),
        ({"message": offer["message"], "signature": "0x1234"}, "signature"),
        ({"message": "x" * 5000, "signature": good_signature}, "message"),
        ({"message": offer["message"]}, "signature"),
        ({"message": offer["message"], "signature": good_signature, "extra": 1}, "extra"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/vault/siwe/login", json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in {str(part) for error in response.json()["detail"] for part in error["loc"]}
    response = client.post("/api/v1/vault/siwe/nonce", json={"address": "0x1234"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "address"]
    # The nonce survived the malformed attempts: the real login still works.
    assert login(client, offer["message"], good_signature).status_code == 200


def test_sign_in_rate_limited_per_client(vault_settings, clock, owner_a, owner_b):
    settings = vault_settings.model_copy(update={"vault_login_rate_per_minute": 3})
    app = create_app(settings)
    app.state.vault = Vault(settings, clock=clock)
    try:
        with TestClient(app) as client:
            for _ in range(3):
                assert client.post("/api/v1/vault/siwe/nonce", json={"address": owner_a.address}).status_code == 200
            refused = client.post("/api/v1/vault/siwe/nonce", json={"address": owner_a.address})
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
            # The client's IP is over its limit, whichever address it names.
            assert client.post("/api/v1/vault/siwe/nonce", json={"address": owner_b.address}).status_code == 429
    finally:
        app.state.vault.close()
        app.state.engine.dispose()


def test_nonce_requests_naming_a_wallet_do_not_lock_its_owner_out(vault_settings, clock, owner_a):
    """Twenty nonce requests naming a wallet used to lock its owner out of signing in for a
    minute: a nonce request proves nothing about the wallet it names, so it counts against
    the client only; a wallet's own limit counts sign-ins its signature proved."""
    settings = vault_settings.model_copy(update={"vault_login_rate_per_minute": 3})
    app = create_app(settings)
    app.state.vault = Vault(settings, clock=clock)

    def from_address(ip: str) -> TestClient:
        return TestClient(app, client=(ip, 40000))

    try:
        attacker = from_address("198.51.100.66")
        for _ in range(3):
            assert attacker.post("/api/v1/vault/siwe/nonce", json={"address": owner_a.address}).status_code == 200
        assert attacker.post("/api/v1/vault/siwe/nonce", json={"address": owner_a.address}).status_code == 429
        # Logins with a wrong signature for the owner's messages do not count against the owner either.
        for k in range(3):
            forger = from_address(f"198.51.100.{70 + k}")
            offer = request_nonce(forger, owner_a)
            bad = login(forger, offer["message"], "0x" + "11" * 64 + "1b")
            assert bad.status_code == 401
        # The owner, from their own address, signs in.
        owner = from_address("203.0.113.5")
        assert sign_in(owner, owner_a)["Authorization"].startswith("Bearer ")
        # Proven sign-ins of one wallet are limited, from whatever address.
        for k in range(2):
            sign_in(from_address(f"203.0.113.{10 + k}"), owner_a)
        other = from_address("203.0.113.20")
        offer = request_nonce(other, owner_a)
        refused = login(other, offer["message"], sign(owner_a, offer["message"]))
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert "this wallet" in refused.json()["detail"]
    finally:
        app.state.vault.close()
        app.state.engine.dispose()


def test_sign_in_in_chinese(client, owner_a):
    """The message's statement, the line the wallet shows in words, comes in the page's
    language; the rest stays EIP-4361's fields, so the vault checks them as before."""
    from backend.vault.siwe_auth import STATEMENTS

    offer = client.post("/api/v1/vault/siwe/nonce", json={"address": owner_a.address, "language": "zh"}).json()
    assert offer["statement"] == STATEMENTS["zh"] and f"\n\n{STATEMENTS['zh']}\n\n" in offer["message"]
    assert offer["message"].startswith(f"{SIWE_DOMAIN} wants you to sign in with your Ethereum account:\n"
                                       f"{owner_a.address}\n")
    response = login(client, offer["message"], sign(owner_a, offer["message"]))
    assert response.status_code == 200, response.text
    english = request_nonce(client, owner_a)
    assert english["statement"] == STATEMENTS["en"] and STATEMENTS["en"] in english["message"]
    assert client.post("/api/v1/vault/siwe/nonce", json={"address": owner_a.address, "language": "fr"}
                       ).status_code == 422
    # Any other non-ASCII statement is not an EIP-4361 message: refused before its signature is looked at.
    offer = request_nonce(client, owner_a)
    forged = offer["message"].replace(STATEMENTS["en"], "登录并授权转移全部资产")
    refused = login(client, forged, sign(owner_a, forged))
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "message"]


def test_scopes_are_public(client):
    from eth_utils import keccak

    scopes = {s["scope"]: s for s in client.get("/api/v1/vault/scopes").json()}
    assert scopes["phone"]["scope_id"] == "0x" + keccak(text="phone").hex()
    assert scopes["contact"]["fields"] == ["name", "phone"]
    assert not any("identity_salt" in s["fields"] for s in scopes.values())


def test_a_passkey_account_signs_in_by_eip1271(client, project, chain, committee, accounts, owner_a):
    """A resident signed in by passkey has no key for personal_sign: their account (a
    contract) signs the message by its phone's WebAuthn assertion over the message's
    EIP-191 hash, and the vault asks the account (isValidSignature) on the chain. Another
    passkey's assertion, an assertion of another message, and one of a message for
    another account are refused; the session is the account's."""
    stack = deploy_passkeys(project, chain, committee)
    factory, relayer = stack["PasskeyAccountFactory"], accounts[8]
    phone, stranger = Passkey(seed=0x5151), Passkey(seed=0x5252)
    factory.create_account(*phone.public_key, sender=relayer)
    account = project.PasskeyAccount.at(factory.account_address(*phone.public_key))

    def passkey_signature(key: Passkey, text: str, signer: str = account.address) -> str:
        body = text.encode()
        digest = keccak(b"\x19Ethereum Signed Message:\n" + str(len(body)).encode() + body)  # EIP-191
        return "0x" + key.assert_challenge(message_hash(signer, chain.chain_id, digest)).encoded().hex()

    offer = request_nonce(client, account)
    refused = login(client, offer["message"], passkey_signature(stranger, offer["message"]))
    assert refused.status_code == 401 and "signature" in refused.json()["detail"]
    offer = request_nonce(client, account)
    other = request_nonce(client, account)["message"]
    assert login(client, offer["message"], passkey_signature(phone, other)).status_code == 401
    # owner_a's message signed by the passkey for the account: the address must be the signer.
    # owner_a's address has no code, so nothing answers for a contract signature there: the
    # vault asks for a passkey's key (it would then have to be the key the factory derives
    # owner_a's address from, tests/vault/test_siwe_counterfactual.py).
    theirs = request_nonce(client, owner_a)["message"]
    refused = login(client, theirs, passkey_signature(phone, theirs))
    assert refused.status_code == 400 and "not on the chain yet" in refused.json()["detail"]
    offer = request_nonce(client, account)
    answer = login(client, offer["message"], passkey_signature(phone, offer["message"]))
    assert answer.status_code == 200, answer.text
    assert answer.json()["address"] == account.address.lower()


def test_a_sign_in_names_the_origin_the_page_was_opened_at(vault_settings, clock, owner_a):
    """The vault serves the pages at its configured origin and at those it also lists: the
    message names the one the request came to (its Host), and a login for it is accepted;
    any other Host gets the configured origin, and a message naming an origin the vault
    does not list is refused."""
    also = "http://localhost:9911"
    with TestClient(create_app(vault_settings.model_copy(update={"vault_siwe_also": [also]}))) as client:
        nonce = "/api/v1/vault/siwe/nonce"
        offer = client.post(nonce, json={"address": owner_a.address}, headers={"host": "localhost:9911"}).json()
        assert (offer["domain"], offer["uri"]) == ("localhost:9911", also)
        assert offer["message"].startswith("localhost:9911 wants you to sign in")
        assert login(client, offer["message"], sign(owner_a, offer["message"])).status_code == 200
        offer = client.post(nonce, json={"address": owner_a.address}, headers={"host": "evil.example"}).json()
        assert (offer["domain"], offer["uri"]) == (SIWE_DOMAIN, SIWE_URI)
        offer = request_nonce(client, owner_a)
        forged = build_message(owner_a, offer["nonce"], domain="evil.example", uri="http://evil.example")
        refused = login(client, forged, sign(owner_a, forged))
        assert refused.status_code == 401 and "evil.example" in refused.json()["detail"]
