"""§4 deadlines by real e-mail and SMS: each overdue step's escalation arrives exactly once after
sweeping twice, at the head the chain names; an urgent step's SMS goes out at night."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.delivery import deliver_pending
from gendan.demo import Driver
from gendan.escalation import escalate_due
from gendan.runtime import Runtime
from tests.conftest import MONDAY_10, make_runtime
from tests.engine import test_urgent_order as walk
from tests.engine.helpers import open_tasks
from tests.flows.test_escalation_mail import escalation_mails
from tests.support.servers import SmsGateway, SmtpSink

MAIL = "@demo.gendan.local"


def _at_need(d: Driver) -> int:
    return walk.start(d)


def _at_approval(d: Driver) -> int:
    iid = walk.start(d)
    walk.need(d, iid)
    return iid


def _at_review(d: Driver) -> int:
    """The urgent board's tasks are the §1 child's (started flagged urgent)."""
    iid = walk.start(d)
    walk.approved(d, iid)
    return walk.review_of(d.rt, iid)


def _at_production_explains(d: Driver) -> int:
    iid = walk.start(d)
    walk.reviewed(d, iid, feasible=False)
    return iid


def _at_sales_explains(d: Driver) -> int:
    iid = _at_production_explains(d)
    d.act(iid, "prod_mgr", "explained", reason="排满")
    return iid


def _at_decline_signoff(d: Driver) -> int:
    iid = _at_sales_explains(d)
    d.act(iid, "clerk", "decline", reason="客户不接受常规交期")
    return iid


def _at_materials(d: Driver) -> int:
    iid = walk.start(d)
    walk.reviewed(d, iid)
    return iid


def _at_line_choice(d: Driver) -> int:
    iid = _at_materials(d)
    d.act(iid, "buyer", "materials_agreed")
    walk.run_jobs(d.rt, d.now)  # the line rule (master data)
    return iid


def _at_material_delay(d: Driver) -> int:
    iid = _at_materials(d)
    late = {
        "item": "铜排",
        "po_no": "PO-1",
        "old_date": "2026-11-25",
        "new_date": "2026-11-27",
        "reason": "检修",
    }
    d.act(iid, "buyer", "material_late", late)
    return iid


def _at_plan_adjust(d: Driver) -> int:
    iid = walk.start(d)
    walk.line_chosen(d, iid)
    walk.run_jobs(d.rt, d.now)
    return iid


def _at_notice_issue(d: Driver) -> int:
    iid = _at_plan_adjust(d)
    d.act(iid, "planner", "plans_adjusted", {"report": "无需调整 / nothing moves", "rows": []})
    return iid


def _at_in_production(d: Driver) -> int:
    iid = walk.start(d)
    walk.walk_to_production(d.rt, d, iid)
    return iid


REPORT = {
    "found_at": MONDAY_10.isoformat(),
    "description": "焊接变形",
    "delay_hours": 16,
    "threatens_delivery": True,
}


def _at_exception_report(d: Driver) -> int:
    iid = _at_in_production(d)
    d.act(iid, "workshop", "exception_found", reason="焊接变形")
    return iid


def _at_production_office(d: Driver) -> int:
    iid = _at_exception_report(d)
    d.act(iid, "workshop", "report_exception", REPORT)
    return iid


def _at_gm_instruction(d: Driver) -> int:
    iid = _at_production_office(d)
    d.act(iid, "prod_mgr", "ask_gm", {**REPORT, "handling": "加班返工"})
    return iid


def _at_instructed(d: Driver) -> int:
    iid = _at_gm_instruction(d)
    d.act(iid, "gm", "instruct", {**REPORT, "handling": "加班", "gm_instruction": "同意"})
    return iid


def _at_shipping(d: Driver) -> int:
    iid = _at_in_production(d)
    walk.stock_in(d, iid)
    return iid


def _at_drawings_return(d: Driver) -> int:
    iid = _at_shipping(d)
    d.act(iid, "sales_head", "shipping_arranged")
    return iid


#: state → (how to get there, who hears of the missed deadline first). Never the holder:
#: the production manager heads production, the GM heads the GM office (→ the next level).
ROWS: dict[str, tuple[Callable[[Driver], int], set[str]]] = {
    "need": (_at_need, {"sales_head"}),
    "approval": (_at_approval, {"gm"}),  # the deputy's task → the GM office's head
    "urgent_review": (_at_review, {"sales_head", "gm", "mc_head"}),
    "production_explains": (_at_production_explains, {"gm"}),
    "sales_explains": (_at_sales_explains, {"sales_head"}),
    "decline_signoff": (_at_decline_signoff, {"gm"}),
    "materials": (_at_materials, {"purch_lead"}),
    "line_choice": (_at_line_choice, {"gm"}),
    "material_delay": (_at_material_delay, {"gm"}),
    "plan_adjust": (_at_plan_adjust, {"prod_mgr"}),
    "notice_issue": (_at_notice_issue, {"prod_mgr"}),
    "in_production": (_at_in_production, {"gm"}),  # the workshop's head is the holder
    "exception_report": (_at_exception_report, {"gm"}),
    "production_office": (_at_production_office, {"gm"}),
    # 004R 4 names no one above 总经办: no escalation, the GM himself is reminded (breach)
    "gm_instruction": (_at_gm_instruction, {"gm"}),
    "instructed": (_at_instructed, {"gm"}),
    "shipping": (_at_shipping, {"gm"}),  # the sales head's own task
    "drawings_return": (_at_drawings_return, {"keeper", "gm"}),
}


def runtime(tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway) -> Runtime:
    return make_runtime(tmp_path / "g.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)


def sweep_twice(rt: Runtime, now: datetime) -> None:
    for _ in range(2):
        escalate_due(rt, now=now)
        deliver_pending(rt, now=now)


@pytest.mark.parametrize("state", list(ROWS))
def test_first_escalation_arrives_once(
    state: str, tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    rt = runtime(tmp_path, smtp_sink, sms_gateway)
    reach, heads = ROWS[state]
    iid = reach(Driver(rt, MONDAY_10))
    tasks = open_tasks(rt, iid)
    assert tasks and all(t.state == state for t in tasks)
    due = max(t.due_at for t in tasks if t.due_at is not None)
    sweep_twice(rt, due + timedelta(minutes=1))
    # the urgent order's own tasks (the §2 changes and the §3 plan it started have theirs)
    per_task = _per_task(smtp_sink, tasks)
    assert {to for to, _ in per_task} == {f"{h}{MAIL}" for h in heads}
    assert all(n == 1 for n in per_task.values())


def _per_task(sink: SmtpSink, tasks: list) -> Counter[tuple[str, int]]:
    """(recipient, task) pairs: each task's escalation reaches each recipient once."""
    out: Counter[tuple[str, int]] = Counter()
    for m in escalation_mails(sink):
        for t in tasks:
            if f"/tasks/{t.id}" in m.body:
                out[(m.to, t.id)] += 1
    return out


def test_urgent_sms_goes_out_at_night_with_an_acknowledgement_link(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    rt = runtime(tmp_path, smtp_sink, sms_gateway)
    iid = _at_need(Driver(rt, MONDAY_10))
    (task,) = open_tasks(rt, iid)
    night = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 23:00 Shanghai: quiet hours
    assert task.due_at is not None and task.due_at < night
    sweep_twice(rt, night)
    assert [s["to"] for s in sms_gateway.received] == ["13800000002"]  # the sales head, now
    assert "/ack/" in sms_gateway.received[0]["text"]  # confirm it arrived (004R 四)


def test_the_gm_instruction_has_no_escalation_level(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    """Overdue, the GM's instruction is recorded as a breach and he alone is reminded, once."""
    from sqlmodel import Session, select

    from gendan.models import AuditEvent

    rt = runtime(tmp_path, smtp_sink, sms_gateway)
    iid = _at_gm_instruction(Driver(rt, MONDAY_10))
    (task,) = open_tasks(rt, iid)
    assert task.chain == []
    late = task.due_at + timedelta(minutes=1)
    sweep_twice(rt, late)
    sweep_twice(rt, late + timedelta(days=2))
    assert [to for to, _ in _per_task(smtp_sink, [task])] == [f"gm{MAIL}"]
    with Session(rt.db) as s:
        acts = s.exec(select(AuditEvent.action).where(AuditEvent.task_id == task.id)).all()
    assert acts.count("breach") == 1 and "escalate" not in acts


def test_drawings_reminder_at_three_quarters_then_the_escalation(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    """The 24-hour drawings return (1 WD) reminds its candidates at 75 % of the day, once,
    before the heads hear of the breach."""
    from sqlmodel import Session, select

    from gendan.models import Timer

    rt = runtime(tmp_path, smtp_sink, sms_gateway)
    iid = _at_drawings_return(Driver(rt, MONDAY_10))
    tasks = open_tasks(rt, iid)
    with Session(rt.db) as s:
        reminders = s.exec(
            select(Timer).where(Timer.task_id.in_([t.id for t in tasks]), Timer.level == 0)
        ).all()
    assert len(reminders) == 2
    at = max(r.due_at for r in reminders)
    assert at < min(t.due_at for t in tasks)
    sweep_twice(rt, at)
    reminded = _per_task(smtp_sink, tasks)
    assert {to for to, _ in reminded} == {f"fg_keeper{MAIL}", f"eng_head{MAIL}"}
    assert all(n == 1 for n in reminded.values())


def test_the_plan_started_by_the_urgent_order_escalates_as_urgent(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    """§3 started as the urgent order's child (flagged urgent, 004P 4): its overdue task's SMS
    goes out at night, with an acknowledgement link, like the urgent order's own."""
    from sqlmodel import Session, select

    from gendan.models import Instance, Notification, Timer

    rt = runtime(tmp_path, smtp_sink, sms_gateway)
    _at_in_production(Driver(rt, MONDAY_10))
    with Session(rt.db) as s:
        (plan,) = s.exec(
            select(Instance).where(
                Instance.procedure == "production_plan", Instance.order_no == walk.URGENT
            )
        ).all()
    tasks = [t for t in open_tasks(rt, plan.id) if t.due_at is not None]
    due = min(t.due_at for t in tasks)
    night = due.replace(hour=15, minute=0, second=0, microsecond=0)  # 23:00 Shanghai
    if night <= due:
        night += timedelta(days=1)
    sweep_twice(rt, night)
    with Session(rt.db) as s:
        timers = s.exec(select(Timer).where(Timer.task_id.in_([t.id for t in tasks]))).all()
        causes = [f"timer:{tm.id}" for tm in timers]
        sms = s.exec(
            select(Notification).where(
                Notification.channel == "sms", Notification.cause.in_(causes)
            )
        ).all()
    assert sms and all(n.urgent and n.status == "sent" for n in sms)
    assert any("/ack/" in r["text"] for r in sms_gateway.received)
