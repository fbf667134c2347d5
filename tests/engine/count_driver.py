"""Drives a §7 stock count through the engine for tests (and the demo's shapes)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from gendan import jobs, stock
from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.escalation import escalate_due
from gendan.models import CountLine, Instance, Item, StockCount
from gendan.system_starts import start_by_system
from tests.engine.plan_driver import local

COUNT_DAY = date(2026, 11, 27)  # a Friday; organise opens Wed 25th, is due end of Thu 26th
#: The book is frozen at 17:00 the day before the count day (lists ready a day ahead).
SET_TIME = local(2026, 11, 26, 17)
ITEMS = {"RM-STEEL": ("A", 100.0), "RM-BOLT": ("A", 500.0), "RM-PAINT": ("B", 40.0)}


def items_in_stock(d: Driver, at: datetime, warehouse: str = "RM") -> None:
    """Three items with stock in the warehouse, as imported at ``at``."""
    with unit_of_work(d.rt.db) as s:
        for code, (cls, qty) in ITEMS.items():
            if s.exec(select(Item).where(Item.code == code)).first() is None:
                s.add(Item(code=code, name=code, abc_class=cls, price=10.0, updated_at=at))
                s.flush()
            stock.move(s, item_code=code, qty=qty, kind="import", now=at,
                       calendar=d.rt.calendar, warehouse=warehouse)  # fmt: skip


def start_count(d: Driver, classes: tuple[str, ...] = ("A", "B", "C")) -> int:
    with unit_of_work(d.rt.db) as s:
        inst = start_by_system(
            s, procedure="stock_count",
            form_data={"kind": "cycle", "warehouses": ["RM"], "abc_classes": list(classes),
                       "count_date": COUNT_DAY.isoformat(), "period": "2026-11"},
            now=d.now, calendar=d.rt.calendar, cause={"schedule": "test"},
        )  # fmt: skip
        assert inst.id is not None
        return inst.id


PLAN = {"warehouses": ["RM"], "abc_classes": ["A", "B"], "counters": ["keeper", "wh_staff"],
        "supervisors": ["finance"], "tools": "电子秤、卷尺 / scale, tape"}  # fmt: skip


def sweep(d: Driver, at: datetime) -> None:
    d.now = at
    escalate_due(d.rt, now=at)


def run_jobs(d: Driver) -> list[jobs.JobRun]:
    return jobs.run_due(d.rt, now=d.now)


def round_form(n: int, counted: dict[str, float], counter: str = "wh_staff") -> dict[str, Any]:
    return {"round": n, "rows": [
        {"item_code": c, "location": "RM", "round": n, "counted": q, "counter": counter}
        for c, q in counted.items()
    ]}  # fmt: skip


def to_counting(d: Driver, iid: int) -> None:
    """Organise (Wed), agree with the set time (Wed), issue the lists (Thu)."""
    sweep(d, local(2026, 11, 25, 9))
    d.act(iid, "keeper", "organise", PLAN)
    d.act(iid, "finance", "agree_plan", {"snapshot_at": SET_TIME.isoformat()})
    [run] = run_jobs(d)  # [A] the lists generated
    assert run.event == "lists_generated"
    d.now = local(2026, 11, 26, 16)
    d.act(iid, "keeper", "issue_lists")


def count_lines(d: Driver, iid: int) -> list[CountLine]:
    with Session(d.rt.db) as s:
        count = s.exec(select(StockCount).where(StockCount.instance_id == iid)).one()
        return list(
            s.exec(
                select(CountLine)
                .where(CountLine.count_id == count.id)
                .order_by(CountLine.round, CountLine.item_code)
            ).all()
        )


def forms_of(d: Driver, iid: int) -> dict[str, Any]:
    with Session(d.rt.db) as s:
        inst = s.get(Instance, iid)
        assert inst is not None
        return inst.data.get("forms", {})
