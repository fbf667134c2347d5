"""The SLA sweep as a Prefect flow: Prefect schedules it, ``escalate_due`` does the work.

The flow stays thin so the logic is tested as a plain function; Prefect adds
the schedule, the run history in its UI and retries across workers.
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.common import as_of, runtime
from gendan.escalation import escalate_due


@flow(name="sla-sweep", log_prints=False)
def sla_sweep(at: str | None = None) -> int:
    """Escalate every timer due now (or as of ``at``, ISO 8601); return how many fired.

    ``at`` lets an operator replay a sweep for a given moment; a naive ``at``
    is company local time.
    """
    rt = runtime()
    now = as_of(at, rt.settings.timezone)
    done = escalate_due(rt, now=now)
    logger = get_run_logger()
    for esc in done:
        logger.info(
            "task %s level %s order %s -> %s",
            esc.task_id, esc.level, esc.order_no, ", ".join(esc.recipients) or "(nobody)",
        )  # fmt: skip
    logger.info("sla sweep as of %s: %d escalation(s)", now.isoformat(), len(done))
    return len(done)
