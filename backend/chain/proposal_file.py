# SPDX-License-Identifier: AGPL-3.0-only
"""A proposal's actions from the command line (`ape run committee propose`): options or a
small TOML, JSON or CSV file, read into the very request the composer's route takes
(`proposal_actions.ComposeIn`), so the CLI and `POST …/assembly/compose` refuse the same
bad input with the same messages, and the calls they make are the same.

- `--action 'set_maintenance_share bps=1500'` (repeatable): the action, then its fields.
- JSON: a list of actions, or `{"matter": 6, "actions": [...]}`; each action an object
  with its `action` and fields, as the route takes them.
- TOML: `matter = 6` (optional) and one `[[actions]]` table per action.
- CSV: a header `action,<field>,…`; one action a line, empty cells left out.

An action that names a document (`doc_hash` of pay_by_decision, approve_annual_budget)
gets the proposal's full text's hash when the file leaves it out, as the page does.
Nothing here touches the chain; `compose` does (the class of each call).
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from pathlib import Path
from typing import Any

from eth_abi import decode
from eth_utils import to_checksum_address
from pydantic import ValidationError

from backend.chain.proposal_actions import (CLASS_NAMES, MATTERS, ComposeIn, ComposeRefused, _split, selector)

DOC_HASH_ACTIONS = ("pay_by_decision", "approve_annual_budget")
MATTER_NAMES = {1: "rules of procedure (议事规则)", 2: "management rules (管理规约)",
                3: "electing or replacing the committee (业主委员会)", 4: "hiring or dismissing the property company",
                5: "using the maintenance fund (维修资金)", 6: "raising the maintenance fund",
                7: "rebuilding or reconstructing buildings", 8: "changing the common parts' use or business",
                9: "other major matters of common property and its management"}
NUMERALS = "〇一二三四五六七八九"
# The Safe's own functions an assembly's module call may carry (its members).
SAFE_INNER = {selector(s): s for s in ("addOwnerWithThreshold(address,uint256)",
                                       "removeOwner(address,address,uint256)",
                                       "swapOwner(address,address,address)")}


class ActionsError(ValueError):
    """The actions could not be read or are refused: every problem, one a line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _cell(value: str) -> Any:
    return value.strip()


def actions_from_options(options: list[str]) -> list[dict[str, Any]]:
    """`kind key=value …` each."""
    out, problems = [], []
    for number, text in enumerate(options, start=1):
        words = text.split()
        if not words:
            problems.append(f"--action {number}: empty")
            continue
        action: dict[str, Any] = {"action": words[0]}
        for word in words[1:]:
            key, sep, value = word.partition("=")
            if not sep or not key:
                problems.append(f"--action {number}: {word!r} is not field=value")
                continue
            action[key] = value
        out.append(action)
    if problems:
        raise ActionsError(problems)
    return out


def read_actions_file(path: Path) -> tuple[list[dict[str, Any]], int | None]:
    """The actions and the matter (or None) of a .json, .toml or .csv file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ActionsError([f"{path}: cannot be read as UTF-8 text ({exc})"]) from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(text)
        elif suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix == ".csv":
            rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
            if rows and "action" not in rows[0]:
                raise ActionsError([f"{path}: the header has no 'action' column"])
            data = [{k.strip(): _cell(v) for k, v in row.items() if k and v is not None and v.strip() != ""}
                    for row in rows]
        else:
            raise ActionsError([f"{path}: a .json, .toml or .csv file of actions, not {suffix or 'no extension'}"])
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, csv.Error) as exc:
        raise ActionsError([f"{path}: {exc}"]) from None
    if isinstance(data, list):
        return data, None
    if isinstance(data, dict) and set(data) <= {"actions", "matter"} and isinstance(data.get("actions"), list):
        return data["actions"], data.get("matter")
    raise ActionsError([f"{path}: expected a list of actions, or 'actions' (and 'matter') only"])


def with_doc_hash(actions: list[dict[str, Any]], doc_hash: str) -> list[dict[str, Any]]:
    return [{**a, "doc_hash": doc_hash} if isinstance(a, dict) and a.get("action") in DOC_HASH_ACTIONS
            and "doc_hash" not in a else a for a in actions]


def place(loc: list[Any] | tuple[Any, ...], actions: list[Any]) -> str:
    """A refusal's place (the route's `loc`, without "body") in words: action 2
    (set_cosign_threshold), bps."""
    loc = [p for p in loc if p != "body"]
    if len(loc) >= 2 and loc[0] == "actions" and isinstance(loc[1], int):
        index = loc[1]
        kind = actions[index].get("action") if index < len(actions) and isinstance(actions[index], dict) else None
        rest = [str(p) for p in loc[2:] if p != kind]
        head = f"action {index + 1}" + (f" ({kind})" if kind else "")
        return head + (f", {'.'.join(rest)}" if rest else "")
    return ".".join(str(p) for p in loc) or "the proposal"


def request_of(actions: list[Any], matter: Any) -> ComposeIn:
    """The route's request, or ActionsError with each field's place and the route's message."""
    body: dict[str, Any] = {"actions": actions}
    if matter is not None:
        body["matter"] = matter
    try:
        return ComposeIn.model_validate(body)
    except ValidationError as exc:
        raise ActionsError([f"{place(e['loc'], actions)}: {e['msg']}" for e in exc.errors()]) from None


def refusal_words(exc: ComposeRefused, actions: list[Any]) -> str:
    return f"{place(exc.loc, actions)}: {exc.message}"


def _show(kind: str, value: Any) -> str:
    if kind == "address":
        return to_checksum_address(value)
    if kind.startswith("bytes") and kind != "bytes":
        return "0x" + bytes(value).hex()
    if kind == "bytes":
        inner = SAFE_INNER.get(bytes(value[:4]))
        return decoded(inner, bytes(value)) if inner else "0x" + bytes(value).hex()
    return str(value)


def decoded(signature: str, calldata: bytes) -> str:
    """`name(arg, …)` of a calldata, checked against its selector (a Safe module call's
    inner call decoded too)."""
    if calldata[:4] != selector(signature):
        return "0x" + calldata.hex()
    types = _split(signature[signature.index("(") + 1:-1])
    values = decode(types, calldata[4:])
    return f"{signature.split('(', 1)[0]}({', '.join(_show(t, v) for t, v in zip(types, values))})"


def statute(matter: int) -> str:
    return f"民法典 第二百七十八条 第({NUMERALS[matter]})项 — item {matter}: {MATTER_NAMES[matter]}"


def describe(composed: dict[str, Any]) -> list[str]:
    """The composed proposal in words: each call decoded with its class, the statute item,
    what it needs to pass."""
    lines = []
    for number, call in enumerate(composed["calls"], start=1):
        data = bytes.fromhex(call["calldata"][2:])
        lines.append(f"call {number} [{call['call_class']}] {call['action']} (item {MATTERS[call['action']]}): "
                     f"{call['contract']} {call['target']}.{decoded(call['signature'], data)}")
    lines.append(f"matter: {statute(composed['matter'])}"
                 + ("" if composed["matter"] == composed["suggested_matter"]
                    else f" (the actions suggest item {composed['suggested_matter']})"))
    if composed["calls_major"]:
        why = (f"{composed['major_call']['contract']}.{composed['major_call']['function']} is a major call, "
               "whatever the matter")
    elif composed["matter_major"]:
        why = f"item {composed['matter']} is a major matter"
    else:
        why = "an ordinary matter with ordinary calls"
    majority = "at least 3/4" if composed["major"] else "more than 1/2"
    lines.append(f"to pass: owners holding 2/3 of the area and 2/3 of the owners take part, then {majority} of "
                 f"the area and of the owners taking part agree ({'major' if composed['major'] else 'ordinary'}: "
                 f"{why})")
    return lines


__all__ = ["ActionsError", "CLASS_NAMES", "actions_from_options", "decoded", "describe", "read_actions_file",
           "refusal_words", "request_of", "statute", "with_doc_hash"]


# ---------------------------------------------------------------- a proposal's notice (公告)
# The words the pages' composer publishes (js/proposal_notice.js: propose.noticeText and its
# kin in the pages' Chinese dictionary), for `ape run committee propose --publish-notice`.
NOTICE_TITLE_BYTES = 120  # NoticeBoard.MAX_TITLE
NOTICE_PROPOSAL = 1  # NoticeBoard: kind 1, a proposal's notice
AUDIENCE_OWNERS = 3  # to the owners
_ZH = Path(__file__).resolve().parents[1] / "web" / "static" / "i18n" / "zh.json"
_NUMERALS = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"]


def _cut_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes on a character boundary (as the pages cut it)."""
    out = ""
    for ch in text:
        if len((out + ch).encode("utf-8")) > limit:
            return out[:-1] + "…"
        out += ch
    return out


def notice_of(*, matter: int, title: str, doc_hash: str, start: int, end: int, major: bool) -> tuple[str, str]:
    """The proposal's notice as (its title, at most NoticeBoard's 120 bytes, and its text):
    the matter and statute item, the vote's window (Beijing time) and manner, the majority
    it needs and the full text's SHA-256, in the pages' words."""
    from datetime import datetime, timedelta, timezone

    words = json.loads(_ZH.read_text("utf-8"))
    beijing = timezone(timedelta(hours=8))

    def when(seconds: int) -> str:
        return datetime.fromtimestamp(seconds, beijing).strftime("%Y/%m/%d %H:%M")

    def fill(key: str, **values: Any) -> str:
        text = words[key]
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    statute = fill("propose.statuteItem", item=_NUMERALS[matter] if 0 < matter < len(_NUMERALS) else matter,
                   matter=words.get(f"matter.{matter}", str(matter)))
    text = fill("propose.noticeText", title=title, statute=statute, start=when(start), end=when(end),
                needs=words["propose.needs.major" if major else "propose.needs.ordinary"], hash=doc_hash)
    return _cut_bytes(fill("propose.noticeTitle", title=title), NOTICE_TITLE_BYTES), text
