"""Automatic steps (``states.base.Automatic``): job rows, their runner, retries and incidents.

Entering an automatic state writes a ``Job`` row in the move's transaction (``queue``). The
``automatic-steps`` flow (or ``gendan jobs run``) calls :func:`run_due`, which for each due job:

1. **claims** it in its own short transaction: ``pending`` (or ``running`` with an expired
   lease: its runner died) → ``running``, ``attempts + 1``, a lease of ``LEASE`` on the run's
   clock (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; a conditional UPDATE everywhere, so two
   runners never both hold it);
2. **runs** the registered function outside any write transaction, on a read-only session:
   ``@job("name") def f(session, inst, now) -> (event, data)``;
3. **fires** the event through the transition service as the system actor in ONE transaction
   with ``running → done``, only if the job is still running under this attempt (the fence):
   a runner that lost its lease, or a re-run after a crash, finds the job done or void and
   fires nothing. So each job's outcome fires exactly once;
4. on failure records it (``job_failed``, the instance page shows "automatic step failed N
   times: …") and retries after ``BACKOFF``; after the declared number of attempts the job is
   an ``incident`` and the process owner gets a task on the instance to do the step by hand
   (it may fire the step's outcomes).

Choice: a crashed attempt (lease expired) counts as an attempt, because a job that kills its
runner every time must still end as an incident rather than loop for ever.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from gendan import audit, versioning
from gendan.batches import write_batch
from gendan.db import reader
from gendan.deadlines import schedule
from gendan.models import Instance, Job, Task, Timer
from gendan.org import department_id
from gendan.runtime import Runtime
from gendan.task_notices import notify_new_task
from gendan.timespec import Deadline
from states import get_procedure
from states.base import DEFAULT_CHAIN, Automatic, Procedure

JobFn = Callable[[Session, Instance, datetime], tuple[str, dict[str, Any]]]
REGISTRY: dict[str, JobFn] = {}
#: How long a claim protects a running job; after it a crashed runner's job is retaken.
LEASE = timedelta(minutes=10)
#: Wait before the next attempt after the 1st, 2nd, ... failure; the last value repeats.
BACKOFF = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60))
#: The incident task's deadline (Choice: the default for work of a person, 1 WD*).
INCIDENT_DEADLINE = Deadline.wd(1, assumed=True)
OPEN_STATUSES = ("pending", "running")
#: Package whose modules define the procedures' job functions (imported on first run).
JOB_PACKAGE = "gendan.automatic"
Clock = Callable[[], datetime]


def job(name: str) -> Callable[[JobFn], JobFn]:
    """Register ``f(session, inst, now) -> (event, data)`` as the automatic step ``name``."""

    def register(fn: JobFn) -> JobFn:
        REGISTRY[name] = fn
        return fn

    return register


def load_job_functions() -> None:
    """Import every module of ``gendan.automatic`` (where procedures' job functions live)."""
    try:
        package = importlib.import_module(JOB_PACKAGE)
    except ModuleNotFoundError:
        return
    for info in pkgutil.iter_modules(getattr(package, "__path__", [])):
        importlib.import_module(f"{JOB_PACKAGE}.{info.name}")


def backoff_after(attempts: int) -> timedelta:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def queue(session: Session, *, inst: Instance, automatic: Automatic, now: datetime) -> Job:
    """The state is done by a flow: its job row, in the move's transaction."""
    assert inst.id is not None
    row = Job(
        instance_id=inst.id,
        state=inst.state,
        round=versioning.entry_round(session, inst),  # the version the move began from
        job=automatic.job,
        max_attempts=automatic.attempts,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


@functools.cache
def automates(procedure: type[Procedure]) -> bool:
    """Whether any state of the procedure is done by a flow (an automatic step)."""
    waits = (procedure.wait_for(s.id) for s in procedure.states)
    return any(w is not None and w.automatic is not None for w in waits)


def void_open(
    session: Session,
    *,
    instance_id: int | None,
    now: datetime,
    procedure: type[Procedure] | None = None,
) -> None:
    """The instance left the state (a person decided, it was stopped): its job is void.

    ``procedure``: the instance's; one without automatic steps has no jobs (``queue`` is
    their only writer), so there is nothing to void and no UPDATE is sent.
    """
    if instance_id is None or (procedure is not None and not automates(procedure)):
        return
    session.execute(
        update(Job)
        .where(Job.instance_id == instance_id, Job.status.in_(OPEN_STATUSES))
        .values(status="void", done_at=now, lease_until=None)
    )


@dataclass(frozen=True)
class JobRun:
    """One attempt: done (its event fired), retry, incident, or lost (fenced off / void)."""

    job_id: int
    job: str
    instance_id: int
    attempt: int
    outcome: str
    event: str | None = None
    error: str | None = None


def run_due(
    rt: Runtime,
    *,
    now: datetime,
    clock: Clock | None = None,
    limit: int | None = None,
) -> list[JobRun]:
    """Run every job due at ``now`` once; safe to run twice, concurrently, late or after a
    crash. ``clock`` starts each claim's lease (default ``now`` + real time elapsed)."""
    load_job_functions()
    started = time.monotonic()
    tick: Clock = clock or (lambda: now + timedelta(seconds=time.monotonic() - started))
    runs: list[JobRun] = []
    while limit is None or len(runs) < limit:
        claimed = claim_next(rt, now=now, lease_from=tick())
        if claimed is None:
            return runs
        runs.append(_execute(rt, claimed, now=now))
    return runs


@dataclass(frozen=True)
class Claim:
    job_id: int
    attempt: int
    #: The lease had expired under a dead runner and no attempt is left: straight to incident.
    exhausted: bool = False


def claim_next(rt: Runtime, *, now: datetime, lease_from: datetime) -> Claim | None:
    """Take the oldest due job (pending, or running with its lease expired), committed."""

    def work(session: Session) -> Claim | None | bool:
        row = session.exec(
            select(Job)
            .where(Job.status.in_(OPEN_STATUSES), Job.next_attempt_at <= now)
            .order_by(Job.next_attempt_at, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        assert row.id is not None
        if row.status == "running" and row.attempts >= row.max_attempts:
            return Claim(row.id, row.attempts, exhausted=True)  # its runner died on the last try
        lease = lease_from + LEASE
        job_id, status, attempts = row.id, row.status, row.attempts  # before the UPDATE syncs
        took = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == status, Job.attempts == attempts)
            .values(
                status="running", attempts=attempts + 1, lease_until=lease, next_attempt_at=lease
            )  # fmt: skip
        )
        return Claim(job_id, attempts + 1) if took.rowcount == 1 else False

    while True:
        got = write_batch(rt.db, work, pause=False)
        if got is not False:  # False: another runner took it between our read and update
            return got  # type: ignore[return-value]


def _execute(rt: Runtime, claim: Claim, *, now: datetime) -> JobRun:
    with Session(reader(rt.db)) as session:
        row = session.get(Job, claim.job_id)
        assert row is not None
        name, instance_id = row.job, row.instance_id
        if claim.exhausted:
            error = f"runner lost during attempt {claim.attempt} (lease expired)"
            event, data = None, {}
        else:
            inst = session.get(Instance, instance_id)
            assert inst is not None
            event, data, error = _call(session, name, inst, now)
    if error is None and event is not None:
        try:
            fired = write_batch(rt.db, lambda s: _finish(s, claim, event, data, rt, now))
        except Exception as exc:  # noqa: BLE001 - a rejected outcome is a failed attempt
            error = f"{type(exc).__name__}: {exc}"
        else:
            return JobRun(
                claim.job_id,
                name,
                instance_id,
                claim.attempt,
                "done" if fired else "lost",
                event=event if fired else None,
            )
    assert error is not None
    outcome = write_batch(rt.db, lambda s: _failed(s, claim, error, rt, now))
    return JobRun(claim.job_id, name, instance_id, claim.attempt, outcome, error=error)


def _call(
    session: Session, name: str, inst: Instance, now: datetime
) -> tuple[str | None, dict[str, Any], str | None]:
    fn = REGISTRY.get(name)
    if fn is None:
        return None, {}, f"no job function registered as {name!r}"
    try:
        event, data = fn(session, inst, now)
    except Exception as exc:  # noqa: BLE001 - any failure of the step is recorded and retried
        return None, {}, f"{type(exc).__name__}: {exc}"
    return event, dict(data or {}), None


def _held(session: Session, claim: Claim) -> Job | None:
    """The job row, locked, if this claim still holds it (the fence)."""
    row = session.exec(select(Job).where(Job.id == claim.job_id).with_for_update()).one()
    if row.status != "running" or row.attempts != claim.attempt:
        return None
    return row


def _finish(
    session: Session, claim: Claim, event: str, data: dict[str, Any], rt: Runtime, now: datetime
) -> bool:
    """The outcome fires and the job is done, together — or nothing (lost the claim)."""
    from gendan.transitions import fire_system

    row = _held(session, claim)
    if row is None:
        return False
    inst = session.exec(
        select(Instance).where(Instance.id == row.instance_id).with_for_update()
    ).one()
    if inst.closed_at is not None or inst.state != row.state:
        row.status, row.done_at = "void", now
        session.add(row)
        return False
    automatic = _declared(inst, row.state)
    if automatic is not None and event not in automatic.outcomes:
        raise ValueError(f"{event!r} is not an outcome of {row.job!r} {automatic.outcomes}")
    # The job is done before the move: leaving the state voids only open jobs.
    row.status, row.done_at, row.lease_until = "done", now, None
    row.result = {"event": event, "data": data}
    session.add(row)
    session.flush()
    fire_system(
        session,
        inst,
        event,
        data,
        now=now,
        calendar=rt.calendar,
        detail={"cause": "automatic", "job": row.job, "job_id": row.id, "attempt": row.attempts},
    )
    return True


def _failed(session: Session, claim: Claim, error: str, rt: Runtime, now: datetime) -> str:
    row = _held(session, claim)
    if row is None:
        return "lost"
    inst = session.get(Instance, row.instance_id)
    assert inst is not None
    row.last_error = error[:2000]
    row.lease_until = None
    detail = {"job": row.job, "job_id": row.id, "attempt": row.attempts, "error": row.last_error}
    if row.attempts < row.max_attempts:
        row.status = "pending"
        row.next_attempt_at = now + backoff_after(row.attempts)
        session.add(row)
        audit.on_instance(
            session,
            inst,
            action="job_failed",
            actor=None,
            at=now,
            detail={**detail, "next_attempt_at": row.next_attempt_at.isoformat()},
        )
        return "retry"
    row.status, row.done_at = "incident", now
    session.add(row)
    task = _incident_task(session, inst, row, rt, now)
    audit.on_instance(session, inst, action="job_incident", actor=None, at=now,
                      task_id=task.id if task else None, detail=detail)  # fmt: skip
    return "incident"


def _declared(inst: Instance, state: str) -> Automatic | None:
    wait = get_procedure(inst.procedure).wait_for(state)
    return wait.automatic if wait is not None else None


def _incident_task(
    session: Session, inst: Instance, row: Job, rt: Runtime, now: datetime
) -> Task | None:
    """The process owner does the step by hand: a task on the instance offering its outcomes."""
    automatic = _declared(inst, row.state)
    if automatic is None or inst.closed_at is not None or inst.state != row.state:
        return None
    plan = schedule(rt.calendar, INCIDENT_DEADLINE, opened=now)
    task = Task(
        instance_id=inst.id,
        state=row.state,
        round=row.round,
        role=automatic.owner_role,
        department_id=department_id(session, automatic.owner_department),
        title_zh=automatic.title_zh or f"自动步骤失败，请人工处理：{row.job}",
        title_en=automatic.title_en or f"Automatic step failed, do it by hand: {row.job}",
        sla=str(INCIDENT_DEADLINE.sla) if INCIDENT_DEADLINE.sla else "",
        deadline_zh=INCIDENT_DEADLINE.label("zh"),
        deadline_en=INCIDENT_DEADLINE.label("en"),
        deadline_kind=INCIDENT_DEADLINE.basis,
        chain=list(DEFAULT_CHAIN),
        decisions=list(automatic.outcomes),
        created_at=now,
        clock_start=plan.start,
        due_at=plan.due,
        period_minutes=int(plan.period.total_seconds() // 60),
    )
    session.add(task)
    session.flush()
    session.add(Timer(task_id=task.id, level=1, due_at=plan.due))
    if plan.remind is not None and plan.remind > now:
        session.add(Timer(task_id=task.id, level=0, due_at=plan.remind))
    notify_new_task(session, task, calendar=rt.calendar, now=now, inst=inst)
    return task


def jobs_view(session: Session, instance_id: int) -> list[dict[str, Any]]:
    """The instance's automatic steps for its page, newest first, each with what to say."""
    rows = session.exec(
        select(Job).where(Job.instance_id == instance_id).order_by(Job.id.desc())  # type: ignore[attr-defined]
    ).all()
    out = []
    for r in rows:
        failures = r.attempts - (1 if r.status in ("done", "running") else 0)
        out.append(
            {
                "id": r.id,
                "job": r.job,
                "state": r.state,
                "status": r.status,
                "attempts": r.attempts,
                "failures": max(failures, 0) if r.last_error else 0,
                "last_error": r.last_error or "",
                "next_attempt_at": r.next_attempt_at if r.status == "pending" else None,
                "event": (r.result or {}).get("event"),
                "done_at": r.done_at,
            }
        )
    return out
