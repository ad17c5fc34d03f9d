"""Backend fixtures: a fresh database per test (SQLite and PostgreSQL) and an indexer
pointed at the same anvil Ape runs the tests on.

The PostgreSQL half runs when LINLI_TEST_DATABASE_URL is set (scripts/ci_postgres.sh
prints it; .ci/run sets it). Ape snapshots and reverts the chain around each test,
so every test starts from an empty database and indexes from the deployment block.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from backend.chain.deployment import deploy_community, manifest_dict
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.db.migrate import upgrade
from backend.indexer.core import Indexer
from backend.indexer.rpc import RpcClient
from tests.backend.helpers import community_activity

PG_URL = os.environ.get("LINLI_TEST_DATABASE_URL")

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="LINLI_TEST_DATABASE_URL not set (run scripts/ci_postgres.sh)"),
    ),
]


def fresh_database_url(kind: str, tmp_path) -> str:
    """An empty database migrated to the newest schema."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'index.db'}"
    else:
        url = PG_URL
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    return url


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    return fresh_database_url(request.param, tmp_path)


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def rpc_url(chain):
    return chain.provider.uri


@pytest.fixture
def settings(database_url, rpc_url):
    return Settings(environment="test", database_url=database_url, rpc_url=rpc_url, finality_depth=8,
                    poll_interval_s=0.05, rpc_max_retries=2, rpc_backoff_s=0.05, rpc_backoff_max_s=0.2)


@pytest.fixture
def manifest(populated):
    return manifest_dict(populated, "local")


@pytest.fixture
def make_indexer(engine, settings, rpc_url):
    """Factory: an indexer of a manifest on the test chain; closed after the test."""
    made = []

    def _make(manifest, **overrides):
        config = settings.model_copy(update=overrides)
        rpc = RpcClient(config.rpc_url, timeout_s=5, max_retries=config.rpc_max_retries,
                        backoff_s=config.rpc_backoff_s, backoff_max_s=config.rpc_backoff_max_s)
        indexer = Indexer(manifest, engine, rpc, config, fault_hook=overrides.get("fault_hook"))
        indexer.prepare()
        made.append(rpc)
        return indexer

    yield _make
    for rpc in made:
        rpc.close()


@pytest.fixture
def indexer(make_indexer, manifest):
    return make_indexer(manifest)


@pytest.fixture(scope="session")
def deploy_other(project, chain, committee):
    """Deploy a second community (a district indexes several)."""

    def _deploy(name="第二小区"):
        return deploy_community(project, chain, committee, name=name)

    return _deploy


@pytest.fixture
def active(populated, chain, registry, points, committee, owner_a, owner_b, owner_c, tenant, merchant, provider,
           attacker, roles):
    community_activity(chain, registry, points, committee, owner_a, owner_b, owner_c, tenant, merchant, provider,
                       attacker, roles)
    return populated
