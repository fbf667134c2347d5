"""What every flow and the CLI share: the per-process runtime and the "as of" instant.

Prefect-free on purpose: the CLI's ``sweep`` and ``deliver`` commands use these
without paying for ``import prefect``.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from gendan.db import utcnow
from gendan.runtime import Runtime, build_runtime
from gendan.settings import get_settings

_runtimes: dict[str, Runtime] = {}
_lock = threading.Lock()


def runtime() -> Runtime:
    """The runtime for the configured database, built once per process and database URL.

    Flow runs repeat every minute; building the engine and reading the calendar
    each time would churn connections. Keyed by URL so a test (or an operator)
    that points the settings elsewhere gets a runtime for that database.
    """
    settings = get_settings()
    with _lock:
        rt = _runtimes.get(settings.database_url)
        if rt is None:
            rt = _runtimes[settings.database_url] = build_runtime(settings)
        return rt


def as_of(at: str | None, timezone: str) -> datetime:
    """The instant a sweep or delivery acts "as of": now, or ``at`` (ISO 8601).

    A naive ``at`` is wall-clock time in the company's time zone, because
    that is how people in the factory name a moment ("2026-11-24 09:00");
    an ``at`` with an offset is taken as given. Returns aware UTC.
    """
    if not at:
        return utcnow()
    try:
        instant = datetime.fromisoformat(at.strip())
    except ValueError as exc:
        raise ValueError(f"not an ISO-8601 date/time: {at!r}") from exc
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=ZoneInfo(timezone))
    return instant.astimezone(UTC)
