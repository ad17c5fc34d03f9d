"""Names, not addresses, in the real pages: the merchant names its own wallet from the
directory page (EIP-712 in the browser's wallet, no gas), the provider's entry is signed
outside the pages; then the points page shows the merchant and the treasury the payee
by name, the full address on hover and a link to the entry, while an address no one
named still reads as a short address. A committee member signed in to the vault names the
property company; naming an owner is refused, in words, and an owner is offered no entry."""

from __future__ import annotations

import re
import time

import httpx
from eth_account import Account
from eth_account.messages import encode_typed_data
from playwright.sync_api import expect

from backend.directory import entries as en
from tests.e2e.conftest import DESKTOP, PHONE, screenshot

TIMEOUT = 20_000


def done(page):
    toast = page.locator(".toast").first
    expect(toast).to_have_attribute("data-state", re.compile("confirmed|failed"), timeout=TIMEOUT)
    return toast


def test_organisations_read_by_name_and_people_stay_addresses(open_page, site, chain, owner_a, owner_b, merchant,
                                                             provider, committee, manager):
    registry = site["community"].registry.address
    base = f"{site['url']}/api/v1/communities/{registry.lower()}/directory"
    # Before anyone is named: owner_b's payment to the merchant reads as a short address, as before.
    before = open_page(owner_b, "#/points")
    moved = before.get_by_test_id("movement").filter(has_text="20").first
    expect(moved.locator("code").first).to_have_attribute("title", re.compile(merchant.address, re.I), timeout=TIMEOUT)
    expect(moved.locator("a.party")).to_have_count(0)

    # The merchant names its own wallet on the directory page.
    page = open_page(merchant, "#/directory")
    form = page.get_by_test_id("directory-form")
    form.locator("input[name=name]").fill("邻里便利店")
    form.locator("select[name=category]").select_option("merchant")
    form.locator("input[name=contact]").fill("021-62345678")
    form.get_by_role("button").click()
    expect(done(page)).to_have_attribute("data-state", "confirmed")
    expect(page.get_by_test_id("directory-entry").filter(has_text="邻里便利店")).to_be_visible(timeout=TIMEOUT)
    screenshot(page, "directory-desktop")

    # The provider (the payee of the treasury's expense) signs its entry with its own key.
    entry = en.Entry(provider.address, "快修水电", "provider", "400-820-8820", int(time.time()))
    signature = Account.sign_message(encode_typed_data(full_message=en.typed_data(chain.chain_id, registry, entry)),
                                     provider.private_key).signature.to_0x_hex()
    answer = httpx.post(base, json={"organisation": entry.organisation, "name": entry.name, "category": entry.category,
                                    "contact": entry.contact, "issued_at": entry.issued_at, "signature": signature})
    assert answer.status_code == 201, answer.text

    # The points page: the merchant by name in the payment list and in the choice of merchants.
    points = open_page(owner_b, "#/points")
    named = points.get_by_test_id("movement").filter(has_text="20").first.locator("a.party")
    expect(named).to_have_text("邻里便利店", timeout=TIMEOUT)
    expect(named).to_have_attribute("title", merchant.address)
    expect(named).to_have_attribute("href", f"#/directory/{merchant.address}")
    option = points.get_by_test_id("merchant-option").first
    expect(option).to_contain_text("邻里便利店")
    expect(option).to_have_attribute("title", re.compile(merchant.address, re.I))

    # The treasury: the expense's payee by name; its link opens the entry.
    treasury = open_page(None, "#/treasury")
    payee = treasury.get_by_test_id("payee").first.locator("a.party")
    expect(payee).to_have_text("快修水电", timeout=TIMEOUT)
    expect(payee).to_have_attribute("title", provider.address)
    payee.click()
    expect(treasury.get_by_test_id("directory-entry")).to_have_count(1, timeout=TIMEOUT)
    expect(treasury.get_by_test_id("directory-entry")).to_contain_text("400-820-8820")
    expect(treasury.get_by_test_id("wallet")).to_have_text(provider.address)
    # One directory request per page load, however many addresses the page shows.
    requests = []
    again = open_page(None, "#/treasury")
    again.on("request", lambda request: requests.append(request.url) if "/directory" in request.url else None)
    again.get_by_role("link", name=re.compile("名录")).first.click()
    again.wait_for_selector("#view[aria-busy=false]")
    again.goto(f"{site['url']}/#/treasury")
    again.wait_for_selector("#view[aria-busy=false]")
    assert len(requests) <= 1, requests

    # In English, the entry's category in the pages' words.
    english = open_page(None, f"#/directory/{provider.address}", lang="en")
    expect(english.get_by_test_id("directory-entry")).to_contain_text("Service provider", timeout=TIMEOUT)
    screenshot(open_page(None, "#/directory", viewport=PHONE), "directory-phone")

    # A person is offered no entry of their own; the committee, signed in to the vault, names
    # the property company's wallet, and its attempt to name an owner is refused in words.
    own = open_page(owner_a, "#/directory", viewport=DESKTOP)
    expect(own.get_by_test_id("directory-entry").first).to_be_visible(timeout=TIMEOUT)
    expect(own.get_by_test_id("directory-form")).to_have_count(0)
    board = open_page(committee, f"#/directory/{manager.address}", viewport=DESKTOP)
    form = board.get_by_test_id("committee-directory-form")
    expect(form.locator("input[name=organisation]")).to_have_value(manager.address, timeout=TIMEOUT)
    form.locator("input[name=name]").fill("绿城物业服务有限公司")
    form.locator("select[name=category]").select_option("property")
    form.locator("input[name=contact]").fill("0571-8888-6666")
    form.get_by_role("button").click()
    expect(done(board)).to_have_attribute("data-state", "confirmed")
    entry = board.get_by_test_id("directory-entry")
    expect(entry).to_contain_text("绿城物业服务有限公司", timeout=TIMEOUT)
    expect(entry).to_contain_text("业委会")
    board.evaluate("document.querySelectorAll('.toast').forEach((toast) => toast.remove())")
    form = board.get_by_test_id("committee-directory-form")
    form.locator("input[name=organisation]").fill(owner_a.address)
    form.locator("input[name=name]").fill("张三的小店")
    form.get_by_role("button").click()
    toast = done(board)
    expect(toast).to_have_attribute("data-state", "failed")
    expect(toast).to_contain_text("名录只收录机构，不登记个人")
    assert httpx.get(f"{base}/{owner_a.address}").status_code == 404
