"""Vault fixtures: the populated community with DataConsent (the vault's own account as
logger) on the anvil Ape runs, the FastAPI app in-process with a fresh vault database
(SQLite, and PostgreSQL when LINLI_TEST_DATABASE_URL is set), and SIWE sign-in with
the test accounts' keys.

The vault's clock is the wall clock plus an offset the tests move, so session and
nonce expiry are tested without sleeping; grant expiry uses the chain's own time.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from dataclasses import replace

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deploy_consent import deploy_suggestions_and_consent
from backend.chain.deployment import manifest_dict
from backend.core.config import Settings
from backend.vault.db import VERSION_TABLE
from backend.vault.db import alembic_config as vault_alembic_config
from backend.vault.db import upgrade as vault_db_upgrade
from backend.vault.fields import scope_id
from backend.vault.service import Vault
from tests.utils.databases import fresh_postgresql, fresh_sqlite

PG_URL = os.environ.get("LINLI_TEST_DATABASE_URL")
DAY = 86400
SIWE_DOMAIN = "vault.linli.test"
SIWE_URI = "https://vault.linli.test/"

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="LINLI_TEST_DATABASE_URL not set (run scripts/ci_postgres.sh)"),
    ),
]


class Clock:
    """Wall-clock seconds plus an offset the tests move forward."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def fresh_vault_url(kind: str, tmp_path) -> str:
    """An empty vault database at the newest schema (tests/utils/databases.py)."""
    if kind == "sqlite":
        return fresh_sqlite(tmp_path / "vault" / "vault.db", vault_db_upgrade)
    return fresh_postgresql(PG_URL, VERSION_TABLE, vault_alembic_config, vault_db_upgrade)


@pytest.fixture(params=DATABASES)
def vault_db(request, tmp_path):
    return request.param, fresh_vault_url(request.param, tmp_path)


@pytest.fixture(scope="session")
def logger_account(accounts):
    """The vault's DataConsent logger: an account of its own (accounts[8] is the tests' attacker)."""
    return accounts.generate_test_account()


@pytest.fixture
def consent_community(project, chain, committee, populated, logger_account):
    committee.transfer(logger_account, 10**19)
    deployed = deploy_suggestions_and_consent(project, chain, committee, populated, vault_logger=logger_account)
    return replace(populated, extra={**populated.extra, **deployed})


@pytest.fixture
def consent(consent_community):
    return consent_community.extra["DataConsent"]


@pytest.fixture
def community_key(consent_community):
    return consent_community.registry.address.lower()


@pytest.fixture
def manifest_file(consent_community, tmp_path):
    path = tmp_path / "deployments" / "local-31337.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(manifest_dict(consent_community, "local")))
    return path


@pytest.fixture
def vault_key():
    return base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def vault_settings(vault_db, manifest_file, tmp_path, chain, logger_account, vault_key):
    return Settings(
        environment="test",
        database_url=f"sqlite:///{tmp_path / 'index.db'}",
        rpc_url=chain.provider.uri,
        vault_database_url=vault_db[1],
        vault_key=vault_key,
        vault_key_file=tmp_path / "unused.key",
        vault_logger_key=logger_account.private_key,
        vault_manifests=[manifest_file],
        vault_siwe_domain=SIWE_DOMAIN,
        vault_siwe_uri=SIWE_URI,
        vault_login_rate_per_minute=1000,
        vault_receipt_timeout_s=20,
    )


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def vault_app(vault_settings, clock):
    app = create_app(vault_settings)
    app.state.vault = Vault(vault_settings, clock=clock)
    yield app
    app.state.vault.close()
    app.state.engine.dispose()


@pytest.fixture
def client(vault_app):
    with TestClient(vault_app) as test_client:
        yield test_client


@pytest.fixture
def base(community_key):
    return f"/api/v1/vault/communities/{community_key}"


# ---------------------------------------------------------------- sign-in helpers


def sign(account, message: str) -> str:
    return Account.sign_message(encode_defunct(text=message), account.private_key).signature.to_0x_hex()


def request_nonce(client, account) -> dict:
    response = client.post("/api/v1/vault/siwe/nonce", json={"address": account.address})
    assert response.status_code == 200, response.text
    return response.json()


def login(client, message: str, signature: str):
    return client.post("/api/v1/vault/siwe/login", json={"message": message, "signature": signature})


def sign_in(client, account) -> dict:
    """Sign in with the server's prepared message; returns the Authorization header."""
    offer = request_nonce(client, account)
    response = login(client, offer["message"], sign(account, offer["message"]))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def signed_in(client):
    """Factory: the Authorization header of a fresh session for an account."""
    return lambda account: sign_in(client, account)


# ---------------------------------------------------------------- chain helpers


def access_logs(consent, from_block: int, to_block: int) -> list:
    """Every AccessLogged event DataConsent emitted in [from_block, to_block]."""
    return list(consent.AccessLogged.range(from_block, to_block + 1))


def grant(consent, chain, resident, grantee, scope: str, days: int = 7):
    expiry = chain.pending_timestamp + days * DAY
    consent.grant(grantee, scope_id(scope), expiry, b"\x00" * 32, sender=resident)
    return expiry
