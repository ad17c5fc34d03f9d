"""The owners' assembly API against a real anvil: states, live tallies and the
statute's outcome equal the contract's own views; ballots (in person, signed,
by delegate) and delegations list and filter; bad input is 422, unknown ids 404."""

from __future__ import annotations

from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import manifest_dict
from tests.assembly.helpers import ABSTAIN, AGAINST, FOR


def test_proposals_equal_the_contract_views(fees_assembly, make_indexer, settings, committee, owner_a, owner_b,
                                            owner_c, developer, tenant, merchant, provider):
    make_indexer(manifest_dict(fees_assembly["community"], "local")).sync()
    client = TestClient(create_app(settings))
    base = f"/api/v1/communities/{fees_assembly['community'].registry.address.lower()}/assembly"
    assembly, made = fees_assembly["assembly"], fees_assembly["proposals"]

    listed = client.get(f"{base}/proposals").json()["items"]
    assert [p["proposal_id"] for p in listed] == [str(made[k].id) for k in ("repair", "share", "withdrawn", "owners")]
    for item in listed:
        pid = int(item["proposal_id"])
        assert item["state_code"] == assembly.state(pid), item["title"]
        for name, support in (("for", FOR), ("against", AGAINST), ("abstain", ABSTAIN)):
            assert (item["tallies"][name]["area"], item["tallies"][name]["heads"]) == assembly.tally(pid, support)
        turnout, passed, total_area, total_heads = assembly.outcome(pid)
        rule = item["statute"]
        assert (rule["turnout_met"], rule["passed"], rule["total_area"], rule["total_heads"]) == \
            (turnout, passed, total_area, total_heads)
        start, end, snapshot, matter, _, cosigners, window, eta = assembly.proposal(pid)
        assert (item["vote_start"], item["vote_end"], item["snapshot_block"], item["matter"], item["cosigners"],
                item["objection_window"], item["eta"] or 0) == (start, end, snapshot, matter, cosigners, window, eta)
    repair, share, withdrawn, owners = listed
    assert (owners["cosigners_required"], owners["cosigners"]) == (1, 1)
    assert client.get(f"{base}/proposals/{made['owners'].id}").json()["cosigns"][0]["owner"] == \
        owner_a.address.lower()
    assert (repair["state"], repair["executed"], repair["finalized"]) == ("executed", True, True)
    assert (share["state"], share["major"], share["statute"]["rule"]) == ("active", True, "major")
    assert withdrawn["state"] == "canceled"
    # Thresholds: 2/3 of the area and heads to take part, then > 1/2 (ordinary) or ≥ 3/4 (major).
    total_area, total_heads = repair["statute"]["total_area"], repair["statute"]["total_heads"]
    assert repair["statute"]["turnout_heads_required"] == 3 == -(-2 * total_heads // 3)
    assert repair["statute"]["turnout_area_required"] * 3 >= 2 * total_area
    assert (repair["statute"]["turnout_area_required"] - 1) * 3 < 2 * total_area
    assert share["statute"]["approval_heads_required"] == 2 and not share["statute"]["turnout_met"]
    # Filtering by the state now, one proposal per page: the pages cover exactly the matches.
    for state in ("executed", "active", "canceled", "succeeded"):
        expected = [p["proposal_id"] for p in listed if p["state"] == state]
        seen, cursor = [], None
        while True:
            params = {"state": state, "limit": 1, **({"cursor": cursor} if cursor else {})}
            page = client.get(f"{base}/proposals", params=params).json()
            seen += [p["proposal_id"] for p in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == expected, state
    assert client.get(f"{base}/proposals", params={"state": "won"}).status_code == 422

    # The timelock ran the repair's two calls, in order, after its delay.
    timelock = fees_assembly["timelock"]
    rules = client.get(f"{base}/rules").json()
    assert (rules["timelock_contract"], rules["timelock_delay"]) == (timelock.address.lower(),
                                                                     timelock.get_minimum_delay())
    calls = client.get(f"{base}/timelock/calls").json()["items"]
    assert [(c["target"], c["payload"], c["state"]) for c in calls] == [
        (target.lower(), "0x" + bytes(data).hex(), "done")
        for target, data in zip(made["repair"].targets, made["repair"].calldatas, strict=True)]
    for call in calls:
        assert timelock.is_operation_done(call["operation_id"])
        assert call["ready_at"] == call["block_timestamp"] + timelock.get_minimum_delay()
        assert call["executed_tx"] is not None
    assert client.get(f"{base}/timelock/calls", params={"state": "waiting"}).json()["items"] == []
    assert client.get(f"{base}/timelock/calls", params={"state": "done", "limit": 1}).json()["next_cursor"]
    assert client.get(f"{base}/timelock/calls", params={"state": "run"}).status_code == 422

    detail = client.get(f"{base}/proposals/{made['repair'].id}").json()
    assert [c["target"] for c in detail["calls"]] == [t.lower() for t in made["repair"].targets]
    assert detail["calls"][0]["calldata"] == "0x" + bytes(made["repair"].calldatas[0]).hex()
    assert [c["objection"] for c in client.get(f"{base}/proposals/{made['share'].id}").json()["comments"]] == [True]

    ballots = client.get(f"{base}/proposals/{made['repair'].id}/votes", params={"limit": 3}).json()
    rest = client.get(f"{base}/proposals/{made['repair'].id}/votes", params={"cursor": ballots["next_cursor"]}).json()
    votes = ballots["items"] + rest["items"]
    assert [(v["voter"], v["choice"], v["delegate"]) for v in votes] == [
        (owner_a.address.lower(), "for", None), (owner_b.address.lower(), "for", None),
        (owner_c.address.lower(), "against", tenant.address.lower()),
        (developer.address.lower(), "for", merchant.address.lower())]
    assert sum(v["area"] for v in votes if v["support"] == FOR) == assembly.tally(made["repair"].id, FOR)[0]
    against = client.get(f"{base}/proposals/{made['repair'].id}/votes", params={"support": AGAINST}).json()["items"]
    assert [v["voter"] for v in against] == [owner_c.address.lower()]

    history = client.get(f"{base}/delegations").json()["items"]
    assert len(history) == 4 and [d["active"] for d in history] == [True, True, True, False]
    current = client.get(f"{base}/delegations", params={"current": True}).json()["items"]
    assert {(d["owner"], d["delegate"], d["proposal_id"]) for d in current} == {
        (owner_c.address.lower(), tenant.address.lower(), str(made["repair"].id)),
        (developer.address.lower(), merchant.address.lower(), "0")}
    for d in current:
        assert assembly.delegate_of(d["owner"], int(d["proposal_id"])).lower() == d["delegate"]
    assert client.get(f"{base}/delegations", params={"proposal_id": 0, "owner": owner_b.address}).json()[
        "items"][-1]["active"] is False

    rules = client.get(f"{base}/rules").json()
    assert (rules["min_notice"], rules["min_voting_period"], rules["max_voting_period"],
            rules["objection_window"]) == (assembly.min_notice(), assembly.min_voting_period(),
                                           assembly.max_voting_period(), assembly.objection_window())
    fees = fees_assembly["fees"]
    classes = {(c["target"], c["selector"]): c["call_class"] for c in rules["call_classes"] if not c["by_arg"]}

    def selector(method):
        return "0x" + bytes(method.encode_input(*([0] * len(method.abis[0].inputs))))[:4].hex()

    assert classes[(fees.address.lower(), selector(fees.set_maintenance_share))] == "major"
    treasury = fees_assembly["treasury"]
    assert classes[(treasury.address.lower(), selector(treasury.release_milestone))] == "ordinary"
    assert rules["queue_window"] == assembly.queue_window()
    assert rules["constitution_contract"].lower() == assembly.constitution().lower()

    # Unknown ids are 404; bad input is 422 naming the field.
    assert client.get(f"{base}/proposals/12345").status_code == 404
    assert client.get(f"{base}/proposals/12345/votes").status_code == 404
    for path, params, field in ((f"{base}/proposals/abc", {}, "proposal_id"),
                                (f"{base}/proposals", {"matter": 10}, "matter"),
                                (f"{base}/proposals/{made['repair'].id}/votes", {"support": 3}, "support"),
                                (f"{base}/delegations", {"proposal_id": "-1"}, "proposal_id"),
                                (f"{base}/delegations", {"owner": "0x1"}, "owner")):
        answer = client.get(path, params=params)
        assert answer.status_code == 422, (path, answer.text)
        assert field in [e["loc"][-1] for e in answer.json()["detail"]]
