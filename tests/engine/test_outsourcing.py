"""Outsourcing (PROCEDURES.md §6) through the engine on a real database, time injected: the
group GM's approval, the plan from the BOM, the contract, purchasing; the material level
(order, the subcontractor's confirmation paused, material out of stock, arrival, a failed
inspection returned, partial stock-ins, invoice) and the operation level (the issue batch
reached by the workshop's report moves on by itself, batches out and back, invoice); the
quantities in ``OutsourcingLine``; the pick-up list and its transfer note; the monthly
statement and leftover list with the deviation reported to MC."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from gendan import demo_outsourcing as demo
from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.errors import InvalidForm
from gendan.escalation import escalate_due
from gendan.models import InstanceCopy, Notification, OutsourcingLine, Stock, User
from gendan.runtime import Runtime
from gendan.system_starts import start_by_system
from states.outsourcing_statement import month_form
from tests.conftest import MONDAY_10
from tests.engine.helpers import instance, open_tasks, snapshot

NEED = "2026-12-10"


@pytest.fixture
def d(rt: Runtime, driver: Driver) -> Driver:
    with unit_of_work(rt.db) as s:
        demo.seed_master(s, now=driver.now, calendar=rt.calendar)
    return driver


def on_hand(rt: Runtime, item: str) -> float:
    with Session(rt.db) as s:
        return sum(r.on_hand for r in s.exec(select(Stock).where(Stock.item_code == item)))


def lines(rt: Runtime, iid: int | None = None) -> list[OutsourcingLine]:
    with Session(rt.db) as s:
        q = select(OutsourcingLine).order_by(OutsourcingLine.id)
        if iid is not None:
            q = q.where(OutsourcingLine.instance_id == iid)
        return list(s.exec(q).all())


def copied(rt: Runtime, iid: int) -> set[str]:
    """Who the procedure informed on the instance (抄送)."""
    with Session(rt.db) as s:
        rows = s.exec(
            select(User.username)
            .join(InstanceCopy, InstanceCopy.user_id == User.id)
            .where(InstanceCopy.instance_id == iid, InstanceCopy.reason == "informed")
        )
        return set(rows.all())


def state(rt: Runtime, iid: int) -> str:
    return instance(rt, iid).state


def inspection(item: str, good: float, **bad: float) -> dict:
    return {"rows": [{"item_code": item, "good": good, **bad}]}


def test_the_group_gm_approves_or_refuses_the_gms_request(rt: Runtime, d: Driver) -> None:
    iid = d.start("outsourcing", "gm", demo.request("material"))
    inst = instance(rt, iid)
    assert (inst.subject_kind, inst.subject_key) == ("outsourcing", f"WW-{iid:06d}")
    [task] = open_tasks(rt, iid)
    assert (task.role, task.title_en) == ("group_gm", "Approve the outsourcing the GM proposes")
    d.act(iid, "group_gm", "refuse", reason="自制可赶上 / we can make it")
    assert state(rt, iid) == "refused" and instance(rt, iid).closed_at is not None
    iid = d.start("outsourcing", "gm", demo.request("material"))
    d.act(iid, "group_gm", "approve")
    assert state(rt, iid) == "planning"
    bad_plan = {**demo.plan("material", demo.date(2026, 12, 10)), "subcontractor_code": "WX99"}
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as bad:  # the plan names an unknown subcontractor
        d.act(iid, "planner", "plan", bad_plan)
    assert bad.value.errors == {"subcontractor_code": "no subcontractor WX99 / 无此外协厂"}
    assert snapshot(rt) == before
    no_bom = {**demo.plan("material", demo.date(2026, 12, 10)), "bom_parent": demo.FRAME}
    with pytest.raises(InvalidForm) as missing:  # made from R&D's BOM: the parent must have one
        d.act(iid, "planner", "plan", no_bom)
    assert missing.value.errors == {"bom_parent": "no BOM lines for P-FRAME / 无此 BOM"}
    d.act(iid, "planner", "plan", demo.plan("material", demo.date(2026, 12, 10)))
    assert state(rt, iid) == "contract_signing"


def test_material_level_walks_from_order_to_invoice(rt: Runtime, d: Driver) -> None:
    iid = demo.to_execution(d, "material", demo.date(2026, 12, 10))
    assert state(rt, iid) == "execution"
    d.act(iid, "buyer", "execute")
    assert state(rt, iid) == "ordering"  # the plan's level chose the material path
    bad_order = demo.order(demo.date(2026, 12, 10))
    bad_order["materials"][0]["item_code"] = "NO-SUCH"
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as bad:
        d.act(iid, "planner", "place_order", bad_order)
    assert bad.value.errors == {"materials.0.item_code": "no item NO-SUCH / 无此物料"}
    assert snapshot(rt) == before
    d.act(iid, "planner", "place_order", demo.order(demo.date(2026, 12, 10)))
    d.act(iid, "outsource", "declined", reason="交期太紧 / due date too tight")
    assert state(rt, iid) == "ordering"  # the planner re-issues the order
    d.act(iid, "planner", "place_order", demo.order(demo.date(2026, 12, 14)))
    [wait] = open_tasks(rt, iid)
    assert wait.pauses_for == "subcontractor" and wait.role == "outsourcing_coordinator"
    d.pause(iid, "outsource", "委外订单已传真 / order faxed")
    confirmation = {"confirmed_on": "2026-11-23", "contact": "王厂长"}
    d.act(iid, "outsource", "subcontractor_confirmed", confirmation)
    # 材料出库单: more than the store holds is refused, nothing written
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as short:
        d.act(iid, "keeper", "issue_material", {"rows": [{"item_code": demo.SHEET, "qty": 500}]})
    assert list(short.value.errors) == ["rows.0.qty"] and snapshot(rt) == before
    d.act(iid, "keeper", "issue_material", {"rows": [{"item_code": demo.SHEET, "qty": 20}]})
    assert on_hand(rt, demo.SHEET) == 80
    assert state(rt, iid) == "processing"
    # first arrival fails inspection and goes back (到货退回单)
    d.act(iid, "outsource", "arrived", {"rows": [{"item_code": demo.CASE, "qty": 6}]})
    d.act(iid, "iqc", "failed", inspection(demo.CASE, 0, scrap_work=6))
    d.act(iid, "outsource", "return_goods", {"rows": [{"item_code": demo.CASE, "qty": 6}],
                                             "reason": "尺寸超差 / out of tolerance"})
    assert state(rt, iid) == "processing"
    with Session(rt.db) as s:  # → §8c: the supplier return, linked, the subcontractor in it
        from gendan.links import children_of

        [rtv] = children_of(s, iid, procedures=("supplier_return",))
    assert rtv.state == "returning" and rtv.data["report"]["supplier"] == demo.SUB
    assert rtv.data["report"]["rows"][0]["qty"] == 6
    # redelivered: 5 good + 1 工废 pass; more than passed cannot go into stock
    d.act(iid, "outsource", "arrived", {"rows": [{"item_code": demo.CASE, "qty": 6}]})
    d.act(iid, "iqc", "inspection_passed", inspection(demo.CASE, 5, scrap_work=1))
    with pytest.raises(InvalidForm) as over:
        d.act(iid, "keeper", "stock_in", {"rows": [{"item_code": demo.CASE, "qty": 6}]})
    assert list(over.value.errors) == ["rows.0.qty"]
    d.act(iid, "keeper", "stock_in", {"rows": [{"item_code": demo.CASE, "qty": 5}]})
    assert state(rt, iid) == "processing"  # 6 of 10 accounted: the rest is still out
    d.act(iid, "outsource", "arrived", {"rows": [{"item_code": demo.CASE, "qty": 4}]})
    d.act(iid, "iqc", "inspection_passed", inspection(demo.CASE, 3, scrap_material=1))
    d.act(iid, "keeper", "stock_in", {"rows": [{"item_code": demo.CASE, "qty": 3}]})
    assert state(rt, iid) == "invoicing" and on_hand(rt, demo.CASE) == 8
    d.act(iid, "outsource", "invoice", {"invoice_no": "FP-0098", "amount": 112.5})
    assert state(rt, iid) == "done"
    got = [(x.kind, x.item_code, x.issued, x.good, x.scrap_work, x.scrap_material, x.price)
           for x in lines(rt, iid)]  # fmt: skip
    assert got == [
        ("issue", demo.SHEET, 20, 0, 0, 0, 0),
        ("receipt", demo.CASE, 0, 5, 1, 0, 12.5),
        ("receipt", demo.CASE, 0, 3, 0, 1, 12.5),
    ]
    assert copied(rt, iid) == {"finance"}  # finance hears of the invoice (核销/结算, AP)


def test_operation_level_the_issue_batch_calls_the_subcontractor(rt: Runtime, d: Driver) -> None:
    iid = demo.to_execution(d, "operation", demo.date(2026, 12, 10))
    d.act(iid, "buyer", "execute")
    assert state(rt, iid) == "op_ordering"
    d.act(iid, "outsource", "process_order", demo.PROCESS_ORDER)
    d.act(iid, "workshop", "report_done", {"done_qty": 3})
    assert state(rt, iid) == "op_batch"  # 3 < the batch of 4: still waiting, task reopened
    [task] = open_tasks(rt, iid)
    assert task.role == "workshop_director"
    d.act(iid, "workshop", "report_done", {"done_qty": 5})
    assert state(rt, iid) == "op_calling"  # [A] the batch is reached: the subcontractor called
    with pytest.raises(InvalidForm):  # not the order's item
        d.act(iid, "outsource", "issue_batch", {"rows": [{"item_code": demo.CASE, "qty": 5}]})
    d.act(iid, "outsource", "issue_batch", {"rows": [{"item_code": demo.FRAME, "qty": 5}]})
    [wait] = open_tasks(rt, iid)
    assert wait.pauses_for == "subcontractor"
    d.act(iid, "outsource", "received", {"rows": [{"item_code": demo.FRAME, "qty": 5}]})
    d.act(iid, "iqc", "inspected", inspection(demo.FRAME, 4, scrap_work=1))
    assert state(rt, iid) == "op_batch"  # 5 of 10 back: the next batch
    assert "workshop" in copied(rt, iid)  # good goes on to the next operation: workshop told
    with Session(rt.db) as s:
        told = select(Notification).where(Notification.address == "workshop@demo.gendan.local")
        mails = len(s.exec(told).all())
    d.act(iid, "workshop", "report_done", {"done_qty": 10})
    with Session(rt.db) as s:  # a done-quantity report tells the workshop nothing new
        assert len(s.exec(told).all()) == mails
    d.act(iid, "outsource", "issue_batch", {"rows": [{"item_code": demo.FRAME, "qty": 5}]})
    d.act(iid, "outsource", "received", {"rows": [{"item_code": demo.FRAME, "qty": 3}]})
    d.act(iid, "iqc", "inspected", inspection(demo.FRAME, 3))
    assert state(rt, iid) == "op_processing"  # all issued, 2 still out: wait for them
    d.act(iid, "outsource", "received", {"rows": [{"item_code": demo.FRAME, "qty": 2}]})
    d.act(iid, "iqc", "inspected", inspection(demo.FRAME, 2))
    assert state(rt, iid) == "op_invoicing"
    d.act(iid, "outsource", "invoice", {"invoice_no": "FP-0101", "amount": 27})
    assert state(rt, iid) == "done"
    assert on_hand(rt, demo.FRAME) == 0  # operation-level work never enters the store
    got = [(x.kind, x.operation, x.issued, x.good, x.scrap_work) for x in lines(rt, iid)]
    assert got == [("issue", "喷涂", 5, 0, 0), ("receipt", "喷涂", 0, 4, 1),
                   ("issue", "喷涂", 5, 0, 0), ("receipt", "喷涂", 0, 3, 0),
                   ("receipt", "喷涂", 0, 2, 0)]  # fmt: skip


def test_pickup_list_transfer_note_and_next_day_pickup(rt: Runtime, d: Driver) -> None:
    tomorrow = d.now.date() + timedelta(days=1)
    iid = d.start("subcon_pickup", "outsource", demo.pickup_list(d.now, tomorrow))
    [review] = open_tasks(rt, iid)
    assert review.role == "subcon_material_clerk"
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as short:  # only 20 bolts arrived
        d.act(iid, "outsource", "transfer", {"rows": [{"item_code": demo.SHEET, "qty": 10},
                                                      {"item_code": demo.BOLT, "qty": 50}]})
    assert list(short.value.errors) == ["rows.1.qty"] and snapshot(rt) == before
    d.act(iid, "outsource", "transfer", {"rows": [{"item_code": demo.SHEET, "qty": 10}],
                                         "not_arrived": "M-BOLT 50"})  # fmt: skip
    d.act(iid, "keeper", "prepared")
    assert open_tasks(rt, iid) == []  # the pick-up opens tomorrow
    escalate_due(rt, now=d.now + timedelta(days=1))
    [pick] = open_tasks(rt, iid)
    assert pick.role == "warehouse_keeper"
    d.now += timedelta(days=1)
    d.act(iid, "keeper", "picked_up")
    assert state(rt, iid) == "done" and on_hand(rt, demo.SHEET) == 90
    [line] = lines(rt, iid)
    assert (line.subcontractor_code, line.kind, line.issued) == (demo.SUB, "issue", 10)


def test_monthly_statement_and_leftovers_report_the_deviation(rt: Runtime, d: Driver) -> None:
    test_material_level_walks_from_order_to_invoice(rt, d)
    d.now = demo.datetime(2026, 12, 1, 0, 0, tzinfo=demo.datetime.now().astimezone().tzinfo)
    form = {**month_form("2026-12", d.now), "subcontractor_code": demo.SUB}
    assert form["period"] == "2026-11"
    with unit_of_work(rt.db) as s:
        inst = start_by_system(s, procedure="outsourcing_statement", form_data=form,
                               now=d.now, calendar=rt.calendar,
                               cause={"schedule": "outsourcing_statement", "period": "2026-12"})
        iid = inst.id
    assert iid is not None
    month = instance(rt, iid).data["month"]
    assert month["rows"] == [{"item_code": demo.CASE, "operation": None, "good": 8.0,
                              "scrap_work": 1.0, "scrap_material": 1.0, "loss": 0.0,
                              "price": 12.5, "amount": 112.5}]  # fmt: skip
    assert month["leftovers"] == [{"item_code": demo.SHEET, "qty": 0.0}]  # 20 out, 10 × 2 used
    [task] = open_tasks(rt, iid)
    with pytest.raises(InvalidForm) as wrong:
        d.act(iid, "outsource", "issue_statement", {"rows": [{**month["rows"][0], "good": 9}]})
    assert set(wrong.value.errors) == {"rows.0.good", "rows.0.amount"}
    d.act(iid, "outsource", "issue_statement", {"rows": month["rows"]})
    d.act(iid, "outsource", "check_leftovers",
          {"reported": [{"item_code": demo.SHEET, "qty": 1}]})
    inst = instance(rt, iid)
    assert inst.state == "closed"
    assert inst.data["deviations"] == [
        {"item_code": demo.SHEET, "book": 0.0, "reported": 1.0, "deviation": 1.0}
    ]
    assert copied(rt, iid) == {"mc"}  # the BOM deviation is reported to MC (003 5.7.9)


def test_the_plans_approved_outsourcing_starts_section_6_at_its_plan(
    rt: Runtime, d: Driver
) -> None:
    """§3's group GM approval starts §6 once, linked, on the order, past its own approval;
    later returns to production start nothing more."""
    from gendan.links import children_of
    from tests.engine.plan_driver import act, local, sweep
    from tests.engine.test_production_plan import in_production

    iid = in_production(d, "SO-OW1")
    sweep(d, local(2026, 12, 14, 8))  # the production manager's task opens (packing −1 WD)
    act(d, iid, "prod_mgr", "cannot_make_in_time", reason="喷涂线满 / paint line full")
    act(d, iid, "gm", "propose_outsourcing", {"work": "喷涂", "reason": "产能不足",
                                              "subcontractor": "慈溪华彩喷涂厂"})  # fmt: skip
    act(d, iid, "group_gm", "approve_outsourcing")
    assert state(rt, iid) == "in_production"
    with Session(rt.db) as s:
        [child] = children_of(s, iid, procedures=("outsourcing",))
    assert (child.state, child.order_no) == ("planning", "SO-OW1")
    assert child.data["request"]["work"] == "喷涂" and child.data["orders"] == ["SO-OW1"]
    [task] = open_tasks(rt, child.id)
    assert task.role == "production_planner"
    report = {"day": "2026-12-14", "rows": [{"order": "SO-OW1", "planned": 12, "done": 5}]}
    act(d, iid, "workshop", "daily_report", report)
    with Session(rt.db) as s:
        assert len(children_of(s, iid, procedures=("outsourcing",))) == 1


def test_the_1st_starts_one_month_per_subcontractor_once(rt: Runtime, d: Driver) -> None:
    """The schedule (08:00 on the 1st, fan-out per subcontractor) starts last month's lists for
    each subcontractor once; a second run in the same period starts nothing."""
    from gendan.models import Instance
    from gendan.schedules import run_due

    at = demo.datetime(2026, 12, 1, 0, 5, tzinfo=MONDAY_10.tzinfo)  # 08:05 in Shanghai
    with unit_of_work(rt.db) as s:
        [run] = run_due(s, at, rt.calendar, only="outsourcing_statement")
        assert (run.period, run.outcome, len(run.instance_ids)) == ("2026-12", "started", 2)
    with unit_of_work(rt.db) as s:
        assert run_due(s, at + timedelta(days=3), rt.calendar, only="outsourcing_statement") == []
        months = s.exec(select(Instance).where(Instance.procedure == "outsourcing_statement"))
        got = sorted((i.data["month"]["subcontractor_code"], i.data["month"]["period"])
                     for i in months)  # fmt: skip
    assert got == [(demo.SUB, "2026-11"), (demo.SUB2, "2026-11")]
    [task] = open_tasks(rt, run.instance_ids[0])
    assert task.due_at.astimezone(rt.calendar.zone).date() == demo.date(2026, 12, 4)  # 5th: Sat
