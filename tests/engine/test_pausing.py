"""Pausing the clock on an outside party (PROCEDURES.md "Deadlines", Choice (outside waits)).

Against a real SQLite file with the time injected; the steps come from a test-only
procedure (``tests/engine/pausing_drill.py``), not from the procedures being rewritten.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

import states
from flows.delivery import render
from gendan.assignment import claim_task
from gendan.db import unit_of_work
from gendan.errors import Conflict, InvalidForm, NotAllowed
from gendan.escalation import escalate_due
from gendan.models import AuditEvent, Notification, Task, Timer
from gendan.pausing import WAITING_LEVEL, pause_task, resume_if_paused, resume_task
from gendan.queries import InboxFilter, inbox
from gendan.runtime import Runtime
from gendan.transitions import complete_task
from tests.engine.helpers import snapshot
from tests.engine.pausing_drill import PauseDrill, actor, at, start_drill, task_of


@pytest.fixture
def drill(monkeypatch: pytest.MonkeyPatch) -> type[PauseDrill]:
    monkeypatch.setitem(states.PROCEDURES, PauseDrill.key, PauseDrill)
    return PauseDrill


def claim(rt: Runtime, username: str, task_id: int, now: datetime) -> None:
    with unit_of_work(rt.db) as s:
        claim_task(s, task_id=task_id, actor=actor(rt, username), now=now)


def pause(
    rt: Runtime, username: str, task_id: int, now: datetime, note: str = "电话询问 / by phone"
) -> None:
    with unit_of_work(rt.db) as s:
        pause_task(
            s,
            task_id=task_id,
            actor=actor(rt, username),
            note=note,
            via="phone",
            now=now,
            calendar=rt.calendar,
        )


def resume(rt: Runtime, username: str, task_id: int, now: datetime) -> None:
    with unit_of_work(rt.db) as s:
        resume_task(s, task_id=task_id, actor=actor(rt, username), now=now, calendar=rt.calendar)


def complete(rt: Runtime, username: str, task_id: int, decision: str, now: datetime) -> None:
    with unit_of_work(rt.db) as s:
        claim_task(s, task_id=task_id, actor=actor(rt, username), now=now)
        complete_task(
            s,
            task_id=task_id,
            actor=actor(rt, username),
            decision=decision,
            form_data=None,
            now=now,
            calendar=rt.calendar,
        )


def timers(rt: Runtime, task_id: int) -> dict[int, tuple[str, datetime]]:
    with Session(rt.db) as s:
        rows = s.exec(select(Timer).where(Timer.task_id == task_id)).all()
        return {t.level: (t.status, t.due_at) for t in rows}


def sweep(rt: Runtime, now: datetime) -> list[tuple[int, int, tuple[str, ...]]]:
    return [(e.task_id, e.level, e.recipients) for e in escalate_due(rt, now=now)]


def task_events(rt: Runtime, task_id: int) -> list[AuditEvent]:
    with Session(rt.db) as s:
        q = select(AuditEvent).where(AuditEvent.task_id == task_id).order_by(AuditEvent.seq)
        return list(s.exec(q).all())


def test_three_working_days_waiting_move_the_deadline_three_days_and_add_no_lateness(
    rt: Runtime, drill: type[PauseDrill]
) -> None:
    iid = start_drill(rt, at(23, 10))  # Monday 10:00
    task = task_of(rt, iid, "sales_clerk")
    tid = task.id
    assert task.pauses_for == "customer"
    assert task.due_at == at(24, 10)  # 1 WD: Tuesday 10:00
    assert timers(rt, tid) == {0: ("pending", at(23, 17, 45)), 1: ("pending", at(24, 10))}

    claim(rt, "clerk", tid, at(23, 10, 30))
    pause(rt, "clerk", tid, at(23, 11), note="电话询问客户颜色 / asked the customer the colour")
    assert timers(rt, tid) == {
        0: ("paused", at(23, 17, 45)),
        1: ("paused", at(24, 10)),
        WAITING_LEVEL: ("pending", at(24, 11)),  # one working day later
    }
    assert task_of(rt, iid, "sales_clerk").paused_at == at(23, 11)

    # The deadline's points pass while the clock stands still: nothing fires.
    assert sweep(rt, at(23, 17, 45)) == []
    assert sweep(rt, at(24, 10, 1)) == []
    # The holder hears each working day at the pausing time, Tuesday and Wednesday.
    assert sweep(rt, at(24, 11)) == [(tid, WAITING_LEVEL, ("clerk",))]
    assert sweep(rt, at(24, 11)) == []  # the same instant again: re-armed for Wednesday
    assert timers(rt, tid)[WAITING_LEVEL] == ("pending", at(25, 11))
    assert sweep(rt, at(25, 10, 59)) == []
    assert sweep(rt, at(25, 11)) == [(tid, WAITING_LEVEL, ("clerk",))]

    resume(rt, "clerk", tid, at(26, 11))  # Thursday 11:00: the customer answered
    after = task_of(rt, iid, "sales_clerk")
    assert after.due_at == at(27, 10)  # Friday 10:00: three working days later
    assert after.paused_at is None
    assert after.waited_minutes == 3 * 9 * 60  # three working days of 9 working hours
    assert timers(rt, tid) == {
        0: ("pending", at(26, 17, 45)),  # 5h45m of working time left, as when paused
        1: ("pending", at(27, 10)),
        WAITING_LEVEL: ("cancelled", at(26, 11)),
    }
    assert sweep(rt, at(26, 11)) == []  # no third waiting reminder
    assert sweep(rt, at(26, 17, 45)) == [(tid, 0, ("clerk",))]
    assert sweep(rt, at(27, 9, 59)) == []
    assert sweep(rt, at(27, 10)) == [(tid, 1, ("sales_head",))]
    # Lateness counts from the moved deadline: none at Friday 10:00.
    assert rt.calendar.working_minutes_between(after.due_at, at(27, 10)) == 0

    events = task_events(rt, tid)
    assert [e.action for e in events] == [
        "claim",
        "pause",
        "waiting_reminder",
        "waiting_reminder",
        "resume",
        "remind",
        "escalate",
    ]
    paused_ev, resumed_ev = events[1], events[4]
    assert paused_ev.actor_name.startswith("王丽")
    assert paused_ev.reason == "电话询问客户颜色 / asked the customer the colour"
    assert paused_ev.detail["party"] == "customer"
    assert paused_ev.detail["note"] == "电话询问客户颜色 / asked the customer the colour"
    assert paused_ev.detail["via"] == "phone"
    assert paused_ev.detail["due_at_before"] == at(24, 10).astimezone(UTC).isoformat()
    assert resumed_ev.detail["waited_working_minutes"] == 27 * 60
    assert resumed_ev.detail["waited_wall_minutes"] == 3 * 24 * 60
    assert resumed_ev.detail["due_at"] == at(27, 10).astimezone(UTC).isoformat()
    assert resumed_ev.detail["automatic"] is False

    with Session(rt.db) as s:
        rows = s.exec(
            select(Notification)
            .where(Notification.template == "waiting_reminder")
            .order_by(Notification.id)
        ).all()
    assert [(n.channel, n.address) for n in rows] == [
        ("email", "clerk@demo.gendan.local"),
        ("sms", rows[1].address),
    ] * 2
    assert len({n.cause for n in rows}) == 2  # one cause per day, though one timer row
    subject, body, link = render(rows[2], base_url="http://x", tz=ZoneInfo("Asia/Shanghai"))
    assert "自 2026-11-23 11:00 起等待客户答复" in subject
    assert "awaiting the customer's answer since 2026-11-23 11:00" in subject
    assert "已等待 18 小时 00 分（工作时间）" in body  # Monday 11:00 → Wednesday 11:00
    assert link == f"http://x/tasks/{tid}"


def test_a_task_paused_when_overdue_stays_exactly_as_late(
    rt: Runtime, drill: type[PauseDrill]
) -> None:
    iid = start_drill(rt, at(23, 10))
    tid = task_of(rt, iid, "sales_clerk").id
    claim(rt, "clerk", tid, at(23, 10))
    assert sweep(rt, at(24, 10)) == [(tid, 1, ("sales_head",))]  # level 2 due Wed 10:00
    pause(rt, "clerk", tid, at(24, 11))  # an hour late
    assert timers(rt, tid)[2] == ("paused", at(25, 10))
    assert sweep(rt, at(25, 10)) == []
    resume(rt, "clerk", tid, at(25, 11))
    task = task_of(rt, iid, "sales_clerk")
    assert task.due_at == at(25, 10)
    assert rt.calendar.working_minutes_between(task.due_at, at(25, 11)) == 60  # still an hour
    assert timers(rt, tid)[2] == ("pending", at(26, 10))
    assert sweep(rt, at(26, 10)) == [(tid, 2, ("gm",))]


def test_who_may_pause_and_resume_and_when(rt: Runtime, drill: type[PauseDrill]) -> None:
    iid = start_drill(rt, at(23, 10))
    tid = task_of(rt, iid, "sales_clerk").id
    with pytest.raises(NotAllowed):  # offered to the clerk, but not claimed
        pause(rt, "clerk", tid, at(23, 11))
    with pytest.raises(NotAllowed):  # not the salesperson's task at all
        pause(rt, "sales", tid, at(23, 11))
    claim(rt, "clerk", tid, at(23, 10))
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as bad:
        pause(rt, "clerk", tid, at(23, 11), note="  ")
    assert "note" in bad.value.errors
    with pytest.raises(Conflict, match="not paused"):
        resume(rt, "clerk", tid, at(23, 11))
    assert snapshot(rt) == before  # refusals change nothing

    pause(rt, "clerk", tid, at(23, 11))
    with pytest.raises(Conflict, match="already paused"):
        pause(rt, "clerk", tid, at(23, 12))
    with pytest.raises(NotAllowed):  # the head may reassign, but only the holder resumes
        resume(rt, "sales_head", tid, at(23, 14))
    resume(rt, "clerk", tid, at(23, 14))
    with pytest.raises(Conflict, match="not paused"):
        resume(rt, "clerk", tid, at(23, 15))

    # A step that waits on no outside party cannot be paused: 409 with a clear reason.
    complete(rt, "clerk", tid, "answered", at(23, 15))
    prod = task_of(rt, iid, "production_manager")
    assert prod.pauses_for is None
    claim(rt, "prod_mgr", prod.id, at(23, 15))
    with pytest.raises(Conflict, match="does not wait on an outside party"):
        pause(rt, "prod_mgr", prod.id, at(23, 16))
    # A closed task cannot be paused either.
    with pytest.raises(Conflict, match="already done"):
        pause(rt, "clerk", tid, at(23, 16))


def test_pauses_add_up_reuse_one_reminder_and_end_with_the_task(
    rt: Runtime, drill: type[PauseDrill]
) -> None:
    iid = start_drill(rt, at(23, 10))
    complete(rt, "clerk", task_of(rt, iid, "sales_clerk").id, "answered", at(23, 10))
    mc = task_of(rt, iid, "material_controller")
    assert (mc.pauses_for, mc.due_at) == ("supplier", at(24, 10))
    claim(rt, "mc", mc.id, at(23, 10))
    pause(rt, "mc", mc.id, at(23, 11))
    resume(rt, "mc", mc.id, at(23, 14))  # 11-12 and 13-14: two working hours
    assert task_of(rt, iid, "material_controller").due_at == at(24, 12)
    pause(rt, "mc", mc.id, at(23, 17))
    assert timers(rt, mc.id)[WAITING_LEVEL] == ("pending", at(24, 17))
    with Session(rt.db) as s:
        rows = s.exec(
            select(Timer).where(Timer.task_id == mc.id, Timer.level == WAITING_LEVEL)
        ).all()
    assert len(rows) == 1  # the same row, re-armed

    # Completing a paused task resumes it first (the transition service calls this).
    with unit_of_work(rt.db) as s:
        task = s.get(Task, mc.id)
        assert resume_if_paused(s, task, at(24, 9), rt.calendar, actor=actor(rt, "mc"))
        assert not resume_if_paused(s, task, at(24, 9), rt.calendar)
    task = task_of(rt, iid, "material_controller")
    assert task.waited_minutes == 2 * 60 + 2 * 60  # Mon 17-18, Tue 08-09
    assert task.due_at == at(24, 15)  # Tue 12:00 + 2 working hours over lunch
    resumed = task_events(rt, mc.id)[-1]
    assert resumed.action == "resume" and resumed.detail["automatic"] is True

    # Paused again, then the state is left by the other task: nothing of it fires any more.
    pause(rt, "mc", mc.id, at(24, 9))
    complete(rt, "prod_mgr", task_of(rt, iid, "production_manager").id, "checked", at(24, 9))
    assert task_of(rt, iid, "material_controller").status == "cancelled"
    assert {status for status, _ in timers(rt, mc.id).values()} == {"cancelled"}
    assert sweep(rt, at(30, 17)) == []


def test_inbox_shows_a_paused_task_as_paused_not_overdue(
    rt: Runtime, drill: type[PauseDrill]
) -> None:
    iid = start_drill(rt, at(23, 10))
    tid = task_of(rt, iid, "sales_clerk").id
    claim(rt, "clerk", tid, at(23, 10))
    pause(rt, "clerk", tid, at(23, 11))
    clerk = actor(rt, "clerk")
    zone = rt.calendar.zone
    wednesday = at(25, 9)  # the old deadline passed a day ago
    with Session(rt.db) as s:
        shown = inbox(s, clerk, now=wednesday, tz=zone).rows
        overdue = inbox(s, clerk, now=wednesday, tz=zone, flt=InboxFilter(overdue=True)).rows
    assert [r.task.id for r in shown] == [tid] and shown[0].task.paused_at is not None
    assert overdue == []
    resume(rt, "clerk", tid, wednesday)  # 16 working hours paused
    assert task_of(rt, iid, "sales_clerk").due_at == at(25, 18)
    with Session(rt.db) as s:
        on_time = inbox(s, clerk, now=at(25, 17), tz=zone, flt=InboxFilter(overdue=True)).rows
        late = inbox(s, clerk, now=at(26, 8, 1), tz=zone, flt=InboxFilter(overdue=True)).rows
    assert on_time == [] and [r.task.id for r in late] == [tid]
