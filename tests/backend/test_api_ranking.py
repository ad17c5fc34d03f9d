"""Providers recommended as the formula says, on a hand-checked market written down
below at exact times (its own module: the other service tests share one scene per module)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.api import provider_ranking
from backend.api.main import create_app
from backend.chain.deployment import manifest_dict
from tests.backend.services_scenario import deploy_world, offer, post, service_accounts  # noqa: F401 - fixtures


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
