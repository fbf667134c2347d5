"""Deadline kinds (PROCEDURES.md "Deadlines") on the company calendar: pure arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from gendan.calendar import BusinessCalendar
from gendan.deadlines import schedule
from gendan.timespec import RECV, Deadline, event

CAL = BusinessCalendar()  # Asia/Shanghai, 08:00-12:00 and 13:00-18:00, statutory holidays


def sh(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """Shanghai wall-clock time as an aware UTC instant."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - timedelta(hours=8)


MON = sh(2026, 11, 23, 10)


def test_working_minutes_from_receipt_not_from_typing() -> None:
    """A change received Wed 17:45 before the National Day holiday, typed in on 10-08."""
    dl = Deadline.wm(30, start=RECV)
    received = sh(2026, 9, 30, 17, 45)
    plan = schedule(CAL, dl, opened=sh(2026, 10, 8, 9), anchors={RECV: received})
    assert plan.start == received
    assert plan.due == sh(2026, 10, 8, 8, 15)  # 15 min on 09-30, holiday, 15 min on 10-08
    assert plan.due < sh(2026, 10, 8, 9)  # overdue the moment it is typed in
    assert plan.remind is None  # shorter than a working day: no 75 % reminder


def test_without_a_received_at_the_clock_starts_at_the_opening() -> None:
    plan = schedule(CAL, Deadline.wm(30, start=RECV), opened=MON, anchors={})
    assert plan.due == sh(2026, 11, 23, 10, 30)


def test_working_hours_skip_lunch_and_night() -> None:
    plan = schedule(CAL, Deadline.wh(4), opened=sh(2026, 11, 23, 16))
    assert plan.due == sh(2026, 11, 24, 10)  # 16:00-18:00, then 08:00-10:00
    assert plan.period == timedelta(hours=4)


def test_event_start_runs_from_the_recorded_instant() -> None:
    gate = sh(2026, 11, 25, 15)
    plan = schedule(
        CAL, Deadline.wh(4, start=event("gate")), opened=MON, anchors={"event:gate": gate}
    )
    assert plan.start == gate and plan.due == sh(2026, 11, 26, 9)


def test_day_hours_are_working_days_with_a_reminder_at_75_percent() -> None:
    plan = schedule(CAL, Deadline.day_hours(24), opened=MON)
    assert plan.due == sh(2026, 11, 24, 10)
    assert plan.remind == sh(2026, 11, 23, 17, 45)
    assert Deadline.day_hours(48).sla is not None and Deadline.day_hours(48).sla.amount == 2
    with pytest.raises(ValueError):
        Deadline.day_hours(30)


def test_a_day_range_is_due_at_its_upper_bound_and_reminds_at_the_lower() -> None:
    plan = schedule(CAL, Deadline.days(3, 5, seed="3-5天"), opened=MON)
    assert plan.due == sh(2026, 11, 30, 10)  # Mon + 5 WD → next Mon
    assert plan.remind == sh(2026, 11, 26, 10)  # Mon + 3 WD → Thu


def test_by_the_third_of_next_month_ends_at_close_of_business() -> None:
    plan = schedule(CAL, Deadline.by_next_month(3, seed="次月3日前"), opened=MON)
    assert plan.due == sh(2026, 12, 3, 18)  # Thursday 2026-12-03
    assert plan.remind is not None and plan.remind < plan.due


def test_a_calendar_date_on_a_day_off_moves_to_the_working_day_before() -> None:
    # 2027-01-03 is a Sunday (and within New Year): "前" is never later → Thursday 12-31.
    plan = schedule(CAL, Deadline.by_next_month(3), opened=sh(2026, 12, 10, 9))
    assert CAL.local_date(plan.due) < date(2027, 1, 3)
    assert CAL.is_working_day(CAL.local_date(plan.due))
    assert plan.due.astimezone(CAL.zone).hour == 18


def test_same_day_is_the_end_of_that_working_day() -> None:
    plan = schedule(CAL, Deadline.today(), opened=MON)
    assert plan.due == sh(2026, 11, 23, 18)
    saturday = schedule(CAL, Deadline.today(), opened=sh(2026, 11, 28, 10))
    assert saturday.due == sh(2026, 11, 30, 18)  # the next working day's end


def test_date_anchored_counts_back_in_working_days() -> None:
    dl = Deadline.before_date("delivery_date", 3, 2, seed="提前2-3天")
    plan = schedule(CAL, dl, opened=MON, dates={"delivery_date": date(2026, 12, 7)})  # Monday
    assert plan.due == sh(2026, 12, 3, 18)  # two working days before: Thursday's end
    one = schedule(
        CAL,
        Deadline.before_date("delivery_date", 1),
        opened=MON,
        dates={"delivery_date": date(2026, 12, 7)},
    )
    assert one.due == sh(2026, 12, 4, 18)
    with pytest.raises(ValueError):
        schedule(CAL, dl, opened=MON, dates={})


def test_immediate_vague_and_default_kinds() -> None:
    assert schedule(CAL, Deadline.immediate(), opened=MON).due == sh(2026, 11, 23, 10, 30)
    assert schedule(CAL, Deadline.prompt(), opened=MON).due == sh(2026, 11, 24, 10)
    assert Deadline.default_work().label("en") == "1 working day* from the task's opening"
    assert Deadline.default_check().label("zh") == "4 小时* 自任务下达起"
    assert Deadline.wm(30, start=RECV).label("en") == "30 working minutes from receipt"
    assert Deadline.wh(4, start=event("gate")).describe()["kind"] == "WH"


def test_deadline_shapes_are_checked() -> None:
    with pytest.raises(ValueError):
        Deadline("WH")  # no length
    with pytest.raises(ValueError):
        Deadline("nonsense", None, same_day=True)
    with pytest.raises(ValueError):
        Deadline.days(5, 3)
