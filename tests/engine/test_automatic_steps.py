"""Automatic steps (issue 9 mechanism 2): entering writes a job; the runner fires its outcome
exactly once — after a SIGKILL of a real runner process too; failures retry with back-off
and end as an incident task for the process owner. Real database, time injected."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

import states
from gendan.demo import Driver, order_form
from gendan.jobs import LEASE, claim_next, jobs_view, run_due
from gendan.models import AuditEvent, Job, Notification
from gendan.runtime import Runtime
from tests.engine.helpers import events, instance, open_tasks
from tests.engine.linked_procedures import FLAG_DIR, register

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def test_procedures(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    registry = dict(states.PROCEDURES)
    register(registry)
    for key, proc in registry.items():
        monkeypatch.setitem(states.PROCEDURES, key, proc)
    yield


def handed_over(driver: Driver, no: str, event: str = "go", quantity: int = 10) -> int:
    form = {**order_form(no, "regular", now=driver.now), "quantity": quantity}
    iid = driver.start("test_auto", "clerk", form)
    driver.act(iid, "clerk", event)
    return iid


def jobs_of(rt: Runtime, iid: int) -> list[Job]:
    with Session(rt.db) as s:
        return list(s.exec(select(Job).where(Job.instance_id == iid).order_by(Job.id)).all())


def fired(rt: Runtime, iid: int, event: str) -> list[AuditEvent]:
    return [
        e for e in events(rt, iid) if e.action == "transition" and e.detail.get("event") == event
    ]


def test_entering_writes_a_job_and_the_runner_fires_its_outcome_once(
    rt: Runtime, driver: Driver
) -> None:
    iid = handed_over(driver, "SO-A1")
    [job] = jobs_of(rt, iid)  # written by the move that entered the state
    assert (job.job, job.state, job.status, job.attempts) == (
        "test_echo",
        "computing",
        "pending",
        0,
    )
    assert open_tasks(rt, iid) == []  # nobody's task: a flow does it
    runs = run_due(rt, now=driver.now)
    assert [(r.outcome, r.event, r.attempt) for r in runs] == [("done", "computed", 1)]
    assert run_due(rt, now=driver.now + timedelta(hours=1)) == []
    inst = instance(rt, iid)
    assert inst.state == "checking"
    assert inst.data["forms"]["computed"]["remarks"] == "qty 10"  # validated as the step's form
    [move] = fired(rt, iid, "computed")
    assert move.actor_name == "system" and move.detail["job_id"] == job.id
    assert move.detail["cause"] == "automatic"
    [done] = jobs_of(rt, iid)
    assert (done.status, done.result["event"], done.done_at) == ("done", "computed", driver.now)
    assert [t.title_en for t in open_tasks(rt, iid)] == ["Check the result"]


def test_the_job_function_chooses_the_outcome(rt: Runtime, driver: Driver) -> None:
    iid = handed_over(driver, "SO-A2", quantity=5000)
    run_due(rt, now=driver.now)
    assert instance(rt, iid).state == "refused" and instance(rt, iid).closed_at is not None


def test_a_stopped_instance_voids_its_job(rt: Runtime, driver: Driver) -> None:
    """The order is cancelled while the step waits for the flow: the runner fires nothing."""
    from gendan.db import unit_of_work
    from gendan.effects import stop_other_instances
    from gendan.models import Instance

    iid = handed_over(driver, "SO-A3")
    canceller = Instance(id=0, procedure="order_change", order_no="SO-A3", state="x",
                         created_by_id=1)  # fmt: skip
    with unit_of_work(rt.db) as s:  # what a cancellation's OnEnter(stop_order_procedures) does
        assert stop_other_instances(s, inst=canceller, now=driver.now) == [iid]
    assert [j.status for j in jobs_of(rt, iid)] == ["void"]
    assert run_due(rt, now=driver.now) == []
    assert instance(rt, iid).state == "computing" and instance(rt, iid).closed_at is not None


def test_a_runner_that_lost_its_lease_fires_nothing(rt: Runtime, driver: Driver) -> None:
    """The fence: a slow runner whose lease expired and was taken over cannot fire too."""
    from gendan.db import unit_of_work
    from gendan.jobs import _finish

    iid = handed_over(driver, "SO-A4")
    first = claim_next(rt, now=driver.now, lease_from=driver.now)
    assert first is not None and first.attempt == 1
    assert claim_next(rt, now=driver.now + LEASE / 2, lease_from=driver.now + LEASE / 2) is None
    later = driver.now + LEASE + timedelta(minutes=1)
    second = claim_next(rt, now=later, lease_from=later)
    assert second is not None and (second.job_id, second.attempt) == (first.job_id, 2)
    with unit_of_work(rt.db) as s:  # the first runner wakes up and tries to finish
        assert _finish(s, first, "computed", {}, rt, later) is False
    with unit_of_work(rt.db) as s:
        assert _finish(s, second, "computed", {}, rt, later) is True
    assert len(fired(rt, iid, "computed")) == 1


def test_a_step_failing_every_time_ends_as_an_incident_task(rt: Runtime, driver: Driver) -> None:
    iid = handed_over(driver, "SO-A5", event="go_fail")
    t0 = driver.now
    [r1] = run_due(rt, now=t0)
    assert (r1.outcome, r1.attempt) == ("retry", 1)
    assert "the ERP export is unreachable" in (r1.error or "")
    assert run_due(rt, now=t0 + timedelta(seconds=59)) == []  # back-off: 1 minute
    [r2] = run_due(rt, now=t0 + timedelta(minutes=1))
    assert (r2.outcome, r2.attempt) == ("retry", 2)
    assert run_due(rt, now=t0 + timedelta(minutes=5)) == []  # then 5 minutes
    with Session(rt.db) as s:
        [view] = jobs_view(s, iid)
    assert (view["status"], view["failures"]) == ("pending", 2)
    assert "RuntimeError: the ERP export is unreachable" in view["last_error"]
    [r3] = run_due(rt, now=t0 + timedelta(minutes=6))
    assert (r3.outcome, r3.attempt) == ("incident", 3)
    assert run_due(rt, now=t0 + timedelta(days=3)) == []  # an incident is not retried
    [job] = jobs_of(rt, iid)
    assert (job.status, job.attempts) == ("incident", 3)
    [task] = open_tasks(rt, iid)
    assert (task.role, task.decisions, task.state) == (
        "production_manager",
        ["computed"],
        "failing",
    )
    assert task.title_en == "Automatic step failed, do it by hand: test_fail"
    assert task.due_at is not None  # 1 WD*, escalated like any task
    trail = [e.action for e in events(rt, iid)]
    assert trail.count("job_failed") == 2 and trail.count("job_incident") == 1
    with Session(rt.db) as s:
        mail = s.exec(select(Notification).where(Notification.address.contains("prod_mgr")))
        assert [n.template for n in mail] == ["new_task"]
    # The owner does the step by hand: the instance moves on, the job stays the incident record.
    driver.now = t0 + timedelta(hours=1)
    driver.act(iid, "prod_mgr", "computed", {"remarks": "computed by hand"})
    assert instance(rt, iid).state == "checking"
    assert [j.status for j in jobs_of(rt, iid)] == ["incident"]


def _runner(rt: Runtime, flags: Path, at: str) -> subprocess.Popen[bytes]:
    """``gendan jobs run --at`` in its own process, with the test procedures registered."""
    code = (
        "import states\n"
        "from tests.engine.linked_procedures import register\n"
        "register(states.PROCEDURES)\n"
        "from gendan.cli import app\n"
        f"app(['jobs', 'run', '--at', {at!r}])\n"
    )
    env = {
        **os.environ,
        "GENDAN_DATABASE_URL": rt.settings.database_url,
        FLAG_DIR: str(flags),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)


def _wait_for(predicate: object, what: str) -> None:
    """Wait for a condition another process makes true (not for a length of time)."""
    for _ in range(1200):
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def test_a_runner_killed_mid_step_is_taken_over_and_fires_once(
    rt: Runtime, driver: Driver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flags = tmp_path / "flags"
    flags.mkdir()
    monkeypatch.setenv(FLAG_DIR, str(flags))
    iid = handed_over(driver, "SO-A6", event="go_block")
    t0 = driver.now
    proc = _runner(rt, flags, t0.isoformat())
    try:
        _wait_for(lambda: any(flags.glob("started-*")), "the runner to start the step")
        [job] = jobs_of(rt, iid)
        assert (job.status, job.attempts) == ("running", 1)  # claimed and committed: the lease
        assert job.lease_until is not None and job.lease_until >= t0 + LEASE
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert instance(rt, iid).state == "blocking"
    # While the dead runner's lease lasts nobody takes the job over.
    assert run_due(rt, now=t0 + LEASE - timedelta(minutes=1)) == []
    (flags / "release").write_text("go", encoding="utf-8")
    [run] = run_due(rt, now=t0 + LEASE + timedelta(minutes=1))
    assert (run.outcome, run.attempt, run.event) == ("done", 2, "computed")
    assert run_due(rt, now=t0 + LEASE * 3) == []
    [move] = fired(rt, iid, "computed")
    assert move.detail["attempt"] == 2
    assert instance(rt, iid).data["forms"]["computed"]["remarks"] == f"finished by {os.getpid()}"
    [job] = jobs_of(rt, iid)
    assert (job.status, job.attempts) == ("done", 2)


def test_gendan_jobs_run_at_prints_each_attempt(rt: Runtime, driver: Driver) -> None:
    """``gendan jobs run --at`` (like ``sweep --at``): one line per attempt and the count."""
    from typer.testing import CliRunner

    from gendan.cli import app
    from gendan.settings import get_settings

    iid = handed_over(driver, "SO-A7")
    env = {"GENDAN_DATABASE_URL": rt.settings.database_url}
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["jobs", "run", "--at", driver.now.isoformat()], env=env)
        again = CliRunner().invoke(app, ["jobs", "run", "--at", driver.now.isoformat()], env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"test_echo  instance {iid}  attempt 1: done  computed" in result.output
    assert "1 automatic step attempt(s)" in result.output
    assert "0 automatic step attempt(s)" in again.output
    assert instance(rt, iid).state == "checking"
