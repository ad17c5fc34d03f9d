"""The district table against a real chain: two communities listed in a DistrictRegistry
(the fees and assembly scene, and a second one deployed beside it), followed by one
district indexer into one database; each community's row in /district/communities is
what that community's own routes say."""

from __future__ import annotations

from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import manifest_dict
from backend.indexer.district import DistrictIndexer, abis_of
from backend.indexer.rpc import RpcClient
from tests.backend.test_indexer_district import ANVIL_FINALITY, list_in
from tests.utils.identity import commitment_for


def _all(client, path):
    items, cursor = [], None
    while True:
        page = client.get(path, params={"limit": 500, **({"cursor": cursor} if cursor else {})}).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def district_of(community, project, chain, committee, owner_a, deploy_other, engine, settings, rpc_url) -> dict:
    """List `community` and a second, bare one in a new DistrictRegistry, follow both with
    one district indexer, and check each row of the table against the community's own
    routes. Returns the table."""
    district = committee.deploy(project.DistrictRegistry, committee.address)
    first_block = chain.blocks.head.number
    list_in(district, community, committee)
    other = deploy_other("凉城小区")
    other.registry.register_unit("2-1-101", 9_000, owner_a.address, commitment_for("owner_a"), sender=committee)
    list_in(district, other, committee)
    chain.mine(ANVIL_FINALITY)
    rpc = RpcClient(rpc_url, timeout_s=5, max_retries=2, backoff_s=0.05, backoff_max_s=0.2)
    follower = DistrictIndexer(district.address, first_block, abis_of(manifest_dict(community, "local")), engine, rpc,
                               settings)
    follower.sync()
    rpc.close()
    client = TestClient(create_app(settings))

    answer = client.get("/api/v1/district/communities")
    assert answer.status_code == 200, answer.text
    table = answer.json()
    expected = sorted([community.registry.address.lower(), other.registry.address.lower()])
    assert [item["community"] for item in table["items"]] == expected
    for item in table["items"]:
        base = f"/api/v1/communities/{item['community']}"
        units = client.get(f"{base}/units", params={"limit": 500}).json()["items"]
        assert item["units"] == len(units)
        treasury = client.get(f"{base}/treasury")
        if treasury.status_code == 404:  # no PropertyFees: no fee figure
            assert all(item[name] is None for name in ("units_paid_up", "fee_collection_rate", "units_in_arrears",
                                                       "arrears", "fees_collected", "public_income_received"))
        else:
            statements = [client.get(f"{base}/units/{u['unit_id']}/statement").json() for u in units]
            behind = [s for s in statements if s["months_overdue"] > 0]
            assert (item["units_paid_up"], item["units_in_arrears"], item["arrears"]) == \
                (len(units) - len(behind), len(behind), sum(s["total"] for s in behind))
            assert item["fee_collection_rate"] == round(100 * (len(units) - len(behind)) / len(units), 2)
            treasury = treasury.json()
            assert (item["fees_collected"], item["public_income_received"], item["public_income_paid_out"]) == \
                (treasury["fees_collected"], treasury["public_income_received"],
                 treasury["public_income_received"] - treasury["balances"]["public_income"])
        # A community without the contract has no figure, where its own route answers 404.
        stats = client.get(f"{base}/suggestions/stats")
        assert (item["suggestions_received"], item["suggestions_answered"],
                item["suggestions_median_time_to_first_answer"]) == ((None,) * 3 if stats.status_code == 404 else (
                    stats.json()["submitted"], stats.json()["submitted"] - stats.json()["unanswered"],
                    stats.json()["time_to_first_answer"]["median"]))
        summary = client.get(f"{base}/activities/summary")
        assert (item["activities"], item["activity_sign_ups"], item["activity_check_ins"]) == \
            ((None,) * 3 if summary.status_code == 404 else (
                summary.json()["activities"], summary.json()["sign_ups"], summary.json()["check_ins"]))
        assert item["points_issued"] == sum(m["amount"] for m in _all(client, f"{base}/points/mints"))
        assert item["points_redeemed"] == sum(r["amount"] for r in _all(client, f"{base}/points/redemptions"))
        if client.get(f"{base}/assembly/rules").status_code == 404:
            assert item["assemblies_held"] is None
            continue
        finalized = [p for p in _all(client, f"{base}/assembly/proposals") if p["finalized"]]
        rules = [p["statute"] for p in finalized]
        assert (item["assemblies_held"], item["assemblies_passed"]) == \
            (len(finalized), sum(rule["passed"] for rule in rules))
        area = sum(r["total_area"] for r in rules)
        heads = sum(r["total_heads"] for r in rules)
        assert item["assembly_turnout_area"] == \
            (round(100 * sum(r["participating_area"] for r in rules) / area, 2) if area else None)
        assert item["assembly_turnout_heads"] == \
            (round(100 * sum(r["participating_heads"] for r in rules) / heads, 2) if heads else None)
    csv_rows = client.get("/api/v1/district/communities.csv").text.lstrip("\ufeff").splitlines()
    assert [row.split(",")[0] for row in csv_rows[1:]] == [*expected, "district"]
    return table


def test_each_row_equals_the_communitys_own_routes(fees_assembly, project, chain, committee, owner_a, deploy_other,
                                                   engine, settings, rpc_url):
    community = fees_assembly["community"]
    table = district_of(community, project, chain, committee, owner_a, deploy_other, engine, settings, rpc_url)
    scene, fresh = sorted(table["items"], key=lambda item: item["community"] != community.registry.address.lower())
    # The scene has money, ballots and arrears to compare; the new community one unit and no fees contract.
    assert scene["fees_collected"] > 0 and scene["assemblies_held"] > 0 and scene["units_in_arrears"] > 0
    assert (fresh["units"], fresh["fees_collected"]) == (1, None)
    total = table["district"]
    assert total["units"] == scene["units"] + 1
    assert total["fees_collected"] == scene["fees_collected"]
