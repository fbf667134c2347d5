"""The outbox delivery as a Prefect flow: Prefect schedules it, ``deliver_pending`` works.

Kept thin for the same reason as the sweep: the claim/send/record logic lives
in ``flows.delivery`` and is tested there without Prefect.
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.common import as_of, runtime
from flows.delivery import deliver_pending


@flow(name="deliver-notifications", log_prints=False)
def deliver_notifications(at: str | None = None) -> dict[str, int]:
    """Send every notification due now (or as of ``at``); return the counts."""
    rt = runtime()
    now = as_of(at, rt.settings.timezone)
    report = deliver_pending(rt, now=now)
    get_run_logger().info(
        "delivery as of %s: %d sent, %d failed, %d postponed",
        now.isoformat(), report.sent, report.failed, report.postponed,
    )  # fmt: skip
    return {"sent": report.sent, "failed": report.failed, "postponed": report.postponed}
