"""Ballots the law accepts (issue 20) through the index and the API, against a real
anvil: every standing ballot with its channel (own wallet, delegate, paper, relayed
signature) and whether it replaced another, a changed ballot once with its latest
choice; the tellers, the paper entries and the reconciliation equal PaperBallots'
own views; the resolution announcement (决议公告) PDF carries the chain's figures and
is the same bytes every time; the voter roll CSV; where each result stands the legal
way (preliminary, objection period with its objections, final) equal to PaperBallots'
views, and no result while the paper count does not add up. One scene (`ballots_scene`)."""

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
    # Not reconciled: no result was published, and none can be (the scene's attempt was refused).
    assert proposal["result"] == {"phase": "none", "paper_reconciled": False, "passed": None, "preliminary_at": None,
                                  "preliminary_tx": None, "objection_ends": None, "objections": 0, "final_at": None,
                                  "final_tx": None, "served_area": 0, "served_heads": 0, "deemed": None}
    assert (proposal["state"], proposal["state_code"], proposal["finalized"]) == ("announced", assembly.state(p.id),
                                                                                  False)
    assert paper.result_state(p.id) == 0
    assert client.get(f"{base}/proposals/12345/paper").status_code == 404


def test_result_steps_equal_the_contract_views(api, ballots_scene, make_indexer, settings, owner_a):
    """The settled proposal: its preliminary result, the objection period with its one
    objection, the final result; the listing says the same; rolled back to the
    preliminary result, the objection period runs again with no objection yet."""
    client, base = api
    assembly, paper, settled = ballots_scene["assembly"], ballots_scene["paper"], ballots_scene["settled"]
    pre_tx, final_tx = ballots_scene["preliminary_tx"], ballots_scene["final_tx"]
    got = client.get(f"{base}/proposals/{settled.id}").json()
    assert got["result"] == {
        "phase": "final", "paper_reconciled": True, "passed": True, "preliminary_at": pre_tx.timestamp,
        "preliminary_tx": str(pre_tx.txn_hash).lower(), "objection_ends": paper.objection_ends(settled.id),
        "objections": paper.objections(settled.id), "final_at": final_tx.timestamp,
        "final_tx": str(final_tx.txn_hash).lower(), "served_area": 0, "served_heads": 0, "deemed": None}
    assert got["nonvoter_rule"] is False
    assert got["result"]["objections"] == 1 and paper.result_state(settled.id) == 3
    assert got["result"]["objection_ends"] == pre_tx.timestamp + assembly.proposal(settled.id)[6]
    assert (got["state"], got["state_code"], got["finalized"]) == ("succeeded", assembly.state(settled.id), True)
    listed = {p["proposal_id"]: p for p in client.get(f"{base}/proposals").json()["items"]}
    assert listed[str(settled.id)]["result"] == got["result"]

    indexer = make_indexer(manifest_dict(ballots_scene["community"], "local"))
    indexer.sync()
    indexer.rollback_to(pre_tx.block_number)
    client = TestClient(create_app(settings))
    back = client.get(f"{base}/proposals/{settled.id}").json()
    assert (back["result"]["phase"], back["result"]["objections"], back["result"]["final_tx"]) == (
        "preliminary", 0, None)
    assert (back["state"], back["finalized"]) == ("announced", False)
    indexer.sync()
    assert client.get(f"{base}/proposals/{settled.id}").json()["result"] == got["result"]


def test_announcement_pdf_carries_the_chain_figures_and_the_same_bytes(api, ballots_scene, engine, monkeypatch):
    import io
    import re

    from pypdf import PdfReader
    from sqlalchemy import func, select

    from backend.db.models import Base, RawEvent
    from backend.indexer.specs import EVENT_SPECS
    from backend.notices import export

    client, base = api
    assembly, paper, p, ids = (ballots_scene[k] for k in ("assembly", "paper", "proposal", "identities"))
    # Every PaperBallots event and VoteChanged landed in its typed table.
    with engine.connect() as conn:
        for spec in EVENT_SPECS:
            if spec.contract == "PaperBallots" or spec.event == "VoteChanged":
                raw = conn.scalar(select(func.count()).select_from(RawEvent).where(
                    RawEvent.contract == spec.contract, RawEvent.event == spec.event))
                typed = conn.scalar(select(func.count()).select_from(Base.metadata.tables[spec.table]))
                assert typed == raw > 0, spec.event

    url = f"{base}/proposals/{p.id}/announcement.pdf"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["content-type"] == "application/pdf"
    again = client.get(url)
    assert again.content == first.content  # the same index, the same bytes
    reader = PdfReader(io.BytesIO(first.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # The creation date is the indexed head block's, not the clock's.
    head = client.get(f"{base}/proposals/{p.id}").json()["indexed_block"]
    from ape import chain
    stamp = chain.blocks[head].timestamp
    assert reader.metadata.creation_date.timestamp() == stamp
    # The CJK font is embedded (a font file in the PDF, not a reference to the reader's).
    assert b"/FontFile2" in first.content
    assert "业主大会决议公告" in text and "关于更换小区门禁系统的议案" in text and str(p.id) in text
    assert "0x" + p.doc_hash.hex() in text
    _, passed, total_area, total_heads = assembly.outcome(p.id)
    assert f"({total_area})" in text and f"total heads: {total_heads}" in text
    for name, support in (("for", 1), ("against", 0), ("abstain", 2)):
        area, heads = assembly.tally(p.id, support)
        assert re.search(rf"{name}: area {area} / heads {heads}\b", text), name
    assert ("通过 passed" in text) == passed and passed
    statute = client.get(f"{base}/proposals/{p.id}").json()["statute"]
    assert (f"turnout required: area {statute['turnout_area_required']} / heads "
            f"{statute['turnout_heads_required']}") in text
    # Every standing ballot by identity, with its channel and transaction; no names, no wallets.
    ballots = client.get(f"{base}/proposals/{p.id}/votes").json()["items"]
    assert f"Ballots ({len(ballots)})" in text
    for v in ballots:
        assert re.search(rf"\n{v['identity']} .*{v['channel']}.* {v['area']} {v['tx_hash']}", text), v
        assert v["voter"] not in text
    rec = client.get(f"{base}/proposals/{p.id}/paper").json()["reconciliation"]
    assert (f"entered: {paper.entered(p.id)}; 复核确认 confirmed: {paper.confirmed(p.id)}; "
            f"核对一致 reconciled: {'是 yes' if paper.reconciled(p.id) else '否 no'}") in text
    assert f"declared: {rec['declared']}" in text
    for who, scan in ballots_scene["scans"].items():
        assert "0x" + scan.hex() in text and f"\n{ids[who]} " in text
    # No result for a count that does not add up.
    assert "paper ballots not reconciled" in text and "no result published" in text
    assert "preliminary result: 未公布 not published" in text

    # The settled proposal: preliminary, objection period with its objection, final; the same bytes again.
    settled = ballots_scene["settled"]
    url_settled = f"{base}/proposals/{settled.id}/announcement.pdf"
    pdf = client.get(url_settled).content
    assert client.get(url_settled).content == pdf
    settled_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    result = client.get(f"{base}/proposals/{settled.id}").json()["result"]
    assert "最终结果 final result" in settled_text and "not reconciled" not in settled_text
    assert f"异议 objections: {paper.objections(settled.id)}" in settled_text
    assert result["preliminary_tx"] in settled_text.replace("\n", "") and result["final_tx"] in settled_text.replace(
        "\n", "")

    assert client.get(f"{base}/proposals/12345/announcement.pdf").status_code == 404
    # No CJK font on the machine: 503 with the reason, as the notices' PDF.
    monkeypatch.setattr(export, "FONT_CANDIDATES", ())
    monkeypatch.delenv("LINLI_PDF_FONT", raising=False)
    answer = client.get(url)
    assert answer.status_code == 503 and "CJK font" in answer.json()["detail"]


def test_roll_csv_is_the_registry_at_the_snapshot_with_each_ballot(api, ballots_scene, chain):
    import csv
    import io

    client, base = api
    assembly, p = ballots_scene["assembly"], ballots_scene["proposal"]
    registry = ballots_scene["community"].registry
    url = f"{base}/proposals/{p.id}/roll.csv"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/csv")
    assert client.get(url).content == first.content
    rows = list(csv.DictReader(io.StringIO(first.content.decode("utf-8-sig"))))
    snapshot = assembly.proposal(p.id)[2]
    total_area, total_heads = registry.totals_at(snapshot)
    assert len(rows) == total_heads and sum(int(r["area_at_snapshot"]) for r in rows) == total_area
    assert [int(r["identity"]) for r in rows] == sorted(ballots_scene["identities"].values())
    for row in rows:
        identity = int(row["identity"])
        assert int(row["area_at_snapshot"]) == registry.identity_area_at(identity, snapshot)
        standing = assembly.ballot_of(p.id, identity)
        if standing == 0:
            assert (row["channel"], row["choice"], row["tx_hash"]) == ("none", "", "")
        else:
            assert row["channel"] == CHANNELS[standing >> 2]
            assert row["choice"] == ("against", "for", "abstain")[(standing & 3) - 1]
    assert [r["channel"] for r in rows].count("none") == 1
    assert client.get(f"{base}/proposals/12345/roll.csv").status_code == 404


def test_rolling_back_and_replaying_gives_the_same_answers_and_bytes(ballots_scene, make_indexer, settings,
                                                                     developer):
    """The new tables are forgotten by position (a reorg, or a re-index) like every event
    table, and replaying the blocks gives the same ballots, paper record and PDF."""
    indexer = make_indexer(manifest_dict(ballots_scene["community"], "local"))
    indexer.sync()
    client = TestClient(create_app(settings))
    base = f"/api/v1/communities/{ballots_scene['community'].registry.address.lower()}/assembly"
    p, ids = ballots_scene["proposal"], ballots_scene["identities"]
    paths = [f"{base}/proposals/{p.id}/{tail}" for tail in ("votes", "paper", "announcement.pdf", "roll.csv")]
    before = [client.get(path).content for path in paths]
    entry = client.get(paths[1]).json()["entries"][0]
    assert entry["identity"] == ids[developer] and entry["confirmed"]
    confirmed_in = client.get(paths[0]).json()["items"][-1]["block_number"]
    indexer.rollback_to(confirmed_in - 1)
    # Before the second teller confirmed it: the delegate's ballot stands, the entry waits.
    votes = {v["identity"]: v for v in client.get(paths[0]).json()["items"]}
    assert (votes[ids[developer]]["channel"], votes[ids[developer]]["choice"]) == ("delegate", "against")
    assert [e["confirmed"] for e in client.get(paths[1]).json()["entries"]] == [False]
    indexer.sync()
    assert [client.get(path).content for path in paths] == before


def test_the_nonvoter_rule_through_the_index_and_the_announcement(api, ballots_scene, make_indexer, settings,
                                                                  owner_b):
    """The proposal made after the rule was turned on says so before voting and carries
    the served non-voter and what the rule added; the proposals made before do not; the
    state is the contract's (passed only by the rule); the PDF shows the rule and the
    deemed figures beside the counted ones, the same bytes twice; rolled back before the
    preliminary result, the served owner is there and nothing is added yet."""
    import io

    from pypdf import PdfReader

    client, base = api
    assembly, paper, deemed = ballots_scene["assembly"], ballots_scene["paper"], ballots_scene["deemed"]
    registry = ballots_scene["community"].registry
    area_b = registry.identity_area_at(ballots_scene["identities"][owner_b], assembly.proposal(deemed.id)[2])
    listed = {p["proposal_id"]: p for p in client.get(f"{base}/proposals").json()["items"]}
    assert {pid: p["nonvoter_rule"] for pid, p in listed.items()} == {
        str(ballots_scene["proposal"].id): False, str(ballots_scene["settled"].id): False, str(deemed.id): True}
    for pid, item in listed.items():
        assert item["nonvoter_rule"] == paper.nonvoter_rule_for(int(pid))
    got = client.get(f"{base}/proposals/{deemed.id}").json()
    result = got["result"]
    assert (result["served_area"], result["served_heads"]) == (paper.served_area(deemed.id),
                                                                paper.served_heads(deemed.id)) == (area_b, 1)
    assert result["deemed"] == {"side": "for", "area": area_b, "heads": 1, "passed_without": False,
                                "turnout_met_without": False}
    assert not got["statute"]["passed"] and result["passed"]  # the ballots alone: defeated; the rule: passed
    assert (got["state"], got["state_code"]) == ("succeeded", assembly.state(deemed.id))

    url = f"{base}/proposals/{deemed.id}/announcement.pdf"
    pdf = client.get(url).content
    assert client.get(url).content == pdf
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    assert "未参与表决且已证明送达表决通知的业主" in text
    assert f"served non-voters (two tellers): area {area_b}" in text and "heads 1" in text
    assert f"counted with 同意 for: area +{area_b} / heads +1" in text
    assert "通过 passed（计入未表决业主 with the served non-voters）" in text
    for name, support in (("for", 1), ("against", 0)):  # the counted figures stay the ballots
        area, heads = assembly.tally(deemed.id, support)
        assert f"{name}: area {area} / heads {heads}" in text
    settled_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(client.get(
        f"{base}/proposals/{ballots_scene['settled'].id}/announcement.pdf").content)).pages)
    assert "Non-voter rule" not in settled_text

    indexer = make_indexer(manifest_dict(ballots_scene["community"], "local"))
    indexer.sync()
    indexer.rollback_to(ballots_scene["deemed_preliminary_tx"].block_number - 1)
    back = TestClient(create_app(settings)).get(f"{base}/proposals/{deemed.id}").json()
    assert (back["result"]["served_heads"], back["result"]["deemed"], back["result"]["phase"]) == (1, None, "none")
    assert back["state"] == "defeated"  # as the contract said before the preliminary result
    indexer.sync()
