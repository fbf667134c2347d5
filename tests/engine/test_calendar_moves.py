"""A company day off or working day announced moves open tasks' due times and timers, audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

import states
from gendan import admin
from gendan.db import unit_of_work
from gendan.demo import Driver, order_form
from gendan.escalation import escalate_due
from gendan.models import AuditEvent, Task, Timer
from gendan.org import load_actor
from gendan.pausing import pause_task
from gendan.runtime import Runtime
from tests.engine.helpers import open_tasks
from tests.engine.pausing_drill import PauseDrill, actor, at, start_drill, task_of

#: Monday 2026-11-23 09:00 Shanghai.
MONDAY_9 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
TUESDAY = date(2026, 11, 24)


def announce(rt: Runtime, day: date, working: bool, now: datetime) -> int:
    """What the admin page does: the day, then the open deadlines moved, in one transaction."""
    with unit_of_work(rt.db) as s:
        me = load_actor(s, _uid(s, "admin"))
        admin.set_calendar_day(s, actor=me, now=now, day=day.isoformat(), working=working)
        moved = admin.move_deadlines(s, actor=me, now=now, settings=rt.settings, day=day)
    rt.reload_calendar()
    return moved


def withdraw(rt: Runtime, day: date, now: datetime) -> int:
    with unit_of_work(rt.db) as s:
        me = load_actor(s, _uid(s, "admin"))
        admin.remove_calendar_day(s, actor=me, now=now, day=day.isoformat())
        moved = admin.move_deadlines(s, actor=me, now=now, settings=rt.settings, day=day)
    rt.reload_calendar()
    return moved


def _uid(s: Session, username: str) -> int:
    from gendan.models import User

    return s.exec(select(User.id).where(User.username == username)).one()


def timers_of(rt: Runtime, task_id: int) -> dict[int, tuple[datetime, str]]:
    with Session(rt.db) as s:
        rows = s.exec(select(Timer).where(Timer.task_id == task_id)).all()
        return {t.level: (t.due_at, t.status) for t in rows}


def test_a_holiday_on_the_due_day_moves_the_due_time_and_timers_audited(rt: Runtime) -> None:
    d = Driver(rt, MONDAY_9)
    iid = d.start("order_review", "clerk", order_form("SO-H1", "regular", now=MONDAY_9))
    (task,) = open_tasks(rt, iid)
    # 1 working day (9 working hours) from Mon 09:00 → Tue 09:00; reminder at 75 %, Mon 16:45.
    tue_9 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    wed_9 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    assert task.due_at == tue_9
    before = timers_of(rt, task.id)
    assert before[1] == (tue_9, "pending")

    assert announce(rt, TUESDAY, False, MONDAY_9) == 1

    with Session(rt.db) as s:
        moved = s.get(Task, task.id)
        assert moved is not None and moved.due_at == wed_9
        (event,) = s.exec(select(AuditEvent).where(AuditEvent.action == "deadline_moved")).all()
    assert event.task_id == task.id and event.actor_name
    assert event.changes["due_at"] == {"old": tue_9.isoformat(), "new": wed_9.isoformat()}
    assert event.detail["calendar"] == {"day": "2026-11-24", "working": False}
    after = timers_of(rt, task.id)
    assert after[1] == (wed_9, "pending")
    assert after[0] == before[0]  # the reminder's point (Mon 16:45) lies before the holiday

    # The sweep follows the moved timer: nothing at the old due time, level 1 at the new one.
    assert [e for e in escalate_due(rt, now=tue_9) if e.level >= 1] == []
    assert [e.level for e in escalate_due(rt, now=wed_9) if e.task_id == task.id] == [1]

    # Withdrawing the holiday moves it back (one more audited move); nothing else moves.
    assert withdraw(rt, TUESDAY, MONDAY_9) == 1
    with Session(rt.db) as s:
        assert s.get(Task, task.id).due_at == tue_9  # type: ignore[union-attr]
        moves = s.exec(select(AuditEvent).where(AuditEvent.action == "deadline_moved")).all()
        assert len(moves) == 2


def test_a_day_that_changes_no_deadline_moves_nothing(rt: Runtime) -> None:
    d = Driver(rt, MONDAY_9)
    iid = d.start("order_review", "clerk", order_form("SO-H2", "regular", now=MONDAY_9))
    (task,) = open_tasks(rt, iid)
    due = task.due_at
    assert announce(rt, date(2026, 12, 28), False, MONDAY_9) == 0  # after the due time
    with Session(rt.db) as s:
        assert s.get(Task, task.id).due_at == due  # type: ignore[union-attr]
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "deadline_moved")).all() == []


@pytest.fixture
def drill(monkeypatch: pytest.MonkeyPatch) -> type[PauseDrill]:
    monkeypatch.setitem(states.PROCEDURES, PauseDrill.key, PauseDrill)
    return PauseDrill


def test_a_paused_task_moves_too_and_keeps_its_clock_stopped(
    rt: Runtime, drill: type[PauseDrill]
) -> None:
    iid = start_drill(rt, at(23, 9))
    task = task_of(rt, iid, "sales_clerk")
    assert task.due_at == at(24, 9)
    from gendan.assignment import claim_task

    with unit_of_work(rt.db) as s:
        claim_task(s, task_id=task.id, actor=actor(rt, "clerk"), now=at(23, 10))
        pause_task(
            s,
            task_id=task.id,
            actor=actor(rt, "clerk"),
            note="电话询问客户 / asked by phone",
            via="phone",
            now=at(23, 10),
            calendar=rt.calendar,
        )
    assert announce(rt, TUESDAY, False, at(23, 11)) == 1
    moved = task_of(rt, iid, "sales_clerk")
    assert moved.due_at == at(25, 9) and moved.paused_at is not None
    timers = timers_of(rt, task.id)
    assert timers[1] == (at(25, 9), "paused")  # moved, still paused until the answer comes
    with Session(rt.db) as s:
        (event,) = s.exec(select(AuditEvent).where(AuditEvent.action == "deadline_moved")).all()
    assert event.detail["paused"] is True


def test_after_level_one_fired_the_next_level_counts_from_it_on_the_new_calendar(
    rt: Runtime,
) -> None:
    from tests.engine.test_escalation import at_production_notice

    friday_15 = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)  # Friday 15:00 Shanghai
    task = at_production_notice(rt, friday_15)
    monday_9 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert task.due_at == monday_9  # 4 working hours: Fri 15-18, Mon 08-09
    assert [e.level for e in escalate_due(rt, now=monday_9)] == [1]
    monday_14 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert timers_of(rt, task.id)[2] == (monday_14, "pending")
    # The factory shuts on that Monday (announced at 10:00 the same day).
    assert announce(rt, date(2026, 11, 23), False, monday_9 + timedelta(hours=1)) == 1
    tuesday_9 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    tuesday_12 = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    timers = timers_of(rt, task.id)
    assert timers[1] == (monday_9, "fired")  # what was sent was sent
    assert timers[2] == (tuesday_12, "pending")  # 4 working hours after Mon 09:00: Tue 8-12
    with Session(rt.db) as s:
        assert s.get(Task, task.id).due_at == tuesday_9  # type: ignore[union-attr]
