"""gendan's scheduled deployments, and serving them from one process (the one-machine default).

``gendan serve`` registers ``deployments()`` with its local Prefect server and runs their
scheduled runs inside one long-lived process (``flows.host``, ``flows.in_process``).
``serve_flows`` is Prefect's own ``serve()`` of the same deployments (a fresh interpreter
per run; it blocks and needs the main thread). Scale-out uses ``prefect.yaml`` and
workers instead; all name the deployments the same.
"""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

from flows.audit_verify import audit_seal, audit_verify
from flows.automatic_steps import automatic_steps
from flows.deliver_notifications import deliver_notifications
from flows.production_plan import DIGEST_CRON, plan_digest
from flows.scheduled_starts import CATCH_UP_INTERVAL, scheduled_starts
from flows.sla_sweep import sla_sweep
from gendan.schedules import declared
from gendan.settings import get_settings

SWEEP_DEPLOYMENT = "gendan-sla-sweep"
DELIVERY_DEPLOYMENT = "gendan-deliver-notifications"
AUDIT_DEPLOYMENT = "gendan-audit-verify"
SEAL_DEPLOYMENT = "gendan-audit-seal"
JOBS_DEPLOYMENT = "gendan-automatic-steps"
PLAN_DIGEST_DEPLOYMENT = "gendan-plan-digest"
SCHEDULED_STARTS_DEPLOYMENT = "gendan-scheduled-starts"
#: Automatic steps (gendan.jobs) are picked up this often (seconds).
JOBS_INTERVAL = 30
#: The full re-hash of the audit chain runs hourly (tens of seconds for a million events).
AUDIT_INTERVAL = 3600


#: Every flow the deployments below run, by flow name (``flows.in_process`` runs them).
FLOWS = {
    f.name: f
    for f in (sla_sweep, deliver_notifications, audit_verify, audit_seal, automatic_steps,
              plan_digest, scheduled_starts)
}  # fmt: skip


def serve_flows(sweep_interval: int = 60, delivery_interval: int = 30) -> None:
    """Run the SLA sweep and the outbox delivery on their intervals (seconds) until stopped.

    Prefect's ``serve()``: a fresh interpreter per flow run. ``gendan serve`` runs the same
    deployments in one long-lived process instead (``flows.host``).
    """
    serve(*deployments(sweep_interval, delivery_interval), print_starting_message=False)


def deployments(sweep_interval: int = 60, delivery_interval: int = 30) -> list:
    """gendan's scheduled deployments: the same names and schedules as in ``prefect.yaml``."""
    return [
        sla_sweep.to_deployment(name=SWEEP_DEPLOYMENT, interval=sweep_interval),
        deliver_notifications.to_deployment(name=DELIVERY_DEPLOYMENT, interval=delivery_interval),
        audit_verify.to_deployment(name=AUDIT_DEPLOYMENT, interval=AUDIT_INTERVAL),
        audit_seal.to_deployment(name=SEAL_DEPLOYMENT, interval=get_settings().seal_interval),
        automatic_steps.to_deployment(name=JOBS_DEPLOYMENT, interval=JOBS_INTERVAL),
        plan_digest.to_deployment(
            name=PLAN_DIGEST_DEPLOYMENT,
            schedule=Cron(DIGEST_CRON, timezone=get_settings().timezone),
        ),
        *scheduled_start_deployments(),
    ]


def scheduled_start_deployments() -> list:
    """The catch-up run every few minutes, and one deployment per declared schedule on its
    own cron in company time (``scheduled-<key>``: its next runs show in the Prefect UI)."""
    tz = get_settings().timezone
    out = [scheduled_starts.to_deployment(name=SCHEDULED_STARTS_DEPLOYMENT,
                                          interval=CATCH_UP_INTERVAL)]  # fmt: skip
    for item in declared():
        out.append(
            scheduled_starts.to_deployment(
                name=f"scheduled-{item.spec.key}",
                schedule=Cron(item.spec.cron, timezone=tz),
                parameters={"schedule": item.spec.key},
                description=f"{item.spec.title_zh} / {item.spec.title_en} ({item.procedure})",
            )
        )
    return out
