"""sms_allowed_at: SMS only 08:00-22:00 local time unless the procedure is urgent."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from notifications.quiet_hours import sms_allowed_at

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize("now", [at(23, 8), at(23, 12, 30), at(23, 21, 59)])
def test_inside_window_sends_now(now: datetime) -> None:
    assert sms_allowed_at(now, urgent=False) == now


def test_before_window_waits_until_eight_same_day() -> None:
    assert sms_allowed_at(at(23, 6, 45), urgent=False) == at(23, 8)


@pytest.mark.parametrize("now", [at(23, 22), at(23, 23, 59)])
def test_after_window_waits_until_eight_next_day(now: datetime) -> None:
    assert sms_allowed_at(now, urgent=False) == at(24, 8)


def test_after_window_on_month_end_rolls_into_next_month() -> None:
    now = datetime(2026, 11, 30, 22, 30, tzinfo=SHANGHAI)

    assert sms_allowed_at(now, urgent=False) == datetime(2026, 12, 1, 8, tzinfo=SHANGHAI)


@pytest.mark.parametrize("now", [at(23, 3), at(23, 22, 30), at(23, 12)])
def test_urgent_sends_now(now: datetime) -> None:
    assert sms_allowed_at(now, urgent=True) == now


def test_result_keeps_timezone_and_naive_stays_naive() -> None:
    assert sms_allowed_at(at(23, 5), urgent=False).tzinfo is SHANGHAI
    naive = datetime(2026, 11, 23, 5, 0)
    assert sms_allowed_at(naive, urgent=False) == datetime(2026, 11, 23, 8, 0)


def test_custom_window() -> None:
    window = (time(9, 30), time(18))

    assert sms_allowed_at(at(23, 9, 0), urgent=False, window=window) == at(23, 9, 30)
    assert sms_allowed_at(at(23, 17, 59), urgent=False, window=window) == at(23, 17, 59)
    assert sms_allowed_at(at(23, 18), urgent=False, window=window) == at(24, 9, 30)


def test_window_across_midnight() -> None:
    night = (time(22), time(6))

    assert sms_allowed_at(at(23, 23), urgent=False, window=night) == at(23, 23)
    assert sms_allowed_at(at(23, 5), urgent=False, window=night) == at(23, 5)
    assert sms_allowed_at(at(23, 12), urgent=False, window=night) == at(23, 22)


def test_empty_window_is_rejected() -> None:
    with pytest.raises(ValueError):
        sms_allowed_at(at(23, 12), urgent=False, window=(time(8), time(8)))
