"""Pausing a task's clock while an outside party's answer is awaited.

PROCEDURES.md "Deadlines", Choice (outside waits): where a step waits on the
customer, a supplier or a subcontractor, the wait for the answer stops the
clock, reminds the holder each working day and records the waiting time.

A task may be paused only if its step declares ``TaskSpec.pauses_for`` (copied
onto ``Task.pauses_for`` when it opens), only by the person holding it (claimed,
as for delegating), and with a note of what was asked and how. While paused:

* its pending deadline timers (levels >= 0) are ``paused`` and ``Task.paused_at``
  is set, so the sweep escalates nothing;
* one :data:`WAITING_LEVEL` timer row reminds the holder every working day
  (:func:`remind_waiting`, called by the sweep), re-armed one working day later.

Resuming (by the holder, or on completion through :func:`resume_if_paused`)
moves every paused timer and ``Task.due_at`` later by the working time paused,
so a wait of three working days adds three working days to the due time and
nothing to the lateness; the working minutes are added to ``Task.waited_minutes``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import Session, select

from gendan import audit
from gendan.calendar import BusinessCalendar
from gendan.errors import Conflict, InvalidForm, NotAllowed
from gendan.limits import MAX_TEXT, check_text
from gendan.message_context import message_facts, reference
from gendan.models import Instance, Task, Timer
from gendan.org import Actor, escalation_targets
from gendan.outbox import enqueue
from gendan.tasks import open_task
from gendan.timespec import Sla
from states import get_procedure
from states.base import OUTSIDE_PARTIES

if TYPE_CHECKING:  # gendan.escalation calls into this module from its sweep
    from gendan.escalation import Escalation

#: ``Timer.level`` of the daily reminder while the clock is paused.
WAITING_LEVEL = -1
#: How often the holder of a paused task is reminded.
REMIND_EVERY = Sla.working_days(1)
#: How the outside party was asked (optional; the note says the rest).
CHANNELS = {
    "phone": ("电话", "phone"),
    "fax": ("传真", "fax"),
    "email": ("电子邮件", "e-mail"),
    "other": ("其他", "other"),
}


def pause_task(
    session: Session,
    *,
    task_id: int,
    actor: Actor,
    note: str,
    now: datetime,
    calendar: BusinessCalendar,
    via: str = "",
) -> Task:
    """The holder stops the task's clock while the outside party's answer is awaited."""
    task = open_task(session, task_id)
    if task.assignee_id != actor.user_id:
        raise NotAllowed("claim the task before pausing it / 请先认领再暂停")
    if task.pauses_for is None:
        raise Conflict(
            "this step does not wait on an outside party, so its clock cannot be paused"
            " / 此环节不等待外部答复，不能暂停计时"
        )
    if task.paused_at is not None:
        raise Conflict(
            f"the task is already paused (since {task.paused_at:%Y-%m-%d %H:%M} UTC) / 此任务已暂停"
        )
    note = (note or "").strip()
    via = (via or "").strip()
    errors: dict[str, str] = {}
    if not note:
        errors["note"] = "say what was asked and how / 请写明询问的内容及方式"
    if via and via not in CHANNELS:
        errors["via"] = f"one of {', '.join(CHANNELS)} / 联系方式无效"
    check_text(errors, "note", note, MAX_TEXT)
    if errors:
        raise InvalidForm(errors)
    session.execute(
        update(Timer)
        .where(Timer.task_id == task.id, Timer.status == "pending", Timer.level >= 0)
        .values(status="paused")
    )
    remind_at = calendar.add(now, REMIND_EVERY)
    reminder = _reminder(session, task)
    if reminder is None:
        session.add(Timer(task_id=task.id, level=WAITING_LEVEL, due_at=remind_at))
    else:  # an earlier pause's row: one per task (unique task + level)
        reminder.due_at, reminder.status, reminder.fired_at = remind_at, "pending", None
        session.add(reminder)
    task.paused_at = now
    session.add(task)
    _audit(
        session,
        task,
        actor,
        "pause",
        now,
        reason=note,
        detail={
            "party": task.pauses_for,
            "note": note,
            "via": via or None,
            "due_at_before": task.due_at,
            "remind_at": remind_at,
        },
    )
    return task


def resume_task(
    session: Session, *, task_id: int, actor: Actor, now: datetime, calendar: BusinessCalendar
) -> Task:
    """The holder restarts the clock: the answer came (or will not be waited for any longer)."""
    task = open_task(session, task_id)
    if task.assignee_id != actor.user_id:
        raise NotAllowed("only the person holding the task can resume it / 仅任务持有人可恢复计时")
    if task.paused_at is None:
        raise Conflict("the task is not paused / 此任务未暂停")
    _resume(session, task, now, calendar, actor=actor, automatic=False)
    return task


def resume_if_paused(
    session: Session,
    task: Task,
    now: datetime,
    calendar: BusinessCalendar,
    *,
    actor: Actor | None = None,
) -> bool:
    """Resume ``task`` if it is paused (it is being completed); True if it was.

    Call it in the completing transaction before the task's timers are cancelled,
    so the waiting time is recorded and the reminder stops.
    """
    if task.paused_at is None:
        return False
    _resume(session, task, now, calendar, actor=actor, automatic=True)
    return True


def _resume(
    session: Session,
    task: Task,
    now: datetime,
    calendar: BusinessCalendar,
    *,
    actor: Actor | None,
    automatic: bool,
) -> None:
    paused_at = task.paused_at
    assert paused_at is not None
    waited = calendar.working_between(paused_at, now)
    minutes = int(waited.total_seconds() // 60)
    due_before = task.due_at
    for timer in session.exec(
        select(Timer).where(Timer.task_id == task.id, Timer.status == "paused")
    ).all():
        timer.due_at = _shift(calendar, timer.due_at, waited)
        timer.status = "pending"
        session.add(timer)
    session.execute(
        update(Timer)
        .where(
            Timer.task_id == task.id,
            Timer.level == WAITING_LEVEL,
            Timer.status == "pending",
        )
        .values(status="cancelled")
    )
    if task.due_at is not None:
        task.due_at = _shift(calendar, task.due_at, waited)
    task.waited_minutes = (task.waited_minutes or 0) + minutes
    task.paused_at = None
    session.add(task)
    _audit(
        session,
        task,
        actor,
        "resume",
        now,
        detail={
            "party": task.pauses_for,
            "paused_at": paused_at,
            "waited_working_minutes": minutes,
            "waited_wall_minutes": int((now - paused_at).total_seconds() // 60),
            "waited_total_minutes": task.waited_minutes,
            "due_at_before": due_before,
            "due_at": task.due_at,
            "automatic": automatic,
        },
    )


def _shift(calendar: BusinessCalendar, at: datetime, waited: timedelta) -> datetime:
    """``at`` moved later by ``waited`` working time (a wait outside working hours moves
    nothing: a due time at the end of a day stays there instead of the next morning)."""
    return calendar.add_working(at, waited) if waited > timedelta() else at


def remind_waiting(
    session: Session, timer: Timer, *, now: datetime, calendar: BusinessCalendar
) -> Escalation | None:
    """The sweep fired the daily reminder of a paused task: tell the holder, re-arm the row."""
    from gendan.escalation import Escalation  # the sweep imports this module lazily too

    task = session.get(Task, timer.task_id)
    timer.fired_at = now
    if task is None or task.status != "open" or task.paused_at is None:
        timer.status = "cancelled"  # closed or resumed: nothing is awaited any more
        session.add(timer)
        return None
    inst = session.get(Instance, task.instance_id)
    assert inst is not None
    proc = get_procedure(inst.procedure)
    users = escalation_targets(session, task, 0)  # the holder (or the queue, if given back)
    party_zh, party_en = OUTSIDE_PARTIES.get(task.pauses_for or "", (task.pauses_for, ""))
    waited = (task.waited_minutes or 0) + calendar.working_minutes_between(task.paused_at, now)
    enqueue(
        session,
        cause=f"timer:{timer.id}@{timer.due_at.isoformat()}",  # the row is re-armed daily
        users=users,
        template="waiting_reminder",
        context={
            "level": WAITING_LEVEL,
            "task_id": task.id,
            "instance_id": inst.id,
            "task_title_zh": task.title_zh,
            "task_title_en": task.title_en,
            **reference(inst),
            "procedure_zh": proc.title_zh,
            "procedure_en": proc.title_en,
            "party": task.pauses_for,
            "party_zh": party_zh,
            "party_en": party_en,
            "since": task.paused_at,
            "waited_minutes": waited,
            "timezone": str(calendar.zone),
            **message_facts(session, task, calendar=calendar, now=now, inst=inst),
        },
        now=now,
    )
    audit.on_instance(
        session,
        inst,
        action="waiting_reminder",
        actor=None,
        at=now,
        task_id=task.id,
        detail={
            "level": WAITING_LEVEL,
            "party": task.pauses_for,
            "since": task.paused_at,
            "waited_minutes": waited,
            "recipients": [u.username for u in users],
        },
    )
    nxt = calendar.add(timer.due_at, REMIND_EVERY)
    if nxt <= now:  # the sweep was down for days: one reminder now, the next a day later
        nxt = calendar.add(now, REMIND_EVERY)
    timer.due_at, timer.status = nxt, "pending"
    session.add(timer)
    return Escalation(task.id, WAITING_LEVEL, inst.reference, tuple(u.username for u in users))


def _reminder(session: Session, task: Task) -> Timer | None:
    return session.exec(
        select(Timer).where(Timer.task_id == task.id, Timer.level == WAITING_LEVEL)
    ).first()


def _audit(
    session: Session,
    task: Task,
    actor: Actor | None,
    action: str,
    now: datetime,
    **kw: object,
) -> None:
    inst = session.get(Instance, task.instance_id)
    assert inst is not None
    audit.on_instance(session, inst, action=action, actor=actor, at=now, task_id=task.id, **kw)
