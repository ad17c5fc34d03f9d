# SPDX-License-Identifier: AGPL-3.0-only
"""The resolution announcement (决议公告) of an assembly proposal as PDF.

Everything in it comes from the index: the proposal, the roll's totals at its
snapshot, the tallies by area and heads against the statute's thresholds, every
standing ballot by owner identity (never a name) with its channel and transaction,
the paper ballots' reconciliation, and where the result stands the legal way
(preliminary result, objection period with its objections, final result). The same index gives the same bytes: the
creation date is the indexed head block's timestamp (no clock), fpdf2's file id is a
hash of the content, and the embedded CJK font is the one export.font_path finds.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from backend.notices.export import _when, font_path

MATTERS = {
    1: "制定和修改业主大会议事规则",
    2: "制定和修改管理规约",
    3: "选举业主委员会或者更换业主委员会成员",
    4: "选聘和解聘物业服务企业或者其他管理人",
    5: "使用建筑物及其附属设施的维修资金",
    6: "筹集建筑物及其附属设施的维修资金",
    7: "改建、重建建筑物及其附属设施",
    8: "改变共有部分的用途或者利用共有部分从事经营活动",
    9: "有关共有和共同管理权利的其他重大事项",
}
CHANNEL_NAMES = {"own": "本人 own", "delegate": "委托 delegate", "paper": "纸质 paper", "signed": "签名 signed",
                 "own_or_signed": "本人或签名 own/signed"}
CHOICE_NAMES = {"for": "同意 for", "against": "反对 against", "abstain": "弃权 abstain"}
PHASE_NAMES = {"none": "未公布结果 no result published", "preliminary": "初步统计结果公示中 preliminary result, objection period",
               "objections_closed": "异议期已满 objection period over", "final": "最终结果 final result"}


NONVOTER_RULE_TEXT = ("未参与表决且已证明送达表决通知的业主，其投票权数计入已表决的多数票（《业主大会和业主委员会指导规则》"
                      "第二十六条第二款） owners who did not vote, their service of the notice proven, count with "
                      "the majority of those who voted")


def _m2(area: int) -> str:
    """0.01 m² units as m² with two decimals (integers only: no float rounding)."""
    return f"{area // 100}.{area % 100:02d} m²"


def _yes(flag: bool) -> str:
    return "是 yes" if flag else "否 no"


def to_pdf(community_name: str, item: dict[str, Any], ballots: list[dict[str, Any]], paper: dict[str, Any] | None,
           indexed_block: int, head_timestamp: int) -> bytes:
    """A4 portrait. `item` is the API's proposal item (title, matter, tallies, statute,
    state), `ballots` its standing ballots, `paper` the paper ballots' record or None
    (no PaperBallots in the manifest)."""
    from fpdf import FPDF

    pdf = FPDF(orientation="P", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.set_creation_date(datetime.fromtimestamp(head_timestamp, timezone.utc))
    pdf.set_title(f"决议公告 {item['title']}")
    pdf.set_creator("Linli")
    pdf.set_producer("Linli (fpdf2)")
    pdf.add_font("cjk", fname=str(font_path()))
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: float = 9, height: float = 5.5) -> None:
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(width, height, text, new_x="LMARGIN", new_y="NEXT")

    rule = item["statute"]
    line(f"{community_name} · 业主大会决议公告 Resolution announcement", 15, 9)
    line(item["title"], 12, 7)
    line(f"议案编号 Proposal: {item['proposal_id']}")
    line(f"事项 Matter: {item['matter']} {MATTERS.get(item['matter'], '')}（《民法典》第二百七十八条）")
    line(f"表决规则 Rule: {rule['rule']} — 参与表决 ≥ 2/3 专有部分面积且 ≥ 2/3 人数；"
         + ("同意 ≥ 3/4 参与表决的面积且 ≥ 3/4 人数" if rule["rule"] == "major" else "同意 > 1/2 参与表决的面积且 > 1/2 人数"))
    line(f"议案文本哈希 Document hash: {item['doc_hash']}")
    line(f"表决期 Voting: {_when(item['vote_start'])} – {_when(item['vote_end'])} (北京时间); "
         f"快照区块 snapshot block {item['snapshot_block']}")
    line(f"状态 State: {item['state']}; 已结算 finalized: {_yes(item['finalized'])}")
    pdf.ln(2)
    line("业主名册 Roll at the snapshot", 11, 7)
    line(f"总面积 total area: {_m2(rule['total_area'])} ({rule['total_area']})")
    line(f"总人数 total heads: {rule['total_heads']}")
    pdf.ln(2)
    line("表决结果 Tallies (面积 area in 0.01 m² / 人数 heads)", 11, 7)
    for name in ("for", "against", "abstain"):
        tally = item["tallies"][name]
        line(f"{CHOICE_NAMES[name]}: area {tally['area']} / heads {tally['heads']}")
    line(f"参与表决 participating: area {rule['participating_area']} / heads {rule['participating_heads']}")
    line(f"参与门槛 turnout required: area {rule['turnout_area_required']} / heads {rule['turnout_heads_required']}"
         f" — 达到 met: {_yes(rule['turnout_met'])}")
    line(f"同意门槛 approval required: area {rule['approval_area_required']} / heads "
         f"{rule['approval_heads_required']} — 达到 met: {_yes(rule['approved'])}")
    result = item["result"]
    deemed = result.get("deemed")
    if item.get("nonvoter_rule"):
        # 指导规则 第二十六条第二款: the community's rule, fixed at the snapshot; the
        # counted figures above stay the ballots, the deemed ones stand beside them.
        line(f"议事规则 Non-voter rule: {NONVOTER_RULE_TEXT}")
        line(f"已证明送达的未表决业主 served non-voters (two tellers): area {result['served_area']} "
             f"({_m2(result['served_area'])}) / heads {result['served_heads']}")
        if deemed is None:
            line("计入多数票 counted with the majority: 于初步统计结果公布时 at the preliminary result")
        elif deemed["side"] == "none":
            line("计入多数票 counted with the majority: 无过半数一方，未计入 no side had the majority; nothing added")
        else:
            line(f"计入 counted with {CHOICE_NAMES[deemed['side']]}: area +{deemed['area']} / heads "
                 f"+{deemed['heads']}; 不计入时 without them: 参与门槛达到 turnout met "
                 f"{_yes(deemed['turnout_met_without'])}, 通过 passed {_yes(deemed['passed_without'])}")
    passed = rule["passed"] or bool(deemed and result["passed"])
    line(f"决议 Resolution: {'通过 passed' if passed else '未通过 not passed'}"
         + ("（计入未表决业主 with the served non-voters）" if passed and not rule["passed"] else ""), 11, 7)
    pdf.ln(2)
    line(f"结果公示 Result: {PHASE_NAMES[result['phase']]}", 11, 7)
    if result["paper_reconciled"] is False:
        line("纸质表决票未核对一致，不得公布结果 paper ballots not reconciled: no result may be published")
    if result["preliminary_at"] is not None:
        line(f"初步统计结果 preliminary result: {_when(result['preliminary_at'])}; tx {result['preliminary_tx']}")
        line(f"异议期至 objection period ends: {_when(result['objection_ends'])}; "
             f"异议 objections: {result['objections']}")
    else:
        line("初步统计结果 preliminary result: 未公布 not published")
    if result["final_at"] is not None:
        line(f"最终结果 final result: {_when(result['final_at'])}; tx {result['final_tx']}")
    else:
        line("最终结果 final result: 未公布 not published")
    pdf.ln(2)
    line(f"表决票 Ballots ({len(ballots)}): 按业主身份编号 by owner identity, 不含姓名 no names", 11, 7)
    pdf.set_font("cjk", size=7)
    widths = (16, 22, 30, 22, width - 90)
    for w, head in zip(widths, ("身份 id", "选择 choice", "方式 channel", "面积 area", "交易 transaction")):
        pdf.cell(w, 5.5, head, border=1)
    pdf.ln()
    for v in sorted(ballots, key=lambda b: (b["identity"] is None, b["identity"] or 0, b["block_number"])):
        cells = ("-" if v["identity"] is None else str(v["identity"]), CHOICE_NAMES.get(v["choice"], v["choice"]),
                 CHANNEL_NAMES.get(v["channel"], v["channel"]) + (" *" if v["replaced"] else ""), str(v["area"]),
                 v["tx_hash"])
        for w, value in zip(widths, cells):
            pdf.cell(w, 5.5, value, border=1)
        pdf.ln()
    line("* 该票取代了同一业主此前的一票 replaced an earlier ballot of the same owner", 7, 4.5)
    pdf.ln(2)
    line("纸质表决票 Paper ballots", 11, 7)
    if paper is None:
        line("本小区未部署纸质表决票合约 no PaperBallots in this community")
    else:
        rec = paper["reconciliation"]
        line(f"监票人/计票人 tellers: {len(paper['tellers'])}")
        line(f"申报收回 declared: {rec['declared']}; 申报已确认 declaration confirmed: "
             f"{_yes(rec['declaration_confirmed'])}")
        line(f"录入 entered: {rec['entered']}; 复核确认 confirmed: {rec['confirmed']}; "
             f"核对一致 reconciled: {_yes(rec['reconciled'])}")
        pdf.set_font("cjk", size=7)
        widths = (16, 22, 20, width - 58)
        for w, head in zip(widths, ("身份 id", "选择 choice", "确认 confirmed", "扫描件 sha256 scan")):
            pdf.cell(w, 5.5, head, border=1)
        pdf.ln()
        for e in paper["entries"]:
            for w, value in zip(widths, (str(e["identity"]), CHOICE_NAMES.get(e["choice"], e["choice"]),
                                         _yes(e["confirmed"]), e["scan_hash"])):
                pdf.cell(w, 5.5, value, border=1)
            pdf.ln()
    pdf.ln(3)
    line(f"依据索引至区块 {indexed_block}（{_when(head_timestamp)} 北京时间）生成；每一项均可在链上核对。 "
         f"Generated from the index at block {indexed_block}; every figure can be checked on chain.", 7, 4.5)
    return bytes(pdf.output())
