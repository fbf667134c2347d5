"""Order change (§2): deadlines from the received-at, and who hears of a missed one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from gendan.demo import Driver
from gendan.escalation import Escalation, escalate_due
from gendan.models import AuditEvent, Notification, Task, User
from gendan.runtime import Runtime
from tests.engine.test_order_change import (
    classify_delivery,
    notice,
    only_task,
    released,
    start_change,
    state,
)

SHANGHAI = timedelta(hours=8)



#: A sweep's message to a person: one escalation, or a digest of several (gendan.digests).
MESSAGES = ("escalation", "digest")


def about_task(row: Notification, task_id: int | None) -> bool:
    items = row.context.get("items", [row.context]) if row.template == "digest" else [row.context]
    return any(i.get("task_id") == task_id for i in items)


def of_task(done: list[Escalation], task_id: int | None) -> list[Escalation]:
    """The sweep's escalations of one task: the confirmed notice also started the order's
    production plan (§3), whose own tasks escalate in the same sweeps."""
    return [e for e in done if e.task_id == task_id]

def local(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """A Shanghai wall-clock time, as an aware UTC instant."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - SHANGHAI


def escalation_rows(rt: Runtime, task_id: int) -> list[tuple[int, str, str]]:
    """(level, username, channel) of every escalation queued for the task."""
    with Session(rt.db) as s:
        rows = s.exec(
            select(Notification, User.username)
            .join(User, User.id == Notification.user_id)
            .where(Notification.template == "escalation")
        ).all()
    return sorted(
        (n.context["level"], u, n.channel) for n, u in rows if n.context["task_id"] == task_id
    )


def escalation_events(rt: Runtime, task_id: int) -> list[AuditEvent]:
    with Session(rt.db) as s:
        q = (
            select(AuditEvent)
            .where(AuditEvent.task_id == task_id, AuditEvent.action.in_(("escalate", "breach")))
            .order_by(AuditEvent.seq)
        )
        return list(s.exec(q).all())


def test_classification_is_due_30_working_minutes_from_receipt_across_national_day(
    rt: Runtime,
) -> None:
    """Received Wed 2026-09-30 17:45, typed in on Thu 10-08 09:00 after the holiday."""
    d = Driver(rt, local(2026, 9, 28, 10))
    released(d, "SO-H01")
    holiday = [date(2026, 10, n) for n in range(1, 8)]
    assert [rt.calendar.is_working_day(day) for day in holiday] == [False] * 7
    assert rt.calendar.is_working_day(date(2026, 9, 30))
    assert rt.calendar.is_working_day(date(2026, 10, 8))

    received = local(2026, 9, 30, 17, 45)
    d.now = local(2026, 10, 8, 9)
    iid = start_change(d, "SO-H01", received_at=received)
    task = only_task(rt, iid)
    # 15 working minutes left on 09-30 (until 18:00), the other 15 from 08:00 on 10-08
    assert task.clock_start == received
    assert task.due_at == local(2026, 10, 8, 8, 15)
    assert task.due_at < d.now  # typed in late: overdue already
    assert task.created_at == d.now

    # level 2 is due one deadline-length (30 WM) after level 1's point: 08:45, also past,
    # so the same sweep sends both
    assert of_task(escalate_due(rt, now=d.now), task.id) == [
        Escalation(task.id, 1, "SO-H01", ("sales_head",)),
        Escalation(task.id, 2, "SO-H01", ("gm",)),
    ]
    assert of_task(escalate_due(rt, now=d.now + timedelta(days=3)), task.id) == []
    assert [e.detail["level"] for e in escalation_events(rt, task.id)] == [1, 2]


def test_sales_clerk_classification_escalates_to_sales_head_then_gm_office(
    rt: Runtime, driver: Driver
) -> None:
    released(driver, "SO-H02")
    iid = start_change(driver, "SO-H02")
    task = only_task(rt, iid)
    due = driver.now + timedelta(minutes=30)  # Monday 10:30 Shanghai
    assert task.due_at == due
    assert escalate_due(rt, now=due - timedelta(minutes=1)) == []
    assert escalate_due(rt, now=due) == [Escalation(task.id, 1, "SO-H02", ("sales_head",))]
    assert escalate_due(rt, now=due + timedelta(minutes=29)) == []
    level2 = escalate_due(rt, now=due + timedelta(minutes=30))
    assert level2 == [Escalation(task.id, 2, "SO-H02", ("gm",))]

    assert escalation_rows(rt, task.id) == [
        (1, "sales_head", "email"),
        (1, "sales_head", "sms"),
        (2, "gm", "email"),
        (2, "gm", "sms"),
    ]
    first, second = escalation_events(rt, task.id)
    assert (first.action, first.at, first.order_no) == ("escalate", due, "SO-H02")
    assert first.detail == {
        "level": 1,
        "target": "head",
        "breach": True,
        "skipped": [],
        "due_at": due.isoformat(),
        "recipients": ["sales_head"],
    }
    assert (second.detail["level"], second.detail["target"], second.detail["recipients"]) == (
        2,
        "gm_office",
        ["gm"],
    )
    assert second.at == due + timedelta(minutes=30)
    with Session(rt.db) as s:
        assert s.get(Task, task.id).escalation_level == 2
    # classifying late still works; the breach stays on the record
    driver.now = due + timedelta(minutes=40)
    driver.act(iid, "clerk", "classify_minor", notice(driver, "SO-H02"))
    assert state(rt, iid) == "production_adjust"
    assert len(escalation_events(rt, task.id)) == 2


def test_production_managers_own_rereview_skips_himself_to_the_gm_office(
    rt: Runtime, driver: Driver
) -> None:
    form = released(driver, "SO-H03")
    iid = start_change(driver, "SO-H03")
    classify_delivery(
        driver, iid, "SO-H03", date.fromisoformat(form["delivery_date"]) - timedelta(days=7)
    )
    task = only_task(rt, iid)
    assert (task.state, task.role) == ("delivery_rereview", "production_manager")
    # 4 working hours from Monday 10:00: 10-12 and 13-15
    assert task.due_at == local(2026, 11, 23, 15)
    with Session(rt.db) as s:
        prod_mgr = s.exec(select(User).where(User.username == "prod_mgr")).one()
        gm = s.exec(select(User).where(User.username == "gm")).one()

    assert of_task(escalate_due(rt, now=task.due_at), task.id) == [
        Escalation(task.id, 2, "SO-H03", ("gm",))
    ]
    with Session(rt.db) as s:
        sent = s.exec(select(Notification).where(Notification.template.in_(MESSAGES))).all()
    rows = [n for n in sent if about_task(n, task.id)]  # a digest may also carry the plan's
    assert sorted((n.user_id, n.channel) for n in rows) == [(gm.id, "email"), (gm.id, "sms")]
    assert prod_mgr.id not in {n.user_id for n in rows}

    (event,) = escalation_events(rt, task.id)
    assert event.action == "escalate"
    assert event.detail["skipped"] == ["head"]
    assert (event.detail["level"], event.detail["target"], event.detail["breach"]) == (
        2,
        "gm_office",
        True,
    )
    assert event.detail["recipients"] == ["gm"]
    # the GM office was the last level: nothing more, ever
    assert of_task(escalate_due(rt, now=task.due_at + timedelta(days=10)), task.id) == []
    assert len(escalation_events(rt, task.id)) == 1
