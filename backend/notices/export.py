# SPDX-License-Identifier: AGPL-3.0-only
"""The service list (送达名单) of a notice as CSV and as PDF.

The PDF embeds a CJK font so that the Chinese title and headings print anywhere: the
first found of LINLI_PDF_FONT and the fonts Debian installs (fonts-wqy-zenhei, which
.ci/run and `make install`'s instructions name, or Noto CJK).
"""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

BEIJING = timezone(timedelta(hours=8))
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
COLUMNS = ("owner", "units", "acknowledged_at", "acknowledged_at_beijing", "signature", "leaf", "batch", "root",
           "anchor_tx")


class NoFont(RuntimeError):
    """No CJK font on this machine: the PDF cannot be made (503)."""


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def rows_of(receipts: list[dict], units: dict[str, list[str]]) -> list[dict]:
    return [{"owner": r["owner"], "units": " ".join(units.get(r["owner"], [])), "acknowledged_at": r["acknowledged_at"],
             "acknowledged_at_beijing": _when(r["acknowledged_at"]), "signature": r["signature"], "leaf": r["leaf"],
             "batch": r["batch"] if r["batch"] is not None else "", "root": r["root"] or "",
             "anchor_tx": r["tx_hash"] or ""} for r in receipts]


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def font_path() -> Path:
    for candidate in (os.environ.get("LINLI_PDF_FONT"), *FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise NoFont("no CJK font for the PDF: apt-get install fonts-wqy-zenhei, or set LINLI_PDF_FONT")


def to_pdf(title: str, notice_id: int, community_name: str, roll: dict | None, rows: list[dict]) -> bytes:
    """A4 landscape: the notice, how many were served (of the roll's heads when a proposal's),
    then one line per receipt with its anchor."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_font("cjk", fname=str(font_path()))
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.cell(0, 9, f"{community_name} · 公告送达名单 Service list · #{notice_id}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    pdf.multi_cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
    served = f"已送达 served: {len(rows)}"
    if roll:
        served += f" / {roll['total_heads']} 人 (heads at snapshot #{roll['snapshot_block']})"
    pdf.cell(0, 7, served, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("cjk", size=7.5)
    widths = (70, 30, 32, 10, 135)
    heads = ("业主 owner", "房号 units", "签收时间 (北京)", "批次", "锚定 root / 签收叶 leaf")
    for width, head in zip(widths, heads):
        pdf.cell(width, 6, head, border=1)
    pdf.ln()
    for row in rows:
        cells = (row["owner"], row["units"], row["acknowledged_at_beijing"], str(row["batch"]),
                 row["root"] or ("leaf " + row["leaf"]))
        for width, value in zip(widths, cells):
            pdf.cell(width, 6, value, border=1)
        pdf.ln()
    pdf.ln(3)
    pdf.multi_cell(0, 5, "每条签收都是业主对公告内容哈希的 EIP-712 签名；锚定后可凭证明 (proof) 向任何人证明送达："
                         "scripts/verify_receipt.py。 Each receipt is the owner's EIP-712 signature over the notice's "
                         "content hash; once anchored, its proof shows the service to anyone.")
    return bytes(pdf.output())
