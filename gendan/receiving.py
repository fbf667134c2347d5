"""Receiving against purchase orders: the three-way match, IQC and the return of rejects
(PROCEDURES.md §5h; 003 5.6.1-5.6.4; 002 1.2.10, 1.2.7).

:func:`receive` is the one way goods are received: it checks the PO, the 送货单 and the goods
(counted and weighed) and writes a ``Receipt`` with its ``ReceiptLine`` rows and the PO lines'
``received``; a delivery without a PO, or above a line's open quantity, is refused (422 at the
row and field) before anything is written (002 1.2.10 不可以无订单到货，也不可以超订单到货).
What does not match but may be received (the note says more than was counted, a weight off
the item's factor) is flagged for MC (003 5.6.1 若有不相符时，及时知悉相应物控人员).

Stock moves only after IQC (:func:`record_inspection`): each line that passes goes into stock
(``stock.move(kind="receipt")``) and IQC stamps the 来料入库单; a failed line waits for MC,
who has the rejects returned (→ §8c ``supplier_return``, started by the system) or, for an
urgently needed lot, agrees pick-and-use with IQC; the good part goes into stock then.

Choice: goods wait for IQC in the receiving area, not in a QC warehouse of the stock table,
because ``stock.level`` sums every warehouse and the safety-stock triggers must not count
uninspected goods as on hand.
Choice: a weight is off the factor when it differs from count × factor by more than
``WEIGHT_TOLERANCE`` (3 %), because 002 1.2.7 settles by weight and the seeds give no figure;
packaging and moisture make a small difference normal.
Choice: rejects returned to the supplier are taken off the PO line's ``received`` when they
leave (:func:`goods_left`), so the line is open again for the replacement (退补货) and its
``completed_at`` is the day the last good goods came: the on-time rate counts a rejected
delivery as not on time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from gendan import stock
from gendan.calendar import BusinessCalendar
from gendan.errors import InvalidForm
from gendan.models import (
    Document,
    Instance,
    Item,
    PoLine,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
)

#: A weighed weight may differ from count × factor by this share before MC is told.
WEIGHT_TOLERANCE = 0.03
#: Goods are received only against an approved PO (a draft is no order to the supplier).
RECEIVABLE = ("approved",)
ALL = "__all__"


@dataclass
class Received:
    """A receipt written, and what MC must look at (empty: PO, note and goods agree)."""

    receipt: Receipt
    lines: list[ReceiptLine]
    mismatches: list[str] = field(default_factory=list)
    urgent: list[str] = field(default_factory=list)


def open_qty(line: PoLine) -> float:
    """What may still be received on the PO line."""
    return round(line.qty - line.received, 3)


def _po(session: Session, po_no: str) -> PurchaseOrder:
    po = session.exec(
        select(PurchaseOrder).where(PurchaseOrder.po_no == po_no).with_for_update()
    ).first()
    if po is None:
        raise InvalidForm({"po_no": f"no purchase order {po_no}: nothing is received without a "
                                    f"PO / 无采购单 {po_no}，不得收货"})  # fmt: skip
    if po.status not in RECEIVABLE:
        raise InvalidForm({"po_no": f"purchase order {po_no} is {po.status}, not approved: "
                                    "nothing is received on it / 采购单未批准，不得收货"})
    return po


def check(
    session: Session, *, po_no: str, lines: list[dict[str, Any]]
) -> tuple[PurchaseOrder, dict[int, PoLine], dict[str, Item]]:
    """The three-way match's refusals (422 on ``po_no`` or ``rows.<i>.<field>``, every bad row
    at once); returns the PO, its lines by number and the items of the rows."""
    po = _po(session, po_no)
    po_lines = {
        ln.line_no: ln
        for ln in session.exec(select(PoLine).where(PoLine.po_id == po.id).with_for_update())
    }
    codes = {str(r["item_code"]) for r in lines}
    items = {i.code: i for i in session.exec(select(Item).where(Item.code.in_(codes))).all()}
    errors: dict[str, str] = {}
    taken: dict[int, float] = defaultdict(float)
    for i, row in enumerate(lines):
        at = f"rows.{i}"
        line = po_lines.get(int(row["line_no"]))
        if line is None:
            errors[f"{at}.line_no"] = (f"purchase order {po_no} has no line {row['line_no']} / "
                                       f"采购单无此行")  # fmt: skip
            continue
        if row["item_code"] != line.item_code:
            errors[f"{at}.item_code"] = (f"PO line {line.line_no} is for {line.item_code}, not "
                                         f"{row['item_code']} / 物料与采购单不符")  # fmt: skip
            continue
        taken[line.line_no] += float(row["qty"])
        if round(taken[line.line_no], 3) > open_qty(line):
            errors[f"{at}.qty"] = (
                f"above PO line {line.line_no}'s open quantity: ordered {line.qty:g}, received "
                f"{line.received:g}, open {open_qty(line):g} — nothing is received above the "
                f"PO / 超出采购单未交数量，不得超订单收货"
            )
        item = items.get(line.item_code)
        if item is not None and item.settle_unit and not row.get("weight"):
            errors[f"{at}.weight"] = (f"{item.code} is settled by weight: weigh it "
                                      f"({item.settle_unit}) / 须称重（结算单位）")  # fmt: skip
    if errors:
        raise InvalidForm(at_rows(errors, "送货明细", "Lines"))
    return po, po_lines, items


def at_rows(errors: dict[str, str], zh: str, en: str) -> dict[str, str]:
    """Each row's message names its row, as the forms' own row errors do (``rows.2.qty`` →
    "送货明细 第3行 / Lines row 3: …"), so the summary at the top reads on its own."""
    out = {}
    for key, message in errors.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "rows" and parts[1].isdigit():
            n = int(parts[1]) + 1
            message = f"{zh} 第{n}行 / {en} row {n}: {message}"
        out[key] = message
    return out


def receive(
    session: Session,
    *,
    po_no: str,
    delivery_note_no: str,
    lines: list[dict[str, Any]],
    now: datetime,
    calendar: BusinessCalendar,
    by: int | None,
    receipt_no: str | None = None,
    instance_id: int | None = None,
) -> Received:
    """Receive a delivery: the three-way match (refusals first, nothing written), then the
    ``Receipt``, its lines and the PO lines' received quantities (a partial receipt leaves the
    rest open; a line received in full is ``completed_at`` now). ``lines``: the 送货单登记's
    rows (``line_no``, ``item_code``, ``note_qty``, ``qty``, ``weight``)."""
    po, po_lines, items = check(session, po_no=po_no, lines=lines)
    receipt = Receipt(
        receipt_no=receipt_no or f"GRN-{po_no}-{now:%Y%m%d%H%M%S}",
        po_id=po.id,
        supplier_code=po.supplier_code,
        delivery_note_no=delivery_note_no,
        instance_id=instance_id,
        received_at=now,
        by_id=by,
    )
    session.add(receipt)
    session.flush()
    out = Received(receipt=receipt, lines=[])
    for row in lines:
        line = po_lines[int(row["line_no"])]
        qty, weight = round(float(row["qty"]), 3), round(float(row.get("weight") or 0), 3)
        rl = ReceiptLine(receipt_id=receipt.id, po_line_id=line.id, item_code=line.item_code,
                         qty=qty, weight=weight)  # fmt: skip
        session.add(rl)
        out.lines.append(rl)
        line.received = round(line.received + qty, 3)
        if line.received >= line.qty and line.completed_at is None:
            line.completed_at = now
        session.add(line)
        out.mismatches += _mismatches(line, row, qty, weight, items.get(line.item_code))
        item = items.get(line.item_code)
        if item is not None and item.urgent:
            out.urgent.append(item.code)
    session.flush()
    return out


def _mismatches(
    line: PoLine, row: dict[str, Any], qty: float, weight: float, item: Item | None
) -> list[str]:
    """What MC must hear of: the note and the count disagree, the weight is off the factor."""
    found = []
    note = round(float(row.get("note_qty") or qty), 3)
    if note != qty:
        found.append(f"line {line.line_no} {line.item_code}: delivery note {note:g}, counted "
                     f"{qty:g} / 送货单数量与实收不符")  # fmt: skip
    if item is not None and item.settle_unit and item.factor > 0 and weight:
        expected = qty * item.factor
        if abs(weight - expected) > WEIGHT_TOLERANCE * expected:
            found.append(
                f"line {line.line_no} {line.item_code}: weighed {weight:g} {item.settle_unit}, "
                f"count × factor = {expected:g} (tolerance {WEIGHT_TOLERANCE:.0%}) / "
                f"重量与换算不符"
            )
    return found


def po_accepted_in_full(session: Session, po_id: int) -> bool:
    """Every line of the PO received and passed by IQC in full: the PO may be closed (结案)."""
    lines = session.exec(select(PoLine).where(PoLine.po_id == po_id)).all()
    return bool(lines) and all(ln.accepted + 1e-9 >= ln.qty for ln in lines)


def receipt_lines(session: Session, receipt_id: int) -> list[tuple[ReceiptLine, PoLine]]:
    return list(
        session.exec(
            select(ReceiptLine, PoLine)
            .join(PoLine, PoLine.id == ReceiptLine.po_line_id)
            .where(ReceiptLine.receipt_id == receipt_id)
            .order_by(ReceiptLine.id)
        ).all()
    )


def record_inspection(
    session: Session,
    receipt: Receipt,
    rows: list[dict[str, Any]],
    *,
    now: datetime,
    calendar: BusinessCalendar,
    by: int | None,
) -> dict[str, Any]:
    """IQC's verdict per line: accepted and rejected on the receipt and PO lines; each line
    without rejects goes into stock now. Every received line is judged once, accepted +
    rejected = the counted quantity (422 at the row)."""
    pairs = receipt_lines(session, receipt.id or 0)
    by_line = {pl.line_no: (rl, pl) for rl, pl in pairs}
    errors: dict[str, str] = {}
    seen: set[int] = set()
    for i, row in enumerate(rows):
        found = by_line.get(int(row["line_no"]))
        if found is None or int(row["line_no"]) in seen:
            errors[f"rows.{i}.line_no"] = (f"receipt {receipt.receipt_no} has no (other) line "
                                           f"{row['line_no']} / 无此收货行或重复")  # fmt: skip
            continue
        seen.add(int(row["line_no"]))
        rl, _ = found
        if row["item_code"] != rl.item_code:
            errors[f"rows.{i}.item_code"] = f"line {row['line_no']} is {rl.item_code} / 物料不符"
        elif round(float(row["accepted"]) + float(row.get("rejected") or 0), 3) != rl.qty:
            errors[f"rows.{i}.rejected"] = (f"accepted + rejected must be the {rl.qty:g} received"
                                            f" / 合格数+不合格数须等于实收数")  # fmt: skip
    missing = sorted(set(by_line) - seen)
    if missing and not errors:
        errors["rows"] = f"lines not inspected: {missing} / 尚有收货行未检验"
    if errors:
        raise InvalidForm(at_rows(errors, "检验明细", "Lines"))
    verdicts = {}
    for row in rows:
        rl, pl = by_line[int(row["line_no"])]
        rl.accepted, rl.rejected = float(row["accepted"]), float(row.get("rejected") or 0)
        rl.iqc, rl.inspected_at = ("passed" if rl.rejected == 0 else "failed"), now
        pl.accepted, pl.rejected = round(pl.accepted + rl.accepted, 3), round(
            pl.rejected + rl.rejected, 3
        )
        session.add_all([rl, pl])
        if rl.iqc == "passed":
            _stock_in(session, receipt, rl, pl, now=now, calendar=calendar, by=by)
        verdicts[str(pl.line_no)] = {"accepted": rl.accepted, "rejected": rl.rejected,
                                     "defect": row.get("defect") or "", "iqc": rl.iqc}  # fmt: skip
    session.flush()
    return verdicts


def _stock_in(
    session: Session,
    receipt: Receipt,
    rl: ReceiptLine,
    pl: PoLine,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    by: int | None,
) -> None:
    if rl.accepted <= 0:
        return
    stock.move(session, item_code=rl.item_code, qty=rl.accepted, kind="receipt", now=now,
               calendar=calendar, ref=f"{receipt.receipt_no}/{pl.line_no}",
               instance_id=receipt.instance_id, by_id=by)  # fmt: skip


def dispose_failed(
    session: Session,
    receipt: Receipt,
    *,
    pick: bool,
    now: datetime,
    calendar: BusinessCalendar,
    by: int | None,
) -> list[dict[str, Any]]:
    """MC's disposition of the failed lines: their good part goes into stock (picked and used,
    for pick-and-use), the rejects are the rows of the supplier return."""
    rows = []
    for rl, pl in receipt_lines(session, receipt.id or 0):
        if rl.iqc != "failed":
            continue
        _stock_in(session, receipt, rl, pl, now=now, calendar=calendar, by=by)
        if pick:
            rl.iqc = "pick_and_use"
            session.add(rl)
        rows.append({"item_code": rl.item_code, "qty": rl.rejected, "po_line_id": pl.id,
                     "line_no": pl.line_no})  # fmt: skip
    session.flush()
    return rows


def goods_left(session: Session, rows: list[dict[str, Any]], *, now: datetime) -> None:
    """Returned goods left: their PO lines are open again for the replacement (see Choice)."""
    for row in rows:
        if not row.get("po_line_id"):
            continue
        pl = session.exec(
            select(PoLine).where(PoLine.id == row["po_line_id"]).with_for_update()
        ).one()
        pl.received = max(0.0, round(pl.received - float(row["qty"]), 3))
        if pl.received < pl.qty:
            pl.completed_at = None
        session.add(pl)


def stamp_incoming(
    session: Session, inst: Instance, receipt: Receipt, *, po_no: str, now: datetime,
    by: int | None,
) -> str | None:
    """IQC stamps the 来料入库单 (003 5.6.3): the accepted lines, count, weight, verdict."""
    rows = [
        {"item_code": rl.item_code, "qty": rl.accepted, "weight": rl.weight, "iqc": rl.iqc}
        for rl, _ in receipt_lines(session, receipt.id or 0)
        if rl.accepted > 0
    ]
    if not rows:
        return None
    doc_no = f"RK-{receipt.receipt_no}"
    if session.exec(select(Document.id).where(Document.doc_no == doc_no)).first() is not None:
        doc_no = f"{doc_no}-{now:%H%M%S}"
    data = {"receipt_no": receipt.receipt_no, "po_no": po_no,
            "supplier": receipt.supplier_code, "rows": rows}  # fmt: skip
    session.add(Document(doc_no=doc_no, kind="incoming_receipt", order_no=inst.order_no,
                         instance_id=inst.id, data=data,
                         issued_by_id=by or inst.created_by_id, issued_at=now))  # fmt: skip
    session.flush()
    return doc_no


def receipts_of(session: Session, po_no: str) -> dict[str, Any]:
    """The PO's lines and receipts as tables (404 for an unknown PO)."""
    from gendan.errors import NotFound

    po = session.exec(select(PurchaseOrder).where(PurchaseOrder.po_no == po_no)).first()
    if po is None:
        raise NotFound(f"no purchase order {po_no} / 无此采购单")
    lines = session.exec(select(PoLine).where(PoLine.po_id == po.id).order_by(PoLine.line_no))
    receipts = session.exec(select(Receipt).where(Receipt.po_id == po.id).order_by(Receipt.id))
    return {
        "po_no": po.po_no,
        "supplier": po.supplier_code,
        "status": po.status,
        "lines": [
            {"line_no": ln.line_no, "item_code": ln.item_code, "qty": ln.qty,
             "received": ln.received, "accepted": ln.accepted, "rejected": ln.rejected,
             "open": open_qty(ln), "due_date": ln.due_date.isoformat(),
             "completed_at": ln.completed_at.isoformat() if ln.completed_at else None}
            for ln in lines
        ],  # fmt: skip
        "receipts": [
            {"receipt_no": r.receipt_no, "delivery_note_no": r.delivery_note_no,
             "received_at": r.received_at.isoformat(), "instance_id": r.instance_id,
             "lines": [{"line_no": pl.line_no, "item_code": rl.item_code, "qty": rl.qty,
                        "weight": rl.weight, "accepted": rl.accepted, "rejected": rl.rejected,
                        "iqc": rl.iqc} for rl, pl in receipt_lines(session, r.id or 0)]}
            for r in receipts
        ],  # fmt: skip
    }
