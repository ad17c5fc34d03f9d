"""Proposals owners can read, notices they acknowledge, in the real pages: a proposal's
full text fetched and checked against its hash in the browser (a tampered copy shown as
not matching), the proposal explained (statute item, calls decoded, why its majority),
its notice acknowledged by a signature, the served count rising, the service list
downloaded, the notice board with the library, and reminders' channels chosen in My data."""

from __future__ import annotations

import hashlib

import pytest
from eth_abi import encode
from playwright.sync_api import expect

from backend.chain.deployment import role_id
from backend.documents import store as documents
from backend.notify.models import outbox
from backend.notify.reminders import index_time, produce
from backend.texts import store as texts
from backend.vault.db import make_vault_engine, upgrade
from tests.e2e.conftest import DAY, DESKTOP, PHONE, screenshot, wait_indexed
from tests.e2e.test_community_pages import done, reopen, vault, vault_token

TIMEOUT = 20_000
FULL_TEXT = ("# 关于聘请审计机构的议案\n\n一、聘请第三方审计机构，审计 2026 年度公共收益。\n"
             "二、审计费用 12,000 元，从公共收益列支。\n三、授权业委会签订合同。\n").encode()
NOTICE = "业主大会会议通知：就《关于聘请审计机构的议案》表决。议案全文及审计服务报价附后，请业主查阅并签收。"
QUOTE = b"Audit quotation\n\nFee: 12,000 yuan. Period: 2026.\n"
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter((e) => !e.closest('.nav, .table-wrap') && e.getBoundingClientRect().right > innerWidth + 0.5
    && ![...e.children].some((c) => c.getBoundingClientRect().right > innerWidth + 0.5))
  .slice(0, 5).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


@pytest.fixture(scope="module")
def notice_stage(site, chain, committee):
    """A proposal that appoints an auditor (a call the pages decode), its full text and a
    quotation in the document store, its notice published with the roll, and a library entry."""
    contracts = site["contracts"]
    assembly, board, registry = contracts["OwnersAssembly"], contracts["NoticeBoard"], contracts["HouseholdRegistry"]
    engine = make_vault_engine(site["settings"].vault_database_url)
    upgrade(site["settings"].vault_database_url)
    with engine.begin() as conn:
        for content, name, kind in ((FULL_TEXT, "审计议案.md", "text/markdown"), (QUOTE, "quotation.txt", "text/plain")):
            documents.put_document(conn, content, kind, name, committee.address.lower(), 1)
        texts.put_text(conn, NOTICE, "notice", committee.address.lower(), 1)
    engine.dispose()
    auditor = "0x" + "a1" * 20
    calldata = bytes.fromhex(registry.grantRole.as_transaction(role_id("auditor"), auditor,
                                                               sender=committee).data.hex().removeprefix("0x"))
    start = chain.pending_timestamp + 2 * DAY
    tx = assembly.propose([registry.address], [0], [calldata], 4, "关于聘请审计机构的议案", sha(FULL_TEXT), start,
                          start + 7 * DAY, sender=committee)
    proposal_id = tx.decode_logs(assembly.ProposalCreated)[0].proposalId
    board.publish_notice(sha(NOTICE.encode()), 1, 3, "", "业主大会会议通知（审计）", proposal_id,
                         [sha(FULL_TEXT), sha(QUOTE)], sender=committee)
    board.register_document(sha(QUOTE), 5, "2026 年度审计服务报价", sender=committee)
    chain.mine()
    return {"proposal_id": proposal_id, "board": board}


def test_an_owner_reads_the_proposal_and_checks_it_against_the_chain(open_page, site, chain, notice_stage, owner_a,
                                                                     tmp_path):
    wait_indexed(site, chain)
    page = open_page(owner_a, f"#/assembly/{notice_stage['proposal_id']}")
    full = page.locator("[data-testid=proposal-documents] [data-testid=document]").first
    expect(full.locator("[data-testid=doc-state]")).to_have_attribute("data-state", "match", timeout=TIMEOUT)
    expect(full.locator("[data-testid=doc-text]")).to_contain_text("审计费用 12,000 元")
    # The page explains itself: the statute item, the decoded call, why its majority.
    expect(page.get_by_test_id("statute-item")).to_contain_text("第 4 项")
    call = page.get_by_test_id("decoded-call")
    expect(call).to_contain_text("grantRole")
    expect(call).to_contain_text("审计")  # the role, by name
    expect(call).to_have_attribute("data-class", "ordinary")
    expect(page.get_by_test_id("why-majority")).to_contain_text("过半数")
    # A copy the owner holds: the true one matches, a tampered one does not.
    good, bad = tmp_path / "full.md", tmp_path / "tampered.md"
    good.write_bytes(FULL_TEXT)
    bad.write_bytes(FULL_TEXT.replace("12,000".encode(), "120,000".encode()))
    full.locator("[data-testid=doc-file]").set_input_files(str(bad))
    result = full.get_by_test_id("doc-check-result")
    expect(result).to_have_attribute("data-state", "mismatch", timeout=TIMEOUT)
    expect(result).to_contain_text("不符")
    full.locator("[data-testid=doc-file]").set_input_files(str(good))
    expect(result).to_have_attribute("data-state", "match", timeout=TIMEOUT)
    # The notice with its roll and its own attachment, also checked.
    notice = page.locator("[data-testid=proposal-notice] [data-testid=notice]")
    expect(notice.get_by_test_id("roll")).to_contain_text("4 人")
    expect(notice.get_by_test_id("notice-text")).to_contain_text("请业主查阅并签收")
    expect(notice.locator("[data-testid=doc-state]")).to_have_attribute("data-state", "match", timeout=TIMEOUT)
    assert not page.problems


def test_a_file_altered_on_the_server_is_shown_as_not_matching(open_page, site, chain, notice_stage, owner_b):
    """Someone rewrites the stored full text behind the API's back: the page says so rather than show it."""
    engine = make_vault_engine(site["settings"].vault_database_url)
    key = "0x" + sha(FULL_TEXT).hex()
    with engine.begin() as conn:
        conn.execute(documents.documents.update().where(documents.documents.c.doc_hash == key)
                     .values(content=FULL_TEXT.replace("12,000".encode(), "99,000".encode())))
    try:
        page = open_page(owner_b, f"#/assembly/{notice_stage['proposal_id']}")
        full = page.locator("[data-testid=proposal-documents] [data-testid=document]").first
        expect(full.locator("[data-testid=doc-state]")).to_have_attribute("data-state", "mismatch", timeout=TIMEOUT)
        expect(full.locator("[data-testid=doc-text]")).to_have_count(0)
    finally:
        with engine.begin() as conn:
            conn.execute(documents.documents.update().where(documents.documents.c.doc_hash == key)
                         .values(content=FULL_TEXT))
        engine.dispose()


def test_an_owner_acknowledges_the_notice_and_the_service_list_shows_it(open_page, site, chain, notice_stage,
                                                                        owner_c, tenant):
    wait_indexed(site, chain)
    page = open_page(owner_c, "#/notices")
    notice = page.locator("[data-testid=notice]").first
    served = notice.get_by_test_id("served")
    before = int(served.get_attribute("data-served"))
    notice.get_by_test_id("acknowledge").click()
    expect(notice.get_by_test_id("ack-state")).to_contain_text("您已于", timeout=TIMEOUT)
    expect(page.locator("[data-testid=notice]").first.get_by_test_id("served")).to_have_attribute(
        "data-served", str(before + 1), timeout=TIMEOUT)
    with page.expect_download() as download:
        page.locator("[data-testid=notice]").first.get_by_test_id("service-csv").click()
    listed = download.value.path().read_text(encoding="utf-8-sig")
    assert owner_c.address.lower() in listed and "1-1-202" in listed
    with page.expect_download() as download:
        page.locator("[data-testid=notice]").first.get_by_test_id("service-pdf").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    # A tenant is no owner: the owners' notice refuses their signature, and nothing is counted.
    other = open_page(tenant, "#/notices")
    other.locator("[data-testid=notice]").first.get_by_test_id("acknowledge").click()
    expect(other.locator(".toast.failed")).to_be_visible(timeout=TIMEOUT)
    expect(other.locator("[data-testid=notice]").first.get_by_test_id("served")).to_have_attribute(
        "data-served", str(before + 1))
    assert not page.problems


def test_an_owner_chooses_reminder_channels_in_my_data_and_they_are_kept(open_page, site, chain, notice_stage,
                                                                         owner_b):
    """Nothing chosen at first (no reminder goes out); e-mail and SMS chosen with new notices
    turned off, saved in the vault and shown again after a reload; then notices on and SMS
    off. The producer honours each: owner_b, who owes nothing and has no vote closing, gets
    no reminder, then the owners' notice by e-mail only."""
    community = site["community"].registry.address.lower()
    page = open_page(owner_b, "#/mydata")
    expect(page.get_by_test_id("reminders")).to_have_count(0)  # the choices live in the vault: sign in first
    page.get_by_test_id("siwe-sign-in").click()
    form = page.get_by_test_id("reminders")
    expect(form.get_by_test_id("reminders-saved")).to_have_text("尚未选择：不会发送提醒。", timeout=TIMEOUT)
    box = {name: form.locator(f"input[name={name}]") for name in ("email", "webhook", "votes", "dues", "notices")}
    for name, checked in (("email", False), ("webhook", False), ("votes", True), ("dues", True), ("notices", True)):
        expect(box[name]).to_be_checked(checked=checked)
    box["email"].check()
    box["webhook"].check()
    box["notices"].uncheck()
    form.get_by_test_id("save-reminders").click()
    done(page, says="已保存")
    expect(page.get_by_test_id("reminders").get_by_test_id("reminders-saved")).to_contain_text("最后保存于",
                                                                                              timeout=TIMEOUT)
    chosen = {"email": True, "webhook": True, "votes": True, "dues": True, "notices": False}
    reopen(page)  # the session lasts the tab; the choices come back from the vault
    form = page.get_by_test_id("reminders")
    for name, checked in chosen.items():
        expect(form.locator(f"input[name={name}]")).to_be_checked(checked=checked, timeout=TIMEOUT)
    stored = vault(site, "GET", f"/communities/{community}/reminders", vault_token(site, owner_b)).json()
    assert {name: stored[name] for name in chosen} == chosen and stored["updated_at"]
    wait_indexed(site, chain)
    assert reminders_for(site, community, owner_b) == set()

    form.locator("input[name=notices]").check()
    form.locator("input[name=webhook]").uncheck()
    form.get_by_test_id("save-reminders").click()
    done(page, says="已保存")
    stored = vault(site, "GET", f"/communities/{community}/reminders", vault_token(site, owner_b)).json()
    assert (stored["email"], stored["webhook"], stored["notices"]) == (True, False, True)
    assert reminders_for(site, community, owner_b) == {("notice", "email")}
    assert not page.problems


def reminders_for(site, community: str, account) -> set[tuple[str, str]]:
    """Run the producer on the site's index and vault; the (topic, channel) of `account`'s reminders."""
    engine = make_vault_engine(site["settings"].vault_database_url)
    try:
        produce(site["engine"], engine, community, index_time(site["engine"], community))
        with engine.connect() as conn:
            rows = conn.execute(outbox.select().where(outbox.c.resident == account.address.lower())).mappings().all()
    finally:
        engine.dispose()
    return {(row["topic"], row["channel"]) for row in rows}

def test_screenshots_of_the_notice_pages(open_page, site, chain, notice_stage, owner_a):
    wait_indexed(site, chain)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        for name, path in (("proposal-explained", f"#/assembly/{notice_stage['proposal_id']}"),
                           ("notices", "#/notices"), ("constitution", "#/assembly/rules")):
            page = open_page(owner_a, path, viewport=viewport)
            page.wait_for_selector("[data-testid=doc-state][data-state=match]" if name != "constitution"
                                   else "[data-testid=constitution]", timeout=TIMEOUT)
            if size == "phone":
                assert page.evaluate(WIDEST) == [], name
            screenshot(page, f"{name}-{size}")
            assert not page.problems
