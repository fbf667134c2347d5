"""The company calendar: announce or withdraw days off and working days, and preview them.

The caller reloads the business calendar (``Runtime.reload_calendar``) after
commit, so that due times computed from then on use the new days; in the same transaction
:func:`move_deadlines` moves the due times and timers of the open tasks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import holidays
from sqlmodel import Session, select

from gendan.admin.changes import diff, record
from gendan.admin.validation import check_text, clean, parse_bool, parse_day, raise_errors
from gendan.calendar import BusinessCalendar
from gendan.models import CalendarDay
from gendan.org import Actor
from gendan.settings import Settings


def set_calendar_day(
    session: Session, *, actor: Actor, now: datetime, day: Any, working: Any, note: Any = ""
) -> date:
    """Announce a company day off or working day (overrides weekends and statutory days).

    The caller reloads the business calendar (``Runtime.reload_calendar``) after commit.
    """
    errors: dict[str, str] = {}
    d = parse_day(day, errors)
    flag = parse_bool(working, "working", errors)
    text = clean(note, max_len=200)
    check_text(errors, "note", text, required=False, max_len=200)
    raise_errors(errors)
    assert d is not None and flag is not None
    row = session.get(CalendarDay, d)
    old = {"working": row.working, "note": row.note} if row else {"working": None, "note": None}
    changes = diff(old, {"working": flag, "note": text})
    if not changes:
        return d
    if row is None:
        row = CalendarDay(day=d, working=flag, note=text)
    else:
        row.working, row.note = flag, text
    session.add(row)
    detail = {"day": d.isoformat()}
    record(session, actor=actor, now=now, what="calendar_day_set", changes=changes, detail=detail)
    return d


def remove_calendar_day(session: Session, *, actor: Actor, now: datetime, day: Any) -> date:
    """Withdraw an announced day: the statutory calendar and weekends apply again."""
    errors: dict[str, str] = {}
    d = parse_day(day, errors)
    row = session.get(CalendarDay, d) if d else None
    if d and row is None:
        errors["day"] = "该日期没有公司安排 / no company entry for this day"
    raise_errors(errors)
    assert d is not None and row is not None
    session.delete(row)
    record(
        session,
        actor=actor,
        now=now,
        what="calendar_day_removed",
        changes=diff({"working": row.working, "note": row.note}, None),
        detail={"day": d.isoformat()},
    )
    return d


def move_deadlines(
    session: Session, *, actor: Actor, now: datetime, settings: Settings, day: date
) -> int:
    """After a company day changed (in this transaction): move the open tasks' due times and
    timers to the calendar as it now stands; returns how many tasks moved."""
    from gendan.deadline_moves import move_open_deadlines  # the engine, read lazily
    from gendan.runtime import calendar_with

    session.flush()
    days = session.exec(select(CalendarDay)).all()
    entry = session.get(CalendarDay, day)
    cause = {"day": day.isoformat(), "working": entry.working if entry else None}
    moved = move_open_deadlines(
        session, calendar=calendar_with(settings, days), now=now, actor=actor, cause=cause
    )
    return len(moved)


@dataclass(frozen=True)
class DayView:
    """One day as the calendar page shows it: working or not, and why."""

    day: date
    working: bool
    reason_zh: str
    reason_en: str
    company: bool


_WEEKDAYS_ZH = "一二三四五六日"


@dataclass(frozen=True)
class _Statutory:
    """China's statutory holidays and adjusted working days (调休) for some years."""

    zh: Any
    en: Any
    adjusted: set[date]

    @classmethod
    def of(cls, years: set[int]) -> _Statutory:
        cn_zh = holidays.China(years=years, language="zh_CN")
        cn_en = holidays.China(years=years, language="en_US")
        adjusted = set(getattr(cn_zh, "weekend_workdays", None) or ())
        return cls(zh=cn_zh, en=cn_en, adjusted=adjusted)


def _reason(
    d: date, entry: CalendarDay | None, calendar: BusinessCalendar, cn: _Statutory
) -> tuple[str, str]:
    """Why ``d`` is (not) a working day, in Chinese and English ("" for a plain weekday)."""
    if entry is not None:
        if entry.working:
            kind_zh, kind_en = "公司安排上班", "company working day"
        else:
            kind_zh, kind_en = "公司放假", "company day off"
        return f"{kind_zh} {entry.note}".strip(), f"{kind_en} {entry.note}".strip()
    if d in calendar.extra_holidays:
        return "配置的休息日", "configured day off"
    if d in calendar.extra_workdays:
        return "配置的工作日", "configured working day"
    if calendar.use_statutory and d in cn.zh:
        return f"法定假日 {cn.zh.get(d)}", f"statutory holiday: {cn.en.get(d)}"
    if calendar.use_statutory and d in cn.adjusted:
        return "调休上班", "adjusted working day (调休)"
    if d.weekday() in calendar.weekend:
        return "周末", "weekend"
    return "", ""


def calendar_preview(
    calendar: BusinessCalendar,
    company_days: Iterable[CalendarDay],
    *,
    start: date,
    days: int = 60,
) -> list[DayView]:
    """``days`` days from ``start`` as ``calendar`` sees them, each with its reason."""
    company = {c.day: c for c in company_days}
    years = {start.year + i for i in range((start + timedelta(days=days)).year - start.year + 2)}
    cn = _Statutory.of(years)
    out: list[DayView] = []
    for i in range(days):
        d = start + timedelta(days=i)
        zh, en = _reason(d, company.get(d), calendar, cn)
        wd_zh, wd_en = f"周{_WEEKDAYS_ZH[d.weekday()]}", d.strftime("%a")
        out.append(
            DayView(
                day=d,
                working=calendar.is_working_day(d),
                reason_zh=f"{wd_zh} {zh}".strip(),
                reason_en=f"{wd_en} {en}".strip(),
                company=d in company,
            )
        )
    return out
