"""The gate of the QA head's daily check (``states.quality_daily_check``): a working day with
quality exceptions open (001M 2.2.5(1))."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from gendan.models import CalendarDay, Instance
from gendan.runtime import calendar_with
from gendan.schedules import gate
from gendan.settings import get_settings


@gate("open_quality_exceptions")
def open_quality_exceptions(session: Session, due: datetime) -> bool:
    """Start the day's check only on a working day (the company calendar with its announced
    days) and only while a quality exception (§9) is open."""
    calendar = calendar_with(get_settings(), session.exec(select(CalendarDay)).all())
    if not calendar.is_working_day(calendar.local_date(due)):
        return False
    running = session.exec(
        select(Instance.id).where(
            Instance.procedure == "quality_exception", Instance.closed_at.is_(None)
        )
    ).first()
    return running is not None
