"""The community pages (culture, activities, services, suggestions, my data) through the
real pages, contracts, indexer and vault: each test acts in the browser as a resident,
a provider or an organiser would, then checks what the page shows and what the chain
(or the vault) holds."""

from __future__ import annotations

import importlib.util
import re
from hashlib import sha256
from urllib.parse import quote

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak
from playwright.sync_api import expect

from backend.chain import demo_activity
from tests.e2e.conftest import DESKTOP, PHONE, ROOT, fetch_json, screenshot, wait_indexed

TIMEOUT = 20_000
# What sticks out on a phone: the deepest elements whose right edge passes the viewport (outside
# the scrolling navigation and tables).
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter((e) => !e.closest('.nav, .table-wrap') && e.getBoundingClientRect().right > innerWidth + 0.5
    && ![...e.children].some((c) => c.getBoundingClientRect().right > innerWidth + 0.5))
  .slice(0, 5).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


@pytest.fixture(scope="module")
def life(site, chain, committee, manager, owner_a, owner_b, owner_c, tenant, provider):
    """What the demo shows on these pages (backend/chain/demo_activity.py), on the test chain."""
    contracts = site["contracts"]
    works = demo_activity.culture_gallery(contracts["CultureWorks"], committee, [owner_a, owner_b, owner_c],
                                          [(owner_b, 0), (owner_a, 1), (owner_c, 1)])
    activities = demo_activity.activity_calendar(
        contracts["CommunityActivities"], committee, manager, chain, sign_ups=[owner_b, tenant],
        attendees=[owner_a, owner_b, owner_c],
        feedback=[(owner_b, 5, "医生很耐心。"), (owner_c, 4, "排队有点久。")])
    jobs = demo_activity.service_jobs(contracts["ServiceMarket"], contracts["SettlementToken"], committee, provider,
                                      chain, resident=owner_b, neighbour=owner_c)
    suggestions = demo_activity.suggestion_box(contracts["SuggestionBox"], manager, [owner_a, owner_b, owner_c])
    demo_activity.consent_grant(contracts["DataConsent"], owner_b, provider, chain)
    chain.mine()
    return {"works": works, "activities": activities, "jobs": jobs, "suggestions": suggestions}


def done(page, state="confirmed", says: str | None = None):
    """The newest toast not yet seen here reached a final state, which must be `state`.

    Each toast is seen once: a finished toast stays on screen for seconds, and the next
    action's toast (after a step like storing a text) must not be mistaken for it."""
    toast = page.locator(".toast:not([data-seen])").first
    expect(toast).to_have_attribute("data-state", re.compile("confirmed|failed"), timeout=TIMEOUT)
    expect(toast).to_have_attribute("data-state", state)
    if says is not None:
        expect(toast).to_contain_text(says)
    toast.evaluate("node => node.setAttribute('data-seen', '')")


def settled(page):
    page.wait_for_selector("#view[aria-busy=false]")


def reopen(page):
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    settled(page)


def sha256_hex(data: bytes) -> str:
    return "0x" + sha256(data).hexdigest()


def a_file(name: str, content: bytes) -> dict:
    """A file as the resident picks it in the browser (Playwright's in-memory file)."""
    return {"name": name, "mimeType": "application/octet-stream", "buffer": content}


def vault_token(site, account) -> str:
    """Sign in to the vault as a wallet would (EIP-4361, personal_sign); the Bearer token."""
    offer = httpx.post(f"{site['url']}/api/v1/vault/siwe/nonce", json={"address": account.address}, timeout=10).json()
    signature = Account.sign_message(encode_defunct(text=offer["message"]), account.private_key).signature.to_0x_hex()
    answer = httpx.post(f"{site['url']}/api/v1/vault/siwe/login",
                        json={"message": offer["message"], "signature": signature}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def text_of(site, text_hash: str) -> str:
    """The public text stored under a hash (anyone reads it, no session)."""
    answer = httpx.get(f"{site['url']}/api/v1/texts/{text_hash}", timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["text"]


def vault(site, method: str, path: str, token: str, **kwargs) -> httpx.Response:
    return httpx.request(method, f"{site['url']}/api/v1/vault{path}", headers={"Authorization": f"Bearer {token}"},
                         timeout=30, **kwargs)


# ---------------------------------------------------------------- culture


def test_mint_a_work_from_a_file_and_verify_files(open_page, site, life, owner_a, owner_c):
    culture = site["contracts"]["CultureWorks"]
    content = b"\x89PNG owner_a's watercolour of the pond, painted on the spot\n" * 50
    expected = sha256_hex(content)
    page = open_page(owner_a, "#/culture")
    form = page.get_by_test_id("mint-form")
    form.get_by_test_id("mint-file").set_input_files(files=[a_file("池塘.png", content)])
    expect(form.get_by_test_id("mint-hash")).to_have_attribute("data-hash", expected, timeout=TIMEOUT)
    expect(form.get_by_test_id("mint-provenance")).to_contain_text("还没有登记过")
    form.get_by_test_id("mint-title").fill("池塘写生")
    form.get_by_test_id("mint").click()
    done(page)
    settled(page)
    work = page.locator(f'[data-testid=gallery] [data-testid=work][data-hash="{expected}"]')
    expect(work).to_contain_text("池塘写生", timeout=TIMEOUT)
    expect(work.get_by_test_id("work-hash")).to_have_attribute("title", expected)
    expect(work.get_by_test_id("likes")).to_have_text("0")
    expect(work).to_contain_text("自家作品")
    token_id = int(expected, 16)
    assert culture.ownerOf(token_id) == owner_a.address
    assert culture.work(token_id).uri == f"sha256:{expected[2:]}"
    # Only the hash went out: no request carried the file's bytes.
    calls = page.evaluate("window.__walletLog")
    assert calls.count("eth_sendTransaction") == 1

    # Choosing a file someone registered already: the page says who and when, and will not send.
    registered = demo_activity.work_file("福")
    form = page.get_by_test_id("mint-form")
    form.get_by_test_id("mint-file").set_input_files(files=[a_file("fu.jpg", registered)])
    registrant = f"{owner_c.address[:6]}…{owner_c.address[-4:]}".lower()
    expect(form.get_by_test_id("mint-provenance")).to_contain_text(f"已由 {registrant} 于", timeout=TIMEOUT)
    expect(form.get_by_test_id("mint-provenance")).to_contain_text("《福》")
    expect(form.get_by_test_id("mint")).to_be_disabled()

    # The verify box finds the registered file and says so for an unknown one.
    box = page.get_by_test_id("verify-file")
    box.get_by_test_id("verify-input").set_input_files(files=[a_file("a.png", content)])
    expect(box.get_by_test_id("verify-result")).to_contain_text("《池塘写生》", timeout=TIMEOUT)
    expect(box.get_by_test_id("verify-result")).to_contain_text(expected)
    box.get_by_test_id("verify-input").set_input_files(files=[a_file("b.txt", b"nobody's")])
    expect(box.get_by_test_id("verify-result")).to_have_attribute("data-found", "no", timeout=TIMEOUT)
    expect(box.get_by_test_id("verify-result")).to_contain_text("没有找到")
    assert page.problems == []


def test_like_a_work_rewards_its_creator(open_page, site, life, owner_a, owner_c):
    points = site["community"].points
    work_id = "0x" + life["works"][0].hex()  # owner_a's, liked by owner_b's household
    before = points.balanceOf(owner_a)
    page = open_page(owner_c, "#/culture")
    card = page.locator(f'[data-testid=gallery] [data-testid=work][data-hash="{work_id}"]')
    expect(card.get_by_test_id("likes")).to_have_text("1", timeout=TIMEOUT)
    expect(card).to_contain_text("作者因点赞获得 1 积分")
    card.get_by_test_id("like").click()
    done(page)
    settled(page)
    card = page.locator(f'[data-testid=gallery] [data-testid=work][data-hash="{work_id}"]')
    expect(card.get_by_test_id("likes")).to_have_text("2", timeout=TIMEOUT)
    expect(card).to_contain_text("作者因点赞获得 2 积分")
    expect(card.get_by_test_id("liked")).to_be_visible()
    assert points.balanceOf(owner_a) == before + 1
    # The work owner_c's household liked while seeding shows as liked, with no button.
    work = page.locator(f'[data-testid=gallery] [data-testid=work][data-hash="{"0x" + life["works"][1].hex()}"]')
    expect(work.get_by_test_id("liked")).to_be_visible()
    expect(work.get_by_test_id("like")).to_have_count(0)


# ---------------------------------------------------------------- activities


def test_sign_up_check_in_with_a_code_and_give_feedback(open_page, site, life, owner_a, manager):
    activities = site["contracts"]["CommunityActivities"]
    soon, past = life["activities"].soon, life["activities"].past
    page = open_page(owner_a, "#/activities")
    card = page.locator(f'[data-testid=activity][data-activity="{soon}"]')
    expect(card.get_by_test_id("places")).to_have_text("0 / 40", timeout=TIMEOUT)
    card.get_by_test_id("sign-up").click()
    done(page)
    settled(page)
    card = page.locator(f'[data-testid=activity][data-activity="{soon}"]')
    expect(card.get_by_test_id("my-state")).to_contain_text("您已报名", timeout=TIMEOUT)
    expect(card.get_by_test_id("places")).to_have_text("1 / 40")

    # The organiser gives owner_a a check-in code (an EIP-712 signature): a QR code carrying a
    # link to this activity with the code, which the attendee's phone scans; the text too.
    organiser = open_page(manager, f"#/activities/{soon}")
    row = organiser.locator(f'[data-testid=sign-up-row][data-resident="{owner_a.address.lower()}"]')
    row.get_by_test_id("make-code").click()
    code = organiser.locator(f'[data-testid=check-in-code-text][data-for="{owner_a.address.lower()}"]')
    expect(code).to_contain_text("linli-checkin:", timeout=TIMEOUT)
    text = code.text_content()
    assert "eth_sendTransaction" not in organiser.evaluate("window.__walletLog")  # signing a code costs nothing
    qr = organiser.locator(f'[data-testid=check-in-qr][data-for="{owner_a.address.lower()}"]')
    link = qr.get_attribute("data-link")
    assert link == f"{site['url']}/#/activities/{soon}/code/{quote(text, safe='')}"
    # What a phone's camera reads off the drawn QR code is that link (decoded from the canvas's pixels).
    scanned = qr.evaluate("""async (canvas) => {
      const { decodeQR } = await import("/vendor/@paulmillr/qr/decode.js");
      const image = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      return decodeQR({ width: image.width, height: image.height, data: image.data });
    }""")
    assert scanned == link
    organiser.context.grant_permissions(["clipboard-read", "clipboard-write"])
    organiser.get_by_test_id("copy-code").click()
    expect(organiser.get_by_test_id("copy-code")).to_have_text("已复制")
    assert organiser.evaluate("navigator.clipboard.readText()") == link

    # A code for someone else is refused before anything is sent.
    card = page.locator(f'[data-testid=activity][data-activity="{soon}"]')
    card.get_by_test_id("check-in-code").fill(text.replace(owner_a.address.lower()[2:], "1" * 40))
    card.get_by_test_id("check-in").click()
    expect(card.get_by_test_id("check-in-form")).to_contain_text("发给另一位居民")
    # The attendee's phone opens the scanned link: the code is filled in; one tap checks in.
    page.goto(scanned)
    settled(page)
    expect(page.get_by_test_id("scanned")).to_have_attribute("data-state", "scannedReady", timeout=TIMEOUT)
    card = page.locator(f'[data-testid=activity][data-activity="{soon}"]')
    expect(card.get_by_test_id("check-in-code")).to_have_value(text)
    card.get_by_test_id("check-in").click()
    done(page)
    settled(page)
    card = page.locator(f'[data-testid=activity][data-activity="{soon}"]')
    expect(card.get_by_test_id("my-state")).to_contain_text("您已签到", timeout=TIMEOUT)
    expect(card.get_by_test_id("my-state")).to_contain_text("获得 2 积分")
    assert activities.seat(soon, owner_a)[1]  # attended

    # Feedback on the activity owner_a attended and that is over.
    page.goto(f"{site['url']}/#/activities")
    settled(page)
    card = page.locator(f'[data-testid=activity][data-activity="{past}"]')
    expect(card.get_by_test_id("rating")).to_contain_text("2 人评价")
    form = card.get_by_test_id("feedback-form")
    expect(form.get_by_test_id("public-note")).to_contain_text("公开保存")
    form.locator("input[name=score][value='4']").check()
    form.get_by_test_id("feedback-text").fill("讲解很清楚。")
    form.get_by_test_id("give-feedback").click()
    done(page)
    settled(page)
    card = page.locator(f'[data-testid=activity][data-activity="{past}"]')
    expect(card.get_by_test_id("my-state")).to_contain_text("★★★★☆", timeout=TIMEOUT)
    expect(card.get_by_test_id("rating")).to_contain_text("3 人评价")
    expect(card.get_by_test_id("feedback-form")).to_have_count(0)
    signed, attended, gave, score = activities.seat(past, owner_a)
    assert attended and gave and score == 4
    page.goto(f"{site['url']}/#/activities/{past}")
    settled(page)
    expect(page.get_by_test_id("feedback-list")).to_contain_text("讲解很清楚。", timeout=TIMEOUT)
    # The text is public: the organiser's browser reads it from the store by the hash on chain.
    elsewhere = open_page(manager, f"#/activities/{past}")
    expect(elsewhere.get_by_test_id("feedback")).to_have_count(3)
    expect(elsewhere.get_by_test_id("feedback-list")).to_contain_text("讲解很清楚。")
    # The seed's feedback was never stored publicly: not available, in words.
    expect(elsewhere.get_by_test_id("feedback-list")).to_contain_text("原文不可查", timeout=TIMEOUT)


# ---------------------------------------------------------------- services


def test_service_request_from_escrow_to_rating(open_page, site, life, chain, owner_a, provider):
    market, token = site["contracts"]["ServiceMarket"], site["contracts"]["SettlementToken"]
    held_before = token.balanceOf(market)
    paid_before = token.balanceOf(provider)
    allowance_before = token.allowance(owner_a, market)
    page = open_page(owner_a, "#/services")
    description = "卫生间灯不亮，可能是开关坏了。"
    form = page.get_by_test_id("post-request")
    expect(form.get_by_test_id("public-note")).to_contain_text("请不要写电话号码")
    form.locator("select[name=category]").select_option("3")
    form.get_by_test_id("description").fill(description)
    form.get_by_test_id("budget").fill("150")
    form.get_by_test_id("post").click()
    page.wait_for_url(re.compile(r"#/services/\d+$"), timeout=TIMEOUT)
    settled(page)
    request_id = int(page.url.rsplit("/", 1)[1])
    detail = page.get_by_test_id("request-detail")
    expect(detail.get_by_test_id("status")).to_have_text("待接单", timeout=TIMEOUT)
    expect(detail.get_by_test_id("escrow")).to_have_text("¥150.00")
    expect(detail.get_by_test_id("description-text")).to_have_text(description)
    assert token.balanceOf(market) == held_before + 150_00
    # Signed in to store the description, then one transaction: the token speaks ERC-1363, so
    # the budget and the request go in one transferAndCall and no allowance is written.
    calls = page.evaluate("window.__walletLog")
    assert calls.count("eth_sendTransaction") == 1 and calls.index("personal_sign") < calls.index("eth_sendTransaction")
    assert token.allowance(owner_a, market) == allowance_before
    # The chain has the hash of exactly the text the store serves (the contract keeps it in its event only).
    community = site["community"].registry.address.lower()
    on_chain = fetch_json(site, f"/api/v1/communities/{community}/services/requests/{request_id}")["description_hash"]
    assert on_chain == sha256_hex(description.encode())
    assert text_of(site, on_chain) == description
    recommended = page.get_by_test_id("recommendation").first
    expect(recommended).to_have_attribute("data-provider", provider.address.lower())
    expect(recommended.get_by_test_id("component")).to_have_count(5)
    expect(recommended.locator("[data-name=completed_jobs]")).to_contain_text("共完成 1 单")
    expect(recommended.locator("[data-name=rating]")).to_contain_text("1 个评价，平均 5.00 星")
    expect(recommended.locator("[data-name=category_fit]")).to_contain_text("完成过 0 单，报价 0 次")

    # The provider, in its own browser, reads what is asked and offers ¥120 within two days.
    shop = open_page(provider, f"#/services/{request_id}")
    expect(shop.get_by_test_id("description-text")).to_have_text(description, timeout=TIMEOUT)
    shop.get_by_test_id("offer-price").fill("120")
    shop.get_by_test_id("offer").click()
    done(shop)
    settled(shop)
    offer = shop.locator(f'[data-testid=offer-row][data-provider="{provider.address.lower()}"]')
    expect(offer).to_contain_text("¥120.00")

    # The provider moves its completion time while the resident looks at the old offer: the
    # acceptance fails, with the contract's reason in words, and nothing is bound.
    reopen(page)
    market.make_offer(request_id, 120_00, chain.pending_timestamp + 3 * 86400, sender=provider)
    page.get_by_test_id("accept").click()
    done(page, "failed", says="报价已经变了，请刷新后再确认。")
    assert market.request(request_id).status == 1  # still open
    wait_indexed(site, chain)

    # The resident accepts what stands now: ¥30 comes back, ¥120 stays in escrow.
    reopen(page)
    page.get_by_test_id("accept").click()
    done(page)
    settled(page)
    detail = page.get_by_test_id("request-detail")
    expect(detail.get_by_test_id("status")).to_have_text("已接单", timeout=TIMEOUT)
    expect(detail.get_by_test_id("escrow")).to_have_text("¥120.00")

    reopen(shop)
    shop.get_by_test_id("mark-done").click()
    done(shop)
    settled(shop)
    expect(shop.get_by_test_id("request-detail").get_by_test_id("status")).to_have_text("待确认", timeout=TIMEOUT)

    reopen(page)
    page.get_by_test_id("confirm").click()
    done(page)
    settled(page)
    detail = page.get_by_test_id("request-detail")
    expect(detail.get_by_test_id("status")).to_have_text("已确认付款", timeout=TIMEOUT)
    expect(detail.get_by_test_id("escrow")).to_have_text("¥0.00")
    # 2% of ¥120 to public income, the rest to the provider.
    expect(detail.get_by_test_id("closure")).to_contain_text("服务商收到 ¥117.60，平台费 ¥2.40 进入公共收益")
    assert token.balanceOf(provider) == paid_before + 117_60
    assert token.balanceOf(market) == held_before

    page.locator("[data-testid=rate-form] input[value='4']").check()
    page.get_by_test_id("rate").click()
    done(page)
    settled(page)
    expect(page.get_by_test_id("request-detail")).to_contain_text("★★★★☆ （评价人得 5 积分）", timeout=TIMEOUT)
    expect(page.get_by_test_id("rate-form")).to_have_count(0)
    assert market.request(request_id).status == 5  # confirmed


# ---------------------------------------------------------------- suggestions


def test_a_suggestion_and_its_answer_are_public(open_page, site, life, chain, owner_a, owner_b, owner_c, committee):
    box = site["contracts"]["SuggestionBox"]
    text = "建议在南门加装一个快递柜。"
    # A suggestion sent on chain without storing its text (as a script could).
    box.submit(8, sha256("只在链上的一条建议".encode()).digest(), sender=owner_c)
    unstored = box.suggestion_count()
    wait_indexed(site, chain)
    page = open_page(owner_a, "#/suggestions")
    form = page.get_by_test_id("submit-suggestion")
    expect(form.get_by_test_id("public-note")).to_contain_text("公开保存")
    form.locator("select[name=category]").select_option("3")
    # A text the store refuses (a control character) is not sent on chain.
    count = box.suggestion_count()
    form.get_by_test_id("suggestion-text").fill("南门\x07快递柜")
    form.get_by_test_id("submit").click()
    done(page, "failed", says="这段文字不能保存")
    assert "eth_sendTransaction" not in page.evaluate("window.__walletLog") and box.suggestion_count() == count

    form.get_by_test_id("suggestion-text").fill(text)
    form.get_by_test_id("submit").click()
    done(page)
    settled(page)
    suggestion_id = box.suggestion_count()
    mine = page.locator(f'[data-testid=my-suggestions] [data-suggestion="{suggestion_id}"]')
    expect(mine.get_by_test_id("status")).to_have_text("已提交", timeout=TIMEOUT)
    expect(mine.get_by_test_id("text")).to_have_text(text)
    # Only the hash is on chain; the store serves the text under it.
    on_chain = "0x" + bytes(box.suggestion(suggestion_id).text_hash).hex()
    assert on_chain == sha256_hex(text.encode()) and text_of(site, on_chain) == text

    # A neighbour's browser shows it, read from the store.
    neighbour = open_page(owner_b, "#/suggestions")
    theirs = neighbour.locator(f'[data-testid=all-suggestions] [data-suggestion="{suggestion_id}"]')
    expect(theirs.get_by_test_id("text")).to_have_text(text, timeout=TIMEOUT)
    # The one whose text was never stored: not available, in words.
    elsewhere = neighbour.locator(f'[data-testid=all-suggestions] [data-suggestion="{unstored}"]')
    expect(elsewhere.get_by_test_id("text")).to_have_text("原文不可查：没有公开保存过")

    # The committee answers with the page's form: the answer is stored, then its hash sent.
    answer = "已采纳，下月安装。"
    desk = open_page(committee, f"#/suggestions/{suggestion_id}")
    form = desk.get_by_test_id("answer-form")
    form.locator("select[name=status]").select_option(str(demo_activity.ACCEPTED))
    form.get_by_test_id("response-input").fill(answer)
    form.get_by_test_id("answer-submit").click()
    done(desk)
    assert "0x" + bytes(box.suggestion(suggestion_id).response_hash).hex() == sha256_hex(answer.encode())
    wait_indexed(site, chain)

    reopen(neighbour)
    theirs = neighbour.locator(f'[data-testid=all-suggestions] [data-suggestion="{suggestion_id}"]')
    expect(theirs.get_by_test_id("status")).to_have_text("已采纳", timeout=TIMEOUT)
    expect(theirs.get_by_test_id("response-text")).to_have_text(answer)
    reopen(page)
    mine = page.locator(f'[data-testid=my-suggestions] [data-suggestion="{suggestion_id}"]')
    expect(mine).to_contain_text("得 10 积分", timeout=TIMEOUT)
    expect(mine.get_by_test_id("response-text")).to_have_text(answer)

    # The history shows the answer's text, and a pasted text is still checked against the hashes.
    neighbour.goto(f"{site['url']}/#/suggestions/{suggestion_id}")
    settled(neighbour)
    expect(neighbour.get_by_test_id("answer-text")).to_have_text(answer, timeout=TIMEOUT)
    neighbour.get_by_test_id("verify-input").fill(answer)
    neighbour.get_by_test_id("verify-text").get_by_role("button").click()
    expect(neighbour.get_by_test_id("verify-result")).to_have_text("一致：这是其中一次答复的原文。")
    assert page.problems == [] and neighbour.problems == [] and desk.problems == []


def test_the_manager_answers_the_oldest_unanswered_suggestion_first(open_page, site, life, chain, owner_a, owner_b,
                                                                     manager):
    """The handlers' inbox (issue 21): unanswered suggestions oldest first with how long each
    has waited, then those being handled; the manager answers the oldest and it moves from
    one list to the other. A resident has no inbox."""
    box = site["contracts"]["SuggestionBox"]
    for author, words in ((owner_a, "三号楼电梯异响"), (owner_b, "垃圾分类点太远")):
        chain.pending_timestamp += 3600
        box.submit(2, sha256(words.encode()).digest(), sender=author)
    wait_indexed(site, chain)
    waiting = fetch_json(site, f"/api/v1/communities/{site['community'].registry.address.lower()}/suggestions",
                         status="submitted", order="asc")["items"]
    assert len(waiting) >= 3
    oldest = min(waiting, key=lambda s: (s["submitted_at"], s["suggestion_id"]))["suggestion_id"]

    assert open_page(owner_a, "#/suggestions").get_by_test_id("inbox").count() == 0
    page = open_page(manager, "#/suggestions")
    rows = page.get_by_test_id("inbox-waiting")
    expect(rows).to_have_count(len(waiting), timeout=TIMEOUT)
    shown = [int(r.get_attribute("data-suggestion")) for r in rows.all()]
    assert shown == [s["suggestion_id"] for s in sorted(waiting, key=lambda s: (s["submitted_at"], s["block_number"]))]
    assert shown[0] == oldest
    # The newest waited an hour less than the one before it (the chain's clock).
    assert rows.nth(len(shown) - 1).get_by_test_id("waiting-for").text_content() != \
        rows.nth(len(shown) - 2).get_by_test_id("waiting-for").text_content()

    rows.first.get_by_role("link").click()
    settled(page)
    form = page.get_by_test_id("answer-form")
    form.locator("select[name=status]").select_option("2")  # received
    form.get_by_test_id("answer-submit").click()
    done(page)
    assert box.status_of(oldest) == 2
    wait_indexed(site, chain)
    page.goto(f"{site['url']}/#/suggestions")
    settled(page)
    expect(page.get_by_test_id("inbox-waiting")).to_have_count(len(waiting) - 1, timeout=TIMEOUT)
    expect(page.locator(f'[data-testid=inbox-handling][data-suggestion="{oldest}"]')).to_have_count(1)
    expect(page.locator(f'[data-testid=inbox-waiting][data-suggestion="{oldest}"]')).to_have_count(0)
    screenshot(page, "suggestions-inbox-desktop")
    # On a phone, in English: the waiting list with how long each has waited, nothing sticking out.
    phone = open_page(manager, "#/suggestions", viewport=PHONE, lang="en")
    waiting_rows = phone.get_by_test_id("inbox-waiting")
    expect(waiting_rows).to_have_count(len(waiting) - 1, timeout=TIMEOUT)
    waited = waiting_rows.first.get_by_test_id("waiting-for")
    expect(waited).not_to_be_empty()
    cell = waited.bounding_box()
    assert cell["x"] + cell["width"] <= PHONE["width"]  # in sight without scrolling the table
    assert phone.evaluate(WIDEST) == []
    screenshot(phone, "suggestions-inbox-phone")
    assert page.problems == [] and phone.problems == []


def test_its_author_withdraws_a_suggestions_text(open_page, site, life, chain, owner_a, owner_b, committee):
    """A resident typed a phone number into a suggestion: from its page they take the words
    back out of the public store. Neighbours then read that it was withdrawn; the hash and
    the suggestion stay on chain. A neighbour gets no such button; the committee gets its own."""
    box = site["contracts"]["SuggestionBox"]
    text = "三号楼电梯异响，请联系我 13912345678。"
    page = open_page(owner_a, "#/suggestions")
    form = page.get_by_test_id("submit-suggestion")
    form.get_by_test_id("suggestion-text").fill(text)
    form.get_by_test_id("submit").click()
    done(page)
    suggestion_id = box.suggestion_count()
    key = "0x" + bytes(box.suggestion(suggestion_id).text_hash).hex()
    assert text_of(site, key) == text
    wait_indexed(site, chain)

    neighbour = open_page(owner_b, f"#/suggestions/{suggestion_id}")
    expect(neighbour.get_by_test_id("text")).to_have_text(text, timeout=TIMEOUT)
    expect(neighbour.get_by_test_id("remove-text")).to_have_count(0)
    desk = open_page(committee, f"#/suggestions/{suggestion_id}")
    expect(desk.get_by_test_id("remove-text")).to_have_text("移除建议原文（业委会）", timeout=TIMEOUT)

    page.goto(f"{site['url']}/#/suggestions/{suggestion_id}")
    settled(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("remove-text").click()
    done(page, says="已撤回")
    expect(page.get_by_test_id("text")).to_have_text("原文已由作者撤回", timeout=TIMEOUT)
    expect(page.get_by_test_id("remove-text")).to_have_count(0)
    gone = httpx.get(f"{site['url']}/api/v1/texts/{key}", timeout=10)
    assert gone.status_code == 410 and "removed by its author" in gone.json()["detail"]
    assert "0x" + bytes(box.suggestion(suggestion_id).text_hash).hex() == key  # the chain keeps the hash

    reopen(neighbour)
    expect(neighbour.get_by_test_id("text")).to_have_text("原文已由作者撤回", timeout=TIMEOUT)
    assert page.problems == [] and neighbour.problems == [] and desk.problems == []


# ---------------------------------------------------------------- my data


def test_sign_in_with_ethereum_and_save_profile_fields(open_page, site, owner_a):
    community = site["community"].registry.address.lower()
    page = open_page(owner_a, "#/mydata")
    expect(page.get_by_test_id("profile")).to_have_count(0)
    page.get_by_test_id("siwe-sign-in").click()
    expect(page.get_by_test_id("signed-in")).to_be_visible(timeout=TIMEOUT)
    assert "personal_sign" in page.evaluate("window.__walletLog")
    profile = page.get_by_test_id("profile")
    profile.get_by_test_id("field-phone").fill("call me")  # not a phone number: refused here, nothing sent
    profile.get_by_test_id("save-profile").click()
    expect(profile.get_by_test_id("profile-problem")).to_contain_text("电话")
    profile.get_by_test_id("field-name").fill("王小明")
    profile.get_by_test_id("field-phone").fill("138 0013 8000")
    profile.get_by_test_id("field-vehicle_plate").fill("沪A·12345")
    profile.get_by_test_id("save-profile").click()
    expect(page.locator(".toast").first).to_have_attribute("data-state", "confirmed", timeout=TIMEOUT)
    settled(page)
    expect(page.get_by_test_id("profile-saved")).to_contain_text("最后保存于", timeout=TIMEOUT)
    reopen(page)  # the session lasts the tab; the fields come back from the vault
    expect(page.get_by_test_id("field-name")).to_have_value("王小明", timeout=TIMEOUT)
    expect(page.get_by_test_id("field-phone")).to_have_value("138 0013 8000")
    token = vault_token(site, owner_a)
    stored = vault(site, "GET", f"/communities/{community}/profile", token).json()["fields"]
    assert stored == {"name": "王小明", "phone": "138 0013 8000", "vehicle_plate": "沪A·12345"}
    # Without the session nothing is served.
    assert httpx.get(f"{site['url']}/api/v1/vault/communities/{community}/profile", timeout=10).status_code == 401


def test_grant_the_provider_see_its_read_logged_then_revoke(open_page, site, chain, owner_c, provider):
    # owner_c: the vault keeps its records across tests (the chain is reverted, the vault is not),
    # and owner_a's are the demo script's (below).
    consent = site["contracts"]["DataConsent"]
    community = site["community"].registry.address.lower()
    contact = keccak(text="contact")
    token = vault_token(site, owner_c)
    assert vault(site, "PUT", f"/communities/{community}/profile", token,
                 json={"name": "王小明", "phone": "13800138000"}).status_code == 200
    page = open_page(owner_c, "#/mydata")
    form = page.get_by_test_id("grant-form")
    form.get_by_test_id("grantee").select_option(provider.address.lower())
    form.get_by_test_id("scope").select_option("contact")
    form.get_by_test_id("grant-days").fill("30")
    form.get_by_test_id("grant").click()
    done(page)
    settled(page)
    row = page.locator(f'[data-testid=grant-row][data-grantee="{provider.address.lower()}"][data-scope=contact]').first
    expect(row.get_by_test_id("grant-state")).to_have_text("有效", timeout=TIMEOUT)
    assert consent.has_live_grant(owner_c, provider, contact)

    # The provider reads the contact details through the vault, which logs the read on chain first.
    purpose = "上门维修前电话联系业主"
    read = vault(site, "POST", f"/communities/{community}/residents/{owner_c.address.lower()}/reads",
                 vault_token(site, provider), json={"scope": "contact", "purpose": purpose})
    assert read.status_code == 200, read.text
    assert read.json()["fields"] == {"name": "王小明", "phone": "13800138000"}
    wait_indexed(site, chain)
    reopen(page)
    access = page.locator(f'[data-testid=access][data-grantee="{provider.address.lower()}"]')
    expect(access).to_have_count(1, timeout=TIMEOUT)
    expect(access).to_contain_text("联系方式")
    expect(access.get_by_test_id("purpose")).not_to_contain_text(purpose)  # only its hash until signed in
    page.get_by_test_id("siwe-sign-in").click()
    expect(page.get_by_test_id("signed-in")).to_be_visible(timeout=TIMEOUT)
    access = page.locator(f'[data-testid=access][data-grantee="{provider.address.lower()}"]')
    expect(access.get_by_test_id("purpose")).to_have_text(purpose)
    expect(access).to_contain_text("资料库记录")
    expect(access).to_contain_text(read.json()["tx_hash"][:10])

    row = page.locator(f'[data-testid=grant-row][data-grantee="{provider.address.lower()}"][data-scope=contact]').first
    expect(row).to_contain_text("1")  # one read under this grant
    row.get_by_test_id("revoke").click()
    done(page)
    settled(page)
    row = page.locator(f'[data-testid=grant-row][data-grantee="{provider.address.lower()}"][data-scope=contact]').first
    expect(row.get_by_test_id("grant-state")).to_have_text("已撤回", timeout=TIMEOUT)
    expect(row.get_by_test_id("revoke")).to_have_count(0)
    assert not consent.has_live_grant(owner_c, provider, contact)
    refused = vault(site, "POST", f"/communities/{community}/residents/{owner_c.address.lower()}/reads",
                    vault_token(site, provider), json={"scope": "contact", "purpose": purpose})
    assert refused.status_code == 403


def test_the_demo_seeds_the_vault_through_the_api(site, chain, committee, manager, owner_a, owner_b, owner_c,
                                                  provider):
    """scripts/seed_vault_demo.py, which `make demo` runs: anvil's accounts 0, 1, 2, 3, 4 and 7
    are the tests' committee, manager, owner_a, owner_b, owner_c and provider."""
    spec = importlib.util.spec_from_file_location("seed_vault_demo", ROOT / "scripts" / "seed_vault_demo.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    community = site["community"].registry.address.lower()
    assert script.anvil_account(script.OWNER).address == owner_a.address
    writers = [script.anvil_account(i).address for i in (script.COMMITTEE, script.MANAGER, *script.OWNERS)]
    assert writers == [a.address for a in (committee, manager, owner_a, owner_b, owner_c)]

    # The demo's texts go to the public store as their writers, once.
    texts = script.demo_texts()
    assert len(texts) == 17 and {kind for _, kind, _ in texts} == {"suggestion", "answer", "activity",
                                                                   "service_request", "feedback", "notice"}
    assert script.seed_texts(site["url"]) == "17 public texts stored (17 in the demo)"
    assert script.seed_texts(site["url"]) == "0 public texts stored (17 in the demo)"
    for who, kind, text in texts:
        stored = httpx.get(f"{site['url']}/api/v1/texts/{sha256_hex(text.encode())}", timeout=10).json()
        assert (stored["text"], stored["kind"], stored["stored_by"]) == (
            text, kind, script.anvil_account(who).address.lower())
    # The open proposal's full text (its doc_hash on chain is the text's SHA-256) and the
    # covenant go to the document store, readable under the hash the chain holds.
    wait_indexed(site, chain)
    proposals = httpx.get(f"{site['url']}/api/v1/communities/{community}/assembly/proposals",
                          params={"limit": 100}, timeout=10).json()["items"]
    opened = [p for p in proposals if p["title"] == "关于更换小区门禁系统的议案"]
    assert opened and opened[0]["doc_hash"] == "0x" + demo_activity.full_text_hash(opened[0]["title"]).hex()
    with_text = [p for p in proposals if p["doc_hash"] == "0x" + demo_activity.full_text_hash(p["title"]).hex()]
    assert script.seed_documents(site["url"], community) == f"{len(with_text) + 1} documents stored"
    covenant = httpx.get(f"{site['url']}/api/v1/documents/{sha256_hex(demo_activity.DEMO_STATUTE.encode())}",
                         timeout=10)
    assert covenant.status_code == 200 and covenant.content == demo_activity.DEMO_STATUTE.encode()
    served = httpx.get(f"{site['url']}/api/v1/documents/{opened[0]['doc_hash']}", timeout=10)
    assert served.status_code == 200
    assert served.content == demo_activity.proposal_full_text(opened[0]["title"]).encode()
    with pytest.raises(RuntimeError, match="403"):  # no grant yet: nothing read, nothing logged
        script.seed(site["url"], community)
    demo_activity.consent_grant(site["contracts"]["DataConsent"], owner_a, provider, chain)
    assert "logged on chain" in script.seed(site["url"], community)
    assert script.seed(site["url"], community) == "already seeded"
    wait_indexed(site, chain)
    accesses = httpx.get(f"{site['url']}/api/v1/communities/{community}/consent/residents/{owner_a.address}/accesses",
                         timeout=10).json()["items"]
    assert [(a["grantee"], a["purpose_hash"]) for a in accesses] == [
        (provider.address.lower(), "0x" + keccak(text=script.PURPOSE).hex())]


# ---------------------------------------------------------------- what residents ran into (issue 17)


def test_empty_input_is_refused_in_words_and_nothing_is_sent(open_page, site, life, owner_a):
    """A suggestion of only spaces, and a 0-byte file offered as a work: each refused in
    words before anything is stored or sent (the first was silently ignored, the second
    offered for registration)."""
    box = site["contracts"]["SuggestionBox"]
    count = box.suggestion_count()
    page = open_page(owner_a, "#/suggestions")
    form = page.get_by_test_id("submit-suggestion")
    form.get_by_test_id("suggestion-text").fill("   \n  ")
    form.get_by_test_id("submit").click()
    expect(form.get_by_test_id("submit-problem")).to_have_text("请先写下建议内容（只有空格不算）。")
    assert page.locator(".toast").count() == 0 and box.suggestion_count() == count
    assert "personal_sign" not in page.evaluate("window.__walletLog")

    page.goto(f"{site['url']}/#/culture")
    settled(page)
    form = page.get_by_test_id("mint-form")
    form.get_by_test_id("mint-file").set_input_files(files=[a_file("empty.png", b"")])
    expect(form.get_by_test_id("mint-hash")).to_contain_text("这个文件是空的", timeout=TIMEOUT)
    expect(form.get_by_test_id("mint")).to_be_disabled()
    expect(form.get_by_test_id("mint-provenance")).to_be_hidden()
    box = page.get_by_test_id("verify-file")
    box.get_by_test_id("verify-input").set_input_files(files=[a_file("empty.txt", b"")])
    expect(box.get_by_test_id("verify-result")).to_have_attribute("data-found", "empty", timeout=TIMEOUT)
    assert "eth_sendTransaction" not in page.evaluate("window.__walletLog")


def test_a_paid_out_request_no_longer_promises_an_automatic_release(open_page, site, life, owner_b):
    page = open_page(owner_b, f"#/services/{life['jobs'].completed}")
    detail = page.get_by_test_id("request-detail")
    expect(detail.get_by_test_id("closure")).to_be_visible(timeout=TIMEOUT)
    expect(detail).not_to_contain_text("自动放款")


def test_a_new_grant_that_replaces_the_live_one_asks_first(open_page, site, life, owner_b, provider):
    """owner_b granted the provider its contact details while seeding: granting them again
    would replace that grant (its expiry), so the page says so and asks."""
    consent = site["contracts"]["DataConsent"]
    contact = keccak(text="contact")
    before = consent.grant_of(owner_b, provider, contact)
    page = open_page(owner_b, "#/mydata")
    form = page.get_by_test_id("grant-form")
    form.get_by_test_id("grantee").select_option(provider.address.lower())
    form.get_by_test_id("scope").select_option("contact")
    expect(form.get_by_test_id("replaces")).to_contain_text("新的授权会取代它", timeout=TIMEOUT)
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    form.get_by_test_id("grant").click()
    page.wait_for_timeout(300)
    assert asked and "仍有效" in asked[0]
    assert "eth_sendTransaction" not in page.evaluate("window.__walletLog")
    assert consent.grant_of(owner_b, provider, contact) == before
    # Another scope replaces nothing: no question.
    form.get_by_test_id("scope").select_option("email")
    expect(form.get_by_test_id("replaces")).to_be_hidden()


# ---------------------------------------------------------------- screenshots


def test_screenshots_of_a_check_in_code(open_page, site, life, chain, manager, owner_b):
    """The organiser's QR code and the attendee's page opened from it, at both sizes."""
    soon = life["activities"].soon
    site["contracts"]["CommunityActivities"].sign_up(soon, sender=owner_b)
    wait_indexed(site, chain)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        organiser = open_page(manager, f"#/activities/{soon}", viewport=viewport)
        organiser.get_by_test_id("make-code").first.click()
        qr = organiser.get_by_test_id("check-in-qr").first
        expect(qr).to_have_attribute("data-link", re.compile("/code/"), timeout=TIMEOUT)
        organiser.evaluate("document.getElementById('toasts').replaceChildren()")
        box = qr.bounding_box()
        assert box["width"] >= 200 and box["x"] + box["width"] <= viewport["width"], box
        screenshot(organiser, f"check-in-qr-{size}")
        attendee = open_page(owner_b, qr.get_attribute("data-link").split("/", 3)[3], viewport=viewport)
        expect(attendee.get_by_test_id("scanned")).to_have_attribute("data-state", "scannedReady", timeout=TIMEOUT)
        screenshot(attendee, f"check-in-scanned-{size}")
        assert organiser.problems == [] and attendee.problems == []
        if size == "phone":
            for page in (organiser, attendee):
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], page.evaluate(WIDEST)
        organiser.context.close()
        attendee.context.close()


def test_screenshots_of_the_community_pages(open_page, site, life, owner_b):
    """Each page at 1280×800 and 390×844 (build/screenshots/); on a phone nothing is wider than the screen."""
    pages = {
        "culture": "#/culture", "work": f"#/culture/work/0x{life['works'][1].hex()}",
        "exhibition": "#/culture/exhibition/1",
        "activities": "#/activities", "activity": f"#/activities/{life['activities'].past}",
        "services": "#/services", "service-request": f"#/services/{life['jobs'].open_request}",
        "service-done": f"#/services/{life['jobs'].completed}",
        "suggestions": "#/suggestions", "suggestion": f"#/suggestions/{life['suggestions'][0]}", "mydata": "#/mydata",
    }
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        for name, path in pages.items():
            page = open_page(owner_b, path, viewport=viewport)
            if name == "mydata":
                page.get_by_test_id("siwe-sign-in").click()
                expect(page.get_by_test_id("profile")).to_be_visible(timeout=TIMEOUT)
            page.wait_for_load_state("networkidle")
            page.evaluate("document.getElementById('toasts').replaceChildren()")  # the sign-in's toast
            assert page.problems == [], (name, page.problems)
            assert page.locator("#view .card.error").count() == 0, (name, page.locator("#view").inner_text())
            screenshot(page, f"{name}-{size}")
            if size == "phone":
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"], (f"{name} is {width}px wide on a {viewport['width']}px phone",
                                                    page.evaluate(WIDEST))
                # The tab bar scrolls sideways; the current page's tab is scrolled into sight.
                tab = page.locator("#nav a.active").bounding_box()
                assert tab is not None and 0 <= tab["x"] and tab["x"] + tab["width"] <= viewport["width"], (name, tab)
            page.context.close()
