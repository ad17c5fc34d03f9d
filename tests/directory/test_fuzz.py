"""Schemathesis fuzzes the directory's routes from their OpenAPI schema, signed in as the
committee: no input gives a 500."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from backend.api.main import create_app
from tests.backend.helpers import conformance_checks
from tests.directory.conftest import key_signature, entry_of, body_of
from tests.vault.conftest import fresh_vault_url, sign_in


@pytest.fixture
def directory_db(tmp_path):
    # One database is enough here: the SQLite/PostgreSQL behaviour is covered by test_directory_api.py.
    return "sqlite", fresh_vault_url("sqlite", tmp_path)


@pytest.fixture
def fuzzed_app(directory_town, directory_settings, merchant):
    roomy = directory_settings.model_copy(update={"directory_entries_per_minute_per_client": 100_000,
                                                  "directory_entries_per_minute_per_organisation": 100_000})
    app = create_app(roomy)
    client = TestClient(app)
    entry = entry_of(merchant.address, "邻里便利店")
    signed = body_of(entry, key_signature(merchant.private_key, directory_town.chain_id,
                                          directory_town.registry.address, entry))
    assert client.post(f"/api/v1/communities/{directory_town.registry.address.lower()}/directory",
                       json=signed).status_code == 201
    yield app, client
    if getattr(app.state, "directory", None) is not None:
        app.state.directory.close()
    app.state.engine.dispose()


@pytest.fixture
def committee_headers(fuzzed_app, committee):
    return sign_in(fuzzed_app[1], committee)


@pytest.fixture
def directory_schema(fuzzed_app, committee_headers):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app[0])


schema = schemathesis.pytest.from_fixture("directory_schema").include(path_regex="/directory")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error(case, directory_town, merchant, committee_headers):
    # Aim at the served community and a named wallet, so the fuzz gets past the 404s.
    if case.path_parameters:
        if "community" in case.path_parameters:
            case.path_parameters["community"] = directory_town.registry.address.lower()
        if "address" in case.path_parameters:
            case.path_parameters["address"] = merchant.address
    case.call_and_validate(headers=committee_headers, checks=conformance_checks())
