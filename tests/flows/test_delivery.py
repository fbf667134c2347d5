"""Outbox delivery against a real SQLite file, a real SMTP sink and a real SMS gateway.

Time is injected (``now``); nothing here waits for a clock.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from flows.delivery import LEASE, DeliveryReport, backoff_after, deliver_pending
from gendan import audit
from gendan.db import unit_of_work
from gendan.demo import seed_organisation
from gendan.models import AuditEvent, DeliveryAttempt, Notification, User
from gendan.outbox import enqueue
from gendan.runtime import Runtime
from tests.flows.conftest import BASE_URL, MakeRuntime
from tests.support.servers import SmsGateway, SmtpSink, closed_port_url

#: Monday 2026-11-23 10:00 in Shanghai (02:00 UTC): inside the SMS window.
MORNING = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
#: The same day 23:00 in Shanghai: outside the SMS window (08:00-22:00).
LATE_EVENING = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
#: The next day 08:00 in Shanghai.
NEXT_MORNING = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)


def escalation_context(order_no: str = "SO-2026-0100", task_id: int = 42) -> dict[str, Any]:
    return {
        "level": 1,
        "task_id": task_id,
        "task_title_zh": "生产通知单",
        "task_title_en": "Production notice",
        "order_no": order_no,
        "procedure_zh": "订单评审",
        "procedure_en": "Order review",
        "due_at": datetime(2026, 11, 23, 9, 0, tzinfo=UTC),  # 17:00 in Shanghai
        "timezone": "Asia/Shanghai",
    }


def seeded_users(rt: Runtime) -> dict[str, User]:
    with unit_of_work(rt.db) as s:
        return seed_organisation(s)


def queue(
    rt: Runtime,
    users: list[User],
    *,
    now: datetime,
    cause: str = "timer:1",
    template: str = "escalation",
    context: dict[str, Any] | None = None,
    urgent: bool = False,
    channels: tuple[str, ...] = ("email", "sms"),
) -> list[int]:
    """Enqueue as the engine does; ``channels`` drops the other address to test one channel."""
    recipients = [
        User(
            id=u.id,
            username=u.username,
            display_name=u.display_name,
            password_hash="",
            email=u.email if "email" in channels else "",
            phone=u.phone if "sms" in channels else "",
        )
        for u in users
    ]
    with unit_of_work(rt.db) as s:
        rows = enqueue(
            s,
            cause=cause,
            users=recipients,
            template=template,
            context=context if context is not None else escalation_context(),
            now=now,
            urgent=urgent,
        )
        s.flush()
        return [r.id for r in rows if r.id is not None]


def notification(rt: Runtime, nid: int) -> Notification:
    with Session(rt.db) as s:
        row = s.get(Notification, nid)
        assert row is not None
        return row


def attempts(rt: Runtime, nid: int) -> list[DeliveryAttempt]:
    with Session(rt.db) as s:
        return list(
            s.exec(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.notification_id == nid)
                .order_by(DeliveryAttempt.id)
            ).all()
        )


def audit_events(rt: Runtime, action: str) -> list[AuditEvent]:
    with Session(rt.db) as s:
        return list(
            s.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
        )


def test_email_and_sms_are_sent_once_even_when_delivery_runs_again(
    make_runtime: MakeRuntime, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    rt = make_runtime(smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
    head = seeded_users(rt)["sales_head"]
    email_id, sms_id = queue(rt, [head], now=MORNING)

    first = deliver_pending(rt, now=MORNING)
    second = deliver_pending(rt, now=MORNING + timedelta(hours=1))

    assert first == DeliveryReport(sent=2)
    assert second == DeliveryReport()
    [mail] = smtp_sink.wait_for(1)
    assert len(smtp_sink.messages) == 1
    assert mail.to == head.email
    assert mail.subject.startswith("【升级 L1】订单 SO-2026-0100 生产通知单 已超时")
    assert f"{BASE_URL}/tasks/42" in mail.body
    assert "2026-11-23 17:00" in mail.body  # due time in company local time, not UTC
    [sms] = sms_gateway.wait_for(1)
    assert len(sms_gateway.received) == 1
    assert sms["to"] == head.phone
    assert sms["text"].endswith(f"{BASE_URL}/tasks/42")
    assert len(sms["text"]) <= 140

    row = notification(rt, email_id)
    assert (row.status, row.sent_at, row.subject) == ("sent", MORNING, mail.subject)
    assert [a.ok for a in attempts(rt, email_id)] == [True]
    assert [a.ok for a in attempts(rt, sms_id)] == [True]
    sent_events = audit_events(rt, "notification_sent")
    assert [e.detail["notification_id"] for e in sent_events] == [email_id, sms_id]
    assert sent_events[0].actor_name == "system" and sent_events[0].actor_id is None
    assert sent_events[0].detail["address"] == head.email
    assert sent_events[0].detail["cause"] == "timer:1"
    assert sent_events[0].detail["subject"] == mail.subject
    assert sent_events[0].order_no == "SO-2026-0100"
    assert audit.verify(rt.db).ok


@pytest.mark.parametrize("left_by", ["enqueue", "crashed_worker"])
def test_two_workers_racing_on_one_outbox_send_each_row_once(
    make_runtime: MakeRuntime, smtp_sink: SmtpSink, left_by: str
) -> None:
    """Two processes' worth of delivery (separate engines) on the same rows at the same time.

    Rows are either fresh ("pending") or abandoned "sending" with an expired lease:
    in both cases exactly one worker may take each row.
    """
    workers = [make_runtime(smtp_url=smtp_sink.url) for _ in range(2)]
    users = list(seeded_users(workers[0]).values())
    ids = queue(workers[0], users, now=MORNING - LEASE, channels=("email",))
    if left_by == "crashed_worker":
        with unit_of_work(workers[0].db) as s:
            s.connection().execute(
                update(Notification).values(status="sending", next_attempt_at=MORNING)
            )
    reports: list[DeliveryReport] = []
    start = threading.Barrier(len(workers))

    def work(rt: Runtime) -> None:
        start.wait()
        reports.append(deliver_pending(rt, now=MORNING, batch=5))

    threads = [threading.Thread(target=work, args=(rt,)) for rt in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sum(r.sent for r in reports) == len(ids) == len(users)
    mails = smtp_sink.wait_for(len(users))
    assert sorted(m.to for m in mails) == sorted(u.email for u in users)
    assert all(len(attempts(workers[0], nid)) == 1 for nid in ids)


def test_smtp_down_records_the_failure_and_a_later_run_sends(
    make_runtime: MakeRuntime, smtp_sink: SmtpSink
) -> None:
    down = make_runtime(smtp_url=closed_port_url())
    head = seeded_users(down)["sales_head"]
    [nid] = queue(down, [head], now=MORNING, channels=("email",))

    report = deliver_pending(down, now=MORNING)

    assert report == DeliveryReport(failed=1)
    row = notification(down, nid)
    assert row.status == "pending"
    assert row.attempts == 1
    assert row.next_attempt_at == MORNING + timedelta(minutes=1)
    assert row.last_error and "Connection refused" in row.last_error
    [attempt] = attempts(down, nid)
    assert not attempt.ok and attempt.error == row.last_error
    [failed] = audit_events(down, "notification_failed")
    assert failed.detail["notification_id"] == nid
    assert failed.detail["error"] == row.last_error
    assert smtp_sink.messages == []

    # Not due again before its back-off ends, even with the mail server back.
    up = make_runtime(smtp_url=smtp_sink.url)
    assert deliver_pending(up, now=MORNING + timedelta(seconds=30)) == DeliveryReport()
    assert smtp_sink.messages == []

    assert deliver_pending(up, now=MORNING + timedelta(minutes=1)) == DeliveryReport(sent=1)
    [mail] = smtp_sink.wait_for(1)
    assert mail.to == head.email
    row = notification(up, nid)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, MORNING + timedelta(minutes=1))
    assert [a.ok for a in attempts(up, nid)] == [False, True]
    assert audit.verify(up.db).ok


def test_retries_back_off_1_2_5_10_30_then_every_60_minutes(make_runtime: MakeRuntime) -> None:
    rt = make_runtime(smtp_url=closed_port_url())
    [nid] = queue(rt, [seeded_users(rt)["gm"]], now=MORNING, channels=("email",))
    now, waits = MORNING, []
    for _ in range(7):
        assert deliver_pending(rt, now=now) == DeliveryReport(failed=1)
        row = notification(rt, nid)
        waits.append(int((row.next_attempt_at - now).total_seconds() // 60))
        now = row.next_attempt_at
    assert waits == [1, 2, 5, 10, 30, 60, 60]
    assert [backoff_after(n) for n in (1, 6, 50)] == [timedelta(minutes=m) for m in (1, 60, 60)]
    assert notification(rt, nid).attempts == 7


def test_sms_waits_for_the_morning_unless_urgent(
    make_runtime: MakeRuntime, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    rt = make_runtime(smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
    users = seeded_users(rt)
    email_id, quiet_sms = queue(rt, [users["mc_head"]], now=LATE_EVENING, cause="timer:7")
    [urgent_sms] = queue(
        rt, [users["prod_mgr"]], now=LATE_EVENING, cause="timer:8", urgent=True, channels=("sms",)
    )

    report = deliver_pending(rt, now=LATE_EVENING)

    # E-mail is not restricted; the urgent SMS goes at 23:00, the other waits.
    assert report == DeliveryReport(sent=2, postponed=1)
    assert notification(rt, email_id).status == "sent"
    [sms] = sms_gateway.wait_for(1)
    assert sms["to"] == users["prod_mgr"].phone
    row = notification(rt, quiet_sms)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, NEXT_MORNING)
    assert attempts(rt, quiet_sms) == []

    assert deliver_pending(rt, now=NEXT_MORNING - timedelta(minutes=1)) == DeliveryReport()
    assert deliver_pending(rt, now=NEXT_MORNING) == DeliveryReport(sent=1)
    later = sms_gateway.wait_for(2)
    assert [s["to"] for s in later] == [users["prod_mgr"].phone, users["mc_head"].phone]
    assert notification(rt, quiet_sms).sent_at == NEXT_MORNING


class WorkerCrashed(BaseException):
    """Stands for the process dying mid-send (not an error the delivery code may catch)."""


def test_a_row_left_sending_by_a_crashed_worker_is_sent_after_the_lease(
    make_runtime: MakeRuntime, smtp_sink: SmtpSink
) -> None:
    rt = make_runtime(smtp_url=smtp_sink.url)
    [nid] = queue(rt, [seeded_users(rt)["gm"]], now=MORNING, channels=("email",))

    def crash(*args: object, **kwargs: object) -> None:
        raise WorkerCrashed

    with pytest.raises(WorkerCrashed):
        deliver_pending(rt, now=MORNING, send=crash)
    assert notification(rt, nid).status == "sending"

    # Another worker five minutes later must not send it (the claim may still be alive) ...
    assert deliver_pending(rt, now=MORNING + timedelta(minutes=5)) == DeliveryReport()
    assert smtp_sink.messages == []
    # ... but once the lease is over (it ran from the claim, a moment after MORNING on the
    # run's clock), the row is taken over and sent, once.
    after = MORNING + LEASE + timedelta(seconds=1)
    assert deliver_pending(rt, now=after) == DeliveryReport(sent=1)
    assert deliver_pending(rt, now=after + timedelta(hours=1)) == DeliveryReport()
    assert len(smtp_sink.wait_for(1)) == 1
    assert notification(rt, nid).status == "sent"


def test_inform_message_links_the_instance_in_the_readers_language(
    make_runtime: MakeRuntime, smtp_sink: SmtpSink
) -> None:
    rt = make_runtime(smtp_url=smtp_sink.url)
    users = seeded_users(rt)
    with unit_of_work(rt.db) as s:
        english = s.get(User, users["prod_mgr"].id)
        assert english is not None
        english.language = "en"
        s.add(english)
    context = {
        "order_no": "SO-2026-0001",
        "procedure_zh": "合同订单更改",
        "procedure_en": "Order change notice",
        "instance_id": 7,
        "state": "delivery_rereview",
        "state_name": "交期重新评审 / Delivery date re-review",
    }
    queue(
        rt,
        [users["sales_head"], users["prod_mgr"]],
        now=MORNING,
        cause="inform:7:3:delivery_rereview",
        template="inform",
        context=context,
        channels=("email",),
    )

    assert deliver_pending(rt, now=MORNING) == DeliveryReport(sent=2)

    mails = {m.to: m for m in smtp_sink.wait_for(2)}
    zh = mails[users["sales_head"].email]
    en = mails[users["prod_mgr"].email]
    assert zh.subject == (
        "订单 SO-2026-0001 的更改需要您知悉 / Order SO-2026-0001: change needs your attention"
    )
    assert en.subject.startswith("Order SO-2026-0001: change needs your attention / ")
    assert f"{BASE_URL}/instances/7" in zh.body and f"{BASE_URL}/instances/7" in en.body
    assert "交期重新评审" in zh.body
    [event, _] = audit_events(rt, "notification_sent")
    assert event.instance_id == 7


def test_a_row_that_cannot_be_rendered_fails_visibly_instead_of_hanging(
    make_runtime: MakeRuntime, smtp_sink: SmtpSink
) -> None:
    rt = make_runtime(smtp_url=smtp_sink.url)
    [nid] = queue(
        rt, [seeded_users(rt)["gm"]], now=MORNING, template="no_such_template", channels=("email",)
    )

    assert deliver_pending(rt, now=MORNING) == DeliveryReport(failed=1)

    row = notification(rt, nid)
    assert row.status == "pending" and row.attempts == 1
    assert row.last_error and "no_such_template" in row.last_error
    assert smtp_sink.messages == []
