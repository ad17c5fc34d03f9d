"""A grantee's read: only under a live on-chain grant, only that scope, and only after
DataConsent has logged the access; every refusal is a 403 with nothing logged on chain
and nothing recorded as served."""

from __future__ import annotations

from eth_utils import keccak
from sqlalchemy import func, select

from backend.vault.fields import scope_id
from backend.vault.models import served_reads
from tests.vault.conftest import DAY, access_logs, grant

PROFILE = {"name": "张三丰", "phone": "+86 138 0013 8000", "email": "zsf@example.cn", "id_number": "11010119900307451X"}


def _setup(client, base, signed_in, resident):
    assert client.put(f"{base}/profile", json=PROFILE, headers=signed_in(resident)).status_code == 200


def _read(client, base, headers, resident, scope, purpose="call about request 12"):
    return client.post(f"{base}/residents/{resident.address.lower()}/reads", json={"scope": scope, "purpose": purpose},
                       headers=headers)


def _served_count(vault_app) -> int:
    with vault_app.state.vault.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(served_reads)).scalar_one()


def assert_refused(response, vault_app, consent, chain, from_block, reason):
    assert response.status_code == 403, response.text
    assert reason in response.json()["detail"]
    assert "fields" not in response.json()
    assert access_logs(consent, from_block, chain.blocks.head.number) == []
    assert _served_count(vault_app) == 0


def test_grantee_reads_only_the_granted_scope_after_the_chain_logged_it(client, base, signed_in, owner_a, provider,
                                                                         consent, chain, vault_app, logger_account):
    _setup(client, base, signed_in, owner_a)
    grant(consent, chain, owner_a, provider, "phone")
    start = chain.blocks.head.number
    purpose = "call about request 12"
    response = _read(client, base, signed_in(provider), owner_a, "phone", purpose)
    assert response.status_code == 200, response.text
    served = response.json()
    assert served["fields"] == {"phone": PROFILE["phone"]}  # nothing but the scope's field
    assert served["scope_id"] == "0x" + keccak(text="phone").hex()
    # The log is on chain, mined before the answer: decode it from its receipt.
    receipt = chain.provider.get_receipt(served["tx_hash"])
    assert receipt.block_number == served["block_number"] <= chain.blocks.head.number
    [logged] = receipt.decode_logs(consent.AccessLogged)
    assert (logged.resident, logged.grantee, logged.scope) == (owner_a.address, provider.address, scope_id("phone"))
    assert logged.purpose_hash == keccak(text=purpose) and "0x" + logged.purpose_hash.hex() == served["purpose_hash"]
    assert logged.logged_by == logger_account.address and logged.version == served["grant_version"] == 1
    assert receipt.sender == logger_account.address
    assert len(access_logs(consent, start, chain.blocks.head.number)) == 1
    # The resident's own view lists it: who, what, when, why, and the transaction.
    own = client.get(f"{base}/profile", headers=signed_in(owner_a)).json()
    [entry] = own["access_log"]
    assert entry["grantee"] == provider.address.lower() and entry["scope"] == "phone"
    assert entry["fields"] == ["phone"] and entry["purpose"] == purpose
    assert entry["tx_hash"] == served["tx_hash"] and entry["accessed_at"] == logged.accessed_at
    page = client.get(f"{base}/profile/access-log", headers=signed_in(owner_a)).json()
    assert page["items"] == own["access_log"] and page["next_cursor"] is None


def test_scope_by_id_and_bundles(client, base, signed_in, owner_a, manager, consent, chain):
    _setup(client, base, signed_in, owner_a)
    grant(consent, chain, owner_a, manager, "contact")
    response = _read(client, base, signed_in(manager), owner_a, "0x" + scope_id("contact").hex())
    assert response.status_code == 200, response.text
    assert response.json()["fields"] == {"name": PROFILE["name"], "phone": PROFILE["phone"]}
    assert response.json()["scope"] == "contact"


def test_every_served_read_has_its_log_on_chain(client, base, signed_in, owner_a, owner_b, provider, manager, consent,
                                                chain, vault_app):
    start = chain.blocks.head.number
    for resident in (owner_a, owner_b):
        _setup(client, base, signed_in, resident)
        grant(consent, chain, resident, provider, "phone")
        grant(consent, chain, resident, manager, "email")
    for grantee, scope in ((provider, "phone"), (manager, "email"), (provider, "email"), (manager, "phone")):
        for resident in (owner_a, owner_b):
            _read(client, base, signed_in(grantee), resident, scope)
    logs = {log.transaction_hash: log for log in access_logs(consent, start, chain.blocks.head.number)}
    with vault_app.state.vault.engine.connect() as conn:
        rows = conn.execute(select(served_reads)).mappings().all()
    assert len(rows) == 4  # the two granted pairs per resident; the crossed ones refused
    for row in rows:
        log = logs[row["tx_hash"]]
        assert (log.resident.lower(), log.grantee.lower(), log.scope) == (row["resident"], row["grantee"],
                                                                         scope_id(row["scope"]))
        assert "0x" + log.purpose_hash.hex() == row["purpose_hash"]
    assert len(logs) == len(rows)
    # owner_a's access log, one per page, newest first.
    headers, url, cursor, pages = signed_in(owner_a), f"{base}/profile/access-log", None, []
    while True:
        page = client.get(url, params={"limit": 1, **({"cursor": cursor} if cursor else {})}, headers=headers).json()
        pages += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [(e["grantee"], e["scope"]) for e in pages] == [(manager.address.lower(), "email"),
                                                           (provider.address.lower(), "phone")]


def test_local_default_logger_is_anvil_account_8(accounts):
    from backend.vault.chain import local_service_key
    from eth_account import Account

    assert Account.from_key(local_service_key()).address == accounts[8].address


def test_no_grant(client, base, signed_in, owner_a, provider, consent, chain, vault_app):
    _setup(client, base, signed_in, owner_a)
    start = chain.blocks.head.number
    assert_refused(_read(client, base, signed_in(provider), owner_a, "phone"), vault_app, consent, chain, start,
                   "no grant")


def test_another_scope(client, base, signed_in, owner_a, provider, consent, chain, vault_app):
    _setup(client, base, signed_in, owner_a)
    grant(consent, chain, owner_a, provider, "phone")
    start = chain.blocks.head.number
    for scope in ("id_number", "email", "contact"):
        assert_refused(_read(client, base, signed_in(provider), owner_a, scope), vault_app, consent, chain, start,
                       "no grant")


def test_another_grantee_or_resident(client, base, signed_in, owner_a, owner_b, provider, manager, attacker, consent,
                                     chain, vault_app):
    _setup(client, base, signed_in, owner_a)
    _setup(client, base, signed_in, owner_b)
    grant(consent, chain, owner_a, provider, "phone")
    start = chain.blocks.head.number
    for grantee in (manager, attacker, owner_b):
        assert_refused(_read(client, base, signed_in(grantee), owner_a, "phone"), vault_app, consent, chain, start,
                       "no grant")
    assert_refused(_read(client, base, signed_in(provider), owner_b, "phone"), vault_app, consent, chain, start,
                   "no grant")


def test_expired_grant(client, base, signed_in, owner_a, provider, consent, chain, vault_app):
    _setup(client, base, signed_in, owner_a)
    expiry = grant(consent, chain, owner_a, provider, "phone", days=1)
    headers = signed_in(provider)
    chain.pending_timestamp = expiry
    chain.mine()
    start = chain.blocks.head.number
    assert_refused(_read(client, base, headers, owner_a, "phone"), vault_app, consent, chain, start, "expired")


def test_revoked_grant(client, base, signed_in, owner_a, provider, consent, chain, vault_app):
    _setup(client, base, signed_in, owner_a)
    grant(consent, chain, owner_a, provider, "phone")
    headers = signed_in(provider)
    assert _read(client, base, headers, owner_a, "phone").status_code == 200
    consent.revoke(provider, scope_id("phone"), sender=owner_a)
    start = chain.blocks.head.number
    response = _read(client, base, headers, owner_a, "phone")
    assert response.status_code == 403 and "revoked" in response.json()["detail"]
    assert access_logs(consent, start, chain.blocks.head.number) == []
    assert _served_count(vault_app) == 1  # only the read before the revocation


def test_grantee_who_lost_the_role(client, base, signed_in, owner_a, provider, consent, chain, vault_app, registry,
                                   roles, committee):
    _setup(client, base, signed_in, owner_a)
    grant(consent, chain, owner_a, provider, "phone")
    registry.revokeRole(roles["provider"], provider, sender=committee)
    start = chain.blocks.head.number
    assert_refused(_read(client, base, signed_in(provider), owner_a, "phone"), vault_app, consent, chain, start,
                   "service role")


def test_the_contract_checks_too(client, base, signed_in, owner_a, provider, consent, chain, vault_app, committee,
                                 logger_account):
    """Without its logger role the vault cannot log, so it serves nothing, grant or not."""
    _setup(client, base, signed_in, owner_a)
    grant(consent, chain, owner_a, provider, "phone")
    consent.set_logger(logger_account, False, sender=committee)
    start = chain.blocks.head.number
    assert_refused(_read(client, base, signed_in(provider), owner_a, "phone"), vault_app, consent, chain, start,
                   "consent: grantee or logger only")


def test_revoked_between_the_view_and_the_log(client, base, signed_in, owner_a, provider, consent, chain, vault_app,
                                              monkeypatch):
    """The vault's view said live; the resident revokes before the log is mined: DataConsent refuses, nothing served."""
    _setup(client, base, signed_in, owner_a)
    grant(consent, chain, owner_a, provider, "phone")
    headers = signed_in(provider)
    vault_chain = vault_app.state.vault.chain
    real_refusal = vault_chain.grant_refusal

    def view_then_revoke(*args):
        answer = real_refusal(*args)
        consent.revoke(provider, scope_id("phone"), sender=owner_a)
        return answer

    monkeypatch.setattr(vault_chain, "grant_refusal", view_then_revoke)
    start = chain.blocks.head.number
    assert_refused(_read(client, base, headers, owner_a, "phone"), vault_app, consent, chain, start,
                   "consent: no live grant")


def test_nothing_to_serve_logs_nothing(client, base, signed_in, owner_a, provider, consent, chain, vault_app):
    client.put(f"{base}/profile", json={"name": "张三丰"}, headers=signed_in(owner_a))
    grant(consent, chain, owner_a, provider, "phone")
    start = chain.blocks.head.number
    response = _read(client, base, signed_in(provider), owner_a, "phone")
    assert response.status_code == 404 and "no data" in response.json()["detail"]
    assert access_logs(consent, start, chain.blocks.head.number) == []
    assert _served_count(vault_app) == 0


def test_tampered_field_is_not_served(client, base, signed_in, owner_a, provider, consent, chain, vault_app):
    from sqlalchemy import update

    from backend.vault.models import profile_fields

    _setup(client, base, signed_in, owner_a)
    grant(consent, chain, owner_a, provider, "phone")
    with vault_app.state.vault.engine.begin() as conn:
        conn.execute(update(profile_fields).where(profile_fields.c.field == "phone")
                     .values(ciphertext=b"\x00" * 40))
    start = chain.blocks.head.number
    response = _read(client, base, signed_in(provider), owner_a, "phone")
    assert response.status_code == 409 and "integrity" in response.json()["detail"]
    assert access_logs(consent, start, chain.blocks.head.number) == []
    assert _served_count(vault_app) == 0


def test_read_input_bounds(client, base, signed_in, owner_a, provider):
    headers = signed_in(provider)
    url = f"{base}/residents/{owner_a.address.lower()}/reads"
    for body, field in (({"scope": "salary", "purpose": "x"}, "scope"),
                        ({"scope": "identity_salt", "purpose": "x"}, "scope"),
                        ({"scope": "0x" + "11" * 32, "purpose": "x"}, "scope"),
                        ({"scope": "phone", "purpose": ""}, "purpose"),
                        ({"scope": "phone", "purpose": "p" * 201}, "purpose"),
                        ({"scope": "phone", "purpose": "a\tb"}, "purpose"),
                        ({"scope": "phone"}, "purpose")):
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", field]
    response = client.post(f"{base}/residents/0xnothex/reads", json={"scope": "phone", "purpose": "x"},
                           headers=headers)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["path", "resident"]


def test_node_down_is_a_503_and_serves_nothing(vault_settings, clock, owner_a, provider, consent, chain, base):
    from fastapi.testclient import TestClient

    from backend.api.main import create_app
    from backend.vault.service import Vault
    from tests.vault.conftest import sign_in

    grant(consent, chain, owner_a, provider, "phone")
    app = create_app(vault_settings)
    app.state.vault = Vault(vault_settings, clock=clock)
    try:
        with TestClient(app) as client:
            _setup(client, base, lambda who: sign_in(client, who), owner_a)
            headers = sign_in(client, provider)
            app.state.vault.chain.w3.provider.endpoint_uri = "http://127.0.0.1:9"  # nothing listens there
            response = _read(client, base, headers, owner_a, "phone")
            assert response.status_code == 503 and "node does not answer" in response.json()["detail"]
            assert "fields" not in response.json()
    finally:
        app.state.vault.close()
        app.state.engine.dispose()


def test_served_before_expiry_refused_after(client, base, signed_in, owner_a, provider, consent, chain):
    _setup(client, base, signed_in, owner_a)
    expiry = grant(consent, chain, owner_a, provider, "phone", days=1)
    headers = signed_in(provider)
    chain.pending_timestamp = expiry - 60
    chain.mine()
    assert _read(client, base, headers, owner_a, "phone").status_code == 200
    chain.pending_timestamp = expiry + DAY
    chain.mine()
    assert _read(client, base, headers, owner_a, "phone").status_code == 403


def _limited_app(vault_settings, clock, **limits):
    from backend.api.main import create_app
    from backend.vault.service import Vault

    settings = vault_settings.model_copy(update=limits)
    app = create_app(settings)
    app.state.vault = Vault(settings, clock=clock)
    return app


def test_a_grantees_reads_are_limited_and_a_refused_read_logs_nothing(vault_settings, clock, owner_a, owner_b,
                                                                      provider, consent, chain, base):
    """Each read is a log_access transaction the vault pays for and a line in the
    resident's access log: a grantee with a live grant could flood both. Reads are
    limited per grantee (a minute) and per grantee and resident (a day)."""
    from fastapi.testclient import TestClient

    from tests.vault.conftest import sign_in

    grant(consent, chain, owner_a, provider, "phone")
    grant(consent, chain, owner_b, provider, "phone")
    app = _limited_app(vault_settings, clock, vault_reads_per_grantee_per_minute=4,
                       vault_reads_per_resident_per_day=2)
    try:
        with TestClient(app) as client:
            for resident in (owner_a, owner_b):
                _setup(client, base, lambda who: sign_in(client, who), resident)
            headers = sign_in(client, provider)
            start = chain.blocks.head.number
            assert [_read(client, base, headers, owner_a, "phone").status_code for _ in range(2)] == [200, 200]
            refused = _read(client, base, headers, owner_a, "phone")
            assert refused.status_code == 429 and "of this resident's data a day" in refused.json()["detail"]
            assert int(refused.headers["retry-after"]) > 3600
            # Another resident's data, within the grantee's minute (its attempts all count: 4).
            assert _read(client, base, headers, owner_b, "phone").status_code == 200
            refused = _read(client, base, headers, owner_b, "phone")
            assert refused.status_code == 429 and "reads a minute" in refused.json()["detail"]
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            # Three served reads, three logs on chain: the refused ones sent nothing.
            assert len(access_logs(consent, start + 1, chain.blocks.head.number)) == 3
            own = client.get(f"{base}/profile", headers=sign_in(client, owner_a)).json()
            assert len(own["access_log"]) == 2
    finally:
        app.state.vault.close()
        app.state.engine.dispose()
