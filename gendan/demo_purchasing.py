"""Demo purchasing (§5f, §5g): purchase orders at several stages, on demo master data.

The few items, suppliers and prices the POs need are made here when the materials demo
(``gendan.demo_materials``) has not made them: ``ensure_master`` adds only what is missing,
so running it twice, or after the materials demo, changes nothing.
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


def seed_purchasing(driver: Any) -> list[int]:
    """Demo POs: one waiting for MC's check, one with a price above the file at finance, one
    placed and chased (its dispatch confirmation opens 5 WD before its due date)."""
    with unit_of_work(driver.rt.db) as s:
        ensure_master(s, driver.now)
    today = driver.now.date()
    made = [driver.start("purchase_order", "buyer", po_form(today + timedelta(days=30)))]
    pricey = po_form(today + timedelta(days=30), price=195.0)
    made.append(driver.start("purchase_order", "buyer", pricey))
    driver.act(made[-1], "mc", "checked", PO_CHECK)
    placed = po_form(today + timedelta(days=21), supplier="SUP-COPPER", item="RM-BUSBAR-60",
                     qty=120, price=68.0)  # fmt: skip
    made.append(driver.start("purchase_order", "buyer", placed))
    driver.act(made[-1], "mc", "checked", PO_CHECK)
    driver.act(made[-1], "purch_lead", "approve")
    return made
