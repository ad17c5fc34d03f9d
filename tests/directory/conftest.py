"""Directory fixtures: one community per module (owners, a tenant, merchant and provider
roles), the committee's 2-of-3 Safe holding the committee role, a contract wallet of a
shop's own (an EIP-1271 account), and the API in-process on a fresh vault database
(SQLite, and PostgreSQL when LINLI_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from ape import compilers
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import deploy_community, manifest_dict, role_id, write_manifest
from backend.chain.safe import create_safe, deploy_safe_infrastructure, pack_signatures
from backend.core.config import Settings
from backend.directory import entries as en
from tests.utils.households import link_resident
from tests.utils.identity import commitment_for
from tests.vault.conftest import DATABASES, SIWE_DOMAIN, SIWE_URI, fresh_vault_url

ACCOUNT_SOURCE = Path(__file__).resolve().parents[1] / "notices" / "contracts" / "KeyAccount1271.vy"


@pytest.fixture(scope="module")
def directory_town(project, chain, committee, owner_a, owner_b, tenant, merchant, provider, tmp_path_factory):
    community = deploy_community(project, chain, committee, name="名录测试小区", change_delay=3 * 86400)
    registry = community.registry
    registry.register_units([
        ("1-101", 9_000, owner_a.address, commitment_for("owner_a")),
        ("1-102", 9_500, owner_b.address, commitment_for("owner_b")),
    ], sender=committee)
    link_resident(registry, 2, tenant, commitment_for("tenant"), owner_b)
    registry.grantRole(role_id("merchant"), merchant.address, sender=committee)
    registry.grantRole(role_id("provider"), provider.address, sender=committee)
    infra = deploy_safe_infrastructure(chain, committee)
    # The committee's Safe: three members who are not owners here (a committee of another
    # shape would do; the Safe's signature is what is tested).
    members = [Account.create() for _ in range(3)]
    safe = create_safe(infra, [m.address for m in members], 2, sender=committee)
    registry.grantRole(role_id("committee"), safe.address, sender=committee)
    shop_key = Account.create()
    account_type = compilers.compile_source("vyper", ACCOUNT_SOURCE.read_text(), contractName="KeyAccount1271")
    shop_account = committee.deploy(account_type, shop_key.address)
    path = tmp_path_factory.mktemp("directory") / "manifest.json"
    write_manifest(manifest_dict(community, "local"), path)
    # A second community on the same chain: a signature made for it must not verify here.
    other = deploy_community(project, chain, committee, name="别的小区", change_delay=3 * 86400)
    return SimpleNamespace(community=community, registry=registry, safe=safe, infra=infra, members=members,
                           shop_account=shop_account, shop_key=shop_key, manifest=path, other=other,
                           chain_id=chain.chain_id)


@pytest.fixture(params=DATABASES)
def directory_db(request, tmp_path):
    return request.param, fresh_vault_url(request.param, tmp_path)


@pytest.fixture
def directory_settings(directory_db, directory_town, tmp_path, chain):
    return Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'index.db'}", rpc_url=chain.provider.uri,
                    vault_database_url=directory_db[1], vault_key="A" * 43 + "=",
                    vault_key_file=tmp_path / "unused.key",
                    vault_manifests=[directory_town.manifest], vault_siwe_domain=SIWE_DOMAIN, vault_siwe_uri=SIWE_URI,
                    vault_login_rate_per_minute=1000, directory_entries_per_minute_per_organisation=1000)


@pytest.fixture
def directory_client(directory_settings):
    app = create_app(directory_settings)
    with TestClient(app) as client:
        yield client
    directory = getattr(app.state, "directory", None)
    if directory is not None:
        directory.close()
    if app.state.vault is not None:
        app.state.vault.close()
    app.state.engine.dispose()


@pytest.fixture
def town_base(directory_town):
    return f"/api/v1/communities/{directory_town.registry.address.lower()}/directory"


# ---------------------------------------------------------------- signing helpers


def entry_of(organisation: str, name: str, category: str = "merchant", contact: str = "",
             issued_at: int | None = None) -> en.Entry:
    return en.Entry(organisation, name, category, contact, int(time.time()) if issued_at is None else issued_at)


def key_signature(key: str, chain_id: int, community: str, entry: en.Entry) -> str:
    message = encode_typed_data(full_message=en.typed_data(chain_id, community, entry))
    return Account.sign_message(message, key).signature.to_0x_hex()


def safe_signature(town, signers, chain_id: int, community: str, entry: en.Entry) -> str:
    """The Safe's EIP-1271 signature of the entry: its members' signatures of the
    SafeMessage wrapping the entry's digest (what Safe's CompatibilityFallbackHandler
    checks), packed in ascending member order."""
    digest = en.digest(chain_id, community, entry)
    wrapped = encode(["bytes32"], [digest])
    safe_hash = bytes(town.infra.fallback_handler.getMessageHashForSafe(town.safe.address, wrapped))
    signed = {m.address: bytes(Account.unsafe_sign_hash(safe_hash, m.key).signature) for m in signers}
    return "0x" + pack_signatures(signed).hex()


def body_of(entry: en.Entry, signature: str, signer: str | None = None) -> dict:
    body = {"organisation": entry.organisation, "name": entry.name, "category": entry.category,
            "contact": entry.contact, "issued_at": entry.issued_at, "signature": signature}
    if signer is not None:
        body["signer"] = signer
    return body
