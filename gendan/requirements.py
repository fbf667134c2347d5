"""The 物料需求计划表's columns from the master data, its hand-over, and POs posted to it
(PROCEDURES.md §5c; 003 5.3.6, 5.3.11, 5.4.3).

Step effects of ``requirement_plan`` (``gendan.step_effects``):

- ``bom_rows`` (start) and ``fill_rows`` (MC's plan): each row's gross (BOM ``qty_per`` ×
  the order's quantity, parent = the order's model), stock, in transit, unissued and MOQ are
  the system's, written over whatever was typed; an unknown item is a 422 on its row. A start
  without rows gets one row per BOM line of the order's model.
- ``hand_over``: the 单据/资料交接登记表 entry (who handed which plan to purchasing, when).
- ``check_pos``: the POs the buyer says were made from this plan exist and name it.

``post`` is called by ``gendan.purchasing`` when a PO made from a requirement is approved or
cancelled: the plan's "PO posted" column follows (audited on the plan as ``po_posted``).
Choice: no netting across orders (PROCEDURES.md §5c): the columns stand beside each other,
MC decides the quantity.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from gendan import audit, stock
from gendan.calendar import BusinessCalendar
from gendan.errors import InvalidForm
from gendan.models import BomLine, Instance, Item, Order, PurchaseOrder


def _order(session: Session, inst: Instance) -> Order | None:
    return session.exec(select(Order).where(Order.order_no == inst.order_no)).first()


def _columns(session: Session, rows: list[dict[str, Any]], order: Order | None) -> None:
    """Fill the system's columns of ``rows`` in place (422 on an unknown item)."""
    errors: dict[str, str] = {}
    bom: dict[str, float] = {}
    if order is not None:
        for line in session.exec(select(BomLine).where(BomLine.parent_code == order.model_spec)):
            bom[line.component_code] = line.qty_per
    for i, row in enumerate(rows):
        item = session.exec(select(Item).where(Item.code == row["item"])).first()
        if item is None:
            errors[f"rows.{i}.item"] = f"no item {row['item']} / 无此物料代码"
            continue
        level = stock.level(session, item.code)
        gross = bom.get(item.code, 0.0) * (order.quantity if order is not None else 0)
        row.update(gross=round(gross, 3), stock=level.on_hand, in_transit=level.in_transit,
                   unissued=level.unissued, moq=item.moq)  # fmt: skip
        row.setdefault("po_posted", 0.0)
        row["po_posted"] = row["po_posted"] or 0.0
    if errors:
        raise InvalidForm(errors)


def bom_rows(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """The start form's rows: typed ones completed, else one per BOM line of the order."""
    order = _order(session, inst)
    rows = [dict(r) for r in values.get("rows") or []]
    if not rows and order is not None:
        for line in session.exec(
            select(BomLine).where(BomLine.parent_code == order.model_spec).order_by(BomLine.id)
        ):
            rows.append({"item": line.component_code, "qty": 0, "need_date": None,
                         "plant": None})  # fmt: skip
    _columns(session, rows, order)
    start = {**inst.data.get("requirement", {}), "rows": rows}
    inst.data = {**inst.data, "requirement": start}
    return {"requirement.rows": {"old": None, "new": len(rows)}}


def fill_rows(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """MC's 物料需求计划表: the system's columns as of now."""
    rows = [dict(r) for r in values["rows"]]
    _columns(session, rows, _order(session, inst))
    forms = dict(inst.data.get("forms", {}))
    forms[event] = {**forms.get(event, {}), "rows": rows}
    inst.data = {**inst.data, "forms": forms}
    return {}


def hand_over(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """单据/资料交接登记表 (003 5.3.11): the approved plan handed to purchasing, registered."""
    entry = {"document": inst.subject_key, "from": "material_control", "to": "purchasing",
             "by": actor.display_name if actor else "system", "at": now.isoformat()}  # fmt: skip
    inst.data = {**inst.data, "handover": entry}
    return {"handover": {"old": None, "new": entry}}


def check_pos(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:
    """Each PO number names a PO made from this requirement (not cancelled)."""
    from gendan.purchasing import _requirement_of

    bad = []
    from gendan.subjects import order_numbers

    for no in order_numbers(values["po_nos"]):
        po_inst = session.exec(
            select(Instance).where(Instance.procedure == "purchase_order",
                                   Instance.subject_key == no)  # fmt: skip
        ).first()
        if po_inst is None or po_inst.state == "cancelled" or (
            _requirement_of(po_inst) != inst.subject_key
        ):
            bad.append(no)
    if bad:
        raise InvalidForm({"po_nos": (
            f"{', '.join(bad)}: no PO made from {inst.subject_key} / 不是依本需求单下的采购单")})
    return {}


def post(
    session: Session, requirement: Instance, po: PurchaseOrder, lines: list[Any], *,
    sign: int, now: datetime,
) -> None:
    """A PO made from ``requirement`` approved (+1) or cancelled (−1): its quantities in the
    plan's "PO posted" column (003 5.4.3), audited on the plan."""
    posted: dict[str, float] = {}
    for line in lines:
        posted[line.item_code] = posted.get(line.item_code, 0.0) + sign * line.qty
    data = dict(requirement.data)
    forms = dict(data.get("forms", {}))
    holder = next((k for k in reversed(list(forms)) if isinstance(forms[k], dict)
                   and isinstance(forms[k].get("rows"), list)), None)  # fmt: skip
    latest = forms[holder] if holder else next(
        (v for v in data.values() if isinstance(v, dict) and isinstance(v.get("rows"), list)), {}
    )
    rows = [dict(r) for r in latest.get("rows", [])]
    for row in rows:
        if row.get("item") in posted:
            row["po_posted"] = round((row.get("po_posted") or 0.0) + posted.pop(row["item"]), 3)
    if holder:
        forms[holder] = {**forms[holder], "rows": rows}
        data["forms"] = forms
    else:
        key = next((k for k, v in data.items() if v is latest), None)
        if key is not None:
            data[key] = {**latest, "rows": rows}
    requirement.data = data
    session.add(requirement)
    audit.on_instance(session, requirement, action="po_posted", actor=None, at=now,
                      detail={"po_no": po.po_no, "sign": sign,
                              "lines": {ln.item_code: ln.qty for ln in lines}})  # fmt: skip
