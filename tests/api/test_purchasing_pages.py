"""The 采购单未下单明细表 (§5f; 003 5.5.1) through HTTP (real uvicorn on loopback): a plan
handed to purchasing is listed until a PO is made from it, overdue after two working days;
the month's count says how many came back in time, late or are still open; strangers 403."""

from __future__ import annotations

from datetime import date, timedelta

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.demo_purchasing import ensure_master, po_form
from gendan.runtime import Runtime
from tests.api.conftest import Clock, api_client
from tests.api.test_pages import login
from tests.engine.helpers import instance
from tests.engine.plan_driver import act, released

ROWS = {"rows": [{"item": "RM-STEEL-1.5", "qty": 60, "need_date": "2026-12-18"}]}


def handed_over(d: Driver, order_no: str) -> str:
    released(d, order_no)
    iid = d.start("requirement_plan", "mc", {"order_no": order_no})
    act(d, iid, "mc", "plan", ROWS)
    act(d, iid, "pmc", "approve")
    return instance(d.rt, iid).subject_key


def test_unplaced_list_and_monthly_count(rt: Runtime, server: str, clock: Clock) -> None:
    d = Driver(rt, clock.now)
    with unit_of_work(rt.db) as s:
        ensure_master(s, d.now)
    late, kept = handed_over(d, "SO-U1"), handed_over(d, "SO-U2")
    clock.now = d.now = d.now + timedelta(days=1)
    d.start("purchase_order", "buyer", po_form(date(2026, 12, 18), qty=60, requirement=kept))
    mc = api_client(server, "mc")
    body = mc.get("/api/purchasing/unplaced").json()
    assert [(r["requirement"], r["overdue"]) for r in body["open"]] == [(late, False)]
    clock.now = d.now = d.now + timedelta(days=3)  # past the two working days
    mc = api_client(server, "mc")  # a fresh token on the new day
    body = mc.get("/api/purchasing/unplaced").json()
    assert [(r["requirement"], r["overdue"]) for r in body["open"]] == [(late, True)]
    assert body["months"] == [{"month": "2026-11", "handed_over": 2, "on_time": 0, "late": 0,
                               "open_overdue": 2}]  # fmt: skip
    page = login(server, "pmc").get("/purchasing/unplaced")
    assert page.status_code == 200
    assert f'data-requirement="{late}" data-overdue="yes"' in page.text
    assert "采购单未下单明细表" in page.text
    assert api_client(server, "clerk").get("/api/purchasing/unplaced").status_code == 403
    assert login(server, "clerk").get("/purchasing/unplaced").status_code == 403


def test_po_task_and_instance_pages_render(rt: Runtime, server: str, clock: Clock) -> None:
    """MC's check of a 采购单 on its task page: the lines and the system's findings are there."""
    from sqlmodel import Session, select

    from gendan.models import Task

    d = Driver(rt, clock.now)
    with unit_of_work(rt.db) as s:
        ensure_master(s, d.now)
    iid = d.start("purchase_order", "buyer", po_form(date(2026, 12, 18), qty=7, price=199))
    with Session(rt.db) as s:
        [task] = s.exec(select(Task).where(Task.instance_id == iid, Task.status == "open")).all()
    mc = login(server, "mc")
    page = mc.get(f"/tasks/{task.id}")
    assert page.status_code == 200, page.text[:500]
    assert "复核采购单" in page.text and "RM-STEEL-1.5" in page.text
    assert "高于价格档案" in page.text  # 199 above the file's 180: the finding is shown
    assert mc.get(f"/instances/{iid}").status_code == 200
    body = api_client(server, "mc").get(f"/api/tasks/{task.id}/form")
    assert body.status_code == 200 and "mc_checked" in body.text
