"""A moved delivery date moves the plan dates that count back from it (PROCEDURES.md §2
"change issued → … §3 plan reopened"; issue 9: "moving the delivery date moves the
follow-up, packing and dispatch tasks' dates (audited)").

The follow-up counts from the order's delivery date itself; packing and dispatch count from
the plan's packing and dispatch dates (``plan.packing_date``, ``plan.dispatch_date``). A
procedure lists such dates in ``Procedure.follows_delivery``; when a move sets the order's
delivery date, each running instance of the order shifts them by the same number of working
days (one ``dates_shifted`` audit event, old → new), and the engine's date-anchored re-plan
(``gendan.dated_tasks.move_dated_tasks``, called after every move) then moves the tasks that
count from them (``deadline_moved`` per task).

Choice: the plan keeps its distance to the delivery date in working days, because the seeds
count packing and dispatch back from delivery in working days (001M 2.2.2(5), 3.1); the
production manager re-plans the lines when the shift is not enough (the plan-change request
and the 调整计划 step stay open to him).
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from gendan import audit
from gendan.calendar import BusinessCalendar
from gendan.models import Instance
from gendan.org import Actor
from states import get_procedure
from states.base import Procedure


def working_days_between(calendar: BusinessCalendar, old: date, new: date) -> int:
    """Signed working days from ``old`` to ``new`` (each read as its working day on or before)."""
    a, b = calendar.working_day_on_or_before(old), calendar.working_day_on_or_before(new)
    sign, (lo, hi) = (1, (a, b)) if b >= a else (-1, (b, a))
    days, d = 0, lo
    while d < hi:
        d += timedelta(days=1)
        days += calendar.is_working_day(d)
    return sign * days


def shift(calendar: BusinessCalendar, day: date, n: int) -> date:
    """``day`` moved by ``n`` working days (a day off first steps back to a working day)."""
    d = calendar.working_day_on_or_before(day)
    step = timedelta(days=1 if n > 0 else -1)
    for _ in range(abs(n)):
        d += step
        while not calendar.is_working_day(d):
            d += step
    return d


def follow_delivery(
    session: Session,
    *,
    order_no: str,
    old: date | None,
    new: date | None,
    calendar: BusinessCalendar,
    now: datetime,
    actor: Actor | None,
    cause: dict[str, Any],
) -> list[int]:
    """Shift the dates each running instance of the order declares in ``follows_delivery``;
    the ids of the instances that changed."""
    if old is None or new is None or not order_no:
        return []  # a first date: nothing planned counts from it yet
    n = working_days_between(calendar, old, new)
    if n == 0:
        return []
    changed: list[int] = []
    rows = session.exec(
        select(Instance)
        .where(Instance.order_no == order_no, Instance.closed_at.is_(None))
        .order_by(Instance.id)
    ).all()
    for inst in rows:
        proc = get_procedure(inst.procedure)
        forms = dict(inst.data.get("forms", {}))
        changes: dict[str, Any] = {}
        for path in proc.follows_delivery:
            form, _, rest = path.partition(".")
            if not isinstance(forms.get(form), dict):
                continue  # not planned yet: the plan, when made, counts from the new date
            values = copy.deepcopy(forms[form])
            holder, cell = _locate(values, rest)
            value = holder.get(cell) if holder is not None else None
            if not isinstance(value, str):
                continue
            moved = shift(calendar, date.fromisoformat(value), n).isoformat()
            holder[cell] = moved  # type: ignore[index]
            forms[form] = values
            changes[path] = {"old": value, "new": moved}
        if not changes:
            continue
        inst.data = {**inst.data, "forms": forms}
        session.add(inst)
        revised = _reissue(session, inst, proc, forms, changes, actor=actor, now=now)
        if revised:
            changes["documents.superseded"] = revised
        audit.on_instance(
            session,
            inst,
            action="dates_shifted",
            actor=actor,
            at=now,
            changes=changes,
            detail={
                "cause": cause,
                "delivery_date": {"old": old.isoformat(), "new": new.isoformat()},
                "working_days": n,
            },
        )
        assert inst.id is not None
        changed.append(inst.id)
    return changed


def _locate(values: dict[str, Any], rest: str) -> tuple[dict[str, Any] | None, str]:
    """The dict holding the date and its key: ``packing_date``, or a row's cell
    ``rows.packing.start`` (the first row whose first cell is ``packing``) / ``rows.2.start``."""
    parts = rest.split(".")
    if len(parts) == 1:
        return values, parts[0]
    if len(parts) != 3 or not isinstance(values.get(parts[0]), list):
        return None, ""
    rows = [r for r in values[parts[0]] if isinstance(r, dict) and r]
    if parts[1].isdigit():
        row = rows[int(parts[1])] if int(parts[1]) < len(rows) else None
    else:
        row = next((r for r in rows if next(iter(r.values())) == parts[1]), None)
    return row, parts[2]


def _reissue(
    session: Session,
    inst: Instance,
    proc: type[Procedure],
    forms: dict[str, Any],
    changes: dict[str, Any],
    *,
    actor: Actor | None,
    now: datetime,
) -> dict[str, Any] | None:
    """The document a shifted form was issued as (the 生产计划表) gets a new revision with the
    new dates; the earlier one is recalled (Choice: the plan on paper must not contradict
    the dates its tasks count from)."""
    from gendan.effects import issue_document

    for form in {path.partition(".")[0] for path in changes}:
        step = proc.steps.get(form)
        if step is None or not step.issues or not step.supersedes:
            continue
        doc, superseded = issue_document(session, inst=inst, kind=step.issues, data=forms[form],
                                         actor=actor, now=now, supersede=True)  # fmt: skip
        return {"old": superseded, "new": doc.doc_no}
    return None
