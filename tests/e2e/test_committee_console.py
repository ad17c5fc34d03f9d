# SPDX-License-Identifier: AGPL-3.0-only
"""The committee's console in Chromium (issue 21): a committee of three whose role is a
2-of-3 Safe approves a budget line and records an expense end to end, each member in a
browser context of their own with their own wallet.

Member A proposes a budget allocation (signed in A's wallet, EIP-712 SafeTx); member B
sees it waiting, signs it and executes it from B's wallet; the chain then holds the
budget. A proposes an emergency repair with its document hashed in the browser (the
file is never sent anywhere), C signs and executes, the chain holds the payment with the
file's hash. A resident who is no member sees no console, and the backend refuses their
signature, and signatures made for another nonce or another Safe. A proposal the
treasury would refuse is refused in the page, in the member's words, before anyone signs.

This module has its own `site`: the shared one's committee is the deployer's account,
this one's is a Safe (tests/safe/console_scene.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace

import httpx
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect

from backend.chain.deployment import role_id
from backend.chain.safe import sign_safe_tx
from tests.e2e.conftest import DESKTOP, PHONE, ROOT, following, screenshot, serving, site_settings
from tests.safe.console_scene import GRANT_ALLOWANCE, PUBLIC_INCOME, console_community, units_csv

CATEGORY = 3  # greening
INVOICE = b"%PDF-1.4\n% roof leak repair, building 1, approval of the housing authority\n"
REVERTS = json.loads((ROOT / "backend/web/static/i18n/reverts.json").read_text(encoding="utf-8"))
ZH = json.loads((ROOT / "backend/web/static/i18n/zh.json").read_text(encoding="utf-8"))
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def site(project, chain, accounts, committee, owner_a, owner_b, owner_c, tmp_path_factory):
    """A community whose committee is a 2-of-3 Safe of owner_a, owner_b and owner_c, indexed,
    behind a live backend (API, pages, the committee's store)."""
    vault_logger = accounts[8]
    scene = console_community(project, chain, committee, [owner_a, owner_b, owner_c], vault_logger=vault_logger)
    chain.mine()
    settings, port, origin = site_settings(tmp_path_factory.mktemp("e2e-committee"), scene.manifest, chain,
                                           vault_logger)
    with following(scene.manifest, settings, "e2e-committee-indexer") as (indexer, engine, rpc), \
            serving(settings, port, "e2e-committee-api"):
        yield {"url": origin, "scene": scene, "community": scene.community, "contracts": scene.contracts,
               "indexer": indexer, "engine": engine, "rpc": rpc, "settings": settings}


@pytest.fixture(autouse=True)
def empty_store(site):
    """Ape reverts the chain after each test (the Safe's nonce back at 0), not the store's
    table: each test starts with no proposal, as the chain has none executed."""
    from sqlalchemy import delete

    from backend.db.models.committee import SafeProposal, SafeSignature

    with site["engine"].begin() as conn:
        conn.execute(delete(SafeSignature.__table__))
        conn.execute(delete(SafeProposal.__table__))


def store_url(site) -> str:
    return f"{site['url']}/api/v1/communities/{site['community'].registry.address.lower()}/committee"


NEWEST_TOAST = "() => Math.max(0, ...[...document.querySelectorAll('#toasts .toast')].map((n) => Number(n.id.split('-')[1])))"
SETTLED_AFTER = """(before) => {
  const node = [...document.querySelectorAll('#toasts .toast')]
    .find((n) => Number(n.id.split('-')[1]) > before && n.dataset.state && n.dataset.state !== 'pending');
  return node ? [node.dataset.state, node.innerText] : null;
}"""


def act(page, control, timeout=120_000):
    """Click `control` and wait for the toast it starts to leave pending: (state, text). The
    page itself waits up to 30 s for the index after the receipt (tx.js): the test allows
    that and the transaction on a loaded machine (a CI run took longer than 30 s once)."""
    # A control drawn by a redraw still running (the one after a signature) has no handler
    # until the page is drawn: the click would do nothing (CI once clicked "execute" in that
    # gap and no toast ever came). Wait for the control, then for the drawing to end.
    control.wait_for(timeout=timeout)
    page.wait_for_selector("#view[aria-busy=false]", timeout=timeout)
    before = page.evaluate(NEWEST_TOAST)
    control.click()
    try:
        state, text = page.wait_for_function(SETTLED_AFTER, arg=before, timeout=timeout).json_value()
    except PlaywrightTimeout as exc:
        # Say where it stopped: the toasts as the page shows them, and its errors.
        toasts = page.evaluate("() => [...document.querySelectorAll('#toasts .toast')].map((n) => n.dataset.state + ': ' + n.innerText)")
        raise AssertionError(f"no toast settled in {timeout} ms; toasts {toasts}; page errors {page.problems}") from exc
    return state, text


def confirmed(page, control) -> None:
    state, text = act(page, control)
    assert state == "confirmed", text


def proposal_card(page, nonce: int):
    return page.locator(f"[data-testid=safe-proposal][data-nonce='{nonce}']")


def open_console(open_page, member, viewport=DESKTOP, lang=None):
    page = open_page(member, "#/committee", viewport=viewport, lang=lang)
    expect(page.locator("[data-testid=committee-safe]")).to_be_visible()
    return page


def test_two_of_three_members_allocate_a_budget_and_pay_a_repair_from_their_own_browsers(
        open_page, site, chain, owner_a, owner_b, owner_c, provider):
    scene = site["scene"]
    treasury = scene.treasury

    # A proposes: 12,000 yuan of this year's public income to greening.
    page_a = open_console(open_page, owner_a)
    expect(page_a.locator("#nav a[data-page=committee]")).to_have_count(1)
    form = page_a.locator("[data-testid=budget-form]")
    form.locator("select[name=fund]").select_option(str(PUBLIC_INCOME))
    form.locator("select[name=category]").select_option(str(CATEGORY))
    form.locator("input[name=amount]").fill("12000")
    confirmed(page_a, form.locator("button[type=submit]"))
    card = proposal_card(page_a, 0)
    expect(card.locator("[data-testid=confirmations]")).to_have_text(
        ZH["committee.confirmations"].format(count=1, threshold=2))
    expect(card.locator("h3")).to_contain_text("12,000.00")
    expect(card.locator("[data-action=execute]")).to_have_count(0)
    screenshot(page_a, "committee-console-desktop")

    # B, in another browser with B's wallet, sees it waiting, signs, and executes.
    page_b = open_console(open_page, owner_b, viewport=PHONE)
    card_b = proposal_card(page_b, 0)
    expect(card_b.locator(f"[data-signer='{owner_a.address.lower()}']")).to_have_count(1)
    screenshot(page_b, "committee-console-phone")
    confirmed(page_b, card_b.locator("[data-action=sign]"))
    card_b = proposal_card(page_b, 0)
    expect(card_b.locator("[data-testid=confirmations]")).to_have_text(
        ZH["committee.confirmations"].format(count=2, threshold=2))
    assert treasury.budget(scene.year, PUBLIC_INCOME, CATEGORY)[0] == 0
    confirmed(page_b, card_b.locator("[data-action=execute]"))
    assert treasury.budget(scene.year, PUBLIC_INCOME, CATEGORY)[0] == 12_000_00
    expect(page_b.locator("[data-testid=safe-done][data-status=executed]")).to_have_count(1)
    expect(page_b.locator("[data-testid=safe-proposal]")).to_have_count(0)
    # Signed by A and B in their wallets, executed by B: the Safe's log names the Safe as the caller.
    assert scene.safe.nonce() == 1

    # A records an emergency repair: the document is hashed in A's browser, never sent.
    sent = []
    page_a.on("request", lambda request: sent.append(request.post_data_buffer or b""))
    page_a.reload()
    page_a.wait_for_selector("[data-testid=expense-form]")
    expense = page_a.locator("[data-testid=expense-form]")
    expense.locator("select[name=kind]").select_option("2")  # roof leak
    expense.locator("input[name=payee]").fill(provider.address)
    expense.locator("input[name=amount]").fill("5000")
    expense.locator("[data-testid=invoice-file]").set_input_files(
        {"name": "approval.pdf", "mimeType": "application/pdf", "buffer": INVOICE})
    digest = "0x" + hashlib.sha256(INVOICE).hexdigest()
    expect(page_a.locator("[data-testid=invoice-hash]")).to_have_attribute("data-hash", digest)
    confirmed(page_a, expense.locator("button[type=submit]"))
    assert not any(INVOICE[:40] in body for body in sent), "the invoice left the browser"
    assert any(digest[2:].encode() in body for body in sent), "the proposal carries the file's hash"
    expect(proposal_card(page_a, 1).locator("h3")).to_contain_text("5,000.00")

    # C signs and executes in a third browser.
    page_c = open_console(open_page, owner_c, lang="en")
    card_c = proposal_card(page_c, 1)
    expect(card_c.locator("h3")).to_contain_text("Roof leak")
    screenshot(page_c, "committee-console-en-desktop")
    confirmed(page_c, card_c.locator("[data-action=sign]"))
    paid_before = scene.token.balanceOf(provider.address)
    confirmed(page_c, proposal_card(page_c, 1).locator("[data-action=execute]"))
    assert treasury.emergency_repair_count() == 1
    assert scene.token.balanceOf(provider.address) - paid_before == 5_000_00
    [paid] = treasury.EmergencyRepairPaid.query("*", start_block=chain.blocks.head.number).itertuples()
    assert "0x" + bytes(paid.event_arguments["approval_hash"]).hex() == digest
    assert page_a.problems == page_b.problems == page_c.problems == []


def test_members_grant_a_merchant_role_and_points_through_the_safe(open_page, site, owner_a, owner_b, owner_c, tenant):
    """Roles and points from the console: A proposes the merchant role for a wallet, B signs
    and executes on a phone; B proposes a points grant, C signs and executes in English."""
    scene = site["scene"]
    registry, points = scene.community.registry, scene.community.points
    merchant = role_id("merchant")
    assert not registry.hasRole(merchant, tenant.address)

    page_a = open_console(open_page, owner_a)
    roles = page_a.locator("[data-testid=roles-form]")
    # Only the roles the committee administers are offered.
    assert roles.locator("select[name=role] option").evaluate_all("(os) => os.map((o) => o.value)") == [
        "cashier", "merchant", "provider"]
    roles.locator("select[name=role]").select_option("merchant")
    roles.locator("input[name=account]").fill("0x" + "00" * 20)  # refused before the wallet is asked
    state, text = act(page_a, roles.locator("button[type=submit]"))
    assert state == "failed" and ZH["committee.badAddress"] in text
    roles.locator("input[name=account]").fill(tenant.address)
    confirmed(page_a, roles.locator("button[type=submit]"))
    expect(proposal_card(page_a, 0).locator("h3")).to_have_text(
        ZH["committee.describe.grantRole"].format(account=tenant.address[:6] + "…" + tenant.address[-4:],
                                                  role=ZH["role.merchant"]))
    page_a.locator("[data-testid=roles-section]").scroll_into_view_if_needed()
    screenshot(page_a, "committee-roles-points-desktop")

    page_b = open_console(open_page, owner_b, viewport=PHONE)
    confirmed(page_b, proposal_card(page_b, 0).locator("[data-action=sign]"))
    confirmed(page_b, proposal_card(page_b, 0).locator("[data-action=execute]"))
    assert registry.hasRole(merchant, tenant.address)
    assert points.is_merchant(tenant.address)

    # B proposes 300 points for the wallet, within the assembly's allowance.
    before = points.balanceOf(tenant.address)
    page_b.reload()
    grant = page_b.locator("[data-testid=points-form]")
    expect(page_b.locator("[data-testid=points-allowance]")).to_have_attribute("data-left", str(GRANT_ALLOWANCE))
    grant.locator("input[name=to]").fill(tenant.address)
    grant.locator("input[name=amount]").fill(str(GRANT_ALLOWANCE + 1))  # beyond the allowance: the contract's words
    state, text = act(page_b, grant.locator("button[type=submit]"))
    assert state == "failed" and REVERTS["points: over the committee's yearly grant allowance"]["zh"] in text
    grant.locator("input[name=amount]").fill("300")
    confirmed(page_b, grant.locator("button[type=submit]"))
    page_b.locator("[data-testid=points-section]").scroll_into_view_if_needed()
    screenshot(page_b, "committee-roles-points-phone")

    page_c = open_console(open_page, owner_c, lang="en")
    card_c = proposal_card(page_c, 1)
    expect(card_c.locator("h3")).to_contain_text("Grant 300 points")
    confirmed(page_c, card_c.locator("[data-action=sign]"))
    confirmed(page_c, proposal_card(page_c, 1).locator("[data-action=execute]"))
    assert points.balanceOf(tenant.address) - before == 300
    assert points.granted_this_year() == 300
    page_c.reload()
    expect(page_c.locator("[data-testid=points-allowance]")).to_have_attribute("data-left", str(GRANT_ALLOWANCE - 300))
    assert page_a.problems == page_b.problems == page_c.problems == []


def test_members_hide_a_work_by_the_id_its_page_shows(open_page, site, chain, accounts, owner_a, owner_b, tenant):
    """A resident's work, hidden by the committee: A enters the work's Token ID and the
    written reason, which A publishes with A's own wallet (the Safe cannot sign in) under
    the hash the proposal carries; B signs and executes, and anyone reads the reason."""
    scene = site["scene"]
    culture = scene.contracts["CultureWorks"]
    committee_safe = accounts[scene.safe.safe.address]  # anvil lets the test act as the Safe for the set-up
    chain.set_balance(committee_safe.address, 10**18)
    scene.community.registry.register_unit("7-7-707", 70_00, tenant.address,
                                           hashlib.sha256(b"salted identity 7").digest(), sender=committee_safe)
    content = hashlib.sha256(b"a poster that breaks the rules").digest()
    culture.mint_work("海报", 1, content, "ipfs://poster", sender=tenant)
    token_id = int.from_bytes(content, "big")
    reason = "违反管理规约第十二条：商业广告"

    sent = []
    page_a = open_console(open_page, owner_a)
    page_a.on("request", lambda request: sent.append(request.post_data_buffer or b""))
    hide = page_a.locator("[data-testid=hide-form]")
    hide.locator("input[name=work]").fill("12")  # no such work: the contract's words, before signing
    hide.locator("textarea[name=reason]").fill(reason)
    state, text = act(page_a, hide.locator("button[type=submit]"))
    assert state == "failed" and REVERTS["culture: unknown work"]["zh"] in text
    # Refused by the contract before anything is published: the store has no text yet.
    key = "0x" + hashlib.sha256(reason.encode()).hexdigest()
    assert httpx.get(f"{site['url']}/api/v1/texts/{key}", timeout=10).status_code == 404
    hide.locator("input[name=work]").fill(str(token_id))
    confirmed(page_a, hide.locator("button[type=submit]"))
    # The reason is published by A (a member of the Safe, signed in with A's wallet) under the
    # hash the proposal carries, and served to anyone.
    assert any(reason.encode() in body for body in sent), "the reason was not published"
    published = httpx.get(f"{site['url']}/api/v1/texts/{key}", timeout=10)
    assert published.status_code == 200, published.text
    assert published.json()["text"] == reason and published.json()["stored_by"] == owner_a.address.lower()
    [hide_call] = httpx.get(store_url(site), timeout=10).json()["pending"][0]["action"]["calls"]
    assert hide_call["args"][1]["value"] == key
    expect(proposal_card(page_a, 0).locator("h3")).to_contain_text(ZH["committee.describe.hideWork"].split("{")[0])

    page_b = open_console(open_page, owner_b)
    confirmed(page_b, proposal_card(page_b, 0).locator("[data-action=sign]"))
    confirmed(page_b, proposal_card(page_b, 0).locator("[data-action=execute]"))
    assert culture.is_hidden(token_id)
    [hidden] = culture.WorkHidden.query("*", start_block=chain.blocks.head.number).itertuples()
    assert bytes(hidden.event_arguments["reason_hash"]) == hashlib.sha256(reason.encode()).digest()
    assert page_a.problems == page_b.problems == []


def api_url(site, path: str) -> str:
    return f"{site['url']}/api/v1/communities/{site['community'].registry.address.lower()}{path}"


def test_members_import_units_from_a_csv_bad_lines_by_number_then_a_series_of_batches(
        open_page, site, owner_a, owner_b):
    """A bad CSV: every bad line listed by its number, nothing proposed. A good one of 61
    units: two batches (60 + 1, the registry's batch within the gas cap) proposed as a
    numbered series; B signs and executes both; the units are in the index."""
    registry = site["community"].registry
    good = units_csv(61, prefix="6-1-")
    rows = good.splitlines()
    bad = "\n".join([rows[0], rows[1], "6-1-900,0,0xnope,0x12", rows[1], rows[3].lower()]) + "\n"
    page_a = open_console(open_page, owner_a)
    form = page_a.locator("[data-testid=units-form]")
    form.locator("[data-testid=units-file]").set_input_files(
        {"name": "units.csv", "mimeType": "text/csv", "buffer": bad.encode()})
    state, text = act(page_a, form.locator("button[type=submit]"))
    assert state == "failed" and ZH["committee.unitsNothingProposed"] in text
    listed = page_a.locator("[data-testid=units-errors] li")
    assert sorted(set(listed.evaluate_all("(ls) => ls.map((l) => Number(l.dataset.line))"))) == [3, 4, 5]
    expect(listed.first).to_contain_text(ZH["committee.unitsLine"].format(line=3))
    # Each problem in Chinese from its code and parameters, not the CLI's English words.
    words = {line: " ".join(listed.locator(f"xpath=self::*[@data-line='{line}']").all_inner_texts())
             for line in (3, 4, 5)}
    assert ZH["committee.unitsError.area_not_positive"].format(text="0") in words[3]
    assert ZH["committee.unitsError.owner_not_address"].format(owner="0xnope") in words[3]
    assert ZH["committee.unitsError.commitment_format"] in words[3]
    assert ZH["committee.unitsError.label_duplicate"].format(label="6-1-001", line=2) in words[4]
    assert ZH["committee.unitsError.owner_checksum"].format(owner=rows[3].split(",")[2].lower()) in words[5]
    assert "must be" not in " ".join(listed.all_inner_texts()) and "checksum (copy" not in str(words)
    assert httpx.get(store_url(site), timeout=10).json()["pending"] == []
    page_a.locator("[data-testid=units-section]").scroll_into_view_if_needed()
    screenshot(page_a, "committee-units-errors-desktop")

    before = registry.unit_count()
    form.locator("[data-testid=units-file]").set_input_files(
        {"name": "units.csv", "mimeType": "text/csv", "buffer": good.encode()})
    form.locator("button[type=submit]").click()
    expect(page_a.locator("[data-testid=safe-proposal]")).to_have_count(2, timeout=60_000)
    expect(proposal_card(page_a, 0).locator("h3")).to_have_text(
        ZH["committee.describe.registerUnits"].format(count=60, first="6-1-001", last="6-1-060"))
    expect(proposal_card(page_a, 1).locator("h3")).to_have_text(
        ZH["committee.describe.registerUnits"].format(count=1, first="6-1-061", last="6-1-061"))

    page_b = open_console(open_page, owner_b, viewport=PHONE, lang="en")
    for nonce in (0, 1):
        confirmed(page_b, proposal_card(page_b, nonce).locator("[data-action=sign]"))
        confirmed(page_b, proposal_card(page_b, nonce).locator("[data-action=execute]"))
    assert registry.unit_count() - before == 61
    expect(page_b.locator("[data-testid=safe-done][data-status=executed]")).to_have_count(2)
    # The index has them (the page waited for it after each receipt).
    last = httpx.get(api_url(site, f"/units/{before + 61}"), timeout=10)
    assert last.status_code == 200 and last.json()["unit"]["label"] == "6-1-061"
    assert last.json()["owner"]["wallet"].lower() == rows[61].split(",")[2].lower()
    assert page_a.problems == page_b.problems == []


def test_members_follow_maintenance_projects_and_check_a_projects_document(open_page, site, owner_a, provider):
    """The maintenance fund's projects are the assembly's (approve, release, close): the
    console lists each with its milestones' states from the index, offers none of those
    actions, and checks a project's document against its hash in the browser, without
    uploading it."""
    scene = site["scene"]
    treasury, deployer = scene.treasury, scene.deployer  # the deployer holds the assembly's powers here
    document = b"%PDF-1.4\n% elevator replacement, building 2, contract and assembly resolution\n"
    treasury.approve_maintenance_project(provider.address, [30_000_00, 20_000_00, 5_000_00],
                                         hashlib.sha256(document).digest(), sender=deployer)
    elevator = treasury.maintenance_project_count()
    treasury.release_milestone(elevator, sender=deployer)
    treasury.approve_maintenance_project(provider.address, [8_000_00, 2_000_00], hashlib.sha256(b"roof").digest(),
                                         sender=deployer)
    roof = treasury.maintenance_project_count()
    treasury.release_milestone(roof, sender=deployer)
    treasury.close_maintenance_project(roof, sender=deployer)

    sent = []
    page = open_page(owner_a, "#/committee")
    page.on("request", lambda request: sent.append(request.post_data_buffer or b""))
    project = page.locator(f"[data-testid=committee-project][data-project='{elevator}']")
    expect(project).to_be_visible(timeout=30_000)
    states = lambda card: card.locator("[data-testid=milestone]").evaluate_all("(ls) => ls.map((l) => l.dataset.state)")
    # The index may be a block behind the chain: the page shows what it has; reload until the release is in.
    for _ in range(30):
        if states(page.locator(f"[data-testid=committee-project][data-project='{roof}']")) == ["paid", "cancelled"]:
            break
        page.wait_for_timeout(1000)
        page.reload()
        page.wait_for_selector("[data-testid=committee-projects]")
    assert states(project) == ["paid", "next", "later"]
    closed = page.locator(f"[data-testid=committee-project][data-project='{roof}']")
    assert states(closed) == ["paid", "cancelled"]
    expect(project.locator("[data-testid=milestone][data-index='0']")).to_contain_text(
        ZH["committee.milestoneState.paid"])
    expect(closed).to_have_attribute("data-closed", "true")

    result = project.locator("[data-testid=project-doc-result]")
    project.locator("[data-testid=project-doc-file]").set_input_files(
        {"name": "elevator.pdf", "mimeType": "application/pdf", "buffer": document})
    expect(result).to_have_attribute("data-matches", "true")
    project.locator("[data-testid=project-doc-file]").set_input_files(
        {"name": "other.pdf", "mimeType": "application/pdf", "buffer": document + b" "})
    expect(result).to_have_attribute("data-matches", "false")
    assert not any(document[:40] in body for body in sent), "the project's document left the browser"
    page.locator("[data-testid=committee-projects]").scroll_into_view_if_needed()
    screenshot(page, "committee-projects-desktop")
    # No form of the console makes a maintenance-project call.
    assert "release_milestone" not in page.content() and "approve_maintenance_project" not in page.content()
    assert page.problems == []


def test_a_proposal_the_treasury_would_refuse_is_refused_in_the_members_words(open_page, site, owner_a):
    page = open_console(open_page, owner_a)
    form = page.locator("[data-testid=budget-form]")
    form.locator("input[name=amount]").fill("60000")  # the assembly approved 50,000
    state, text = act(page, form.locator("button[type=submit]"))
    assert state == "failed"
    assert REVERTS["treasury: over the annual budget"]["zh"] in text
    assert httpx.get(store_url(site), timeout=10).json()["pending"] == []
    # A malformed amount is refused before the wallet is asked.
    form.locator("input[name=amount]").fill("12.345")
    state, text = act(page, form.locator("button[type=submit]"))
    assert state == "failed" and ZH["committee.badAmount"] in text


def test_a_non_member_sees_no_console_and_their_signature_is_refused(open_page, site, owner_a, owner_b, tenant):
    page = open_page(tenant, "#/home")
    expect(page.locator("#nav a[data-page=home]")).to_have_count(1)
    expect(page.locator("#nav a[data-page=committee]")).to_have_count(0)
    page = open_page(tenant, "#/committee")
    expect(page.locator("[data-testid=committee-not-member]")).to_be_visible()
    expect(page.locator("[data-testid=budget-form]")).to_have_count(0)

    scene = site["scene"]
    tx = scene.safe.propose_call(scene.treasury.allocate_budget, scene.year, PUBLIC_INCOME, CATEGORY, 1_000_00)
    fields = {k: v for k, v in tx.to_json().items() if k not in ("safeTxHash", "note")}

    def signed(member, made_for=tx):
        return {"signer": member.address, "signature": "0x" + sign_safe_tx(made_for, member).hex()}

    refused = httpx.post(f"{store_url(site)}/transactions", json={**fields, **signed(tenant)}, timeout=10)
    assert refused.status_code == 403 and "not a member" in refused.json()["detail"]
    assert httpx.post(f"{store_url(site)}/transactions", json={**fields, **signed(owner_a)},
                      timeout=10).status_code == 201
    signatures = f"{store_url(site)}/transactions/0x{tx.hash.hex()}/signatures"
    assert httpx.post(signatures, json=signed(tenant), timeout=10).status_code == 403
    # A member's signature, but of another nonce or for another Safe: not this SafeTx's.
    for other in (replace(tx, nonce=tx.nonce + 1), replace(tx, safe=scene.treasury.address)):
        refused = httpx.post(signatures, json=signed(owner_b, other), timeout=10)
        assert refused.status_code == 422 and "is not" in refused.json()["detail"]
    # The member's own page shows it waiting with the one good signature; when B's wallet
    # signed it elsewhere meanwhile (Safe's own tools, another tab), B's click here is
    # refused by the store, in B's words.
    page_b = open_console(open_page, owner_b)
    card = proposal_card(page_b, tx.nonce)
    expect(card.locator("[data-testid=confirmations]")).to_have_text(
        ZH["committee.confirmations"].format(count=1, threshold=2))
    assert httpx.post(signatures, json=signed(owner_b), timeout=10).status_code == 201
    state, text = act(page_b, card.locator("[data-action=sign]"))
    assert state == "failed" and ZH["committee.refused.alreadySigned"] in text


def test_the_console_passes_axe_for_a_member(browser, site, chain, owner_a):
    """The owner's view of the console (the shared site's tests see only the card for a
    community whose committee is no Safe): axe-core's WCAG 2 A/AA, both sizes, zh and en."""
    from tests.e2e.test_accessibility import axe_problems, new_context, visit

    if not AXE_JS.exists():
        pytest.fail("node_modules/axe-core is missing: npm ci (package.json has it)")
    axe_source = AXE_JS.read_text(encoding="utf-8")
    scene = site["scene"]
    tx = scene.safe.propose_call(scene.treasury.allocate_budget, scene.year, PUBLIC_INCOME, CATEGORY, 2_000_00)
    fields = {k: v for k, v in tx.to_json().items() if k not in ("safeTxHash", "note")}
    httpx.post(f"{store_url(site)}/transactions", timeout=10, json={
        **fields, "signer": owner_a.address, "signature": "0x" + sign_safe_tx(tx, owner_a).hex()}).raise_for_status()
    problems = []
    for name, viewport, lang in (("zh-desktop", DESKTOP, "zh"), ("en-phone", PHONE, "en")):
        context = new_context(browser, chain, owner_a, viewport, lang, True, False, axe_source)
        page = context.new_page()
        try:
            visit(page, site, "#/committee")
            page.wait_for_selector("[data-testid=safe-proposal]")
            problems += axe_problems(page, f"{name} #/committee")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > viewport["width"]:
                problems.append(f"{name}: {width}px wide on a {viewport['width']}px screen")
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def test_a_member_proposes_as_the_committee_with_its_notice_and_another_signs_and_executes(
        open_page, site, chain, owner_a, owner_b, owner_c):
    """A composes a proposal and proposes it as the committee: one SafeTx (MultiSendCallOnly)
    carrying OwnersAssembly.propose and the proposal's notice, signed in A's browser and kept
    by the store. B sees it waiting in the console, signs and executes it at the 2-of-3
    threshold in B's own browser; the proposal, the Safe's, is on the assembly's page, and
    its notice is published."""
    from tests.e2e.conftest import wait_indexed

    scene, registry = site["scene"], site["community"].registry
    assembly, board = site["contracts"]["OwnersAssembly"], site["contracts"]["NoticeBoard"]
    safe = scene.safe.address
    # An owner on the roll (a proposal needs one at its snapshot).
    scene.safe.call(registry.register_unit, "8-1-101", 90_00, owner_c.address, hashlib.sha256(b"owner c").digest(),
                    signers=[owner_a, owner_b])
    chain.mine()
    wait_indexed(site, chain)
    nonce, proposals, notices = scene.safe.nonce(), assembly.proposal_nonce(safe), board.notice_count()

    page_a = open_page(owner_a, "#/propose")
    expect(page_a.get_by_test_id("menu")).to_be_visible(timeout=30_000)
    page_a.get_by_test_id("add-set_cosign_threshold").click()
    page_a.get_by_test_id("action").nth(0).get_by_test_id("f-percent").fill("8")
    page_a.get_by_test_id("f-title").fill("关于降低联署门槛的议案")
    page_a.get_by_test_id("f-text").fill("联署门槛由百分之二十降为百分之八。")
    page_a.get_by_test_id("check").click()
    expect(page_a.get_by_test_id("composed")).to_be_visible(timeout=30_000)
    expect(page_a.get_by_test_id("notice-note-safe")).to_be_visible()
    page_a.get_by_test_id("propose-safe").click()
    expect(page_a).to_have_url(re.compile(r"#/committee$"), timeout=60_000)
    card = proposal_card(page_a, nonce)
    expect(card).to_have_count(1, timeout=30_000)
    expect(card.locator("h3")).to_contain_text("关于降低联署门槛的议案")
    expect(card).to_contain_text(ZH["committee.describe.publishNotice"].format(title="业主大会会议公告：关于降低联署门槛的议案"))
    assert assembly.proposal_nonce(safe) == proposals  # nothing on chain until the threshold

    page_b = open_console(open_page, owner_b, viewport=PHONE)
    confirmed(page_b, proposal_card(page_b, nonce).locator("[data-action=sign]"))
    confirmed(page_b, proposal_card(page_b, nonce).locator("[data-action=execute]"))
    assert scene.safe.nonce() == nonce + 1 and assembly.proposal_nonce(safe) == proposals + 1
    assert board.notice_count() == notices + 1
    wait_indexed(site, chain)
    page_b.goto(f"{site['url']}/#/assembly")
    page_b.wait_for_selector("#view[aria-busy=false]")
    found = page_b.get_by_test_id("proposal").filter(has_text="关于降低联署门槛的议案")
    expect(found).to_have_count(1, timeout=30_000)
    found.first.click()
    expect(page_b).to_have_url(re.compile(r"#/assembly/\d+"), timeout=30_000)
    proposal_id = int(page_b.url.rsplit("/", 1)[1])
    assert assembly.proposer(proposal_id) == safe and board.proposal_notice(proposal_id) == notices + 1
    # The proposer reads as the committee's public name (from the manifest), its address on hover.
    proposer = page_b.get_by_test_id("proposer")
    expect(proposer).to_have_text(ZH["names.committeeSafe"], timeout=30_000)
    expect(proposer).to_have_attribute("title", re.compile(f"^{safe}$", re.I))
    screenshot(page_b, "committee-proposal-executed-phone")
    assert page_a.problems == page_b.problems == []


def test_a_member_publishes_the_committees_missing_notice_from_the_proposals_page(
        open_page, site, chain, owner_a, owner_b, owner_c):
    """The Safe's proposal went out without its notice (proposed from a script, say): its
    page offers a member the notice as a SafeTx to NoticeBoard.publish_notice, the text the
    composer would have sent; A proposes it in the console, B signs and runs it, and the
    notice is published. The page names the proposer as the committee, in both languages."""
    from backend.chain.demo_activity import OTHER_COMMON, full_text_hash
    from tests.e2e.conftest import wait_indexed

    scene, registry = site["scene"], site["community"].registry
    assembly, board = site["contracts"]["OwnersAssembly"], site["contracts"]["NoticeBoard"]
    safe = scene.safe.address
    scene.safe.call(registry.register_unit, "8-1-102", 90_00, owner_c.address, hashlib.sha256(b"owner c 2").digest(),
                    signers=[owner_a, owner_b])
    chain.mine()
    title = "关于更换小区门禁系统的议案"
    start = chain.pending_timestamp + assembly.min_notice() + 86_400
    tx = scene.safe.call(assembly.propose, [], [], [], OTHER_COMMON, title, full_text_hash(title), start,
                         start + assembly.min_voting_period(), signers=[owner_a, owner_b])
    proposal_id = tx.decode_logs(assembly.ProposalCreated)[0].proposalId
    assert assembly.proposer(proposal_id) == safe and board.proposal_notice(proposal_id) == 0
    wait_indexed(site, chain)
    nonce = scene.safe.nonce()

    page_a = open_page(owner_a, f"#/assembly/{proposal_id}", lang="en")
    expect(page_a.get_by_test_id("proposer")).to_have_text("Owners' committee", timeout=30_000)
    expect(page_a.get_by_test_id("publish-notice")).to_have_count(0)
    page_a.get_by_test_id("publish-notice-safe").click()
    expect(page_a).to_have_url(re.compile(r"#/committee$"), timeout=60_000)
    card = proposal_card(page_a, nonce)
    expect(card).to_have_count(1, timeout=30_000)
    assert board.proposal_notice(proposal_id) == 0  # nothing on chain until the threshold

    page_b = open_console(open_page, owner_b)
    confirmed(page_b, proposal_card(page_b, nonce).locator("[data-action=sign]"))
    confirmed(page_b, proposal_card(page_b, nonce).locator("[data-action=execute]"))
    notice_id = board.proposal_notice(proposal_id)
    assert notice_id > 0
    content = "0x" + bytes(board.notice_content(notice_id)).hex()
    text = page_b.request.get(f"{site['url']}/api/v1/texts/{content}").json()["text"]
    assert title in text and "0x" + full_text_hash(title).hex() in text
    assert page_a.problems == page_b.problems == []
