"""Business calendar: turns SLAs into due times using working hours and Chinese holidays.

Statutory holidays and adjusted working days (调休) come from the ``holidays``
package, loaded lazily per year; company-announced days off and working days
override them. All arithmetic is done on local wall-clock time in the
calendar's time zone; working periods are half-open (``08:00 <= t < 12:00``),
and a due time that uses up a period exactly lands on its end (e.g. 12:00).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from gendan.timespec import Sla, Unit

_MAX_DAYS_OFF = 3660  # more consecutive days off than this: the calendar has no working days
#: Spans longer than this count their whole days from a per-year table (``_working_between``).
_LONG_SPAN_DAYS = 14


def _parse_dates(text: str, what: str) -> list[date]:
    out: list[date] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            out.append(date.fromisoformat(item))
        except ValueError:
            raise ValueError(f"{what}: not an ISO date (YYYY-MM-DD): {item!r}") from None
    return out


def _parse_hours(text: str) -> list[tuple[time, time]]:
    periods: list[tuple[time, time]] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        start, sep, end = item.partition("-")
        try:
            if not sep:
                raise ValueError
            periods.append((time.fromisoformat(start.strip()), time.fromisoformat(end.strip())))
        except ValueError:
            raise ValueError(f"working_hours: expected 'HH:MM-HH:MM', got {item!r}") from None
    return periods


class BusinessCalendar:
    """Working days and hours of one factory, for computing due and reminder times."""

    def __init__(
        self,
        *,
        tz: str = "Asia/Shanghai",
        working_hours: Sequence[tuple[time, time]] = ((time(8), time(12)), (time(13), time(18))),
        weekend: frozenset[int] = frozenset({5, 6}),
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        use_statutory: bool = True,
    ) -> None:
        try:
            self.zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone: {tz!r}") from None
        periods = sorted(working_hours)
        if not periods:
            raise ValueError("working_hours: at least one working period is needed")
        for start, end in periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("working_hours: use naive local times")
            if not start < end:
                raise ValueError(f"working_hours: period {start:%H:%M}-{end:%H:%M} is empty")
        for (_, end), (start, _) in zip(periods, periods[1:], strict=False):
            if start < end:
                raise ValueError("working_hours: periods overlap")
        self.working_hours: tuple[tuple[time, time], ...] = tuple(periods)
        if not all(0 <= d <= 6 for d in weekend):
            raise ValueError("weekend: weekdays are 0 (Monday) to 6 (Sunday)")
        self.weekend = frozenset(weekend)
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_workdays = frozenset(extra_workdays)
        if both := self.extra_holidays & self.extra_workdays:
            raise ValueError(f"dates both holiday and workday: {sorted(both)}")
        self.use_statutory = use_statutory
        self._loaded_years: set[int] = set()
        self._statutory_holidays: set[date] = set()
        self._adjusted_workdays: set[date] = set()
        self._prefixes: dict[int, list[int]] = {}
        self._whole_day = self._day_length()

    @classmethod
    def from_spec(
        cls,
        *,
        tz: str = "Asia/Shanghai",
        working_hours: str = "08:00-12:00,13:00-18:00",
        holidays: str = "",
        workdays: str = "",
        use_statutory: bool = True,
    ) -> BusinessCalendar:
        """Build from settings strings; dates are comma-separated ISO dates."""
        return cls(
            tz=tz,
            working_hours=_parse_hours(working_hours),
            extra_holidays=_parse_dates(holidays, "holidays"),
            extra_workdays=_parse_dates(workdays, "workdays"),
            use_statutory=use_statutory,
        )

    # -- days ---------------------------------------------------------------

    def _load_year(self, year: int) -> None:
        if year in self._loaded_years:
            return
        try:
            cn = holidays.China(years=year)
            days_off = set(cn.keys())
            adjusted = set(getattr(cn, "weekend_workdays", None) or ())
        except Exception:  # a year the package cannot handle simply has no statutory days
            days_off, adjusted = set(), set()
        self._statutory_holidays |= days_off
        self._adjusted_workdays |= adjusted
        self._loaded_years.add(year)

    def is_working_day(self, d: date) -> bool:
        if d in self.extra_holidays:
            return False
        if d in self.extra_workdays:
            return True
        if self.use_statutory:
            # An adjusted working day may be listed under the following year's holiday.
            self._load_year(d.year)
            if d.year < 9999:
                self._load_year(d.year + 1)
            if d in self._statutory_holidays:
                return False
            if d in self._adjusted_workdays:
                return True
        return d.weekday() not in self.weekend

    def _working_days_from(self, d: date) -> Iterator[date]:
        """Working days from ``d`` (inclusive) onwards."""
        days_off = 0
        while True:
            if self.is_working_day(d):
                days_off = 0
                yield d
            else:
                days_off += 1
                if days_off > _MAX_DAYS_OFF:
                    raise ValueError("the business calendar has no working days ahead")
            d += timedelta(days=1)

    def _periods_from(self, t: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working periods (local, naive) that end after ``t``, in order."""
        for d in self._working_days_from(t.date()):
            for start, end in self.working_hours:
                period_end = datetime.combine(d, end)
                if period_end > t:
                    yield datetime.combine(d, start), period_end

    # -- time zones ---------------------------------------------------------

    def _to_local(self, t: datetime) -> datetime:
        if t.tzinfo is None:
            return t
        return t.astimezone(self.zone).replace(tzinfo=None)

    def _from_local(self, local: datetime, like: datetime) -> datetime:
        if like.tzinfo is None:
            return local
        return local.replace(tzinfo=self.zone).astimezone(like.tzinfo)

    # -- arithmetic ---------------------------------------------------------

    def _next_instant(self, local: datetime) -> datetime:
        start, _ = next(self._periods_from(local))
        return max(start, local)

    def _add_working(self, local: datetime, amount: timedelta) -> datetime:
        remaining = amount
        for start, end in self._periods_from(local):
            begin = max(start, local)
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        raise AssertionError("unreachable")  # pragma: no cover

    def _working_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from ``a`` to ``b`` (local, naive, ``a <= b``).

        Choice: over a long span the whole days in between are counted from a per-year table
        of working days (``_working_days_in``), the first and the last day walked as before,
        because the inbox shows the time left of tasks overdue for months, and walking each
        day cost ~3 ms per task (issue 11). The result is the same to the microsecond.
        """
        first, last = a.date(), b.date()
        if (last - first).days <= _LONG_SPAN_DAYS:
            return self._working_between_days(a, b)
        one_day = timedelta(days=1)
        whole_days = self._working_days_in(first + one_day, last - one_day)
        return (
            self._working_between_days(a, datetime.combine(first + one_day, time.min))
            + whole_days * self._whole_day
            + self._working_between_days(datetime.combine(last, time.min), b)
        )

    def _day_length(self) -> timedelta:
        """The working time of one whole working day."""
        day = date(2000, 1, 3)
        spans = (datetime.combine(day, end) - datetime.combine(day, start)
                 for start, end in self.working_hours)  # fmt: skip
        return sum(spans, timedelta())

    def _working_days_in(self, d1: date, d2: date) -> int:
        """How many working days lie from ``d1`` to ``d2`` (inclusive)."""
        count = 0
        while d1 <= d2:
            hi = min(d2, date(d1.year, 12, 31))
            prefix = self._year_prefix(d1.year)
            count += prefix[hi.timetuple().tm_yday] - prefix[d1.timetuple().tm_yday - 1]
            if hi == date.max:
                break
            d1 = hi + timedelta(days=1)
        return count

    def _year_prefix(self, year: int) -> list[int]:
        """Working days among the first n days of ``year``, for n = 0 … 366 (cached)."""
        cached = self._prefixes.get(year)
        if cached is None:
            cached, d, n = [0], date(year, 1, 1), 0
            while d.year == year:
                n += self.is_working_day(d)
                cached.append(n)
                if d == date.max:
                    break
                d += timedelta(days=1)
            self._prefixes[year] = cached
        return cached

    def _working_between_days(self, a: datetime, b: datetime) -> timedelta:
        """``_working_between`` walking each working day from ``a`` to ``b``."""
        total = timedelta()
        last_day = b.date()
        for d in self._working_days_from(a.date()):
            if d > last_day:
                break
            for start, end in self.working_hours:
                lo = max(datetime.combine(d, start), a)
                hi = min(datetime.combine(d, end), b)
                if hi > lo:
                    total += hi - lo
        return total

    def _due(self, local: datetime, sla: Sla) -> datetime:
        """Due time for an already normalized local start."""
        if sla.unit is Unit.WORKING_DAYS:
            days = self._working_days_from(local.date() + timedelta(days=1))
            for _ in range(sla.amount - 1):
                next(days)
            return datetime.combine(next(days), local.time())
        minutes = sla.amount * (60 if sla.unit is Unit.HOURS else 1)
        return self._add_working(local, timedelta(minutes=minutes))

    def next_working_instant(self, t: datetime) -> datetime:
        """``t`` itself if inside working hours, else the start of the next working period."""
        return self._from_local(self._next_instant(self._to_local(t)), t)

    def add(self, start: datetime, sla: Sla) -> datetime:
        """The due time of an SLA that starts at ``start``."""
        return self._from_local(self._due(self._next_instant(self._to_local(start)), sla), start)

    def add_fraction(self, start: datetime, sla: Sla, fraction: float) -> datetime:
        """The instant when ``fraction`` (0..1) of the SLA's working time has passed."""
        if not 0 <= fraction <= 1:
            raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
        begin = self._next_instant(self._to_local(start))
        due = self._due(begin, sla)
        if fraction == 1:
            return self._from_local(due, start)
        part = self._working_between(begin, due) * fraction
        return self._from_local(self._add_working(begin, part), start)

    def working_minutes_between(self, a: datetime, b: datetime) -> int:
        """Whole working minutes from ``a`` to ``b``; negative if ``b`` is before ``a``."""
        la, lb = self._to_local(a), self._to_local(b)
        if lb < la:
            return -self.working_minutes_between(b, a)
        return int(self._working_between(la, lb).total_seconds() // 60)

    # -- day boundaries (calendar-date, same-day and date-anchored deadlines) ----------

    def day_start(self, d: date, like: datetime) -> datetime:
        """Start of the first working period of ``d`` (in ``like``'s time zone)."""
        return self._from_local(datetime.combine(d, self.working_hours[0][0]), like)

    def day_end(self, d: date, like: datetime) -> datetime:
        """End of the last working period of ``d`` (in ``like``'s time zone)."""
        return self._from_local(datetime.combine(d, self.working_hours[-1][1]), like)

    def local_date(self, t: datetime) -> date:
        return self._to_local(t).date()

    def working_day_on_or_before(self, d: date) -> date:
        """``d`` if it is a working day, else the working day before ("前" is never later)."""
        for _ in range(_MAX_DAYS_OFF):
            if self.is_working_day(d):
                return d
            d -= timedelta(days=1)
        raise ValueError("the business calendar has no working days before this date")

    def working_day_on_or_after(self, d: date) -> date:
        return next(self._working_days_from(d))

    def working_days_before(self, d: date, n: int) -> date:
        """The working day ``n`` working days before ``d`` (``n == 0``: ``d`` or the day before)."""
        day = self.working_day_on_or_before(d)
        if day != d and n > 0:
            n -= 1  # d itself was a day off: the working day before already counts as one
        for _ in range(n):
            day = self.working_day_on_or_before(day - timedelta(days=1))
        return day

    def add_working(self, start: datetime, amount: timedelta) -> datetime:
        """``start`` plus ``amount`` of working time (timers after a pause, next levels)."""
        local = self._next_instant(self._to_local(start))
        return self._from_local(self._add_working(local, amount), start)

    def working_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from ``a`` to ``b`` (zero if ``b`` is not after ``a``)."""
        la, lb = self._to_local(a), self._to_local(b)
        return self._working_between(la, lb) if lb > la else timedelta()
