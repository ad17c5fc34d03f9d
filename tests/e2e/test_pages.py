"""Resident flows through the real pages, contracts and indexer: each test acts in the
browser as a resident would, then checks what the page shows and what the chain holds."""

from __future__ import annotations

import hashlib
import re

from eth_utils import keccak

import httpx
from playwright.sync_api import expect

from backend.chain.deployment import role_id
from tests.e2e.conftest import DESKTOP, PHONE, screenshot, wait_indexed

FOR, AGAINST = 1, 0
TIMEOUT = 20_000


def done(page):
    """The newest transaction toast reached a final state; returns it."""
    toast = page.locator(".toast").first
    expect(toast).to_have_attribute("data-state", re.compile("confirmed|failed"), timeout=TIMEOUT)
    return toast


def settled(page):
    page.wait_for_selector("#view[aria-busy=false]")


def test_connect_shows_units_role_and_points(open_page, owner_a, merchant):
    page = open_page(owner_a, "#/connect", connected=False)
    expect(page.get_by_test_id("account")).to_have_text("未连接")
    page.get_by_test_id("connect").click()
    expect(page.get_by_test_id("my-units")).to_contain_text("1-1-101", timeout=TIMEOUT)
    expect(page.get_by_test_id("my-units")).to_contain_text("1-1-102")
    expect(page.get_by_test_id("my-units")).to_contain_text("89.50 m²")
    expect(page.get_by_test_id("my-roles")).to_have_text("业主")
    expect(page.get_by_test_id("my-points")).to_have_text("100")
    expect(page.get_by_test_id("account-button")).to_have_text(f"{owner_a.address[:6].lower()}…{owner_a.address[-4:].lower()}")
    assert "eth_requestAccounts" in page.evaluate("window.__walletLog")
    assert page.problems == []

    shop = open_page(merchant, "#/connect")
    expect(shop.get_by_test_id("my-roles")).to_have_text("商户", timeout=TIMEOUT)
    expect(shop.get_by_test_id("my-units")).to_have_count(0)


def test_pay_dues_in_one_transaction_without_a_signature(open_page, site, owner_a):
    """The settlement token speaks ERC-1363: one transferAndCall of exactly the amount due,
    no permit to sign and no approve (issue 17 #23: the cheapest payment)."""
    fees = site["contracts"]["PropertyFees"]
    due = fees.statement(1).months_due
    assert due > 0
    page = open_page(owner_a, "#/home")
    unit = page.get_by_test_id("unit-1")
    expect(unit.get_by_test_id("months-due")).to_contain_text(str(due), timeout=TIMEOUT)
    expect(unit.get_by_test_id("quote")).to_contain_text("¥")
    expect(unit.get_by_test_id("receipts")).to_contain_text("还没有缴费记录")
    unit.get_by_test_id("pay").click()
    expect(done(page)).to_have_attribute("data-state", "confirmed")
    settled(page)
    unit = page.get_by_test_id("unit-1")
    expect(unit.get_by_test_id("months-due")).to_have_text("0", timeout=TIMEOUT)
    expect(unit.get_by_test_id("total-due")).to_have_text("¥0.00")
    expect(unit.get_by_test_id("receipt")).to_have_count(1)
    assert fees.statement(1).months_due == 0
    calls = page.evaluate("window.__walletLog")
    # One transaction and nothing to sign: no permit, no separate approve.
    assert calls.count("eth_signTypedData_v4") == 0 and calls.count("eth_sendTransaction") == 1
    # The other unit is untouched.
    expect(page.get_by_test_id("unit-2").get_by_test_id("months-due")).to_contain_text(str(due))


def test_vote_directly_moves_the_tally(open_page, site, owner_a):
    assembly, proposal = site["contracts"]["OwnersAssembly"], site["proposal"]
    page = open_page(owner_a, f"#/assembly/{proposal.id}")
    bar = page.get_by_test_id("tally-area").first
    expect(bar).to_have_attribute("data-for", "0", timeout=TIMEOUT)
    expect(page.get_by_test_id("tally-heads").first).to_have_attribute("data-against", "1")
    page.get_by_test_id("vote-direct").click()
    expect(done(page)).to_have_attribute("data-state", "confirmed")
    settled(page)
    expect(page.get_by_test_id("voted")).to_contain_text("同意", timeout=TIMEOUT)
    expect(page.get_by_test_id("tally-area").first).to_have_attribute("data-for", str(8_950 + 12_000))
    expect(page.get_by_test_id("tally-heads").first).to_have_attribute("data-for", "1")
    expect(page.get_by_test_id("ballot")).to_have_count(2)
    assert assembly.tally(proposal.id, FOR) == (20_950, 1)
    # A first ballot from the wallet logs what a relayed signature logs: the page says either.
    expect(page.get_by_test_id("ballot-channel").first).to_have_text("本人钱包或签名")
    for link, kind in (("announcement-pdf", "application/pdf"), ("roll-csv", "text/csv")):
        href = page.get_by_test_id(link).evaluate("a => a.href")  # absolute
        answer = page.request.get(href)
        assert answer.status == 200 and answer.headers["content-type"].startswith(kind), (link, answer.status)
    # The bar's green part is the area for, out of the total area at the snapshot.
    width = page.locator("[data-testid=tally-area] .seg.for").first.evaluate("e => e.style.width")
    assert width.startswith("41.")  # 20,950 of 51,000


def test_signed_ballot_is_relayed_and_counted(open_page, site, owner_b):
    assembly, proposal = site["contracts"]["OwnersAssembly"], site["proposal"]
    page = open_page(owner_b, f"#/assembly/{proposal.id}")
    page.get_by_test_id("vote-signed").click()
    expect(done(page)).to_have_attribute("data-state", "confirmed")
    settled(page)
    expect(page.get_by_test_id("voted")).to_contain_text("同意", timeout=TIMEOUT)
    expect(page.get_by_test_id("tally-area").first).to_have_attribute("data-for", "9000")
    assert assembly.tally(proposal.id, FOR) == (9_000, 1)
    assert assembly.hasVoted(proposal.id, owner_b.address)
    calls = page.evaluate("window.__walletLog")
    # The resident only signed; the relayer paid for the transaction.
    assert "eth_signTypedData_v4" in calls and "eth_sendTransaction" not in calls


def test_delegate_then_revoke(open_page, site, owner_a, tenant):
    assembly, proposal = site["contracts"]["OwnersAssembly"], site["proposal"]
    page = open_page(owner_a, f"#/assembly/{proposal.id}")
    form = page.get_by_test_id("delegation")
    form.locator("input[name=delegate]").fill(tenant.address)
    form.get_by_test_id("delegate").click()
    expect(done(page)).to_have_attribute("data-state", "confirmed")
    settled(page)
    expect(page.get_by_test_id("my-delegation")).to_contain_text(tenant.address.lower(), timeout=TIMEOUT)
    assert assembly.delegate_of(owner_a.address, proposal.id) == tenant.address
    page.get_by_test_id("my-delegation").get_by_role("button").click()
    expect(page.locator(".toast").first).to_have_attribute("data-state", "confirmed", timeout=TIMEOUT)
    settled(page)
    expect(page.get_by_test_id("my-delegation")).to_have_count(0, timeout=TIMEOUT)
    assert assembly.delegate_of(owner_a.address, proposal.id) == "0x" + "0" * 40


def test_refused_transaction_shows_the_reason_in_words(open_page, site, owner_a):
    page = open_page(owner_a, f"#/assembly/{site['proposal'].id}")
    form = page.get_by_test_id("delegation")
    form.locator("input[name=delegate]").fill(owner_a.address)  # to oneself: the contract refuses
    form.get_by_test_id("delegate").click()
    toast = done(page)
    expect(toast).to_have_attribute("data-state", "failed")
    expect(toast).to_contain_text("受托人地址无效")


def test_pay_a_merchant_with_points(open_page, site, owner_a, merchant):
    points = site["community"].points
    page = open_page(owner_a, "#/points")
    expect(page.get_by_test_id("points-balance")).to_have_text("100", timeout=TIMEOUT)
    form = page.get_by_test_id("pay-merchant")
    form.locator("select[name=merchant]").select_option(merchant.address.lower())
    form.locator("input[name=amount]").fill("30")
    form.get_by_role("button").click()
    expect(done(page)).to_have_attribute("data-state", "confirmed")
    settled(page)
    expect(page.get_by_test_id("points-balance")).to_have_text("70", timeout=TIMEOUT)
    expect(page.get_by_test_id("movement").first).to_contain_text("−30")
    assert points.balanceOf(owner_a) == 70


def test_treasury_shows_expense_invoice_and_csv(open_page, site):
    page = open_page(None, "#/treasury")
    invoice = "0x" + bytes(site["invoice"]).hex()
    expect(page.get_by_test_id("invoice-hash").first).to_have_attribute("title", invoice, timeout=TIMEOUT)
    expect(page.get_by_test_id("budgets")).to_contain_text("保洁")
    assert page.get_by_test_id("chart-monthly").evaluate("c => c.width") > 0
    href = page.get_by_test_id("csv").get_attribute("href")
    csv = httpx.get(site["url"] + href, timeout=10).text
    assert invoice in csv


def test_language_switch_is_remembered(open_page, owner_a):
    page = open_page(owner_a, "#/treasury")
    expect(page.locator("#nav")).to_contain_text("财务公开")
    page.locator("#lang-toggle").click()
    expect(page.locator("#nav")).to_contain_text("Treasury")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#nav")).to_contain_text("Treasury")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_screenshots_of_every_page(open_page, site, owner_a, committee):
    """Each page at 1280×800 and 390×844 (build/screenshots/); on a phone nothing is wider than the screen."""
    pages = {"connect": "#/connect", "home": "#/home", "treasury": "#/treasury", "assembly": "#/assembly",
             "proposal": f"#/assembly/{site['proposal'].id}", "points": "#/points"}
    # The proposal as a wallet without a vote sees it (the committee's).
    extra = {"proposal-no-vote": (committee, f"#/assembly/{site['proposal'].id}")}
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        for name, (who, path) in {**{n: (owner_a, p) for n, p in pages.items()}, **extra}.items():
            page = open_page(who, path, viewport=viewport)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)  # charts draw after their data
            assert page.problems == [], (name, page.problems)
            screenshot(page, f"{name}-{size}")
            if size == "phone":
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"], f"{name} is {width}px wide on a {viewport['width']}px phone"
            page.context.close()


# ---------------------------------------------------------------- what residents ran into (issue 17)


def test_a_declined_payment_and_a_silent_node_are_said_in_words(open_page, site, owner_a):
    """Declining the payment in the wallet, and paying while the node is down, each leave a
    toast in words (they left only a console error), and nothing is paid."""
    fees = site["contracts"]["PropertyFees"]
    due = fees.statement(1).months_due
    page = open_page(owner_a, "#/home", wallet={"reject": ["eth_sendTransaction"]})
    page.get_by_test_id("unit-1").get_by_test_id("pay").click()
    toast = done(page)
    expect(toast).to_have_attribute("data-state", "failed")
    expect(toast).to_contain_text("您在钱包中取消了操作")
    assert fees.statement(1).months_due == due

    # The node goes away: the quote says so rather than guessing at the prepayment limit,
    # and paying says so too.
    page.evaluate("window.__walletConfig.rpc = 'http://127.0.0.1:9'; window.__walletConfig.reject = []")
    unit = page.get_by_test_id("unit-1")
    unit.get_by_test_id("months").fill("2")
    expect(unit.get_by_test_id("quote")).to_contain_text("区块链节点没有响应", timeout=TIMEOUT)
    expect(unit.get_by_test_id("quote")).not_to_contain_text("预缴上限")
    page.locator(".toast").evaluate_all("nodes => nodes.forEach((n) => n.remove())")
    unit.get_by_test_id("pay").click()
    toast = done(page)
    expect(toast).to_have_attribute("data-state", "failed")
    expect(toast).to_contain_text("区块链节点没有响应")
    assert fees.statement(1).months_due == due
    assert page.problems == []


def test_months_must_be_whole_and_within_the_prepayment_limit(open_page, site, owner_a):
    fees = site["contracts"]["PropertyFees"]
    due = fees.statement(1).months_due
    page = open_page(owner_a, "#/home")
    unit = page.get_by_test_id("unit-1")
    expect(unit.get_by_test_id("quote")).to_contain_text("¥", timeout=TIMEOUT)
    unit.get_by_test_id("months").fill("1.5")
    expect(unit.get_by_test_id("quote")).to_have_text("请填写整数月数（1 或以上）。")
    unit.get_by_test_id("pay").click()
    unit.get_by_test_id("months").fill("999")
    expect(unit.get_by_test_id("quote")).to_contain_text("最多可缴")
    expect(unit.get_by_test_id("quote")).not_to_contain_text("？")
    unit.get_by_test_id("pay").click()
    page.wait_for_timeout(300)
    assert page.locator(".toast").count() == 0
    assert "eth_signTypedData_v4" not in page.evaluate("window.__walletLog")
    assert fees.statement(1).months_due == due


def test_switching_to_the_community_chain_draws_each_card_once(open_page, site, owner_a):
    """MetaMask on another chain: after "switch to the community chain" the wallet's
    chainChanged event and the page's own redraw arrive together; each card is drawn once."""
    page = open_page(owner_a, "#/connect", wallet={"chainId": "0x1"})
    page.get_by_test_id("switch-chain").click()
    expect(page.get_by_test_id("my-units")).to_have_count(1, timeout=TIMEOUT)
    page.wait_for_timeout(500)  # both redraws are over
    settled(page)
    expect(page.get_by_test_id("my-units")).to_have_count(1)
    expect(page.get_by_test_id("connect-card")).to_have_count(1)
    page.goto(f"{site['url']}/#/home")
    settled(page)
    expect(page.get_by_test_id("unit-1")).to_have_count(1, timeout=TIMEOUT)
    expect(page.get_by_test_id("unit-2")).to_have_count(1)
    assert page.problems == []


def test_only_wallets_with_a_vote_see_the_ballot(open_page, site, committee, manager, tenant, merchant):
    proposal = site["proposal"]
    for who in (committee, manager, tenant, merchant):
        page = open_page(who, f"#/assembly/{proposal.id}")
        ballot = page.get_by_test_id("my-ballot")
        expect(ballot.get_by_test_id("no-vote")).to_contain_text("不是业主钱包", timeout=TIMEOUT)
        expect(ballot.get_by_test_id("vote-direct")).to_have_count(0)
        expect(ballot.get_by_test_id("vote-signed")).to_have_count(0)
        page.context.close()


def test_a_delegate_votes_for_the_owners_once_then_the_offer_goes(open_page, site, chain, owner_a, owner_b):
    assembly, proposal = site["contracts"]["OwnersAssembly"], site["proposal"]
    assembly.set_delegate(owner_b.address, proposal.id, sender=owner_a)
    wait_indexed(site, chain)
    page = open_page(owner_b, f"#/assembly/{proposal.id}")
    form = page.get_by_test_id("delegate-vote")
    expect(form).to_contain_text("有 1 位委托您投票的业主还没有投票", timeout=TIMEOUT)
    form.get_by_role("button").click()
    expect(done(page)).to_have_attribute("data-state", "confirmed")
    settled(page)
    expect(page.get_by_test_id("delegate-done")).to_contain_text("1 位业主都已投票", timeout=TIMEOUT)
    expect(page.get_by_test_id("delegate-vote")).to_have_count(0)
    assert assembly.hasVoted(proposal.id, owner_a.address)


def test_the_outcome_says_not_passed_yet_and_why(open_page, site):
    """One ballot against out of 51,000 m²: the line must not read like a pass."""
    page = open_page(None, f"#/assembly/{site['proposal'].id}")
    outcome = page.get_by_test_id("outcome")
    expect(outcome).to_contain_text("尚未通过", timeout=TIMEOUT)
    expect(outcome).to_contain_text("不到三分之二")
    expect(outcome).to_have_attribute("data-passed", "false")
    expect(outcome).not_to_contain_text("已达要求")
    # Made while the non-voter rule is off (the default): said in words before anyone votes.
    rule = page.get_by_test_id("nonvoter-rule")
    expect(rule).to_have_attribute("data-on", "0")
    expect(rule).to_contain_text("只统计参与表决的业主")


def test_the_servers_refusal_is_in_the_residents_language(open_page, site):
    page = open_page(None, "#/assembly/999")
    expect(page.locator("#view")).to_contain_text("没有找到", timeout=TIMEOUT)
    expect(page.locator("#view")).not_to_contain_text("is not known")


def test_an_owner_rates_the_service_once_and_the_treasury_shows_the_trend(open_page, site, owner_a, tenant):
    fees = site["contracts"]["PropertyFees"]
    page = open_page(owner_a, "#/home")
    form = page.get_by_test_id("rate-form")
    period = int(form.get_attribute("data-period", timeout=TIMEOUT))
    assert period == fees.current_month() - 1
    form.locator("input[name=score][value='5']").check()
    form.get_by_test_id("rate").click()
    expect(done(page)).to_have_attribute("data-state", "confirmed")
    settled(page)
    expect(page.get_by_test_id("rated")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("rate-form")).to_have_count(0)
    assert fees.satisfaction(period) == (1, 5)
    # A resident who is not an owner has no rating to give.
    renter = open_page(tenant, "#/home")
    expect(renter.get_by_test_id("unit-3")).to_be_visible(timeout=TIMEOUT)
    expect(renter.get_by_test_id("rate-service")).to_have_count(0)
    treasury = open_page(None, "#/treasury")
    box = treasury.get_by_test_id("satisfaction")
    expect(box.get_by_test_id("satisfaction-latest")).to_contain_text("平均 5.00 分，1 位业主评分", timeout=TIMEOUT)
    assert box.get_by_test_id("chart-satisfaction").evaluate("c => c.width") > 0


def test_chart_js_loads_only_where_charts_are_drawn_and_files_go_out_compressed(open_page, site):
    page = open_page(None, "#/assembly")
    loaded = page.evaluate("performance.getEntriesByType('resource').map((e) => e.name)")
    assert not any("/vendor/chart.js/" in name for name in loaded), loaded
    page.goto(f"{site['url']}/#/treasury")
    settled(page)
    expect(page.get_by_test_id("chart-monthly")).to_be_visible(timeout=TIMEOUT)
    loaded = page.evaluate("performance.getEntriesByType('resource').map((e) => e.name)")
    assert any(name.endswith("/vendor/chart.js/chart.js") for name in loaded), loaded
    # gzip with a content ETag; asked again with it, a 304 and no body.
    for path in ("/vendor/ethers/ethers.min.js", "/static/js/app.js", "/api/v1/pages/config"):
        reply = httpx.get(site["url"] + path, headers={"accept-encoding": "gzip"}, timeout=10)
        assert reply.headers.get("content-encoding") == "gzip", path
        assert int(reply.headers["content-length"]) < len(reply.content), path  # httpx decompressed it
    plain = httpx.get(site["url"] + "/vendor/ethers/ethers.min.js", headers={"accept-encoding": "identity"}, timeout=10)
    assert "content-encoding" not in plain.headers and len(plain.content) == 522_050
    etag = httpx.get(site["url"] + "/static/js/app.js", headers={"accept-encoding": "gzip"}, timeout=10).headers["etag"]
    again = httpx.get(site["url"] + "/static/js/app.js", headers={"accept-encoding": "gzip", "if-none-match": etag},
                      timeout=10)
    assert again.status_code == 304 and again.content == b"" and again.headers["cache-control"] == "no-cache"


def test_a_cashiers_record_shows_how_and_by_whom_and_the_owner_disputes_it(open_page, site, chain, accounts,
                                                                          committee, owner_a):
    """A payment received by WeChat and recorded by the cashier: My home shows the channel
    and the cashier, and the owner disputes it (the reason stays in the browser)."""
    from eth_utils import keccak

    contracts = site["contracts"]
    fees, registry = contracts["PropertyFees"], contracts["HouseholdRegistry"]
    cashier = accounts.generate_test_account()
    committee.transfer(cashier, 10**19)
    registry.grantRole(keccak(text="linli.role.cashier"), cashier, sender=committee)
    quote = fees.quote(2, 1)
    fees.record_payment(2, quote[0], 1, quote[4], 1, keccak(text="wx-e2e-1"), sender=cashier)
    wait_indexed(site, chain)
    page = open_page(owner_a, "#/home")
    page.on("dialog", lambda dialog: dialog.accept("不是我付的"))
    unit = page.get_by_test_id("unit-2")
    expect(unit.get_by_test_id("channel")).to_have_text("微信支付", timeout=TIMEOUT)
    expect(unit.get_by_test_id("recorded-by")).to_contain_text(cashier.address.lower()[:6])
    unit.get_by_test_id("dispute").click()
    expect(done(page)).to_have_attribute("data-state", "confirmed")
    assert fees.payment_record(keccak(text="wx-e2e-1"))[4] == 1  # disputed
    settled(page)
    expect(page.get_by_test_id("unit-2").get_by_test_id("dispute-state")).to_have_text("已提出异议，等待答复",
                                                                                    timeout=TIMEOUT)


def test_a_refusal_of_the_api_says_what_was_wrong(open_page, owner_a):
    """A 400/422 of the backend keeps its reason in the page's sentence (the field and what
    was wrong with it), where it used to say only that the request was not right."""
    page = open_page(owner_a, "#/home")
    settled(page)
    said = page.evaluate("""async () => {
        const { explain } = await import('/static/js/tx.js');
        const { ApiError } = await import('/static/js/api.js');
        return [
            explain(new ApiError(422, [{ loc: ['body', 'amount'], msg: 'Input should be greater than 0', type: 'x' }])),
            explain(new ApiError(400, 'line 3: unit 9-9-999 is not registered')),
            explain(new ApiError(422, [])),
        ];
    }""")
    assert said[0] == "请求的内容不对（amount: Input should be greater than 0），请检查后再试。"
    assert said[1] == "请求的内容不对（line 3: unit 9-9-999 is not registered），请检查后再试。"
    assert said[2] == "请求的内容不对，请检查后再试。"


def toast(page, title: str):
    """The toast of the action titled `title` (the newest toast may still be an earlier one's)."""
    return page.locator(".toast", has=page.locator("strong", has_text=title)).first


def test_a_merchant_refunds_redeems_against_a_sheet_and_buys_a_promotion_slot(open_page, site, chain, committee,
                                                                               merchant, owner_a, owner_b,
                                                                               tmp_path):
    """The merchant's console (issue 21): the points residents paid it, a refund to the resident
    who paid, a redemption whose settlement reference is the sheet's SHA-256 (the file stays in
    the browser), and a promotion slot bought for next month, its price in public income."""
    contracts = site["contracts"]
    points, token, promotions = contracts["CommunityPoints"], contracts["SettlementToken"], contracts["MerchantPromotions"]
    fees = contracts["PropertyFees"]
    promotions.set_price(1, 500_00, sender=committee)  # the deployer holds the assembly's powers here
    token.mint(merchant, 2_000_00, sender=committee)
    points.transfer(merchant, 10, sender=owner_a)
    chain.mine()
    wait_indexed(site, chain)
    a_before, merchant_before = points.balanceOf(owner_a), points.balanceOf(merchant)
    assert merchant_before == 30

    # A resident sees no console; the merchant does, with both payments.
    assert open_page(owner_a, "#/points").get_by_test_id("merchant-console").count() == 0
    page = open_page(merchant, "#/points")
    console = page.get_by_test_id("merchant-console")
    expect(console.get_by_test_id("merchant-received")).to_contain_text("30", timeout=TIMEOUT)
    expect(console.get_by_test_id("merchant-payment")).to_have_count(2)

    # The newest payment (owner_a's 10) goes back to owner_a.
    console.get_by_test_id("merchant-payment").first.get_by_test_id("refund").click()
    expect(toast(page, "退回 10 积分")).to_have_attribute("data-state", "confirmed", timeout=TIMEOUT)
    settled(page)
    assert points.balanceOf(owner_a) == a_before + 10
    console = page.get_by_test_id("merchant-console")
    expect(console.get_by_test_id("refunded")).to_have_count(1, timeout=TIMEOUT)
    expect(console.get_by_test_id("refund")).to_have_count(1)

    # Redeeming asks for the sheet first; then the sheet's SHA-256 is the reference on chain.
    form = console.get_by_test_id("redeem-form")
    form.get_by_test_id("redeem-amount").fill("15")
    form.get_by_test_id("redeem").click()
    expect(form.get_by_test_id("redeem-problem")).to_have_text("请选择结算单文件，或填写结算单编号。")
    sheet = tmp_path / "结算单-2026-12.csv"
    sheet.write_bytes("日期,积分\n2026-12-05,15\n".encode())
    requests = []
    page.on("request", lambda r: requests.append(r.post_data_buffer or b""))
    form.get_by_test_id("redeem-sheet").set_input_files(str(sheet))
    form.get_by_test_id("redeem").click()
    expect(toast(page, "兑付 15 积分")).to_have_attribute("data-state", "confirmed", timeout=TIMEOUT)
    settled(page)
    assert not any(sheet.read_bytes() in body for body in requests), "the sheet left the browser"
    assert points.balanceOf(merchant) == merchant_before - 10 - 15
    [redeemed] = points.PointsRedeemed.query("*", start_block=chain.blocks.head.number - 5)["event_arguments"]
    assert redeemed["amount"] == 15
    assert "0x" + bytes(redeemed["settlement_ref"]).hex() == "0x" + hashlib.sha256(sheet.read_bytes()).hexdigest()
    expect(page.get_by_test_id("redemption")).to_have_count(1)
    expect(page.get_by_test_id("movement").first).to_contain_text("兑付结算（积分销毁）")
    # A merchant pays other merchants, never itself.
    expect(page.get_by_test_id("merchant-option")).to_have_count(0)
    expect(page.get_by_test_id("pay-merchant")).to_contain_text("没有其他登记的商户。")

    # A promotion slot for next month: free, bought, then shown as sold.
    period = promotions.current_period() + 1
    income_before, token_before = fees.public_income(), token.balanceOf(merchant)
    promotion = page.get_by_test_id("promotion-form")
    promotion.get_by_test_id("period").select_option(str(period))
    expect(promotion.get_by_test_id("slot-state")).to_contain_text("可以购买")
    promotion.get_by_test_id("buy-slot").click()
    expect(toast(page, "购买推广位")).to_have_attribute("data-state", "confirmed", timeout=TIMEOUT)
    settled(page)
    assert promotions.slot(1, period)[0] == merchant.address
    assert token.balanceOf(merchant) == token_before - 500_00
    assert fees.public_income() == income_before + 500_00
    expect(page.get_by_test_id("my-slot")).to_have_count(1)
    promotion = page.get_by_test_id("promotion-form")
    promotion.get_by_test_id("period").select_option(str(period))
    expect(promotion.get_by_test_id("slot-state")).to_have_text("这个月的这个位置已经售出。")
    expect(promotion.get_by_test_id("buy-slot")).to_be_disabled()
    screenshot(page, "merchant-console-desktop")
    phone = open_page(merchant, "#/points", viewport=PHONE, lang="en")
    expect(phone.get_by_test_id("merchant-console")).to_contain_text("Merchant console")
    screenshot(phone, "merchant-console-phone")
    assert page.problems == [] and phone.problems == []


def test_the_cashier_records_a_payment_and_a_checked_statement(open_page, site, chain, committee, developer,
                                                               owner_a, tmp_path):
    """The cashier's desk (issues 18 and 21): one payment received by WeChat recorded for a
    unit at exactly the quoted amount; the same receipt refused in words; a statement with a
    bad line refused line by line with nothing sent; the good statement recorded in one batch;
    the day's total is the contract's. Only the cashier sees the desk in the navigation."""
    contracts = site["contracts"]
    registry, fees = site["community"].registry, contracts["PropertyFees"]
    cashier = developer  # the property company's staff member (a wallet anvil signs for)
    registry.grantRole(role_id("cashier"), cashier, sender=committee)
    chain.mine()
    wait_indexed(site, chain)

    resident = open_page(owner_a, "#/cashier")
    expect(resident.get_by_test_id("not-cashier")).to_be_visible()
    expect(resident.locator("#nav a[data-page=cashier]")).to_have_count(0)

    page = open_page(cashier, "#/cashier")
    expect(page.locator("#nav a[data-page=cashier]")).to_have_count(1, timeout=TIMEOUT)
    form = page.get_by_test_id("record-form")
    form.get_by_test_id("record-unit").fill("1-1-202")
    form.get_by_test_id("record-months").fill("2")
    form.get_by_test_id("record-months").dispatch_event("change")
    first = fees.first_unpaid_month(4)
    total = fees.quote(4, 2)[4]
    expect(form.get_by_test_id("record-quote")).to_contain_text(f"¥{total / 100:,.2f}", timeout=TIMEOUT)
    form.get_by_test_id("record-channel").select_option("1")
    form.get_by_test_id("record-reference").fill("WX-20261205-0001")
    form.get_by_test_id("record").click()
    expect(toast(page, "登记收款")).to_have_attribute("data-state", "confirmed", timeout=TIMEOUT)
    settled(page)
    assert fees.first_unpaid_month(4) == first + 2
    assert fees.payment_record(keccak(text="WX-20261205-0001"))[0] == 4

    # The same receipt again: the contract refuses, and the page says why.
    form = page.get_by_test_id("record-form")
    form.get_by_test_id("record-unit").fill("1-1-202")
    form.get_by_test_id("record-reference").fill("WX-20261205-0001")
    form.get_by_test_id("record").click()
    refused = toast(page, "登记收款")
    expect(refused).to_have_attribute("data-state", "failed", timeout=TIMEOUT)
    expect(refused).to_contain_text("已经登记")
    assert fees.first_unpaid_month(4) == first + 2

    # A statement with a line that matches no number of months: every bad line, nothing sent.
    one, two = fees.quote(2, 1)[4], fees.quote(3, 1)[4]
    bad = tmp_path / "bad.csv"
    bad.write_text("date,unit,amount_yuan,channel,reference\n"
                   f"2026-12-05,1-1-102,{one / 100:.2f},银行,B-1\n"
                   "2026-12-05,1-1-201,0.01,bank,B-2\n"
                   "2026-12-05,9-9-999,1.00,cash,C-3\n", encoding="utf-8")
    sent = lambda: page.evaluate("window.__walletLog").count("eth_sendTransaction")  # noqa: E731
    before = sent()
    page.get_by_test_id("statement-file").set_input_files(str(bad))
    errors = page.get_by_test_id("statement-error")
    expect(errors).to_have_count(2, timeout=TIMEOUT)
    assert [e.get_attribute("data-line") for e in errors.all()] == ["3", "4"]
    expect(errors.first).to_contain_text("第 3 行")
    assert sent() == before

    good = tmp_path / "good.csv"
    good.write_text("date,unit,amount_yuan,channel,reference\n"
                    f"2026-12-05,1-1-102,{one / 100:.2f},银行,B-1\n"
                    f"2026-12-05,1-1-201,{two / 100:.2f},alipay,ALI-2\n", encoding="utf-8")
    page.get_by_test_id("statement-file").set_input_files(str(good))
    expect(page.get_by_test_id("statement-row")).to_have_count(2, timeout=TIMEOUT)
    screenshot(page, "cashier-desk-desktop")
    page.get_by_test_id("statement-record").click()
    expect(toast(page, "登记流水")).to_have_attribute("data-state", "confirmed", timeout=TIMEOUT)
    settled(page)
    assert fees.payment_record(keccak(text="B-1"))[0] == 2 and fees.payment_record(keccak(text="ALI-2"))[0] == 3
    day = (chain.blocks.head.timestamp + 8 * 3600) // 86_400
    expect(page.get_by_test_id("day-total").first).to_have_text(
        f"¥{fees.cashier_total(cashier, day) / 100:,.2f}", timeout=TIMEOUT)
    assert fees.cashier_total(cashier, day) == total + one + two
    phone = open_page(cashier, "#/cashier", viewport=PHONE, lang="en")
    expect(phone.get_by_test_id("record-form")).to_contain_text("Record one payment")
    screenshot(phone, "cashier-desk-phone")
    assert page.problems == [] and phone.problems == [] and resident.problems == []
