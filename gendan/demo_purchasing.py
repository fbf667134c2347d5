"""Demo purchasing (§5c-§5g): purchase orders, a requirement plan, a requisition and a list
of urgent materials at several stages, on the demo materials (``gendan.demo_materials``).

``ensure_master`` makes the few items, suppliers and prices the purchasing tests use (codes
RM-…, SUP-…), only those missing; ``po_form`` is a one-line 采购单 for tests and the demo.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.models import Item, Stock, Supplier, SupplierPrice

#: code → (name, spec, unit, lead days, max qty, price)
ITEMS = {
    "RM-STEEL-1.5": ("冷轧钢板", "1.5 mm × 1250 × 2500", "张", 5, 0.0, 180.0),
    "RM-BUSBAR-60": ("铜排", "TMY 60 × 6", "kg", 7, 0.0, 68.0),
    "RM-BREAKER-630": ("框架断路器", "630 A 3P", "台", 10, 40.0, 2300.0),
}
SUPPLIERS = {
    "SUP-BAOGANG": ("宁波宝钢钢板经销部", True),
    "SUP-COPPER": ("余姚铜材厂", True),
    "SUP-UNLISTED": ("未评审供应商", False),
}
PRICES = {
    ("SUP-BAOGANG", "RM-STEEL-1.5"): 180.0,
    ("SUP-COPPER", "RM-BUSBAR-60"): 68.0,
    ("SUP-BAOGANG", "RM-BREAKER-630"): 2300.0,
}


def ensure_master(session: Session, now: datetime) -> None:
    """The demo items, suppliers, prices and stock rows POs use (only those missing)."""
    for code, (name, spec, unit, lead, max_qty, price) in ITEMS.items():
        if session.exec(select(Item).where(Item.code == code)).first() is None:
            session.add(Item(code=code, name=name, spec=spec, stock_unit=unit, lead_days=lead,
                             max_qty=max_qty, price=price, updated_at=now))  # fmt: skip
        if session.exec(select(Stock).where(Stock.item_code == code)).first() is None:
            session.add(Stock(item_code=code, warehouse="RM", on_hand=10.0, as_of=now))
    for code, (name, approved) in SUPPLIERS.items():
        if session.exec(select(Supplier).where(Supplier.code == code)).first() is None:
            session.add(Supplier(code=code, name=name, approved=approved, updated_at=now))
    for (supplier, item), price in PRICES.items():
        found = session.exec(
            select(SupplierPrice).where(
                SupplierPrice.supplier_code == supplier, SupplierPrice.item_code == item
            )
        ).first()
        if found is None:
            session.add(SupplierPrice(supplier_code=supplier, item_code=item, price=price,
                                      updated_at=now))  # fmt: skip
    session.flush()


def po_form(
    due: date,
    *,
    supplier: str = "SUP-BAOGANG",
    item: str = "RM-STEEL-1.5",
    qty: float = 50,
    price: float = 180.0,
    orders: str = "",
    requirement: str | None = None,
    received_at: datetime | None = None,
) -> dict[str, Any]:
    """A 采购单 of one line."""
    form: dict[str, Any] = {
        "supplier_code": supplier,
        "orders": orders,
        "rows": [{"item": item, "qty": qty, "price": price, "due": due.isoformat()}],
    }
    if requirement:
        form["requirement"] = requirement
    if received_at:
        form["received_at"] = received_at.isoformat()
    return form


PO_CHECK = {"qty_ok": True, "code_ok": True, "spec_ok": True, "no_duplicate": True}
ARRIVAL_OK = {"matches_notice": True, "told_production": True}


def purchasing(d: Any) -> None:
    """The demo's purchasing on the demo materials (``gendan.demo_materials``): a PO waiting
    for MC's check, one above the price file at finance, one placed and chased (its dispatch
    confirmation opens 5 WD before its due date), a requirement plan at the PMC manager, a
    requisition waiting for its automatic route, production's list of urgent materials.
    Each serves its own demo order, so the demo lists them by order."""
    from gendan.models import Instance

    with unit_of_work(d.rt.db) as s:
        if s.exec(select(Instance.id).where(Instance.procedure == "purchase_order")).first():
            return  # loaded already
    today = d.now.date()
    due = today + timedelta(days=30)
    d.start("purchase_order", "buyer", po_form(due, supplier="S001", item="CAB-SHEET", qty=50,
                                               price=265, orders="SO-2026-0010"))  # fmt: skip
    pricey = d.start("purchase_order", "buyer", po_form(due, supplier="S002", item="BRK-DZ47",
                                                        qty=300, price=21,
                                                        orders="SO-2026-0011"))  # fmt: skip
    d.act(pricey, "mc", "mc_checked", PO_CHECK)
    placed = d.start("purchase_order", "buyer", po_form(
        today + timedelta(days=21), supplier="S003", item="BUS-TMY60", qty=120, price=218,
        orders="SO-2026-0012"))  # fmt: skip
    d.act(placed, "mc", "mc_checked", PO_CHECK)
    d.act(placed, "purch_lead", "approve")
    need = (today + timedelta(days=14)).isoformat()
    rows = [{"item": "CAB-SHEET", "qty": 72, "need_date": need},
            {"item": "BUS-TMY60", "qty": 144, "need_date": need}]  # fmt: skip
    plan = d.start("requirement_plan", "mc", {"order_no": "SO-2026-0008", "rows": rows})
    d.act(plan, "mc", "plan", {"rows": rows})
    d.start("requisition", "mc", {
        "req_class": "order", "department": "material_control", "orders": "SO-2026-0009",
        "rows": [{"item": "LOCK-MS705", "qty": 24, "need_date": need}]})  # fmt: skip
    d.start("shortage_list", "prod_mgr", {
        "source": "production", "orders": "SO-2026-0002",
        "rows": [{"item": "BRK-DZ47", "qty": 48, "need_date": need}]})  # fmt: skip
