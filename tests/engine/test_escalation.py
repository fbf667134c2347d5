"""The SLA sweep: each level once, at the deadline and one period later, in working time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from gendan.demo import Driver, order_form, step_forms
from gendan.escalation import escalate_due
from gendan.models import AuditEvent, Notification, Task, Timer
from gendan.runtime import Runtime
from tests.engine.helpers import open_tasks

#: Monday 2026-11-23 09:00 Shanghai.
MONDAY_9 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def at_production_notice(rt: Runtime, now: datetime) -> Task:
    """An order whose contract was just signed and paid: the 4-hour production notice is open."""
    d = Driver(rt, now)
    form = order_form("SO-30", "repeat", now=now)
    f = step_forms(form, now)
    iid = d.start("order_review", "clerk", form)
    d.act(iid, "clerk", "confirm", f["confirm"])
    d.act(iid, "gm", "sign")
    d.act(iid, "clerk", "contract_signed", f["contract"])
    (task,) = open_tasks(rt, iid)
    return task


def test_missed_four_hours_escalates_to_head_then_gm_once_each(rt: Runtime) -> None:
    task = at_production_notice(rt, MONDAY_9)
    # 09:00 + 4 working hours, with lunch 12:00-13:00 → 14:00 Shanghai.
    due = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert task.due_at == due
    assert escalate_due(rt, now=due - timedelta(minutes=1)) == []
    first = escalate_due(rt, now=due)
    assert [(e.level, e.recipients) for e in first] == [(1, ("sales_head",))]
    assert escalate_due(rt, now=due) == []  # the same instant again: nothing more
    # One more 4-hour period: 14:00-18:00 → level 2 at 18:00 Shanghai.
    level2_at = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert escalate_due(rt, now=level2_at - timedelta(minutes=1)) == []
    second = escalate_due(rt, now=level2_at)
    assert [(e.level, e.recipients) for e in second] == [(2, ("gm",))]
    assert escalate_due(rt, now=level2_at) == []
    assert escalate_due(rt, now=level2_at + timedelta(days=30)) == []
    with Session(rt.db) as s:
        rows = s.exec(select(Notification).where(Notification.template == "escalation")).all()
        assert sorted((n.context["level"], n.channel, n.address) for n in rows) == [
            (1, "email", "sales_head@demo.gendan.local"),
            (1, "sms", "13800000002"),
            (2, "email", "gm@demo.gendan.local"),
            (2, "sms", "13800000021"),
        ]
        esc = s.exec(select(AuditEvent).where(AuditEvent.action == "escalate")).all()
        assert [e.detail["level"] for e in esc] == [1, 2]
        assert s.get(Task, task.id).escalation_level == 2


def test_long_sla_reminds_at_75_percent(rt: Runtime) -> None:
    d = Driver(rt, MONDAY_9)
    iid = d.start("order_review", "clerk", order_form("SO-31", "regular", now=MONDAY_9))
    (task,) = open_tasks(rt, iid)
    with Session(rt.db) as s:
        levels = {t.level: t.due_at for t in s.exec(select(Timer).where(Timer.task_id == task.id))}
    # 1 working day = 9 working hours; 75% = 6h45m after Mon 09:00 → 16:45 Shanghai.
    assert levels == {0: datetime(2026, 11, 23, 8, 45, tzinfo=UTC), 1: task.due_at}
    reminders = escalate_due(rt, now=levels[0])
    assert [(e.level, e.recipients) for e in reminders] == [(0, ("clerk",))]


def test_completed_task_does_not_escalate(rt: Runtime) -> None:
    task = at_production_notice(rt, MONDAY_9)
    d = Driver(rt, MONDAY_9 + timedelta(hours=1))
    notice = {
        k: v
        for k, v in order_form("SO-30", "repeat", now=MONDAY_9).items()
        if k
        in ("order_no", "customer", "product", "model_spec", "quantity", "unit", "delivery_date")
    }
    d.act(task.instance_id, "clerk", "issue_notice", notice)
    done = escalate_due(rt, now=MONDAY_9 + timedelta(days=10))
    assert task.id not in {e.task_id for e in done}
    # only production's confirmation, the next open task, is late (and skips its own head)
    assert {(e.level, e.recipients) for e in done} == {(2, ("gm",))}
