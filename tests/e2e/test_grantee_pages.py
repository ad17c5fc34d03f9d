"""The grantee's side of a data grant (issue 21: "a provider reads granted data and the
resident sees the read in the access log"), in two browser contexts on one deployment: a
resident grants their contact details to a provider on My data; the provider, in its own
browser, sees the grant on "Granted to me" (the resident by unit and address, never a
name), reads it with a purpose through the vault, which logs the read on chain first; the
resident sees the read in the access log, the provider by its directory name. Then the
resident revokes, and the provider's next read is refused in words (zh and en), as is a
read past the vault's daily limit (with when to come back)."""

from __future__ import annotations

import re
import time

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_utils import keccak
from playwright.sync_api import expect

from backend.directory import entries as en
from tests.e2e.conftest import PHONE, screenshot, wait_indexed
from tests.e2e.test_accessibility import AXE_JS, axe_problems

TIMEOUT = 20_000
# Three reads a day of one resident by one grantee: the fourth attempt meets the limit.
SITE_SETTINGS = {"vault_reads_per_resident_per_day": 3}
PROVIDER_NAME = "快修水电"


def done(page, state="confirmed"):
    """The oldest toast not yet seen here reached a final state, which must be `state` (toasts
    are stacked newest first: a sign-in's toast is below the read's that follows it)."""
    toast = page.locator(".toast:not([data-seen])").last
    expect(toast).to_have_attribute("data-state", re.compile("confirmed|failed"), timeout=TIMEOUT)
    expect(toast).to_have_attribute("data-state", state)
    toast.evaluate("node => node.setAttribute('data-seen', '')")


def settled(page):
    page.wait_for_selector("#view[aria-busy=false]")


def vault_token(site, account) -> str:
    offer = httpx.post(f"{site['url']}/api/v1/vault/siwe/nonce", json={"address": account.address}, timeout=10).json()
    signature = Account.sign_message(encode_defunct(text=offer["message"]), account.private_key).signature.to_0x_hex()
    answer = httpx.post(f"{site['url']}/api/v1/vault/siwe/login",
                        json={"message": offer["message"], "signature": signature}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def name_in_directory(site, chain, organisation, name: str, category: str) -> None:
    """The organisation signs its own directory entry (EIP-712), as the directory page does."""
    registry = site["community"].registry.address
    entry = en.Entry(organisation.address, name, category, "400-820-8820", int(time.time()))
    signature = Account.sign_message(encode_typed_data(full_message=en.typed_data(chain.chain_id, registry, entry)),
                                     organisation.private_key).signature.to_0x_hex()
    answer = httpx.post(f"{site['url']}/api/v1/communities/{registry.lower()}/directory",
                        json={"organisation": entry.organisation, "name": entry.name, "category": entry.category,
                              "contact": entry.contact, "issued_at": entry.issued_at, "signature": signature},
                        timeout=10)
    assert answer.status_code == 201, answer.text


def stored_anywhere(page, text: str) -> bool:
    """Whether `text` is in the page's localStorage or sessionStorage (any key or value)."""
    return page.evaluate("""(text) => [localStorage, sessionStorage].some((store) =>
        Object.keys(store).some((key) => key.includes(text) || String(store.getItem(key)).includes(text)))""", text)


def test_a_provider_reads_granted_data_and_the_resident_sees_the_read(open_page, site, chain, owner_a, provider):
    community = site["community"].registry.address.lower()
    consent = site["contracts"]["DataConsent"]
    resident = owner_a.address.lower()
    name_in_directory(site, chain, provider, PROVIDER_NAME, "provider")
    token = vault_token(site, owner_a)
    saved = httpx.put(f"{site['url']}/api/v1/vault/communities/{community}/profile",
                      headers={"Authorization": f"Bearer {token}"}, timeout=10,
                      json={"name": "李阿姨", "phone": "13912345678", "vehicle_plate": "沪A12345"})
    assert saved.status_code == 200, saved.text

    # The resident grants the contact details (name and phone) to the provider on My data.
    mine = open_page(owner_a, "#/mydata")
    form = mine.get_by_test_id("grant-form")
    form.get_by_test_id("grantee").select_option(provider.address.lower())
    form.get_by_test_id("scope").select_option("contact")
    form.get_by_test_id("grant-days").fill("30")
    form.get_by_test_id("grant").click()
    done(mine)
    assert consent.has_live_grant(owner_a, provider, keccak(text="contact"))

    # The provider, in its own browser: "Granted to me" is in its navigation, the grant is listed
    # with the resident's units (the registry's labels) and address, and no name. The services
    # page, where its jobs are, leads there.
    page = open_page(provider, "#/services")
    page.get_by_test_id("granted-link").click()
    page.wait_for_url(re.compile(r"#/granted$"))
    settled(page)
    expect(page.locator("#nav a[data-page=granted]")).to_be_visible()
    row = page.locator(f"[data-testid=granted-row][data-resident='{resident}'][data-scope=contact]")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("resident-unit")).to_have_text("1-1-101、1-1-102")
    expect(row.locator(f"code[title='{resident}']")).to_be_visible()
    expect(row).not_to_contain_text("李阿姨")
    expect(row.get_by_test_id("granted-reads")).to_have_text("0")

    # A read needs a purpose: without one nothing is signed or sent.
    row.get_by_test_id("read").click()
    read = page.get_by_test_id("read-form")
    read.get_by_test_id("read-submit").click()
    expect(read.get_by_test_id("read-problem")).to_have_text("请写明查看的用途：用途必填。")
    expect(page.locator(".toast")).to_have_count(0)

    # With a purpose: the provider signs in to the vault (SIWE) and the vault answers with the fields.
    purpose = "周六上门修理热水器前电话确认时间"
    read.get_by_test_id("read-purpose").fill(purpose)
    read.get_by_test_id("read-submit").click()
    done(page)  # signed in
    done(page)  # read and logged
    result = page.get_by_test_id("read-result")
    expect(result.locator("[data-field=name]")).to_have_text("李阿姨")
    expect(result.locator("[data-field=phone]")).to_have_text("13912345678")
    expect(result).not_to_contain_text("沪A12345")  # not in the scope granted
    expect(page.get_by_test_id("signed-in")).to_be_visible()
    expect(row.get_by_test_id("granted-reads")).to_have_text("1")
    # The fields stay in the page: nothing of them is stored in the browser.
    assert not stored_anywhere(page, "13912345678") and not stored_anywhere(page, "李阿姨")
    tx_hash = page.get_by_test_id("read-tx").get_attribute("title")
    screenshot(page, "granted-read-desktop")
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))  # evaluated, not a script tag: the CSP allows no inline script
    assert axe_problems(page, "granted, a read shown") == []

    # On chain: the vault's log of the read (the purpose's hash, not its words), under the grant.
    wait_indexed(site, chain)
    accesses = httpx.get(f"{site['url']}/api/v1/communities/{community}/consent/residents/{resident}/accesses",
                         timeout=10).json()["items"]
    assert [(a["grantee"], a["tx_hash"], a["purpose_hash"]) for a in accesses] == [
        (provider.address.lower(), tx_hash, "0x" + keccak(text=purpose).hex())]

    # The resident reloads My data: the read is in the access log, the provider by its directory name.
    mine.reload()
    mine.wait_for_selector("body[data-ready=true]")
    settled(mine)
    access = mine.locator(f"[data-testid=access][data-grantee='{provider.address.lower()}']")
    expect(access).to_have_count(1, timeout=TIMEOUT)
    expect(access.locator("a.party")).to_have_text(PROVIDER_NAME)
    expect(access).to_contain_text("联系方式")
    mine.get_by_test_id("siwe-sign-in").click()
    done(mine)
    expect(mine.get_by_test_id("signed-in")).to_be_visible(timeout=TIMEOUT)
    access = mine.locator(f"[data-testid=access][data-grantee='{provider.address.lower()}']")
    expect(access.get_by_test_id("purpose")).to_have_text(purpose)

    # The provider's page in English on a phone, opened while the grant is live.
    phone = open_page(provider, "#/granted", viewport=PHONE, lang="en")
    phone_row = phone.locator(f"[data-testid=granted-row][data-resident='{resident}'][data-scope=contact]")
    expect(phone_row.get_by_test_id("resident-unit")).to_have_text("1-1-101、1-1-102")

    # The resident revokes; the provider's next read (page not reloaded) is refused in words.
    grant = mine.locator(f"[data-testid=grant-row][data-grantee='{provider.address.lower()}'][data-scope=contact]").first
    grant.get_by_test_id("revoke").click()
    done(mine)
    assert not consent.has_live_grant(owner_a, provider, keccak(text="contact"))
    row.get_by_test_id("read").click()
    read.get_by_test_id("read-purpose").fill("再次确认上门时间")
    read.get_by_test_id("read-submit").click()
    done(page, "failed")
    expect(read.get_by_test_id("read-problem")).to_have_text(
        "授权已失效（已过期、居民已撤回，或您的角色已变更）：未读取任何资料。")

    phone_row.get_by_test_id("read").click()
    phone_read = phone.get_by_test_id("read-form")
    phone_read.get_by_test_id("read-purpose").fill("Confirm the visit")
    phone_read.get_by_test_id("read-submit").click()
    done(phone)  # signed in (this browser had no session)
    done(phone, "failed")
    expect(phone_read.get_by_test_id("read-problem")).to_have_text(
        "The grant is no longer live (expired, revoked by the resident, or your role changed): nothing was read.")
    screenshot(phone, "granted-refused-phone")
    phone.evaluate(AXE_JS.read_text(encoding="utf-8"))
    assert axe_problems(phone, "granted, a read refused, en phone") == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # A fourth read of this resident today meets the vault's limit: refused before the grant is
    # even looked at, with when to come back.
    phone_read.get_by_test_id("read-submit").click()
    done(phone, "failed")
    expect(phone_read.get_by_test_id("read-problem")).to_have_text(
        re.compile(r"^Too many reads: try again in [0-9.]+ h\. Nothing was read or logged\.$"))
    # Only the one read that was served is on chain.
    wait_indexed(site, chain)
    accesses = httpx.get(f"{site['url']}/api/v1/communities/{community}/consent/residents/{resident}/accesses",
                         timeout=10).json()["items"]
    assert len(accesses) == 1
    screenshot(mine, "granted-access-log-desktop")
    assert page.problems == [] and phone.problems == [] and mine.problems == []


def test_a_wallet_without_a_grantee_role_is_told_and_not_offered_the_page(open_page, owner_b):
    page = open_page(owner_b, "#/granted")
    expect(page.get_by_test_id("not-grantee")).to_be_visible()
    expect(page.locator("#nav a[data-page=granted]")).to_have_count(0)
    expect(page.locator("#nav a[data-page=mydata]")).to_be_visible()
