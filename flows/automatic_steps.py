"""Automatic steps as a Prefect flow: claim each due job, run it, fire its outcome once.

The work is ``gendan.jobs.run_due`` (tested without Prefect); each attempt is logged here, so
Prefect's run history shows what ran. A run in which any step failed ends ``Failed`` after
doing all the others, naming the failures ("automatic step failed 3 times: …"), so a broken
step is visible in the Prefect UI and not only on the instance page.
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.common import as_of, runtime
from gendan.jobs import JobRun, run_due


class AutomaticStepFailed(RuntimeError):
    """Raised at the end of a run in which a step failed (the others were done)."""


def failure_line(run: JobRun) -> str:
    if run.outcome == "incident":
        what = f"failed {run.attempt} times, incident task opened"
    else:
        what = f"failed (attempt {run.attempt}), will retry"
    return (
        f"automatic step {run.job} (job {run.job_id}, instance {run.instance_id}) {what}: "
        f"{run.error}"
    )


@flow(name="automatic-steps", log_prints=False)
def automatic_steps(at: str | None = None) -> dict[str, int]:
    """Run every automatic step due now (or as of ``at``, ISO 8601); return the counts."""
    rt = runtime()
    now = as_of(at, rt.settings.timezone)
    runs = run_due(rt, now=now)
    logger = get_run_logger()
    failures = [r for r in runs if r.outcome in ("retry", "incident")]
    for run in runs:
        if run in failures:
            logger.error(failure_line(run))
        else:
            logger.info("automatic step %s (job %s): %s %s", run.job, run.job_id, run.outcome,
                        run.event or "")  # fmt: skip
    counts = {
        outcome: sum(1 for r in runs if r.outcome == outcome)
        for outcome in ("done", "retry", "incident", "lost")
    }
    logger.info("automatic steps as of %s: %s", now.isoformat(), counts)
    if failures:
        raise AutomaticStepFailed("; ".join(failure_line(r) for r in failures))
    return counts
