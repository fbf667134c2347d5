"""Demo of §5a, §5k and §5l (issue 10): last month's purchases as history (closed POs and
their receipts, October 2026), its on-time rate approved by the PMC manager and on /measures,
two suppliers' QDPS sheets approved, last month's material report read by the GM (October's
work is done: started now, its open steps would be weeks late); this month's safety-stock
table in its countersign, next month's PPE usage with the workshop and this week's PPE order
with the MC.

The month before the demo's is history typed in here (rows, as an ERP export would give), not
moved through the purchase procedures: those have their own demo (``gendan.demo_purchasing``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import select

from gendan.db import unit_of_work
from gendan.models import Instance, PoLine, PurchaseOrder, Receipt, ReceiptLine, User

if TYPE_CHECKING:
    from gendan.demo import Driver

SH = timedelta(hours=8)
#: (po, supplier, item, qty, due, completed (Oct day) or None, accepted)
HISTORY = [
    ("PO-H2610-01", "S001", "CAB-SHEET", 200, date(2026, 10, 12), 10, 200),
    ("PO-H2610-01", "S001", "CAB-SHEET", 100, date(2026, 10, 19), 21, 96),
    ("PO-H2610-02", "S002", "BRK-DZ47", 300, date(2026, 10, 15), 15, 300),
    ("PO-H2610-02", "S002", "BRK-DZ47", 200, date(2026, 10, 26), 23, 190),
    ("PO-H2610-03", "S003", "BUS-TMY60", 150, date(2026, 10, 20), 20, 150),
]


def _at(day: int) -> datetime:
    return datetime(2026, 10, day, 10, tzinfo=UTC) - SH


def history(d: Driver) -> None:
    with unit_of_work(d.rt.db) as s:
        buyer = s.exec(select(User.id).where(User.username == "buyer")).first()
        pos: dict[str, PurchaseOrder] = {}
        for n, (po_no, supplier, item, qty, due, day, ok) in enumerate(HISTORY):
            po = pos.get(po_no)
            if po is None:
                po = pos[po_no] = PurchaseOrder(po_no=po_no, supplier_code=supplier,
                                                status="closed", created_at=_at(1),
                                                buyer_id=buyer)  # fmt: skip
                s.add(po)
                s.flush()
            line = PoLine(po_id=po.id, line_no=n + 1, item_code=item, qty=qty, received=qty,
                          accepted=ok, rejected=qty - ok, due_date=due,
                          completed_at=_at(day))  # fmt: skip
            s.add(line)
            s.flush()
            receipt = Receipt(receipt_no=f"GRN-H2610-{n + 1:02d}", po_id=po.id,
                              supplier_code=supplier, received_at=_at(day))  # fmt: skip
            s.add(receipt)
            s.flush()
            s.add(ReceiptLine(receipt_id=receipt.id, po_line_id=line.id, item_code=item,
                              qty=qty, accepted=ok, rejected=qty - ok,
                              iqc="passed" if ok == qty else "failed",
                              inspected_at=_at(day)))  # fmt: skip


def measures_stages(d: Driver) -> None:
    """The demo's §5a, §5k and §5l instances (see the module docstring)."""
    history(d)
    # §5k: October, 4 of 5 lines complete on time (80.0 %), approved
    rate = d.start("purchase_on_time", "mc", {"month": "2026-10"})
    d.act(rate, "mc", "submit", {"analysis": "PO-H2610-01 第2行迟到2天：钢厂排产；跟催提前到-5天"})
    d.act(rate, "pmc", "approve")
    # §5l: two suppliers' October; S001's approved, S002's with the purchasing lead
    for supplier, service, price in (("S001", 13, "reasonable"), ("S002", 11, "normal")):
        sheet = d.start("qdps", "qa_lead", {"month": "2026-10", "supplier_code": supplier})
        d.act(sheet, "qa_lead", "score_service", {"service": service})
        d.act(sheet, "buyer", "score_buyer", {"price": price, "cooperation": 4, "support": 4})
        d.act(sheet, "purch_lead", "approve")
    # §5k: October's material report, read by the GM
    report = d.start("material_report", "mc", {"month": "2026-10"})
    d.act(report, "mc", "submit", {"note": "十月无盘点调整"})
    d.act(report, "pmc", "approve", {"note": "同意"})
    d.act(report, "gm", "read", {})
    # §5a: this month's safety-stock table in its countersign (prefilled from the master)
    table = d.start("safety_stock_review", "mc", {"period": "2026-11"})
    with unit_of_work(d.rt.db) as s:  # its task opened at once: 10 WD before the 25th is past
        rows = s.get(Instance, table).data["table"]["rows"]  # type: ignore[union-attr]
    d.act(table, "mc", "submit_table", {"period": "2026-11", "rows": rows})
    # §5a: next month's PPE usage with the workshop; this week's order with the MC
    d.start("ppe_usage", "workshop", {"month": "2026-12"})
    year, week, _ = (d.now.astimezone(UTC) + SH).date().isocalendar()
    d.start("ppe_order", "mc", {"week": f"{year}-W{week:02d}"})
