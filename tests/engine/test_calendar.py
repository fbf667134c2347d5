"""BusinessCalendar against the real `holidays` data for China (2026 is officially published)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from gendan.calendar import BusinessCalendar
from gendan.timespec import Sla

CAL = BusinessCalendar()
MIN30 = Sla.minutes(30)


def dt(*args: int) -> datetime:
    return datetime(*args)  # naive = Asia/Shanghai local time


# -- the statutory data this suite relies on ---------------------------------


def test_2026_statutory_data() -> None:
    assert not CAL.is_working_day(date(2026, 4, 5))  # Sun, Qingming
    assert not CAL.is_working_day(date(2026, 4, 6))  # Mon, Qingming observed
    assert CAL.is_working_day(date(2026, 9, 20))  # Sun, adjusted working day
    assert CAL.is_working_day(date(2026, 10, 10))  # Sat, adjusted working day
    assert [CAL.is_working_day(date(2026, 10, d)) for d in range(1, 9)] == [False] * 7 + [True]
    assert CAL.is_working_day(date(2026, 4, 13))  # ordinary Monday
    assert not CAL.is_working_day(date(2026, 4, 18))  # ordinary Saturday


# -- minutes and hours -------------------------------------------------------


def test_friday_evening_over_qingming() -> None:
    assert CAL.add(dt(2026, 4, 3, 17, 45), MIN30) == dt(2026, 4, 7, 8, 15)


def test_friday_evening_into_adjusted_sunday() -> None:
    assert CAL.add(dt(2026, 9, 18, 17, 45), MIN30) == dt(2026, 9, 20, 8, 15)


def test_utc_aware_in_utc_out() -> None:
    start = datetime(2026, 4, 3, 9, 45, tzinfo=UTC)  # 17:45 in Shanghai
    due = CAL.add(start, MIN30)
    assert due == datetime(2026, 4, 7, 0, 15, tzinfo=UTC)  # 08:15 in Shanghai
    assert due.tzinfo is UTC


def test_other_aware_zone_is_kept() -> None:
    plus8 = timezone(timedelta(hours=8))
    due = CAL.add(datetime(2026, 4, 13, 11, 30, tzinfo=plus8), Sla.hours(1))
    assert due == datetime(2026, 4, 13, 13, 30, tzinfo=plus8)
    assert due.tzinfo is plus8


def test_lunch_break_is_skipped() -> None:
    assert CAL.add(dt(2026, 4, 13, 11, 30), Sla.hours(1)) == dt(2026, 4, 13, 13, 30)


def test_start_during_lunch_counts_from_1300() -> None:
    assert CAL.add(dt(2026, 4, 13, 12, 30), MIN30) == dt(2026, 4, 13, 13, 30)


def test_start_before_opening_counts_from_opening() -> None:
    assert CAL.add(dt(2026, 4, 13, 6, 0), MIN30) == dt(2026, 4, 13, 8, 30)


def test_start_after_closing_counts_from_next_opening() -> None:
    assert CAL.add(dt(2026, 4, 13, 19, 0), MIN30) == dt(2026, 4, 14, 8, 30)


def test_four_hours_span_two_days() -> None:
    assert CAL.add(dt(2026, 4, 13, 16, 0), Sla.hours(4)) == dt(2026, 4, 14, 10, 0)


def test_using_up_a_period_ends_at_its_close() -> None:
    assert CAL.add(dt(2026, 4, 13, 8, 0), Sla.hours(4)) == dt(2026, 4, 13, 12, 0)
    assert CAL.add(dt(2026, 4, 13, 8, 0), Sla.hours(9)) == dt(2026, 4, 13, 18, 0)


def test_many_hours_skip_whole_national_day_break() -> None:
    # Wed 2026-09-30 08:00 + 18 h = two full days: Sep 30 and Oct 8 (Oct 1-7 off)
    assert CAL.add(dt(2026, 9, 30, 8, 0), Sla.hours(18)) == dt(2026, 10, 8, 18, 0)


# -- working days ------------------------------------------------------------


def test_one_working_day_next_day_same_time() -> None:
    assert CAL.add(dt(2026, 4, 13, 10, 0), Sla.working_days(1)) == dt(2026, 4, 14, 10, 0)


def test_working_days_across_weekend() -> None:
    fri = dt(2026, 4, 17, 10, 0)
    assert CAL.add(fri, Sla.working_days(1)) == dt(2026, 4, 20, 10, 0)
    assert CAL.add(fri, Sla.working_days(3)) == dt(2026, 4, 22, 10, 0)


def test_working_days_across_national_day() -> None:
    wed = dt(2026, 9, 30, 10, 0)
    assert CAL.add(wed, Sla.working_days(1)) == dt(2026, 10, 8, 10, 0)
    # Oct 8 (Thu), Oct 9 (Fri), Oct 10 (Sat, adjusted working day)
    assert CAL.add(wed, Sla.working_days(3)) == dt(2026, 10, 10, 10, 0)


def test_working_days_start_is_normalized_first() -> None:
    assert CAL.add(dt(2026, 4, 18, 10, 0), Sla.working_days(1)) == dt(2026, 4, 21, 8, 0)
    assert CAL.add(dt(2026, 4, 13, 12, 15), Sla.working_days(1)) == dt(2026, 4, 14, 13, 0)


def test_working_days_utc() -> None:
    start = datetime(2026, 4, 17, 2, 0, tzinfo=UTC)  # Fri 10:00 Shanghai
    assert CAL.add(start, Sla.working_days(1)) == datetime(2026, 4, 20, 2, 0, tzinfo=UTC)


# -- company overrides -------------------------------------------------------


def test_extra_holiday() -> None:
    cal = BusinessCalendar(extra_holidays=[date(2026, 4, 14)])
    assert not cal.is_working_day(date(2026, 4, 14))
    assert cal.add(dt(2026, 4, 13, 17, 45), MIN30) == dt(2026, 4, 15, 8, 15)
    assert cal.add(dt(2026, 4, 13, 10, 0), Sla.working_days(1)) == dt(2026, 4, 15, 10, 0)


def test_extra_workday_on_weekend() -> None:
    cal = BusinessCalendar(extra_workdays=[date(2026, 4, 18)])
    assert cal.add(dt(2026, 4, 17, 17, 45), MIN30) == dt(2026, 4, 18, 8, 15)


def test_extra_workday_beats_statutory_holiday() -> None:
    cal = BusinessCalendar(extra_workdays=[date(2026, 4, 6)])
    assert cal.is_working_day(date(2026, 4, 6))
    assert cal.add(dt(2026, 4, 3, 17, 45), MIN30) == dt(2026, 4, 6, 8, 15)


def test_extra_holiday_beats_adjusted_workday() -> None:
    cal = BusinessCalendar(extra_holidays=[date(2026, 9, 20)])
    assert cal.add(dt(2026, 9, 18, 17, 45), MIN30) == dt(2026, 9, 21, 8, 15)


def test_without_statutory_only_weekends() -> None:
    cal = BusinessCalendar(use_statutory=False)
    assert cal.add(dt(2026, 4, 3, 17, 45), MIN30) == dt(2026, 4, 6, 8, 15)
    assert not cal.is_working_day(date(2026, 9, 20))


# -- years without official data ----------------------------------------------


def test_years_without_published_schedule_do_not_raise() -> None:
    assert CAL.is_working_day(date(2030, 3, 13))  # a Wednesday
    assert not CAL.is_working_day(date(2030, 3, 16))  # a Saturday
    due = CAL.add(dt(2030, 9, 30, 17, 45), MIN30)
    assert due > dt(2030, 10, 1) and CAL.is_working_day(due.date())
    assert CAL.add(dt(2027, 12, 31, 10, 0), Sla.working_days(3)) > dt(2028, 1, 3)
    cal = BusinessCalendar(use_statutory=False)
    assert cal.add(dt(2030, 9, 30, 17, 45), MIN30) == dt(2030, 10, 1, 8, 15)


def test_long_sla_is_fast_and_exact() -> None:
    cal = BusinessCalendar(use_statutory=False, extra_holidays=[date(2026, 5, 1)])
    # 2026-05-01 is a Friday; 200 working days from Thu 2026-04-30 with weekends and May 1 off
    due = cal.add(dt(2026, 4, 30, 9, 0), Sla.working_days(200))
    assert due == dt(2027, 2, 5, 9, 0)
    assert cal.add(dt(2026, 4, 30, 9, 0), Sla.hours(200 * 9)) == dt(2027, 2, 5, 9, 0)


# -- next_working_instant ------------------------------------------------------


def test_next_working_instant() -> None:
    assert CAL.next_working_instant(dt(2026, 4, 13, 9, 5)) == dt(2026, 4, 13, 9, 5)
    assert CAL.next_working_instant(dt(2026, 4, 13, 12, 0)) == dt(2026, 4, 13, 13, 0)
    assert CAL.next_working_instant(dt(2026, 4, 13, 18, 0)) == dt(2026, 4, 14, 8, 0)
    assert CAL.next_working_instant(dt(2026, 10, 1, 9, 0)) == dt(2026, 10, 8, 8, 0)
    utc = datetime(2026, 4, 13, 10, 0, tzinfo=UTC)  # 18:00 Shanghai
    assert CAL.next_working_instant(utc) == datetime(2026, 4, 14, 0, 0, tzinfo=UTC)


# -- working_minutes_between -----------------------------------------------------


def test_working_minutes_between() -> None:
    assert CAL.working_minutes_between(dt(2026, 4, 13, 11, 0), dt(2026, 4, 13, 14, 0)) == 120
    a, b = dt(2026, 4, 3, 17, 0), dt(2026, 4, 7, 9, 0)
    assert CAL.working_minutes_between(a, b) == 120
    assert CAL.working_minutes_between(b, a) == -120
    assert CAL.working_minutes_between(a, a) == 0
    assert CAL.working_minutes_between(dt(2026, 4, 13, 8), dt(2026, 4, 14, 8)) == 540


def test_working_minutes_between_mixed_zones() -> None:
    a = datetime(2026, 4, 13, 3, 0, tzinfo=UTC)  # 11:00 Shanghai
    assert CAL.working_minutes_between(a, dt(2026, 4, 13, 14, 0)) == 120


# -- add_fraction ----------------------------------------------------------------


def test_add_fraction_75_percent_of_one_working_day() -> None:
    # Mon 10:00 -> due Tue 10:00 = 540 working minutes; 75% = 405 min -> Mon 17:45
    start = dt(2026, 4, 13, 10, 0)
    assert CAL.add_fraction(start, Sla.working_days(1), 0.75) == dt(2026, 4, 13, 17, 45)
    assert CAL.add_fraction(start, Sla.working_days(1), 1.0) == dt(2026, 4, 14, 10, 0)
    assert CAL.add_fraction(start, Sla.working_days(1), 0) == start


def test_add_fraction_across_national_day() -> None:
    # Wed 2026-09-30 16:00 -> due Thu Oct 8 16:00 (540 min); 75% = 405 min:
    # 120 on Sep 30, then 285 on Oct 8 -> 13:45
    start = dt(2026, 9, 30, 16, 0)
    assert CAL.add_fraction(start, Sla.working_days(1), 0.75) == dt(2026, 10, 8, 13, 45)


def test_add_fraction_minutes_and_utc() -> None:
    start = datetime(2026, 4, 13, 3, 0, tzinfo=UTC)  # Mon 11:00 Shanghai
    got = CAL.add_fraction(start, Sla.hours(2), 0.5)
    assert got == datetime(2026, 4, 13, 4, 0, tzinfo=UTC)  # 12:00 Shanghai
    with pytest.raises(ValueError):
        CAL.add_fraction(start, Sla.hours(2), 1.5)


# -- from_spec ----------------------------------------------------------------------


def test_from_spec() -> None:
    cal = BusinessCalendar.from_spec(
        working_hours=" 08:30-12:00 , 13:00-17:30 ",
        holidays="2026-04-14, 2026-04-15",
        workdays="2026-04-18",
    )
    assert cal.working_hours == ((time(8, 30), time(12)), (time(13), time(17, 30)))
    assert cal.add(dt(2026, 4, 13, 17, 15), MIN30) == dt(2026, 4, 16, 8, 45)
    assert cal.is_working_day(date(2026, 4, 18))
    assert BusinessCalendar.from_spec().working_hours == CAL.working_hours


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"working_hours": "8-12"}, "HH:MM-HH:MM"),
        ({"working_hours": "08:00"}, "HH:MM-HH:MM"),
        ({"working_hours": ""}, "at least one"),
        ({"working_hours": "12:00-08:00"}, "empty"),
        ({"working_hours": "08:00-12:00,11:00-18:00"}, "overlap"),
        ({"holidays": "2026-13-01"}, "holidays: not an ISO date"),
        ({"workdays": "2026/04/18"}, "workdays: not an ISO date"),
        ({"holidays": "2026-04-18", "workdays": "2026-04-18"}, "both"),
        ({"tz": "Mars/Olympus"}, "time zone"),
    ],
)
def test_from_spec_errors(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.from_spec(**kwargs)  # type: ignore[arg-type]
