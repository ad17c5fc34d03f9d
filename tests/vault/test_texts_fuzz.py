# SPDX-License-Identifier: AGPL-3.0-only
"""Schemathesis fuzzes the public text routes from their OpenAPI schema, signed in as a
member: no input gives a 500."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.backend.helpers import conformance_checks
from backend.db.migrate import upgrade
from backend.texts.service import TextStore
from tests.vault.conftest import fresh_vault_url, sign_in

STORED = "南门快递柜的建议。"


@pytest.fixture
def vault_db(tmp_path):
    # One database is enough here: the SQLite/PostgreSQL behaviour is covered by test_texts.py.
    return "sqlite", fresh_vault_url("sqlite", tmp_path)


@pytest.fixture
def member_headers(client, vault_app, vault_settings, owner_a):
    # Limits high enough that the fuzz reaches the store rather than the 429.
    roomy = vault_settings.model_copy(update={"texts_writes_per_minute": 100_000,
                                              "texts_writes_per_minute_per_client": 100_000})
    vault_app.state.texts = TextStore(roomy)
    upgrade(vault_settings.database_url)  # the index: the street office's notes are checked against its listings
    headers = sign_in(client, owner_a)
    stored = client.post("/api/v1/texts", json={"text": STORED}, headers=headers)
    assert stored.status_code == 201, stored.text
    yield {**headers, "x-stored-hash": stored.json()["text_hash"]}
    vault_app.state.texts.close()


@pytest.fixture
def texts_schema(vault_app, member_headers):
    return schemathesis.openapi.from_asgi("/openapi.json", vault_app)


schema = schemathesis.pytest.from_fixture("texts_schema").include(path_regex="^/api/v1/texts")


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gives_a_server_error(case, member_headers):
    headers = dict(member_headers)
    stored = headers.pop("x-stored-hash")
    # Half the reads aim at a stored text, so the fuzz gets past the 404s.
    if case.path_parameters and "text_hash" in case.path_parameters and case.path_parameters["text_hash"] < "8":
        case.path_parameters["text_hash"] = stored
    case.call_and_validate(headers=headers, checks=conformance_checks())
