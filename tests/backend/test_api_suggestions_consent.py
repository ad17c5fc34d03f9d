"""The suggestions and data consent API against a real anvil: statuses, histories and
handling times say what SuggestionBox says; grants and their state say what
DataConsent's `grant_of` says; the access log shows who read what, when and why."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import manifest_dict
from tests.backend.services_scenario import (  # noqa: F401 - fixtures
    HOME_ADDRESS,
    PHONE,
    h,
    service_accounts,
    services_world,
)

ZERO_HASH = "0x" + "00" * 32
STATUS_NAMES = {1: "submitted", 2: "received", 3: "accepted", 4: "in_progress", 5: "done", 6: "declined"}


@pytest.fixture
def api(services_world, make_indexer, settings):
    make_indexer(manifest_dict(services_world["community"], "local")).sync()
    client = TestClient(create_app(settings))
    return client, f"/api/v1/communities/{services_world['community'].registry.address.lower()}", services_world


def _hex(value) -> str:
    return "0x" + bytes(value).hex()


def test_suggestions_equal_the_contract_with_history_and_handling_times(api, owner_a, manager, committee):
    client, base, world = api
    box, ids = world["box"], world["suggestions"]
    for suggestion_id in range(1, box.suggestion_count() + 1):
        answer = client.get(f"{base}/suggestions/{suggestion_id}")
        assert answer.status_code == 200, answer.text
        got, view = answer.json(), box.suggestion(suggestion_id)
        assert (got["submitter"], got["category"], got["status_code"], got["submitted_at"], got["updated_at"],
                got["text_hash"], got["response_hash"] or ZERO_HASH) == \
            (view.submitter.lower(), view.category, view.status, view.submitted_at, view.updated_at,
             _hex(view.text_hash), _hex(view.response_hash))
        assert got["status"] == STATUS_NAMES[view.status]
        if got["status"] in ("done", "declined"):
            assert got["time_to_close"] == got["age"] == view.updated_at - view.submitted_at
        else:
            assert got["time_to_close"] is None
        assert [a["elapsed"] for a in got["history"]] == [a["answered_at"] - view.submitted_at for a in got["history"]]
    done = client.get(f"{base}/suggestions/{ids['done']}").json()
    assert [(a["previous_status"], a["status"]) for a in done["history"]] == [
        ("submitted", "received"), ("received", "accepted"), ("accepted", "in_progress"),
        ("in_progress", "in_progress"), ("in_progress", "done")]
    assert [a["answered_by"] for a in done["history"]][:2] == [manager.address.lower(), committee.address.lower()]
    assert done["time_to_first_answer"] < done["time_to_acceptance"] < done["time_to_close"]
    assert done["points"] == 10 and done["response_hash"] == "0x" + h("racks delivered").hex()
    waiting = client.get(f"{base}/suggestions/{ids['submitted']}").json()
    assert (waiting["answers"], waiting["time_to_first_answer"], waiting["history"]) == (0, None, [])
    assert waiting["age"] > 0

    newest_first = client.get(f"{base}/suggestions").json()["items"]
    assert [s["suggestion_id"] for s in newest_first] == sorted(ids.values(), reverse=True)
    pages, cursor = [], None
    while True:
        page = client.get(f"{base}/suggestions", params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        pages += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == newest_first
    for status in ("received", "in_progress", "submitted"):
        assert [s["suggestion_id"] for s in client.get(f"{base}/suggestions", params={"status": status})
                .json()["items"]] == [ids[status]]
    assert [s["suggestion_id"] for s in client.get(f"{base}/suggestions", params={"status": "declined"})
            .json()["items"]] == [ids["received_declined"], ids["declined"]]
    assert {s["suggestion_id"] for s in client.get(f"{base}/suggestions", params={"submitter": owner_a.address})
            .json()["items"]} == {ids["done"], ids["received"]}
    assert len(client.get(f"{base}/suggestions", params={"category": 2}).json()["items"]) == 3

    stats = client.get(f"{base}/suggestions/stats").json()
    assert stats["by_status"] == {"declined": 2, "done": 2, "in_progress": 1, "received": 1, "submitted": 1}
    assert (stats["submitted"], stats["open"], stats["unanswered"]) == (7, 3, 1)
    # Accepted at the first rate (10), then twice at 25; accepted 3 of the 5 decided.
    assert (stats["points_awarded"], stats["reward_rate"], stats["acceptance_rate"]) == (60, 25, 0.6)
    assert stats["points_awarded"] == box.reward_rate() * 2 + 10
    assert stats["time_to_first_answer"]["count"] == 6 and stats["time_to_done"]["count"] == 2
    closes = sorted(client.get(f"{base}/suggestions/{ids[k]}").json()["time_to_close"]
                    for k in ("declined", "received_declined"))
    assert (stats["time_to_decline"]["max"], stats["time_to_decline"]["median"]) == (closes[1], sum(closes) / 2)
    assert stats["oldest_open_age"] >= waiting["age"]
    by_category = {c["category"]: c for c in stats["by_category"]}
    assert (by_category[2]["submitted"], by_category[2]["done"], by_category[2]["open"]) == (3, 2, 1)
    only_2 = client.get(f"{base}/suggestions/stats", params={"category": 2}).json()
    assert only_2["submitted"] == 3 and [c["category"] for c in only_2["by_category"]] == [2]


def test_grants_and_accesses_equal_the_contract(api, owner_a, owner_b, owner_c, tenant, manager, merchant, provider,
                                                developer):
    client, base, world = api
    consent, plumber, vault = world["consent"], world["plumber"], world["vault"]
    triples = [(owner_a, manager, HOME_ADDRESS, "expired"), (owner_a, provider, PHONE, "revoked"),
               (owner_b, provider, PHONE, "live"), (owner_c, merchant, HOME_ADDRESS, "role_lost"),
               (tenant, plumber, HOME_ADDRESS, "live")]
    for resident, grantee, scope, state in triples:
        answer = client.get(f"{base}/consent/residents/{resident.address}/grants",
                            params={"grantee": grantee.address, "scope": _hex(scope)})
        assert answer.status_code == 200, answer.text
        latest = answer.json()["items"][0]
        view = consent.grant_of(resident, grantee, scope)
        assert (latest["version"], latest["expiry"], latest["granted_at"], latest["revoked_at"] or 0,
                latest["grantee_role_id"], latest["live"]) == \
            (view.version, view.expiry, view.granted_at, view.revoked_at, _hex(view.grantee_role), view.live)
        assert latest["live"] == consent.has_live_grant(resident, grantee, scope)
        assert latest["state"] == state, (resident, grantee)
    mine = client.get(f"{base}/consent/residents/{owner_a.address}/grants").json()["items"]
    assert [(g["grantee"], g["state"], g["renewals"], g["accesses"]) for g in mine] == [
        (provider.address.lower(), "revoked", 1, 2), (manager.address.lower(), "expired", 0, 1)]
    assert mine[0]["expiry"] > mine[0]["original_expiry"] and mine[0]["reference"] == "0x" + h("request 1").hex()
    assert (mine[0]["grantee_role"], mine[1]["grantee_role"]) == ("provider", "manager")
    versions = client.get(f"{base}/consent/residents/{owner_b.address}/grants").json()["items"]
    assert [(g["version"], g["state"], g["replaces"]) for g in versions] == [(2, "live", 1), (1, "superseded", 0)]
    assert [g["version"] for g in client.get(f"{base}/consent/residents/{owner_b.address}/grants",
                                             params={"state": "superseded"}).json()["items"]] == [1]
    given = client.get(f"{base}/consent/grantees/{provider.address}/grants").json()["items"]
    assert [(g["resident"], g["version"]) for g in given] == [
        (owner_b.address.lower(), 2), (owner_b.address.lower(), 1), (owner_a.address.lower(), 1)]
    assert [g["resident"] for g in client.get(f"{base}/consent/grantees/{provider.address}/grants",
                                              params={"state": "live"}).json()["items"]] == [owner_b.address.lower()]

    log = client.get(f"{base}/consent/residents/{owner_a.address}/accesses").json()["items"]
    assert [(a["grantee"], a["scope"], a["purpose_hash"], a["logged_by"], a["version"]) for a in log] == [
        (provider.address.lower(), _hex(PHONE), _hex(h("reschedule request 1")), provider.address.lower(), 1),
        (provider.address.lower(), _hex(PHONE), _hex(h("call about request 1")), vault.address.lower(), 1),
        (manager.address.lower(), _hex(HOME_ADDRESS), _hex(h("deliver a parcel")), vault.address.lower(), 1)]
    assert log[0]["accessed_at"] >= log[1]["accessed_at"] > log[2]["accessed_at"]
    assert client.get(f"{base}/consent/residents/{owner_a.address}/accesses",
                      params={"scope": _hex(HOME_ADDRESS)}).json()["items"] == log[2:]
    assert client.get(f"{base}/consent/residents/{owner_a.address}/accesses",
                      params={"from_time": log[1]["accessed_at"], "limit": 1}).json()["items"] == log[:1]
    read = client.get(f"{base}/consent/grantees/{provider.address}/accesses").json()["items"]
    assert [a["resident"] for a in read] == [owner_b.address.lower(), owner_a.address.lower(), owner_a.address.lower()]
    assert client.get(f"{base}/consent/residents/{owner_c.address}/accesses").json()["items"] == []
    loggers = client.get(f"{base}/consent/loggers").json()["items"]
    assert {(entry["account"], entry["enabled"], entry["changes"]) for entry in loggers} == {
        (vault.address.lower(), True, 1), (developer.address.lower(), False, 2)}
    assert all(consent.is_logger(entry["account"]) == entry["enabled"] for entry in loggers)


BAD_INPUT = [
    ("/suggestions", {"status": "lost"}, "status"),
    ("/suggestions", {"category": 0}, "category"),
    ("/suggestions", {"submitter": "0x12"}, "submitter"),
    ("/suggestions", {"limit": 0}, "limit"),
    ("/suggestions/0", {}, "suggestion_id"),
    ("/suggestions/stats", {"from_time": -1}, "from_time"),
    ("/suggestions/stats", {"to_time": 2**41}, "to_time"),
    (f"/consent/residents/{'0x' + '1' * 40}/grants", {"state": "alive"}, "state"),
    (f"/consent/residents/{'0x' + '1' * 40}/grants", {"scope": "phone"}, "scope"),
    ("/consent/residents/not-an-address/grants", {}, "resident"),
    (f"/consent/grantees/{'0x' + '1' * 40}/grants", {"resident": "0x"}, "resident"),
    (f"/consent/residents/{'0x' + '1' * 40}/accesses", {"cursor": "x"}, "cursor"),
    (f"/consent/grantees/{'0x' + '1' * 40}/accesses", {"from_time": 2**41}, "from_time"),
]


def test_unknown_ids_are_404_and_bad_input_422_naming_the_field(api):
    client, base, _ = api
    assert client.get(f"{base}/suggestions/99").status_code == 404
    nobody = "0x" + "1" * 40
    assert client.get(f"{base}/consent/residents/{nobody}/grants").json()["items"] == []
    for path, params, field in BAD_INPUT:
        answer = client.get(base + path, params=params)
        assert answer.status_code == 422, (path, answer.text)
        assert field in [entry["loc"][-1] for entry in answer.json()["detail"]], path
