"""The 欠缺/急需物料统计表 (PROCEDURES.md §5g; 003 5.5.5-5.5.6) through the engine on a real
database, time injected: a late supplier on a placed PO raises it as a linked list; MC reports
(purchasing) or answers (production) within 30 WM, then the daily progress, the superior's
help, and its items urgent until all arrived."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.demo_purchasing import PO_CHECK, ensure_master, po_form
from gendan.errors import InvalidForm
from gendan.models import Instance, Item
from tests.engine.helpers import instance
from tests.engine.plan_driver import act, state, sweep, tasks_of

ROWS = [{"item": "RM-BUSBAR-60", "qty": 30, "need_date": "2026-12-01"}]
ANSWER = {"rows": [{**ROWS[0], "eta": "2026-11-30"}], "progress": "已催 / chased"}


@pytest.fixture
def d(driver: Driver) -> Driver:
    with unit_of_work(driver.rt.db) as s:
        ensure_master(s, driver.now)
    return driver


def urgent(d: Driver, code: str) -> bool:
    with Session(d.rt.db) as s:
        return s.exec(select(Item).where(Item.code == code)).one().urgent


def test_production_list_answered_tracked_and_cleared(d: Driver) -> None:
    form = {"source": "production", "received_at": (d.now - timedelta(minutes=5)).isoformat(),
            "rows": ROWS}  # fmt: skip
    iid = d.start("shortage_list", "prod_mgr", form)
    assert instance(d.rt, iid).subject_key == f"QL-{iid:06d}"
    assert urgent(d, "RM-BUSBAR-60")
    [task] = tasks_of(d, iid)
    assert task.due_at == d.now + timedelta(minutes=25)  # 30 WM from the list's receipt
    with pytest.raises(InvalidForm) as exc:  # every item's arrival date
        act(d, iid, "mc", "answered", {"rows": ROWS, "progress": "查询中"})
    assert "rows.0.eta" in exc.value.errors
    act(d, iid, "mc", "answered", ANSWER)
    assert state(d, iid) == "tracking"
    [first] = tasks_of(d, iid)
    assert first.due_at.date() == d.now.date()  # the first progress report: the same day
    act(d, iid, "mc", "progress", ANSWER)
    [later] = tasks_of(d, iid)
    assert "次日" in later.title_zh
    act(d, iid, "mc", "cannot_supply", reason="供应商停产 / discontinued")
    act(d, iid, "mc_head", "helped", ANSWER)
    act(d, iid, "mc", "all_arrived")
    assert state(d, iid) == "done" and not urgent(d, "RM-BUSBAR-60")


def test_a_late_supplier_raises_the_list_and_an_item_stays_urgent_while_listed(
    d: Driver,
) -> None:
    po = d.start("purchase_order", "buyer", po_form(date(2026, 12, 21), item="RM-BUSBAR-60",
                                                    supplier="SUP-COPPER", price=68))  # fmt: skip
    act(d, po, "mc", "mc_checked", PO_CHECK)
    act(d, po, "purch_lead", "approve")
    [confirm] = [t for t in tasks_of(d, po, "scheduled") if "发货时间" in t.title_zh]
    sweep(d, confirm.opens_at)
    act(d, po, "buyer", "confirm_dispatch", {"dispatch_date": "2026-12-22", "on_plan": False,
                                             "contact": "王"})  # fmt: skip
    with Session(d.rt.db) as s:
        [kid] = s.exec(select(Instance).where(Instance.procedure == "shortage_list")).all()
    assert kid.data["shortage"]["rows"][0]["need_date"] == "2026-12-21"
    assert kid.state == "answering" and urgent(d, "RM-BUSBAR-60")
    other = d.start("shortage_list", "mc", {"source": "purchasing", "rows": ROWS})
    act(d, kid.id, "mc", "answered", ANSWER)
    act(d, kid.id, "mc", "all_arrived")
    assert urgent(d, "RM-BUSBAR-60")  # the other open list still names it
    act(d, other, "mc", "answered", ANSWER)
    act(d, other, "mc", "all_arrived")
    assert not urgent(d, "RM-BUSBAR-60")  # the last list naming it is closed
    with unit_of_work(d.rt.db) as s:  # urgent in the master data: the lists leave it so
        item = s.exec(select(Item).where(Item.code == "RM-STEEL-1.5")).one()
        item.urgent = True
        s.add(item)
    steel = d.start("shortage_list", "mc", {"source": "purchasing", "rows": [
        {"item": "RM-STEEL-1.5", "qty": 3, "need_date": "2026-12-21"}]})  # fmt: skip
    act(d, steel, "mc", "answered", {"rows": [{"item": "RM-STEEL-1.5", "qty": 3,
                                               "need_date": "2026-12-21", "eta": "2026-12-20"}],
                                     "progress": "到"})  # fmt: skip
    act(d, steel, "mc", "all_arrived")
    assert urgent(d, "RM-STEEL-1.5")
