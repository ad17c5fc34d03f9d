"""Ballots the law accepts (issue 20) through the index and the API, against a real
anvil: every standing ballot with its channel (own wallet, delegate, paper, relayed
signature) and whether it replaced another, a changed ballot once with its latest
choice; the tellers, the paper entries and the reconciliation equal PaperBallots'
own views; the resolution announcement (决议公告) PDF carries the chain's figures and
is the same bytes every time; the voter roll CSV. One scene (`ballots_scene`)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import manifest_dict
from tests.assembly.helpers import AGAINST, FOR

CHANNELS = {0: "own", 1: "delegate", 2: "paper", 3: "signed"}


@pytest.fixture
def api(ballots_scene, make_indexer, settings):
    make_indexer(manifest_dict(ballots_scene["community"], "local")).sync()
    client = TestClient(create_app(settings))
    base = f"/api/v1/communities/{ballots_scene['community'].registry.address.lower()}/assembly"
    return client, base


def test_ballots_and_paper_equal_the_contract_views(api, ballots_scene, owner_a, owner_b, owner_c, developer,
                                                     tenant, merchant):
    client, base = api
    assembly, paper, p, ids = (ballots_scene[k] for k in ("assembly", "paper", "proposal", "identities"))

    ballots = client.get(f"{base}/proposals/{p.id}/votes").json()["items"]
    # One standing ballot per identity, in chain order; owner_a's first (against) is gone.
    assert [(v["voter"], v["identity"], v["choice"], v["channel"], v["replaced"], v["replaced_channel"])
            for v in ballots] == [
        (owner_a.address.lower(), ids[owner_a], "for", "own", True, "own"),
        (owner_c.address.lower(), ids[owner_c], "for", "signed", True, "delegate"),
        (developer.address.lower(), ids[developer], "for", "paper", True, "delegate")]
    for v in ballots:
        standing = assembly.ballot_of(p.id, v["identity"])
        assert (standing & 3) - 1 == v["support"] and CHANNELS[standing >> 2] == v["channel"]
        assert v["delegate"] is None
    assert assembly.ballot_of(p.id, ids[owner_b]) == 0
    assert sum(v["area"] for v in ballots) == assembly.tally(p.id, FOR)[0]
    assert tuple(assembly.tally(p.id, AGAINST)) == (0, 0)
    # Paging and filters see only standing ballots: owner_a's changed one is not "against".
    first = client.get(f"{base}/proposals/{p.id}/votes", params={"limit": 2}).json()
    rest = client.get(f"{base}/proposals/{p.id}/votes", params={"cursor": first["next_cursor"]}).json()
    assert [v["voter"] for v in first["items"] + rest["items"]] == [v["voter"] for v in ballots]
    assert client.get(f"{base}/proposals/{p.id}/votes", params={"support": AGAINST}).json()["items"] == []
    proposal = client.get(f"{base}/proposals/{p.id}").json()
    for name, support in (("for", FOR), ("against", AGAINST)):
        assert (proposal["tallies"][name]["area"], proposal["tallies"][name]["heads"]) == assembly.tally(p.id, support)

    found = client.get(f"{base}/proposals/{p.id}/paper").json()
    assert found["paper_contract"] == paper.address.lower()
    assert found["tellers"] == [owner_a.address.lower(), owner_c.address.lower()]
    entries = {e["identity"]: e for e in found["entries"]}
    assert list(entries) == [ids[developer], ids[owner_b]]
    for who, entry in ((developer, entries[ids[developer]]), (owner_b, entries[ids[owner_b]])):
        on_chain = paper.entry(p.id, ids[who])
        assert (entry["entered_by"], entry["support"], entry["confirmed"], entry["scan_hash"]) == (
            on_chain.teller.lower(), on_chain.support, on_chain.confirmed, "0x" + bytes(on_chain.scan_hash).hex())
        assert entry["scan_hash"] == "0x" + ballots_scene["scans"][who].hex()
    dev = entries[ids[developer]]
    assert (dev["confirmed_by"], dev["replaced_channel"], dev["area"]) == (
        owner_c.address.lower(), "delegate", [v["area"] for v in ballots if v["channel"] == "paper"][0])
    assert dev["confirmed_tx"] == [v["tx_hash"] for v in ballots if v["channel"] == "paper"][0]
    b = entries[ids[owner_b]]
    assert (b["confirmed"], b["confirmed_by"], b["confirmed_tx"], b["choice"]) == (False, None, None, "against")
    rec = found["reconciliation"]
    assert (rec["declared"], rec["declaration_confirmed"], rec["entered"], rec["confirmed"], rec["reconciled"]) == (
        paper.declared(p.id), paper.declaration_confirmed(p.id), paper.entered(p.id), paper.confirmed(p.id),
        paper.reconciled(p.id))
    assert (rec["declared"], rec["confirmed_declaration"], rec["entered"], rec["confirmed"], rec["reconciled"]) == (
        2, 2, 2, 1, False)
    assert (rec["declared_by"], rec["declaration_confirmed_by"]) == (owner_a.address.lower(), owner_c.address.lower())
    # No names anywhere: identities, wallets, hashes.
    assert "name" not in str(found)
    assert client.get(f"{base}/proposals/12345/paper").status_code == 404
