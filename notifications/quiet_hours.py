"""When an SMS may go out: department heads are reachable 08:00-22:00 local time.

Seed rule: outside that window an SMS waits for the next window start, unless
the procedure is urgent. E-mail is not restricted. Pure function, no I/O.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

__all__ = ["sms_allowed_at"]


def sms_allowed_at(
    local_now: datetime,
    *,
    urgent: bool,
    window: tuple[time, time] = (time(8), time(22)),
) -> datetime:
    """Return ``local_now`` if an SMS may go now, else the next window start.

    The window is half-open, ``[start, end)``: with the default, 07:59 and
    22:00 are outside, 08:00 and 21:59 inside. A window may cross midnight
    (``(time(22), time(6))``). ``local_now`` may be naive or aware; the result
    keeps its tzinfo. Window times are wall-clock times (their tzinfo is
    ignored).
    """
    if urgent:
        return local_now
    start, end = (t.replace(tzinfo=None) for t in window)
    if start == end:
        raise ValueError("SMS window start and end must differ")
    now = local_now.time().replace(tzinfo=None)
    inside = start <= now < end if start < end else (now >= start or now < end)
    if inside:
        return local_now
    day = local_now.date()
    if now >= start:  # only possible after the window's end on a same-day window
        day += timedelta(days=1)
    return datetime.combine(day, start, tzinfo=local_now.tzinfo)
