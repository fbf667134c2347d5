"""Run the served deployments' scheduled flow runs inside this long-lived process.

Prefect 3.8.8's ``serve()`` (its Runner) starts every flow run in a fresh interpreter
(``python -m prefect.engine``) that imports Prefect and gendan again: 240-960 MB per run.
Here the scheduled runs the Prefect server creates for the very same deployments are
picked up and executed by Prefect's own engine (``run_flow``) in a thread of this process:
each is still a flow run of its deployment, with its states, logs and task runs in the UI,
and its schedule still lives in the Prefect server.

Choice: a small poller of our own instead of a Runner subclass, because the Runner's
starters are private API that changes between Prefect releases; this uses only the
client, ``propose_state_sync`` and ``run_flow``, as Prefect's own workers do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import Abort, ObjectNotFound
from prefect.flow_engine import run_flow
from prefect.states import Pending
from prefect.utilities.engine import propose_state_sync

log = logging.getLogger("gendan.flows")

#: How often the server is asked for due runs (seconds); Prefect's Runner default is 10.
POLL_SECONDS = 5.0
#: Seconds a stop may spend pausing the schedules.
PAUSE_BUDGET = 6.0
#: Flow runs executing at the same time (threads); more wait, scheduled, for a free slot.
RUN_LIMIT = 4


class InProcessRunner:
    """Register deployments, then run their due scheduled runs in threads of this process."""

    def __init__(
        self,
        flows: Mapping[str, Flow[..., Any]],
        deployments: Sequence[RunnerDeployment],
        *,
        limit: int = RUN_LIMIT,
    ) -> None:
        self.flows = dict(flows)  # flow name -> the flow object the runs execute
        self.deployments = list(deployments)
        self.flow_of: dict[UUID, Flow[..., Any]] = {}  # deployment id -> flow
        self.running: dict[UUID, threading.Thread] = {}  # flow run id -> its thread
        self.slots = threading.BoundedSemaphore(limit)

    def register(self) -> None:
        """Create or update every deployment (and its schedule) in the Prefect API."""
        for deployment in self.deployments:
            flow = self.flows[str(deployment.flow_name)]
            self.flow_of[deployment.apply()] = flow

    def poll_once(self, now: datetime | None = None) -> list[UUID]:
        """Start every run scheduled up to ``now`` that a slot is free for; their ids."""
        now = now or datetime.now(UTC)
        with get_client(sync_client=True) as client:
            runs = client.get_scheduled_flow_runs_for_deployments(
                deployment_ids=list(self.flow_of), scheduled_before=now + timedelta(seconds=1)
            )
            started = []
            for run in sorted(runs, key=lambda r: r.next_scheduled_start_time or now):
                if run.id in self.running or run.deployment_id not in self.flow_of:
                    continue
                if not self.slots.acquire(blocking=False):
                    break  # sorted: the rest wait for the next poll
                if not _claim(client, run):
                    self.slots.release()
                    continue
                self._start(run, self.flow_of[run.deployment_id])
                started.append(run.id)
        return started

    def run(self, stop: threading.Event, poll_seconds: float = POLL_SECONDS) -> None:
        """Poll until ``stop`` is set; a failed poll (server restarting) is logged and retried."""
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - keep serving; the next poll may succeed
                log.exception("polling the Prefect server for scheduled flow runs failed")
            stop.wait(poll_seconds)

    def wait(self, timeout: float) -> None:
        """Give the runs in progress up to ``timeout`` seconds to finish."""
        for thread in list(self.running.values()):
            thread.join(timeout)

    def pause(self, budget: float = PAUSE_BUDGET) -> None:
        """Pause the schedules (as ``serve()`` does on shutdown), so no late runs pile up
        while gendan is stopped; two at a time, for at most ``budget`` seconds, because the
        parent waits 15 s in all and a loaded SQLite Prefect server takes ~0.5 s each."""

        def pause_one(deployment_id: UUID) -> None:
            try:
                with get_client(sync_client=True) as client:
                    client.pause_deployment(deployment_id)
            except Exception:  # noqa: BLE001 - shutting down; the server may be gone
                log.warning("could not pause deployment %s", deployment_id)

        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pause")
        futures = [pool.submit(pause_one, d) for d in self.flow_of]
        _, late = wait(futures, timeout=budget)
        pool.shutdown(wait=False, cancel_futures=True)
        if late:
            log.warning("%d deployment(s) left unpaused (stopping)", len(late))

    def _start(self, run: FlowRun, flow: Flow[..., Any]) -> None:
        thread = threading.Thread(
            target=self._execute, args=(run, flow), name=f"flow-run-{run.name}", daemon=True
        )
        self.running[run.id] = thread
        thread.start()

    def _execute(self, run: FlowRun, flow: Flow[..., Any]) -> None:
        """The run's states, logs and result go to the API as in a worker's subprocess."""
        try:
            run_flow(flow, flow_run=run, return_type="state")
        except BaseException:  # noqa: BLE001 - a run's failure must not end the process
            log.exception("flow run %s (%s) crashed", run.name, flow.name)
        finally:
            self.running.pop(run.id, None)
            self.slots.release()


def _claim(client: Any, run: FlowRun) -> bool:
    """Scheduled -> Pending, as Prefect's runner does: False if another runner took it."""
    try:
        state = propose_state_sync(client, Pending(), flow_run_id=run.id)
    except (Abort, ObjectNotFound):
        return False
    return state.is_pending()
