"""A community that has not deployed a module: each of its routes is a 404 saying so, and
the summary counts zero. Function-scoped (the small `populated` community, per test),
apart from the modules whose module-scoped scenes deploy those modules."""

from __future__ import annotations

from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import manifest_dict

ZERO = "0x" + "0" * 40


def test_a_community_without_fees_is_404(populated, make_indexer, settings):
    make_indexer(manifest_dict(populated, "local")).sync()
    client = TestClient(create_app(settings))
    base = f"/api/v1/communities/{populated.registry.address.lower()}"
    for path in ("/treasury", "/fees/payments", "/assembly/proposals"):
        answer = client.get(base + path)
        assert answer.status_code == 404 and "has no" in answer.json()["detail"], path


def test_a_community_without_them_is_404_and_counts_zero(populated, make_indexer, settings):
    make_indexer(manifest_dict(populated, "local")).sync()
    client = TestClient(create_app(settings))
    base = f"/api/v1/communities/{populated.registry.address.lower()}"
    for path in ("/culture", "/culture/works", "/culture/exhibitions/1", "/activities", "/activities/summary",
                 "/activities/1", f"/residents/{ZERO}/activities", "/promotions", "/promotions/prices"):
        answer = client.get(base + path)
        assert answer.status_code == 404 and "has no" in answer.json()["detail"], path
    summary = client.get(base).json()
    assert (summary["works"], summary["activities"], summary["promotions"]) == (0, 0, 0)


def test_a_community_without_the_market_is_404(populated, make_indexer, settings):
    make_indexer(manifest_dict(populated, "local")).sync()
    client = TestClient(create_app(settings))
    base = f"/api/v1/communities/{populated.registry.address.lower()}"
    for path in ("/services", "/services/requests", "/services/providers", "/suggestions", "/suggestions/stats",
                 f"/consent/residents/{'0x' + '1' * 40}/grants", "/consent/loggers"):
        answer = client.get(base + path)
        assert answer.status_code == 404 and "has no" in answer.json()["detail"], path
