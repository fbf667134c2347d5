"""The running system's shared parts: database engine, business calendar, settings."""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gendan.calendar import BusinessCalendar
from gendan.db import create_schema, make_engine, reader
from gendan.models import CalendarDay
from gendan.settings import Settings, get_settings

#: How long a process keeps its calendar before re-reading the company's announced days, so
#: a change made on one API replica or in the admin pages reaches every process in a minute.
CALENDAR_TTL = 60.0


class Runtime:
    """Database engine, settings, and the business calendar (refreshed every minute)."""

    def __init__(self, db: Engine, calendar: BusinessCalendar, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._calendar = calendar
        self._loaded_at = time.monotonic()

    @property
    def calendar(self) -> BusinessCalendar:
        if time.monotonic() - self._loaded_at > CALENDAR_TTL:
            self.reload_calendar()
        return self._calendar

    def reload_calendar(self) -> None:
        """Rebuild the calendar after the company changes its announced days."""
        self._calendar = load_calendar(self.db, self.settings)
        self._loaded_at = time.monotonic()


def load_calendar(db: Engine, settings: Settings) -> BusinessCalendar:
    """Settings' calendar plus the company's announced days off / working days in the database."""
    with Session(reader(db)) as s:  # may run while this thread holds the write lock
        days = s.exec(select(CalendarDay)).all()
    return calendar_with(settings, days)


def calendar_with(settings: Settings, days: Sequence[CalendarDay]) -> BusinessCalendar:
    """Settings' calendar plus the given company days (the ones a transaction sees)."""
    base = BusinessCalendar.from_spec(
        tz=settings.timezone,
        working_hours=settings.working_hours,
        holidays=settings.holidays,
        workdays=settings.workdays,
    )
    off = {d.day for d in days if not d.working}
    on = {d.day for d in days if d.working}
    return BusinessCalendar(
        tz=settings.timezone,
        working_hours=base.working_hours,
        extra_holidays=(base.extra_holidays - on) | off,
        extra_workdays=(base.extra_workdays - off) | on,
    )


def build_runtime(settings: Settings | None = None) -> Runtime:
    """Open the configured database, create missing tables, load the calendar."""
    settings = settings or get_settings()
    db = make_engine(settings.database_url)
    create_schema(db)
    return Runtime(db=db, calendar=load_calendar(db, settings), settings=settings)
