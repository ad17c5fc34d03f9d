# SPDX-License-Identifier: AGPL-3.0-only
"""A resident signed in by passkey likes a work and signs up for an activity from the
pages (issue 18): the culture and activities pages take the passkey path (the passkey
signs, the relayer sends and pays), with the toasts of a wallet's transaction. So do the
home page's service rating and dispute of a cashier's record, an attendee's feedback and
My data's grant and revoke, the points page's payment to a merchant, the culture page's
registration of a work (minted to the account), and a service order (one transferAndCall,
no approval) and its cancellation. A module
of its own: the passkey pages' module allows one relayed call per account, these are two.
The attacks on these calls are in test_passkey_pages.py."""

from __future__ import annotations

from hashlib import sha256

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from tests.e2e.conftest import DAY, screenshot, wait_indexed
from tests.e2e.test_passkey_pages import AREA, _body, _refused, _register, _relay, phone_page  # noqa: F401
from tests.passkey.helpers import sign_call
from tests.utils.identity import commitment_for
from tests.utils.webauthn import Passkey


def _toast(page, click) -> tuple[str, str]:
    """Click, then wait for the toast that click made (toasts are numbered as they come)
    to settle: its state (confirmed or failed) and its text."""
    newest = page.evaluate("Math.max(0, ...[...document.querySelectorAll('.toast')].map((t) => +t.id.slice(6)))")
    click()
    handle = page.wait_for_function(
        """n => { const t = [...document.querySelectorAll('.toast')].find((t) => +t.id.slice(6) > n
                   && t.dataset.state !== 'pending'); return t ? [t.dataset.state, t.innerText] : null; }""",
        arg=newest, timeout=30_000)
    state, text = handle.json_value()
    return state, text


def _settled(page, click) -> None:
    """Click; the toast it made is confirmed, or the test fails with the toast's text."""
    state, text = _toast(page, click)
    assert state == "confirmed", text


def _failed(page, click) -> str:
    """Click; the toast it made failed: its text."""
    state, text = _toast(page, click)
    assert state == "failed", text
    return text

def test_a_passkey_resident_likes_a_work_and_signs_up_through_the_relayer(phone_page, site, chain, committee,
                                                                          owner_a):
    """The culture and activities pages use the passkey path for a resident signed in by
    passkey: the same toasts (pending, then confirmed), the relayer pays, the account holds
    no ether."""
    page, cdp, authenticator, problems = phone_page
    contracts = site["contracts"]
    culture, activities, registry = contracts["CultureWorks"], contracts["CommunityActivities"], site["community"].registry
    page.click("[data-testid=passkey-create]")
    account = to_checksum_address(page.wait_for_selector("[data-testid=passkey-account]").inner_text().strip())
    registry.register_units([("2-2-101", AREA, account, commitment_for("passkey-culture"))], sender=committee)
    content = sha256(b"passkey-like").digest()
    culture.mint_work("阳台上的月季", 2, content, f"sha256:{content.hex()}", sender=owner_a)
    work_id = int.from_bytes(content, "big")
    now = chain.pending_timestamp
    activities.create_activity("楼道读书会", b"\x05" * 32, now + 3 * DAY, now + 3 * DAY + 3600, 20, 0,
                               committee.address, sender=committee)
    activity_id = activities.activity_count()
    wait_indexed(site, chain)

    relayed = []
    page.on("response", lambda r: relayed.append(r.json()) if r.url.endswith("/passkeys/calls") and r.ok else None)
    page.evaluate("location.hash = '#/culture'")
    card = page.locator(f'[data-testid=gallery] [data-testid=work][data-hash="0x{content.hex()}"]')
    _settled(page, lambda: card.get_by_test_id("like").click(timeout=30_000))
    household = registry.household_of(account)
    assert culture.liked(household, work_id)
    card = page.locator(f'[data-testid=gallery] [data-testid=work][data-hash="0x{content.hex()}"]')
    card.get_by_test_id("liked").wait_for(timeout=30_000)
    screenshot(page, "passkey-like")

    page.evaluate(f"location.hash = '#/activities/{activity_id}'")
    _settled(page, lambda: page.locator("[data-testid=sign-up]").click(timeout=30_000))
    page.wait_for_selector("[data-testid=my-state]", timeout=30_000)
    assert activities.seat(activity_id, account)[0]
    assert [call["target"] for call in relayed] == [culture.address.lower(), activities.address.lower()]
    like, sign_up = relayed
    print(f"\nrelayed passkey like {like['gas_used']:,} gas, sign_up {sign_up['gas_used']:,} gas (browser assertion, "
          "precompile, whole transaction)")
    assert chain.provider.get_balance(account) == 0
    assert not problems, problems


def _second_phone(browser, site):
    from tests.e2e.conftest import PHONE

    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True}})
    page.goto(f"{site['url'].replace('127.0.0.1', 'localhost')}/#/connect")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#view[aria-busy=false]")
    return context, page, problems


def test_a_new_phone_is_added_by_the_first_and_then_signs(phone_page, browser, site, project, chain, committee,
                                                          owner_a):
    """The new phone makes a passkey for the existing account and shows its key as a code;
    the first phone's passkey signs add_passkey (the account calling itself), the relayer
    sends it; then the new phone signs a like of its own."""
    page, _, _, problems = phone_page
    page.click("[data-testid=passkey-create]")
    account = to_checksum_address(page.wait_for_selector("[data-testid=passkey-account]").inner_text().strip())
    passkey_account = project.PasskeyAccount.at(account)
    registry, culture = site["community"].registry, site["contracts"]["CultureWorks"]
    registry.register_units([("2-2-201", AREA, account, commitment_for("passkey-two-phones"))], sender=committee)
    content = sha256(b"second-phone-like").digest()
    culture.mint_work("楼下的银杏", 2, content, f"sha256:{content.hex()}", sender=owner_a)

    context, new_page, new_problems = _second_phone(browser, site)
    try:
        new_page.fill("[data-testid=new-phone-account]", account)
        new_page.click("[data-testid=new-phone-start]")
        code = new_page.wait_for_selector("[data-testid=new-phone-code]").inner_text().strip()
        _, x, y = code.split(":")
        assert not passkey_account.is_passkey(int(x, 16), int(y, 16))
        # Not added yet: the new phone says so and stays signed out.
        new_page.click("[data-testid=new-phone-check]")
        new_page.wait_for_selector("[data-testid=new-phone-waiting]", state="visible")
        screenshot(new_page, "passkey-new-phone-code")

        page.fill("[data-testid=new-phone-code-input]", code)
        _settled(page, lambda: page.click("[data-testid=add-phone]"))
        assert passkey_account.is_passkey(int(x, 16), int(y, 16)) and passkey_account.passkey_count() == 2
        assert chain.provider.get_balance(account) == 0

        new_page.click("[data-testid=new-phone-check]")
        assert to_checksum_address(new_page.wait_for_selector("[data-testid=passkey-account]").inner_text().strip()) \
            == account
        wait_indexed(site, chain)
        new_page.evaluate("location.hash = '#/culture'")
        card = new_page.locator(f'[data-testid=gallery] [data-testid=work][data-hash="0x{content.hex()}"]')
        _settled(new_page, lambda: card.get_by_test_id("like").click(timeout=30_000))
        assert culture.liked(registry.household_of(account), int.from_bytes(content, "big"))
        assert not new_problems, new_problems
    finally:
        context.close()
    assert not problems, problems


def _check_in_code(activities, chain_id: int, organiser, activity_id: int, attendee: str, deadline: int) -> bytes:
    """The organiser's EIP-712 check-in code (what the organiser's page signs)."""
    message = {
        "domain": {"name": "Linli CommunityActivities", "version": "1", "chainId": chain_id,
                   "verifyingContract": activities.address},
        "types": {"CheckIn": [{"name": "activityId", "type": "uint256"}, {"name": "attendee", "type": "address"},
                              {"name": "deadline", "type": "uint256"}]},
        "primaryType": "CheckIn",
        "message": {"activityId": activity_id, "attendee": attendee, "deadline": deadline},
    }
    return bytes(Account.sign_message(encode_typed_data(full_message=message), organiser.private_key).signature)


def test_a_passkey_resident_checks_in_with_the_organisers_code(site, project, chain, committee, attacker):
    """check_in_with_code through the relay: the organiser's signature is the proof (the
    contract checks it), so a forged code is refused by the simulation and nothing is sent."""
    key = Passkey(seed=0xACE1)
    account = project.PasskeyAccount.at(_register(site, key))
    registry, activities = site["community"].registry, site["contracts"]["CommunityActivities"]
    registry.register_units([("2-2-301", AREA, account.address, commitment_for("passkey-check-in"))], sender=committee)
    start = chain.pending_timestamp + 600
    activities.create_activity("插花课", b"\x06" * 32, start, start + 3600, 10, 0, committee.address, sender=committee)
    activity_id = activities.activity_count()
    signed = sign_call(account, key, chain.chain_id, activities, data=activities.sign_up.encode_input(activity_id))
    assert _relay(site, _body(account.address, *signed)).status_code == 200
    chain.pending_timestamp = start + 60
    chain.mine()
    deadline = start + 3600
    forged = _check_in_code(activities, chain.chain_id, attacker, activity_id, account.address, deadline)
    call = activities.check_in_with_code.encode_input(activity_id, account.address, deadline, forged)
    detail = _refused(_relay(site, _body(account.address, *sign_call(account, key, chain.chain_id, activities,
                                                                       data=call))), 409, "would_revert")
    assert detail["reason"] == "activities: invalid code"
    code = _check_in_code(activities, chain.chain_id, committee, activity_id, account.address, deadline)
    call = activities.check_in_with_code.encode_input(activity_id, account.address, deadline, code)
    reply = _relay(site, _body(account.address, *sign_call(account, key, chain.chain_id, activities, data=call)))
    assert reply.status_code == 200, reply.text
    assert activities.seat(activity_id, account.address)[:2] == (True, True)


def test_a_passkey_owner_rates_the_service_disputes_a_record_and_leaves_feedback(phone_page, site, chain, accounts,
                                                                                 committee):
    """The home page's monthly rating and the dispute of a cashier's record, and the
    activities page's feedback, for an owner signed in by passkey: the passkey signs, the
    relayer sends (they used to need a wallet's own transaction)."""
    from eth_utils import keccak

    page, _, _, problems = phone_page
    contracts = site["contracts"]
    fees, activities, registry = contracts["PropertyFees"], contracts["CommunityActivities"], site["community"].registry
    page.click("[data-testid=passkey-create]")
    account = to_checksum_address(page.wait_for_selector("[data-testid=passkey-account]").inner_text().strip())
    registry.register_units([("2-2-401", AREA, account, commitment_for("passkey-rates"))], sender=committee)
    unit = registry.unit_count()
    cashier = accounts.generate_test_account()
    committee.transfer(cashier, 10**19)
    registry.grantRole(keccak(text="linli.role.cashier"), cashier, sender=committee)
    quote = fees.quote(unit, 1)
    reference = keccak(text="wx-passkey-1")
    fees.record_payment(unit, quote[0], 1, quote[4], 1, reference, sender=cashier)
    # An activity the account signs up for and is checked in at by the organiser, then over.
    start = chain.pending_timestamp + 600
    activities.create_activity("垃圾分类讲座", b"\x07" * 32, start, start + 3600, 10, 0, committee.address,
                               sender=committee)
    activity_id = activities.activity_count()
    wait_indexed(site, chain)
    relayed = []
    page.on("response", lambda r: relayed.append(r.json()) if r.url.endswith("/passkeys/calls") and r.ok else None)

    page.evaluate("location.hash = '#/home'")
    form = page.get_by_test_id("rate-form")
    form.locator("input[value='2']").check(timeout=30_000)
    month = int(form.get_attribute("data-period"))
    _settled(page, lambda: form.get_by_test_id("rate").click())
    _, identity = registry.identity_of(account)
    assert fees.has_rated(month, identity)
    page.get_by_test_id("rated").wait_for(timeout=30_000)

    page.once("dialog", lambda dialog: dialog.accept("这个月我没有用微信付款"))
    _settled(page, lambda: page.get_by_test_id(f"unit-{unit}").get_by_test_id("dispute").click(timeout=30_000))
    assert fees.payment_record(reference)[4] == 1  # disputed
    page.get_by_test_id(f"unit-{unit}").get_by_test_id("dispute-state").filter(has_text="异议").wait_for(timeout=30_000)
    screenshot(page, "passkey-rated-and-disputed")

    page.evaluate(f"location.hash = '#/activities/{activity_id}'")
    _settled(page, lambda: page.locator("[data-testid=sign-up]").click(timeout=30_000))
    chain.pending_timestamp = start + 60
    activities.check_in(activity_id, [account], sender=committee)
    chain.pending_timestamp = start + 3600 + 60
    chain.mine()
    wait_indexed(site, chain)
    # The page compares the end with this computer's clock when it has no wallet's node:
    # the browser's clock goes where the chain's went.
    page.clock.set_fixed_time(chain.blocks.head.timestamp + 60)
    page.evaluate(f"location.hash = '#/activities'; location.hash = '#/activities/{activity_id}'")
    form = page.get_by_test_id("feedback-form")
    form.locator("input[name=score][value='4']").check(timeout=30_000)
    _settled(page, lambda: form.get_by_test_id("give-feedback").click())
    assert activities.seat(activity_id, account)[1:] == (True, True, 4)

    assert [call["target"] for call in relayed] == [fees.address.lower()] * 2 + [activities.address.lower()] * 2
    rate, dispute, _, feedback = relayed

    assert len(relayed) == 4
    print(f"\nrelayed passkey rate_service {rate['gas_used']:,} gas, dispute_record {dispute['gas_used']:,} gas, "
          f"leave_feedback {feedback['gas_used']:,} gas (browser assertion, precompile, whole transaction)")
    assert chain.provider.get_balance(account) == 0
    assert not problems, problems


def test_a_passkey_resident_grants_and_revokes_consent_from_my_data(phone_page, site, chain, committee, provider):
    """My data's grant and revoke for a resident signed in by passkey: the passkey signs
    DataConsent.grant / revoke of the account's own data, the relayer sends them."""
    from eth_utils import keccak

    page, _, _, problems = phone_page
    consent, registry = site["contracts"]["DataConsent"], site["community"].registry
    page.click("[data-testid=passkey-create]")
    account = to_checksum_address(page.wait_for_selector("[data-testid=passkey-account]").inner_text().strip())
    registry.register_units([("2-2-501", AREA, account, commitment_for("passkey-consent"))], sender=committee)
    wait_indexed(site, chain)
    contact = keccak(text="contact")
    page.evaluate("location.hash = '#/mydata'")
    form = page.get_by_test_id("grant-form")
    form.get_by_test_id("grantee").select_option(provider.address.lower(), timeout=30_000)
    form.get_by_test_id("scope").select_option("contact")
    form.get_by_test_id("grant-days").fill("30")
    _settled(page, lambda: form.get_by_test_id("grant").click())
    assert consent.has_live_grant(account, provider, contact)
    row = page.locator(f'[data-testid=grant-row][data-grantee="{provider.address.lower()}"][data-scope=contact]').first
    _settled(page, lambda: row.get_by_test_id("revoke").click(timeout=30_000))
    assert not consent.has_live_grant(account, provider, contact)
    assert chain.provider.get_balance(account) == 0
    assert not problems, problems


def test_a_passkey_resident_pays_a_merchant_in_points(phone_page, site, chain, committee, merchant):
    """The points page's merchant payment for a resident signed in by passkey: the passkey
    signs CommunityPoints.transfer(merchant, amount), the relayer sends it; the balance falls."""
    page, _, _, problems = phone_page
    points, registry = site["community"].points, site["community"].registry
    page.click("[data-testid=passkey-create]")
    account = to_checksum_address(page.wait_for_selector("[data-testid=passkey-account]").inner_text().strip())
    registry.register_units([("2-2-601", AREA, account, commitment_for("passkey-points"))], sender=committee)
    points.mint(account, 50, 1, sender=committee)
    held = points.balanceOf(merchant)
    wait_indexed(site, chain)
    relayed = []
    page.on("response", lambda r: relayed.append(r.json()) if r.url.endswith("/passkeys/calls") and r.ok else None)
    page.evaluate("location.hash = '#/points'")
    page.get_by_test_id("points-balance").filter(has_text="50").wait_for(timeout=30_000)
    form = page.get_by_test_id("pay-merchant")
    assert form.get_by_test_id("wallet-only").count() == 0
    form.locator("select[name=merchant]").select_option(merchant.address.lower())
    form.locator("input[name=amount]").fill("15")
    _settled(page, lambda: form.get_by_role("button").click())
    page.get_by_test_id("points-balance").filter(has_text="35").wait_for(timeout=30_000)
    assert (points.balanceOf(account), points.balanceOf(merchant)) == (35, held + 15)
    assert [call["target"] for call in relayed] == [points.address.lower()]
    print(f"\nrelayed passkey points payment {relayed[0]['gas_used']:,} gas (browser assertion, precompile, "
          "whole transaction)")
    assert chain.provider.get_balance(account) == 0
    assert not problems, problems


def test_a_passkey_resident_orders_a_service_and_cancels_it(phone_page, site, chain, committee):
    """The services page's order for a resident signed in by passkey: the description goes
    to the text store (signed in by the account's EIP-1271 signature), then the passkey
    signs the settlement token's transferAndCall(ServiceMarket, budget, (category,
    description, deadline)) and the relayer sends it and pays; the request is the account's,
    open, its budget escrowed, and no allowance was written. Its cancellation is the
    resident's own act through the relayer too."""
    page, _, _, problems = phone_page
    contracts = site["contracts"]
    market, token, registry = contracts["ServiceMarket"], contracts["SettlementToken"], site["community"].registry
    page.click("[data-testid=passkey-create]")
    account = to_checksum_address(page.wait_for_selector("[data-testid=passkey-account]").inner_text().strip())
    registry.register_units([("2-2-701", AREA, account, commitment_for("passkey-services"))], sender=committee)
    token.mint(account, 1_000_00, sender=committee)
    held = token.balanceOf(market)
    wait_indexed(site, chain)
    relayed = []
    page.on("response", lambda r: relayed.append(r.json()) if r.url.endswith("/passkeys/calls") and r.ok else None)
    page.evaluate("location.hash = '#/services'")
    form = page.get_by_test_id("post-request")
    form.locator("select[name=category]").select_option("3", timeout=30_000)
    assert form.get_by_test_id("wallet-only").count() == 0
    form.get_by_test_id("description").fill("阳台水管漏水，请师傅来看看。")
    form.get_by_test_id("budget").fill("200")
    _settled(page, lambda: form.get_by_test_id("post").click())
    page.wait_for_function("() => /#\\/services\\/\\d+$/.test(location.hash)", timeout=30_000)
    request_id = int(page.evaluate("location.hash").rsplit("/", 1)[1])
    detail = page.get_by_test_id("request-detail")
    detail.get_by_test_id("status").filter(has_text="待接单").wait_for(timeout=30_000)
    assert detail.get_by_test_id("escrow").inner_text().strip() == "¥200.00"
    r = market.request(request_id)
    assert (r.resident, r.status, r.category, r.escrow) == (account, 1, 3, 200_00)
    assert token.balanceOf(market) == held + 200_00 and token.balanceOf(account) == 800_00
    assert token.allowance(account, market) == 0
    [order] = relayed
    assert order["target"] == token.address.lower()
    receipt = chain.provider.get_receipt(order["tx_hash"])
    assert receipt.sender == to_checksum_address(order["relayer"]) and receipt.gas_used == order["gas_used"]
    screenshot(page, "passkey-service-order")

    _settled(page, lambda: detail.get_by_test_id("cancel-request").click(timeout=30_000))
    page.get_by_test_id("request-detail").get_by_test_id("status").filter(has_text="已取消").wait_for(timeout=30_000)
    assert market.request(request_id).status == 8 and token.balanceOf(account) == 1_000_00
    assert [call["target"] for call in relayed] == [token.address.lower(), market.address.lower()]
    print(f"\nrelayed passkey service order {order['gas_used']:,} gas, cancel_request {relayed[1]['gas_used']:,} gas "
          "(browser assertion, precompile, whole transaction)")
    assert chain.provider.get_balance(account) == 0
    assert not problems, problems


def test_a_passkey_resident_registers_a_work_and_it_shows_as_theirs(phone_page, site, chain, committee):
    """The culture page's registration for a resident signed in by passkey: the form is no
    longer wallet-only, the passkey signs CultureWorks.mint_work, the relayer sends it, the
    work is minted to the account (it accepts ERC-721) and the gallery shows it as the
    resident's own household's work."""
    page, _, _, problems = phone_page
    culture, registry = site["contracts"]["CultureWorks"], site["community"].registry
    page.click("[data-testid=passkey-create]")
    account = to_checksum_address(page.wait_for_selector("[data-testid=passkey-account]").inner_text().strip())
    registry.register_units([("2-2-702", AREA, account, commitment_for("passkey-artist"))], sender=committee)
    wait_indexed(site, chain)
    relayed = []
    page.on("response", lambda r: relayed.append(r.json()) if r.url.endswith("/passkeys/calls") and r.ok else None)
    content = b"\x89PNG the passkey resident's drawing of the courtyard\n" * 40
    expected = "0x" + sha256(content).hexdigest()
    page.evaluate("location.hash = '#/culture'")
    form = page.get_by_test_id("mint-form")
    form.get_by_test_id("mint-file").set_input_files(
        files=[{"name": "院子.png", "mimeType": "application/octet-stream", "buffer": content}], timeout=30_000)
    form.get_by_test_id("mint-provenance").filter(has_text="还没有登记过").wait_for(timeout=30_000)
    assert form.get_by_test_id("wallet-only").count() == 0
    form.get_by_test_id("mint-title").fill("院子里的石榴树")
    _settled(page, lambda: form.get_by_test_id("mint").click())
    token_id = int(expected, 16)
    assert culture.ownerOf(token_id) == account and culture.work(token_id).creator == account
    work = page.locator(f'[data-testid=gallery] [data-testid=work][data-hash="{expected}"]')
    work.filter(has_text="院子里的石榴树").wait_for(timeout=30_000)
    assert "自家作品" in work.inner_text()
    assert account.lower() in work.locator("code").first.get_attribute("title").lower()
    assert [call["target"] for call in relayed] == [culture.address.lower()]
    print(f"\nrelayed passkey mint_work {relayed[0]['gas_used']:,} gas (browser assertion, precompile, whole "
          "transaction)")
    assert chain.provider.get_balance(account) == 0
    screenshot(page, "passkey-mint")
    assert not problems, problems
