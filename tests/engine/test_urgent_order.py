"""Urgent order insertion 紧急插单 (§4) through the engine, a real database and injected time.

Every row of PROCEDURES.md §4 that the machine builds: intake, the GM's or deputy's
signed approval, the review meeting on the 紧急订单评审记录表, production's refusal
explained to sales and the customer, materials agreed or late (材料交期延迟申请单), the
line by the configured rule, the displaced orders ranked by the automatic step, the
adjusted plans reported, the 紧急订单生产通知单, the process exception to 生产办 and 总经办
with the instruction relayed to 经营课, the 急单 stock-in alerting the sales head, the
temporary drawings and the closing summary.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from gendan import jobs
from gendan.db import unit_of_work
from gendan.demo import Driver, order_form, review_to_release
from gendan.errors import InvalidForm
from gendan.models import (
    AuditEvent,
    Document,
    Instance,
    InstanceLink,
    MasterSetting,
    Notification,
    Task,
)
from gendan.runtime import Runtime
from tests.engine.helpers import docs, instance, open_tasks, order

URGENT = "UR-2026-001"


def urgent_form(driver: Driver, *, quantity: int = 12, customer_class: str = "A") -> dict:
    form = order_form(URGENT, "regular", days=10, now=driver.now)
    form.update(quantity=quantity, customer_class=customer_class)
    return form


def start(driver: Driver, **kw: Any) -> int:
    return driver.start("urgent_order", "clerk", urgent_form(driver, **kw))


def need(driver: Driver, iid: int, *, must_take: bool = True) -> None:
    driver.act(
        iid,
        "clerk",
        "submit_need",
        {
            "customer_need": "客户展会急需 12 台",
            "problem_points": "交期 10 天，铜排缺料",
            "must_take": must_take,
        },
    )


def approved(driver: Driver, iid: int, who: str = "deputy") -> None:
    need(driver, iid)
    driver.act(iid, who, "approve")


def review_of(rt: Runtime, iid: int) -> int:
    """The §1 review the urgent order started as its child (001W 3.4.2; 004R 3.1.2)."""
    with Session(rt.db) as s:
        (link,) = s.exec(
            select(InstanceLink).where(
                InstanceLink.parent_id == iid, InstanceLink.procedure == "order_review"
            )
        ).all()
        return link.child_id


def board(driver: Driver, iid: int, *, feasible: bool = True) -> int:
    """The urgent board gives its opinions on the §1 child; its id."""
    review = review_of(driver.rt, iid)
    for who in ("clerk", "prod_mgr", "mc"):
        ok = feasible or who != "prod_mgr"
        driver.act(review, who, "opinion", {"feasible": ok, "opinion": "可安排" if ok else "排满"})
    return review


def reviewed(driver: Driver, iid: int, *, feasible: bool = True) -> None:
    approved(driver, iid)
    board(driver, iid, feasible=feasible)


def line_chosen(driver: Driver, iid: int) -> None:
    reviewed(driver, iid)
    driver.act(iid, "buyer", "materials_agreed")
    run_jobs(driver.rt, driver.now)  # the line rule
    driver.act(iid, "prod_mgr", "to_sample_group", {"team": "样品组一班"})


def run_jobs(rt: Runtime, now: datetime) -> list[jobs.JobRun]:
    return jobs.run_due(rt, now=now)


def titles(rt: Runtime, iid: int) -> list[tuple[str, str]]:
    return sorted((t.role, t.title_en) for t in open_tasks(rt, iid))


def actions(rt: Runtime, iid: int) -> list[str]:
    with Session(rt.db) as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.instance_id == iid)).all()
        return [e.action for e in rows]


def released(driver: Driver, order_no: str, days: int, customer_class: str = "B") -> None:
    form = order_form(order_no, "regular", days=days, now=driver.now)
    form["customer_class"] = customer_class
    review_to_release(driver, driver.start("order_review", "clerk", form), form)


# -- rows ---------------------------------------------------------------------------------


def test_intake_is_due_four_working_hours_from_receipt_and_flags_the_order(
    rt: Runtime, driver: Driver
) -> None:
    iid = start(driver)
    (task,) = open_tasks(rt, iid)
    assert (task.role, instance(rt, iid).state) == ("sales_clerk", "need")
    # received 09:40 Monday (company time) → 4 working hours later: 14:40 (lunch 12-13)
    assert task.due_at is not None
    assert task.due_at.replace(tzinfo=None) == datetime(2026, 11, 23, 6, 40)
    assert order(rt, URGENT).urgent is True


def test_approval_is_the_gm_or_the_deputy_signed(rt: Runtime, driver: Driver) -> None:
    iid = start(driver)
    need(driver, iid)
    assert titles(rt, iid) == [
        ("deputy_gm", "Approve the urgent insertion (other orders' dates may move)"),
        ("general_manager", "Approve the urgent insertion (other orders' dates may move)"),
    ]
    driver.act(iid, "deputy", "approve")
    assert instance(rt, iid).state == "urgent_review"
    with Session(rt.db) as s:
        move = s.exec(
            select(AuditEvent).where(
                AuditEvent.instance_id == iid,
                AuditEvent.to_state == "urgent_review",
                AuditEvent.action == "transition",
            )
        ).one()
    assert move.detail["signature"]["meaning"] == "approved"


def test_the_review_is_a_section_1_child_flagged_urgent_that_the_order_waits_for(
    rt: Runtime, driver: Driver
) -> None:
    """001W 3.4.2; 004R 3.1.2: approval starts §1 as a child flagged urgent at its urgent
    board (4 WH*); §4 has no task of its own meanwhile and moves on when the child closes."""
    iid = start(driver)
    approved(driver, iid)
    review = review_of(rt, iid)
    child = instance(rt, review)
    assert (child.procedure, child.state, child.data["urgent"]) == (
        "order_review", "urgent_review", True
    )
    assert child.data["intake"]["order_no"] == URGENT and child.order_no == URGENT
    assert open_tasks(rt, iid) == []  # §4 waits for its child
    board_tasks = open_tasks(rt, review)
    assert {t.role for t in board_tasks} == {"sales_clerk", "production_manager",
                                             "material_controller"}  # fmt: skip
    assert {t.sla for t in board_tasks} == {"4 hours"}  # working hours (§4 Choice)
    with Session(rt.db) as s:
        (link,) = s.exec(select(InstanceLink).where(InstanceLink.child_id == review)).all()
    assert (link.parent_id, link.urgent) == (iid, True)
    board(driver, iid)
    assert instance(rt, review).state == "urgent_feasible"
    assert instance(rt, review).closed_at is not None
    assert instance(rt, iid).state == "materials"  # must-take: the buyer agrees materials
    assert {"child_started", "child_closed"} <= set(actions(rt, iid))


def test_refused_approval_declines_the_order(rt: Runtime, driver: Driver) -> None:
    iid = start(driver)
    need(driver, iid)
    driver.act(iid, "gm", "refuse", reason="影响三个重点客户订单")
    assert instance(rt, iid).state == "not_approved"
    assert order(rt, URGENT).status == "declined"


def test_review_meeting_compiles_the_urgent_review_record(rt: Runtime, driver: Driver) -> None:
    iid = start(driver)
    reviewed(driver, iid)
    assert instance(rt, iid).state == "materials"
    with Session(rt.db) as s:
        doc = s.exec(select(Document).where(Document.kind == "urgent_review_record")).one()
    assert doc.data["outcome"] == "feasible"
    assert [r["department"] for r in doc.data["rows"]] == ["销售部", "生产部", "物控部"]
    assert all(r["signer"] and r["opinion"] for r in doc.data["rows"])


def test_production_cannot_make_it_explains_to_sales_then_the_customer(
    rt: Runtime, driver: Driver
) -> None:
    iid = start(driver)
    reviewed(driver, iid, feasible=False)
    assert instance(rt, iid).state == "production_explains"
    (task,) = open_tasks(rt, iid)
    assert task.role == "production_manager" and task.sla == "30 minutes"
    driver.act(iid, "prod_mgr", "explained", reason="冲压线排满至月底")
    assert instance(rt, iid).state == "sales_explains"
    (task,) = open_tasks(rt, iid)
    assert task.role == "sales_clerk" and task.sla == "30 minutes"
    driver.act(iid, "clerk", "decline", reason="客户不接受常规交期")
    assert instance(rt, iid).state == "decline_signoff"  # 核准不接订单, as §1 declines
    assert {t.role for t in open_tasks(rt, iid)} == {"general_manager", "deputy_gm"}
    driver.act(iid, "gm", "confirm_decline", reason="客户不接受常规交期")
    assert instance(rt, iid).state == "declined"
    assert order(rt, URGENT).status == "declined"


def test_taken_as_a_normal_order_the_review_starts_on_it(rt: Runtime, driver: Driver) -> None:
    iid = start(driver)
    reviewed(driver, iid, feasible=False)
    driver.act(iid, "prod_mgr", "explained", reason="冲压线排满至月底")
    driver.act(iid, "clerk", "as_normal_order", reason="客户接受常规交期")
    assert instance(rt, iid).state == "normal_order"
    with Session(rt.db) as s:
        (urgent, review) = s.exec(
            select(Instance).where(Instance.procedure == "order_review").order_by(Instance.id)
        ).all()
        links = s.exec(
            select(InstanceLink).where(InstanceLink.parent_id == iid).order_by(InstanceLink.id)
        ).all()
    assert (urgent.state, urgent.data["urgent"]) == ("urgent_infeasible", True)
    assert (review.order_no, review.state, "urgent" in review.data) == (
        URGENT, "requirements", False
    )
    assert [lk.child_id for lk in links] == [urgent.id, review.id]
    assert order(rt, URGENT).status == "reviewing"


def test_only_a_must_take_order_has_its_materials_agreed_first(rt: Runtime, driver: Driver) -> None:
    """004R 3.2.2: 势在必接 (large order, key customer) → the buyer agrees the materials with
    the suppliers; an order sales did not tick goes straight to the line rule."""
    iid = start(driver)
    need(driver, iid, must_take=False)
    driver.act(iid, "gm", "approve")
    board(driver, iid)
    assert instance(rt, iid).state == "line_rule"


def test_a_late_material_goes_on_the_delay_request_and_production_replans(
    rt: Runtime, driver: Driver
) -> None:
    iid = start(driver)
    reviewed(driver, iid)
    late = {
        "item": "铜排 TMY-80x8",
        "po_no": "PO-2026-0456",
        "old_date": "2026-11-25",
        "new_date": "2026-11-28",
        "reason": "供应商设备检修",
    }
    with pytest.raises(InvalidForm) as bad:
        driver.act(iid, "buyer", "material_late", {**late, "new_date": "2026-11-24"})
    assert "new_date" in bad.value.errors
    driver.act(iid, "buyer", "material_late", late)
    assert instance(rt, iid).state == "material_delay"
    driver.act(iid, "prod_mgr", "replan", {**late, "decision_note": "先做柜体，后装铜排"})
    data = instance(rt, iid).data
    assert instance(rt, iid).state == "line_rule"
    assert data["forms"]["replan"]["decision"] == "replan"


def test_line_follows_the_configured_threshold(rt: Runtime, driver: Driver) -> None:
    iid = start(driver)  # A-class, 12 units: small → 样品组
    reviewed(driver, iid)
    driver.act(iid, "buyer", "materials_agreed")
    assert [(r.job, r.outcome) for r in run_jobs(rt, driver.now)] == [("urgent_line_rule", "done")]
    rule = instance(rt, iid).data["forms"]["line_suggested"]
    assert rule == {
        "line": "sample_group",
        "customer_class": "A",
        "quantity": 12,
        "small_order_max": 50,
    }
    with pytest.raises(InvalidForm) as bad:
        driver.act(iid, "prod_mgr", "to_dedicated_team", {"team": "专线二队"})
    assert "line" in bad.value.errors
    driver.act(iid, "prod_mgr", "to_sample_group", {"team": "样品组一班"})
    assert instance(rt, iid).state == "ranking"


def test_the_threshold_is_master_data(rt: Runtime, driver: Driver) -> None:
    """Entered in the master data (not hard-coded): 10 units makes the 12-unit order large."""
    with unit_of_work(rt.db) as s:
        s.add(MasterSetting(key="urgent_small_order_max", value="10", updated_at=driver.now))
    iid = start(driver)
    reviewed(driver, iid)
    driver.act(iid, "buyer", "materials_agreed")
    run_jobs(rt, driver.now)
    assert instance(rt, iid).data["forms"]["line_suggested"]["small_order_max"] == 10
    with pytest.raises(InvalidForm):
        driver.act(iid, "prod_mgr", "to_sample_group", {"team": "样品组一班"})
    driver.act(iid, "prod_mgr", "to_dedicated_team", {"team": "专线二队"})
    assert instance(rt, iid).state == "ranking"


def test_a_b_class_small_order_gets_a_dedicated_team(rt: Runtime, driver: Driver) -> None:
    iid = start(driver, customer_class="B")
    reviewed(driver, iid)
    driver.act(iid, "buyer", "materials_agreed")
    run_jobs(rt, driver.now)
    assert instance(rt, iid).data["forms"]["line_suggested"]["line"] == "dedicated_team"


def test_displaced_orders_are_ranked_by_the_automatic_step(rt: Runtime, driver: Driver) -> None:
    released(driver, "SO-LATE-C", days=20, customer_class="C")
    released(driver, "SO-SOON-B", days=12)
    released(driver, "SO-LATE-A", days=20, customer_class="A")
    iid = start(driver)
    line_chosen(driver, iid)
    runs = run_jobs(rt, driver.now)
    assert [(r.job, r.outcome) for r in runs] == [("rank_displaced", "done")]
    assert run_jobs(rt, driver.now) == []  # once
    inst = instance(rt, iid)
    assert inst.state == "plan_adjust"
    ranking = inst.data["forms"]["ranked"]["ranking"]
    assert [r["order_no"] for r in ranking] == ["SO-SOON-B", "SO-LATE-A", "SO-LATE-C"]
    (task,) = open_tasks(rt, iid)
    assert task.role == "production_planner"


#: The two orders the urgent one displaces, and the dates the planner moves them to.
MOVED = {"SO-MOVE-1": ("2026-12-05", "2026-12-08"), "SO-MOVE-2": ("2026-12-13", "2026-12-16")}


def walk_to_production(rt: Runtime, driver: Driver, iid: int) -> None:
    for order_no, days, cls in (("SO-MOVE-1", 12, "B"), ("SO-MOVE-2", 20, "C")):
        with Session(rt.db) as s:
            known = s.exec(select(Instance).where(Instance.order_no == order_no)).first()
        if known is None:
            released(driver, order_no, days=days, customer_class=cls)
    line_chosen(driver, iid)
    run_jobs(rt, driver.now)
    rows = [{"order_no": o, "old_date": a, "new_date": b} for o, (a, b) in MOVED.items()]
    driver.act(iid, "planner", "plans_adjusted", {"report": "两单各顺延 3 天", "rows": rows})
    assert instance(rt, iid).state == "notice_issue"
    facts = order(rt, URGENT)
    driver.act(
        iid,
        "planner",
        "issue_urgent_notice",
        {
            "order_no": URGENT,
            "product": facts.product,
            "quantity": facts.quantity,
            "delivery_date": facts.delivery_date.isoformat(),
            "line": "sample_group",
            "team": "样品组一班",
        },
    )


def test_adjusted_plans_are_reported_and_the_urgent_notice_issued(
    rt: Runtime, driver: Driver
) -> None:
    iid = start(driver)
    walk_to_production(rt, driver, iid)
    inst = instance(rt, iid)
    assert inst.state == "in_production"
    assert order(rt, URGENT).status == "released"
    with Session(rt.db) as s:
        doc = s.exec(select(Document).where(Document.kind == "urgent_notice")).one()
        told = s.exec(select(Notification).where(Notification.template == "inform")).all()
    assert doc.data["urgent"] is True and doc.data["team"] == "样品组一班"
    assert any("gm" in n.address for n in told)  # reported to management (总经办)
    # each moved date → a §2 delivery change on its own order, linked to the urgent order
    with Session(rt.db) as s:
        changes = s.exec(select(Instance).where(Instance.procedure == "order_change")).all()
        links = s.exec(select(InstanceLink).where(InstanceLink.parent_id == iid)).all()
    assert sorted(c.order_no for c in changes) == sorted(MOVED)
    assert all(c.state == "received" for c in changes)
    assert all("2026-12-" in c.data["request"]["change_description"] for c in changes)
    assert sorted(ln.child_id for ln in links if ln.procedure == "order_change") == sorted(
        c.id for c in changes
    )
    for c in changes:
        (classify,) = open_tasks(rt, c.id)
        assert classify.role == "sales_clerk" and classify.sla == "30 minutes"
    # 001W 3.4.2: the plan (§3) starts as a child of the urgent order, flagged urgent
    with Session(rt.db) as s:
        (plan,) = s.exec(
            select(Instance).where(
                Instance.procedure == "production_plan", Instance.order_no == URGENT
            )
        ).all()
    assert plan.order_no == URGENT and plan.data["urgent"] is True
    assert any(ln.child_id == plan.id and ln.urgent for ln in links)
    (task,) = open_tasks(rt, iid)
    assert task.role == "workshop_director"
    assert task.deadline_kind == "date-anchored"


def test_process_exception_to_the_office_then_the_gm_relayed_to_sales(
    rt: Runtime, driver: Driver
) -> None:
    iid = start(driver)
    walk_to_production(rt, driver, iid)
    driver.act(iid, "workshop", "exception_found", reason="焊接变形")
    (task,) = open_tasks(rt, iid)
    assert (task.role, task.sla) == ("workshop_director", "30 minutes")
    report = {
        "found_at": driver.now.isoformat(),
        "description": "焊接变形，需返工",
        "delay_hours": 16,
        "threatens_delivery": True,
    }
    driver.act(iid, "workshop", "report_exception", report)
    (task,) = open_tasks(rt, iid)
    assert (task.role, task.sla) == ("production_manager", "30 minutes")
    with pytest.raises(InvalidForm) as bad:
        driver.act(iid, "prod_mgr", "exception_handled", {**report, "handling": "加班返工"})
    assert "threatens_delivery" in bad.value.errors
    driver.act(iid, "prod_mgr", "ask_gm", {**report, "handling": "加班返工，申请延期一天"})
    (task,) = open_tasks(rt, iid)
    assert task.role == "general_manager" and task.chain == []  # no escalation
    with pytest.raises(InvalidForm):
        driver.act(iid, "gm", "instruct", {**report, "handling": "加班返工"})
    driver.act(
        iid,
        "gm",
        "instruct",
        {**report, "handling": "加班返工", "gm_instruction": "同意加班，经营课通知客户"},
    )
    assert instance(rt, iid).state == "instructed"
    with Session(rt.db) as s:
        relayed = s.exec(
            select(Notification).where(
                Notification.template == "inform", Notification.cause.like(f"inform:{iid}:%")
            )
        ).all()
        doc = s.exec(select(Document).where(Document.kind == "process_exception")).one()
    assert any(n.address.startswith("sales_head@") for n in relayed)
    assert doc.data["gm_instruction"] == "同意加班，经营课通知客户"
    driver.act(iid, "prod_mgr", "carry_on")
    assert instance(rt, iid).state == "in_production"


def stock_in(driver: Driver, iid: int, **extra: Any) -> None:
    driver.act(
        iid,
        "workshop",
        "stock_in",
        {
            "order_no": URGENT,
            "rows": [{"product": "配电柜", "model_spec": "GGD-2200", "quantity": 12}],
            **extra,
        },
    )


def test_stock_in_marked_urgent_alerts_the_sales_head_drawings_and_summary(
    rt: Runtime, driver: Driver
) -> None:
    iid = start(driver)
    walk_to_production(rt, driver, iid)
    with pytest.raises(InvalidForm) as bad:
        stock_in(driver, iid, urgent_mark=False)
    assert "urgent_mark" in bad.value.errors
    driver.now += timedelta(hours=1)
    stock_in(driver, iid)
    inst = instance(rt, iid)
    assert inst.state == "shipping"
    (task,) = open_tasks(rt, iid)
    assert (task.role, task.sla) == ("dept_head", "30 minutes")
    with Session(rt.db) as s:
        alert = s.exec(
            select(Notification).where(
                Notification.cause == f"inform:{iid}:{inst.version - 1}:shipping"
            )
        ).all()
    assert any(n.address.startswith("sales_head@") for n in alert)
    driver.act(iid, "sales_head", "shipping_arranged")
    assert titles(rt, iid) == [
        ("dept_head", "Order complete: ask the finished goods keeper for the drawings"),
        ("fg_keeper", "Collect the temporary drawings, hand them to the engineering head (24 h)"),
    ]
    for t in open_tasks(rt, iid):
        assert t.sla == "1 working day"
    drawings = {"rows": [{"drawing": "TZ-UR-01", "issued_to": "样品组一班"}]}
    with pytest.raises(InvalidForm) as bad:
        driver.act(iid, "fg_keeper", "drawings_returned", drawings)
    assert "rows.0.returned_at" in bad.value.errors
    drawings["rows"][0]["returned_at"] = driver.now.isoformat()
    driver.act(iid, "fg_keeper", "drawings_returned", drawings)
    assert instance(rt, iid).state == "summary"
    runs = run_jobs(rt, driver.now)
    assert [(r.job, r.outcome) for r in runs] == [("urgent_summary", "done")]
    inst = instance(rt, iid)
    assert inst.state == "closed" and inst.closed_at is not None
    summary = inst.data["forms"]["summarized"]
    assert summary["resources"] == {
        "line": "sample_group",
        "team": "样品组一班",
        "orders_moved": 2,
        "material_late": False,
    }
    assert summary["times"]["hours_to_stock_in"] == 1.0
    assert summary["quality"]["process_exceptions"] == 0


def test_every_waiting_task_is_urgent(rt: Runtime, driver: Driver) -> None:
    from states.urgent_order import UrgentOrder

    for state in UrgentOrder.states:
        wait = UrgentOrder.wait_for(state.id)
        assert state.final or (wait is not None and wait.urgent), state.id
    with Session(rt.db) as s:
        assert s.exec(select(Task)).first() is None


def test_cancelling_the_urgent_order_stops_it_and_its_plan(rt: Runtime, driver: Driver) -> None:
    """The §3 plan runs as the urgent order's child, flagged urgent; a cancellation (§2 (4))
    stops the urgent order and the plan, their open tasks cancelled."""
    from tests.engine.test_order_change import notice, start_change

    iid = start(driver)
    walk_to_production(rt, driver, iid)
    with Session(rt.db) as s:
        (plan,) = s.exec(
            select(Instance).where(
                Instance.procedure == "production_plan", Instance.order_no == URGENT
            )
        ).all()
    assert plan.data["urgent"] is True and open_tasks(rt, plan.id)
    change = start_change(driver, URGENT)
    driver.act(change, "clerk", "classify_cancel", notice(driver, URGENT), reason="客户取消")
    driver.act(change, "sales_head", "sign_cancel", reason="同意取消 / agreed")
    assert order(rt, URGENT).status == "cancelled"
    assert docs(rt, URGENT)["JT-UR-2026-001-01"] == "recalled"  # the urgent notice
    for stopped in (iid, plan.id):
        inst = instance(rt, stopped)
        assert inst.closed_at is not None and inst.data["stopped_by"] == change
        assert open_tasks(rt, stopped) == []
    # the urgent review (§1, a child flagged urgent) had closed with its outcome: a change
    # applies to an order in performance (001M 1.5.2), after the review; nothing runs on
    with Session(rt.db) as s:
        kids = s.exec(
            select(Instance, InstanceLink.urgent)
            .join(InstanceLink, InstanceLink.child_id == Instance.id)
            .where(InstanceLink.parent_id == iid, Instance.order_no == URGENT)
        ).all()
        running = s.exec(
            select(Instance.id).where(Instance.order_no == URGENT, Instance.id != change,
                                      Instance.closed_at.is_(None))  # fmt: skip
        ).all()
    assert sorted((k.procedure, k.state, flag) for k, flag in kids) == [
        ("order_review", "urgent_feasible", True),
        ("production_plan", "planning", True),
    ]
    assert running == []


def test_a_displaced_order_with_a_change_open_is_named_in_the_trail(
    rt: Runtime, driver: Driver
) -> None:
    """One open change per order (§2): a moved order already in a change gets no second one;
    the urgent order's trail says so (child_skipped) and the other order's change starts."""
    from tests.engine.test_order_change import start_change

    released(driver, "SO-MOVE-1", days=12)
    first = start_change(driver, "SO-MOVE-1")
    iid = start(driver)
    walk_to_production(rt, driver, iid)  # releases SO-MOVE-2 (SO-MOVE-1 exists already)
    with Session(rt.db) as s:
        changes = s.exec(select(Instance).where(Instance.procedure == "order_change")).all()
        skipped = s.exec(
            select(AuditEvent).where(
                AuditEvent.instance_id == iid, AuditEvent.action == "child_skipped"
            )
        ).all()
    assert sorted((c.order_no, c.id == first) for c in changes) == [
        ("SO-MOVE-1", True),
        ("SO-MOVE-2", False),
    ]
    assert [(e.detail["order_no"], e.detail["running"]) for e in skipped] == [("SO-MOVE-1", first)]
