"""Demo outsourcing (§6): subcontractors, items, a BOM line and stock, and instances at its
stages, moved by the engine: a request awaiting the group GM, a material-level order at the
subcontractor (material issued), an operation-level order waiting for its issue batch and a
pick-up list under review. The forms are the ones the engine tests use too.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from gendan import stock
from gendan.calendar import BusinessCalendar
from gendan.models import BomLine, Department, Item, Stock, Subcontractor, User, UserRole

if TYPE_CHECKING:
    from gendan.demo import Driver

SUB, SUB2 = "WX01", "WX02"
SHEET, BOLT, CASE, FRAME = "M-SHEET", "M-BOLT", "P-CASE", "P-FRAME"
#: code → (name, spec, unit); the case is made outside from two sheets (BOM line below).
ITEMS = {
    SHEET: ("冷轧钢板", "1.5mm 1000×2000", "张"),
    BOLT: ("镀锌螺栓", "M8×25", "个"),
    CASE: ("柜体外壳（委外冲压）", "GGD-2200", "件"),
    FRAME: ("柜架（委外喷涂工序）", "GGD-2200", "件"),
}
SUBCONTRACTORS = {SUB: ("宁波精工钣金厂", "冲压, 折弯"), SUB2: ("慈溪华彩喷涂厂", "喷涂")}
OPENING_STOCK = {SHEET: 100.0, BOLT: 20.0}


def seed_master(session: Session, *, now: datetime, calendar: BusinessCalendar) -> None:
    """Items, subcontractors, the case's BOM line and opening stock — each only if missing;
    and the outsourcing coordinator as 外协物料调拨员 in MC (the small-factory rule)."""
    for code, (name, spec, unit) in ITEMS.items():
        if session.exec(select(Item).where(Item.code == code)).first() is None:
            session.add(Item(code=code, name=name, spec=spec, stock_unit=unit, updated_at=now))
    for code, (name, ops) in SUBCONTRACTORS.items():
        if session.exec(select(Subcontractor).where(Subcontractor.code == code)).first() is None:
            session.add(Subcontractor(code=code, name=name, operations=ops, updated_at=now))
    bom = select(BomLine).where(BomLine.parent_code == CASE, BomLine.component_code == SHEET)
    if session.exec(bom).first() is None:
        session.add(BomLine(parent_code=CASE, component_code=SHEET, qty_per=2.0, unit="张",
                            quota=2.1, updated_at=now))  # fmt: skip
    session.flush()
    for code, qty in OPENING_STOCK.items():
        if session.exec(select(Stock).where(Stock.item_code == code)).first() is None:
            stock.move(session, item_code=code, qty=qty, kind="import", now=now,
                       calendar=calendar, ref="demo opening stock")  # fmt: skip
    clerk_role(session)


def clerk_role(session: Session, username: str = "outsource") -> None:
    """PROCEDURES.md: the 外协物料调拨员 is the outsourcing coordinator in a small factory;
    the role sits in material control (003 5.7.8: the list is faxed to 物控科)."""
    user = session.exec(select(User).where(User.username == username)).first()
    mc = session.exec(select(Department).where(Department.key == "material_control")).first()
    if user is None or mc is None:
        return
    held = select(UserRole).where(
        UserRole.user_id == user.id, UserRole.role == "subcon_material_clerk"
    )
    if session.exec(held).first() is None:
        session.add(UserRole(user_id=user.id, role="subcon_material_clerk", department_id=mc.id))
        session.flush()


def request(level: str, *, orders: str | None = None) -> dict[str, Any]:
    work = {"material": "柜体外壳冲压（来料加工）", "operation": "柜架喷涂工序"}[level]
    return {"orders": orders, "reason": "capacity", "work": work, "level": level,
            "subcontractor_code": SUB if level == "material" else SUB2}  # fmt: skip


def plan(level: str, need: date) -> dict[str, Any]:
    item = CASE if level == "material" else FRAME
    return {"level": level, "subcontractor_code": SUB if level == "material" else SUB2,
            "bom_parent": CASE if level == "material" else None, "bom_reviewed": True,
            "rows": [{"item_code": item, "qty": 10, "need_date": need.isoformat()}]}  # fmt: skip


CONTRACT = {"contract_no": "WX-HT-2026-031", "technical_agreement": "JS-XY-2026-031"}


def order(due: date) -> dict[str, Any]:
    return {"rows": [{"item_code": CASE, "qty": 10, "price": 12.5, "due": due.isoformat()}],
            "materials": [{"item_code": SHEET, "qty": 20}]}  # fmt: skip


PROCESS_ORDER = {"item_code": FRAME, "operation": "喷涂", "previous_operation": "焊接",
                 "qty": 10, "price": 3.0, "issue_batch": 4}  # fmt: skip


def to_execution(d: Driver, level: str, need: date, *, orders: str | None = None) -> int:
    """Requested by the GM, approved, planned, contract signed: purchasing executes."""
    iid = d.start("outsourcing", "gm", request(level, orders=orders))
    d.act(iid, "group_gm", "approve")
    d.act(iid, "planner", "plan", plan(level, need))
    d.act(iid, "gm", "sign_contract", CONTRACT)
    return iid


def pickup_list(received: datetime, pickup: date, list_no: str = "WX01-1124") -> dict[str, Any]:
    return {"list_no": list_no, "subcontractor_code": SUB, "received_at": received.isoformat(),
            "pickup_date": pickup.isoformat(),
            "rows": [{"item_code": SHEET, "qty": 10}, {"item_code": BOLT, "qty": 50}]}  # fmt: skip


def outsourcing_stages(d: Driver) -> None:
    """The demo's §6: one instance at each of four stages."""
    from gendan.db import unit_of_work

    with unit_of_work(d.rt.db) as s:
        seed_master(s, now=d.now, calendar=d.rt.calendar)
    need = (d.now + timedelta(days=20)).date()
    d.start("outsourcing", "gm", request("material", orders="SO-2026-0012"))  # group GM's turn
    mat = to_execution(d, "material", need, orders="SO-2026-0010")
    d.act(mat, "buyer", "execute")
    d.act(mat, "planner", "place_order", order(need))
    d.act(mat, "outsource", "subcontractor_confirmed", {"confirmed_on": d.now.date().isoformat(),
                                          "contact": "王厂长"})  # fmt: skip
    d.act(mat, "keeper", "issue_material", {"rows": [{"item_code": SHEET, "qty": 20}]})
    op = to_execution(d, "operation", need, orders="SO-2026-0011")
    d.act(op, "buyer", "execute")
    d.act(op, "outsource", "process_order", PROCESS_ORDER)
    d.act(op, "workshop", "report_done", {"done_qty": 2})  # below the batch: still waiting
    d.start("subcon_pickup", "outsource", pickup_list(d.now, d.now.date() + timedelta(days=1)))
