"""The 采购单 as tables (PROCEDURES.md §5f; 003 5.4.1-5.4.4): ``PurchaseOrder`` and ``PoLine``
written from the buyer's form, the system's findings for MC's check, four-eyes, posting.

Step effects of the procedure ``purchase_order`` (``gendan.step_effects``), run in the move's
transaction:

- ``make_po`` (start, and the buyer's revision ``po``): master data checked (a supplier not
  on the approved list, an unknown item: 422 on the field, nothing written); the lines
  (re)written; the findings MC's check and the routing read, under ``inst.data["po_checks"]``:
  duplicates (the same item for the same requirement or order on another open PO, or twice
  here), excess (more than the requirement still needs, or above the item's maximum stock),
  short dates (due after the requirement's need date, or sooner than the item's lead time
  allows: 原物料采购周期表) and prices above the price file (``SupplierPrice``);
- ``checked_by_other`` / ``approve_po``: four-eyes — the buyer may not check or approve their
  own PO, the checker may not approve it (403); approval posts the quantities: the PO is
  ``approved`` and ``Stock.in_transit`` grows by each line (the requirement plan reads its
  "PO posted" column from these lines, 003 5.4.3);
- ``cancel_po``: the open quantities leave ``in_transit`` (003 5.4.4: MC has noted it);
- ``close_po``: only when every line is received.

Choice: a PO names its requirement (物料需求计划表 or 申购单 number) in its form, not in a
column of its own, because the requirement is an instance and its rows are in its data; the
requirement plan reads what is posted against it through the POs' instances.
Choice: a supplier without a price in the price file counts as "above the file": there is no
agreed price to buy at, so finance checks it (000/3 PMC系统 二).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from gendan.calendar import BusinessCalendar
from gendan.errors import InvalidForm, NotAllowed
from gendan.models import Instance, Item, PoLine, PurchaseOrder, Stock, Supplier, SupplierPrice
from gendan.subjects import order_numbers
from gendan.timespec import Sla

OPEN_PO = ("draft", "approved")
#: Procedures whose instances are requirements a PO is made from (003 5.4.1).
REQUIREMENTS = ("requirement_plan", "requisition")
WAREHOUSE = "RM"


def _po_row(session: Session, inst: Instance) -> PurchaseOrder | None:
    return session.exec(select(PurchaseOrder).where(PurchaseOrder.instance_id == inst.id)).first()


def lines_of(session: Session, po: PurchaseOrder) -> list[PoLine]:
    return list(
        session.exec(select(PoLine).where(PoLine.po_id == po.id).order_by(PoLine.line_no)).all()
    )


def requirement_instance(session: Session, key: str) -> Instance | None:
    return session.exec(
        select(Instance).where(Instance.subject_key == key, Instance.procedure.in_(REQUIREMENTS))
    ).first()


def requirement_rows(inst: Instance) -> list[dict[str, Any]]:
    """The requirement's rows as last submitted (each with item, qty, need_date)."""
    candidates = list(reversed(list(inst.data.get("forms", {}).values())))
    for value in inst.data.values():
        if isinstance(value, dict):
            candidates.append(value)
    for form in candidates:
        rows = form.get("rows") if isinstance(form, dict) else None
        if isinstance(rows, list) and rows and isinstance(rows[0], dict) and "need_date" in rows[0]:
            return rows
    return []


def make_po(
    session: Session,
    inst: Instance,
    values: dict[str, Any],
    *,
    event: str,
    actor: Any,
    now: datetime,
    calendar: BusinessCalendar,
) -> dict[str, Any]:
    """Write the buyer's 采购单 as ``PurchaseOrder``/``PoLine`` rows and note the findings."""
    errors: dict[str, str] = {}
    supplier = session.exec(
        select(Supplier).where(Supplier.code == values["supplier_code"])
    ).first()
    if supplier is None:
        errors["supplier_code"] = f"no supplier {values['supplier_code']} / 无此供应商"
    elif not supplier.approved:
        errors["supplier_code"] = "not on the approved supplier list / 不在合格供方名录"
    items: dict[str, Item] = {}
    for i, row in enumerate(values["rows"]):
        item = session.exec(select(Item).where(Item.code == row["item"])).first()
        if item is None or not item.active:
            errors[f"rows.{i}.item"] = f"no item {row['item']} / 无此物料代码"
        else:
            items[row["item"]] = item
    requirement = None
    if values.get("requirement"):
        requirement = requirement_instance(session, values["requirement"])
        if requirement is None:
            errors["requirement"] = (
                f"no requirement plan or requisition {values['requirement']} / 无此需求单"
            )
    if errors:
        raise InvalidForm(errors)
    po = _po_row(session, inst)
    if po is None:
        po = PurchaseOrder(
            po_no=inst.subject_key, supplier_code=supplier.code, instance_id=inst.id,
            buyer_id=inst.created_by_id, created_at=now,
        )  # fmt: skip
        session.add(po)
        session.flush()
    elif po.status == "approved":  # a change of a placed PO (003 5.4.4): MC checks it again
        _unpost(session, inst, po, now)
    po.supplier_code, po.status = supplier.code, "draft"
    session.add(po)
    _write_lines(session, po, values, items)
    found = findings(session, inst, po, values, requirement, items, now=now, calendar=calendar)
    inst.data = {**inst.data, "po_checks": found}
    _show_findings(inst, event, found)
    return {"po.lines": {"old": None, "new": len(values["rows"])}, "po.checks": found}


FINDING_LABELS = {
    "duplicates": "重复下单 / duplicate",
    "excess": "超量 / excess",
    "date_short": "交期不足 / date short",
    "price_above": "高于价格档案 / above the price file",
}


def _write_lines(
    session: Session, po: PurchaseOrder, values: dict[str, Any], items: dict[str, Item]
) -> None:
    """The form's rows as lines 1..n: a line already received from keeps its item and may not
    drop below what was received (422 on the row); a removed line must have no receipt."""
    existing = {ln.line_no: ln for ln in lines_of(session, po)}
    orders = order_numbers(values.get("orders"))
    errors: dict[str, str] = {}
    for i, row in enumerate(values["rows"], start=1):
        item = items[row["item"]]
        line = existing.pop(i, None) or PoLine(po_id=po.id, line_no=i, item_code=item.code,
                                               qty=0, due_date=date.fromisoformat(row["due"]))
        if line.received > 0 and (line.item_code != item.code or row["qty"] < line.received):
            errors[f"rows.{i - 1}.qty"] = (
                f"line {i} has {line.received:g} received: same item, not below that / "
                "已到货，不可改物料或少于已收"
            )
        line.item_code, line.qty = item.code, round(row["qty"], 3)
        line.unit, line.price = row.get("unit") or item.stock_unit, row["price"]
        line.due_date = date.fromisoformat(row["due"])
        line.order_no = row.get("order_no") or (orders[0] if orders else "")
        session.add(line)
    for line in existing.values():
        if line.received > 0:
            errors["rows"] = f"line {line.line_no} has receipts: it stays / 已到货的行不可删除"
        else:
            session.delete(line)
    if errors:
        raise InvalidForm(errors)
    session.flush()


def _unpost(session: Session, inst: Instance, po: PurchaseOrder, now: datetime) -> None:
    """Take a placed PO's open quantities out of transit and off its requirement."""
    for line in lines_of(session, po):
        _add_in_transit(session, line.item_code, -(line.qty - line.received), now)
    key = inst.data.get("posted_to")
    requirement = requirement_instance(session, key) if key else None
    if requirement is not None:
        from gendan import requirements

        requirements.post(session, requirement, po, lines_of(session, po), sign=-1, now=now)
    inst.data = {**inst.data, "posted_to": None}


def _show_findings(inst: Instance, event: str, found: dict[str, list[dict[str, Any]]]) -> None:
    """The findings as text on the stored 采购单, so MC reads them with the PO."""
    parts = []
    for kind, rows in found.items():
        for f in rows:
            filed = "—" if f.get("file") is None else f"{f['file']:g}"
            why = f.get("why") or f"单价 {f.get('price'):g}，价格档案 {filed} / price vs file"
            parts.append(f"{FINDING_LABELS[kind]}: {f['line']} {f['item']} {why}")
    text = "\n".join(parts) or "无 / none"
    if event == "start":
        inst.data = {**inst.data, "po": {**inst.data.get("po", {}), "findings": text}}
    else:
        forms = dict(inst.data.get("forms", {}))
        forms[event] = {**forms.get(event, {}), "findings": text}
        inst.data = {**inst.data, "forms": forms}


def findings(
    session: Session,
    inst: Instance,
    po: PurchaseOrder,
    values: dict[str, Any],
    requirement: Instance | None,
    items: dict[str, Item],
    *,
    now: datetime,
    calendar: BusinessCalendar,
) -> dict[str, list[dict[str, Any]]]:
    """What MC's check must look at (003 5.4.1-5.4.2; 000/3 PMC系统 二), line by line."""
    found: dict[str, list[dict[str, Any]]] = {
        "duplicates": [], "excess": [], "date_short": [], "price_above": []
    }  # fmt: skip
    lines = lines_of(session, po)
    need: dict[str, float] = defaultdict(float)
    need_date: dict[str, date] = {}
    for row in requirement_rows(requirement) if requirement else []:
        if not row.get("qty"):  # a BOM line MC did not buy (stock covers it)
            continue
        need[row["item"]] += float(row["qty"])
        if row.get("need_date"):
            day = date.fromisoformat(row["need_date"])
            need_date[row["item"]] = min(day, need_date.get(row["item"], day))
    others = _other_open_lines(session, po, values.get("requirement"))
    seen: set[tuple[str, str]] = set()
    ordered_here: dict[str, float] = defaultdict(float)
    for line in lines:
        ordered_here[line.item_code] += line.qty
    today = calendar.local_date(now)
    for line in lines:
        item = items[line.item_code]
        tag = {"line": line.line_no, "item": line.item_code}
        key = (line.item_code, line.order_no)
        dup = key in seen or any(
            o.item_code == line.item_code and (same_req or bool(line.order_no)
                                               and o.order_no == line.order_no)
            for o, same_req in others
        )  # fmt: skip
        seen.add(key)
        if dup:
            found["duplicates"].append({**tag, "why": "已在其他采购单 / already on another PO"})
        if requirement is not None:
            elsewhere = sum(o.qty for o, same in others if same and o.item_code == line.item_code)
            if line.item_code not in need:
                found["excess"].append({**tag, "why": "需求单上没有此物料 / not required"})
            elif ordered_here[line.item_code] + elsewhere > need[line.item_code] + 1e-9:
                found["excess"].append({**tag, "why": (
                    f"超出需求 {need[line.item_code]:g}（他单已下 {elsewhere:g}） / above the "
                    f"need {need[line.item_code]:g} ({elsewhere:g} on other POs)")})  # fmt: skip
            if line.item_code in need_date and line.due_date > need_date[line.item_code]:
                why = f"交期晚于需求日期 {need_date[line.item_code]} / due after the need date"
                found["date_short"].append({**tag, "why": why})
        if item.max_qty > 0:
            stock = _stock(session, item.code)
            if stock[0] + stock[1] + line.qty > item.max_qty:
                why = f"库存+在途+本单超过最高库存 {item.max_qty:g} / above the maximum stock"
                found["excess"].append({**tag, "why": why})
        if item.lead_days > 0:
            earliest = calendar.local_date(calendar.add(now, Sla.working_days(item.lead_days)))
            if line.due_date < earliest:
                found["date_short"].append({**tag, "why": (
                    f"采购周期 {item.lead_days} 个工作日，最早 {earliest} / lead time "
                    f"{item.lead_days} WD: not before {earliest}")})  # fmt: skip
        elif line.due_date < today:
            found["date_short"].append({**tag, "why": "交期已过 / due date passed"})
        filed = session.exec(
            select(SupplierPrice.price).where(
                SupplierPrice.supplier_code == po.supplier_code,
                SupplierPrice.item_code == line.item_code,
            )
        ).first()
        if filed is None or line.price > filed + 1e-9:
            found["price_above"].append({**tag, "price": line.price, "file": filed})
    return found


def _other_open_lines(
    session: Session, po: PurchaseOrder, requirement: str | None
) -> list[tuple[PoLine, bool]]:
    """Lines of the other open POs, each with whether its PO names the same requirement."""
    rows = session.exec(
        select(PoLine, PurchaseOrder.instance_id)
        .join(PurchaseOrder, PurchaseOrder.id == PoLine.po_id)
        .where(PurchaseOrder.id != po.id, PurchaseOrder.status.in_(OPEN_PO))
    ).all()
    out: list[tuple[PoLine, bool]] = []
    for line, inst_id in rows:
        other = session.get(Instance, inst_id) if requirement and inst_id else None
        out.append((line, other is not None and _requirement_of(other) == requirement))
    return out


def _stock(session: Session, item_code: str) -> tuple[float, float]:
    rows = session.exec(select(Stock).where(Stock.item_code == item_code)).all()
    return sum(r.on_hand for r in rows), sum(r.in_transit for r in rows)


def _checker_id(session: Session, inst: Instance) -> int | None:
    from gendan.models import Task

    task = session.exec(
        select(Task)
        .where(Task.instance_id == inst.id, Task.decision == "mc_checked", Task.status == "done")
        .order_by(Task.id.desc())  # type: ignore[union-attr]
    ).first()
    return task.closed_by_id if task else None


def _four_eyes(actor: Any, others: dict[str, int | None]) -> None:
    for who, user_id in others.items():
        if actor is not None and user_id is not None and actor.user_id == user_id:
            raise NotAllowed(
                f"four-eyes rule: the {who} may not do this on the same PO / "
                "四眼原则：采购员、复核人、批准人须为不同的人"
            )


def checked_by_other(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """MC's check: not by the buyer who made the PO."""
    _four_eyes(actor, {"buyer": inst.created_by_id})
    return {}


def approve_po(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """The purchasing lead's approval (four-eyes) posts the PO: quantities in transit."""
    _four_eyes(actor, {"buyer": inst.created_by_id, "checker": _checker_id(session, inst)})
    po = _po_row(session, inst)
    assert po is not None, "a PO instance always has its PurchaseOrder row"
    po.status, po.approved_at = "approved", now
    session.add(po)
    posted = {}
    for line in lines_of(session, po):
        _add_in_transit(session, line.item_code, line.qty - line.received, now)
        posted[line.item_code] = round(posted.get(line.item_code, 0.0) + line.qty, 3)
    _post_to_requirement(session, inst, po, sign=1, now=now)
    return {"po.status": {"old": "draft", "new": "approved"}, "stock.in_transit": posted}


def cancel_po(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """A cancelled PO (MC has noted it): its open quantities are no longer in transit."""
    po = _po_row(session, inst)
    if po is None:
        return {}
    old = po.status
    if old == "approved":
        _unpost(session, inst, po, now)
    po.status = "cancelled"
    session.add(po)
    return {"po.status": {"old": old, "new": "cancelled"}}


def close_po(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """结案 only when every line is received in full."""
    po = _po_row(session, inst)
    assert po is not None
    open_lines = [ln for ln in lines_of(session, po) if ln.received + 1e-9 < ln.qty]
    if open_lines:
        left = ", ".join(f"{ln.line_no}:{ln.item_code} {ln.qty - ln.received:g}"
                         for ln in open_lines)  # fmt: skip
        raise InvalidForm({"note": f"未全部到货，不能结案 / lines still open: {left}"})
    po.status = "closed"
    session.add(po)
    return {"po.status": {"old": "approved", "new": "closed"}}


def _post_to_requirement(
    session: Session, inst: Instance, po: PurchaseOrder, *, sign: int, now: datetime
) -> None:
    """003 5.4.3: the approved PO's quantities in its requirement's "PO posted" column."""
    from gendan import requirements

    key = _requirement_of(inst)
    requirement = requirement_instance(session, key) if key else None
    if requirement is not None:
        requirements.post(session, requirement, po, lines_of(session, po), sign=sign, now=now)
        inst.data = {**inst.data, "posted_to": key}


def _add_in_transit(session: Session, item_code: str, qty: float, now: datetime) -> None:
    row = session.exec(
        select(Stock)
        .where(Stock.item_code == item_code, Stock.warehouse == WAREHOUSE)
        .with_for_update()
    ).first()
    if row is None:
        row = Stock(item_code=item_code, warehouse=WAREHOUSE, as_of=now)
    row.in_transit = max(0.0, round(row.in_transit + qty, 3))
    row.as_of = now
    session.add(row)


def _po_instance(session: Session, po_no: str) -> Instance | None:
    return session.exec(
        select(Instance).where(
            Instance.procedure == "purchase_order", Instance.subject_key == po_no
        )
    ).first()


def report_difference(
    session: Session, *, po_no: str, values: dict[str, Any], now: datetime,
    calendar: BusinessCalendar, cause: dict[str, Any],
) -> bool:
    """A receipt short or rejected against a placed PO (001M 2.2.4(1)3): the buyer settles it
    within 1 WD* (the receiving calls this; False when the PO is not placed)."""
    from gendan.transitions import fire_system

    inst = _po_instance(session, po_no)
    if inst is None or inst.state != "placed":
        return False
    fire_system(session, inst, "receipt_differs", values, now=now, calendar=calendar,
                detail={"cause": cause})  # fmt: skip
    return True


def close_if_received(
    session: Session, *, po_no: str, now: datetime, calendar: BusinessCalendar
) -> bool:
    """Close a placed PO whose every line is received in full (the receiving calls this)."""
    from gendan.transitions import fire_system

    inst = _po_instance(session, po_no)
    po = _po_row(session, inst) if inst is not None else None
    if inst is None or po is None or inst.state != "placed":
        return False
    if any(ln.received + 1e-9 < ln.qty for ln in lines_of(session, po)):
        return False
    fire_system(session, inst, "received_in_full", {}, now=now, calendar=calendar,
                detail={"cause": "all lines received"})
    return True


def posted_against(session: Session, requirement: str) -> dict[str, float]:
    """Item → quantity on approved (or received) POs made from ``requirement`` (003 5.4.3)."""
    out: dict[str, float] = defaultdict(float)
    pos = session.exec(
        select(PurchaseOrder).where(PurchaseOrder.status.in_(("approved", "closed")))
    ).all()
    for po in pos:
        inst = session.get(Instance, po.instance_id) if po.instance_id else None
        if inst is None or _requirement_of(inst) != requirement:
            continue
        for line in lines_of(session, po):
            out[line.item_code] += line.qty
    return {k: round(v, 3) for k, v in out.items()}


def _requirement_of(inst: Instance) -> str | None:
    latest = (inst.data.get("forms") or {}).get("po") or inst.data.get("po") or {}
    return latest.get("requirement")


def unplaced(session: Session) -> list[dict[str, Any]]:
    """采购单未下单明细表 (003 5.5.1): requirements handed to purchasing with no PO made from
    them yet, oldest first (the requirement's number, what it is, when it was handed over)."""
    made = set()
    for inst in session.exec(select(Instance).where(Instance.procedure == "purchase_order")):
        key = _requirement_of(inst)
        if key and (inst.closed_at is None or inst.state != "cancelled"):
            made.add(key)
    out = []
    for inst in session.exec(
        select(Instance).where(Instance.procedure.in_(REQUIREMENTS), Instance.state == "ordering")
        .order_by(Instance.id)
    ).all():  # fmt: skip
        if inst.subject_key in made:
            continue
        out.append({"requirement": inst.subject_key, "procedure": inst.procedure,
                    "handed_over": (inst.data.get("at") or {}).get("handed_over"),
                    "instance_id": inst.id, "order_no": inst.order_no})  # fmt: skip
    return out
