"""Deadline arithmetic: where a step's clock starts, when it is due, when to remind.

``states/`` declares a :class:`~gendan.timespec.Deadline` per task; this module
turns it into instants on the business calendar. Pure: no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from gendan.calendar import BusinessCalendar
from gendan.timespec import OPEN, Deadline, Sla, Unit

if TYPE_CHECKING:
    from states.base import OpensAt

#: Reminder point of a deadline of one working day or more (PROCEDURES.md, Escalation).
REMINDER_FRACTION = 0.75


@dataclass(frozen=True)
class Schedule:
    """The instants of one task's deadline."""

    start: datetime
    due: datetime
    #: None when the deadline is shorter than a working day, or the point has passed.
    remind: datetime | None
    #: Working time of one deadline length: the next escalation level fires this much later.
    period: timedelta


def start_instant(
    deadline: Deadline,
    *,
    opened: datetime,
    anchors: dict[str, datetime],
) -> datetime:
    """The clock's start: the opening, the received-at, or a recorded event's instant."""
    if deadline.start == OPEN or deadline.start.startswith("date:"):
        return opened
    return anchors.get(deadline.start, opened)


def schedule(
    calendar: BusinessCalendar,
    deadline: Deadline,
    *,
    opened: datetime,
    anchors: dict[str, datetime] | None = None,
    dates: dict[str, date] | None = None,
) -> Schedule:
    """Due and reminder instants of ``deadline`` for a task opened at ``opened``.

    ``anchors`` maps start names ("recv", "event:gate") to instants; ``dates``
    maps business-date fields ("delivery_date") to dates. A missing anchor
    falls back to the opening (the clock never starts later than the task).
    """
    start = start_instant(deadline, opened=opened, anchors=anchors or {})
    if deadline.sla is not None:
        due = calendar.add(start, deadline.sla)
        if deadline.lower:
            remind: datetime | None = calendar.add(start, Sla.working_days(deadline.lower))
        elif deadline.sla.unit is Unit.WORKING_DAYS:
            remind = calendar.add_fraction(start, deadline.sla, REMINDER_FRACTION)
        else:
            remind = None
    else:
        due = _date_due(calendar, deadline, start=start, dates=dates or {})
        long = calendar.working_between(start, due) >= _working_day(calendar)
        remind = _fraction(calendar, start, due, REMINDER_FRACTION) if long else None
    period = calendar.working_between(calendar.next_working_instant(start), due)
    if period <= timedelta():
        period = MIN_PERIOD
    if remind is not None and remind >= due:
        remind = None
    return Schedule(start=start, due=due, remind=remind, period=period)


def _date_due(
    calendar: BusinessCalendar, deadline: Deadline, *, start: datetime, dates: dict[str, date]
) -> datetime:
    local_day = calendar.local_date(start)
    if deadline.next_month_day is not None:
        first = (local_day.replace(day=1) + timedelta(days=32)).replace(day=1)
        day = calendar.working_day_on_or_before(first.replace(day=deadline.next_month_day))
        return calendar.day_end(day, start)
    if deadline.same_day:
        return calendar.day_end(calendar.working_day_on_or_after(local_day), start)
    assert deadline.before is not None
    field = deadline.start.split(":", 1)[1]
    anchor = dates.get(field)
    if anchor is None:
        raise ValueError(f"the deadline counts back from {field}, which is not set")
    _, b = deadline.before
    return calendar.day_end(calendar.working_days_before(anchor, b), start)


def opens_at(calendar: BusinessCalendar, deadline: Deadline, dates: dict[str, date]) -> datetime:
    """A date-anchored task's opening: the start of the working day ``a`` WD before the date."""
    assert deadline.before is not None
    field = deadline.start.split(":", 1)[1]
    a, _ = deadline.before
    like = datetime.now(calendar.zone)
    return calendar.day_start(calendar.working_days_before(dates[field], a), like)


def opening(calendar: BusinessCalendar, opens: OpensAt, dates: dict[str, date]) -> datetime | None:
    """When a date-anchored task opens: the start of the working day ``days_before`` WD
    before its date (None while the date is not set). Kept in UTC."""
    day = dates.get(opens.field)
    if day is None:
        return None
    like = datetime(2000, 1, 1, tzinfo=UTC)
    return calendar.day_start(calendar.working_days_before(day, opens.days_before), like)


def schedule_until(calendar: BusinessCalendar, *, start: datetime, due: datetime) -> Schedule:
    """A deadline given as an instant (a form's due time): reminded at 75 % of the working
    time to it when that is a working day or more; the next level one such length later."""
    period = calendar.working_between(calendar.next_working_instant(start), due)
    long = period >= _working_day(calendar)
    remind = _fraction(calendar, start, due, REMINDER_FRACTION) if long else None
    if period <= timedelta():
        period = MIN_PERIOD
    if remind is not None and remind >= due:
        remind = None
    return Schedule(start=start, due=due, remind=remind, period=period)


def _working_day(calendar: BusinessCalendar) -> timedelta:
    return sum(
        (
            datetime.combine(date.min, e) - datetime.combine(date.min, s)
            for s, e in calendar.working_hours
        ),
        timedelta(),
    )


#: Between escalation levels when a deadline had no working time at all (e.g. 当天 at 18:00).
MIN_PERIOD = timedelta(minutes=30)


def _fraction(calendar: BusinessCalendar, start: datetime, due: datetime, f: float) -> datetime:
    part = calendar.working_between(start, due) * f
    return calendar.add_working(start, part)
