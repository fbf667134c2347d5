"""Throughput of durable transitions: gendan's transition service against raw sqlite3.

Run from the project folder::

    .venv/bin/python bench/transitions.py            # N=1000 transitions, M=1000 overdue tasks
    .venv/bin/python bench/transitions.py --n 2000 --m 500
    .venv/bin/python bench/transitions.py --profile  # also cProfile the gendan run, print top costs

Measures, on fresh SQLite files in one temporary folder (same disk, WAL):

(a) gendan: N order-review instances started, then N ``complete_task(decision="confirm")``
    calls, each in its own ``unit_of_work`` (authorize, validate the form, fire the state
    machine, audit, close the task, open 3 countersign tasks with 6 timers, commit);
(b) baseline: raw ``sqlite3`` writing the same rows per transition into the same schema,
    one commit each, ``synchronous=NORMAL`` (median of --repeat runs); for reference also
    ``FULL``;
(c) ``escalate_due`` over the 2*M timers of M open tasks whose deadline has passed
    (each fired timer writes an audit row and outbox rows).

It also prints the SQL statements per transition (SQLite's trace) and SQLite's plan for
the engine's hot WHERE clauses (EXPLAIN QUERY PLAN on the schema ``create_schema`` made, no
ANALYZE). With only single-column indexes the choice between ``task_id`` and ``status``
used to vary per process and decide whether a statement visited one row or every open
one; the composite indexes (``ix_timer_task_status``, ``ix_task_instance_status``,
``ix_timer_due``, ``ix_task_queue``) should now be picked on their own.
Timings depend on the machine and the disk; nothing here asserts on them.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import platform
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Generator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlmodel import Session, func, select

from gendan.db import create_schema, make_engine, unit_of_work
from gendan.demo import order_form, seed_organisation, step_forms
from gendan.escalation import escalate_due
from gendan.models import AuditEvent, Notification, Task, Timer, User
from gendan.org import Actor, department_id, load_actor
from gendan.runtime import Runtime, build_runtime
from gendan.settings import Settings
from gendan.transitions import complete_task, start_instance

#: Monday 2026-11-23 10:00 in Shanghai: orders arrive, tasks are due Tuesday 10:00.
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
#: Tuesday 12:00 in Shanghai: reminders (level 0) and deadlines (level 1) have passed,
#: the GM-office level (one more working day) has not.
TUESDAY_12 = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
#: Extra transitions after the timed ones, run with SQLite's statement trace on.
TRACED = 20


# --------------------------------------------------------------------------- helpers


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def make_rt(path: Path | str) -> Runtime:
    """A runtime on a fresh SQLite file (a path) or database (a URL), organisation seeded."""
    url = path if isinstance(path, str) else f"sqlite:///{path}"
    rt = build_runtime(Settings(database_url=url))
    with unit_of_work(rt.db) as s:
        seed_organisation(s)
    return rt


def actor(rt: Runtime, username: str) -> Actor:
    with Session(rt.db) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        assert user.id is not None
        return load_actor(s, user.id)


def start_orders(rt: Runtime, clerk: Actor, n: int, prefix: str) -> tuple[list[int], float]:
    """Start n regular order reviews, one unit of work each; return instance ids and seconds."""
    ids: list[int] = []
    t0 = time.perf_counter()
    for i in range(n):
        with unit_of_work(rt.db) as s:
            inst = start_instance(
                s, procedure="order_review", actor=clerk, now=MONDAY_10, calendar=rt.calendar,
                form_data=order_form(f"{prefix}-{i:06d}", "regular", now=MONDAY_10),
            )  # fmt: skip
            assert inst.id is not None
            ids.append(inst.id)
    return ids, time.perf_counter() - t0


def count(rt: Runtime, model: Any, *where: Any) -> int:
    with Session(rt.db) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


# --------------------------------------------------------------------------- (a) gendan


def bench_gendan(folder: Path, n: int, profile: cProfile.Profile | None = None) -> dict[str, Any]:
    rt = make_rt(folder / "gendan.db")
    try:
        return {**run_gendan(rt, n, profile=profile), "plans": query_plans(folder / "gendan.db")}
    finally:
        rt.db.dispose()


def run_gendan(
    rt: Runtime, n: int, *, profile: cProfile.Profile | None = None, prefix: str = "SO-BENCH"
) -> dict[str, Any]:
    """n+TRACED order reviews started, n confirms timed, TRACED more counting statements."""
    return drain(gendan_steps(rt, n, profile=profile, prefix=prefix))


Steps = Generator[None, None, dict[str, Any]]


def drain(steps: Steps) -> dict[str, Any]:
    """Run a steps generator to its end; return its result."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def interleave(runs: dict[str, Steps]) -> dict[str, dict[str, Any]]:
    """Advance the runs in turn, one block each, so that all of them meet the same load.

    Each run's first step is its untimed setup; then each step is one timed block.
    """
    out: dict[str, dict[str, Any]] = {}
    live = dict(runs)
    while live:
        for key, steps in list(live.items()):
            try:
                next(steps)
            except StopIteration as done:
                out[key] = done.value
                del live[key]
    return out


def gendan_steps(
    rt: Runtime,
    n: int,
    *,
    block: int = 0,
    profile: cProfile.Profile | None = None,
    prefix: str = "SO-BENCH",
) -> Steps:
    """As run_gendan, yielding after the setup and after every block of completions."""
    clerk = actor(rt, "clerk")
    ids, start_s = start_orders(rt, clerk, n + TRACED, prefix)
    with Session(rt.db) as s:
        rows = s.exec(
            select(Task.id)
            .where(Task.status == "open", Task.state == "requirements")
            .where(Task.instance_id.in_(ids))  # type: ignore[attr-defined]
            .order_by(Task.id)
        ).all()
    confirm = step_forms(order_form("X", "regular", now=MONDAY_10), MONDAY_10)["confirm"]

    def one(task_id: int) -> None:
        with unit_of_work(rt.db) as s:
            complete_task(
                s, task_id=task_id, actor=clerk, decision="confirm", form_data=confirm,
                now=MONDAY_10, calendar=rt.calendar,
            )  # fmt: skip

    before = _row_counts(rt, ids)
    yield
    lat: list[float] = []
    for i, task_id in enumerate(rows[:n]):
        if block and i and i % block == 0:
            yield
        if profile is not None:
            profile.enable()
        t1 = time.perf_counter()
        one(task_id)
        lat.append(time.perf_counter() - t1)
        if profile is not None:
            profile.disable()
    after = _row_counts(rt, ids)
    # A few more, untimed, counting the statements SQLAlchemy sends (BEGIN and COMMIT apart).
    kinds = counted(rt.db, lambda: [one(t) for t in rows[n:]])
    kinds = {k: v / TRACED for k, v in kinds.items()}
    opened = count(rt, Task, Task.state == "feasibility_review", Task.status == "open",
                   Task.instance_id.in_(ids))  # type: ignore[attr-defined]  # fmt: skip
    if opened != 3 * (n + TRACED):
        raise SystemExit(f"gendan opened {opened} countersign tasks, not {3 * (n + TRACED)}")
    return {
        "n": n,
        "statements": sum(v for k, v in kinds.items() if k != "other"),
        "kinds": kinds,
        "start_per_s": len(ids) / start_s,
        "per_s": n / sum(lat),
        "p50_ms": 1000 * statistics.median(lat),
        "p95_ms": 1000 * pct(lat, 0.95),
        "rows": {k: (after[k] - before[k]) / n for k in after},
    }


#: Statements of every transition (and the sweep) whose WHERE could use more than one index.
PLANNED = {
    "cancel timers": "UPDATE timer SET status = 'cancelled'"
    " WHERE timer.task_id IN (1) AND timer.status = 'pending'",
    "open tasks of the instance": "SELECT id FROM task WHERE instance_id = 1 AND status = 'open'",
    "sweep: due timers": "SELECT * FROM timer WHERE status = 'pending'"
    " AND due_at <= '2026-11-24 04:00:00.000000' ORDER BY due_at, id LIMIT 200",
}


def query_plans(path: Path) -> dict[str, str]:
    """SQLite's plan for each PLANNED statement (no ANALYZE has run)."""
    con = sqlite3.connect(path)
    try:
        return {
            name: " ".join(row[3] for row in con.execute("EXPLAIN QUERY PLAN " + sql))
            for name, sql in PLANNED.items()
        }
    finally:
        con.close()


def counted(engine: sqlalchemy.Engine, work: Callable[[], object]) -> dict[str, float]:
    """Run work counting the statements the engine sends, by kind (executemany: per row)."""
    kinds: dict[str, float] = {}

    def seen(_conn: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        kind = statement_kind(statement)
        rows = many and isinstance(params, list) and params and isinstance(params[0], tuple | dict)
        kinds[kind] = kinds.get(kind, 0) + (len(params) if rows else 1)

    sqlalchemy.event.listen(engine, "before_cursor_execute", seen)
    try:
        work()
    finally:
        sqlalchemy.event.remove(engine, "before_cursor_execute", seen)
    return kinds


def _row_counts(rt: Runtime, ids: list[int]) -> dict[str, int]:
    """Rows of these instances (other runs may share the database)."""
    of = Task.instance_id.in_(ids)  # type: ignore[attr-defined]
    return {
        "tasks": count(rt, Task, of),
        "timers": count(rt, Timer, Timer.task_id.in_(select(Task.id).where(of))),  # type: ignore[attr-defined]
        "audit": count(rt, AuditEvent, AuditEvent.instance_id.in_(ids)),  # type: ignore[union-attr]
    }


# --------------------------------------------------------------------------- (b) baseline


def _ts(t: datetime) -> str:
    """A UTC instant as SQLAlchemy stores DateTime on SQLite (naive UTC text)."""
    return t.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


#: The task row gendan writes: with its deadline in words and kind, clock start, period,
#: escalation chain and decisions (pauses_for is the outside party, JSON-quoted or NULL).
TASK_INSERT = (
    "INSERT INTO task (instance_id, state, round, role, department_id, title_zh, title_en,"
    " status, sla, deadline_zh, deadline_en, deadline_kind, created_at, clock_start, due_at,"
    " period_minutes, chain, decisions, escalation_level, pauses_for, waited_minutes, form_data)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, 'open', '1 working day', '1 个工作日* 自任务下达起',"
    " '1 working day* from the task''s opening', 'default', ?, ?, ?, 540,"
    " '[\"head\", \"gm_office\"]', '[]', 0, ?, 0, '{}') RETURNING id"
)


class RawDB:
    """A DB-API connection in autocommit with explicit BEGIN/COMMIT, SQL written with ``?``.

    One class for sqlite3 and psycopg so that both raw baselines run the same statements;
    ``kinds`` counts them by their first word (executemany: one per row, as SQLite's trace
    does; BEGIN and COMMIT are counted apart, as "other").
    """

    def __init__(self, con: Any, dialect: str) -> None:
        self.con, self.dialect = con, dialect
        self.cur = con.cursor()
        self.kinds: dict[str, int] | None = None

    def sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.dialect == "postgresql" else text

    def x(self, text: str, params: Any = ()) -> Any:
        self._count(text, 1)
        self.cur.execute(self.sql(text), params)
        return self.cur

    def many(self, text: str, rows: list[Any]) -> None:
        self._count(text, len(rows))
        self.cur.executemany(self.sql(text), rows)

    def _count(self, text: str, times: int) -> None:
        if self.kinds is not None:
            kind = statement_kind(text)
            self.kinds[kind] = self.kinds.get(kind, 0) + times

    def begin(self) -> None:
        self.x("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")

    def commit(self) -> None:
        self.x("COMMIT")

    def lock(self) -> str:
        """The row lock gendan takes on PostgreSQL (SQLite's BEGIN IMMEDIATE locks the file)."""
        return " FOR UPDATE" if self.dialect == "postgresql" else ""

    def close(self) -> None:
        self.con.close()


def statement_kind(text: str) -> str:
    word = text.lstrip().split(None, 1)[0].upper() if text.strip() else ""
    return word if word in ("SELECT", "INSERT", "UPDATE", "DELETE") else "other"


def kinds_text(kinds: dict[str, float]) -> str:
    """'SELECT 3 / INSERT 13 / UPDATE 5 = 21' (BEGIN, COMMIT, PRAGMA left out)."""
    parts = [(k, kinds.get(k, 0.0)) for k in ("SELECT", "INSERT", "UPDATE", "DELETE")]
    shown = " / ".join(f"{k} {v:g}" for k, v in parts if v)
    return f"{shown} = {sum(v for _k, v in parts):g}"


def sqlite_raw(path: Path, synchronous: str) -> RawDB:
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute(f"PRAGMA synchronous={synchronous}")
    con.execute("PRAGMA foreign_keys=ON")
    return RawDB(con, "sqlite")


def seeded_schema(url: str) -> dict[str, int]:
    """gendan's schema and demo organisation at url; return the ids the raw rows need."""
    engine = make_engine(url)
    create_schema(engine)
    with unit_of_work(engine) as s:
        users = seed_organisation(s)
        ids = {k: department_id(s, k) for k in ("sales", "production", "material_control")}
        ids["clerk"] = users["clerk"].id
        for role, name in (("production_manager", "prod_mgr"), ("material_controller", "mc")):
            ids[role] = users[name].id
        ids["sales_clerk"] = ids["clerk"]
    engine.dispose()
    return ids


class RawTransition:
    """The rows of one confirm transition, written by hand (gendan's schema, one commit each).

    Read the task and the instance (locked on PostgreSQL), close the task, cancel its timers,
    move the instance (state, data, version and updated_at in one UPDATE with the version
    check), append the hash-chained audit row and move the head, open 3 board tasks with 2
    timers each and queue their 3 "new task" e-mails (the notification rows gendan writes).
    """

    def __init__(self, db: RawDB, ids: dict[str, int]) -> None:
        self.db, self.ids = db, ids
        self.now = _ts(MONDAY_10)
        self.due = _ts(MONDAY_10 + timedelta(days=1))
        self.remind = _ts(MONDAY_10 + timedelta(hours=6, minutes=45))
        order = order_form("SO-BASE", "regular", now=MONDAY_10)
        self.data = json.dumps({"order": {**order, "status": "reviewing"}}, ensure_ascii=False)
        self.confirm = step_forms(order, MONDAY_10)["confirm"]
        self.confirm_json = json.dumps(self.confirm)
        self.board = (("sales_clerk", ids["sales"]), ("production_manager", ids["production"]),
                      ("material_controller", ids["material_control"]))  # fmt: skip

    def setup(self, count: int, prefix: str = "SO-BASE") -> list[tuple[int, int]]:
        """count instances in 'requirements', each with its open task and 2 timers (untimed)."""
        db, ids = self.db, self.ids
        db.begin()
        task_ids: list[tuple[int, int]] = []
        for i in range(count):
            key = f"{prefix}-{i:06d}"
            (iid,) = db.x(
                "INSERT INTO instance (procedure, order_no, subject_kind, subject_key, state,"
                " data, version, created_by_id, created_at, updated_at) VALUES ('order_review',"
                " ?, 'order', ?, 'requirements', ?, 1, ?, ?, ?) RETURNING id",
                (key, key, self.data, ids["clerk"], self.now, self.now),
            ).fetchone()
            (tid,) = db.x(
                TASK_INSERT,
                (iid, "requirements", 1, "sales_clerk", ids["sales"], "与客户确认订单要求",
                 "Confirm", self.now, self.due, self.now, "customer"),
            ).fetchone()  # fmt: skip
            db.many(TIMER_INSERT, [(tid, 1, self.due), (tid, 0, self.remind)])
            task_ids.append((tid, iid))
        db.commit()
        return task_ids

    def one(self, tid: int, iid: int) -> None:
        db, ids, now, clerk_id = self.db, self.ids, self.now, self.ids["clerk"]
        db.begin()
        status, task_state = db.x("SELECT status, state FROM task WHERE id = ?", (tid,)).fetchone()
        state, version, raw, order_no = db.x(
            "SELECT state, version, data, order_no FROM instance WHERE id = ?" + db.lock(), (iid,)
        ).fetchone()
        if status != "open" or task_state != state:
            raise SystemExit("baseline: task not open")
        db.x(
            "UPDATE task SET status = 'done', decision = 'confirm', closed_at = ?,"
            " closed_by_id = ?, form_data = ?, assignee_id = ? WHERE id = ? AND status = 'open'",
            (now, clerk_id, self.confirm_json, clerk_id, tid),
        )
        if db.cur.rowcount != 1:
            raise SystemExit("baseline: task closed by someone else")
        db.x("UPDATE timer SET status = 'cancelled' WHERE task_id = ? AND status = 'pending'",
             (tid,))  # fmt: skip
        new_data = raw if isinstance(raw, dict) else json.loads(raw)
        new_data["forms"] = {"confirm": self.confirm}
        db.x(
            "UPDATE instance SET state = 'feasibility_review', data = ?, version = ?,"
            " updated_at = ? WHERE id = ? AND version = ?",
            (json.dumps(new_data, ensure_ascii=False), version + 1, now, iid, version),
        )
        if db.cur.rowcount != 1:
            raise SystemExit("baseline: instance changed by someone else")
        seq, prev = db.x("SELECT seq, hash FROM audithead WHERE id = 1" + db.lock()).fetchone()
        event = {
            "seq": seq + 1, "at": now, "actor_id": clerk_id, "actor_name": "王丽 (销售内勤)",
            "action": "transition", "instance_id": iid, "task_id": tid, "order_no": order_no,
            "from_state": state, "to_state": "feasibility_review",
            "changes": {"form": self.confirm}, "reason": "", "detail": {"event": "confirm"},
            "prev_hash": prev,
        }  # fmt: skip
        raw_event = json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.sha256(raw_event.encode("utf-8")).hexdigest()
        db.x(
            "INSERT INTO auditevent (seq, at, actor_id, actor_name, action, instance_id, task_id,"
            " order_no, from_state, to_state, changes, reason, detail, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq + 1, now, clerk_id, event["actor_name"], "transition", iid, tid, order_no,
             state, "feasibility_review", json.dumps(event["changes"]), "",
             json.dumps(event["detail"]), prev, digest),
        )  # fmt: skip
        db.x("UPDATE audithead SET seq = ?, hash = ? WHERE id = 1", (seq + 1, digest))
        mails = []
        for role, dep in self.board:
            (new_tid,) = db.x(
                TASK_INSERT,
                (iid, "feasibility_review", version + 1, role, dep, "订单评审（交期可行性）",
                 "Review feasibility and delivery date", now, self.due, now, None),
            ).fetchone()  # fmt: skip
            db.many(TIMER_INSERT, [(new_tid, 1, self.due), (new_tid, 0, self.remind)])
            context = {"task_id": new_tid, "instance_id": iid, "order_no": order_no,
                       "task_title_zh": "订单评审（交期可行性）", "order": new_data["order"]}
            mails.append((f"new_task:{new_tid}:u{ids[role]}", ids[role], f"{role}@demo",
                          json.dumps(context), now, now))  # fmt: skip
        db.many(NOTIFICATION_INSERT, mails)
        db.commit()


TIMER_INSERT = "INSERT INTO timer (task_id, level, due_at, status) VALUES (?, ?, ?, 'pending')"
NOTIFICATION_INSERT = (
    "INSERT INTO notification (cause, channel, user_id, address, template, context, subject,"
    " urgent, status, attempts, next_attempt_at, created_at) VALUES (?, 'email', ?, ?,"
    " 'new_task', ?, '', false, 'pending', 0, ?, ?)"
)


def run_raw(db: RawDB, ids: dict[str, int], n: int, prefix: str = "SO-BASE") -> dict[str, Any]:
    """n timed raw transitions, then TRACED more counting their statements by kind."""
    return drain(raw_steps(db, ids, n, prefix=prefix))


def raw_steps(
    db: RawDB, ids: dict[str, int], n: int, *, block: int = 0, prefix: str = "SO-BASE"
) -> Steps:
    """As run_raw, yielding after the setup and after every block of transitions."""
    raw = RawTransition(db, ids)
    task_ids = raw.setup(n + TRACED, prefix)
    yield
    lat: list[float] = []
    for i, (tid, iid) in enumerate(task_ids[:n]):
        if block and i and i % block == 0:
            yield
        t1 = time.perf_counter()
        raw.one(tid, iid)
        lat.append(time.perf_counter() - t1)
    db.kinds = {}
    for tid, iid in task_ids[n:]:
        raw.one(tid, iid)
    kinds = {k: v / TRACED for k, v in db.kinds.items()}
    db.kinds = None
    return {
        "n": n,
        "per_s": n / sum(lat),
        "p50_ms": 1000 * statistics.median(lat),
        "statements": sum(kinds.values()),
        "kinds": kinds,
    }


def bench_baseline(folder: Path, n: int, synchronous: str) -> dict[str, Any]:
    """Raw sqlite3, gendan's schema and indexes, the rows of one confirm transition per commit.

    The timer UPDATE (``task_id = ? AND status = 'pending'``) is left to SQLite's planner, as
    gendan's is; ``ix_timer_task_status`` serves it exactly.
    """
    path = folder / f"baseline-{synchronous.lower()}.db"
    ids = seeded_schema(f"sqlite:///{path}")
    db = sqlite_raw(path, synchronous)
    try:
        return run_raw(db, ids, n)
    finally:
        db.close()


# --------------------------------------------------------------------------- (c) escalation


def bench_escalation(folder: Path, m: int) -> dict[str, Any]:
    rt = make_rt(folder / "escalation.db")
    clerk = actor(rt, "clerk")
    start_orders(rt, clerk, m, "SO-ESC")
    due = count(rt, Timer, Timer.status == "pending", Timer.due_at <= TUESDAY_12)
    outbox_before = count(rt, Notification, Notification.id > 0)
    audit_before = count(rt, AuditEvent, AuditEvent.id > 0)
    t0 = time.perf_counter()
    fired = escalate_due(rt, now=TUESDAY_12)
    total = time.perf_counter() - t0
    result = {
        "due": due,
        "fired": len(fired),
        "per_s": len(fired) / total if total else 0.0,
        "seconds": total,
        "audit_rows": count(rt, AuditEvent, AuditEvent.id > 0) - audit_before,
        "outbox_rows": count(rt, Notification, Notification.id > 0) - outbox_before,
    }
    rt.db.dispose()
    return result


# --------------------------------------------------------------------------- profile


#: Self time grouped by where the code lives (longest-prefix match on the file path).
GROUPS = (
    ("sqlite3 (C: execute/commit)", ("<built-in method", "~")),
    ("sqlalchemy", ("sqlalchemy",)),
    ("sqlmodel", ("sqlmodel",)),
    ("python-statemachine", ("statemachine",)),
    ("pydantic", ("pydantic",)),
    ("gendan engine", ("gendan",)),
    ("states/ (procedures)", ("states",)),
    ("forms/", ("forms",)),
    ("holidays / zoneinfo / calendar", ("holidays", "zoneinfo")),
    ("json / hashlib / stdlib", ("json", "hashlib", "python3")),
)


def _group(filename: str, funcname: str) -> str:
    if filename == "~":
        if "sqlite3" in funcname or "execute" in funcname or "commit" in funcname:
            return GROUPS[0][0]
        return "other built-ins"
    parts = Path(filename).parts
    for label, keys in GROUPS[1:]:
        if any(k in parts for k in keys) or any(p.startswith(keys) for p in parts[-3:-1]):
            return label
    return "other"


def report_profile(prof: cProfile.Profile, top: int) -> None:
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    groups: dict[str, float] = {}
    for (filename, _line, funcname), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        key = _group(filename, funcname)
        key = "Python built-ins (isinstance, getattr...)" if key == "other built-ins" else key
        groups[key] = groups.get(key, 0.0) + tt
    print(f"\nProfile of the gendan transitions (cProfile, self time {total:.2f} s):")
    for key, tt in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {key:42s} {tt:6.2f} s  {100 * tt / total:5.1f} %")
    watch = (
        ("gendan/transitions.py", "complete_task"), ("gendan/transitions.py", "_open_task"),
        ("gendan/transitions.py", "validate"), ("gendan/transitions.py", "_fire"),
        ("gendan/transitions.py", "_close"), ("gendan/transitions.py", "_bump_version"),
        ("statemachine/statemachine.py", "__init__"), ("gendan/audit.py", "append"),
        ("gendan/tasks.py", "open_tasks"), ("gendan/tasks.py", "close_open_tasks"),
        ("gendan/org.py", "department_id"), ("gendan/calendar.py", "add"),
        ("gendan/calendar.py", "add_fraction"), ("sqlalchemy/orm/session.py", "flush"),
        ("sqlalchemy/orm/session.py", "refresh"),
        ("sqlalchemy/orm/session.py", "execute"), ("gendan/db.py", "unit_of_work"),
        ("gendan/db.py", "__exit__"),
    )  # fmt: skip
    print("  cumulative time of chosen functions (share of the whole run):")
    for (filename, line, funcname), (_cc, nc, _tt, ct, _c) in sorted(
        stats.stats.items(),  # type: ignore[attr-defined]
        key=lambda kv: -kv[1][3],
    ):
        if any(filename.endswith(f) and funcname == fn for f, fn in watch):
            short = "/".join(Path(filename).parts[-2:]) + f":{line}"
            share = 100 * ct / total
            print(f"    {short + ' ' + funcname:48s} {nc:7d} calls {ct:6.2f} s {share:5.1f} %")
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    print(f"  top {top} by self time:")
    lines = out.getvalue().splitlines()
    head = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    for line in lines[head : head + top + 1]:
        print("   " + line)


# --------------------------------------------------------------------------- main


def machine() -> dict[str, str]:
    return {
        "cpus": str(os.cpu_count()),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "date": date.today().isoformat(),
    }


def timed(label: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    print(f"  {label} ...", end="", flush=True, file=sys.stderr)
    t0 = time.perf_counter()
    out = fn()
    print(f" {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="transitions for (a) and (b)")
    ap.add_argument("--m", type=int, default=1000, help="overdue tasks for (c), 2 timers each")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each raw baseline (median)")
    ap.add_argument("--dir", type=Path, default=None, help="folder for the SQLite files")
    ap.add_argument("--profile", action="store_true", help="cProfile the gendan transitions")
    ap.add_argument("--top", type=int, default=25, help="functions listed with --profile")
    args = ap.parse_args(argv)
    n, reps = args.n, max(1, args.repeat)

    info = machine()
    with tempfile.TemporaryDirectory(prefix="gendan-bench-", dir=args.dir) as tmp:
        folder = Path(tmp)
        print(f"SQLite files in {folder}", file=sys.stderr)
        prof = cProfile.Profile() if args.profile else None
        g = timed(f"(a) gendan: {n} starts + {n} confirms", lambda: bench_gendan(folder, n, prof))

        def baseline(sync: str) -> dict[str, Any]:
            runs = []
            for i in range(reps):
                sub = folder / f"raw-{sync}-{i}"
                sub.mkdir()
                runs.append(bench_baseline(sub, n, sync))
            runs.sort(key=lambda r: r["per_s"])
            return {**runs[len(runs) // 2], "runs": [r["per_s"] for r in runs]}

        b = timed(f"(b) raw sqlite3, NORMAL: {reps} x {n}", lambda: baseline("NORMAL"))
        bf = timed(f"    raw sqlite3, FULL: {reps} x {n}", lambda: baseline("FULL"))
        e = timed(
            f"(c) escalate_due over {args.m} overdue tasks",
            lambda: bench_escalation(folder, args.m),
        )  # noqa: E501

    def spread(r: dict[str, Any]) -> str:
        lo, hi = min(r["runs"]), max(r["runs"])
        return f"p50 {r['p50_ms']:.3f} ms; median of {reps} runs ({lo:.0f}-{hi:.0f}/s)"

    sys.stderr.flush()
    print()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    print(f"SQLite files: WAL, one commit per transition, same disk; N = {n}\n")
    rows = [
        ("(a) gendan complete_task (confirm)", f"{g['per_s']:8.0f} /s",
         f"p50 {g['p50_ms']:.2f} ms, p95 {g['p95_ms']:.2f} ms"),
        ("    gendan start_instance", f"{g['start_per_s']:8.0f} /s", "for reference"),
        ("(b) raw sqlite3, synchronous=NORMAL", f"{b['per_s']:8.0f} /s", spread(b)),
        ("    raw sqlite3, synchronous=FULL", f"{bf['per_s']:8.0f} /s", spread(bf)),
        ("(c) escalate_due", f"{e['per_s']:8.0f} /s",
         f"{e['fired']} timers fired in {e['seconds']:.2f} s"),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':{width}s}  {'throughput':>11s}  notes")
    for name, rate, note in rows:
        print(f"{name:{width}s}  {rate:>11s}  {note}")
    print(
        f"\nratio gendan / raw sqlite3 (NORMAL), transitions/s: {g['per_s'] / b['per_s']:.3f}"
        f" (raw {b['per_s'] / g['per_s']:.1f}x faster);"
        f" by p50 latency: raw {g['p50_ms'] / b['p50_ms']:.1f}x faster"
    )
    r = g["rows"]
    print(
        f"SQL statements per transition (BEGIN/COMMIT not counted):"
        f" gendan {kinds_text(g['kinds'])}; raw sqlite3 {kinds_text(b['kinds'])}"
    )
    print(
        f"rows per gendan transition: +{r['tasks']:.0f} tasks, +{r['timers']:.0f} timers,"
        f" +{r['audit']:.0f} audit; escalation: {e['due']} due timers,"
        f" {e['audit_rows']} audit rows, {e['outbox_rows']} outbox rows"
    )
    # SQLAlchemy creates a table's indexes in set order, which varies from process to process;
    # with single-column indexes and no ANALYZE, SQLite's choice followed that order. A
    # composite index covering both columns of the WHERE wins regardless of the order.
    print("query plans of this run's schema (EXPLAIN QUERY PLAN, no ANALYZE):")
    for name, plan in g["plans"].items():
        print(f"  {name}: {plan}")
    if prof is not None:
        report_profile(prof, args.top)


if __name__ == "__main__":
    main()
