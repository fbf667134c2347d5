"""PO lines and receipts of November 2026 whose on-time rate and QDPS are counted by hand.

On-time (lines due in November of approved or closed POs, complete on or before the due
date in company time):
  PO-T1/1 due 11-10, complete 11-09 ............ on time (early)
  PO-T1/2 due 11-12, complete 11-12 23:30 local . on time (UTC: 15:30 the same day)
  PO-T1/3 due 11-20, 60 of 100 on 11-18, the rest 11-23 ... late (partial by the due date)
  PO-T2/1 due 11-28, 40 of 50 received, still open ....... late
  PO-T2/2 due 12-02 ............................. not due in November
  PO-T3/1 (draft PO) due 11-15 .................. not counted
  → 2 of 4 = 50.0 %; the buyer who placed PO-T1 (user "buyer"): 2 of 3 = 66.7 %.
QDPS of S01 (PO-T1): received in November 100 + 200 + 60 + 40 = 400, accepted 380 → Q =
40 × 0.95 = 38; lines rated (early one out): /2 on its date achieved, /3 late → D = 20 × 1/2
= 10.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from gendan.models import PoLine, PurchaseOrder, Receipt, ReceiptLine, Supplier, User
from gendan.runtime import Runtime

SH = timedelta(hours=8)
HAND_COUNT = {"lines_due": 4, "lines_on_time": 2, "rate": 50.0}
S01_Q, S01_D = 38.0, 10.0


def at(m: int, d: int, hh: int = 10, mm: int = 0, y: int = 2026) -> datetime:
    """Company time (Shanghai) as UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - SH


def build(rt: Runtime) -> None:
    with Session(rt.db) as s:
        s.add(Supplier(code="S01", name="温州正泰"))
        s.add(Supplier(code="S02", name="宁波永固"))
        buyer = s.exec(select(User.id).where(User.username == "buyer")).first()
        t1 = PurchaseOrder(po_no="PO-T1", supplier_code="S01", status="closed", buyer_id=buyer)
        t2 = PurchaseOrder(po_no="PO-T2", supplier_code="S02", status="approved")
        t3 = PurchaseOrder(po_no="PO-T3", supplier_code="S02", status="draft")
        s.add_all([t1, t2, t3])
        s.flush()
        lines = [
            PoLine(po_id=t1.id, line_no=1, item_code="M-001", qty=100, received=100,
                   accepted=95, due_date=date(2026, 11, 10), completed_at=at(11, 9)),
            PoLine(po_id=t1.id, line_no=2, item_code="M-002", qty=200, received=200,
                   accepted=190, due_date=date(2026, 11, 12), completed_at=at(11, 12, 23, 30)),
            PoLine(po_id=t1.id, line_no=3, item_code="M-003", qty=100, received=100,
                   accepted=95, due_date=date(2026, 11, 20), completed_at=at(11, 23)),
            PoLine(po_id=t2.id, line_no=1, item_code="M-001", qty=50, received=40,
                   due_date=date(2026, 11, 28)),
            PoLine(po_id=t2.id, line_no=2, item_code="M-004", qty=10,
                   due_date=date(2026, 12, 2)),
            PoLine(po_id=t3.id, line_no=1, item_code="M-001", qty=10,
                   due_date=date(2026, 11, 15)),
        ]  # fmt: skip
        s.add_all(lines)
        s.flush()
        receipts = [  # (receipt, po, supplier, at, [(line, qty, accepted)])
            ("R-1", t1, "S01", at(11, 9), [(lines[0], 100, 95)]),
            ("R-2", t1, "S01", at(11, 12, 23, 30), [(lines[1], 200, 190)]),
            ("R-3", t1, "S01", at(11, 18), [(lines[2], 60, 57)]),
            ("R-4", t1, "S01", at(11, 23), [(lines[2], 40, 38)]),
            ("R-5", t2, "S02", at(11, 27), [(lines[3], 40, 40)]),
        ]
        for no, po, supplier, when, rows in receipts:
            r = Receipt(receipt_no=no, po_id=po.id, supplier_code=supplier, received_at=when)
            s.add(r)
            s.flush()
            for line, qty, ok in rows:
                s.add(ReceiptLine(receipt_id=r.id, po_line_id=line.id, item_code=line.item_code,
                                  qty=qty, accepted=ok, rejected=qty - ok,
                                  iqc="passed" if ok == qty else "failed",
                                  inspected_at=when))  # fmt: skip
        s.commit()
