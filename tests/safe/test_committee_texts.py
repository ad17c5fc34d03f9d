# SPDX-License-Identifier: AGPL-3.0-only
"""The committee's written reasons in the public text store (backend/texts), where the
committee role is a Safe: the Safe signs in nowhere, so its members publish the reason a
proposed action carries by hash (hiding a work, cancelling an activity, a dispute's
decision), each signed in with their own wallet (SIWE), admitted as a current owner of the
community's committee Safe (isOwner on chain, on each write). A wallet that is no owner
(nor member, nor manager) is refused, and so is a member the assembly removed from the Safe.
On SQLite and PostgreSQL (the vault database), against the real anvil."""

from __future__ import annotations

import base64
import json
import os
import secrets
from hashlib import sha256

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import role_id
from backend.chain.safe import module_call_data
from backend.core.config import Settings
from backend.vault.db import VERSION_TABLE
from backend.vault.db import alembic_config as vault_alembic_config
from backend.vault.db import upgrade as vault_db_upgrade
from tests.backend.conftest import DATABASES
from tests.safe.console_scene import console_community
from tests.utils.databases import fresh_postgresql, fresh_sqlite

TEXTS = "/api/v1/texts"
REASON = "违反管理规约第十二条：作品含商业广告，予以隐藏。"
SIWE_DOMAIN = "vault.linli.test"


@pytest.fixture(scope="module")
def town(project, chain, committee, owner_a, owner_b, owner_c):
    return console_community(project, chain, committee, [owner_a, owner_b, owner_c])


@pytest.fixture(params=DATABASES)
def client(request, town, chain, tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(town.manifest), encoding="utf-8")
    if request.param == "sqlite":
        vault_url = fresh_sqlite(tmp_path / "vault" / "vault.db", vault_db_upgrade)
    else:
        vault_url = fresh_postgresql(os.environ["LINLI_TEST_DATABASE_URL"], VERSION_TABLE, vault_alembic_config,
                                     vault_db_upgrade)
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'index.db'}",
                        rpc_url=chain.provider.uri, manifest=manifest, vault_database_url=vault_url,
                        vault_key=base64.b64encode(secrets.token_bytes(32)).decode(),
                        vault_key_file=tmp_path / "unused.key", vault_manifests=[manifest],
                        vault_siwe_domain=SIWE_DOMAIN, vault_siwe_uri=f"https://{SIWE_DOMAIN}/",
                        vault_login_rate_per_minute=1000)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def signed_in(client, account) -> dict:
    """A SIWE session for `account` (the server's prepared message, signed EIP-191)."""
    offer = client.post("/api/v1/vault/siwe/nonce", json={"address": account.address})
    assert offer.status_code == 200, offer.text
    message = offer.json()["message"]
    key = account.key if hasattr(account, "key") else account.private_key
    signature = Account.sign_message(encode_defunct(text=message), key).signature.to_0x_hex()
    login = client.post("/api/v1/vault/siwe/login", json={"message": message, "signature": signature})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['token']}"}


def publish(client, account, text=REASON, kind="hide_reason"):
    return client.post(TEXTS, json={"text": text, "kind": kind}, headers=signed_in(client, account))


def test_a_member_of_the_committees_safe_publishes_the_reason_its_proposal_carries(client, town, owner_a):
    registry = town.community.registry
    assert not registry.is_member(owner_a.address)  # a member of the Safe only: no unit, no role
    assert not registry.hasRole(role_id("committee"), owner_a.address)
    key = "0x" + sha256(REASON.encode()).hexdigest()
    answer = publish(client, owner_a)
    assert answer.status_code == 201, answer.text
    assert answer.json()["text_hash"] == key and answer.json()["stored_by"] == owner_a.address.lower()
    # The hash a hide_work proposal carries; anyone reads the words behind it, unsigned.
    served = client.get(f"{TEXTS}/{key}")
    assert served.status_code == 200 and served.json()["text"] == REASON and served.json()["kind"] == "hide_reason"
    assert "0x" + sha256(served.json()["text"].encode()).hexdigest() == served.json()["text_hash"]


def test_a_wallet_that_is_no_member_of_the_safe_is_refused(client, town, tenant, accounts):
    stranger = Account.create()  # anyone can open a SIWE session with a fresh key
    for account in (tenant, stranger):
        refused = publish(client, account, text=REASON + " (forged)")
        assert refused.status_code == 403, refused.text
        assert "a member of its Safe" in refused.json()["detail"]
    assert client.get(f"{TEXTS}/0x{sha256((REASON + ' (forged)').encode()).hexdigest()}").status_code == 404


def test_a_member_removed_from_the_safe_is_refused_and_one_owner_is_not_the_committee(client, town, chain,
                                                                                      accounts, owner_a, owner_b,
                                                                                      owner_c):
    """The check is the Safe's owners now, on each write; and a single member does not
    remove texts as the committee (that is the committee role's, not one member's)."""
    timelock = town.contracts["AssemblyTimelock"]
    chain.set_balance(timelock.address, 10**18)
    safe = town.safe.safe
    accounts[timelock.address].transfer(safe, 0, data=module_call_data(
        safe, safe.removeOwner.encode_input(owner_b.address, owner_c.address, 2)))
    assert not safe.isOwner(owner_c.address)
    refused = publish(client, owner_c, text="业委会裁决：服务商得 100 元", kind="decision")
    assert refused.status_code == 403, refused.text

    written = publish(client, owner_a, text="活动因台风取消。", kind="cancellation")
    assert written.status_code == 201
    key = written.json()["text_hash"]
    removal = client.delete(f"{TEXTS}/{key}", headers=signed_in(client, owner_b))
    assert removal.status_code == 403, removal.text
    assert client.get(f"{TEXTS}/{key}").status_code == 200
