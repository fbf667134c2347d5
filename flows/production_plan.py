"""§3's scheduled step as a Prefect flow: the daily digest of open and late plan lines.

The work is ``gendan.plan_digest.plan_digest`` (tested without Prefect); the flow adds the
daily schedule (17:00 company time, before the working day ends) and the run history. The
date-anchored §3 tasks (follow-up, pre-start, packing, dispatch, payment) need no flow of
their own: the SLA sweep opens them on their day (``gendan.dated_tasks``).
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.common import as_of, runtime
from gendan.plan_digest import plan_digest as queue_digest

#: Cron of the digest in company time: 17:00, before the working day ends.
DIGEST_CRON = "0 17 * * *"


@flow(name="plan-digest", log_prints=False)
def plan_digest(at: str | None = None) -> int:
    """Queue today's plan digest for the production, engineering, purchasing and quality heads
    (once a day however often it runs); return the number of open lines."""
    rt = runtime()
    now = as_of(at, rt.settings.timezone)
    lines = queue_digest(rt, now=now)
    get_run_logger().info("plan digest as of %s: %d open line(s)", now.isoformat(), lines)
    return lines
