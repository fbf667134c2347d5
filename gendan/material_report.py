"""The monthly material in/out report (物料进出统计报表, §5k; 003 5.12) computed from the
month's stock movements (``StockMovement``, company-time month): per item the receipts,
issues (borrowing included), returns (to stock and to suppliers) and count adjustments and
imports, in the stock unit; the net is their sum.

Choice: issues (borrowing included) are shown as positive quantities going out; returns keep
their sign (a production return comes in +, a return to the supplier goes out −), as do
adjustments; an ERP import's difference counts as an adjustment, because the report explains
how stock changed in the month and an import corrects the books. The net is the sum.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from gendan.calendar import BusinessCalendar
from gendan.measures import month_range
from gendan.models import Instance, StockMovement

COLUMN_OF = {"receipt": "received", "issue": "issued", "borrow": "issued",
             "return": "returned", "supplier_return": "returned",
             "adjust": "adjusted", "import": "adjusted"}  # fmt: skip


def movement_rows(session: Session, month: str, calendar: BusinessCalendar) -> list[dict]:
    first, after = month_range(month)
    zone = calendar.zone
    start = datetime.combine(first, datetime.min.time(), zone).astimezone(UTC)
    end = datetime.combine(after, datetime.min.time(), zone).astimezone(UTC)
    moves = session.exec(
        select(StockMovement)
        .where(StockMovement.at >= start, StockMovement.at < end)
        .order_by(StockMovement.item_code, StockMovement.id)
    ).all()
    rows: dict[str, dict[str, Any]] = {}
    for m in moves:
        row = rows.setdefault(m.item_code, {"item": m.item_code, "received": 0.0, "issued": 0.0,
                                            "returned": 0.0, "adjusted": 0.0, "net": 0.0})
        column = COLUMN_OF.get(m.kind, "adjusted")
        shown = -m.qty if column == "issued" else m.qty
        row[column] = round(row[column] + shown, 3)
        row["net"] = round(row["net"] + m.qty, 3)
    return list(rows.values())


def compute(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:  # fmt: skip
    """[A] The report's rows at the start (and again when the MC sends it)."""
    report = inst.data.get("report", values)
    rows = movement_rows(session, report["month"], calendar)
    inst.data = {**inst.data, "report": {**report, "rows": rows}}
    return {"report.rows": {"old": None, "new": len(rows)}}
