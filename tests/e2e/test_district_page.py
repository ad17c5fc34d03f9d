# SPDX-License-Identifier: AGPL-3.0-only
"""The street office's page (#/district, backend/web/static/js/pages/district.js) in
Chromium, against an index holding the synthetic district of the API's tests
(tests/backend/district_synthetic.py: planted anomalies, a community retired by mistake
and listed again, one retired for good): the table's figures and the district's total
(the retired community marked, in no total), the ranking's order and an explained part,
the flags in words with their numbers, the charts, the CSV link, English, and no serious
or critical axe violation at 1280 and 390 px. Screenshots in build/screenshots.

No chain is needed for the figures: the backend serves the index as written (the
manifest names synthetic community A so that the pages have a configuration)."""

from __future__ import annotations

import base64
import csv
import io
import json
import secrets

import httpx
import pytest

from backend.chain.deployment import write_manifest
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.db.migrate import upgrade
from backend.texts import store as text_store
from backend.vault.db import upgrade as upgrade_vault
from tests.backend.district_synthetic import A, B, C, CHAIN, CONTRACTS, D, DISTRICT, E, E_NOTE, MONTHLY, NOW, write_district
from tests.e2e.conftest import DESKTOP, PHONE, PROVIDER_JS, _free_port, screenshot, serving
from tests.e2e.test_accessibility import AXE_JS, axe_problems

PATH = "#/district"


@pytest.fixture(scope="module")
def district_site(chain, tmp_path_factory):
    folder = tmp_path_factory.mktemp("district-page")
    database_url = f"sqlite:///{folder / 'index.db'}"
    upgrade(database_url)
    engine = make_engine(database_url)
    write_district(engine)
    engine.dispose()
    write_manifest({"version": 1, "name": "和平小区", "network": "local", "chain_id": CHAIN, "deploy_block": 1,
                    "community": A, "contracts": {name: {"address": address, "abi": []}
                                                  for name, address in CONTRACTS.items()}},
                   folder / "manifest.json")
    # The street office's note on E's retirement, in the public text store (the vault's database).
    vault_url = f"sqlite:///{folder / 'vault.db'}"
    upgrade_vault(vault_url)
    vault_engine = make_engine(vault_url)
    with vault_engine.begin() as conn:
        text_store.put_text(conn, E_NOTE, "reason", DISTRICT, NOW)
    vault_engine.dispose()
    port = _free_port()
    settings = Settings(environment="test", database_url=database_url, rpc_url=chain.provider.uri,
                        manifest=folder / "manifest.json", relayer_enabled=False,
                        vault_database_url=vault_url,
                        vault_key=base64.b64encode(secrets.token_bytes(32)).decode(),
                        vault_key_file=folder / "unused-vault.key", vault_manifests=[folder / "manifest.json"])
    with serving(settings, port, "district-page-api") as url:
        yield url


@pytest.fixture(scope="module")
def axe_source():
    return AXE_JS.read_text(encoding="utf-8")


def open_district(browser, chain, url, viewport, lang, axe_source, route=None, ready="[data-testid=district-table]"):
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    if route is not None:
        context.route(*route)
    config = {"rpc": chain.provider.uri, "account": None, "connected": False}
    context.add_init_script(f"window.__walletConfig = {json.dumps(config)};\n{PROVIDER_JS}")
    context.add_init_script(f"localStorage.setItem('linli.lang', {json.dumps(lang)});")
    context.add_init_script(axe_source)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    page.goto(f"{url}/{PATH}")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#view[aria-busy=false]", timeout=30_000)
    page.wait_for_selector(ready)
    return page


def cell(page, community, figure):
    return page.locator(f"[data-testid=district-row][data-community='{community}'] [data-figure={figure}]").inner_text()


def test_the_district_page_shows_the_table_ranking_flags_and_charts(browser, chain, district_site, axe_source):
    page = open_district(browser, chain, district_site, DESKTOP, "zh", axe_source)
    try:
        assert page.locator("h1").inner_text() == "街道总览"
        assert page.locator(".nav a[data-page=district]").inner_text() == "街道"
        # The table: every community by address, E marked retired, D (listed again) not.
        rows = page.locator("[data-testid=district-row]")
        assert [rows.nth(i).get_attribute("data-community") for i in range(rows.count())] == [A, B, C, D, E]
        assert page.locator(f"[data-community='{E}'] [data-testid=retired]").inner_text() == "已撤销"
        assert page.locator(f"[data-community='{D}'] [data-testid=retired]").count() == 0
        # The street office's note saying why, from the public text store (the chain keeps its hash).
        assert page.locator(f"[data-community='{E}'] [data-testid=retired-note]").inner_text() == f"撤销说明：{E_NOTE}"
        assert (cell(page, D, "fee_collection_rate"), cell(page, C, "fee_collection_rate")) == ("25.0%", "75.0%")
        assert cell(page, D, "arrears") == f"¥{3 * 3 * MONTHLY // 100:,}.00"
        assert cell(page, A, "suggestions") == "2 / 4" and cell(page, A, "assembly_turnout_area") == "56.3%"
        # A's maintenance fund (¥500 deposited, ¥80 to a milestone, ¥20 to an emergency repair)
        # and its owners' latest rating of the property service.
        assert cell(page, A, "maintenance_fund") == "¥400.00 · 已用 ¥100.00（应急 ¥20.00）"
        assert cell(page, A, "satisfaction") == "3.33 / 5 · 2026-05"
        assert cell(page, B, "maintenance_fund") == "¥0.00"
        total = page.locator("[data-testid=district-total]")
        assert "全街道（4 个小区）" in total.inner_text() and "另有 1 个已撤销小区不计入" in total.inner_text()
        # 12 of 16 units paid up; E's four units in arrears are not in the total.
        assert total.locator("[data-figure=fee_collection_rate]").inner_text() == "75.0%"
        assert total.locator("[data-figure=arrears]").inner_text() == f"¥{(1 + 3) * 3 * MONTHLY // 100:,}.00"

        # The ranking: B, A, C, D; the first opened; A's turnout part explained with its numbers.
        ranked = page.locator("[data-testid=ranked]")
        assert [ranked.nth(i).get_attribute("data-community") for i in range(ranked.count())] == [B, A, C, D]
        assert ranked.nth(0).get_attribute("open") is not None and ranked.nth(1).get_attribute("open") is None
        assert ranked.nth(1).locator("[data-testid=score]").inner_text() == "66.56 分"
        ranked.nth(1).locator("summary").click()
        turnout = ranked.nth(1).locator("[data-part=assembly_turnout]")
        assert turnout.locator("[data-testid=part-raw]").inner_text() == "56.25%"
        assert turnout.locator("[data-testid=part-why]").inner_text() == "权重 25% · 归一值 0.56 · 贡献 14.06 分"
        assert "无此项数据" in ranked.nth(0).locator("[data-part=assembly_turnout] [data-testid=part-why]").inner_text()
        assert "1 个已撤销小区不参加排名" in page.locator("[data-testid=district-ranking]").inner_text()

        # The flags: exactly the planted ones (none of the retired E's), each in words with its numbers.
        flags = page.locator("[data-testid=flag]")
        assert [(flags.nth(i).get_attribute("data-community"), flags.nth(i).get_attribute("data-kind"))
                for i in range(flags.count())] == [(A, "satisfaction_drop"), (B, "expense_spike"),
                                                  (C, "suggestion_backlog"), (D, "collection_rate_low")]
        texts = [flags.nth(i).locator("[data-testid=flag-text]").inner_text() for i in range(4)]
        assert texts[0] == "业主对物业服务的评分在 2026-05 平均 3.33 分（3 份评分），比此前 6 个月的中位数 4.5 分低 1.17 分。"
        assert texts[1] == "支出类别 1 在 2026-06 支出 ¥35.00，是前几个月中位数 ¥10.00 的 3.5 倍。"
        assert texts[2] == "3 条建议超过 30 天未答复（最久 50 天）。"
        assert texts[3].startswith("收费率 25%，比全街道中位数 87.5% 低 62.5 个百分点；3 户欠费")

        # The charts: a bar per community listed now, as wide as its figure.
        bars = page.locator("[data-testid=chart-collection] li.bar-row")
        assert [bars.nth(i).get_attribute("data-value") for i in range(bars.count())] == ["100", "100", "75", "25"]
        assert page.locator("[data-testid=chart-collection] li.bar-row").nth(3).locator(
            "rect.bar-fill").get_attribute("width") == "25.00"
        assert page.locator("[data-testid=chart-turnout] li.bar-row").count() == 1  # only A tallied a proposal
        # Satisfaction over the last 12 months: a line per community listed now, a point a rated month.
        lines = page.locator("[data-testid=satisfaction-row]")
        assert [(lines.nth(i).get_attribute("data-community"), lines.nth(i).get_attribute("data-points"))
                for i in range(lines.count())] == [(A, "7"), (B, "4"), (C, "5"), (D, "5")]
        assert lines.nth(0).locator("[data-testid=satisfaction-last]").inner_text() == "3.33 · 2026-05"
        assert lines.nth(0).locator("svg").get_attribute("aria-label").endswith("2026-04 4.5; 2026-05 3.33")

        # The CSV link: the same table, the district's total last.
        href = page.locator("[data-testid=district-csv]").get_attribute("href")
        answer = httpx.get(f"{district_site}{href}", timeout=10)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff"))))
        assert [r["community"] for r in rows] == [A, B, C, D, E, "district"]

        # One district registry's view (#/district/0x…): the communities it lists, its CSV.
        page.goto(f"{district_site}/#/district/{DISTRICT}")
        page.wait_for_selector(f"[data-testid=district-csv][href*='district={DISTRICT}']")
        page.wait_for_selector("#view[aria-busy=false]")
        rows = page.locator("[data-testid=district-row]")
        assert [rows.nth(i).get_attribute("data-community") for i in range(rows.count())] == [A, B, C, D, E]
        href = page.locator("[data-testid=district-csv]").get_attribute("href")
        assert httpx.get(f"{district_site}{href}", timeout=10).text.lstrip("\ufeff").splitlines()[-1].startswith(
            "district,4 communities")

        assert axe_problems(page, "zh-desktop #/district") == []
        assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
        screenshot(page, "district-desktop")
        assert page.errors == []
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_district_page_fits_a_phone(browser, chain, district_site, axe_source, lang):
    page = open_district(browser, chain, district_site, PHONE, lang, axe_source)
    try:
        assert page.locator("h1").inner_text() == ("街道总览" if lang == "zh" else "District overview")
        if lang == "en":
            why = page.locator("[data-testid=ranked]").nth(0).locator("[data-part=fee_collection] [data-testid=part-why]")
            assert why.inner_text() == "weight 30% · normalised 1.00 · gives 40.00 points"
            assert "Expense category 1 spent ¥35.00 in 2026-06, 3.5×" in page.locator("[data-testid=flag]").nth(1).inner_text()
        # The wide table scrolls inside its own box; the page itself does not scroll sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert axe_problems(page, f"{lang}-phone #/district") == []
        screenshot(page, f"district-phone-{lang}")
        assert page.errors == []
    finally:
        page.context.close()


BUILDING = json.dumps({"detail": "the district's figures are still being built (the API has just started): "
                                 "try again shortly"})


def _always_refused(refused: list[str], retry_after: str):
    def route(route):  # Playwright passes the request too to a handler taking two arguments
        refused.append(route.request.url)
        route.fulfill(status=503, headers={"Retry-After": retry_after}, content_type="application/json", body=BUILDING)
    return route


def test_the_page_waits_out_an_api_still_building_its_answers(browser, chain, district_site, axe_source):
    """Just after the API's start its district answers are still being built, and it turns
    a request away with 503 and Retry-After (backend/api/routes/district.py): the page asks
    again after the wait it names and shows the table, not a failure. A service that stays
    unavailable is said so after four tries, and a wait longer than 10 s is not waited for."""
    turned_away: list[str] = []

    def once(route):
        if turned_away:
            route.continue_()
        else:
            turned_away.append(route.request.url)
            route.fulfill(status=503, headers={"Retry-After": "1"}, content_type="application/json", body=BUILDING)

    page = open_district(browser, chain, district_site, DESKTOP, "zh", axe_source,
                         route=("**/api/v1/district/communities*", once))
    try:
        assert len(turned_away) == 1
        assert page.locator("[data-testid=district-row]").count() == 5
        assert page.errors == []
    finally:
        page.context.close()

    for retry_after, asked in (("1", 5), ("3600", 1)):  # four tries again; none for an hour's wait
        refused: list[str] = []
        page = open_district(browser, chain, district_site, DESKTOP, "zh", axe_source,
                             route=("**/api/v1/district/ranking*", _always_refused(refused, retry_after)),
                             ready="[data-testid=load-failed]")
        try:
            assert len(refused) == asked, retry_after
            assert "数据服务暂时不可用" in page.locator("[data-testid=load-failed]").inner_text()
        finally:
            page.context.close()
