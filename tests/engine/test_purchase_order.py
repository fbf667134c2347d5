"""The 采购单 (PROCEDURES.md §5f, §5g) through the engine on a real database, time injected:
lines written to PurchaseOrder/PoLine, master data refused with the field, MC's check with
the system's findings, excess to the PMC manager, a short date to the buyer, the planner and
the coordination meeting, a price above the file to finance and the finance director,
four-eyes approval (403), posting in transit, chasing on the due date −5 WD and the dispatch
day, a late supplier to the purchasing lead, cancellation via MC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from gendan import purchasing, stock
from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.demo_purchasing import ARRIVAL_OK, PO_CHECK, ensure_master, po_form
from gendan.errors import InvalidForm, NotAllowed
from gendan.models import Instance, PoLine, PurchaseOrder, Stock, User, UserRole
from tests.engine.helpers import instance, snapshot
from tests.engine.plan_driver import act, state, sweep, tasks_of

DUE = date(2026, 12, 21)  # a Monday, 4 weeks after MONDAY_10


@pytest.fixture
def d(driver: Driver) -> Driver:
    with unit_of_work(driver.rt.db) as s:
        ensure_master(s, driver.now)
    return driver


def po_of(d: Driver, iid: int) -> tuple[PurchaseOrder, list[PoLine]]:
    with Session(d.rt.db) as s:
        po = s.exec(select(PurchaseOrder).where(PurchaseOrder.instance_id == iid)).one()
        lines = s.exec(select(PoLine).where(PoLine.po_id == po.id)).all()
        return po, list(lines)


def in_transit(d: Driver, item: str) -> float:
    with Session(d.rt.db) as s:
        return sum(r.in_transit for r in s.exec(select(Stock).where(Stock.item_code == item)))


def test_po_lines_are_rows_and_the_plain_path_posts_in_transit(d: Driver) -> None:
    form = po_form(DUE, qty=50)
    form["rows"].append({"item": "RM-BUSBAR-60", "qty": 30, "price": 68, "due": "2026-12-28"})
    form["supplier_code"] = "SUP-BAOGANG"
    iid = d.start("purchase_order", "buyer", form)
    inst = instance(d.rt, iid)
    assert inst.subject_kind == "po" and inst.subject_key == f"PO-{iid:06d}"
    assert inst.data["po"]["first_due"] == DUE.isoformat()
    po, lines = po_of(d, iid)
    assert (po.po_no, po.status, po.supplier_code) == (inst.subject_key, "draft", "SUP-BAOGANG")
    assert [(ln.line_no, ln.item_code, ln.qty, ln.unit, ln.due_date) for ln in lines] == [
        (1, "RM-STEEL-1.5", 50, "张", DUE),
        (2, "RM-BUSBAR-60", 30, "kg", date(2026, 12, 28)),
    ]
    # busbar has no price on file with this supplier: the price check is due
    assert [f["item"] for f in inst.data["po_checks"]["price_above"]] == ["RM-BUSBAR-60"]
    form["rows"].pop()
    d2 = d.start("purchase_order", "buyer", form)  # the same item again: a duplicate
    assert instance(d.rt, d2).data["po_checks"]["duplicates"] == []  # no order, no requirement
    act(d, iid, "mc", "return_po", reason="铜排另单 / busbar on another PO")
    assert state(d, iid) == "revising"
    act(d, iid, "buyer", "po", form)
    _, lines = po_of(d, iid)
    assert [ln.item_code for ln in lines] == ["RM-STEEL-1.5"]
    act(d, iid, "mc", "mc_checked", PO_CHECK)
    assert state(d, iid) == "approval"
    before = in_transit(d, "RM-STEEL-1.5")
    act(d, iid, "purch_lead", "approve")
    assert state(d, iid) == "placed"
    assert po_of(d, iid)[0].status == "approved"
    assert in_transit(d, "RM-STEEL-1.5") == before + 50


def test_unknown_item_and_unapproved_supplier_are_422_and_nothing_written(d: Driver) -> None:
    before = snapshot(d.rt)
    bad = po_form(DUE, supplier="SUP-UNLISTED", item="NO-SUCH")
    with pytest.raises(InvalidForm) as exc:
        d.start("purchase_order", "buyer", bad)
    assert set(exc.value.errors) == {"supplier_code", "rows.0.item"}
    with pytest.raises(InvalidForm) as exc:
        d.start("purchase_order", "buyer", po_form(DUE, orders="SO-NONE"))
    assert "orders" in exc.value.errors
    assert snapshot(d.rt) == before
    with Session(d.rt.db) as s:
        assert s.exec(select(PurchaseOrder)).first() is None


def test_four_eyes_buyer_checker_approver(d: Driver) -> None:
    """One person holding buyer, MC and lead roles may do only one of the three."""
    with unit_of_work(d.rt.db) as s:
        mc = s.exec(select(User).where(User.username == "mc")).one()
        lead = s.exec(select(UserRole).where(UserRole.role == "purchasing_lead")).first()
        buyer_role = s.exec(select(UserRole).where(UserRole.role == "buyer")).first()
        s.add(UserRole(user_id=mc.id, role="purchasing_lead", department_id=lead.department_id))
        s.add(UserRole(user_id=mc.id, role="buyer", department_id=buyer_role.department_id))
    iid = d.start("purchase_order", "mc", po_form(DUE))
    with pytest.raises(NotAllowed):  # the buyer checks their own PO
        act(d, iid, "mc", "mc_checked", PO_CHECK)
    assert state(d, iid) == "mc_check"
    iid = d.start("purchase_order", "buyer", po_form(DUE))
    act(d, iid, "mc", "mc_checked", PO_CHECK)
    with pytest.raises(NotAllowed):  # the checker approves
        act(d, iid, "mc", "approve")
    assert state(d, iid) == "approval" and po_of(d, iid)[0].status == "draft"
    act(d, iid, "purch_lead", "approve")
    assert po_of(d, iid)[0].status == "approved"


def test_excess_date_and_price_paths(d: Driver) -> None:
    """A PO above the maximum, too soon for the lead time and above the price file goes to the
    PMC manager, the buyer, the planner, the meeting, finance and the finance director."""
    form = po_form(date(2026, 11, 25), item="RM-BREAKER-630", qty=50, price=2500)
    iid = d.start("purchase_order", "buyer", form)
    checks = instance(d.rt, iid).data["po_checks"]
    assert [len(checks[k]) for k in ("excess", "date_short", "price_above")] == [1, 1, 1]
    act(d, iid, "mc", "mc_checked", PO_CHECK)
    assert state(d, iid) == "excess_approval"
    act(d, iid, "pmc", "approve_excess")
    assert state(d, iid) == "date_review"
    act(d, iid, "buyer", "date_unmet", {"answer": "最快12月10日 / Dec 10 at best"})
    assert state(d, iid) == "date_notice"
    act(d, iid, "planner", "dates_fixed_not", reason="客户不同意 / customer refuses")
    assert state(d, iid) == "coordination"
    act(d, iid, "pmc", "decided", {"attendees": "PMC, 生产, 采购", "decision": "分批 / split"})
    assert state(d, iid) == "price_check"
    act(d, iid, "finance", "price_checked", {"opinion": "涨价属实 / rise is real"})
    act(d, iid, "fin_dir", "approve_price")
    assert state(d, iid) == "approval"
    act(d, iid, "purch_lead", "reject", reason="分两单 / split it")
    assert state(d, iid) == "revising"
    act(d, iid, "buyer", "cancel_po", reason="改单 / replaced")
    act(d, iid, "mc", "cancel_noted")
    assert state(d, iid) == "cancelled" and po_of(d, iid)[0].status == "cancelled"


def test_chasing_late_supplier_and_cancellation_unposts(d: Driver) -> None:
    iid = d.start("purchase_order", "buyer", po_form(DUE, qty=40))
    act(d, iid, "mc", "mc_checked", PO_CHECK)
    act(d, iid, "purch_lead", "approve")
    [confirm] = [t for t in tasks_of(d, iid, "scheduled") if "发货时间" in t.title_zh]
    # due −5 WD: Monday 14 December, the start of that working day (Shanghai 08:00)
    assert confirm.opens_at == datetime(2026, 12, 14, 0, 0, tzinfo=UTC)
    act(d, iid, "mc", "arrival_checked", ARRIVAL_OK)
    sweep(d, confirm.opens_at + timedelta(minutes=1))
    act(d, iid, "buyer", "confirm_dispatch", {"dispatch_date": "2026-12-18", "on_plan": False,
                                              "contact": "王经理"})  # fmt: skip
    assert state(d, iid) == "remedy"
    act(d, iid, "purch_lead", "remedied", {"remedy": "urge", "new_arrival": "2026-12-21"})
    [call] = [t for t in tasks_of(d, iid, "scheduled") if "当天" in t.title_zh]
    sweep(d, call.opens_at + timedelta(minutes=1))
    act(d, iid, "buyer", "dispatch_call", {"shipped": False, "cause": "缺原料 / short"})
    assert state(d, iid) == "remedy"
    act(d, iid, "purch_lead", "remedies_exhausted", reason="无货源 / no source")
    act(d, iid, "prod_mgr", "planning_told", {"outcome": "客户同意延期 / customer agrees"})
    assert state(d, iid) == "placed"
    assert in_transit(d, "RM-STEEL-1.5") == 40
    act(d, iid, "buyer", "cancel_po", reason="另购 / bought elsewhere")
    act(d, iid, "mc", "cancel_noted")
    assert in_transit(d, "RM-STEEL-1.5") == 0
    assert state(d, iid) == "cancelled"
    d2 = d.start("purchase_order", "buyer", po_form(DUE + timedelta(days=30)))
    act(d, d2, "mc", "mc_checked", PO_CHECK)
    act(d, d2, "purch_lead", "approve")
    with pytest.raises(InvalidForm) as exc:  # nothing received yet: it cannot be closed
        act(d, d2, "buyer", "received_in_full", {})
    assert "note" in exc.value.errors
    with Session(d.rt.db) as s:
        assert s.get(Instance, d2).state == "placed"


def test_receipt_differs_then_closed_when_all_received(d: Driver) -> None:
    """001M 2.2.4(1)3: a receipt short of the plan goes to the buyer (1 WD*); the PO closes
    only once every line is received."""
    iid = d.start("purchase_order", "buyer", po_form(DUE, qty=40))
    act(d, iid, "mc", "mc_checked", PO_CHECK)
    act(d, iid, "purch_lead", "approve")
    po_no = instance(d.rt, iid).subject_key
    short = {"item": "RM-STEEL-1.5", "ordered": 40, "received": 30, "difference": "少10张"}
    with unit_of_work(d.rt.db) as s:
        assert purchasing.close_if_received(s, po_no=po_no, now=d.now,
                                            calendar=d.rt.calendar) is False  # fmt: skip
        assert purchasing.report_difference(s, po_no=po_no, values=short, now=d.now,
                                            calendar=d.rt.calendar, cause={"receipt": "GRN-1"})
    assert state(d, iid) == "receipt_issue"
    [task] = tasks_of(d, iid)
    assert (task.role, task.title_en.split(":")[0]) == ("buyer", "Received quantity or quality "
                                                                 "differs")  # fmt: skip
    act(d, iid, "buyer", "difference_settled", {"remedy": "urge", "new_arrival": "2026-12-23"})
    assert state(d, iid) == "placed"
    with unit_of_work(d.rt.db) as s:
        po = s.exec(select(PurchaseOrder).where(PurchaseOrder.po_no == po_no)).one()
        for line in s.exec(select(PoLine).where(PoLine.po_id == po.id)):
            line.received = line.accepted = line.qty
            s.add(line)
    with unit_of_work(d.rt.db) as s:
        assert purchasing.close_if_received(s, po_no=po_no, now=d.now, calendar=d.rt.calendar)
    assert state(d, iid) == "closed" and po_of(d, iid)[0].status == "closed"


def test_a_change_of_a_placed_po_is_checked_again_and_reposted(d: Driver) -> None:
    """003 5.4.4: the buyer's change goes back to MC; the old quantities leave transit until
    the changed PO is approved; a line already received from keeps its item and quantity."""
    iid = d.start("purchase_order", "buyer", po_form(DUE, qty=40))
    act(d, iid, "mc", "mc_checked", PO_CHECK)
    act(d, iid, "purch_lead", "approve")
    assert in_transit(d, "RM-STEEL-1.5") == 40
    act(d, iid, "buyer", "po", po_form(DUE, qty=30))
    assert state(d, iid) == "mc_check" and in_transit(d, "RM-STEEL-1.5") == 0
    assert po_of(d, iid)[0].status == "draft"
    act(d, iid, "mc", "mc_checked", PO_CHECK)
    act(d, iid, "purch_lead", "approve")
    assert in_transit(d, "RM-STEEL-1.5") == 30
    with unit_of_work(d.rt.db) as s:  # 10 received on line 1 (as the receiving records it)
        po = s.exec(select(PurchaseOrder).where(PurchaseOrder.instance_id == iid)).one()
        line = s.exec(select(PoLine).where(PoLine.po_id == po.id)).one()
        line.received = 10
        s.add(line)
        stock.move(s, item_code="RM-STEEL-1.5", qty=10, kind="receipt", now=d.now,
                   calendar=d.rt.calendar, ref=f"{po.po_no}/1")  # fmt: skip
    assert in_transit(d, "RM-STEEL-1.5") == 20
    before = snapshot(d.rt)
    with pytest.raises(InvalidForm) as exc:
        act(d, iid, "buyer", "po", po_form(DUE, qty=5))
    assert "rows.0.qty" in exc.value.errors
    assert snapshot(d.rt) == before
    act(d, iid, "buyer", "po", po_form(DUE, qty=25))
    assert in_transit(d, "RM-STEEL-1.5") == 0  # 30 − 10 received came out
    act(d, iid, "mc", "mc_checked", PO_CHECK)
    act(d, iid, "purch_lead", "approve")
    assert in_transit(d, "RM-STEEL-1.5") == 15  # 25 − 10 received


def test_a_po_serves_several_orders(d: Driver) -> None:
    from gendan.models import InstanceOrder
    from tests.engine.plan_driver import released

    released(d, "SO-PO1")
    released(d, "SO-PO2")
    iid = d.start("purchase_order", "buyer", po_form(DUE, orders="SO-PO1, SO-PO2"))
    inst = instance(d.rt, iid)
    assert inst.order_no == "SO-PO1" and inst.data["orders"] == ["SO-PO1", "SO-PO2"]
    with Session(d.rt.db) as s:
        linked = s.exec(select(InstanceOrder.order_no).where(InstanceOrder.instance_id == iid))
        assert sorted(linked) == ["SO-PO1", "SO-PO2"]
    assert [ln.order_no for ln in po_of(d, iid)[1]] == ["SO-PO1"]  # a line names its order


def test_materials_at_risk_go_to_the_superior(d: Driver) -> None:
    """003 5.5.2: dates that put the plan at risk are named with their cause and arrival, and
    MC's superior decides the emergency measures; production has the arrival dates."""
    iid = d.start("purchase_order", "buyer", po_form(DUE))
    act(d, iid, "mc", "mc_checked", PO_CHECK)
    act(d, iid, "purch_lead", "approve")
    with pytest.raises(InvalidForm) as exc:
        act(d, iid, "mc", "arrival_checked", {"matches_notice": False, "told_production": True})
    assert "risky_items" in exc.value.errors
    risky = {"matches_notice": False, "told_production": True,
             "risky_items": "钢板晚到2天，影响12月装配 / steel 2 days late"}  # fmt: skip
    act(d, iid, "mc", "arrival_checked", risky)
    assert state(d, iid) == "risk_decision"
    act(d, iid, "mc_head", "risk_decided", {"decision": "调整周计划先做他单 / re-sequence"})
    assert state(d, iid) == "placed"
    assert not [t for t in tasks_of(d, iid) if t.role == "material_controller"]
