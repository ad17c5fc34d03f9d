"""The service market API against a real anvil: requests, offers, escrow and providers'
profiles say what ServiceMarket's views say; lists filter and paginate; providers are
recommended as the formula says on a hand-checked example; bad input is a 422 naming
the field and no input is a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.api import provider_ranking
from backend.api.main import create_app
from backend.chain.deployment import manifest_dict
from tests.backend.helpers import fuzz_routes
from tests.backend.services_scenario import (  # noqa: F401 - fixtures
    deploy_world,
    offer,
    post,
    service_accounts,
    services_world,
)

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


@pytest.fixture
def ranking_api(populated, project, chain, registry, roles, committee, owner_a, owner_b, owner_c, provider,
                service_accounts, make_indexer, settings):
    """A market whose history is written down below, at exact times, for the hand check."""
    plumber = service_accounts["plumber"]
    newcomers = [service_accounts["newcomer_1"], service_accounts["newcomer_2"]]
    committee.transfer(plumber, 10**19)
    for account in (plumber, *newcomers):
        registry.grantRole(roles["provider"], account.address, sender=committee)
    world = deploy_world(project, chain, committee, populated, service_accounts["vault"], (owner_a, owner_b, owner_c))
    market = world["market"]
    t0 = chain.pending_timestamp + 1_000

    def job(resident, category, budget, posted, offers, winner, score):
        request_id = post(market, chain, resident, category, budget, "job", at=posted)
        deals = {who: offer(market, chain, request_id, who, price, at=posted + delay) for who, price, delay in offers}
        price, by = deals[winner]
        market.accept_offer(request_id, winner, price, by, sender=resident)
        market.mark_done(request_id, sender=winner)
        market.confirm(request_id, sender=resident)
        market.rate(request_id, score, sender=resident)

    # Category 3: the provider answers in 1 h and wins at 8,000 of 10,000 (rated 5); the
    # plumber answered in 2 h at 10,000.
    job(owner_a, 3, 10_000, t0, [(provider, 8_000, 3_600), (plumber, 10_000, 7_200)], provider, 5)
    # Category 3: the plumber, in 30 min, 15,000 of 20,000, rated 4.
    job(owner_b, 3, 20_000, t0 + 10_000, [(plumber, 15_000, 1_800)], plumber, 4)
    # Category 1: the plumber, in 10 min, 9,000 of 10,000, rated 5.
    job(owner_c, 1, 10_000, t0 + 20_000, [(plumber, 9_000, 600)], plumber, 5)
    # The request to rank for: category 3, budget 40,000; the provider offers 30,000 after 20 min.
    request_id = post(market, chain, owner_a, 3, 40_000, "new boiler", at=t0 + 30_000)
    offer(market, chain, request_id, provider, 30_000, at=t0 + 31_200)
    chain.mine()
    indexer = make_indexer(manifest_dict(world["community"], "local"))
    indexer.sync()
    client = TestClient(create_app(settings))
    base = f"/api/v1/communities/{world['community'].registry.address.lower()}"
    return client, base, request_id, plumber, newcomers, indexer


def test_recommendations_follow_the_formula_on_a_hand_checked_example(ranking_api, provider, registry, roles,
                                                                      committee, chain):
    client, base, request_id, plumber, newcomers, indexer = ranking_api
    answer = client.get(f"{base}/services/requests/{request_id}/recommendations")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["rating_prior_mean"], body["rating_prior_weight"]) == (3, 5)
    assert body["candidates"] == 4 and body["weights"] == provider_ranking.WEIGHTS
    expected = {
        # x = 1 job + ¼ × 1 other offer in category 3; R = (5 × 3 + 4 + 5) / 7; 2 jobs;
        # t = (7200 + 1800 + 600) / 3 s; r = (0.75 + 0.9) / 2.
        plumber.address.lower(): {"category_fit": 1.25 / 3.25, "rating": (24 / 7 - 1) / 4, "completed_jobs": 2 / 7,
                                  "response_time": 1 / (1 + 3_200 / 21_600), "price_history": 2 * (1 - 0.825)},
        # x = 1 job + ¼ × 1 other offer (this request); R = (5 × 3 + 5) / 6; 1 job; t = (3600 + 1200) / 2 s;
        # r = 0.8.
        provider.address.lower(): {"category_fit": 1.25 / 3.25, "rating": (20 / 6 - 1) / 4, "completed_jobs": 1 / 6,
                                   "response_time": 1 / (1 + 2_400 / 21_600), "price_history": 2 * (1 - 0.8)},
    }
    for newcomer in newcomers:
        # No history: no fit, no jobs, the prior's 3 stars, neutral response time and price.
        expected[newcomer.address.lower()] = {"category_fit": 0, "rating": 0.5, "completed_jobs": 0,
                                              "response_time": 0.5, "price_history": 0.5}
    items = body["items"]
    for item in items:
        values = {c["name"]: c["value"] for c in item["components"]}
        assert values == pytest.approx(expected[item["provider"]], abs=1e-6), item["provider"]
        assert item["score"] == pytest.approx(sum(c["contribution"] for c in item["components"]), abs=1e-5)
    # Hand-computed: the plumber 0.476767 (more jobs) before the provider 0.453718 (better rated, faster,
    # cheaper); the two newcomers tie at 0.25 and the lower address comes first.
    assert [(i["provider"], round(i["score"], 6)) for i in items] == [
        (plumber.address.lower(), 0.476767), (provider.address.lower(), 0.453718),
        *[(a, 0.25) for a in sorted(n.address.lower() for n in newcomers)]]
    assert [i["rank"] for i in items] == [1, 2, 3, 4]
    # What category_fit counted, for the pages to explain it: jobs completed and fresh offers there.
    assert [(i["category_jobs_completed"], i["category_offers"]) for i in items] == [(1, 2), (1, 2), (0, 0), (0, 0)]
    mine = items[1]
    assert (mine["offered"], mine["offer_price"], mine["expected_price"]) == (True, 30_000, 32_000)
    assert (items[0]["offered"], items[0]["expected_price"]) == (False, 33_000)
    assert [i["provider"] for i in client.get(f"{base}/services/requests/{request_id}/recommendations",
                                              params={"limit": 1}).json()["items"]] == [plumber.address.lower()]
    # A closed request is not ranked.
    assert client.get(f"{base}/services/requests/1/recommendations").status_code == 409
    # The ordering is reused only while the index stays where it was: once the plumber
    # loses its role and that is indexed, it is no longer recommended.
    registry.revokeRole(roles["provider"], plumber.address, sender=committee)
    chain.mine()
    indexer.sync()
    after = client.get(f"{base}/services/requests/{request_id}/recommendations").json()
    assert after["candidates"] == 3 and after["items"][0]["provider"] == provider.address.lower()


def test_one_five_star_job_does_not_beat_fifty_ratings_of_4_8():
    # Everything else equal (the address would favour the one-job provider in a tie).
    history = provider_ranking.ProviderHistory
    one = history("0x" + "1" * 40, rating_count=1, rating_sum=5, jobs_completed=1)
    many = history("0x" + "2" * 40, rating_count=50, rating_sum=240, jobs_completed=1)
    ranked = provider_ranking.rank([one, many])
    assert [scored.history.provider for scored, _ in ranked] == [many.provider, one.provider]
    assert ranked[0][1]["rating"][0] > ranked[1][1]["rating"][0]
    assert provider_ranking.bayesian_rating(1, 5) < provider_ranking.bayesian_rating(50, 240) < 4.8


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


def test_a_community_without_the_market_is_404(populated, make_indexer, settings):
    make_indexer(manifest_dict(populated, "local")).sync()
    client = TestClient(create_app(settings))
    base = f"/api/v1/communities/{populated.registry.address.lower()}"
    for path in ("/services", "/services/requests", "/services/providers", "/suggestions", "/suggestions/stats",
                 f"/consent/residents/{'0x' + '1' * 40}/grants", "/consent/loggers"):
        answer = client.get(base + path)
        assert answer.status_code == 404 and "has no" in answer.json()["detail"], path


def test_fuzzed_services_suggestions_and_consent_routes_give_no_server_error(services_api, settings):
    """Schemathesis over every route of this module's three routers, on a community
    that uses them all. One scenario for every operation."""
    _, _, world = services_api
    operations = fuzz_routes(create_app(settings), world["community"].registry.address,
                             "^(services|suggestions|consent)$", examples=15)
    assert operations == 17
