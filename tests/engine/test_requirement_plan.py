"""The 物料需求计划表 (PROCEDURES.md §5c) through the engine on a real database, time injected:
rows from the order's BOM beside stock, in transit, unissued and MOQ; the PMC manager's
approval and the registered hand-over; the buyer's POs made from it posted to its "PO posted"
column; the 采购单未下单明细表 listing it until a PO is made; started by the PMC-approved
production plan in the PMC variant."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from gendan import purchasing
from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.demo_purchasing import PO_CHECK, ensure_master, po_form
from gendan.errors import InvalidForm
from gendan.models import BomLine, Instance, Stock
from gendan.settings import get_settings
from tests.engine.helpers import events, instance
from tests.engine.plan_driver import act, plan_form, plan_instance, released, state

NEED = date(2026, 12, 18)


@pytest.fixture
def d(driver: Driver) -> Driver:
    with unit_of_work(driver.rt.db) as s:
        ensure_master(s, driver.now)
        s.add(BomLine(parent_code="GGD-2200", component_code="RM-STEEL-1.5", qty_per=6,
                      unit="张", updated_at=driver.now))  # fmt: skip
        s.add(BomLine(parent_code="GGD-2200", component_code="RM-BUSBAR-60", qty_per=12,
                      unit="kg", updated_at=driver.now))  # fmt: skip
        row = s.exec(select(Stock).where(Stock.item_code == "RM-STEEL-1.5")).one()
        row.in_transit, row.unissued = 5.0, 3.0
        s.add(row)
    return driver


def plan_rows(qty: float = 60) -> dict[str, object]:
    return {"rows": [{"item": "RM-STEEL-1.5", "qty": qty, "need_date": NEED.isoformat(),
                      "plant": "一厂"}]}  # fmt: skip


def test_rows_from_the_bom_approval_handover_and_po_posted(d: Driver) -> None:
    released(d, "SO-R1")  # twelve cabinets GGD-2200
    start = {"order_no": "SO-R1", "received_at": (d.now - timedelta(hours=1)).isoformat()}
    iid = d.start("requirement_plan", "mc", start)
    inst = instance(d.rt, iid)
    assert inst.subject_kind == "requirement" and inst.subject_key == f"MRP-{iid:06d}"
    rows = {r["item"]: r for r in inst.data["requirement"]["rows"]}
    assert (rows["RM-STEEL-1.5"]["gross"], rows["RM-STEEL-1.5"]["stock"]) == (72, 10)
    assert (rows["RM-STEEL-1.5"]["in_transit"], rows["RM-STEEL-1.5"]["unissued"]) == (5, 3)
    assert rows["RM-BUSBAR-60"]["gross"] == 144
    with pytest.raises(InvalidForm) as exc:  # a need date for every line to buy
        act(d, iid, "mc", "plan", {"rows": [{"item": "RM-STEEL-1.5", "qty": 60}]})
    assert "rows.0.need_date" in exc.value.errors
    with pytest.raises(InvalidForm) as exc:
        act(d, iid, "mc", "plan", {"rows": [{"item": "NOPE", "qty": 1, "need_date": "2026-12-18"}]})
    assert "rows.0.item" in exc.value.errors
    act(d, iid, "mc", "plan", plan_rows())
    [row] = instance(d.rt, iid).data["forms"]["plan"]["rows"]
    assert (row["gross"], row["stock"], row["po_posted"]) == (72, 10, 0)
    act(d, iid, "pmc", "approve")
    inst = instance(d.rt, iid)
    assert inst.state == "ordering" and inst.data["handover"]["to"] == "purchasing"
    with Session(d.rt.db) as s:
        assert [u["requirement"] for u in purchasing.unplaced(s)] == [inst.subject_key]
    key = inst.subject_key
    over = d.start("purchase_order", "buyer", po_form(NEED + timedelta(days=3), qty=80,
                                                      requirement=key, orders="SO-R1"))  # fmt: skip
    checks = instance(d.rt, over).data["po_checks"]
    assert [c["line"] for c in checks["excess"]] == [1]
    assert [c["line"] for c in checks["date_short"]] == [1]
    with Session(d.rt.db) as s:
        assert purchasing.unplaced(s) == []  # a PO is being made from it
    act(d, over, "mc", "return_po", reason="超量 / too much")
    act(d, over, "buyer", "po", po_form(NEED, qty=60, requirement=key, orders="SO-R1"))
    assert instance(d.rt, over).data["po_checks"]["excess"] == []
    act(d, over, "mc", "mc_checked", PO_CHECK)
    act(d, over, "purch_lead", "approve")
    [row] = instance(d.rt, iid).data["forms"]["plan"]["rows"]
    assert row["po_posted"] == 60
    assert any(e.action == "po_posted" for e in events(d.rt, iid))
    act(d, over, "buyer", "po", po_form(NEED, qty=55, requirement=key, orders="SO-R1"))
    [row] = instance(d.rt, iid).data["forms"]["plan"]["rows"]
    assert row["po_posted"] == 0  # a changed PO is off the plan until approved again
    act(d, over, "mc", "mc_checked", PO_CHECK)
    act(d, over, "purch_lead", "approve")
    [row] = instance(d.rt, iid).data["forms"]["plan"]["rows"]
    assert row["po_posted"] == 55
    po_no = instance(d.rt, over).subject_key
    with pytest.raises(InvalidForm) as exc:
        act(d, iid, "buyer", "pos_placed", {"po_nos": f"{po_no}, PO-999999"})
    assert "po_nos" in exc.value.errors
    act(d, iid, "buyer", "pos_placed", {"po_nos": po_no})
    assert state(d, iid) == "ordered"
    # cancelling the PO takes it off the plan again
    act(d, over, "buyer", "cancel_po", reason="改单 / replaced")
    act(d, over, "mc", "cancel_noted")
    [row] = instance(d.rt, iid).data["forms"]["plan"]["rows"]
    assert row["po_posted"] == 0


def test_change_in_writing_goes_back_to_the_pmc_manager(d: Driver) -> None:
    released(d, "SO-R2")
    iid = d.start("requirement_plan", "mc", {"order_no": "SO-R2"})
    act(d, iid, "mc", "plan", plan_rows())
    act(d, iid, "pmc", "approve")
    with pytest.raises(InvalidForm):  # in writing: the reason (talked to the buyer) is required
        act(d, iid, "mc", "change_plan", plan_rows(50))
    act(d, iid, "mc", "change_plan", plan_rows(50), reason="已与马超沟通 / buyer consulted")
    assert state(d, iid) == "approval"


@pytest.fixture
def pmc_variant(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GENDAN_PLANNING_VARIANT", "pmc")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_pmc_approved_plan_starts_it(d: Driver, pmc_variant: None) -> None:
    released(d, "SO-R3")
    plan = plan_instance(d, "SO-R3")
    act(d, plan, "planner", "plan", plan_form(date(2026, 12, 1), packing=date(2026, 12, 15),
                                              dispatch=date(2026, 12, 17)))  # fmt: skip
    papers = {"kind": "plant", "recipients": "一厂", "operations": "装配",
              "due_date": "2026-11-30"}  # fmt: skip
    act(d, plan, "planner", "distribute", papers)
    act(d, plan, "pmc", "approve_plan")
    with Session(d.rt.db) as s:
        kids = s.exec(select(Instance).where(Instance.procedure == "requirement_plan")).all()
    assert [(k.order_no, k.state) for k in kids] == [("SO-R3", "planning")]
    assert len(kids[0].data["requirement"]["rows"]) == 2  # from the BOM of GGD-2200


def test_a_line_not_bought_is_not_a_need(d: Driver) -> None:
    """A BOM line MC leaves at 0 (stock covers it) has no need date; a PO for it is excess."""
    released(d, "SO-R4")
    iid = d.start("requirement_plan", "mc", {"order_no": "SO-R4"})
    rows = plan_rows()["rows"] + [{"item": "RM-BUSBAR-60", "qty": 0}]
    act(d, iid, "mc", "plan", {"rows": rows})
    act(d, iid, "pmc", "approve")
    key = instance(d.rt, iid).subject_key
    po = d.start("purchase_order", "buyer", po_form(NEED, item="RM-BUSBAR-60", qty=5, price=68,
                                                    supplier="SUP-COPPER", requirement=key))
    checks = instance(d.rt, po).data["po_checks"]
    assert [c["item"] for c in checks["excess"]] == ["RM-BUSBAR-60"]
    assert checks["date_short"] == []
