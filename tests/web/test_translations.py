"""The pages' words: every revert reason a contract can give has a Chinese and an English
text (so a new reason cannot ship untranslated), both dictionaries have the same keys,
and every key the page modules ask for exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "backend" / "web" / "static"
REASON = re.compile(r'"([a-z_]+: [^"]+)"')
# Reasons that come from snekmate's modules inside our contracts (erc20 permit, ecdsa, ownable).
LIBRARY_NAMESPACES = {"erc20", "ecdsa", "ownable"}


def _load(name: str) -> dict:
    return json.loads((STATIC / "i18n" / name).read_text(encoding="utf-8"))


def contract_reasons() -> set[str]:
    found = set()
    for path in sorted((ROOT / "contracts").glob("*.vy")):
        found |= set(REASON.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_contract_revert_reason_has_zh_and_en():
    table = _load("reverts.json")
    reasons = contract_reasons()
    assert len(reasons) > 200  # the pattern still finds the contracts' reasons
    missing = sorted(r for r in reasons if not (table.get(r, {}).get("zh") and table.get(r, {}).get("en")))
    assert not missing, f"add zh and en texts to backend/web/static/i18n/reverts.json for: {missing}"


def test_reverts_table_has_no_stale_reasons():
    table = _load("reverts.json")
    stale = sorted(r for r in set(table) - contract_reasons() if r.split(":")[0] not in LIBRARY_NAMESPACES)
    assert not stale, f"no contract says these any more: {stale}"
    for reason, texts in table.items():
        assert set(texts) == {"zh", "en"}, reason
        assert re.search(r"[\u4e00-\u9fff]", texts["zh"]), f"{reason}: the zh text is not Chinese"
        assert not re.search(r"[\u4e00-\u9fff]", texts["en"]), f"{reason}: the en text is not English"


def test_dictionaries_have_the_same_keys_and_placeholders():
    zh, en = _load("zh.json"), _load("en.json")
    assert set(zh) == set(en), sorted(set(zh) ^ set(en))
    for key in zh:
        assert set(re.findall(r"\{(\w+)\}", zh[key])) == set(re.findall(r"\{(\w+)\}", en[key])), key


def test_every_key_the_pages_use_is_in_the_dictionaries():
    zh = _load("zh.json")
    used = set()
    for path in (STATIC / "js").rglob("*.js"):
        used |= set(re.findall(r'\bt\("([a-zA-Z0-9_.]+)"', path.read_text(encoding="utf-8")))
        used |= set(re.findall(r'"((?:assembly|home|connect|treasury|points|tx|relay|app|culture|activities|services|'
                               r'suggestions|mydata|texts|time|common|tellers)\.[a-zA-Z0-9_.]+)"',
                               path.read_text(encoding="utf-8")))
    # A key ending in "." is a prefix the page completes (named("culture.kind.", kind)).
    missing = sorted(k for k in used if k not in zh and not k.endswith("."))
    assert not missing, missing


def test_new_page_files_carry_the_licence_header():
    for path in STATIC.rglob("*"):
        if path.suffix in {".js", ".css", ".html"}:
            assert "SPDX-License-Identifier: AGPL-3.0-only" in path.read_text(encoding="utf-8")[:200], path


def test_the_settlement_token_has_one_name_per_language():
    """The CNY deposit token the fees are paid in (contracts/SettlementToken.vy) is 存款代币 /
    deposit token wherever the pages name it; it was also called 数字人民币 (e-CNY), which it is not."""
    zh, en = _load("zh.json"), _load("en.json")
    assert not [k for k, v in zh.items() if "数字人民币" in v or "人民币余额" in v]
    naming_zh = {k for k, v in zh.items() if "代币" in v}
    assert naming_zh and all("存款代币" in zh[k] for k in naming_zh), naming_zh
    naming_en = {k for k, v in en.items() if re.search(r"\btokens?\b", v, re.IGNORECASE) and not k.endswith("tokenId")}
    assert naming_en and all("deposit token" in en[k] for k in naming_en), {k: en[k] for k in naming_en}
    assert naming_zh == naming_en  # the same strings name it in both languages
