"""The read API over an index of a real chain: contents, pagination, bounds, errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import manifest_dict
from tests.backend.helpers import node_finalized

ZERO = "0x" + "0" * 40


@pytest.fixture
def api(active, make_indexer, settings):
    indexer = make_indexer(manifest_dict(active, "local"))
    indexer.sync()
    client = TestClient(create_app(settings.model_copy(update={"cors_origins": ["http://dashboard.test"]})))
    return client, f"/api/v1/communities/{active.registry.address.lower()}", indexer


def walk(client, url, **params):
    items, cursor, pages = [], None, 0
    while True:
        page = client.get(url, params={**params, **({"cursor": cursor} if cursor else {})}).json()
        items.extend(page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages


def test_summary_roles_merchants_residents(api, registry, points, committee, manager, provider, chain):
    client, base, indexer = api
    summary = client.get(base).json()
    assert summary["name"] == "测试小区"
    assert summary["chain_id"] == chain.chain_id
    assert summary["contracts"]["CommunityPoints"] == points.address.lower()
    assert (summary["total_area"], summary["heads"]) == registry.totals()
    # The sale left owner_c without units; the buyer is a new head.
    assert summary["owners"] == 4
    assert summary["residents"] == 0  # the tenant unlinked
    assert summary["merchants"] == 0  # the merchant role was revoked and synced
    assert summary["points_supply"] == points.totalSupply() == 120 + 40 + 15 - 20
    roles = {(r["role"], r["account"]) for r in client.get(f"{base}/roles").json()}
    assert ("committee", committee.address.lower()) in roles
    assert ("manager", manager.address.lower()) in roles
    assert ("provider", provider.address.lower()) in roles
    assert not any(name == "merchant" for name, _ in roles)
    assert client.get(f"{base}/merchants").json() == []
    assert client.get(f"{base}/residents").json() == []
    communities = client.get("/api/v1/communities").json()
    assert [c["community"] for c in communities] == [registry.address.lower()]


def test_every_response_says_how_far_the_index_goes(api, chain):
    client, base, indexer = api
    head = chain.blocks.head.number
    for url in (base, f"{base}/units", f"{base}/units/1", f"{base}/owners/0", f"{base}/points/movements",
                f"{base}/events"):
        body = client.get(url).json()
        assert body["indexed_block"] == head, url
        assert body["finalized_block"] == max(indexer.start_block - 1, node_finalized(chain)), url


def test_units_and_owners(api, registry, owner_a, provider, attacker):
    client, base, _ = api
    units, pages = walk(client, f"{base}/units", limit=4)
    assert pages == 2
    assert [u["unit_id"] for u in units] == list(range(1, 7))
    unit4 = client.get(f"{base}/units/4").json()
    assert unit4["unit"]["area"] == 11_200
    assert unit4["unit"]["owner_wallet"] == attacker.address.lower()
    assert [(c["old_area"], c["new_area"]) for c in unit4["area_changes"]] == [(11_050, 11_200)]
    assert len(unit4["transfers"]) == 1 and unit4["transfers"][0]["new_owner"] == attacker.address.lower()
    # owner_b's identity moved to the recovered wallet.
    assert client.get(f"{base}/units/3").json()["owner"]["wallet"] == provider.address.lower()
    owner_a_detail = client.get(f"{base}/owners/0").json()
    assert owner_a_detail["owner"]["wallet"] == owner_a.address.lower()
    assert [u["unit_id"] for u in owner_a_detail["units"]] == [1, 2]
    owners, _ = walk(client, f"{base}/owners", limit=2)
    assert [o["identity"] for o in owners] == list(range(registry.identity_count()))


def test_points_movements_paginate_without_gap_or_duplicate(api, points, owner_a, merchant):
    client, base, _ = api
    everything = client.get(f"{base}/points/movements", params={"limit": 500}).json()["items"]
    paged, pages = walk(client, f"{base}/points/movements", limit=2)
    assert paged == everything and pages == (len(everything) + 1) // 2
    positions = [(m["block_number"], m["log_index"]) for m in everything]
    assert positions == sorted(set(positions))
    newest_first, _ = walk(client, f"{base}/points/movements", limit=3, order="desc")
    assert newest_first == list(reversed(everything))
    kinds = [m["kind"] for m in everything]
    assert kinds.count("mint") == 3 and kinds.count("redemption") == 1 and kinds.count("transfer") == 3
    mine, _ = walk(client, f"{base}/points/movements", holder=owner_a.address.upper().replace("0X", "0x"))
    assert sum(m["amount"] if m["receiver"] == owner_a.address.lower() else -m["amount"] for m in mine) \
        == points.balanceOf(owner_a)
    mints = client.get(f"{base}/points/mints", params={"reason": 3}).json()["items"]
    assert [(m["amount"], m["reason"]) for m in mints] == [(40, 3)]
    redemptions = client.get(f"{base}/points/redemptions", params={"merchant": merchant.address}).json()["items"]
    assert [(r["amount"], r["settlement_ref"]) for r in redemptions] == [(20, "0x" + "11" * 32)]
    balances, _ = walk(client, f"{base}/points/balances", limit=1)
    assert {b["holder"]: b["balance"] for b in balances} == {
        b["holder"]: points.balanceOf(b["holder"]) for b in balances}


def test_a_holders_movements_page_through_both_sides_once(api, points, committee, owner_a):
    """A holder's movements come from two index walks (as sender, as receiver) merged into
    one page: every page boundary, both orders, and a transfer to oneself counted once."""
    client, base, indexer = api
    points.set_free_transfer(True, sender=committee)
    points.transfer(owner_a, 7, sender=owner_a)
    indexer.sync()
    me = owner_a.address.lower()
    everything = client.get(f"{base}/points/movements", params={"limit": 500}).json()["items"]
    expected = [m for m in everything if me in (m["sender"], m["receiver"])]
    assert sum(m["sender"] == m["receiver"] == me for m in expected) == 1
    assert {m["sender"] == me for m in expected} == {True, False}
    for limit in (1, 2, 500):
        oldest_first, _ = walk(client, f"{base}/points/movements", holder=me, limit=limit)
        assert oldest_first == expected, limit
        newest_first, _ = walk(client, f"{base}/points/movements", holder=me, limit=limit, order="desc")
        assert newest_first == list(reversed(expected)), limit
    middle = expected[len(expected) // 2]
    window, _ = walk(client, f"{base}/points/movements", holder=me, limit=1,
                     from_block=middle["block_number"], to_block=middle["block_number"])
    assert window == [m for m in expected if m["block_number"] == middle["block_number"]]
    mints, _ = walk(client, f"{base}/points/movements", holder=me, kind="mint")
    assert mints == [m for m in expected if m["sender"] == ZERO]


def test_summary_follows_the_index(api, points, committee, owner_a):
    """The summary is kept between requests for the index position it was built at; a new
    indexed block, or a rollback and replay, gives a new one."""
    client, base, indexer = api
    before = client.get(base).json()
    assert client.get(base).json() == before
    points.mint(owner_a, 9, 1, sender=committee)
    indexer.sync()
    after = client.get(base).json()
    assert after["points_supply"] == before["points_supply"] + 9 == points.totalSupply()
    assert after["indexed_block"] > before["indexed_block"]
    indexer.rollback_to(before["indexed_block"])
    assert client.get(base).json()["points_supply"] == before["points_supply"]
    indexer.sync()
    assert client.get(base).json() == after


def test_raw_events_filter_and_paginate(api):
    client, base, _ = api
    all_events, _ = walk(client, f"{base}/events", limit=7)
    assert {e["contract"] for e in all_events} == {"HouseholdRegistry", "CommunityPoints"}
    sales = client.get(f"{base}/events", params={"event": "UnitTransferred"}).json()["items"]
    assert len(sales) == 1 and sales[0]["args"]["unit_id"] == 4
    in_range = client.get(f"{base}/events", params={"from_block": sales[0]["block_number"],
                                                   "to_block": sales[0]["block_number"]}).json()["items"]
    assert all(e["block_number"] == sales[0]["block_number"] for e in in_range) and len(in_range) >= 4


@pytest.mark.parametrize("path", ["/units/99", "/owners/99", f"/points/balances/{'0x' + 'ab' * 20}"])
def test_unknown_ids_are_404(api, path):
    client, base, _ = api
    assert client.get(base + path).status_code == 404


def test_unknown_community_is_404(api):
    client, _, _ = api
    assert client.get(f"/api/v1/communities/0x{'12' * 20}/units").status_code == 404


@pytest.mark.parametrize(
    "path, params, field",
    [
        ("/points/movements", {"limit": 0}, "limit"),
        ("/points/movements", {"limit": 100_000}, "limit"),
        ("/points/movements", {"cursor": "abc"}, "cursor"),
        ("/points/movements", {"cursor": "1:99999999999"}, "cursor"),
        ("/points/movements", {"holder": "0x1234"}, "holder"),
        ("/points/movements", {"kind": "gift"}, "kind"),
        ("/points/movements", {"from_block": -1}, "from_block"),
        ("/points/movements", {"to_block": 2**70}, "to_block"),
        ("/events", {"order": "sideways"}, "order"),
        ("/events", {"event": "Bad Name;"}, "event"),
        ("/units/0", {}, "unit_id"),
        ("/units/99999999999999999999999", {}, "unit_id"),
        ("/units", {"cursor": "-1"}, "cursor"),
        ("/points/mints", {"reason": 70000}, "reason"),
    ],
)
def test_bad_input_is_422_naming_the_field(api, path, params, field):
    client, base, _ = api
    answer = client.get(base + path, params=params)
    assert answer.status_code == 422, answer.text
    assert field in [entry["loc"][-1] for entry in answer.json()["detail"]]


def test_bad_community_address_is_422(api):
    client, _, _ = api
    answer = client.get("/api/v1/communities/not-an-address")
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == "community"


def test_health_metrics_docs_cors(api, chain):
    client, base, _ = api
    health = client.get("/health")
    assert health.status_code == 200, health.json()
    assert health.json()["node_head"] == chain.blocks.head.number
    assert health.json()["communities"][0]["lag"] == 0
    client.get(base)
    metrics = client.get("/metrics").text
    assert "linli_indexed_block{" in metrics and "linli_api_requests_total" in metrics
    assert client.get("/docs").status_code == 200
    assert "/api/v1/communities/{community}/points/movements" in client.get("/openapi.json").json()["paths"]
    allowed = client.get(base, headers={"Origin": "http://dashboard.test"})
    assert allowed.headers["access-control-allow-origin"] == "http://dashboard.test"
    assert "access-control-allow-origin" not in client.get(base, headers={"Origin": "http://evil.test"}).headers
