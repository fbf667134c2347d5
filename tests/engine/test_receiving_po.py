"""§5h against a PO made by §5f's procedure: a rejected lot reaches the buyer through the PO
(001M 2.2.4(1)3, 1 WD*), the rejects go back (§8c) and reopen the line, and the replacement
passing IQC closes the PO (结案) — receiving and purchasing on one PO, real DB, time injected."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.demo_purchasing import PO_CHECK, ensure_master, po_form
from gendan.jobs import run_due
from gendan.models import PoLine, PurchaseOrder
from tests.engine.helpers import instance
from tests.engine.plan_driver import act, state, tasks_of
from tests.engine.receiving_driver import children

STEEL = "RM-STEEL-1.5"


def line(d: Driver, po_no: str) -> PoLine:
    with Session(d.rt.db) as s:
        return s.exec(
            select(PoLine).join(PurchaseOrder, PurchaseOrder.id == PoLine.po_id)
            .where(PurchaseOrder.po_no == po_no)
        ).one()  # fmt: skip


def delivered(d: Driver, po_no: str, qty: float, note: str) -> int:
    form = {"supplier": "宝钢", "delivery_note_no": note, "po_no": po_no,
            "received_at": d.now.isoformat()}  # fmt: skip
    iid = d.start("receipt", "keeper", form)
    rows = [{"line_no": 1, "item_code": STEEL, "note_qty": qty, "qty": qty}]
    d.act(iid, "mc", "register", {"po_no": po_no, "delivery_note_no": note, "rows": rows})
    run_due(d.rt, now=d.now)
    return iid


def inspected(d: Driver, iid: int, good: float, bad: float) -> None:
    row = {"line_no": 1, "item_code": STEEL, "accepted": good, "rejected": bad,
           "defect": "锈 / rust" if bad else None}  # fmt: skip
    d.act(iid, "iqc", "inspect", {"rows": [row]})


def test_rejects_reach_the_buyer_and_the_replacement_closes_the_po(driver: Driver) -> None:
    d = driver
    with unit_of_work(d.rt.db) as s:
        ensure_master(s, d.now)
    po = d.start("purchase_order", "buyer", po_form(date(2026, 12, 21), qty=40))
    act(d, po, "mc", "mc_checked", PO_CHECK)
    act(d, po, "purch_lead", "approve")
    po_no = instance(d.rt, po).subject_key
    first = delivered(d, po_no, 40, "BG-1")
    inspected(d, first, 35, 5)
    d.act(first, "mc", "return_rejected", {"buyer_told": True})
    assert state(d, po) == "receipt_issue"  # the buyer settles it within 1 WD*
    [task] = tasks_of(d, po)
    assert task.role == "buyer"
    assert "rejected by IQC" in instance(d.rt, po).data["forms"]["receipt_differs"]["difference"]
    act(d, po, "buyer", "difference_settled", {"remedy": "urge", "new_arrival": "2026-11-27"})
    [ret] = children(d.rt, "supplier_return")
    d.act(ret.id, "keeper", "goods_returned", {"returned_at": d.now.isoformat(),
                                               "slip_to_mc": True})  # fmt: skip
    assert line(d, po_no).received == 35
    d.now += timedelta(days=2)
    second = delivered(d, po_no, 5, "BG-2")
    inspected(d, second, 5, 0)
    assert (line(d, po_no).accepted, line(d, po_no).completed_at) == (40, d.now)
    assert state(d, po) == "closed"  # every line received and passed: 结案
