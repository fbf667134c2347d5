"""The 物料追催表's lines from the weekly plan (PROCEDURES.md §5g; 003 5.5.3-5.5.4): the start
effect of ``material_chase`` (``gendan.step_effects``).

Each product of the week × its BOM lines gives an item's need on the line start; its ETA is
the earliest due date of an open (approved) PO line for the item; main materials (the item's
material class 主料, or board, glass, cartons) are marked for booking 1-3 days ahead. Lines
typed on the start form are kept as they are (the system fills only an empty list).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from gendan.calendar import BusinessCalendar
from gendan.models import BomLine, Instance, Item, PoLine, PurchaseOrder

#: 003 5.5.4: main materials booked ahead because the plant has no room for them.
MAIN_WORDS = ("主料", "板", "玻璃", "纸箱")


def earliest_open_due(session: Session, item_code: str) -> date | None:
    rows = session.exec(
        select(PoLine.due_date)
        .join(PurchaseOrder, PurchaseOrder.id == PoLine.po_id)
        .where(PoLine.item_code == item_code, PurchaseOrder.status == "approved",
               PoLine.received < PoLine.qty)  # fmt: skip
        .order_by(PoLine.due_date)
    ).first()
    return rows


def chase_rows(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    if values.get("rows"):
        return {}
    need: dict[str, float] = defaultdict(float)
    for product in values.get("products") or []:
        for line in session.exec(
            select(BomLine).where(BomLine.parent_code == product["product_code"])
        ):
            need[line.component_code] += line.qty_per * product["qty"]
    rows = []
    for code, qty in need.items():
        item = session.exec(select(Item).where(Item.code == code)).first()
        words = f"{item.material_class} {item.name}" if item else ""
        eta = earliest_open_due(session, code)
        rows.append({"item": code, "qty": round(qty, 3), "need_date": values["plan_start"],
                     "eta": eta.isoformat() if eta else None,
                     "main": any(w in words for w in MAIN_WORDS)})  # fmt: skip
    start = {**inst.data.get("chase", {}), "rows": rows}
    inst.data = {**inst.data, "chase": start}
    return {"chase.rows": {"old": None, "new": len(rows)}}
