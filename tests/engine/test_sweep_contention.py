"""Big sweeps and SQLite's single writer (issue 7, item 5): short batches, retries, no doubles.

Behaviour only: several sweep processes fire each timer once and exit cleanly; a person's
write during a sweep of a large backlog gets the lock; a sweep that meets a locked database
retries the batch instead of crashing. Real processes on a real SQLite file (or the
PostgreSQL of the suite, where it applies). Nothing here asserts on timings.
"""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, func, select

from gendan import batches
from gendan.escalation import escalate_due
from gendan.models import AuditEvent, Timer
from gendan.runtime import Runtime
from tests.conftest import POSTGRES
from tests.support.sweep_workers import (
    SWEEP_AT,
    add_due_timers,
    fired_count,
    sweep_process,
    web_writes_until,
    with_busy_timeout,
)

sqlite_only = pytest.mark.skipif(bool(POSTGRES), reason="SQLite's database-wide write lock")


def _settings(rt: Runtime) -> dict[str, Any]:
    return {"database_url": rt.db.url.render_as_string(hide_password=False)} | {
        k: getattr(rt.settings, k) for k in ("seal_key_file", "seal_anchor")
        if hasattr(rt.settings, k)
    }  # fmt: skip


def _escalations_per_task(rt: Runtime) -> dict[int, int]:
    with Session(rt.db) as s:
        rows = s.exec(
            select(AuditEvent.task_id, func.count())
            .where(AuditEvent.action == "escalate")
            .group_by(AuditEvent.task_id)
        ).all()
    return {int(task_id): n for task_id, n in rows}


def test_sweeps_in_parallel_processes_fire_each_timer_once_and_exit_cleanly(rt: Runtime) -> None:
    add_due_timers(rt.db, 300)
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=sweep_process, args=(_settings(rt), start, out)) for _ in range(3)]
    for p in procs:
        p.start()
    start.set()
    reports = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)

    assert [r.get("crash") for r in reports] == [None] * len(procs)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    fired = [task for r in reports for task in r["fired"]]
    assert len(fired) == len(set(fired)) == 300
    per_task = _escalations_per_task(rt)
    assert len(per_task) == 300 and set(per_task.values()) == {1}
    assert fired_count(rt.db) == 300


@sqlite_only
def test_a_web_write_during_a_sweep_of_a_large_backlog_gets_the_lock(rt: Runtime) -> None:
    """A click waits at most 2 s for the lock (its busy timeout here) and must get it."""
    n = 1000
    add_due_timers(rt.db, n)
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    sweep = ctx.Process(target=sweep_process, args=(_settings(rt), start, out))
    sweep.start()
    start.set()
    writes = web_writes_until(
        rt.db.url.render_as_string(hide_password=False), 2000, lambda: not sweep.is_alive()
    )
    sweep.join(timeout=120)
    report = out.get(timeout=10)

    assert report.get("crash") is None and sweep.exitcode == 0
    assert [w for w in writes if not w["ok"]] == []
    during = [w for w in writes if 0 < w["fired_then"] < n]
    assert len(during) >= 3, "the writes did not overlap the sweep"
    assert fired_count(rt.db) == n


@sqlite_only
def test_a_sweep_that_meets_a_locked_database_retries_the_batch(rt: Runtime) -> None:
    add_due_timers(rt.db, 12)
    with_busy_timeout(rt.db, 50)  # the sweep gives up waiting for the lock after 50 ms ...
    path = rt.db.url.database
    assert path
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # ... while someone else holds it
    busy: list[int] = []

    def on_busy(attempt: int, error: BaseException) -> None:
        assert isinstance(error, OperationalError) and "locked" in str(error)
        busy.append(attempt)
        if attempt == 2:
            holder.execute("COMMIT")  # the other writer is done

    done = escalate_due(rt, now=SWEEP_AT, on_busy=on_busy)
    holder.close()

    assert busy == [1, 2]
    assert len(done) == 12 and len({e.task_id for e in done}) == 12
    assert set(_escalations_per_task(rt).values()) == {1}
    with Session(rt.db) as s:
        pending = s.exec(
            select(func.count())
            .select_from(Timer)
            .where(Timer.level == 1, Timer.status == "pending")
        )
        assert pending.one() == 0


@sqlite_only
def test_a_sweep_gives_up_after_a_bounded_number_of_retries(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "RETRY_WAITS", (0.01, 0.02, 0.03))
    add_due_timers(rt.db, 3)
    with_busy_timeout(rt.db, 10)
    holder = sqlite3.connect(str(rt.db.url.database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    busy: list[int] = []
    try:
        with pytest.raises(OperationalError, match="locked"):
            escalate_due(rt, now=SWEEP_AT, on_busy=lambda n, e: busy.append(n))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert busy == [1, 2, 3]  # then it gives up: the next scheduled sweep starts over
    assert fired_count(rt.db) == 0


@sqlite_only
def test_on_one_sqlite_file_a_second_sweep_leaves_the_work_to_the_running_one(
    rt: Runtime,
) -> None:
    add_due_timers(rt.db, 4)
    with batches.one_at_a_time(rt.db, "sweep") as alone:  # a sweep running in another process
        assert alone
        assert escalate_due(rt, now=SWEEP_AT) == []
        assert fired_count(rt.db) == 0
    assert len(escalate_due(rt, now=SWEEP_AT)) == 4
    assert escalate_due(rt, now=SWEEP_AT) == []
