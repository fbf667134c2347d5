"""A subcontractor's month for the ERP (§6 [A] 核销, 结算; 002 3.4.8 steps 8-9, 3.4.9 step 10):
the lines issued (材料出库单, 委外发料单, 外协物料调拨单: what 核销 writes off against the
receipts) and received (good, 工废, 料废, loss, price, amount: what 结算 pays), as CSV or XLSX.

Choice: the system exports, the ERP posts (PROCEDURES.md §6 and "Out of scope"); the amount
follows ``gendan.outsourcing.statement_rows`` — good and 料废 at the price.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from gendan.models import OutsourcingLine
from gendan.outsourcing import month_bounds

KINDS = {"issue": ("发出", "Issued"), "receipt": ("收回", "Received")}
LEVELS = {"material": ("物料级", "Material"), "operation": ("工序", "Operation")}
HEADERS = (
    "日期 / Date", "单号 / Ref", "方式 / Level", "类别 / Kind", "物料编码 / Item",
    "工序 / Operation", "发出 / Issued", "合格 / Good", "工废 / Scrap (work)",
    "料废 / Scrap (material)", "非合理损耗 / Loss", "单价 / Price", "金额 / Amount",
)  # fmt: skip


def month_lines(session: Session, code: str, period: str, zone: ZoneInfo) -> list[tuple[Any, ...]]:
    """Every line of ``code`` in the month ``period`` (company time), oldest first."""
    start, end = month_bounds(period, zone)
    lines = session.exec(
        select(OutsourcingLine)
        .where(
            OutsourcingLine.subcontractor_code == code,
            OutsourcingLine.at >= start,
            OutsourcingLine.at < end,
        )
        .order_by(OutsourcingLine.at, OutsourcingLine.id)
    ).all()
    rows = []
    for x in lines:
        amount = round((x.good + x.scrap_material) * x.price, 2) if x.kind == "receipt" else 0.0
        rows.append((
            x.at.astimezone(zone).date().isoformat(), x.ref, " / ".join(LEVELS[x.level]),
            " / ".join(KINDS[x.kind]), x.item_code, x.operation, x.issued, x.good, x.scrap_work,
            x.scrap_material, x.loss, x.price, amount,
        ))  # fmt: skip
    return rows


def as_csv(rows: list[tuple[Any, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel reads it as UTF-8


def as_xlsx(rows: list[tuple[Any, ...]], title: str) -> bytes:
    from openpyxl import Workbook  # here: ~11 MB that a web process needs only for exports

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
