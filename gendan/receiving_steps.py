"""The moves of §5h ``receipt`` and §8c ``supplier_return`` that write tables (``Step.effect``,
``gendan.step_effects``): registering the delivery note, IQC's verdict, MC's disposition of a
failed lot, the goods leaving for the supplier; and §9's purchased-batch branch starting a
supplier return. The rules themselves are in ``gendan.receiving``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from gendan import purchasing, receiving, stock
from gendan.calendar import BusinessCalendar
from gendan.models import Instance, Item, PoLine, Receipt
from states.base import Child

ALL = "__all__"


def _by(actor: Any) -> int | None:
    return actor.user_id if actor is not None else None


def _receipt(session: Session, inst: Instance) -> Receipt:
    return session.exec(
        select(Receipt).where(Receipt.id == inst.data["receipt"]["id"]).with_for_update()
    ).one()


def on_register(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """MC registers the 送货单: the three-way match writes the receipt or refuses (422)."""
    got = receiving.receive(
        session, po_no=values["po_no"], delivery_note_no=values["delivery_note_no"],
        lines=values["rows"], now=now, calendar=calendar, by=_by(actor),
        receipt_no=inst.subject_key, instance_id=inst.id,
    )  # fmt: skip
    facts = {
        "id": got.receipt.id,
        "receipt_no": got.receipt.receipt_no,
        "po_no": values["po_no"],
        "supplier": got.receipt.supplier_code,
        "mismatches": got.mismatches,
        "urgent": got.urgent,
    }
    inst.data = {**inst.data, "receipt": facts}
    return {"receipt": {"old": None, "new": facts}}


def on_inspect(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """IQC's verdict per line; lines that passed go into stock, a clean lot is stamped."""
    receipt = _receipt(session, inst)
    verdicts = receiving.record_inspection(session, receipt, values["rows"], now=now,
                                           calendar=calendar, by=_by(actor))  # fmt: skip
    facts = {**inst.data["receipt"], "iqc": verdicts}
    if all(v["iqc"] == "passed" for v in verdicts.values()):
        facts["document"] = receiving.stamp_incoming(
            session, inst, receipt, po_no=facts["po_no"], now=now, by=_by(actor)
        )
        if receiving.po_accepted_in_full(session, receipt.po_id):  # the PO's 结案
            purchasing.close_if_received(session, po_no=facts["po_no"], now=now,
                                         calendar=calendar)  # fmt: skip
    inst.data = {**inst.data, "receipt": facts}
    return {"receipt.iqc": {"old": None, "new": verdicts}}


def on_dispose(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """MC's disposition of a failed lot: the good part into stock (picked, for pick-and-use),
    the 来料入库单 stamped for it, the rejects returned to the supplier (§8c, by the system)."""
    receipt = _receipt(session, inst)
    facts = dict(inst.data["receipt"])
    rows = receiving.dispose_failed(session, receipt, pick=event == "pick_and_use", now=now,
                                    calendar=calendar, by=_by(actor))  # fmt: skip
    defects = {str(k): v.get("defect", "") for k, v in facts.get("iqc", {}).items()}
    report = {
        "supplier": receipt.supplier_code,
        "po_no": facts["po_no"],
        "receipt_no": receipt.receipt_no,
        "received_at": now.isoformat(),
        "from_stock": False,
        "rows": [
            {"item_code": r["item_code"], "qty": r["qty"], "po_line_id": r["po_line_id"],
             "defect": defects.get(str(r["line_no"])) or "不良 / defective"}
            for r in rows if r["qty"] > 0
        ],  # fmt: skip
    }
    child = start_return(session, inst, report, now=now, calendar=calendar,
                         cause={"receipt": receipt.receipt_no, "event": event})  # fmt: skip
    facts["document"] = receiving.stamp_incoming(
        session, inst, receipt, po_no=facts["po_no"], now=now, by=_by(actor)
    )
    facts["supplier_return"] = child.id
    _tell_the_buyer(session, facts, report["rows"], now=now, calendar=calendar)
    inst.data = {**inst.data, "receipt": facts}
    return {"supplier_return": {"old": None, "new": child.subject_key}}


def _tell_the_buyer(
    session: Session, facts: dict[str, Any], rows: list[dict[str, Any]], *, now: datetime,
    calendar: BusinessCalendar,
) -> None:
    """The placed PO's buyer settles a rejected receipt within 1 WD* (001M 2.2.4(1)3: 不合格品
    退货补发、降价让步接收), through the PO procedure; a PO without one is left alone."""
    if not rows:
        return
    first = session.get(PoLine, rows[0]["po_line_id"])
    what = "; ".join(f"{r['item_code']} {r['qty']:g} {r['defect']}" for r in rows)
    purchasing.report_difference(
        session, po_no=facts["po_no"], now=now, calendar=calendar,
        values={"receipt_no": facts["receipt_no"], "item": rows[0]["item_code"],
                "ordered": first.qty if first else 0,
                "received": first.accepted if first else 0,
                "difference": f"IQC 验退 / rejected by IQC: {what}"},
        cause={"receipt": facts["receipt_no"]},
    )  # fmt: skip


def start_return(
    session: Session, parent: Instance, report: dict[str, Any], *, now: datetime,
    calendar: BusinessCalendar, cause: dict[str, Any],
) -> Instance:
    """Start §8c for ``parent`` as the system, linked to it (shown on both pages)."""
    from gendan.system_starts import system_user_id
    from gendan.transitions import create_instance
    from states import get_procedure

    return create_instance(
        session, proc=get_procedure("supplier_return"), form_data=report, order_no=None,
        created_by_id=system_user_id(session), actor=None, now=now, calendar=calendar,
        detail={"parent_id": parent.id, "started_by_system": cause},
        link=(parent, Child("supplier_return")),
    )  # fmt: skip


def on_goods_returned(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """The goods left for the supplier: out of stock if they were in it (kind
    ``supplier_return``), and their PO lines open again for the replacement."""
    report = inst.data["report"]
    moved = []
    if report.get("from_stock"):
        for row in report["rows"]:
            mv = stock.move(session, item_code=row["item_code"], qty=-float(row["qty"]),
                            kind="supplier_return", now=now, calendar=calendar,
                            ref=inst.subject_key, instance_id=inst.id, by_id=_by(actor),
                            field=ALL)  # fmt: skip
            moved.append(mv.id)
    receiving.goods_left(session, report["rows"], now=now)
    return {"stock.moved": {"old": None, "new": moved}} if moved else {}


def on_quality_resolved(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """§9 ③: purchased goods the handler sends back (the resolution's 退供应商 tick) start the
    supplier return (§8c) with the batch's failed count (the whole batch when a serious tick
    failed none: a wrong spec is the batch). Choice: the goods count as in stock (moved out
    when they leave) only when found after incoming inspection and the item is a known code."""
    from states.quality_exception import record

    if not values.get("supplier_return"):
        return {}
    rec = record(inst.data)
    item = str(rec.get("item") or "")
    known = session.exec(select(Item.id).where(Item.code == item)).first() is not None
    report = {
        "supplier": rec.get("supplier") or "未填 / not given",
        "order_no": inst.order_no or None,
        "received_at": now.isoformat(),
        "from_stock": known and rec.get("stage") != "incoming",
        "rows": [{"item_code": item, "qty": rec.get("failed") or rec.get("inspected"),
                  "defect": str(rec.get("description") or "")[:200] or "不良"}],
        "remarks": values.get("action"),
    }  # fmt: skip
    child = start_return(session, inst, report, now=now, calendar=calendar,
                         cause={"quality_exception": inst.id, "event": event})  # fmt: skip
    return {"supplier_return": {"old": None, "new": child.subject_key}}


#: The page's and the API's one body: the arrival's fields and the registration's.
ARRIVAL_FIELDS = ("supplier", "delivery_note_no", "po_no", "received_at", "remarks")
REGISTRATION_FIELDS = ("po_no", "delivery_note_no", "rows", "remarks")


def register_delivery(
    session: Session, *, actor: Any, values: dict[str, Any], now: datetime,
    calendar: BusinessCalendar,
) -> Instance:
    """MC registers a delivery in one go (the 送货单 in hand): the receipt's arrival and its
    registration — the three-way match — in the caller's transaction. Every bad field or row
    is named at once (422); a refusal writes nothing, not even the arrival."""
    from gendan.assignment import claim_task
    from gendan.errors import InvalidForm, NotAllowed
    from gendan.models import Task
    from gendan.transitions import complete_task, start_instance, validate

    if not actor.has_role("material_controller"):
        raise NotAllowed("MC registers the delivery note / 送货单由物控核对登记 (003 5.6.1)")
    known = set(ARRIVAL_FIELDS) | set(REGISTRATION_FIELDS)
    flat_rows = {k for k in values if k.startswith("rows.")}
    errors = {k: "unknown field / 未知字段" for k in values if k not in known | flat_rows}
    arrival = {k: values[k] for k in ARRIVAL_FIELDS if k in values}
    registration = {k: values[k] for k in values if k in REGISTRATION_FIELDS or k in flat_rows}
    for key, part in (("delivery_arrival", arrival), ("receipt_registration", registration)):
        try:
            validate(key, part, now)
        except InvalidForm as exc:
            errors.update(exc.errors)
    if errors:
        raise InvalidForm(errors)
    inst = start_instance(session, procedure="receipt", actor=actor, form_data=arrival, now=now,
                          calendar=calendar)  # fmt: skip
    task = session.exec(
        select(Task).where(Task.instance_id == inst.id, Task.status == "open")
    ).one()
    claim_task(session, task_id=task.id, actor=actor, now=now)
    return complete_task(session, task_id=task.id, actor=actor, decision="register",
                         form_data=registration, now=now, calendar=calendar)  # fmt: skip
