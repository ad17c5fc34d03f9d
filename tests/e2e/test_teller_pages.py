"""The tellers' panel and a changed vote through the real pages (issue 20, ballots the law
accepts): two tellers in two browser contexts enter and confirm a paper ballot from a
scan hashed in the browser, declare and confirm the number collected; an owner votes
again before the close and the tally moves; the announcement PDF downloads.

One stack for the module (the `site` fixture); the tellers are appointed once here by
the seeded committee, so the shared scene of the other modules is untouched."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, screenshot, wait_indexed

FOR, AGAINST = 1, 0
TIMEOUT = 20_000
DEV_AREA, C_AREA, A_AREA = 10_000, 11_050, 20_950  # the developer's 1-1-301, owner C's 1-1-202, A's two units
PAPER_CHANNEL = "纸质票（两名监票人）"


def done(page):
    """The newest transaction toast reached a final state; returns it."""
    toast = page.locator(".toast").first
    expect(toast).to_have_attribute("data-state", re.compile("confirmed|failed"), timeout=TIMEOUT)
    return toast


def settled(page):
    page.wait_for_selector("#view[aria-busy=false]")


def phone_screenshot(page, name):
    """Saved like the other pages' screenshots; on a phone nothing is wider than the screen."""
    screenshot(page, name)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} is {width}px wide on a {PHONE['width']}px phone"


@pytest.fixture(scope="module")
def tellers(site, committee, owner_a, owner_b):
    """Owners A and B are the tellers of the seeded proposal (appointed by the committee)."""
    paper = site["contracts"]["PaperBallots"]
    paper.appoint_tellers(site["proposal"].id, [owner_a.address, owner_b.address], sender=committee)
    return paper


def test_two_tellers_count_a_paper_ballot_and_reconcile(open_page, site, chain, tellers, owner_a, owner_b, owner_c,
                                                         developer, tmp_path):
    paper, assembly, proposal = tellers, site["contracts"]["OwnersAssembly"], site["proposal"]
    bound, identity = site["community"].registry.identity_of(developer.address)
    assert bound
    scan = tmp_path / "ballot-1-1-301.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n the developer's paper ballot, ticked for")
    scan_hash = "0x" + hashlib.sha256(scan.read_bytes()).hexdigest()
    other = tmp_path / "another-scan.png"
    other.write_bytes(b"\x89PNG\r\n\x1a\n some other sheet")
    url = f"#/assembly/{proposal.id}"

    # An owner who is not a teller sees no panel.
    outsider = open_page(owner_c, url)
    expect(outsider.get_by_test_id("my-ballot")).to_be_visible(timeout=TIMEOUT)
    expect(outsider.get_by_test_id("tellers-panel")).to_have_count(0)

    # Teller A enters the ballot: the scan is hashed in the browser, only its sha256 is sent.
    a = open_page(owner_a, url)
    sent = []  # every request body the page sends from here on (to the API and to the node)
    a.on("request", lambda request: sent.append(request.post_data_buffer or b""))
    panel = a.get_by_test_id("tellers-panel")
    expect(panel).to_be_visible(timeout=TIMEOUT)
    form = panel.get_by_test_id("enter-ballot")
    # Owner C voted online (the seed): a paper ballot for them is refused, said in words.
    voted_online = site["community"].registry.identity_of(owner_c.address)[1]
    form.get_by_test_id("enter-identity").fill("999")
    expect(form.get_by_test_id("identity-units")).to_have_text("没有这个业主编号。", timeout=TIMEOUT)
    form.get_by_test_id("enter-identity").fill(str(voted_online))
    expect(form.get_by_test_id("identity-units")).to_contain_text("1-1-202", timeout=TIMEOUT)
    form.get_by_test_id("enter-choice").select_option(str(FOR))
    form.get_by_test_id("enter-scan").set_input_files(str(other))
    form.get_by_test_id("enter").click()
    toast = done(a)
    expect(toast).to_have_attribute("data-state", "failed")
    expect(toast).to_contain_text("该业主本人已在线投票")
    assert paper.entered(proposal.id) == 0
    form.get_by_test_id("enter-identity").fill(str(identity))
    # The number is checked against the unit on the paper: the page names the units it holds.
    expect(form.get_by_test_id("identity-units")).to_contain_text("1-1-301", timeout=TIMEOUT)
    form.get_by_test_id("enter-choice").select_option(str(FOR))
    form.get_by_test_id("enter-scan").set_input_files(str(scan))
    expect(form.locator("[data-scan-hash]")).to_have_attribute("data-hash", scan_hash, timeout=TIMEOUT)
    form.get_by_test_id("enter").click()
    expect(done(a)).to_have_attribute("data-state", "confirmed")
    settled(a)
    entry = a.get_by_test_id("awaiting-entry")
    expect(entry).to_have_attribute("data-identity", str(identity), timeout=TIMEOUT)
    # A cannot confirm their own entry: no Confirm button, the page says why.
    expect(entry.get_by_test_id("own-entry")).to_be_visible()
    expect(entry.get_by_test_id("confirm")).to_have_count(0)
    assert a.evaluate("window.__walletLog").count("eth_sendTransaction") == 1
    # The scan never left the browser: no request carried its bytes, one carried its hash.
    assert sent and not any(b"paper ballot, ticked" in body or b"some other sheet" in body for body in sent)
    assert any(scan_hash[2:].encode() in body for body in sent)
    stored = paper.entry(proposal.id, identity)
    assert (stored.teller, stored.support, stored.confirmed, "0x" + bytes(stored.scan_hash).hex()) == (
        owner_a.address, FOR, False, scan_hash)
    # Entered by one teller only: nothing counted yet.
    expect(a.get_by_test_id("tally-area").first).to_have_attribute("data-for", "0")
    screenshot(a, "tellers-entered-desktop")

    # Teller B reads another choice from the paper: the contract's refusal, in words.
    b = open_page(owner_b, url)
    entry = b.get_by_test_id("awaiting-entry")
    expect(entry).to_have_attribute("data-identity", str(identity), timeout=TIMEOUT)
    expect(entry.get_by_test_id("entry-units")).to_contain_text("1-1-301")
    entry.get_by_test_id("confirm-choice").select_option(str(AGAINST))
    entry.get_by_test_id("confirm-scan").set_input_files(str(scan))
    expect(entry.locator("[data-scan-hash]")).to_have_attribute("data-hash", scan_hash, timeout=TIMEOUT)
    screenshot(b, "tellers-confirm-desktop")
    b_phone = open_page(owner_b, url, viewport=PHONE)
    b_phone.get_by_test_id("confirm-scan").set_input_files(str(scan))
    expect(b_phone.locator("[data-testid=awaiting-entry] [data-scan-hash]")).to_have_attribute("data-hash", scan_hash,
                                                                                              timeout=TIMEOUT)
    phone_screenshot(b_phone, "tellers-confirm-phone")
    entry.get_by_test_id("confirm").click()
    toast = done(b)
    expect(toast).to_have_attribute("data-state", "failed")
    expect(toast).to_contain_text("与录入不一致")
    # Another scan with the right choice: refused the same way.
    entry.get_by_test_id("confirm-choice").select_option(str(FOR))
    entry.get_by_test_id("confirm-scan").set_input_files(str(other))
    expect(entry.locator("[data-scan-hash]")).not_to_have_attribute("data-hash", scan_hash, timeout=TIMEOUT)
    entry.get_by_test_id("confirm").click()
    expect(b.locator(".toast[data-state=failed]")).to_have_count(2, timeout=TIMEOUT)
    assert not paper.entry(proposal.id, identity).confirmed
    # The same choice and the same scan: it counts.
    entry.get_by_test_id("confirm-scan").set_input_files(str(scan))
    expect(entry.locator("[data-scan-hash]")).to_have_attribute("data-hash", scan_hash, timeout=TIMEOUT)
    entry.get_by_test_id("confirm").click()
    expect(done(b)).to_have_attribute("data-state", "confirmed")
    settled(b)
    expect(b.get_by_test_id("tally-area").first).to_have_attribute("data-for", str(DEV_AREA), timeout=TIMEOUT)
    expect(b.get_by_test_id("tally-heads").first).to_have_attribute("data-for", "1")
    expect(b.get_by_test_id("awaiting-entry")).to_have_count(0)
    expect(b.get_by_test_id("counted-entry")).to_have_attribute("data-identity", str(identity))
    expect(b.get_by_test_id("ballot-channel").filter(has_text=PAPER_CHANNEL)).to_have_count(1)
    assert tuple(assembly.tally(proposal.id, FOR)) == (DEV_AREA, 1)
    assert assembly.hasVoted(proposal.id, developer.address)

    # The count: B declares one ballot collected, A confirms it; then it adds up.
    b.get_by_test_id("declare-count").fill("1")
    b.get_by_test_id("declare").click()
    expect(done(b)).to_have_attribute("data-state", "confirmed")
    settled(b)
    expect(b.get_by_test_id("own-declaration")).to_be_visible(timeout=TIMEOUT)
    expect(b.get_by_test_id("confirm-collected")).to_have_count(0)
    a = open_page(owner_a, url)
    a.get_by_test_id("confirm-count").fill("1")
    a.get_by_test_id("confirm-collected").click()
    expect(done(a)).to_have_attribute("data-state", "confirmed")
    settled(a)
    expect(a.get_by_test_id("reconciliation")).to_have_attribute("data-reconciled", "true", timeout=TIMEOUT)
    expect(a.get_by_test_id("declare-form")).to_have_count(0)
    assert paper.reconciled(proposal.id)
    screenshot(a, "tellers-reconciled-desktop")
    phone = open_page(owner_a, url, viewport=PHONE)
    expect(phone.get_by_test_id("reconciled")).to_be_visible(timeout=TIMEOUT)
    phone_screenshot(phone, "tellers-reconciled-phone")
    english = open_page(owner_b, url, viewport=PHONE, lang="en")
    expect(english.get_by_test_id("reconciled")).to_have_text(re.compile("^Reconciled"), timeout=TIMEOUT)
    phone_screenshot(english, "tellers-reconciled-en-phone")

    # The announcement names the paper ballot; its link downloads a PDF.
    href = a.get_by_test_id("announcement-pdf").evaluate("a => a.href")
    answer = a.request.get(href)
    assert answer.status == 200 and answer.headers["content-type"].startswith("application/pdf")
    assert answer.body()[:4] == b"%PDF"
    for page in (outsider, a, b, b_phone, phone, english):
        assert page.problems == []


def test_an_owner_changes_their_vote_and_the_tally_moves(open_page, site, tellers, owner_c):
    assembly, proposal = site["contracts"]["OwnersAssembly"], site["proposal"]
    page = open_page(owner_c, f"#/assembly/{proposal.id}")
    # The seed: owner C voted against from their wallet.
    expect(page.get_by_test_id("voted")).to_contain_text("反对", timeout=TIMEOUT)
    expect(page.get_by_test_id("changed")).to_have_count(0)
    expect(page.get_by_test_id("tally-area").first).to_have_attribute("data-against", str(C_AREA))
    expect(page.get_by_test_id("tally-area").first).to_have_attribute("data-for", "0")
    change = page.get_by_test_id("change-vote")
    expect(change.locator("input[name=support]:checked")).to_have_value(str(AGAINST))
    screenshot(page, "vote-change-desktop")
    change.locator(f"input[name=support][value='{FOR}']").check()
    change.get_by_test_id("vote-change").click()
    expect(done(page)).to_have_attribute("data-state", "confirmed")
    settled(page)
    expect(page.get_by_test_id("voted")).to_contain_text("同意", timeout=TIMEOUT)
    expect(page.get_by_test_id("changed")).to_be_visible()
    expect(page.get_by_test_id("tally-area").first).to_have_attribute("data-for", str(C_AREA))
    expect(page.get_by_test_id("tally-area").first).to_have_attribute("data-against", "0")
    expect(page.get_by_test_id("tally-heads").first).to_have_attribute("data-for", "1")
    expect(page.get_by_test_id("tally-heads").first).to_have_attribute("data-against", "0")
    expect(page.get_by_test_id("ballot")).to_have_count(1)
    assert tuple(assembly.tally(proposal.id, FOR)) == (C_AREA, 1)
    assert tuple(assembly.tally(proposal.id, AGAINST)) == (0, 0)
    phone = open_page(owner_c, f"#/assembly/{proposal.id}", viewport=PHONE)
    expect(phone.get_by_test_id("changed")).to_be_visible(timeout=TIMEOUT)
    phone_screenshot(phone, "vote-change-phone")
    assert page.problems == [] and phone.problems == []


def test_an_owner_replaces_their_delegates_ballot(open_page, site, chain, tellers, owner_a, owner_b):
    assembly, proposal = site["contracts"]["OwnersAssembly"], site["proposal"]
    assembly.set_delegate(owner_b.address, proposal.id, sender=owner_a)
    assembly.castVoteAsDelegate(proposal.id, [owner_a.address], AGAINST, sender=owner_b)
    wait_indexed(site, chain)
    page = open_page(owner_a, f"#/assembly/{proposal.id}")
    expect(page.get_by_test_id("voted")).to_contain_text("反对", timeout=TIMEOUT)
    change = page.get_by_test_id("change-vote")
    change.locator(f"input[name=support][value='{FOR}']").check()
    change.get_by_test_id("vote-change").click()
    expect(done(page)).to_have_attribute("data-state", "confirmed")
    settled(page)
    expect(page.get_by_test_id("voted")).to_contain_text("同意", timeout=TIMEOUT)
    expect(page.get_by_test_id("changed")).to_have_text("这一票取代了受托人为您代投的一票。")
    expect(page.get_by_test_id("tally-area").first).to_have_attribute("data-for", str(A_AREA))
    assert tuple(assembly.tally(proposal.id, FOR)) == (A_AREA, 1)
    assert page.problems == []


def test_the_result_goes_preliminary_objection_final(open_page, site, chain, tellers, owner_a, owner_b, owner_c,
                                                     tenant):
    """After the close: no result while the paper count does not add up (said in words);
    an owner publishes the preliminary result from the page, another objects during the
    objection period, a resident who owns nothing is refused; after the period the final
    result, zh and en. (Each test starts from the module's chain: the tellers are
    appointed, their count is not declared.)"""
    paper, assembly, proposal = tellers, site["contracts"]["OwnersAssembly"], site["proposal"]
    url = f"#/assembly/{proposal.id}"
    chain.pending_timestamp = proposal.end + 60
    chain.mine()
    wait_indexed(site, chain)
    a = open_page(owner_a, url)
    card = a.get_by_test_id("result")
    expect(card).to_have_attribute("data-phase", "none", timeout=TIMEOUT)
    assert not paper.reconciled(proposal.id)
    expect(card.get_by_test_id("result-unreconciled")).to_contain_text("纸质表决票未核对一致")
    card.get_by_test_id("publish-preliminary").click()
    toast = done(a)
    expect(toast).to_have_attribute("data-state", "failed")
    expect(toast).to_contain_text("纸质表决票未核对一致")
    assert paper.published_at(proposal.id) == 0
    # The tellers declare and confirm the count (no paper ballot here: zero); now it adds up.
    paper.declare_collected(proposal.id, paper.confirmed(proposal.id), sender=owner_a)
    paper.confirm_collected(proposal.id, paper.confirmed(proposal.id), sender=owner_b)
    wait_indexed(site, chain)
    a = open_page(owner_a, url)
    card = a.get_by_test_id("result")
    expect(card.get_by_test_id("result-unreconciled")).to_have_count(0, timeout=TIMEOUT)
    card.get_by_test_id("publish-preliminary").click()
    expect(done(a)).to_have_attribute("data-state", "confirmed")
    settled(a)
    card = a.get_by_test_id("result")
    expect(card).to_have_attribute("data-phase", "preliminary", timeout=TIMEOUT)
    ends = paper.objection_ends(proposal.id)
    expect(card.get_by_test_id("result-objections")).to_have_attribute("data-ends", str(ends))
    expect(card.get_by_test_id("result-objections")).to_have_attribute("data-objections", "0")
    expect(card.get_by_test_id("result-preliminary")).to_contain_text("初步统计结果已于")

    # A resident who owns nothing objects: refused, in words. Owner C objects: counted.
    t = open_page(tenant, url)
    t.get_by_test_id("objection-text").fill("我也有意见")
    t.get_by_test_id("object").click()
    toast = done(t)
    expect(toast).to_have_attribute("data-state", "failed")
    expect(toast).to_contain_text("只有业主可以提出异议")
    c = open_page(owner_c, url)
    c.get_by_test_id("objection-text").fill("纸质票扫描件未公示，请复核。")
    c.get_by_test_id("object").click()
    expect(done(c)).to_have_attribute("data-state", "confirmed")
    settled(c)
    expect(c.get_by_test_id("result-objections")).to_have_attribute("data-objections", "1", timeout=TIMEOUT)
    expect(c.get_by_test_id("result-objections")).to_contain_text("已收到异议 1 件")
    # One objection per owner: the page says so rather than offering the form again.
    expect(c.get_by_test_id("objected")).to_contain_text("您已对该结果提出异议")
    expect(c.get_by_test_id("object-form")).to_have_count(0)
    assert paper.objections(proposal.id) == 1
    screenshot(c, "result-objection-period-desktop")
    english = open_page(owner_c, url, viewport=PHONE, lang="en")
    expect(english.get_by_test_id("result-objections")).to_contain_text("objections so far: 1", timeout=TIMEOUT)
    phone_screenshot(english, "result-objection-period-en-phone")
    # Too early for the final result: no button for it yet.
    expect(c.get_by_test_id("publish-final")).to_have_count(0)

    chain.pending_timestamp = ends
    chain.mine()
    wait_indexed(site, chain)
    a = open_page(owner_a, url)
    card = a.get_by_test_id("result")
    expect(card).to_have_attribute("data-phase", "objections_closed", timeout=TIMEOUT)
    card.get_by_test_id("publish-final").click()
    expect(done(a)).to_have_attribute("data-state", "confirmed")
    settled(a)
    card = a.get_by_test_id("result")
    expect(card).to_have_attribute("data-phase", "final", timeout=TIMEOUT)
    expect(card.get_by_test_id("result-final")).to_contain_text("最终结果已于")
    expect(card.get_by_test_id("object-form")).to_have_count(0)
    assert paper.result_state(proposal.id) == 3 and assembly.proposal(proposal.id)[4] & 16
    screenshot(a, "result-final-desktop")
    phone = open_page(owner_a, url, viewport=PHONE, lang="en")
    expect(phone.get_by_test_id("result-final")).to_contain_text("Final result published", timeout=TIMEOUT)
    phone_screenshot(phone, "result-final-en-phone")
    for page in (a, c, english, phone):
        assert page.problems == []
