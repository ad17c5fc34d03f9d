# SPDX-License-Identifier: AGPL-3.0-only
"""The proposal composer (#/propose) and a proposal's life after it, in Chromium against the
real backend, contracts and indexer: an owner composes a rule change and a payment of
public income from the menu (no calldata typed anywhere), the page names the statute item
and the majority the chain gives the calls, the full text goes to the document library,
the owner's wallet proposes and publishes the proposal's notice (its text public), and the
proposal is on the assembly's pages with its calls decoded. Then an owners' motion gathers a co-signer from the proposal's page, and a
passed proposal is queued and executed from its page."""

from __future__ import annotations

import json
import re
from hashlib import sha256
from pathlib import Path

import pytest

from playwright.sync_api import expect

from backend.chain.deployment import role_id
from tests.e2e.conftest import screenshot, wait_indexed
from tests.utils.identity import commitment_for

TIMEOUT = 30_000
TITLE = "关于调整投票规则并支付绿化费用的议案"
TEXT = "一、公告期改为两天，投票期三至二十天。\n二、从公共收益中向绿化服务商支付 1,250.50 元。"


def done(page, title: str):
    toast = page.locator(".toast", has=page.locator("strong", has_text=title)).first
    expect(toast).to_have_attribute("data-state", re.compile("confirmed|failed"), timeout=TIMEOUT)
    return toast


def test_an_owner_composes_a_rule_change_and_a_payment_and_proposes_it(open_page, site, chain, owner_a, merchant):
    assembly = site["contracts"]["OwnersAssembly"]
    page = open_page(owner_a, "#/assembly")
    page.get_by_test_id("new-proposal").click()
    expect(page.get_by_test_id("menu")).to_be_visible(timeout=TIMEOUT)

    page.get_by_test_id("add-set_voting_rules").click()
    page.get_by_test_id("add-pay_by_decision").click()
    rules, pay = page.get_by_test_id("action").nth(0), page.get_by_test_id("action").nth(1)
    rules.get_by_test_id("f-min_notice_days").fill("2")
    rules.get_by_test_id("f-min_voting_days").fill("3")
    rules.get_by_test_id("f-max_voting_days").fill("20")
    # The payee: an organisation of the directory, or (none published here) its wallet.
    if pay.get_by_test_id("f-payee-pick").locator("option").count() > 1:
        pay.get_by_test_id("f-payee-pick").select_option("")
    pay.get_by_test_id("f-payee").fill(merchant.address)
    pay.get_by_test_id("f-amount_yuan").fill("1250.5")
    page.get_by_test_id("f-title").fill(TITLE)
    page.get_by_test_id("f-text").fill(TEXT)

    # A bad field first: the server's refusal names it, nothing is proposed.
    rules.get_by_test_id("f-max_voting_days").fill("1")
    page.get_by_test_id("check").click()
    expect(page.get_by_test_id("compose-error")).to_contain_text("max_voting_days", timeout=TIMEOUT)
    expect(page.get_by_test_id("propose")).to_be_hidden()
    rules.get_by_test_id("f-max_voting_days").fill("20")

    page.get_by_test_id("check").click()
    composed = page.get_by_test_id("composed")
    expect(composed).to_be_visible(timeout=TIMEOUT)
    calls = composed.get_by_test_id("composed-call")
    expect(calls).to_have_count(2)
    # The classes are the chain's: the voting rules major, a payment by decision ordinary.
    expect(calls.nth(0)).to_have_attribute("data-class", "major")
    expect(calls.nth(1)).to_have_attribute("data-class", "ordinary")
    expect(composed.get_by_test_id("statute")).to_contain_text("第二百七十八条 第（一）项")
    expect(composed.get_by_test_id("statute")).to_contain_text("议事规则")
    expect(composed.get_by_test_id("needs")).to_have_attribute("data-approval", "3/4")
    expect(composed.get_by_test_id("needs")).to_contain_text("四分之三")
    expect(composed.get_by_test_id("why")).to_contain_text("set_voting_rules")
    screenshot(page, "propose-composed")

    nonce = assembly.proposal_nonce(owner_a.address)
    board = site["contracts"]["NoticeBoard"]
    notices = board.notice_count()
    page.get_by_test_id("propose").click()
    expect(done(page, "提出议案")).to_have_attribute("data-state", "confirmed")
    # The proposal's notice in the same flow, from the proposer's wallet (its own proposal's).
    expect(done(page, "发布会议公告")).to_have_attribute("data-state", "confirmed")
    # The page goes to the new proposal.
    expect(page).to_have_url(re.compile(r"#/assembly/\d+"), timeout=TIMEOUT)
    page.wait_for_selector("#view[aria-busy=false]")
    detail = page.get_by_test_id("proposal-detail")
    expect(detail).to_contain_text(TITLE, timeout=TIMEOUT)
    expect(page.get_by_test_id("statute-item")).to_contain_text("议事规则")
    expect(page.get_by_test_id("decoded-call")).to_have_count(2)
    expect(page.get_by_test_id("why-majority")).to_contain_text("set_voting_rules")
    # The full text is in the library under the hash on chain: the page checks it matches.
    expect(page.get_by_test_id("proposal-documents").get_by_test_id("doc-state")).to_have_attribute(
        "data-state", "match", timeout=TIMEOUT)

    proposal_id = int(page.url.rsplit("/", 1)[1])
    assert assembly.proposal_nonce(owner_a.address) == nonce + 1
    # The notice: one, for this proposal, to the owners, its text public under its hash,
    # naming the matter, the vote's window, the majority and the full text's hash.
    notice_id = board.proposal_notice(proposal_id)
    assert notice_id == notices + 1 == board.notice_count()
    content = "0x" + bytes(board.notice_content(notice_id)).hex()
    notice = page.request.get(f"{site['url']}/api/v1/texts/{content}").json()
    assert "0x" + sha256(notice["text"].encode()).hexdigest() == content and notice["kind"] == "notice"
    for words in (TITLE, "第二百七十八条 第（一）项", "表决时间：", "四分之三", "0x" + sha256(TEXT.encode()).hexdigest()):
        assert words in notice["text"], words
    assert assembly.proposer(proposal_id) == owner_a.address
    doc_hash = "0x" + sha256(TEXT.encode()).hexdigest()
    wait_indexed(site, chain)
    page.goto(f"{site['url']}/#/assembly")
    page.wait_for_selector("#view[aria-busy=false]")
    card = page.get_by_test_id("proposal").filter(has_text=TITLE)
    expect(card).to_have_count(1, timeout=TIMEOUT)
    answer = page.request.get(f"{site['url']}/api/v1/communities/{site['community'].registry.address.lower()}"
                              f"/assembly/proposals/{proposal_id}").json()
    assert answer["doc_hash"] == doc_hash and answer["major"] and answer["matter"] == 1
    assert len(answer["calls"]) == 2
    assert page.problems == []


def test_an_owners_motion_gathers_a_cosigner_from_its_page(open_page, site, chain, accounts, committee, owner_a,
                                                           owner_b):
    """Ten owners: a motion needs two (a fifth); its proposer counts, another co-signs in the page."""
    from backend.chain.demo_activity import owner_proposal

    registry, assembly = site["community"].registry, site["contracts"]["OwnersAssembly"]
    extra = [accounts.generate_test_account() for _ in range(5)]
    registry.register_units([(f"2-1-{i}01", 9_000, a.address, commitment_for(f"extra{i}")) for i, a in enumerate(extra)],
                            sender=committee)
    chain.mine()
    proposal_id = owner_proposal(assembly, owner_a, chain)
    assert assembly.state(proposal_id) == 9  # gathering
    wait_indexed(site, chain)
    page = open_page(owner_b, f"#/assembly/{proposal_id}")
    count = page.get_by_test_id("cosign-count")
    expect(count).to_have_attribute("data-have", "1", timeout=TIMEOUT)
    expect(count).to_have_attribute("data-need", "2")
    page.get_by_test_id("cosign").click()
    expect(done(page, "联署议案")).to_have_attribute("data-state", "confirmed")
    assert assembly.state(proposal_id) == 0  # pending: co-signed, its vote not yet open
    page.wait_for_selector("#view[aria-busy=false]")
    expect(page.get_by_test_id("state")).to_have_text("公告中", timeout=TIMEOUT)


def test_a_passed_proposal_is_queued_then_executed_from_its_page(open_page, site, chain, committee, owner_a, owner_b,
                                                                 owner_c, developer):
    from ape import project

    from backend.chain.proposal_actions import encode_call

    assembly, timelock = site["contracts"]["OwnersAssembly"], site["contracts"]["AssemblyTimelock"]
    registry = site["community"].registry
    # The assembly's role is the timelock's for the calls to run (the site's deployer kept it).
    registry.grantRole(role_id("assembly"), timelock.address, sender=committee)
    data = encode_call("set_cosign_threshold(uint256)", [1_000])
    doc = sha256("降低联署门槛".encode()).digest()
    start = chain.pending_timestamp + assembly.min_notice() + 60
    end = start + assembly.min_voting_period()
    tx = assembly.propose([assembly.address], [0], [data], 1, "降低联署门槛至百分之十", doc, start, end, sender=committee)
    proposal_id = tx.decode_logs(assembly.ProposalCreated)[0].proposalId
    chain.pending_timestamp = start
    chain.mine()
    for owner in (owner_a, owner_b, owner_c, developer):
        assembly.castVote(proposal_id, 1, sender=owner)
    paper = project.PaperBallots.at(assembly.paper_ballots())
    chain.pending_timestamp = end
    chain.mine()
    paper.publish_preliminary(proposal_id, sender=committee)
    chain.pending_timestamp = paper.objection_ends(proposal_id)
    chain.mine()
    paper.publish_final(proposal_id, sender=committee)
    assert assembly.state(proposal_id) == 4  # succeeded
    wait_indexed(site, chain)

    page = open_page(owner_c, f"#/assembly/{proposal_id}")
    page.get_by_test_id("queue").click()
    expect(done(page, "排期执行")).to_have_attribute("data-state", "confirmed")
    assert assembly.state(proposal_id) == 5  # queued
    page.wait_for_selector("#view[aria-busy=false]")
    expect(page.get_by_test_id("execute-wait")).to_be_visible(timeout=TIMEOUT)

    chain.pending_timestamp = chain.blocks.head.timestamp + timelock.get_minimum_delay() + 1
    chain.mine()
    wait_indexed(site, chain)
    page = open_page(owner_c, f"#/assembly/{proposal_id}")
    page.get_by_test_id("execute").click()
    expect(done(page, "执行议案")).to_have_attribute("data-state", "confirmed")
    assert assembly.state(proposal_id) == 7  # executed
    assert assembly.cosign_threshold_bps() == 1_000
    assert page.problems == []


REVERTS = json.loads((Path(__file__).resolve().parents[2] / "backend/web/static/i18n/reverts.json").read_text("utf-8"))


def test_a_proposer_publishes_a_missing_notice_from_the_proposals_page(open_page, site, chain, owner_a, owner_b):
    """An owner's proposal whose notice was never sent (the composer's second transaction
    failed, or its page was closed): its page offers the proposer, and no one else, the
    notice the composer would have sent; the proposer publishes it, and it is on the
    notices page. A second tab still offering it meets the contract's refusal, translated;
    another owner's wallet is refused by the contract itself."""
    from ape.exceptions import ContractLogicError

    from backend.chain.demo_activity import full_text_hash, owner_proposal

    assembly, board = site["contracts"]["OwnersAssembly"], site["contracts"]["NoticeBoard"]
    title = "关于增设快递柜的议案"
    proposal_id = owner_proposal(assembly, owner_a, chain, title=title)
    assert board.proposal_notice(proposal_id) == 0
    wait_indexed(site, chain)

    # Another owner: told there is no notice, not offered to publish it.
    other = open_page(owner_b, f"#/assembly/{proposal_id}")
    expect(other.get_by_test_id("no-notice")).to_be_visible(timeout=TIMEOUT)
    other.wait_for_selector("#view[aria-busy=false]")
    expect(other.get_by_test_id("publish-notice")).to_have_count(0)
    expect(other.get_by_test_id("publish-notice-safe")).to_have_count(0)
    # Forced, the notice board refuses them (only the proposer or the committee).
    with pytest.raises(ContractLogicError, match="notices: committee only"):
        board.publish_notice(b"\x01" * 32, 1, 3, "", "公告", proposal_id, [], sender=owner_b)

    page = open_page(owner_a, f"#/assembly/{proposal_id}")
    stale = open_page(owner_a, f"#/assembly/{proposal_id}")  # a second tab, opened before the notice
    expect(stale.get_by_test_id("publish-notice")).to_be_visible(timeout=TIMEOUT)
    page.get_by_test_id("offer-notice").scroll_into_view_if_needed()
    screenshot(page, "proposal-offers-its-notice")
    page.get_by_test_id("publish-notice").click()
    expect(done(page, "发布会议公告")).to_have_attribute("data-state", "confirmed")
    notice_id = board.proposal_notice(proposal_id)
    assert notice_id > 0
    # The composer's text: the matter, the window, the full text's hash, public under its hash.
    content = "0x" + bytes(board.notice_content(notice_id)).hex()
    notice = page.request.get(f"{site['url']}/api/v1/texts/{content}").json()
    assert "0x" + sha256(notice["text"].encode()).hexdigest() == content
    for words in (title, "表决时间：", "第二百七十八条", "0x" + full_text_hash(title).hex()):
        assert words in notice["text"], words
    # The page now shows the notice instead of the offer.
    page.wait_for_selector("#view[aria-busy=false]")
    expect(page.get_by_test_id("proposal-notice").get_by_test_id("notice")).to_have_count(1, timeout=TIMEOUT)
    expect(page.get_by_test_id("publish-notice")).to_have_count(0)

    # On the notices page, for everyone.
    wait_indexed(site, chain)
    other.goto(f"{site['url']}/#/notices")
    other.wait_for_selector("#view[aria-busy=false]")
    expect(other.locator(f"[data-testid=notice][data-notice='{notice_id}']")).to_contain_text(title, timeout=TIMEOUT)

    # The second tab: the contract refuses a second notice, in the owner's words.
    stale.get_by_test_id("publish-notice").click()
    toast = done(stale, "发布会议公告")
    expect(toast).to_have_attribute("data-state", "failed")
    expect(toast).to_contain_text(REVERTS["notices: proposal already noticed"]["zh"])
    assert board.proposal_notice(proposal_id) == notice_id
    assert page.problems == other.problems == stale.problems == []
