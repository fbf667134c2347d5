"""Master data, a purchase order and the moves of §5h/§8c for receiving tests (rows made
directly: the purchasing procedure is another part's; these tests need only an approved PO)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.jobs import run_due
from gendan.models import (
    Instance,
    Item,
    PoLine,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    Stock,
    StockMovement,
    Supplier,
)
from gendan.runtime import Runtime

#: Steel plate: counted in sheets, settled by weight (25 kg a sheet; 002 1.2.7).
STEEL, BOLT, GLASS = "STEEL-Q235", "BOLT-M8", "GLASS-5"


def seed_po(rt: Runtime, now: datetime, po_no: str = "PO-T1", *, status: str = "approved") -> None:
    """Items, a supplier and an approved PO: line 1 steel 100 张, line 2 bolts 500, line 3 glass
    (urgent: on the 欠缺/急需 list) 50; 20 sheets of steel in transit."""
    with unit_of_work(rt.db) as s:
        if s.exec(select(Item).where(Item.code == STEEL)).first() is None:
            s.add_all([
                Item(code=STEEL, name="钢板 Q235 3mm", stock_unit="张", settle_unit="kg",
                     factor=25.0, updated_at=now),
                Item(code=BOLT, name="螺栓 M8", stock_unit="pcs", updated_at=now),
                Item(code=GLASS, name="玻璃 5mm", stock_unit="片", urgent=True, updated_at=now),
                Supplier(code="SUP-1", name="宁波钢材贸易", updated_at=now),
                Stock(item_code=STEEL, warehouse="RM", on_hand=10, in_transit=100, as_of=now),
            ])  # fmt: skip
        po = PurchaseOrder(po_no=po_no, supplier_code="SUP-1", status=status, created_at=now,
                           approved_at=now)  # fmt: skip
        s.add(po)
        s.flush()
        due = date(2026, 11, 30)
        for n, (code, qty) in enumerate(((STEEL, 100), (BOLT, 500), (GLASS, 50)), start=1):
            s.add(PoLine(po_id=po.id, line_no=n, item_code=code, qty=qty, due_date=due))


def arrival(d: Driver, po_no: str = "PO-T1", note: str = "DN-001", minutes_ago: int = 5) -> int:
    """The keeper records the supplier at the gate (arrived ``minutes_ago``)."""
    form = {"supplier": "宁波钢材贸易", "delivery_note_no": note, "po_no": po_no,
            "received_at": (d.now - timedelta(minutes=minutes_ago)).isoformat()}  # fmt: skip
    return d.start("receipt", "keeper", form)


def registration(po_no: str = "PO-T1", *rows: dict[str, Any]) -> dict[str, Any]:
    return {"po_no": po_no, "delivery_note_no": "DN-001", "rows": list(rows)}


def row(line_no: int, item: str, qty: float, *, note: float | None = None,
        weight: float = 0) -> dict[str, Any]:  # fmt: skip
    return {"line_no": line_no, "item_code": item, "note_qty": qty if note is None else note,
            "qty": qty, "weight": weight}  # fmt: skip


def steel(qty: float, weight: float | None = None) -> dict[str, Any]:
    return row(1, STEEL, qty, weight=qty * 25 if weight is None else weight)


def match(d: Driver) -> list[Any]:
    """The automatic three-way match step runs (the automatic-steps flow)."""
    return run_due(d.rt, now=d.now)


def registered(d: Driver, *rows: dict[str, Any]) -> int:
    iid = arrival(d)
    d.act(iid, "mc", "register", registration("PO-T1", *rows))
    match(d)
    return iid


def iqc(*lines: tuple[int, str, float, float]) -> dict[str, Any]:
    return {"rows": [{"line_no": n, "item_code": code, "accepted": a, "rejected": r,
                      "defect": "划伤 / scratched" if r else None}
                     for n, code, a, r in lines]}  # fmt: skip


def po_line(rt: Runtime, line_no: int, po_no: str = "PO-T1") -> PoLine:
    with Session(rt.db) as s:
        return s.exec(
            select(PoLine).join(PurchaseOrder, PurchaseOrder.id == PoLine.po_id)
            .where(PurchaseOrder.po_no == po_no, PoLine.line_no == line_no)
        ).one()  # fmt: skip


def counts(rt: Runtime) -> dict[str, Any]:
    """What a receipt writes: receipts, lines, PO lines' received, stock, movements."""
    with Session(rt.db) as s:
        return {
            "receipts": len(s.exec(select(Receipt)).all()),
            "lines": len(s.exec(select(ReceiptLine)).all()),
            "received": [(p.line_no, p.received, p.completed_at) for p in s.exec(select(PoLine))],
            "stock": [(x.item_code, x.on_hand, x.in_transit) for x in s.exec(select(Stock))],
            "moves": len(s.exec(select(StockMovement)).all()),
        }


def on_hand(rt: Runtime, code: str) -> float:
    with Session(rt.db) as s:
        return sum(x.on_hand for x in s.exec(select(Stock).where(Stock.item_code == code)))


def movements(rt: Runtime, kind: str) -> list[StockMovement]:
    with Session(rt.db) as s:
        return list(s.exec(select(StockMovement).where(StockMovement.kind == kind)).all())


def children(rt: Runtime, procedure: str) -> list[Instance]:
    with Session(rt.db) as s:
        return list(s.exec(select(Instance).where(Instance.procedure == procedure)).all())
