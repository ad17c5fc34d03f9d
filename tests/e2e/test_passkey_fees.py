# SPDX-License-Identifier: AGPL-3.0-only
"""A resident signed in by passkey pays a month's fee from the fee page and sends a
suggestion from the suggestions page (issue 18): the passkey of Chromium's virtual
authenticator signs, the relayer sends and pays, with the toasts of a wallet's
transaction (pending, then confirmed or failed with the reason in the resident's words).
The resident then claims the on-time points that payment earned from the same page (the
relayer relays a claim of the account's own points only). The payment is one signed call, the settlement token's transferAndCall to this
community's PropertyFees of exactly the amount due; the live API refuses the token
calls an attacker would rather have paid for with a 403 naming the rule (the whole
policy: tests/passkey/test_relayed_payment.py)."""

from __future__ import annotations

from hashlib import sha256

import httpx
from eth_abi import encode
from eth_utils import to_checksum_address

from backend.chain.deploy_fees import deploy_fees
from backend.chain.deployment import deploy_community
from tests.e2e.conftest import screenshot, wait_indexed
from tests.e2e.test_passkey_acts import _failed, _settled
from tests.e2e.test_passkey_pages import AREA, _api, _body, _refused, _register, _relay, phone_page  # noqa: F401
from tests.passkey.helpers import sign_call
from tests.utils.identity import commitment_for
from tests.utils.webauthn import Passkey

# Three relayed calls per passkey account per window: the claim test's fourth meets the limit.
SITE_SETTINGS = {"relayer_limit_per_passkey_account": 3}


def _passkey_owner(page, site, committee, label: str) -> tuple[str, int]:
    page.click("[data-testid=passkey-create]")
    account = to_checksum_address(page.wait_for_selector("[data-testid=passkey-account]").inner_text().strip())
    registry = site["community"].registry
    registry.register_units([(label, AREA, account, commitment_for(label))], sender=committee)
    return account, registry.unit_count()


def test_a_passkey_resident_pays_a_month_from_the_fee_page(phone_page, site, chain, committee):
    page, _, _, problems = phone_page
    fees, token = site["contracts"]["PropertyFees"], site["contracts"]["SettlementToken"]
    account, unit = _passkey_owner(page, site, committee, "2-3-101")
    wait_indexed(site, chain)
    relayed = []
    page.on("response", lambda r: relayed.append(r.json()) if r.url.endswith("/passkeys/calls") and r.ok else None)
    page.evaluate("location.hash = '#/home'")
    card = page.get_by_test_id(f"unit-{unit}")
    card.get_by_test_id("quote").filter(has_text="¥").wait_for(timeout=30_000)
    due = fees.statement(unit).months_due
    assert due > 0

    # No settlement tokens yet: the relay's simulation refuses, the page says why in words.
    card.get_by_test_id("months").fill("1")
    text = _failed(page, lambda: card.get_by_test_id("pay").click())
    assert "余额不足" in text, text
    assert fees.statement(unit).months_due == due and not relayed

    token.mint(account, 5_000_00, sender=committee)
    total = fees.quote(unit, 1)[4]
    card = page.get_by_test_id(f"unit-{unit}")
    card.get_by_test_id("months").fill("1")
    _settled(page, lambda: card.get_by_test_id("pay").click())
    assert fees.statement(unit).months_due == due - 1
    assert token.balanceOf(account) == 5_000_00 - total
    # One relayed call to the token, no allowance left, no ether in the account.
    [call] = relayed
    assert (call["account"], call["target"], call["status"]) == (account.lower(), token.address.lower(), "confirmed")
    assert token.allowance(account, fees.address) == 0
    assert chain.provider.get_balance(account) == 0
    card = page.get_by_test_id(f"unit-{unit}")
    card.get_by_test_id("receipt").first.wait_for(timeout=30_000)
    screenshot(page, "passkey-fee-paid")
    print(f"\nrelayed passkey fee payment (browser assertion, precompile): {call['gas_used']:,} gas")
    assert not problems, problems


def test_the_api_refuses_token_calls_other_than_the_fee_payment(site, project, chain, committee, attacker):
    """Through the live route: 403s naming the rule, and nothing sent."""
    fees, token = site["contracts"]["PropertyFees"], site["contracts"]["SettlementToken"]
    key = Passkey(seed=0xFEE6)
    account = project.PasskeyAccount.at(_register(site, key))
    site["community"].registry.register_units([("2-3-201", AREA, account.address, commitment_for("2-3-201"))],
                                              sender=committee)
    unit = site["community"].registry.unit_count()
    token.mint(account.address, 5_000_00, sender=committee)
    total = fees.quote(unit, 1)[4]
    purpose = encode(["uint256", "uint256"], [unit, 1])
    other = deploy_fees(project, chain, committee, deploy_community(project, chain, committee, name="别的小区"))
    refusals = [
        (token.approve.encode_input(attacker.address, total), "approval_not_allowed", "relayer: no token approvals"),
        (token.approve.encode_input(fees.address, 2**256 - 1), "approval_not_allowed", "relayer: no token approvals"),
        (token.transfer.encode_input(attacker.address, total), "call_not_allowed", "relayer: token call not allowed"),
        (token.transferFrom.encode_input(account.address, attacker.address, total), "call_not_allowed",
         "relayer: token call not allowed"),
        (token.transferAndCall.encode_input(other["PropertyFees"].address, total, purpose), "payee_not_allowed",
         "relayer: payment only to this community's fees or service market"),
        (token.transferAndCall.encode_input(fees.address, total + 1, purpose), "amount_not_due",
         "relayer: amount is not the amount due"),
    ]
    relayer = to_checksum_address(httpx.get(f"{site['url']}/api/v1/pages/config").json()["relayer"]["address"])
    before = chain.provider.get_nonce(relayer)
    for data, code, reason in refusals:
        detail = _refused(_relay(site, _body(account.address, *sign_call(account, key, chain.chain_id, token,
                                                                         data=data))), 403, code)
        assert detail["reason"] == reason
    assert chain.provider.get_nonce(relayer) == before and account.next_nonce() == 0
    assert token.allowance(account.address, attacker.address) == 0 and token.balanceOf(account.address) == 5_000_00


def test_a_passkey_resident_sends_a_suggestion(phone_page, site, chain, committee):
    page, _, _, problems = phone_page
    box = site["contracts"]["SuggestionBox"]
    account, _ = _passkey_owner(page, site, committee, "2-3-301")
    wait_indexed(site, chain)
    page.evaluate("location.hash = '#/suggestions'")
    form = page.get_by_test_id("submit-suggestion")
    form.wait_for(timeout=30_000)
    assert "公开保存" in form.get_by_test_id("public-note").inner_text()
    text = "建议在北门加装一个雨棚。"
    form.locator("select[name=category]").select_option("3")
    form.get_by_test_id("suggestion-text").fill(text)
    count = box.suggestion_count()
    _settled(page, lambda: form.get_by_test_id("submit").click())
    assert box.suggestion_count() == count + 1
    suggestion = box.suggestion(count + 1)
    assert suggestion.submitter == account
    assert bytes(suggestion.text_hash) == sha256(text.encode()).digest()
    # The text is public under its hash: the passkey account signed in to the vault by
    # EIP-1271 (the phone's passkey signed the sign-in message), like a wallet by personal_sign.
    served = httpx.get(f"{site['url']}/api/v1/texts/0x{sha256(text.encode()).hexdigest()}", timeout=10)
    assert served.status_code == 200, served.text
    assert served.json()["text"] == text
    mine = page.locator(f'[data-testid=my-suggestions] [data-suggestion="{count + 1}"]')
    mine.get_by_test_id("text").filter(has_text=text).wait_for(timeout=30_000)
    assert chain.provider.get_balance(account) == 0
    assert not problems, problems


def test_a_passkey_resident_claims_on_time_points_from_the_fee_page(phone_page, site, chain, committee):
    """Pay the overdue months and one ahead (points for the months not overdue), then the
    fee page's claim button: the passkey signs claim_points, the relayer sends it, the
    points are the account's; the claim counts in the day's budget and in the account's
    limit, whose next call is refused in the resident's words with nothing sent."""
    page, _, _, problems = phone_page
    fees, token, points = site["contracts"]["PropertyFees"], site["contracts"]["SettlementToken"], \
        site["community"].points
    account, unit = _passkey_owner(page, site, committee, "2-3-401")
    token.mint(account, 5_000_00, sender=committee)
    wait_indexed(site, chain)
    relayed = []
    page.on("response", lambda r: relayed.append(r.json()) if r.url.endswith("/passkeys/calls") and r.ok else None)
    page.evaluate("location.hash = '#/home'")
    card = page.get_by_test_id(f"unit-{unit}")
    card.get_by_test_id("quote").filter(has_text="¥").wait_for(timeout=30_000)
    card.get_by_test_id("months").fill(str(fees.statement(unit).months_due + 1))
    _settled(page, lambda: card.get_by_test_id("pay").click())  # relayed call 1
    earned = fees.claimable_points(unit)
    assert earned > 0 and fees.points_payer(unit) == account

    budget = f"{_api(site)}/relayer/budget"
    spent = httpx.get(budget, timeout=10).json()["by_route"].get("passkey", 0)
    before = points.balanceOf(account)
    claim = page.get_by_test_id("claim-points")
    claim.wait_for(timeout=30_000)
    assert str(earned) in claim.inner_text()
    _settled(page, lambda: claim.click())  # relayed call 2
    assert points.balanceOf(account) == before + earned and fees.claimable_points(unit) == 0
    assert [(call["target"], call["status"]) for call in relayed[1:]] == [(fees.address.lower(), "confirmed")]
    assert httpx.get(budget, timeout=10).json()["by_route"].get("passkey", 0) == spent + 1
    assert chain.provider.get_balance(account) == 0
    page.get_by_test_id("claimable").filter(has_text="0").wait_for(timeout=30_000)
    assert page.get_by_test_id("claim-points").count() == 0
    screenshot(page, "passkey-points-claimed")

    # A month ahead (call 3, the last within the limit) earns more; its claim is the fourth.
    card = page.get_by_test_id(f"unit-{unit}")
    card.get_by_test_id("months").fill("1")
    _settled(page, lambda: card.get_by_test_id("pay").click())
    more = fees.claimable_points(unit)
    assert more > 0
    relayer = to_checksum_address(httpx.get(f"{site['url']}/api/v1/pages/config").json()["relayer"]["address"])
    nonce = chain.provider.get_nonce(relayer)
    claim = page.get_by_test_id("claim-points")
    claim.wait_for(timeout=30_000)
    text = _failed(page, lambda: claim.click())
    assert "太频繁" in text, text
    assert chain.provider.get_nonce(relayer) == nonce and fees.claimable_points(unit) == more
    assert points.balanceOf(account) == before + earned
    assert not problems, problems
