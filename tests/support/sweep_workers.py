"""Due timers in bulk, and sweep / web-write processes for the SQLite contention tests.

The process targets live here (not in a test module) so that ``multiprocessing``'s spawn
start method imports nothing but this module in the child.
"""

from __future__ import annotations

import time
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, func, update
from sqlalchemy.engine import Engine
from sqlmodel import select

from gendan.db import make_engine, unit_of_work
from gendan.models import Department, Instance, Task, Timer, User

#: Monday 2026-11-23 10:00 in Shanghai: the tasks open; their deadline is Tuesday 10:00.
OPENED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
DUE = OPENED + timedelta(days=1)
#: Tuesday 12:00 in Shanghai: every level-1 timer is due, level 2 (one working day later) not.
SWEEP_AT = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)


def add_due_timers(engine: Engine, n: int) -> None:
    """``n`` open order-review tasks (sales clerk), each with one due level-1 timer."""
    with unit_of_work(engine) as s:
        sales = s.exec(select(Department.id).where(Department.key == "sales")).one()
        clerk = s.exec(select(User.id).where(User.username == "clerk")).one()
        instances = [
            Instance(
                procedure="order_review",
                order_no=f"SO-SWEEP-{i:05d}",
                state="requirements",
                data={"order": {"order_no": f"SO-SWEEP-{i:05d}"}},
                created_by_id=clerk,
                created_at=OPENED,
                updated_at=OPENED,
            )  # fmt: skip
            for i in range(n)
        ]
        s.add_all(instances)
        s.flush()
        tasks = [
            Task(
                instance_id=inst.id,
                state="requirements",
                role="sales_clerk",  # type: ignore[arg-type]
                department_id=sales,
                title_zh="与客户确认订单要求",
                title_en="Confirm",
                created_at=OPENED,
                clock_start=OPENED,
                due_at=DUE,
                period_minutes=540,
                chain=["head", "gm_office"],
            )  # fmt: skip
            for inst in instances
        ]
        s.add_all(tasks)
        s.flush()
        s.add_all([Timer(task_id=t.id, level=1, due_at=DUE) for t in tasks])  # type: ignore[arg-type]


def fired_count(engine: Engine) -> int:
    with unit_of_work(engine) as s:
        return s.exec(
            select(func.count()).select_from(Timer).where(Timer.level == 1, Timer.status == "fired")
        ).one()


def with_busy_timeout(engine: Engine, ms: int) -> Engine:
    """``engine`` whose new SQLite connections wait at most ``ms`` for the write lock."""

    @event.listens_for(engine, "connect")
    def _busy(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(ms)}")
        cur.close()

    engine.dispose()
    return engine


def sweep_process(settings: dict[str, Any], start: Any, out: Any) -> None:
    """One ``escalate_due`` as of ``SWEEP_AT`` after ``start`` is set; reports to ``out``."""
    from gendan.escalation import escalate_due
    from gendan.runtime import Runtime, load_calendar
    from gendan.settings import Settings

    try:
        # The schema exists: no create_schema here (three processes running it at once on
        # PostgreSQL race on CREATE OR REPLACE FUNCTION, which is not what is tested).
        conf = Settings(**settings)
        db = make_engine(conf.database_url)
        rt = Runtime(db=db, calendar=load_calendar(db, conf), settings=conf)
    except BaseException as exc:
        out.put({"crash": "".join(traceback.format_exception(exc))})
        raise
    start.wait(60)
    try:
        done = escalate_due(rt, now=SWEEP_AT)
        out.put({"fired": [e.task_id for e in done]})
    except BaseException as exc:
        out.put({"crash": "".join(traceback.format_exception(exc))})
        raise
    finally:
        rt.db.dispose()


def web_writes_until(url: str, busy_ms: int, stop: Any) -> list[dict[str, Any]]:
    """Short engine writes (the clerk's language) until ``stop()``; each notes the fired count.

    The engine waits at most ``busy_ms`` for SQLite's write lock, as a person waits for a
    click: a write that does not get it in time fails ("database is locked").
    """
    engine = with_busy_timeout(make_engine(url), busy_ms)
    writes: list[dict[str, Any]] = []
    i = 0
    while not stop():
        i += 1
        try:
            with unit_of_work(engine) as s:
                s.connection().execute(
                    update(User)
                    .where(User.username == "clerk")
                    .values(language=("en", "zh")[i % 2])
                )
                fired = s.exec(
                    select(func.count()).select_from(Timer).where(Timer.status == "fired")
                ).one()
            writes.append({"ok": True, "fired_then": fired})
        except Exception as exc:
            writes.append({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        time.sleep(0.02)  # paces the stand-in clicks (one every 20 ms); no SLA time is waited
    engine.dispose()
    return writes
