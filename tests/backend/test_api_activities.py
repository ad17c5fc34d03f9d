"""The activities and promotions API against a real anvil: activities, sign-ups,
attendance, feedback and a resident's participation say what CommunityActivities
says; promotion slots and their money say what MerchantPromotions and PropertyFees
say; the community summary counts them; bad input is a 422 naming the field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import manifest_dict
from tests.backend.culture_scenario import APP_HOME, BANNER

STATUS = {1: "proposed", 2: "open", 3: "cancelled"}
ZERO = "0x" + "0" * 40


@pytest.fixture
def activities_api(culture_scene, make_indexer, settings):
    make_indexer(manifest_dict(culture_scene.community, "local")).sync()
    client = TestClient(create_app(settings))
    return client, f"/api/v1/communities/{culture_scene.community.registry.address.lower()}", culture_scene


def all_pages(client, url, **params):
    items, cursor = [], None
    while True:
        answer = client.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_activities_equal_the_contract(activities_api, chain, owner_c):
    client, base, scene = activities_api
    contract = scene.activities
    ids = scene.activity_ids
    now = chain.blocks.head.timestamp
    for name, activity_id in ids.items():
        answer = client.get(f"{base}/activities/{activity_id}")
        assert answer.status_code == 200, answer.text
        got = answer.json()
        view = contract.activity(activity_id)
        assert (got["starts_at"], got["ends_at"], got["capacity"], got["signed_up"], got["checked_in"], got["points"],
                got["status"], got["organiser"], got["feedback_count"], got["feedback_sum"]) == \
            (view.start, view.end, view.capacity, view.signed_up, view.checked_in, view.points, STATUS[view.status],
             view.organiser.lower(), view.feedback_count, view.feedback_sum), name
        assert got["phase"] == ("upcoming" if now < view.start else "ongoing" if now < view.end else "past"), name
        assert got["points_awarded"] == view.points * view.checked_in
    reading = client.get(f"{base}/activities/{ids['reading']}").json()
    assert (reading["title"], reading["feedback_average"], reading["organiser"]) == ("读书会", 4.5,
                                                                                     owner_c.address.lower())
    walk = client.get(f"{base}/activities/{ids['walk']}").json()
    assert walk["proposed"] and walk["status"] == "open" and walk["approved_by"] is not None
    concert = client.get(f"{base}/activities/{ids['concert']}").json()
    assert concert["cancelled_by"] == concert["organiser"] and concert["cancellation_reason_hash"].startswith("0x")
    summary = client.get(f"{base}/activities/summary").json()
    assert summary["max_points"] == contract.max_points() == 50
    assert summary["activities"] == contract.activity_count() == 5
    assert summary["by_status"] == {"proposed": 1, "open": 3, "cancelled": 1}
    assert summary["by_phase"] == {"upcoming": 1, "ongoing": 0, "past": 2}
    views = [contract.activity(i) for i in ids.values()]
    assert summary["sign_ups"] == sum(v.signed_up for v in views)
    assert summary["check_ins"] == sum(v.checked_in for v in views) == 5
    assert summary["points_awarded"] == sum(v.points * v.checked_in for v in views) == 35
    assert summary["feedback_average"] == round((5 + 4 + 3 + 4) / 4, 4)


def test_activities_filter_by_status_phase_and_organiser(activities_api, owner_b, owner_c):
    client, base, scene = activities_api
    ids = scene.activity_ids

    def listed(**params):
        return [a["activity_id"] for a in all_pages(client, f"{base}/activities", **params)]

    assert listed(limit=2) == sorted(ids.values())
    assert listed(order="desc") == sorted(ids.values(), reverse=True)
    assert listed(status="open") == [ids["reading"], ids["walk"], ids["festival"]]
    assert listed(status="proposed") == [ids["chess"]]
    assert listed(status="cancelled") == [ids["concert"]]
    assert listed(phase="upcoming") == [ids["festival"]]
    assert listed(phase="ongoing") == []
    assert listed(status="open", phase="past") == [ids["reading"], ids["walk"]]
    assert listed(organiser=owner_c.address) == [ids["reading"]]
    assert listed(organiser=owner_b.address) == [ids["chess"], ids["concert"]]


def test_sign_ups_attendance_feedback_and_participation_equal_the_contract(activities_api, committee, owner_a, owner_b,
                                                                           owner_c, tenant, developer):
    client, base, scene = activities_api
    contract = scene.activities
    reading, walk = scene.activity_ids["reading"], scene.activity_ids["walk"]
    places = all_pages(client, f"{base}/activities/{reading}/sign-ups", limit=1)
    assert [(p["resident"], p["checked_in"]) for p in places] == [
        (owner_a.address.lower(), True), (owner_b.address.lower(), True), (developer.address.lower(), False)]
    for place in places:
        signed, attended, _, _ = contract.seat(reading, place["resident"])
        assert signed and attended == place["checked_in"]
    assert not contract.seat(reading, tenant)[0]  # cancelled: holds no place
    assert len(places) == contract.activity(reading).signed_up
    checks = all_pages(client, f"{base}/activities/{reading}/attendance")
    assert [(c["attendee"], c["checked_in_by"], c["by_code"], c["points"]) for c in checks] == [
        (owner_a.address.lower(), owner_c.address.lower(), False, 10),
        (owner_b.address.lower(), committee.address.lower(), True, 10)]
    walk_checks = all_pages(client, f"{base}/activities/{walk}/attendance")
    assert [(c["attendee"], c["by_code"]) for c in walk_checks] == [
        (owner_b.address.lower(), False), (owner_c.address.lower(), False), (tenant.address.lower(), True)]
    scores = all_pages(client, f"{base}/activities/{reading}/feedback")
    assert [(f["attendee"], f["score"]) for f in scores] == [(owner_a.address.lower(), 5), (owner_b.address.lower(), 4)]
    assert sum(f["score"] for f in scores) == contract.activity(reading).feedback_sum
    for who in (owner_a, owner_b, owner_c, tenant, developer):
        mine = all_pages(client, f"{base}/residents/{who.address}/activities")
        for entry in mine:
            signed, attended, gave, score = contract.seat(entry["activity_id"], who)
            assert (entry["signed_up"], entry["checked_in"], entry["feedback_score"] is not None) == \
                (signed, attended, gave), (who, entry["activity_id"])
            assert (entry["feedback_score"] or 0) == score
            assert entry["points_earned"] == (contract.activity(entry["activity_id"]).points if attended else 0)
    tenant_entries = all_pages(client, f"{base}/residents/{tenant.address}/activities")
    assert [(e["activity_id"], e["signed_up"], e["by_code"]) for e in tenant_entries] == [
        (reading, False, None), (walk, True, True)]
    assert [e["activity_id"] for e in all_pages(client, f"{base}/residents/{owner_a.address}/activities")] == \
        [reading, scene.activity_ids["festival"]]


def test_promotions_equal_the_contract_and_reach_public_income(activities_api, merchant, provider):
    client, base, scene = activities_api
    promotions, fees, period = scene.promotions, scene.fees, scene.period
    slots = all_pages(client, f"{base}/promotions", limit=3)
    assert [(s["placement"], s["period"]) for s in slots] == [
        (BANNER, period), (APP_HOME, period + 1), (BANNER, period + 1), (BANNER, period + 2)]
    for s in slots:
        holder, paid = promotions.slot(s["placement"], s["period"])
        assert (s["merchant"], s["price"]) == (holder.lower(), paid)
        assert s["public_income"] == s["price"]
        assert (s["period_start"], s["period_end"]) == (fees.month_start(s["period"]),
                                                        fees.month_start(s["period"] + 1))
    assert [s["price"] for s in slots] == [500_00, 300_00, 600_00, 600_00]
    monthly = client.get(f"{base}/promotions/monthly").json()["items"]
    assert [(m["period"], m["slots"], m["paid"], m["by_placement"]) for m in monthly] == [
        (period, 1, 500_00, {str(BANNER): 500_00}),
        (period + 1, 2, 900_00, {str(BANNER): 600_00, str(APP_HOME): 300_00}),
        (period + 2, 1, 600_00, {str(BANNER): 600_00})]
    assert all(m["public_income"] == m["paid"] for m in monthly)
    # Every fen of the slots is in the treasury's public income, beside the parking fee.
    paid = sum(m["paid"] for m in monthly)
    assert fees.public_income() == paid + 8_000
    assert client.get(f"{base}/treasury").json()["public_income_by_source"] == {"promotion": paid, "parking": 8_000}
    assert client.get(f"{base}/promotions/monthly", params={"from_period": period + 1,
                                                            "to_period": period + 1}).json()["items"] == monthly[1:2]
    assert [s["merchant"] for s in all_pages(client, f"{base}/promotions", merchant=provider.address)] == \
        [provider.address.lower()]
    assert len(all_pages(client, f"{base}/promotions", placement=BANNER, from_period=period + 1)) == 2
    prices = client.get(f"{base}/promotions/prices").json()["items"]
    assert [(p["placement"], p["price"], p["offered"]) for p in prices] == [
        (BANNER, promotions.price_of(BANNER), True), (APP_HOME, promotions.price_of(APP_HOME), False)]
    one = client.get(f"{base}/promotions/slots/{BANNER}/{period + 1}").json()
    assert (one["merchant"], one["price"]) == (provider.address.lower(), 600_00)
    assert tuple(promotions.slot(APP_HOME, period)) == (ZERO, 0)
    assert client.get(f"{base}/promotions/slots/{APP_HOME}/{period}").status_code == 404


def test_community_summary_counts_culture_activities_and_promotions(activities_api):
    client, base, scene = activities_api
    summary = client.get(base).json()
    assert (summary["works"], summary["exhibitions"]) == (len(scene.works), scene.culture.exhibition_count())
    assert (summary["activities"], summary["upcoming_activities"], summary["promotions"]) == \
        (scene.activities.activity_count(), 1, 4)


BAD_INPUT = [
    ("/activities", {"status": "done"}, "status"),
    ("/activities", {"phase": "soon"}, "phase"),
    ("/activities", {"organiser": "0x12"}, "organiser"),
    ("/activities", {"cursor": "1:2:3"}, "cursor"),
    ("/activities/0", {}, "activity_id"),
    ("/activities/abc/sign-ups", {}, "activity_id"),
    ("/activities/1/feedback", {"limit": 0}, "limit"),
    ("/residents/0x12/activities", {}, "wallet"),
    ("/promotions", {"placement": 256}, "placement"),
    ("/promotions", {"from_period": -1}, "from_period"),
    ("/promotions/monthly", {"to_period": 2**40}, "to_period"),
    ("/promotions/slots/256/1", {}, "placement"),
    ("/promotions/slots/1/-1", {}, "period"),
]


def test_unknown_ids_are_404_and_bad_input_422_naming_the_field(activities_api):
    client, base, _ = activities_api
    for path in ("/activities/99", "/activities/99/sign-ups", "/activities/99/attendance", "/activities/99/feedback",
                 "/promotions/slots/9/1"):
        assert client.get(base + path).status_code == 404, path
    for path, params, field in BAD_INPUT:
        answer = client.get(base + path, params=params)
        assert answer.status_code == 422, (path, answer.text)
        assert field in [entry["loc"][-1] for entry in answer.json()["detail"]], path


