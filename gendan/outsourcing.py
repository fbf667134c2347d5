"""Outsourcing's quantities (PROCEDURES.md §6): what each move writes (``Step.effect``) and
what the monthly lists compute from it.

Every paper that sends material to a subcontractor or takes work back writes
``OutsourcingLine`` rows: issues (材料出库单, 委外发料单, 外协物料调拨单) and receipts (the
inspected good, 工废, 料废 and unreasonable loss, at the agreed price). Material-level
outsourcing moves stock through ``gendan.stock.move`` (out of the raw-material store on the
材料出库单 and the 调拨单, the product in on the 采购入库单); operation-level work leaves and
comes back to the workshop (002 3.4.9 说明 1: 物料从车间直接发出和收回), so it moves no
warehouse stock.

Choice: material at a subcontractor has left the company's stock (the issue is a stock
``issue``), because it is no longer available to production and the safety-stock triggers
must see it go; what the subcontractor holds is the book leftover computed here.
Choice: the statement pays good and 料废 (work lost to the company's bad material) at the
price, not 工废 or unreasonable loss (the subcontractor's own), because 002 3.4.9 step 8 has
the 挂账单 fix what the company owes for the period's work.
Choice: the book leftover uses the BOM's ``qty_per`` (not the quota): what differs from it
is the deviation 003 5.7.9 asks the subcontractor to report to MC.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from gendan import stock
from gendan.calendar import BusinessCalendar
from gendan.effects import inform_now
from gendan.errors import InvalidForm
from gendan.models import BomLine, Instance, Item, OutsourcingLine, Stock, Subcontractor
from states import get_procedure
from states.base import Inform

RAW = "RM"  # the store material is issued from and products are received into


def _forms(inst: Instance) -> dict[str, Any]:
    return inst.data.get("forms", {})


def _totals(inst: Instance) -> dict[str, float]:
    return dict(inst.data.get("totals", {}))


def _set_totals(inst: Instance, **add: float) -> dict[str, float]:
    totals = _totals(inst)
    for key, qty in add.items():
        totals[key] = round(totals.get(key, 0.0) + qty, 3)
    inst.data = {**inst.data, "totals": totals}
    return totals


def _by_id(kw: dict[str, Any]) -> int | None:
    actor = kw.get("actor")
    return getattr(actor, "user_id", None) if actor is not None else kw.get("actor_id")


def check_subcontractor(session: Session, code: str, field: str) -> Subcontractor:
    found = session.exec(select(Subcontractor).where(Subcontractor.code == code)).first()
    if found is None:
        raise InvalidForm({field: f"no subcontractor {code} / 无此外协厂"})
    return found


def check_items(session: Session, rows: list[dict[str, Any]], field: str) -> None:
    """Every row's item is in the master data (422 on ``<field>.<n>.item_code``)."""
    codes = {r["item_code"] for r in rows}
    known = set(session.exec(select(Item.code).where(Item.code.in_(codes))).all())
    errors = {
        f"{field}.{n}.item_code": f"no item {r['item_code']} / 无此物料"
        for n, r in enumerate(rows)
        if r["item_code"] not in known
    }
    if errors:
        raise InvalidForm(errors)


def subcontractor_of(inst: Instance) -> str:
    return str(_forms(inst).get("plan", {}).get("subcontractor_code", ""))


def ordered_qty(inst: Instance) -> float:
    """What the outsourcing asks back: the 委外订单's products, or the 委外加工单's quantity."""
    forms = _forms(inst)
    if "process_order" in forms:
        return float(forms["process_order"]["qty"])
    return float(sum(r["qty"] for r in forms.get("place_order", {}).get("rows", [])))


def accounted(rows: list[dict[str, Any]]) -> float:
    """Inspected quantities that settle ordered work: good, both scraps and the loss."""
    return float(
        sum(r["good"] + r["scrap_work"] + r["scrap_material"] + r["loss"] for r in rows)
    )


# -- Step effects (``Step.effect``), called in the move's transaction -------------------------


def check_plan(session: Session, inst: Instance, values: dict[str, Any], **kw: Any) -> dict:
    """外购、外加工计划: the subcontractor and every item exist; a BOM parent it names has
    BOM lines (the plan is made from R&D's BOM, 001W 3.5.2.2)."""
    check_subcontractor(session, values["subcontractor_code"], "subcontractor_code")
    check_items(session, values["rows"], "rows")
    parent = values.get("bom_parent")
    has_bom = select(BomLine.id).where(BomLine.parent_code == parent)
    if parent and session.exec(has_bom).first() is None:
        raise InvalidForm({"bom_parent": f"no BOM lines for {parent} / 无此 BOM"})
    return {}


def check_order(session: Session, inst: Instance, values: dict[str, Any], **kw: Any) -> dict:
    """委外订单: products and materials are items of the master data."""
    check_items(session, values["rows"], "rows")
    check_items(session, values["materials"], "materials")
    return {}


def issue_material(session: Session, inst: Instance, values: dict[str, Any], **kw: Any) -> dict:
    """材料出库单: the material leaves the store for the subcontractor (refused beyond stock)."""
    sub, now = subcontractor_of(inst), kw["now"]
    check_items(session, values["rows"], "rows")
    for n, row in enumerate(values["rows"]):
        stock.move(
            session, item_code=row["item_code"], qty=-row["qty"], kind="issue", now=now,
            calendar=kw["calendar"], warehouse=RAW, ref=f"{inst.subject_key}/出库",
            instance_id=inst.id, by_id=_by_id(kw), field=f"rows.{n}.qty",
        )  # fmt: skip
        session.add(OutsourcingLine(
            instance_id=inst.id, ref=inst.subject_key, subcontractor_code=sub, level="material",
            kind="issue", item_code=row["item_code"], issued=row["qty"], at=now,
        ))  # fmt: skip
    issued = sum(r["qty"] for r in values["rows"])
    _set_totals(inst, issued=issued)
    return {"outsourcing.issued": {sub: issued}}


def receive_into_stock(
    session: Session, inst: Instance, values: dict[str, Any], **kw: Any
) -> dict:
    """采购入库单: no more of an item than inspection passed goes into stock; the receipt line
    (good, 工废, 料废, loss, price) is recorded for the 挂账单."""
    sub, now = subcontractor_of(inst), kw["now"]
    passed_rows = _forms(inst).get("inspection_passed", {}).get("rows", [])
    inspected = {r["item_code"]: r for r in passed_rows}
    ordered = _forms(inst).get("place_order", {}).get("rows", [])
    prices = {r["item_code"]: r["price"] for r in ordered}
    errors = {}
    for n, row in enumerate(values["rows"]):
        passed = inspected.get(row["item_code"])
        if passed is None:
            errors[f"rows.{n}.item_code"] = "not inspected / 未经检验"
        elif row["qty"] > passed["good"]:
            errors[f"rows.{n}.qty"] = f"only {passed['good']:g} passed inspection / 超过检验合格数"
    if errors:
        raise InvalidForm(errors)
    for n, row in enumerate(values["rows"]):
        passed = inspected[row["item_code"]]
        stock.move(
            session, item_code=row["item_code"], qty=row["qty"], kind="receipt", now=now,
            calendar=kw["calendar"], warehouse=RAW, ref=f"{inst.subject_key}/入库",
            instance_id=inst.id, by_id=_by_id(kw), field=f"rows.{n}.qty",
        )  # fmt: skip
        session.add(OutsourcingLine(
            instance_id=inst.id, ref=inst.subject_key, subcontractor_code=sub, level="material",
            kind="receipt", item_code=row["item_code"], good=row["qty"],
            scrap_work=passed["scrap_work"], scrap_material=passed["scrap_material"],
            loss=passed["loss"], price=prices.get(row["item_code"], 0.0), at=now,
        ))  # fmt: skip
    _set_totals(inst, accounted=accounted(list(inspected.values())))
    return {}


def return_to_subcontractor(
    session: Session, inst: Instance, values: dict[str, Any], **kw: Any
) -> dict:
    """到货退回单 → §8c (002 3.4.8 step 5): the supplier return starts, linked, by the system,
    with the subcontractor in the supplier's place: the goods never entered stock, and the
    buyer has them replaced (3-5 days) while this outsourcing waits for the redelivery."""
    from gendan.receiving_steps import start_return

    report = {
        "supplier": subcontractor_of(inst),
        "order_no": inst.order_no or None,
        "received_at": kw["now"].isoformat(),
        "from_stock": False,
        "rows": [{"item_code": r["item_code"], "qty": r["qty"], "defect": values["reason"][:200]}
                 for r in values["rows"]],
        "remarks": f"委外到货退回 / outsourced goods returned: {inst.subject_key}",
    }  # fmt: skip
    child = start_return(session, inst, report, now=kw["now"], calendar=kw["calendar"],
                         cause={"outsourcing": inst.subject_key, "event": "return_goods"})
    return {"supplier_return": {"old": None, "new": child.subject_key}}


def check_process_order(
    session: Session, inst: Instance, values: dict[str, Any], **kw: Any
) -> dict:
    check_items(session, [values], "")  # one item: its field is "item_code"
    return {}


def issue_operation_batch(
    session: Session, inst: Instance, values: dict[str, Any], **kw: Any
) -> dict:
    """委外发料单: the batch leaves the workshop for the subcontractor (no warehouse stock)."""
    order = _forms(inst)["process_order"]
    sub, now = subcontractor_of(inst), kw["now"]
    errors = {
        f"rows.{n}.item_code": f"the order is for {order['item_code']} / 须为加工单物料"
        for n, r in enumerate(values["rows"])
        if r["item_code"] != order["item_code"]
    }
    issued = sum(r["qty"] for r in values["rows"])
    if not errors and _totals(inst).get("issued", 0.0) + issued > order["qty"]:
        errors["rows.0.qty"] = f"more than the order's {order['qty']:g} / 超过加工单数量"
    if errors:
        raise InvalidForm(errors)
    for row in values["rows"]:
        session.add(OutsourcingLine(
            instance_id=inst.id, ref=inst.subject_key, subcontractor_code=sub,
            level="operation", kind="issue", item_code=row["item_code"],
            operation=order["operation"], issued=row["qty"], at=now,
        ))  # fmt: skip
    _set_totals(inst, issued=issued)
    return {"outsourcing.issued": {sub: issued}}


def record_operation_receipt(
    session: Session, inst: Instance, values: dict[str, Any], **kw: Any
) -> dict:
    """检验单 of a 委外收料单: good goes on to the next operation; the line is recorded."""
    order = _forms(inst)["process_order"]
    sub, now = subcontractor_of(inst), kw["now"]
    for row in values["rows"]:
        session.add(OutsourcingLine(
            instance_id=inst.id, ref=inst.subject_key, subcontractor_code=sub,
            level="operation", kind="receipt", item_code=row["item_code"],
            operation=order["operation"], good=row["good"], scrap_work=row["scrap_work"],
            scrap_material=row["scrap_material"], loss=row["loss"], price=order["price"], at=now,
        ))  # fmt: skip
    _set_totals(inst, accounted=accounted(values["rows"]))
    # good work goes on to the next operation: the workshop's head is told (3.4.9 step 7)
    return inform_now(session, inst=inst, proc=get_procedure(inst.procedure),
                      group=Inform(heads=("workshop",)), tag="next_operation", now=now)


def check_transfer(session: Session, inst: Instance, values: dict[str, Any], **kw: Any) -> dict:
    """外协物料调拨单: only items that have arrived (on hand in the store) are transferred."""
    check_items(session, values["rows"], "rows")
    errors = {}
    for n, row in enumerate(values["rows"]):
        on_hand = session.exec(
            select(Stock.on_hand).where(Stock.item_code == row["item_code"], Stock.warehouse == RAW)
        ).first() or 0.0
        if row["qty"] > on_hand:
            errors[f"rows.{n}.qty"] = f"only {on_hand:g} arrived / 到货不足，不能调拨"
    if errors:
        raise InvalidForm(errors)
    return {}


def check_pickup_list(
    session: Session, inst: Instance, values: dict[str, Any], **kw: Any
) -> dict:
    check_subcontractor(session, values["subcontractor_code"], "subcontractor_code")
    check_items(session, values["rows"], "rows")
    return {}


def picked_up(session: Session, inst: Instance, values: dict[str, Any], **kw: Any) -> dict:
    """The subcontractor took the transfer note's items: they leave the store."""
    note = _forms(inst)["transfer"]
    sub, now = inst.data["list"]["subcontractor_code"], kw["now"]
    for n, row in enumerate(note["rows"]):
        stock.move(
            session, item_code=row["item_code"], qty=-row["qty"], kind="issue", now=now,
            calendar=kw["calendar"], warehouse=RAW, ref=f"{inst.subject_key}/调拨",
            instance_id=inst.id, by_id=_by_id(kw), field=f"rows.{n}.qty",
        )  # fmt: skip
        session.add(OutsourcingLine(
            instance_id=inst.id, ref=inst.subject_key, subcontractor_code=sub, level="material",
            kind="issue", item_code=row["item_code"], issued=row["qty"], at=now,
        ))  # fmt: skip
    return {"outsourcing.issued": {sub: sum(r["qty"] for r in note["rows"])}}


def start_from_plan(session: Session, inst: Instance, values: dict[str, Any], **kw: Any) -> dict:
    """§3's group GM approved outsourcing (001M 2.2.2(3)): §6 starts as the plan's linked
    child (``states.production_plan.OUTSOURCING``), at its plan — approved once, not twice."""
    from gendan.links import start_child
    from states.production_plan import OUTSOURCING, ProductionPlan

    child = start_child(session, parent=inst, proc=ProductionPlan, child=OUTSOURCING,
                        now=kw["now"], calendar=kw["calendar"], by=_by_id(kw))  # fmt: skip
    return {"outsourcing": child.subject_key} if child is not None else {}


# -- The month (委外挂账单, 余料明细清单) ---------------------------------------------------


def month_bounds(period: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The month ``"2026-11"`` as [first instant, first instant of the next) in UTC."""
    year, month = (int(x) for x in period.split("-"))
    first = date(year, month, 1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(nxt, time(), zone)
    return start, end


def statement_rows(
    session: Session, code: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """委外挂账单 rows: the period's receipts per item, operation and price, with the amount."""
    rows = session.exec(
        select(OutsourcingLine).where(
            OutsourcingLine.subcontractor_code == code,
            OutsourcingLine.kind == "receipt",
            OutsourcingLine.at >= start,
            OutsourcingLine.at < end,
        )
    ).all()
    sums: dict[tuple[str, str, float], dict[str, float]] = defaultdict(
        lambda: {"good": 0.0, "scrap_work": 0.0, "scrap_material": 0.0, "loss": 0.0}
    )
    for r in rows:
        s = sums[(r.item_code, r.operation, r.price)]
        for key in s:
            s[key] += getattr(r, key)
    out = []
    for (item, operation, price), s in sorted(sums.items()):
        rounded = {k: round(v, 3) for k, v in s.items()}
        amount = round((rounded["good"] + rounded["scrap_material"]) * price, 2)
        out.append({"item_code": item, "operation": operation or None, **rounded,
                    "price": price, "amount": amount})  # fmt: skip
    return out


def book_leftovers(session: Session, code: str, end: datetime) -> dict[str, float]:
    """What the subcontractor should still hold at ``end``: issued less what the receipts
    used (material-level: the BOM's qty_per of each received product; operation: 1:1)."""
    lines = session.exec(
        select(OutsourcingLine).where(
            OutsourcingLine.subcontractor_code == code, OutsourcingLine.at < end
        )
    ).all()
    held: dict[str, float] = defaultdict(float)
    for line in lines:
        if line.kind == "issue":
            held[line.item_code] += line.issued
            continue
        used = line.good + line.scrap_work + line.scrap_material + line.loss
        if line.level == "operation":
            held[line.item_code] -= used
            continue
        for bom in session.exec(select(BomLine).where(BomLine.parent_code == line.item_code)):
            held[bom.component_code] -= used * bom.qty_per
    return {item: round(qty, 3) for item, qty in sorted(held.items())}


def compute_month(session: Session, inst: Instance, values: dict[str, Any], **kw: Any) -> dict:
    """[A] At the start of a subcontractor's month: its 挂账 rows and book leftovers."""
    code = values["subcontractor_code"]
    check_subcontractor(session, code, "subcontractor_code")
    calendar: BusinessCalendar = kw["calendar"]
    start, end = month_bounds(values["period"], calendar.zone)
    rows = statement_rows(session, code, start, end)
    leftovers = [{"item_code": i, "qty": q} for i, q in book_leftovers(session, code, end).items()]
    inst.data = {**inst.data, "month": {**inst.data["month"], "rows": rows, "leftovers": leftovers}}
    return {"computed": {"rows": len(rows), "leftovers": len(leftovers)}}


def check_statement(session: Session, inst: Instance, values: dict[str, Any], **kw: Any) -> dict:
    """The 挂账单 as issued must carry the recorded quantities (formed from the 收料单 and the
    不良品处理单, 002 3.4.9 step 8) and amounts that follow from them."""
    computed = {(r["item_code"], r.get("operation") or ""): r for r in inst.data["month"]["rows"]}
    errors: dict[str, str] = {}
    seen = set()
    for n, row in enumerate(values["rows"]):
        key = (row["item_code"], row.get("operation") or "")
        seen.add(key)
        want = computed.get(key)
        if want is None:
            errors[f"rows.{n}.item_code"] = "nothing received this month / 本月无收料"
            continue
        for name in ("good", "scrap_work", "scrap_material", "loss"):
            if abs(row[name] - want[name]) > 1e-6:
                errors[f"rows.{n}.{name}"] = f"recorded {want[name]:g} / 与收料记录不符"
        amount = round((row["good"] + row["scrap_material"]) * row["price"], 2)
        if abs(row["amount"] - amount) > 0.005:
            errors[f"rows.{n}.amount"] = f"(good + 料废) × price = {amount:.2f} / 金额不符"
    for key in (k for k in computed if k not in seen):
        errors.setdefault("rows", f"missing {key[0]} / 漏列 {key[0]}")
    if errors:
        raise InvalidForm(errors)
    return {}


def leftover_deviations(
    session: Session, inst: Instance, values: dict[str, Any], **kw: Any
) -> dict:
    """余料明细清单 against the book: each item whose reported leftover differs (BOM
    deviation, 003 5.7.9) is kept for MC, who is informed."""
    book = {r["item_code"]: r["qty"] for r in inst.data["month"]["leftovers"]}
    reported = {r["item_code"]: r["qty"] for r in values["reported"]}
    deviations = [
        {"item_code": item, "book": book.get(item, 0.0), "reported": reported.get(item, 0.0),
         "deviation": round(reported.get(item, 0.0) - book.get(item, 0.0), 3)}
        for item in sorted(set(book) | set(reported))
        if abs(reported.get(item, 0.0) - book.get(item, 0.0)) > 1e-6
    ]  # fmt: skip
    inst.data = {**inst.data, "deviations": deviations}
    return {"deviations": deviations} if deviations else {}
