# SPDX-License-Identifier: AGPL-3.0-only
"""The pages under the API's Content-Security-Policy (backend/api/security.py), in
Chromium: every page draws with no violation reported (the import map is allowed by its
hash, bars by their style attributes, charts by chart.js from /vendor), and the vault's
sign-in runs with its statement in Chinese when the page is in Chinese (issue 17,
items 6 and 18)."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PROVIDER_JS, ROOT

TIMEOUT = 20_000
# Collects what the browser refuses, from the first script on.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def page_ids() -> list[str]:
    app = (ROOT / "backend" / "web" / "static" / "js" / "app.js").read_text(encoding="utf-8")
    return re.findall(r'\{ id: "([a-z]+)", module: "[^"]+", ready: true', app)


def open_watched(browser, site, chain, account, path: str):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    config = {"rpc": chain.provider.uri, "account": account.address.lower(), "connected": True}
    context.add_init_script(f"window.__walletConfig = {json.dumps(config)};\n{PROVIDER_JS}")
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    page.console_csp = []
    page.on("console", lambda message: page.console_csp.append(message.text)
            if "Content Security Policy" in message.text else None)
    response = page.goto(f"{site['url']}/{path}")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#view[aria-busy=false]")
    return page


def test_every_page_draws_under_the_policy(browser, site, chain, owner_a):
    ids = page_ids()
    assert {"connect", "home", "treasury", "assembly", "mydata"} <= set(ids)
    for path in [f"#/{page_id}" for page_id in ids] + [f"#/assembly/{site['proposal'].id}"]:
        page = open_watched(browser, site, chain, owner_a, path)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)  # charts draw after their data
        assert page.evaluate("window.__csp") == [], path
        assert page.console_csp == [], path
        if path == "#/treasury":
            assert page.locator("canvas").count() > 0  # chart.js ran
        page.context.close()


def test_sign_in_in_chinese_under_the_policy(browser, site, chain, owner_a):
    page = open_watched(browser, site, chain, owner_a, "#/mydata")
    with page.expect_response(lambda response: response.url.endswith("/api/v1/vault/siwe/nonce")) as nonce:
        page.get_by_test_id("siwe-sign-in").click()
    offer = nonce.value.json()
    assert offer["statement"] == "登录邻里个人资料库，查看和管理您的个人资料。"
    assert offer["statement"] in offer["message"]
    expect(page.get_by_test_id("signed-in")).to_be_visible(timeout=TIMEOUT)
    assert page.evaluate("window.__csp") == [] and page.console_csp == []
    page.context.close()
