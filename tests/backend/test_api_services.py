"""The service market API against a real anvil: requests, offers, escrow and providers'
profiles say what ServiceMarket's views say; lists filter and paginate; bad input is a
422 naming the field and no input is a 500 (the recommendations' hand-checked example:
test_api_ranking.py). One scene per module."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import manifest_dict
from tests.backend.helpers import fuzz_routes
from tests.backend.services_scenario import service_accounts, services_world  # noqa: F401 - fixtures

ZERO = "0x" + "0" * 40


@pytest.fixture
def services_api(services_world, make_indexer, settings):
    make_indexer(manifest_dict(services_world["community"], "local")).sync()
    client = TestClient(create_app(settings))
    return client, f"/api/v1/communities/{services_world['community'].registry.address.lower()}", services_world


def _all(client, path, **params):
    """Every item of a list, page by page."""
    items, cursor = [], None
    while True:
        page = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_requests_and_escrow_equal_the_contract(services_api, provider, attacker, chain):
    client, base, world = services_api
    market, token, ids = world["market"], world["token"], world["requests"]
    plumber = world["plumber"]
    for request_id in range(1, market.request_count() + 1):
        answer = client.get(f"{base}/services/requests/{request_id}")
        assert answer.status_code == 200, answer.text
        got, view = answer.json(), market.request(request_id)
        assert (got["resident"], got["status_code"], got["rated"], got["category"], got["deadline"]) == \
            (view.resident.lower(), view.status, view.rated, view.category, view.deadline)
        assert (got["provider"] or ZERO, got["fee_bps"] or 0, got["escrow"]) == \
            (view.provider.lower(), view.fee_bps, view.escrow)
        assert (got["completion"]["release_at"] if got["completion"] else 0) == view.release_at
        for account in (provider, plumber):
            standing = next((o for o in got["offers"] if o["provider"] == account.address.lower()), None)
            assert ((standing["price"], standing["completion_by"]) if standing else (0, 0)) == \
                tuple(market.offer(request_id, account)), (request_id, account)
        assert got["indexed_block"] == chain.blocks.head.number
    summary = client.get(f"{base}/services").json()
    assert summary["escrow_held"] == token.balanceOf(market) > 0
    assert (summary["fee_bps"], summary["release_delay"], summary["rating_points"]) == \
        (market.fee_bps(), market.release_delay(), market.rating_points())
    assert summary["fees_to_public_income"] == world["fees"].public_income()
    # Every fen escrowed is held, paid to a provider, paid as a fee or refunded.
    budgets = sum(client.get(f"{base}/services/requests/{i}").json()["budget"] for i in ids.values())
    assert budgets == summary["escrow_held"] + summary["paid_to_providers"] + summary["fees_to_public_income"] + \
        summary["refunded_to_residents"]
    assert summary["requests_by_status"] == {name: 1 for name in ids}
    assert [c["setting"] for c in summary["settings_changes"]][-1] == "fee_bps"

    confirmed = client.get(f"{base}/services/requests/{ids['confirmed']}").json()
    assert [(e["kind"], e["provider"]) for e in confirmed["offer_events"]] == [
        ("offer", plumber.address.lower()), ("revision", plumber.address.lower()), ("offer", provider.address.lower())]
    assert (confirmed["closure"]["to_provider"], confirmed["closure"]["fee"], confirmed["rating"]["score"]) == \
        (40_000 - 2_000, 2_000, 5)
    assert confirmed["acceptance"]["refund"] == 10_000 and confirmed["time_to_first_offer"] > 0
    released = client.get(f"{base}/services/requests/{ids['released']}").json()
    assert released["closure"]["closed_by"] == attacker.address.lower()
    assert [o["withdrawn"] for o in released["offers"] if o["provider"] == plumber.address.lower()] == [True]
    resolved = client.get(f"{base}/services/requests/{ids['resolved']}").json()
    assert (resolved["dispute"]["previous_status"], resolved["closure"]["to_provider"],
            resolved["closure"]["fee"], resolved["closure"]["to_resident"]) == ("accepted", 9_500, 500, 8_000)
    assert resolved["closure"]["decision_hash"] is not None
    disputed = client.get(f"{base}/services/requests/{ids['disputed']}").json()
    assert (disputed["dispute"]["previous_status"], disputed["escrow"], disputed["releasable"]) == \
        ("done", 9_000, False)
    # Work marked done days ago: anyone may release it now, as the contract would allow.
    done = client.get(f"{base}/services/requests/{ids['done']}").json()
    assert done["releasable"] and market.request(ids["done"]).release_at <= chain.blocks.head.timestamp
    assert done["fee_bps"] == 300 and confirmed["fee_bps"] == 500
    assert not client.get(f"{base}/services/requests/{ids['accepted']}").json()["reclaimable"]


def test_request_lists_filter_and_paginate(services_api, owner_a, provider):
    client, base, world = services_api
    ids, plumber = world["requests"], world["plumber"]
    newest_first = client.get(f"{base}/services/requests", params={"limit": 500}).json()["items"]
    assert [r["request_id"] for r in newest_first] == sorted(ids.values(), reverse=True)
    assert _all(client, f"{base}/services/requests", limit=2) == newest_first
    assert _all(client, f"{base}/services/requests", limit=3, order="asc") == newest_first[::-1]
    for name, request_id in ids.items():
        assert [r["request_id"] for r in client.get(f"{base}/services/requests",
                                                    params={"status": name}).json()["items"]] == [request_id], name

    def listed(**params):
        return [r["request_id"] for r in client.get(f"{base}/services/requests", params=params).json()["items"]]

    assert listed(category=1) == [ids["disputed"], ids["resolved"]]
    assert listed(resident=owner_a.address) == sorted((ids[k] for k in ("confirmed", "disputed", "done")),
                                                      reverse=True)
    assert listed(provider=plumber.address) == sorted((ids[k] for k in ("resolved", "disputed", "done")),
                                                      reverse=True)
    assert listed(offered_by=plumber.address.upper().replace("0X", "0x")) == sorted(
        (ids[k] for k in ("confirmed", "released", "resolved", "disputed", "open", "done")), reverse=True)
    assert listed(status="open", category=3) == [ids["open"]] and listed(status="open", category=2) == []
    offers = _all(client, f"{base}/services/offers", provider=plumber.address, limit=2)
    assert [o["kind"] for o in offers].count("revision") == 1 and len(offers) == 7
    assert [o["provider"] for o in client.get(f"{base}/services/offers",
                                              params={"request_id": ids["open"]}).json()["items"]] == \
        [plumber.address.lower(), provider.address.lower()]
    ratings = client.get(f"{base}/services/ratings", params={"provider": provider.address}).json()["items"]
    assert [(r["request_id"], r["score"], r["points"]) for r in ratings] == [(ids["released"], 4, 3),
                                                                             (ids["confirmed"], 5, 3)]
    categories = {c["category"]: c for c in client.get(f"{base}/services/categories").json()["items"]}
    assert (categories[3]["requests"], categories[3]["open_requests"], categories[3]["providers_with_history"]) == \
        (3, 1, 2)
    assert categories[3]["label"] and categories[1]["requests"] == 2


def test_provider_profiles_equal_the_contract(services_api, provider, owner_a):
    client, base, world = services_api
    market, plumber = world["market"], world["plumber"]
    listed = _all(client, f"{base}/services/providers", limit=1)
    assert [p["provider"] for p in listed] == sorted([provider.address.lower(), plumber.address.lower()])
    for account in (provider, plumber):
        profile = client.get(f"{base}/services/providers/{account.address}").json()
        stats = market.provider_stats(account)
        assert (profile["jobs_completed"], profile["jobs_disputed"], profile["rating_count"], profile["rating_sum"],
                profile["earned"]) == tuple(stats)
        assert profile["holds_provider_role"]
        [item] = [p for p in listed if p["provider"] == account.address.lower()]
        assert item == {key: profile[key] for key in item}
    profile = client.get(f"{base}/services/providers/{plumber.address}").json()
    by_category = {c["category"]: (c["offers"], c["jobs_accepted"], c["jobs_completed"], c["earned"])
                   for c in profile["categories"]}
    assert by_category == {1: (2, 2, 0, 9_500), 2: (1, 1, 0, 0), 3: (3, 0, 0, 0)}
    assert (profile["offers_withdrawn"], profile["disputes_raised"], profile["fees_paid"]) == (1, 2, 500)
    assert [r["score"] for r in profile["recent_ratings"]] == [2]
    mine = client.get(f"{base}/services/providers/{provider.address}").json()
    assert mine["rating_average"] == 4.5 and mine["jobs_released"] == 1 and mine["jobs_reclaimed"] == 1
    # The mean price / budget of its four deals: 40,000/50,000, 30,000/30,000, 7,000/8,000, 6,000/6,000.
    assert mine["mean_price_ratio"] == pytest.approx((0.8 + 1 + 0.875 + 1) / 4)
    assert client.get(f"{base}/services/providers/{owner_a.address}").status_code == 404
    assert [p["provider"] for p in client.get(f"{base}/services/providers", params={"category": 1}).json()["items"]] \
        == [plumber.address.lower()]


BAD_INPUT = [
    ("/services/requests", {"status": "lost"}, "status"),
    ("/services/requests", {"category": 256}, "category"),
    ("/services/requests", {"resident": "0x12"}, "resident"),
    ("/services/requests", {"provider": "0x" + "g" * 40}, "provider"),
    ("/services/requests", {"limit": 501}, "limit"),
    ("/services/requests", {"cursor": "1:2:3"}, "cursor"),
    ("/services/requests", {"order": "newest"}, "order"),
    ("/services/requests/0", {}, "request_id"),
    ("/services/requests/1/recommendations", {"limit": 101}, "limit"),
    ("/services/offers", {"request_id": -1}, "request_id"),
    ("/services/providers", {"cursor": "abc"}, "cursor"),
    ("/services/providers/0x1234", {}, "provider"),
    ("/services/ratings", {"rater": "nobody"}, "rater"),
]


def test_unknown_ids_are_404_and_bad_input_422_naming_the_field(services_api, owner_a):
    client, base, world = services_api
    for path in ("/services/requests/99", "/services/requests/99/recommendations",
                 f"/services/providers/{owner_a.address}"):
        assert client.get(base + path).status_code == 404, path
    closed = client.get(f"{base}/services/requests/{world['requests']['confirmed']}/recommendations")
    assert closed.status_code == 409 and "confirmed" in closed.json()["detail"]
    for path, params, field in BAD_INPUT:
        answer = client.get(base + path, params=params)
        assert answer.status_code == 422, (path, answer.text)
        assert field in [entry["loc"][-1] for entry in answer.json()["detail"]], path


def test_fuzzed_services_suggestions_and_consent_routes_give_no_server_error(services_api, settings):
    """Schemathesis over every route of this module's three routers, on a community
    that uses them all. One scenario for every operation."""
    _, _, world = services_api
    operations = fuzz_routes(create_app(settings), world["community"].registry.address,
                             "^(services|suggestions|consent)$", examples=15)
    assert operations == 17
