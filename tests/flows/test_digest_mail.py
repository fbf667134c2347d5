"""One digest per person per sweep, saying how late in working time; no reminder after its
deadline. Real e-mail through the aiosmtpd sink on loopback, real SMS stand-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from flows.delivery import deliver_pending
from gendan.demo import Driver, order_form, review_to_notice, step_forms
from gendan.escalation import escalate_due
from gendan.models import AuditEvent, Notification
from tests.conftest import make_runtime
from tests.engine.helpers import open_tasks
from tests.engine.test_escalation import MONDAY_9
from tests.flows.test_escalation_mail import escalation_mails
from tests.support.servers import SmsGateway, SmtpSink


def test_five_overdue_acknowledgements_make_one_digest_with_working_time_lateness(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    rt = make_runtime(tmp_path / "g.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
    d = Driver(rt, MONDAY_9)
    form = order_form("SO-D1", "regular", now=MONDAY_9)
    iid = d.start("order_review", "clerk", form)
    review_to_notice(d, iid, form)
    d.act(iid, "clerk", "issue_notice", step_forms(form, MONDAY_9)["notice"])
    d.act(iid, "prod_mgr", "confirm_notice", step_forms(form, MONDAY_9)["confirmation"])
    acks = open_tasks(rt, iid)
    assert len(acks) == 5
    due = max(t.due_at for t in acks)  # type: ignore[type-var]
    # 2 working hours 15 minutes after the last due time, counted on the working calendar
    sweep_at = rt.calendar.add_working(due, timedelta(hours=2, minutes=15))

    for _ in range(2):  # the sweep in batches of two (five timers: three commits), twice
        escalate_due(rt, now=sweep_at, batch=2)
        deliver_pending(rt, now=sweep_at)
    mails = [m for m in escalation_mails(smtp_sink) if m.to == "merch_lead@demo.gendan.local"]
    assert len(mails) == 1  # one digest, not five mails
    digest = mails[0]
    assert "【升级汇总】5 项任务" in digest.subject and "SO-D1" in digest.subject
    for task in acks:
        assert f"/tasks/{task.id}" in digest.body
    assert "/escalations" in digest.body
    # the task whose due time is the latest is exactly 2 working hours 15 minutes late
    assert "超时 2 工作小时 15 分" in digest.body and "2 working hours 15 min late" in digest.body
    assert "宁波" in digest.body or form["customer"] in digest.body  # the customer is named
    assert form["product"] in digest.body
    # SMS: one per person and sweep too
    to_lead_sms = [m for m in sms_gateway.received if "升级汇总" in m["text"]]
    assert len(to_lead_sms) == 1

    with Session(rt.db) as s:
        rows = s.exec(select(Notification).where(Notification.template == "digest")).all()
        escalations = s.exec(select(AuditEvent).where(AuditEvent.action == "escalate")).all()
    assert {r.channel for r in rows} == {"email", "sms"}
    assert all(len(r.context["items"]) == 5 for r in rows)
    # each level fired once: a later sweep finds nothing more of these tasks' level 1
    assert sorted(e.task_id for e in escalations if e.detail["level"] == 1) == sorted(
        t.id for t in acks
    )


def test_a_lone_escalation_names_order_customer_holder_and_lateness(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    from tests.engine.test_escalation import at_production_notice

    rt = make_runtime(tmp_path / "g.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
    task = at_production_notice(rt, MONDAY_9)
    late = datetime(2026, 11, 23, 7, 5, tzinfo=UTC)  # 15:05 Shanghai: 1 h 5 min after 14:00
    escalate_due(rt, now=late)
    deliver_pending(rt, now=late)
    (mail,) = escalation_mails(smtp_sink)
    assert mail.to == "sales_head@demo.gendan.local"
    assert "已超时 1 工作小时 5 分" in mail.subject
    assert "2026-11-23 14:00" in mail.body  # the deadline in company time, not UTC 06:00
    assert "当前处理人" in mail.body and "Held by" in mail.body
    assert "客户" in mail.body and f"/tasks/{task.id}" in mail.body


def test_no_reminder_after_its_deadline_whether_the_sweep_or_the_delivery_is_late(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    rt = make_runtime(tmp_path / "g.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
    d = Driver(rt, MONDAY_9)
    late_sweep = d.start("order_review", "clerk", order_form("SO-R1", "regular", now=MONDAY_9))
    (first,) = open_tasks(rt, late_sweep)
    # 1 working day from Mon 09:00: reminder Mon 16:45, due Tue 09:00 (Shanghai)
    remind_at = datetime(2026, 11, 23, 8, 45, tzinfo=UTC)
    assert first.due_at == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)

    # (1) the delivery runs late: the reminder row was written in time, sent after the deadline
    escalate_due(rt, now=remind_at)
    with Session(rt.db) as s:
        reminders = s.exec(select(Notification).where(Notification.template == "escalation")).all()
    assert {(r.context["level"], r.address) for r in reminders} >= {(0, "clerk@demo.gendan.local")}
    after_deadline = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
    deliver_pending(rt, now=after_deadline)
    assert not any("提醒" in m.subject for m in smtp_sink.messages)
    assert not any("提醒" in m["text"] for m in sms_gateway.received)
    with Session(rt.db) as s:
        dropped = s.exec(select(Notification).where(Notification.status == "dropped")).all()
        events = s.exec(
            select(AuditEvent).where(AuditEvent.action == "notification_dropped")
        ).all()
    assert {r.channel for r in dropped} == {"email", "sms"} and len(events) == len(dropped)

    # (2) the sweep runs late: a second order's reminder point and deadline both passed
    d.now = MONDAY_9 + timedelta(days=7)  # Monday a week later, 09:00
    second = d.start("order_review", "clerk", order_form("SO-R2", "regular", now=d.now))
    (task,) = open_tasks(rt, second)
    assert task.due_at is not None
    sweep_late = task.due_at + timedelta(hours=1)
    done = escalate_due(rt, now=sweep_late)
    assert [e.level for e in done if e.task_id == task.id] == [1]  # no level-0 reminder
    deliver_pending(rt, now=sweep_late)
    assert not any("提醒" in m.subject for m in smtp_sink.messages)
