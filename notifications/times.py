"""Company time for people: one formatter for pages, printouts, e-mails/SMS and exports.

The database and the audit trail keep UTC; whatever a person reads shows the company's wall
clock (``Settings.timezone``, Asia/Shanghai by default): 12:09 UTC is printed as 20:09. A leaf
like the rest of ``notifications``: it imports nothing of ours, so the engine, the pages, the
flows and the message texts can all use it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["MINUTES", "SECONDS", "instant", "local", "zone_of"]

#: How people read a time: to the minute (pages, messages, printouts) ...
MINUTES = "%Y-%m-%d %H:%M"
#: ... or to the second (the audit trail and its exports).
SECONDS = "%Y-%m-%d %H:%M:%S"


def zone_of(tz: str | ZoneInfo) -> ZoneInfo:
    """A time zone from its name or itself."""
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(str(tz))


def instant(value: Any, tz: str | ZoneInfo, *, naive_is_local: bool = False) -> datetime | None:
    """``value`` (a datetime or ISO text) as an aware instant in ``tz``; None when empty or not
    a time. A naive value is UTC — how gendan stores instants — unless ``naive_is_local`` (a
    time a person typed into a form, which is already company time)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    zone = zone_of(tz)
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=zone if naive_is_local else UTC)
    return value.astimezone(zone)


def local(
    value: Any,
    tz: str | ZoneInfo,
    fmt: str = MINUTES,
    *,
    empty: str = "—",
    naive_is_local: bool = False,
) -> str:
    """``value`` as company wall-clock text, e.g. ``local("2026-11-23T12:09:00+00:00",
    "Asia/Shanghai")`` → ``"2026-11-23 20:09"``. ``empty`` for no value; text that is not a
    time comes back unchanged (a stored value is never hidden)."""
    at = instant(value, tz, naive_is_local=naive_is_local)
    if at is None:
        return empty if value is None or value == "" else str(value)
    return at.strftime(fmt)
