"""Demo data of material issue, returns and batch close (§5j, §8d, §8e): a cabinet's BOM with
quotas, stock in the raw-material store, and instances at several stages.

Master rows are made only when missing (another part of the demo, or an import, may have
made them already), so loading twice changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.models import BomLine, Instance, Item, Stock

PRODUCT = "CAB-100"
#: code → (name, spec, unit, material class)
ITEMS = {
    PRODUCT: ("配电柜体", "800×600×2000", "台", "成品"),
    "BD-18": ("冷轧板", "1.8mm 1250×2500", "张", "主料"),
    "GL-5": ("钢化玻璃", "5mm 600×400", "块", "主料"),
    "CT-01": ("包装纸箱", "850×650×2100", "个", "辅料"),
    "SC-M4": ("螺丝", "M4×12", "只", "辅料"),
}
#: component → (qty per cabinet, quota per cabinet incl. allowed loss)
BOM = {"BD-18": (2.0, 2.1), "GL-5": (1.0, 1.0), "CT-01": (1.0, 1.0)}
STOCK = {"BD-18": 400.0, "GL-5": 30.0, "CT-01": 120.0, "SC-M4": 5000.0}


def ensure_masters(session: Session, now: datetime) -> None:
    """Items, the cabinet's BOM lines and opening stock (only the rows still missing)."""
    for code, (name, spec, unit, cls) in ITEMS.items():
        if session.exec(select(Item.id).where(Item.code == code)).first() is None:
            session.add(Item(code=code, name=name, spec=spec, stock_unit=unit,
                             material_class=cls, updated_at=now))  # fmt: skip
    for comp, (per, quota) in BOM.items():
        found = session.exec(
            select(BomLine.id).where(BomLine.parent_code == PRODUCT, BomLine.component_code == comp)
        ).first()
        if found is None:
            session.add(BomLine(parent_code=PRODUCT, component_code=comp, qty_per=per,
                                quota=quota, unit=ITEMS[comp][2], updated_at=now))  # fmt: skip
    for code, qty in STOCK.items():
        found = session.exec(
            select(Stock.id).where(Stock.item_code == code, Stock.warehouse == "RM")
        ).first()
        if found is None:
            session.add(Stock(item_code=code, warehouse="RM", on_hand=qty, as_of=now))
    session.flush()


def plan_form(batch_no: str, start: str, qty: float = 50) -> dict[str, Any]:
    """A weekly plan of ``qty`` cabinets starting ``start`` (ISO date), done 4 days later."""
    end = (date.fromisoformat(start) + timedelta(days=4)).isoformat()
    return {"batch_no": batch_no, "plan_start": start, "plan_end": end,
            "rows": [{"product_code": PRODUCT, "qty": qty}]}  # fmt: skip


def issue_stages(d: Any) -> None:
    """Instances in several states, driven through the engine by ``d`` (gendan.demo.Driver):
    a weekly plan waiting for its quota sheet (GL-5 short: a 物料跟催单 open), a batch being
    issued with a borrowed pack, a return slip at QC, a batch close at QA. Loaded once."""
    from gendan.jobs import run_due

    rt = d.rt
    with unit_of_work(rt.db) as s:
        ensure_masters(s, d.now)
        if s.exec(select(Instance.id).where(Instance.procedure == "material_issue")).first():
            return
    start = d.now.date() + timedelta(days=7)
    d.start("material_issue", "mc", plan_form("WP-2026-48", start.isoformat(), 40))
    second = d.start("material_issue", "mc", plan_form("WP-2026-47", d.now.date().isoformat(), 10))
    run_due(rt, now=d.now)
    d.act(second, "mc", "prepare_sheet", {"rows": []})
    d.act(second, "keeper", "materials_prepared", {})
    d.act(second, "keeper", "issue", {"rows": [
        {"item_code": "BD-18", "qty": 21}, {"item_code": "CT-01", "qty": 12, "whole_pack": True},
    ]})  # fmt: skip
    slip = {"batch_no": "WP-2026-47", "received_at": d.now.isoformat(), "labelled": True,
            "rows": [{"item_code": "BD-18", "qty": 2, "defect": "划伤 / scratched"}]}  # fmt: skip
    d.start("material_return", "workshop", slip)
    close = d.start("batch_close", "workshop",
                    {"batch_no": "WP-2026-40", "received_at": d.now.isoformat()})  # fmt: skip
    d.act(close, "workshop", "list_leftovers", {"rows": [{"item_code": "SC-M4", "qty": 40}]})
