"""Returns and after-sales (PROCEDURES.md §8a customer service, §8b transit damage) through
the engine, a real database and injected time: every row — the QR/JY-2005 form to
after-sales in 60 WM, the customer contacted in 2 WH, cause and countermeasure with the
merchandising lead, each outcome (a remake as a §1 repeat order child without quote or
payment gate; reworked stock as a §3 non-standard order child), the site installation paused
on the customer; transit damage with its notices, service decision and claim."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from gendan.demo import Driver, step_forms
from gendan.errors import InvalidForm
from gendan.models import Instance, InstanceLink, InstanceOrder, Notification, Order, User
from tests.engine.helpers import events, instance, open_tasks, order
from tests.engine.plan_driver import local, released, tasks_of

MONDAY_10 = local(2026, 11, 23, 10)


def feedback(order_no: str | None, received: datetime, **kw: Any) -> dict[str, Any]:
    """QR/JY-2005 as the sales clerk types it: the customer's call and fax."""
    return {
        "customer": "宁波华东机电有限公司",
        "order_no": order_no,
        "received_at": received.isoformat(),
        "description": "柜门变形，两台指示灯不亮 / doors bent, two lamps dead",
        "fax": "FAX-1123-01",
        "contact": "陈经理 13800000000",
        **kw,
    }


def complaint(d: Driver, order_no: str = "SO-K1", **kw: Any) -> int:
    """A released order; the customer calls at 09:40, the clerk types the form in at 10:00."""
    released(d, order_no)
    return d.start("customer_service", "clerk", feedback(order_no, d.now - timedelta(minutes=20),
                                                          **kw))  # fmt: skip


def to_deciding(d: Driver, iid: int) -> None:
    d.act(iid, "clerk", "pass_to_after_sales")
    d.act(iid, "service", "customer_contacted", {"contacted_at": d.now.isoformat(),
                                         "contact_record": "约定上门查看"})  # fmt: skip
    analysis = {"cause": "运输中堆码过高", "countermeasure": "改木箱包装"}
    d.act(iid, "service", "opinion", analysis)
    d.act(iid, "merch_lead", "opinion", analysis)


def outcome(event: str, **kw: Any) -> dict[str, Any]:
    return {"details": "与客户商定 / agreed with the customer", **kw}


def state(d: Driver, iid: int) -> str:
    return instance(d.rt, iid).state


def child_of(d: Driver, iid: int, procedure: str) -> Instance:
    with Session(d.rt.db) as s:
        (link,) = s.exec(
            select(InstanceLink).where(
                InstanceLink.parent_id == iid, InstanceLink.procedure == procedure
            )
        ).all()
        kid = s.get(Instance, link.child_id)
        assert kid is not None
        return kid


def informed(d: Driver, iid: int) -> list[str]:
    with Session(d.rt.db) as s:
        rows = s.exec(
            select(Notification, User.username)
            .join(User, User.id == Notification.user_id)
            .where(Notification.template == "inform", Notification.channel == "email")
        ).all()
    return sorted(u for n, u in rows if n.context.get("instance_id") == iid)


# -- §8a ---------------------------------------------------------------------------------


def test_the_form_goes_to_after_sales_in_60_wm_then_the_customer_is_contacted_in_2_wh(
    driver: Driver,
) -> None:
    d = driver
    d.now = MONDAY_10
    iid = complaint(d)
    inst = instance(d.rt, iid)
    assert (inst.subject_kind, inst.subject_key, inst.order_no) == (
        "complaint", f"KF-{iid:06d}", "SO-K1"
    )
    with Session(d.rt.db) as s:
        assert s.exec(select(InstanceOrder.order_no).where(InstanceOrder.instance_id == iid)
                      ).all() == ["SO-K1"]  # fmt: skip
    tasks = open_tasks(d.rt, iid)
    assert sorted(t.role for t in tasks) == ["sales_clerk", "salesperson"]
    # received 09:40 → 60 working minutes → 10:40 (company time)
    assert {t.due_at for t in tasks} == {local(2026, 11, 23, 10, 40)}
    d.now = local(2026, 11, 23, 10, 30)
    d.act(iid, "clerk", "pass_to_after_sales")
    (task,) = open_tasks(d.rt, iid)
    # the after-sales leader: 2 working hours from the form's receipt (09:40) → 11:40
    assert (task.role, task.due_at) == ("dept_head", local(2026, 11, 23, 11, 40))
    d.act(iid, "service", "customer_contacted", {"contacted_at": d.now.isoformat(),
                                         "contact_record": "电话联系陈经理"})  # fmt: skip
    assert state(d, iid) == "cause_analysis"


def test_cause_and_countermeasure_with_the_merchandising_lead_then_accepted_as_is(
    driver: Driver,
) -> None:
    d = driver
    iid = complaint(d)
    d.act(iid, "clerk", "pass_to_after_sales")
    d.act(iid, "service", "customer_contacted", {"contacted_at": d.now.isoformat(),
                                         "contact_record": "约定上门查看"})  # fmt: skip
    tasks = open_tasks(d.rt, iid)
    assert sorted(t.role for t in tasks) == ["after_sales", "merchandising_lead"]
    assert {t.sla for t in tasks} == {"1 working day"}
    analysis = {"cause": "运输中堆码过高", "countermeasure": "改木箱包装"}
    d.act(iid, "service", "opinion", analysis)
    d.act(iid, "merch_lead", "opinion", analysis)
    assert state(d, iid) == "outcome_decision"
    assert sorted(t.role for t in open_tasks(d.rt, iid)) == ["after_sales", "dept_head"]
    with pytest.raises(InvalidForm) as bad:  # a discount names its amount
        d.act(iid, "sales_head", "grant_discount", outcome("discount"))
    assert "discount_amount" in bad.value.errors
    d.act(iid, "sales_head", "accept_as_is", outcome("accept_as_is"))
    inst = instance(d.rt, iid)
    assert inst.state == "closed" and inst.closed_at is not None
    assert inst.data["forms"]["accept_as_is"]["outcome"] == "accept_as_is"


@pytest.mark.parametrize(
    ("event", "kind", "extra"),
    [
        ("rework_reship", "rework_reship", {}),
        ("grant_discount", "discount", {"discount_amount": 3000}),
        ("customer_terms", "customer_terms", {}),
    ],
)
def test_the_other_outcomes_close_the_request(
    driver: Driver, event: str, kind: str, extra: dict[str, Any]
) -> None:
    iid = complaint(driver)
    to_deciding(driver, iid)
    driver.act(iid, "service", event, outcome(kind, **extra))
    assert state(driver, iid) == "closed"
    assert instance(driver.rt, iid).data["forms"][event]["outcome"] == kind


def test_a_remake_is_a_section_1_repeat_order_child_without_quote_or_payment_gate(
    driver: Driver,
) -> None:
    d = driver
    iid = complaint(d)
    to_deciding(d, iid)
    with pytest.raises(InvalidForm) as bad:  # the remake names its order
        d.act(iid, "service", "order_remake", outcome("remake"))
    assert "new_order_no" in bad.value.errors
    with pytest.raises(InvalidForm) as taken:  # an existing number is refused, nothing written
        d.act(iid, "service", "order_remake", outcome("remake", new_order_no="SO-K1", quantity=2,
                                                 delivery_date="2026-12-30"))  # fmt: skip
    assert "new_order_no" in taken.value.errors and state(d, iid) == "outcome_decision"
    d.act(iid, "service", "order_remake", outcome("remake", new_order_no="SO-K1-BD1", quantity=2,
                                             delivery_date="2026-12-30"))  # fmt: skip
    assert state(d, iid) == "remake_running"
    remake = order(d.rt, "SO-K1-BD1")
    assert (remake.kind, remake.repeat_of, remake.quantity, remake.customer) == (
        "repeat", "SO-K1", 2, "宁波华东机电有限公司"
    )
    review = child_of(d, iid, "order_review")
    assert (review.order_no, review.state) == ("SO-K1-BD1", "requirements")
    form = {"model_spec": "GGD-2200", "quantity": 2, "delivery_date": "2026-12-30",
            "confirmed_with": "陈经理"}  # fmt: skip
    d.act(review.id, "clerk", "confirm", form)
    assert state(d, review.id) == "gm_signoff"  # a repeat: the GM signs, no review, no quote
    d.act(review.id, "gm", "sign")
    facts = order(d.rt, "SO-K1-BD1").model_dump(mode="json")
    f = step_forms(facts, d.now)
    d.act(review.id, "clerk", "contract_signed", f["unpaid_contract"])
    # no payment gate: the cost is the factory's (the notice is due from signing)
    assert state(d, review.id) == "production_notice"
    assert state(d, iid) == "remake_running"  # the complaint waits for its child
    d.act(review.id, "clerk", "issue_notice", f["notice"])
    d.act(review.id, "prod_mgr", "confirm_notice", f["confirmation"])
    from gendan.demo import acknowledge

    acknowledge(d, review.id)
    assert state(d, review.id) == "released"
    assert state(d, iid) == "closed"
    assert {"child_started", "child_closed"} <= {e.action for e in events(d.rt, iid)}


def test_reworked_stock_is_a_non_standard_order_planned_by_section_3(driver: Driver) -> None:
    d = driver
    iid = complaint(d)
    to_deciding(d, iid)
    d.act(iid, "sales_head", "rework_stock", outcome("rework_stock", new_order_no="SO-K1-FG1",
                                                      quantity=5, delivery_date="2026-12-18"))
    assert state(d, iid) == "rework_running"
    rework = order(d.rt, "SO-K1-FG1")
    assert (rework.kind, rework.status, rework.quantity) == ("non_regular", "released", 5)
    plan = child_of(d, iid, "production_plan")
    assert (plan.order_no, plan.state) == ("SO-K1-FG1", "planning")
    assert plan.data["plan_start"]["remarks"].startswith("售后库存返工")
    assert tasks_of(d, plan.id)  # the production manager plans it


def test_site_installation_waits_on_the_customer_then_serves_on_the_date(driver: Driver) -> None:
    d = driver
    iid = complaint(d, site_installation=True, description="现场安装 / site installation")
    d.act(iid, "clerk", "pass_to_after_sales")
    d.act(iid, "service", "customer_contacted", {"contacted_at": d.now.isoformat(),
                                         "contact_record": "客户工程未完"})  # fmt: skip
    assert state(d, iid) == "site_installation"
    (task,) = open_tasks(d.rt, iid)
    assert (task.role, task.pauses_for) == ("salesperson", "customer")
    d.pause(iid, "sales", "等客户土建完工 / waiting for the customer's building")
    assert open_tasks(d.rt, iid)[0].paused_at is not None
    d.now += timedelta(days=3)
    d.act(iid, "sales", "set_service_date", {"project_status": "土建完工",
                                              "service_date": "2026-12-03", "site": "宁波北仑"})
    [scheduled] = tasks_of(d, iid, "scheduled")
    assert (scheduled.role, scheduled.opens_at) == ("after_sales", local(2026, 12, 3, 8))
    assert scheduled.due_at == local(2026, 12, 3, 18)
    from tests.engine.plan_driver import sweep

    sweep(d, local(2026, 12, 3, 8))
    d.act(iid, "service", "service_done", {"done_on": "2026-12-03", "record": "安装调试完成"})
    assert state(d, iid) == "closed"


def test_a_request_without_an_order_and_one_naming_an_unknown_order(driver: Driver) -> None:
    d = driver
    iid = d.start("customer_service", "sales", feedback(None, d.now))
    assert instance(d.rt, iid).order_no == ""
    with pytest.raises(InvalidForm) as bad:
        d.start("customer_service", "clerk", feedback("SO-NONE", d.now))
    assert "order_no" in bad.value.errors
    to_deciding(d, iid)
    with pytest.raises(InvalidForm) as no_order:  # nothing to remake
        d.act(iid, "service", "order_remake", outcome("remake", new_order_no="SO-X-BD1", quantity=1,
                                                 delivery_date="2026-12-30"))  # fmt: skip
    assert "outcome" in no_order.value.errors
    with Session(d.rt.db) as s:
        assert s.exec(select(Order).where(Order.order_no == "SO-X-BD1")).first() is None


# -- §8b ---------------------------------------------------------------------------------


def damage(order_no: str, received: datetime) -> dict[str, Any]:
    return {
        "order_no": order_no,
        "customer": "宁波华东机电有限公司",
        "received_at": received.isoformat(),
        "carrier": "德邦 DB-1",
        "description": "两台柜体外壳凹陷 / two cabinets dented",
    }


def test_transit_damage_informs_then_service_in_1_wd_then_the_claim(driver: Driver) -> None:
    d = driver
    released(d, "SO-T1")
    d.now = MONDAY_10
    iid = d.start("transit_damage", "clerk", damage("SO-T1", MONDAY_10 - timedelta(minutes=30)))
    inst = instance(d.rt, iid)
    assert (inst.subject_kind, inst.subject_key, inst.order_no) == (
        "transit_damage", f"YS-{iid:06d}", "SO-T1"
    )
    # [A] after-sales, the logistics leader and the freight auditor (finance) informed at once
    assert informed(d, iid) == ["finance", "logistics", "service"]
    (task,) = open_tasks(d.rt, iid)
    # 1 WD (及时) from the report's receipt (09:30) → Tuesday 09:30
    assert (task.role, task.due_at) == ("after_sales", local(2026, 11, 24, 9, 30))
    d.act(iid, "service", "service_decided", {"service": "更换柜体外壳",
                                              "answer_to_customer": "三日内更换"})  # fmt: skip
    (task,) = open_tasks(d.rt, iid)
    assert (task.role, task.sla) == ("dept_head", "1 working day")  # the logistics leader
    # the QA and production heads join the cause analysis (copied)
    assert informed(d, iid) == ["finance", "logistics", "prod_mgr", "qa_lead", "service"]
    d.act(iid, "logistics", "claim_made", {"cause": "承运人装卸不当", "claim_against": "德邦物流",
                                         "claim_amount": 4000})  # fmt: skip
    assert state(d, iid) == "closed"


def test_transit_damage_needs_an_existing_order(driver: Driver) -> None:
    with pytest.raises(InvalidForm) as bad:
        driver.start("transit_damage", "clerk", damage("SO-NOPE", driver.now))
    assert "order_no" in bad.value.errors
    blank = {**damage("x", driver.now)}
    blank.pop("order_no")
    with pytest.raises(InvalidForm):
        driver.start("transit_damage", "clerk", blank)

