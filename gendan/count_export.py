"""A posted count's corrections for the ERP (§7 [A]; 002 3.4.10.2 说明 3): gains as 其他入库单,
losses as 其他出库单, as CSV or XLSX.

Choice: the system exports the postings and the ERP books them (PROCEDURES.md "Out of
scope": accounting stays in the ERP); the stock the system keeps is corrected by the same
count through ``stock.move(kind="adjust")``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlmodel import Session, select

from gendan.models import Instance, Item, StockCount, StockMovement

DOCS = {"gain": ("其他入库单", "Other receipt"), "loss": ("其他出库单", "Other issue")}
HEADERS = (
    "单据 / Document", "盘点单号 / Count", "物料编码 / Item", "物料名称 / Name",
    "仓库 / Warehouse", "数量 / Qty", "单位 / Unit", "入账时间 / Posted at (UTC)",
)  # fmt: skip


def posting_rows(session: Session, count: StockCount) -> list[tuple[Any, ...]]:
    """One row per correction the count posted, gains first (its ``adjust`` movements)."""
    moves = session.exec(
        select(StockMovement)
        .where(StockMovement.instance_id == count.instance_id, StockMovement.kind == "adjust")
        .order_by(StockMovement.id)
    ).all()
    names = {i.code: i for i in session.exec(select(Item)).all()}
    rows = []
    for m in sorted(moves, key=lambda m: (m.qty < 0, m.id or 0)):
        doc = DOCS["gain" if m.qty > 0 else "loss"]
        item = names.get(m.item_code)
        rows.append((f"{doc[0]} / {doc[1]}", count.count_no, m.item_code,
                     item.name if item else "", m.warehouse, abs(m.qty),
                     item.stock_unit if item else "", m.at.isoformat()))  # fmt: skip
    return rows


def _cell(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula is quoted (=, +, -, @)."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value


def find_count(session: Session, count_no: str) -> StockCount | None:
    return session.exec(select(StockCount).where(StockCount.count_no == count_no)).first()


def as_csv(session: Session, count: StockCount) -> bytes:
    """UTF-8 with a BOM, so a spreadsheet opens the Chinese headers right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows([_cell(c) for c in row] for row in posting_rows(session, count))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(session: Session, count: StockCount) -> bytes:
    """One sheet per document kind (其他入库单, 其他出库单)."""
    from openpyxl import Workbook  # here: ~11 MB that a web process needs only for exports

    book = Workbook()
    rows = posting_rows(session, count)
    first = True
    for zh, en in DOCS.values():
        sheet = book.active if first else book.create_sheet()
        first = False
        sheet.title = zh
        sheet.append(HEADERS)
        for row in rows:
            if row[0].startswith(zh):
                sheet.append([_cell(c) for c in row])
        sheet.append(())
        sheet.append((f"{en}: {sum(1 for r in rows if r[0].startswith(zh))} lines",))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def instance_of(session: Session, count: StockCount) -> Instance | None:
    return session.get(Instance, count.instance_id)
