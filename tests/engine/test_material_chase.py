"""The 物料追催表 and the main-material booking (PROCEDURES.md §5g; 003 5.5.3-5.5.4) through
the engine on a real database, time injected: MC starts it from a weekly plan; its lines from
the products' BOM with the earliest open PO line as ETA; MC sends it within 1 WD* of the
plan; the buyer's booking opens at line start −3 WD and is due at −1 WD."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.demo_purchasing import PO_CHECK, ensure_master, po_form
from gendan.models import BomLine, Instance, Item
from states.material_chase import chase_from_plan
from tests.engine.plan_driver import act, state, sweep, tasks_of

START = date(2026, 12, 7)  # a Monday


@pytest.fixture
def d(driver: Driver) -> Driver:
    with unit_of_work(driver.rt.db) as s:
        ensure_master(s, driver.now)
        s.add(BomLine(parent_code="GGD-2200", component_code="RM-STEEL-1.5", qty_per=6,
                      unit="张", updated_at=driver.now))  # fmt: skip
        s.add(BomLine(parent_code="GGD-2200", component_code="RM-BUSBAR-60", qty_per=12,
                      unit="kg", updated_at=driver.now))  # fmt: skip
        steel = s.exec(select(Item).where(Item.code == "RM-STEEL-1.5")).one()
        steel.material_class = "主料"
        s.add(steel)
    return driver


def test_weekly_plan_starts_the_chase_list_and_the_booking_opens_three_days_ahead(
    d: Driver,
) -> None:
    po = d.start("purchase_order", "buyer", po_form(date(2026, 12, 4), qty=72))
    act(d, po, "mc", "mc_checked", PO_CHECK)
    act(d, po, "purch_lead", "approve")
    products = [{"product_code": "GGD-2200", "qty": 12}]
    plan = {"batch_no": "B-2026-49", "plan_start": START.isoformat(), "plan_end": "2026-12-11",
            "rows": products}  # fmt: skip
    iid = d.start("material_chase", "mc", chase_from_plan({"weekly_plan": plan}))
    with Session(d.rt.db) as s:
        chase = s.get(Instance, iid)
    rows = {r["item"]: r for r in chase.data["chase"]["rows"]}
    assert (rows["RM-STEEL-1.5"]["qty"], rows["RM-STEEL-1.5"]["eta"]) == (72, "2026-12-04")
    assert rows["RM-STEEL-1.5"]["main"] and not rows["RM-BUSBAR-60"]["main"]
    assert rows["RM-BUSBAR-60"]["eta"] is None
    assert chase.subject_key == f"ZC-{chase.id:06d}"
    [making] = tasks_of(d, chase.id)
    assert making.role == "material_controller"
    act(d, chase.id, "mc", "sent", {"rows": chase.data["chase"]["rows"]})
    [booking] = tasks_of(d, chase.id, "scheduled")
    # line start −3 WD: Wednesday 2 December (Shanghai 08:00), due −1 WD: Friday 4 December
    assert booking.opens_at == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    sweep(d, booking.opens_at)
    [booking] = tasks_of(d, chase.id)
    assert booking.due_at.date() == date(2026, 12, 4)
    act(d, chase.id, "buyer", "booked", {"rows": [{**rows["RM-STEEL-1.5"],
                                                   "eta": "2026-12-04"}]})  # fmt: skip
    act(d, chase.id, "mc", "line_started")
    assert state(d, chase.id) == "done"


def test_the_weekly_plans_material_issue_starts_it(d: Driver) -> None:
    from gendan.links import children_of

    plan = {"batch_no": "B-2026-50", "plan_start": "2026-12-14", "plan_end": "2026-12-18",
            "rows": [{"product_code": "GGD-2200", "qty": 2}]}  # fmt: skip
    issue = d.start("material_issue", "planner", plan)
    with Session(d.rt.db) as s:
        kids = [k for k in children_of(s, issue) if k.procedure == "material_chase"]
        assert [(k.state, len(k.data["chase"]["rows"])) for k in kids] == [("making", 2)]
