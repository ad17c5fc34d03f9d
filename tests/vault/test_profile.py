"""A resident's own data: write, read, erase, bounds; encrypted at rest (the database
holds none of the values), bound to its row, keys rotate."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from backend.core.config import Settings
from backend.vault.crypto import DecryptionError, KeyRing, Sealed, VaultKeyError, associated_data, key_id, \
    load_keyring, parse_key
from backend.vault.models import metadata, profile_fields
from backend.vault.store import read_fields, rotate

PROFILE = {
    "name": "张三丰 Zhang Sanfeng",
    "phone": "+86 138 0013 8000",
    "email": "sanfeng.zhang@example.cn",
    "address": "上海市虹口区四川北路 1888 号",
    "id_number": "11010119900307451X",
    "identity_salt": "0x" + "ab" * 16,
}


def test_own_write_and_read(client, base, signed_in, owner_a):
    headers = signed_in(owner_a)
    assert client.get(f"{base}/profile", headers=headers).json()["fields"] == {}
    response = client.put(f"{base}/profile", json=PROFILE, headers=headers)
    assert response.status_code == 200, response.text
    own = client.get(f"{base}/profile", headers=headers).json()
    assert own["fields"] == PROFILE and own["unreadable"] == [] and own["access_log"] == []
    assert own["resident"] == owner_a.address.lower()
    # A partial update changes only what it names; null erases one field.
    client.put(f"{base}/profile", json={"phone": "021-6543 2100", "email": None}, headers=headers)
    fields = client.get(f"{base}/profile", headers=headers).json()["fields"]
    assert fields["phone"] == "021-6543 2100" and "email" not in fields and fields["name"] == PROFILE["name"]
    assert client.delete(f"{base}/profile", headers=headers).status_code == 204
    assert client.get(f"{base}/profile", headers=headers).json()["fields"] == {}


def test_each_resident_sees_only_their_own(client, base, signed_in, owner_a, owner_b):
    client.put(f"{base}/profile", json={"phone": "13800000001"}, headers=signed_in(owner_a))
    client.put(f"{base}/profile", json={"phone": "13800000002"}, headers=signed_in(owner_b))
    assert client.get(f"{base}/profile", headers=signed_in(owner_a)).json()["fields"] == {"phone": "13800000001"}
    assert client.get(f"{base}/profile", headers=signed_in(owner_b)).json()["fields"] == {"phone": "13800000002"}


def test_only_members_write(client, base, signed_in, attacker, merchant, tenant):
    for outsider in (attacker, merchant):
        response = client.put(f"{base}/profile", json={"phone": "13800138000"}, headers=signed_in(outsider))
        assert response.status_code == 403 and "owner or linked resident" in response.json()["detail"]
    # A linked resident (tenant) is a member.
    assert client.put(f"{base}/profile", json={"name": "李四"}, headers=signed_in(tenant)).status_code == 200


def test_unknown_community(client, signed_in, owner_a):
    other = "0x" + "12" * 20
    response = client.get(f"/api/v1/vault/communities/{other}/profile", headers=signed_in(owner_a))
    assert response.status_code == 404 and "not served" in response.json()["detail"]


@pytest.mark.parametrize("body,field", [
    ({"phone": "call me"}, "phone"),
    ({"phone": "1" * 40}, "phone"),
    ({"email": "not-an-email"}, "email"),
    ({"name": ""}, "name"),
    ({"name": "x" * 65}, "name"),
    ({"name": "line\nbreak"}, "name"),
    ({"address": "a" * 201}, "address"),
    ({"id_number": "11010119900307451X; drop"}, "id_number"),
    ({"identity_salt": "0x1234"}, "identity_salt"),
    ({"favourite_colour": "blue"}, "favourite_colour"),
    ({"phone": 13800138000}, "phone"),
])
def test_profile_bounds(client, base, signed_in, owner_a, body, field):
    response = client.put(f"{base}/profile", json=body, headers=signed_in(owner_a))
    assert response.status_code == 422, response.text
    assert field in {str(part) for error in response.json()["detail"] for part in error["loc"]}


def test_a_lone_surrogate_is_a_422_not_a_500(client, base, signed_in, owner_a):
    # Raw JSON "\ud800": the 422 echoes the input, which once failed to encode (a 500).
    headers = {**signed_in(owner_a), "content-type": "application/json"}
    response = client.put(f"{base}/profile", content=b'{"name": "\\ud800"}', headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


def test_empty_update_and_bad_paths(client, base, signed_in, owner_a):
    headers = signed_in(owner_a)
    assert client.put(f"{base}/profile", json={}, headers=headers).status_code == 422
    assert client.get("/api/v1/vault/communities/0x123/profile", headers=headers).status_code == 422
    response = client.get(f"{base}/profile", params={"log_limit": 501}, headers=headers)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "log_limit"]


def _database_bytes(kind: str, url: str, engine) -> bytes:
    """Everything the vault database holds: the SQLite files' bytes, or every PostgreSQL row."""
    if kind == "sqlite":
        path = Path(url.split("///", 1)[1])
        files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
        assert path in files
        return b"".join(p.read_bytes() for p in files)
    chunks = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    chunks.append(bytes(value) if isinstance(value, (bytes, memoryview)) else str(value).encode())
        # Alembic's table too: nothing of a resident belongs there either.
        chunks += [str(v).encode() for v in conn.execute(text("SELECT * FROM vault_alembic_version")).scalars()]
    return b"\x00".join(chunks)


def test_the_database_holds_no_plaintext(client, base, signed_in, owner_a, vault_app, vault_db, consent, chain,
                                         provider):
    from tests.vault.conftest import grant

    headers = signed_in(owner_a)
    assert client.put(f"{base}/profile", json=PROFILE, headers=headers).status_code == 200
    purpose = "上门维修热水器 request 12"
    grant(consent, chain, owner_a, provider, "contact")
    read = client.post(f"{base}/residents/{owner_a.address.lower()}/reads", json={"scope": "contact",
                       "purpose": purpose}, headers=signed_in(provider))
    assert read.status_code == 200, read.text
    vault = vault_app.state.vault
    contents = _database_bytes(*vault_db, vault.engine)
    # Positive control: what is stored in clear (addresses, the log's tx hash) is found, so the
    # search does see the rows (also while they sit in SQLite's write-ahead log).
    assert owner_a.address.lower().encode() in contents and read.json()["tx_hash"].encode() in contents
    for value in (*PROFILE.values(), purpose):
        for encoded in (value.encode(), value.upper().encode(), value.lower().encode()):
            assert encoded not in contents, f"plaintext {value!r} found in the vault database"
    salt_bytes = bytes.fromhex(PROFILE["identity_salt"][2:])
    assert salt_bytes not in contents
    # The rows are there, as ciphertext under the configured key.
    with vault.engine.connect() as conn:
        rows = conn.execute(select(profile_fields)).mappings().all()
    assert {row["field"] for row in rows} == set(PROFILE)
    assert {row["key_id"] for row in rows} == {vault.keys.current_id}
    assert len({bytes(row["nonce"]) for row in rows}) == len(rows)


def test_ciphertext_moved_to_another_resident_does_not_decrypt(client, base, signed_in, owner_a, owner_b, vault_app,
                                                               community_key):
    client.put(f"{base}/profile", json={"phone": "13800000001"}, headers=signed_in(owner_a))
    client.put(f"{base}/profile", json={"phone": "13800000002", "name": "王五"}, headers=signed_in(owner_b))
    vault = vault_app.state.vault
    a, b = owner_a.address.lower(), owner_b.address.lower()
    with vault.engine.begin() as conn:
        stolen = conn.execute(select(profile_fields).where(profile_fields.c.resident == a,
                                                           profile_fields.c.field == "phone")).mappings().one()
        conn.execute(update(profile_fields).where(profile_fields.c.resident == b, profile_fields.c.field == "phone")
                     .values(key_id=stolen["key_id"], nonce=stolen["nonce"], ciphertext=stolen["ciphertext"]))
        # Also into another field of the same resident: the field name is bound too.
        conn.execute(update(profile_fields).where(profile_fields.c.resident == a, profile_fields.c.field == "phone")
                     .values(field="name"))
    own_b = client.get(f"{base}/profile", headers=signed_in(owner_b)).json()
    assert own_b["fields"] == {"name": "王五"} and own_b["unreadable"] == ["phone"]
    own_a = client.get(f"{base}/profile", headers=signed_in(owner_a)).json()
    assert own_a["fields"] == {} and own_a["unreadable"] == ["name"]
    with vault.engine.connect() as conn:
        with pytest.raises(DecryptionError):
            vault.keys.open(Sealed(stolen["key_id"], bytes(stolen["nonce"]), bytes(stolen["ciphertext"])),
                            associated_data(community_key, b, "phone"))
        assert read_fields(conn, vault.keys, community_key, b).unreadable == ["phone"]


def test_rotate_key(client, base, signed_in, owner_a, owner_b, vault_app, vault_settings, community_key):
    from backend.vault.__main__ import main

    client.put(f"{base}/profile", json=PROFILE, headers=signed_in(owner_a))
    client.put(f"{base}/profile", json={"phone": "13800000002"}, headers=signed_in(owner_b))
    old = vault_app.state.vault.keys
    new_key = base64.b64encode(secrets.token_bytes(32)).decode()
    url = vault_settings.vault_database_url
    env = {"LINLI_VAULT_DATABASE_URL": url, "LINLI_VAULT_KEY": new_key, "LINLI_ENVIRONMENT": "test"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        # Without the old key the rotation refuses and changes nothing.
        assert main(["rotate-key"]) == 2
        patch.setenv("LINLI_VAULT_PREVIOUS_KEYS", f'["{vault_settings.vault_key.get_secret_value()}"]')
        assert main(["rotate-key"]) == 0
        assert main(["rotate-key"]) == 0  # nothing left to move
    new_only = KeyRing(parse_key(new_key))
    engine = vault_app.state.vault.engine
    with engine.connect() as conn:
        assert {r for r in conn.execute(select(profile_fields.c.key_id)).scalars()} == {new_only.current_id}
        assert read_fields(conn, new_only, community_key, owner_a.address.lower()).values == PROFILE
        assert read_fields(conn, old, community_key, owner_a.address.lower()).unreadable == sorted(PROFILE)
    with engine.begin() as conn:
        assert rotate(conn, new_only) == 0


def test_key_parsing_and_ids():
    raw = secrets.token_bytes(32)
    assert parse_key(raw.hex()) == parse_key("0x" + raw.hex()) == parse_key(base64.b64encode(raw).decode()) == raw
    assert parse_key(base64.urlsafe_b64encode(raw).decode()) == raw
    for bad in ("", "00" * 31, base64.b64encode(raw[:16]).decode(), "not a key"):
        with pytest.raises(VaultKeyError):
            parse_key(bad)
    assert key_id(raw) != key_id(secrets.token_bytes(32)) and raw.hex()[:16] != key_id(raw)


def test_development_key_generated_once_with_0600(tmp_path):
    path = tmp_path / "dot-linli" / "vault.key"
    settings = Settings(environment="development", vault_key_file=path)
    with pytest.warns(UserWarning, match="generated a development vault key"):
        first = load_keyring(settings)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_keyring(settings).current_id == first.current_id
    path.chmod(0o644)
    with pytest.raises(VaultKeyError, match="readable by others"):
        load_keyring(settings)


def test_a_generated_key_only_for_communities_on_a_local_chain(tmp_path):
    """A generated key file is for a demo: a vault serving a community on any other chain
    needs LINLI_VAULT_KEY, whatever the environment says (issue 17, item 5)."""
    settings = Settings(environment="development", vault_key_file=tmp_path / "vault.key")
    with pytest.raises(VaultKeyError, match="chain 4242"):
        load_keyring(settings, [31337, 4242])
    assert not (tmp_path / "vault.key").exists()
    with pytest.warns(UserWarning, match="generated a development vault key"):
        load_keyring(settings, [31337, 1337])
    with pytest.raises(VaultKeyError, match="chain 4242"):
        load_keyring(settings, [4242])  # not even the key file made for the demo
    given = Settings(environment="development", vault_key="00" * 32)
    assert load_keyring(given, [4242]).current_id


def test_production_refuses_without_keys():
    # (the relayer is off here: its key is tested in tests/backend/test_api_relayer.py)
    base = {"environment": "production", "cors_origins": ["https://linli.example"], "relayer_enabled": False}
    with pytest.raises(ValueError, match="LINLI_VAULT_KEY"):
        Settings(**base, vault_logger_key="0x" + "11" * 32)
    with pytest.raises(ValueError, match="LINLI_VAULT_LOGGER_KEY"):
        Settings(**base, vault_key="00" * 32)
    Settings(**base, vault_key="00" * 32, vault_logger_key="0x" + "11" * 32)
    # A process that serves no vault (the indexer) needs neither.
    Settings(**base, vault_enabled=False)
    # With both services on, production names every key.
    Settings(**{**base, "relayer_enabled": True}, vault_key="00" * 32, vault_logger_key="0x" + "11" * 32,
             relayer_key="0x" + "42" * 32)


def test_index_api_without_the_vault(tmp_path):
    from fastapi.testclient import TestClient

    from backend.api.main import create_app

    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'index.db'}", vault_enabled=False)
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/api/v1/vault/scopes").status_code == 404
    app.state.engine.dispose()
