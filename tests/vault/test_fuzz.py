"""Schemathesis fuzzes the vault routes from their OpenAPI schema, signed in: no input gives a 500."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.backend.helpers import conformance_checks
from tests.vault.conftest import fresh_vault_url, grant, sign_in


@pytest.fixture
def vault_db(tmp_path):
    # One database is enough here: the SQLite/PostgreSQL behaviour is covered by the other tests.
    return "sqlite", fresh_vault_url("sqlite", tmp_path)


@pytest.fixture
def session_headers(client, base, owner_a, provider, consent, chain):
    client.put(f"{base}/profile", json={"phone": "13800138000", "name": "张三"}, headers=sign_in(client, owner_a))
    grant(consent, chain, owner_a, provider, "phone")
    return sign_in(client, provider)


@pytest.fixture
def vault_schema(vault_app, session_headers):
    return schemathesis.openapi.from_asgi("/openapi.json", vault_app)


# Only the vault's routes (the index routes have their own fuzz); logout would end the fuzz's session.
schema = schemathesis.pytest.from_fixture("vault_schema").include(path_regex="^/api/v1/vault/").exclude(
    path_regex="logout")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error(case, community_key, owner_a, session_headers):
    # Aim at the served community and a resident with data, so the fuzz gets past the 404s.
    if case.path_parameters:
        if "community" in case.path_parameters:
            case.path_parameters["community"] = community_key
        if "resident" in case.path_parameters:
            case.path_parameters["resident"] = owner_a.address.lower()
    case.call_and_validate(headers=session_headers, checks=conformance_checks())
