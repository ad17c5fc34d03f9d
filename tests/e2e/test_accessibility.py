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
# The root's font size and a paragraph's of the page in view, in px.
FONT_SIZES = """[document.documentElement, document.querySelector("#view p, #view li, #view dd")]
  .map((e) => parseFloat(getComputedStyle(e).fontSize))"""
# Controls in sight shorter than 44 px (a finger's width), as [name, height].
SMALL_TARGETS = """[...document.querySelectorAll(`.topbar button, .nav a, #view button:not([disabled]), #view .button,
    #view select, #view input:not([type=checkbox]):not([type=radio]):not([type=file])`)]
  .filter((e) => e.offsetParent !== null)
  .map((e) => [e.id || e.dataset.testid || e.textContent.trim().slice(0, 20), e.getBoundingClientRect().height])
  .filter(([, h]) => h < 44)"""

# (name, viewport, language, connected, large text)
CONFIGURATIONS = [
    ("zh-desktop", DESKTOP, "zh", True, False),
    ("zh-phone", PHONE, "zh", True, False),
    ("zh-desktop-not-connected", DESKTOP, "zh", False, False),
    ("en-desktop", DESKTOP, "en", True, False),
    ("en-phone", PHONE, "en", True, False),
    ("zh-desktop-large", DESKTOP, "zh", True, True),
    ("zh-phone-large", PHONE, "zh", True, True),
    ("en-phone-large", PHONE, "en", True, True),  # English words are longer: the likeliest to overflow
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
            assert page.evaluate("document.documentElement.classList.contains('large')") is large
            toggle = page.locator("#text-toggle")
            assert toggle.text_content() == ("大字" if lang == "zh" else "Large text")
            assert toggle.get_attribute("aria-pressed") == str(large).lower()
            problems += axe_problems(page, f"{name} {path}")
            # Large type must not push a page sideways on a phone (reflow, WCAG 1.4.10).
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > viewport["width"]:
                problems.append(f"{name} {path}: {width}px wide on a {viewport['width']}px screen")
    finally:
        context.close()
    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)
    assert errors == []


# The consoles a role's wallet sees (issue 21), which the resident's visit above does not show:
# (role fixture, page, what only that role sees).
CONSOLES = [("merchant", "#/points", "merchant-console"), ("manager", "#/suggestions", "inbox"),
            ("provider", "#/granted", "granted-grants")]


@pytest.mark.parametrize("role,path,testid", CONSOLES, ids=[c[0] for c in CONSOLES])
@pytest.mark.parametrize("viewport,lang", [(DESKTOP, "zh"), (PHONE, "en")], ids=["zh-desktop", "en-phone"])
def test_each_roles_console_passes_axe(request, browser, site, chain, axe_source, role, path, testid, viewport, lang):
    context = new_context(browser, chain, request.getfixturevalue(role), viewport, lang, True, False, axe_source)
    page = context.new_page()
    try:
        visit(page, site, path)
        expect(page.get_by_test_id(testid)).to_be_visible()
        problems = axe_problems(page, f"{role} {lang} {path}")
        width = page.evaluate("document.documentElement.scrollWidth")
    finally:
        context.close()
    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)
    assert width <= viewport["width"]


def test_large_text_is_remembered_enlarges_and_stays_clean(browser, site, chain, owner_a, axe_source):
    """The header's 大字 button: pressed, the text grows and the palette turns high-contrast;
    after a reload it is still on from the first paint (the class is on <html> before any
    module runs); tap targets are at least 44 px; screenshots of two pages at both sizes."""
    context = new_context(browser, chain, owner_a, DESKTOP, "zh", True, False, axe_source)
    page = context.new_page()
    try:
        visit(page, site, "#/home")
        toggle = page.locator("#text-toggle")
        expect(toggle).to_have_text("大字")
        expect(toggle).to_have_attribute("aria-pressed", "false")
        normal, body_normal = page.evaluate(FONT_SIZES)
        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true")
        assert page.evaluate(f"localStorage.getItem('{LARGE_KEY}')") == "1"
        # When the class arrives: while <head> is parsed (no <body> yet, so nothing painted), or later.
        page.add_init_script("""new MutationObserver(() => {
            if (document.documentElement?.classList.contains("large") && !("__largeBeforeBody" in window))
              window.__largeBeforeBody = document.body === null;
          }).observe(document, {subtree: true, attributes: true, attributeFilter: ["class"]});""")
        page.reload()
        wait_drawn(page, "#/home")
        assert page.evaluate("window.__largeBeforeBody") is True
        expect(page.locator("#text-toggle")).to_have_attribute("aria-pressed", "true")
        large, body_large = page.evaluate(FONT_SIZES)
        assert large >= normal * 1.25 and body_large >= body_normal * 1.25, (normal, large, body_normal, body_large)
        small_targets = page.evaluate(SMALL_TARGETS)
        assert small_targets == [], small_targets
        assert axe_problems(page, "large #/home") == []
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            for page_id in ("home", "assembly"):
                path = f"#/{page_id}" if page_id == "home" else f"#/assembly/{site['proposal'].id}"
                visit(page, site, path)
                page.wait_for_timeout(200)
                screenshot(page, f"large-{page_id}-{size}")
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"], f"{path} is {width}px wide on a {viewport['width']}px screen"
        # The treasury's charts write their words at the page's size (canvas text does not follow CSS).
        visit(page, site, "#/treasury")
        assert page.evaluate("import('chart.js').then(({Chart}) => Chart.defaults.font.size)") >= 15
        # Off again: back to the normal size, remembered too.
        page.locator("#text-toggle").click()
        expect(page.locator("#text-toggle")).to_have_attribute("aria-pressed", "false")
        # (only the root's: the page is drawing its charts again, the view may be empty a moment)
        assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") == normal
        assert page.evaluate(f"localStorage.getItem('{LARGE_KEY}')") == "0"
    finally:
        context.close()
