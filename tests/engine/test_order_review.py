"""Order review (§1, §1b, §1c) end to end against a real SQLite file, time injected."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from gendan import audit
from gendan.db import unit_of_work
from gendan.demo import (
    Driver,
    acknowledge,
    order_form,
    review_to_notice,
    review_to_release,
    step_forms,
)
from gendan.errors import Conflict, IllegalTransition, InvalidForm, NotAllowed
from gendan.escalation import escalate_due
from gendan.models import Document, FinishedStock, Notification, Task, Timer, User
from gendan.runtime import Runtime
from tests.engine.helpers import docs, events, instance, open_tasks, order, snapshot

SHANGHAI = timedelta(hours=8)


def local(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - SHANGHAI


def board(rt: Runtime, iid: int) -> list[str]:
    return sorted(t.role for t in open_tasks(rt, iid))


def to_board(driver: Driver, kind: str, no: str, **extra: object) -> tuple[int, dict]:
    form = {**order_form(no, kind, now=driver.now), **extra}
    iid = driver.start("order_review", "clerk", form)
    driver.act(iid, "clerk", "confirm", step_forms(form, driver.now)["confirm"])
    return iid, form


def test_regular_order_reaches_release_with_confirmation_and_acknowledgements(
    rt: Runtime, driver: Driver
) -> None:
    form = order_form("SO-1", "regular", now=driver.now)
    iid = driver.start("order_review", "clerk", form)
    review_to_release(driver, iid, form)
    inst = instance(rt, iid)
    assert inst.state == "released" and inst.closed_at is not None
    assert order(rt, "SO-1").status == "released"
    assert docs(rt, "SO-1", records=True) == {"PS-SO-1-01": "issued", "SC-SO-1-01": "issued"}
    with Session(rt.db) as s:
        record = s.exec(select(Document).where(Document.doc_no == "PS-SO-1-01")).one()
    # [A] 订单评审表 compiled from the board's opinions (004R 3.1.2; 001P 4.1.2)
    assert record.kind == "review_record" and record.data["outcome"] == "feasible"
    assert [(r["department"], r["feasible"]) for r in record.data["rows"]] == [
        ("销售部", True),
        ("生产部", True),
        ("物控部", True),
    ]
    assert record.data["rows"][1]["reviewer"].startswith("孙伟")
    trail = [(e.action, e.detail.get("event")) for e in events(rt, iid)]
    assert ("transition", "issue_notice") in trail
    assert ("transition", "confirm_notice") in trail
    confirm = next(e for e in events(rt, iid) if e.detail.get("event") == "confirm_notice")
    assert confirm.detail["signature"]["meaning"] == "confirmed"
    # board of 3 + 5 acknowledgements
    assert [a for a, _ in trail].count("countersign") == 8
    assert audit.verify(rt.db).ok


def test_kind_follows_the_ticks_and_intake_facts_stay_on_the_order(
    rt: Runtime, driver: Driver
) -> None:
    iid, _ = to_board(
        driver, "regular", "SO-K", discontinued=True, complete_set=True, project="华东变电站"
    )
    o = order(rt, "SO-K")
    assert (o.kind, o.special, o.discontinued, o.project) == (
        "non_regular",
        False,
        True,
        "华东变电站",
    )
    assert o.received_at is not None and o.channel == "fax"
    assert o.technical_requirements == "按客户图纸 / per customer drawing"
    intake = instance(rt, iid).data["intake"]
    assert intake["kind"] == "non_regular" and intake["discontinued"] is True
    with pytest.raises(InvalidForm) as exc:
        driver.start(
            "order_review", "clerk", {**order_form("SO-K2", "regular"), "complete_set": True}
        )
    assert "project" in exc.value.errors


def test_board_per_kind(rt: Runtime, driver: Driver) -> None:
    regular, _ = to_board(driver, "regular", "SO-B1")
    assert board(rt, regular) == ["material_controller", "production_manager", "sales_clerk"]
    non_regular, _ = to_board(driver, "non_regular", "SO-B2")
    assert board(rt, non_regular) == [
        "engineering",
        "material_controller",
        "production_manager",
        "qa_lead",
        "sales_clerk",
    ]
    special, _ = to_board(driver, "special", "SO-B3", outsourced_work=True)
    assert board(rt, special) == [
        "engineering",
        "material_controller",
        "merchandising_lead",
        "outsourcing_coordinator",
        "production_manager",
        "qa_lead",
        "sales_clerk",
    ]


def test_received_at_in_the_future_is_refused_and_nothing_written(
    rt: Runtime, driver: Driver
) -> None:
    before = snapshot(rt)
    form = {
        **order_form("SO-F", "regular"),
        "received_at": (driver.now + timedelta(hours=1)).isoformat(),
    }
    with pytest.raises(InvalidForm) as exc:
        driver.start("order_review", "clerk", form)
    assert "received_at" in exc.value.errors
    assert snapshot(rt) == before


def test_intake_typed_in_late_is_recorded(rt: Runtime, driver: Driver) -> None:
    form = {
        **order_form("SO-L", "regular"),
        "received_at": (driver.now - timedelta(days=7)).isoformat(),
    }
    iid = driver.start("order_review", "clerk", form)
    start = events(rt, iid)[0]
    assert "entered_late" in start.detail


def test_negotiated_date_within_the_board_goes_to_the_quote(rt: Runtime, driver: Driver) -> None:
    iid, form = to_board(driver, "regular", "SO-N1")
    f = step_forms(form, driver.now)
    driver.act(iid, "clerk", "opinion", f["feasible"])
    driver.act(iid, "prod_mgr", "opinion", f["infeasible"])
    driver.act(iid, "mc", "opinion", f["feasible"])
    assert instance(rt, iid).state == "negotiating"
    [task] = open_tasks(rt, iid)
    assert task.pauses_for == "customer"
    earliest = f["infeasible"]["earliest_delivery_date"]
    driver.act(
        iid,
        "clerk",
        "record_negotiation",
        {"customer_accepts": True, "new_delivery_date": earliest, "contact_record": "电话同意"},
    )
    assert instance(rt, iid).state == "quoting"  # the board already said yes to that date
    assert order(rt, "SO-N1").delivery_date == date.fromisoformat(earliest)


def test_negotiated_date_earlier_than_a_reviewer_said_reviews_again(
    rt: Runtime, driver: Driver
) -> None:
    iid, form = to_board(driver, "regular", "SO-N2")
    f = step_forms(form, driver.now)
    for who, op in (("clerk", "feasible"), ("prod_mgr", "infeasible"), ("mc", "feasible")):
        driver.act(iid, who, "opinion", f[op])
    earlier = date.fromisoformat(f["infeasible"]["earliest_delivery_date"]) - timedelta(days=5)
    driver.act(
        iid,
        "clerk",
        "record_negotiation",
        {"customer_accepts": True, "new_delivery_date": earlier.isoformat(), "contact_record": "x"},
    )
    assert instance(rt, iid).state == "feasibility_review"
    assert len(open_tasks(rt, iid)) == 3


def test_customer_refuses_gm_declines_with_signature_or_overrules(
    rt: Runtime, driver: Driver
) -> None:
    for no, decision in (("SO-D1", "approve_decline"), ("SO-D2", "overrule_decline")):
        iid, form = to_board(driver, "regular", no)
        f = step_forms(form, driver.now)
        for who, op in (("clerk", "feasible"), ("prod_mgr", "infeasible"), ("mc", "feasible")):
            driver.act(iid, who, "opinion", f[op])
        driver.act(
            iid,
            "clerk",
            "record_negotiation",
            {"customer_accepts": False, "contact_record": "不同意"},
        )
        assert instance(rt, iid).state == "decline_approval"
        with pytest.raises(InvalidForm) as exc:
            driver.act(iid, "gm", decision, reason="", password="wrong")
        assert set(exc.value.errors) == {"reason", "password"}
        driver.act(iid, "gm", decision, reason="产能不足 / remedies: overtime")
    assert instance(rt, iid).state == "quoting"
    assert order(rt, "SO-D1").status == "declined"
    declined = [e for e in events(rt, iid - 0) if e.detail.get("event") == "overrule_decline"]
    assert declined[0].detail["signature"]["meaning"] == "rejected"


def test_special_order_gm_signoff_and_coordination(rt: Runtime, driver: Driver) -> None:
    iid, form = to_board(driver, "special", "SO-S")
    f = step_forms(form, driver.now)
    for who in ("clerk", "prod_mgr", "mc", "engineer", "qa_lead", "merch_lead"):
        driver.act(iid, who, "opinion", f["feasible"])
    assert instance(rt, iid).state == "special_handling"
    driver.act(iid, "clerk", "agree_handling", {"handling": "加强绝缘", "agreed_with": "陈经理"})
    assert [t.role for t in open_tasks(rt, iid)] == ["general_manager"]
    driver.act(iid, "gm", "approve_special")
    assert instance(rt, iid).state == "coordination"
    assert board(rt, iid) == [
        "engineering",
        "production_manager",
        "purchasing_lead",
        "qa_lead",
        "sales_clerk",
    ]
    opinion = {"agree": True, "structure": "双层柜体", "opinion": "可行"}
    for who in ("clerk", "engineer", "prod_mgr", "qa_lead", "purch_lead"):
        driver.act(iid, who, "opinion", opinion)
    assert instance(rt, iid).state == "coordination_signoff"
    driver.act(iid, "gm", "sign_coordination")
    assert instance(rt, iid).state == "quoting"


def test_a_reviewer_may_mark_a_regular_order_special(rt: Runtime, driver: Driver) -> None:
    iid, form = to_board(driver, "regular", "SO-S2")
    f = step_forms(form, driver.now)
    driver.act(iid, "clerk", "opinion", f["feasible"])
    driver.act(iid, "prod_mgr", "opinion", {**f["feasible"], "special": True})
    driver.act(iid, "mc", "opinion", f["feasible"])
    assert instance(rt, iid).state == "special_handling"


def test_repeat_order_gm_only_then_contract_and_gate(rt: Runtime, driver: Driver) -> None:
    iid, form = to_board(driver, "repeat", "SO-R")
    assert [t.role for t in open_tasks(rt, iid)] == ["general_manager"]
    driver.act(iid, "gm", "sign")
    assert instance(rt, iid).state == "awaiting_contract"
    assert not any(e.action == "countersign" for e in events(rt, iid))


def quoted(driver: Driver, no: str) -> tuple[int, dict[str, dict]]:
    """A regular order found feasible and quoted: the sales head's check is open."""
    iid, form = to_board(driver, "regular", no)
    f = step_forms(form, driver.now)
    for who in ("clerk", "prod_mgr", "mc"):
        driver.act(iid, who, "opinion", f["feasible"])
    driver.act(iid, "clerk", "submit_quote", f["quote"])
    return iid, f


def test_unpaid_order_waits_for_payment_and_the_notice_clock_starts_at_payment(
    rt: Runtime, driver: Driver
) -> None:
    iid, f = quoted(driver, "SO-P")
    driver.act(iid, "sales_head", "approve_quote")
    driver.act(iid, "clerk", "contract_signed", f["unpaid_contract"])
    assert instance(rt, iid).state == "awaiting_payment"
    assert order(rt, "SO-P").status == "reviewing"  # not released to production unpaid
    assert [t.role for t in open_tasks(rt, iid)] == ["finance"]
    # payment two days later, Wednesday 15:00: the notice is due 4 working hours later
    driver.now = local(2026, 11, 25, 15)
    driver.act(iid, "finance", "record_payment", f["payment"])
    [task] = open_tasks(rt, iid)
    assert task.state == "production_notice"
    assert task.due_at == local(2026, 11, 26, 9)  # 15-18 (3h) + 08-09 next day
    assert task.deadline_en == "4 working hours from signing + payment"


def test_credit_terms_marked_by_the_sales_head_pass_the_gate_at_signing(
    rt: Runtime, driver: Driver
) -> None:
    iid, f = quoted(driver, "SO-C")
    driver.act(iid, "sales_head", "approve_quote", {"credit_terms": True})
    assert order(rt, "SO-C").credit_terms is True
    driver.act(iid, "clerk", "contract_signed", f["unpaid_contract"])
    assert instance(rt, iid).state == "production_notice"
    assert order(rt, "SO-C").status == "contracted"


@pytest.mark.parametrize(
    ("field", "value"),
    [("order_no", "SO-OTHER"), ("quantity", 999), ("delivery_date", "2030-01-01")],
)
def test_production_notice_must_match_the_order(
    rt: Runtime, driver: Driver, field: str, value: object
) -> None:
    form = order_form("SO-M", "regular", now=driver.now)
    iid = driver.start("order_review", "clerk", form)
    review_to_notice(driver, iid, form)
    notice = step_forms(form, driver.now)["notice"]
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "clerk", "issue_notice", {**notice, field: value})
    assert set(exc.value.errors) == {field}
    assert snapshot(rt) == before


def test_production_must_check_and_sign_and_may_return_the_notice(
    rt: Runtime, driver: Driver
) -> None:
    form = order_form("SO-PC", "regular", now=driver.now)
    f = step_forms(form, driver.now)
    iid = driver.start("order_review", "clerk", form)
    review_to_notice(driver, iid, form)
    driver.act(iid, "clerk", "issue_notice", f["notice"])
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "prod_mgr", "confirm_notice", {"details_checked": False}, password="x")
    assert {"details_checked", "password"} <= set(exc.value.errors)
    driver.act(iid, "prod_mgr", "return_notice", reason="型号写错")
    assert instance(rt, iid).state == "production_notice"
    driver.act(iid, "clerk", "issue_notice", f["notice"])
    assert docs(rt, "SO-PC") == {"SC-SO-PC-01": "recalled", "SC-SO-PC-02": "issued"}
    driver.act(iid, "prod_mgr", "confirm_notice", f["confirmation"])
    assert instance(rt, iid).state == "acknowledging"


def test_non_regular_notice_is_acknowledged_by_engineering_too(rt: Runtime, driver: Driver) -> None:
    iid, form = to_board(driver, "non_regular", "SO-A")
    f = step_forms(form, driver.now)
    for who in ("clerk", "prod_mgr", "mc", "engineer", "qa_lead"):
        driver.act(iid, who, "opinion", f["feasible"])
    driver.act(iid, "clerk", "submit_quote", f["quote"])
    driver.act(iid, "sales_head", "approve_quote")
    driver.act(iid, "clerk", "contract_signed", f["contract"])
    driver.act(iid, "clerk", "issue_notice", f["notice"])
    driver.act(iid, "prod_mgr", "confirm_notice", f["confirmation"])
    assert "engineering" in board(rt, iid)
    acknowledge(driver, iid, extra=("engineer",))
    assert instance(rt, iid).state == "released"


def test_missed_acknowledgement_goes_to_the_merchandising_lead(rt: Runtime, driver: Driver) -> None:
    form = order_form("SO-AE", "regular", now=driver.now)
    f = step_forms(form, driver.now)
    iid = driver.start("order_review", "clerk", form)
    review_to_notice(driver, iid, form)
    driver.act(iid, "clerk", "issue_notice", f["notice"])
    driver.act(iid, "prod_mgr", "confirm_notice", f["confirmation"])
    escalate_due(rt, now=driver.now + timedelta(days=1, hours=1))
    with Session(rt.db) as s:
        lead = s.exec(select(User).where(User.username == "merch_lead")).one()
        to_lead = s.exec(
            select(Notification).where(
                Notification.user_id == lead.id, Notification.channel == "email"
            )
        ).all()
        escalations = [e for e in events(rt, iid) if e.action == "escalate"]
    # one sweep, five unacknowledged departments: one digest naming each of them
    assert len(escalations) == 5 and len(to_lead) == 1
    assert to_lead[0].template == "digest" and len(to_lead[0].context["items"]) == 5
    assert {e.detail["target"] for e in escalations} == {"head:merchandising"}


def test_ship_from_stock_reserves_stock_and_keeps_the_payment_gate(
    rt: Runtime, driver: Driver
) -> None:
    with unit_of_work(rt.db) as s:
        s.add(FinishedStock(product="配电柜", model_spec="GGD-2200", on_hand=20, reserved=0))
    form = order_form("SO-ST", "regular", now=driver.now)
    f = step_forms(form, driver.now)
    iid = driver.start("order_review", "clerk", form)
    assert instance(rt, iid).data["stock"] == {
        "on_hand": 20,
        "reserved": 0,
        "available": 20,
        "covers": True,
    }
    driver.act(iid, "clerk", "confirm", f["confirm"])
    assert [t.role for t in open_tasks(rt, iid)] == ["salesperson"]
    note = {
        "order_no": "SO-ST",
        "product": "配电柜",
        "model_spec": "GGD-2200",
        "quantity": 12,
        "ship_date": (driver.now + timedelta(days=2)).date().isoformat(),
        "consignee": "宁波",
    }
    with pytest.raises(InvalidForm):
        driver.act(iid, "sales", "fill_shipping_note", {**note, "quantity": 15})
    driver.act(iid, "sales", "fill_shipping_note", note)
    with Session(rt.db) as s:
        assert s.exec(select(FinishedStock)).one().reserved == 12
    assert not any(e.action == "countersign" for e in events(rt, iid))  # no review
    driver.act(iid, "clerk", "contract_signed", f["unpaid_contract"])
    assert instance(rt, iid).state == "awaiting_payment"
    driver.act(iid, "finance", "record_payment", f["payment"])
    assert instance(rt, iid).state == "ready_to_ship"
    assert order(rt, "SO-ST").status == "ready_to_ship"
    # the next order of the same model is no longer covered (8 left)
    other = driver.start("order_review", "clerk", order_form("SO-ST2", "regular", now=driver.now))
    assert instance(rt, other).data["stock"]["covers"] is False


def test_make_to_stock_order(rt: Runtime, driver: Driver) -> None:
    form = {
        "order_no": "KC-1",
        "product": "配电柜",
        "model_spec": "GGD-1000",
        "quantity": 30,
        "unit": "台",
        "delivery_date": (driver.now + timedelta(days=20)).date().isoformat(),
        "stock_basis": "低于成品库存量控制明细表最低量 10",
    }
    with pytest.raises(NotAllowed):
        driver.start("stock_order", "clerk", form)
    iid = driver.start("stock_order", "merch_lead", form)
    assert order(rt, "KC-1").kind == "stock"
    driver.act(iid, "gm", "approve")
    notice = {k: form[k] for k in ("order_no", "product", "model_spec", "quantity", "unit")}
    notice |= {"customer": "库存 / stock", "delivery_date": form["delivery_date"]}
    driver.act(iid, "merch_lead", "issue_notice", notice)
    driver.act(iid, "prod_mgr", "confirm_notice", {"details_checked": True})
    acknowledge(driver, iid)
    assert instance(rt, iid).state == "released"
    with Session(rt.db) as s:
        assert s.exec(select(Document).where(Document.order_no == "KC-1")).one().revision == 1


def test_quote_is_checked_by_someone_else(rt: Runtime, driver: Driver) -> None:
    """Four-eyes: the sales head may not check a quote she submitted herself."""
    from gendan.models import Department, UserRole

    with unit_of_work(rt.db) as s:
        head = s.exec(select(User).where(User.username == "sales_head")).one()
        sales = s.exec(select(Department).where(Department.key == "sales")).one()
        s.add(UserRole(user_id=head.id, role="sales_clerk", department_id=sales.id))
    iid, form = to_board(driver, "regular", "SO-5")
    f = step_forms(form, driver.now)
    for who in ("sales_head", "prod_mgr", "mc"):
        driver.act(iid, who, "opinion", f["feasible"])
    driver.act(iid, "sales_head", "submit_quote", f["quote"])
    with pytest.raises(NotAllowed, match="four-eyes"):
        driver.act(iid, "sales_head", "approve_quote")
    assert instance(rt, iid).state == "quote_check"


def test_returned_quote_goes_back_to_quoting(rt: Runtime, driver: Driver) -> None:
    iid, form = to_board(driver, "regular", "SO-6")
    f = step_forms(form, driver.now)
    for who in ("clerk", "prod_mgr", "mc"):
        driver.act(iid, who, "opinion", f["feasible"])
    driver.act(iid, "clerk", "submit_quote", f["quote"])
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "sales_head", "return_quote", reason="  ")
    assert "reason" in exc.value.errors
    driver.act(iid, "sales_head", "return_quote", reason="单价低于成本 / below cost")
    assert instance(rt, iid).state == "quoting"
    assert events(rt, iid)[-1].detail["signature"]["meaning"] == "rejected"


def test_production_managers_own_overdue_task_goes_to_the_gm_office(
    rt: Runtime, driver: Driver
) -> None:
    """prod_mgr heads production: his own confirmation task skips level 1 (himself)."""
    form = order_form("SO-E", "regular", now=driver.now)
    f = step_forms(form, driver.now)
    iid = driver.start("order_review", "clerk", form)
    review_to_notice(driver, iid, form)
    driver.act(iid, "clerk", "issue_notice", f["notice"])
    [task] = open_tasks(rt, iid)
    assert task.role == "production_manager" and task.due_at is not None
    done = escalate_due(rt, now=task.due_at + timedelta(minutes=1))
    assert [(e.level, e.recipients) for e in done] == [(2, ("gm",))]
    last = [e for e in events(rt, iid) if e.action == "escalate"][-1]
    assert last.detail["skipped"] == ["head"] and last.detail["breach"] is True
    with Session(rt.db) as s:
        pm = s.exec(select(User).where(User.username == "prod_mgr")).one()
        to_pm = s.exec(select(Notification).where(Notification.user_id == pm.id)).all()
        assert {n.template for n in to_pm} == {"new_task"}  # told of tasks, never escalated
    # no level is left above the GM office: a second sweep later records nothing new
    assert escalate_due(rt, now=task.due_at + timedelta(days=5)) == []


def test_gm_signature_overdue_has_no_level_left_and_is_recorded(
    rt: Runtime, driver: Driver
) -> None:
    iid, _ = to_board(driver, "repeat", "SO-G")
    [task] = open_tasks(rt, iid)
    done = escalate_due(rt, now=task.due_at + timedelta(minutes=1))
    assert len(done) == 1 and done[0].recipients == ("gm",)
    breach = [e for e in events(rt, iid) if e.action == "breach"]
    assert breach and breach[0].detail["no_level_left"] is True


def test_intake_deadline_reminder_before_one_working_day(rt: Runtime, driver: Driver) -> None:
    form = order_form("SO-T", "regular", now=driver.now)
    iid = driver.start("order_review", "clerk", form)
    [task] = open_tasks(rt, iid)
    assert task.due_at == driver.now + timedelta(days=1)  # Mon 10:00 → Tue 10:00
    assert task.deadline_kind == "default" and task.pauses_for == "customer"
    with Session(rt.db) as s:
        timers = s.exec(select(Timer).where(Timer.task_id == task.id)).all()
        levels = sorted((t.level, t.due_at) for t in timers)
    assert levels == [(0, local(2026, 11, 23, 17, 45)), (1, task.due_at)]  # 75 % of 9 WH


def test_illegal_decision_names_the_allowed_events(rt: Runtime, driver: Driver) -> None:
    iid, _ = to_board(driver, "repeat", "SO-I")
    with pytest.raises(IllegalTransition) as exc:
        driver.act(iid, "gm", "approve_decline", reason="x")
    assert exc.value.allowed == ["sign", "refuse"]


def test_conflict_class_is_exported() -> None:
    assert issubclass(IllegalTransition, Conflict)


def test_confirming_requirements_after_waiting_on_the_customer_records_the_wait(
    rt: Runtime, driver: Driver
) -> None:
    """1 WD* for the contact; the customer's answer is paused, and the confirmation resumes."""
    from gendan.assignment import claim_task
    from gendan.org import load_actor
    from gendan.pausing import pause_task

    form = order_form("SO-W", "regular", now=driver.now)
    iid = driver.start("order_review", "clerk", form)
    [task] = open_tasks(rt, iid)
    with unit_of_work(rt.db) as s:
        clerk = load_actor(s, s.exec(select(User).where(User.username == "clerk")).one().id)
        claim_task(s, task_id=task.id, actor=clerk, now=driver.now)
        pause_task(
            s,
            task_id=task.id,
            actor=clerk,
            note="已传真确认单",
            now=driver.now,
            calendar=rt.calendar,
        )
    # three working days later the customer answers; only the holder's daily reminders went out
    swept = escalate_due(rt, now=local(2026, 11, 26, 9))
    assert swept and {e.level for e in swept} == {-1}
    driver.now = local(2026, 11, 26, 10)
    driver.act(iid, "clerk", "confirm", step_forms(form, driver.now)["confirm"])
    actions = [e.action for e in events(rt, iid)]
    assert actions.index("pause") < actions.index("resume") < actions.index("transition")
    resume = next(e for e in events(rt, iid) if e.action == "resume")
    assert resume.actor_name.startswith("王丽")
    with Session(rt.db) as s:
        assert s.get(Task, task.id).waited_minutes == 27 * 60  # Mon 10:00 → Thu 10:00


def test_a_regular_order_is_priced_from_the_price_list(rt: Runtime, driver: Driver) -> None:
    iid, form = to_board(driver, "regular", "SO-Q")
    f = step_forms(form, driver.now)
    for who in ("clerk", "prod_mgr", "mc"):
        driver.act(iid, who, "opinion", f["feasible"])
    surcharge = {**f["quote"], "price_basis": "custom_surcharge", "surcharge": "500"}
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "clerk", "submit_quote", surcharge)
    assert list(exc.value.errors) == ["price_basis"]
    nr, nr_form = to_board(driver, "non_regular", "SO-Q2")
    for who in ("clerk", "prod_mgr", "mc", "engineer", "qa_lead"):
        driver.act(nr, who, "opinion", f["feasible"])
    driver.act(nr, "clerk", "submit_quote", surcharge)  # 异型更改标准 on a non-regular order
    assert instance(rt, nr).state == "quote_check"


def test_an_order_flagged_urgent_escalates_by_urgent_sms(rt: Runtime, driver: Driver) -> None:
    """Tasks of an order flagged urgent at intake send their SMS at once, day or night."""
    form = {**order_form("SO-U", "regular", now=driver.now), "urgent": True}
    iid = driver.start("order_review", "clerk", form)
    [task] = open_tasks(rt, iid)
    escalate_due(rt, now=task.due_at + timedelta(minutes=1))
    with Session(rt.db) as s:
        rows = s.exec(select(Notification).where(Notification.template == "escalation")).all()
    assert rows and all(n.urgent for n in rows)
