"""Windows that close by themselves (``states.base.Window``): silence is consent.

Entering a state with a window opens one task per recipient (``gendan.tasks``), each due
when the window closes, with a timer at that instant (level ``WINDOW_CLOSES``). A recipient
who objects decides ``objection`` on their task: an ordinary move, so it fires at once and
the others' tasks close with the state. If nobody objected, the SLA sweep reaches the timer
and fires ``on_silence`` as the system actor (``gendan.transitions.fire_system``); the trail
gets a ``window_closed`` event saying so (无异议视为接受 / no objection: accepted by silence)
and the transition's detail carries ``by_silence``. The first timer of the round does it;
the others were cancelled with their tasks.

The ``on_silence`` step must ask for nothing a person types (no form with required fields):
the system has nothing to type.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from gendan import audit
from gendan.calendar import BusinessCalendar
from gendan.models import Department, Instance, Task, Timer, User
from states import get_procedure
from states.base import SILENCE_EN, SILENCE_ZH


def close_window(
    session: Session, timer: Timer, *, now: datetime, calendar: BusinessCalendar
) -> None:
    """The window's close has come: fire ``on_silence`` unless the state was left."""
    from gendan.transitions import fire_system  # (transitions imports the sweep's modules)

    timer.status, timer.fired_at = "fired", now
    session.add(timer)
    task = session.get(Task, timer.task_id)
    if task is None or task.status != "open":
        timer.status = "cancelled"  # someone objected, or the state was left another way
        return
    inst = session.exec(
        select(Instance).where(Instance.id == task.instance_id).with_for_update()
    ).one()
    proc = get_procedure(inst.procedure)
    wait = proc.wait_for(task.state)
    if inst.state != task.state or wait is None or wait.window is None:
        timer.status = "cancelled"
        return
    window = wait.window
    silent = session.exec(
        select(Task).where(
            Task.instance_id == inst.id,
            Task.state == task.state,
            Task.round == task.round,
            Task.status == "open",
        )
    ).all()
    audit.on_instance(
        session,
        inst,
        action="window_closed",
        actor=None,
        at=now,
        task_id=task.id,
        reason=f"{SILENCE_ZH} / {SILENCE_EN}",
        detail={
            "by_silence": True,
            "event": window.on_silence,
            "closes_at": task.due_at,
            "silent": [_who(session, t) for t in silent],
        },
    )
    fire_system(
        session,
        inst,
        window.on_silence,
        {},
        now=now,
        calendar=calendar,
        detail={"by_silence": True, "reason_zh": SILENCE_ZH, "reason_en": SILENCE_EN},
    )


def _who(session: Session, task: Task) -> str:
    """Whom a silent task was for: its assignee's username, else role@department."""
    if task.assignee_id is not None:
        user = session.get(User, task.assignee_id)
        if user is not None:
            return user.username
    dep = session.get(Department, task.department_id)
    return f"{task.role}@{dep.key if dep else task.department_id}"
