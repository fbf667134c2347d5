"""Scheduled starts as a Prefect flow (issue 10 mechanism 2): start each declared schedule's
due period once (``gendan.schedules.run_due``, tested without Prefect).

``gendan serve`` serves one deployment per schedule, ``scheduled-<key>`` on the schedule's
own cron in company time (so each is visible in the Prefect UI with its next runs), and the
catch-up deployment ``gendan-scheduled-starts`` every few minutes: Prefect does not run a
cron slot that passed while nothing was serving, so the catch-up is what starts a period
missed during downtime — once, since a period is recorded with its instances. A period whose
start failed (a declaration error) is not recorded: the run ends ``Failed`` naming it and the
next run tries again.
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.common import as_of, runtime
from gendan.db import unit_of_work
from gendan.schedules import PeriodRun, run_due

#: The catch-up deployment runs this often (seconds).
CATCH_UP_INTERVAL = 300


class ScheduledStartFailed(RuntimeError):
    """Raised at the end of a run in which a period could not be started."""


def line(run: PeriodRun) -> str:
    ids = ", ".join(str(i) for i in run.instance_ids) or "-"
    return (
        f"schedule {run.schedule} ({run.procedure}) period {run.period}: {run.outcome}"
        f"  instances {ids}{'  ' + run.error if run.error else ''}"
    )


@flow(name="scheduled-starts", log_prints=False)
def scheduled_starts(at: str | None = None, schedule: str | None = None) -> dict[str, int]:
    """Start every due period (of ``schedule`` only, when given) as of now or ``at``."""
    rt = runtime()
    now = as_of(at, rt.settings.timezone)
    with unit_of_work(rt.db) as session:
        runs = run_due(session, now, rt.calendar, only=schedule)
    logger = get_run_logger()
    for run in runs:
        (logger.error if run.outcome == "failed" else logger.info)(line(run))
    counts = {k: sum(1 for r in runs if r.outcome == k)
              for k in ("started", "skipped", "gated", "existing", "taken", "failed")}  # fmt: skip
    logger.info("scheduled starts as of %s: %s", now.isoformat(), counts)
    failed = [r for r in runs if r.outcome == "failed"]
    if failed:
        raise ScheduledStartFailed("; ".join(line(r) for r in failed))
    return counts
