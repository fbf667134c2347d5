"""Demo receipts (§5h), supplier returns (§8c) and a storage anomaly (5.6.7), moved by the
engine as people would: a delivery waiting for MC's registration, a partial one at IQC, one
whose note and count disagree (MC's measures), an urgent lot partly bad (MC decides, pick and
use allowed), one in stock, and the rejects of another on their way back to the supplier.

Choice: the demo's purchase orders are written as approved rows here (``PO-DEMO-R1/R2``),
because receiving needs POs at hand and the PO procedure's demo is another part's.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from gendan.db import unit_of_work
from gendan.models import Item, PoLine, PurchaseOrder

if TYPE_CHECKING:
    from gendan.demo import Driver

#: (code, name, stock unit, settlement unit, factor, urgent) — the demo materials' own codes.
ITEMS = (
    ("CAB-SHEET", "冷轧钢板", "张", "kg", 36.8, False),
    ("BUS-TMY60", "铜排", "米", "kg", 3.2, True),
    ("BRK-DZ47", "断路器", "只", "", 1.0, False),
)


def _purchase_orders(d: Driver) -> None:
    """Two approved POs: R1 from the steel mill, R2 from the electrical and copper suppliers."""
    with unit_of_work(d.rt.db) as s:
        for code, name, unit, settle, factor, urgent in ITEMS:
            if s.exec(select(Item).where(Item.code == code)).first() is None:
                s.add(Item(code=code, name=name, stock_unit=unit, settle_unit=settle,
                           factor=factor, urgent=urgent, updated_at=d.now))  # fmt: skip
        due = (d.now + timedelta(days=10)).date()
        for po_no, supplier, lines in (
            ("PO-DEMO-R1", "S001", ((1, "CAB-SHEET", 100), (2, "CAB-SHEET", 40))),
            ("PO-DEMO-R2", "S002", ((1, "BRK-DZ47", 300), (2, "BUS-TMY60", 200),
                                    (3, "BRK-DZ47", 100))),
        ):  # fmt: skip
            po = PurchaseOrder(po_no=po_no, supplier_code=supplier, status="approved",
                               created_at=d.now, approved_at=d.now)  # fmt: skip
            s.add(po)
            s.flush()
            for n, code, qty in lines:
                s.add(PoLine(po_id=po.id, line_no=n, item_code=code, qty=qty,
                             due_date=max(due, date(2026, 1, 1))))  # fmt: skip


def _arrival(d: Driver, po_no: str, note: str, supplier: str) -> int:
    form = {"supplier": supplier, "delivery_note_no": note, "po_no": po_no,
            "received_at": d.now.isoformat()}  # fmt: skip
    return d.start("receipt", "keeper", form)


def _row(line: int, code: str, qty: float, factor: float = 0, note: float | None = None,
         weight: float | None = None) -> dict[str, Any]:  # fmt: skip
    return {"line_no": line, "item_code": code, "qty": qty,
            "note_qty": qty if note is None else note,
            "weight": round(qty * factor, 3) if weight is None else weight}  # fmt: skip


def _register(d: Driver, po_no: str, note: str, supplier: str, *rows: dict[str, Any]) -> int:
    from gendan.jobs import run_due

    iid = _arrival(d, po_no, note, supplier)
    d.act(iid, "mc", "register", {"po_no": po_no, "delivery_note_no": note, "rows": list(rows)})
    run_due(d.rt, now=d.now)  # the three-way match, as the automatic-steps flow runs it
    return iid


def receiving(d: Driver) -> None:
    """The demo's receipts at each stage of §5h, a §8c return and a 5.6.7 anomaly."""
    _purchase_orders(d)
    # waiting for MC: the supplier just arrived with the note
    _arrival(d, "PO-DEMO-R1", "SD-2026-1101", "宁波宝钢钢材有限公司")
    # a partial delivery (60 of 100 sheets) at IQC
    _register(d, "PO-DEMO-R1", "SD-2026-1088", "宁波宝钢钢材有限公司",
              _row(1, "CAB-SHEET", 60, 36.8))  # fmt: skip
    # the note says 300 breakers, 290 were counted: MC's measures
    _register(d, "PO-DEMO-R2", "ZT-5521", "温州正泰电器销售部", _row(1, "BRK-DZ47", 290, note=300))
    # urgent copper bar (on the 欠缺/急需 list), partly bad: MC decides, pick-and-use allowed
    urgent = _register(d, "PO-DEMO-R2", "TY-0316", "上海铜业有限公司",
                       _row(2, "BUS-TMY60", 120, 3.2))  # fmt: skip
    d.act(urgent, "iqc", "inspect", {"rows": [{"line_no": 2, "item_code": "BUS-TMY60",
                                               "accepted": 110, "rejected": 10,
                                               "defect": "表面氧化 / oxidised"}]})  # fmt: skip
    # a clean lot in stock, the 来料入库单 stamped
    clean = _register(d, "PO-DEMO-R1", "SD-2026-1075", "宁波宝钢钢材有限公司",
                      _row(2, "CAB-SHEET", 40, 36.8))  # fmt: skip
    d.act(clean, "iqc", "inspect", {"rows": [{"line_no": 2, "item_code": "CAB-SHEET",
                                              "accepted": 40, "rejected": 0}]})  # fmt: skip
    # rejects on their way back: the keeper sent them, the buyer has 3-5 days
    bad = _register(d, "PO-DEMO-R2", "ZT-5490", "温州正泰电器销售部", _row(3, "BRK-DZ47", 100))
    d.act(bad, "iqc", "inspect", {"rows": [{"line_no": 3, "item_code": "BRK-DZ47",
                                            "accepted": 92, "rejected": 8,
                                            "defect": "脱扣不良 / trip fails"}]})  # fmt: skip
    d.act(bad, "mc", "return_rejected", {"buyer_told": True})
    from gendan.links import children_of

    with unit_of_work(d.rt.db) as s:
        [ret] = children_of(s, bad, procedures=("supplier_return",))
        ret_id = ret.id
    assert ret_id is not None
    d.act(ret_id, "keeper", "goods_returned", {"returned_at": d.now.isoformat(),
                                               "slip_to_mc": True})  # fmt: skip
    # a count difference found in store: MC replenishes at once
    found = d.now.isoformat()  # just found (30 WM from now, like the demo's other 30-WM steps)
    d.start("storage_anomaly", "keeper", {"item_code": "CAB-SHEET", "received_at": found,
                                          "kind": "quantity", "qty": 2,
                                          "description": "货架实数比账少2张 / 2 sheets short"})
