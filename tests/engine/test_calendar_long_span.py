"""Working time over long spans (a task overdue for months): the per-year table of working
days gives exactly what walking each day gives, across holidays, adjusted working days,
extra days, year ends and both directions."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from gendan.calendar import BusinessCalendar


def walked(cal: BusinessCalendar, a: datetime, b: datetime) -> int:
    """The day-by-day walk the calendar used for every span before issue 11."""
    la, lb = cal._to_local(a), cal._to_local(b)
    if lb < la:
        return -walked(cal, b, a)
    return int(cal._working_between_days(la, lb).total_seconds() // 60)


def test_long_spans_match_the_day_walk() -> None:
    cal = BusinessCalendar.from_spec(
        working_hours="08:00-12:00,13:00-17:30", holidays="2025-03-03", workdays="2025-03-08"
    )
    rng = random.Random(11)
    start = datetime(2023, 1, 1)
    for _ in range(400):
        a = start + timedelta(minutes=rng.randrange(60 * 24 * 365 * 4), seconds=rng.random())
        b = a + timedelta(minutes=rng.randrange(60 * 24 * rng.choice((10, 40, 400, 1000))))
        assert cal.working_minutes_between(a, b) == walked(cal, a, b), (a, b)
        assert cal.working_minutes_between(b, a) == walked(cal, b, a), (b, a)


def test_long_span_edges_at_midnight_and_with_zones() -> None:
    cal = BusinessCalendar()
    a, b = datetime(2024, 12, 31, 0, 0), datetime(2026, 1, 1, 0, 0)
    assert cal.working_minutes_between(a, b) == walked(cal, a, b)
    a = datetime.combine(a.date(), time(12, 30))  # inside the lunch break
    assert cal.working_minutes_between(a, b) == walked(cal, a, b)
    aware_a = datetime(2024, 11, 22, 1, 0, tzinfo=UTC)
    aware_b = datetime(2026, 11, 29, 23, 59, tzinfo=UTC)
    assert cal.working_minutes_between(aware_a, aware_b) == walked(cal, aware_a, aware_b)
