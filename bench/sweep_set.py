"""The SLA sweep, set-based (issue 11): its time beside the old per-timer sweep and the SQL floor.

Run from the project folder::

    .venv/bin/python bench/sweep_set.py --db pg                      # 1,000,000 open timers
    .venv/bin/python bench/sweep_set.py --db sqlite --timers 100000
    .venv/bin/python bench/sweep_set.py --db pg --growth 10000,100000,1000000 --runs 1

Builds gendan's schema (``gendan.db.create_schema``), the demo organisation and ``--timers``
open order-review tasks, each with its level-1 timer (deadline → department head), with raw
``INSERT … SELECT`` statements (``generate_series`` on PostgreSQL, a recursive CTE on SQLite).
1 % of the timers are due at the sweep's instant; a tenth of those belong to urgent orders
(a message of their own with an acknowledgement link), the rest go into the head's digest.
Each escalation adds a level-2 timer (GM office), not yet due.

Then, paired on the same data (reset between runs: the sweep's rows removed, the timers
pending again; the audit guards are dropped in this throwaway database so it can be reset),
``--runs`` times each, medians printed:

* **now**: ``gendan.escalation.escalate_due`` (set-based batches);
* **before**: ``bench/sweep_before.py``, the per-timer sweep as it was at commit 2d681fd
  (``--before-runs``, default 1: it is slow; ``--before-up-to`` leaves it out at big sizes);
* **floor**: the claiming ``UPDATE … RETURNING`` for all due timers in one statement, plus
  multi-row INSERTs of the same outbox and audit rows the sweep wrote, in one transaction.

PostgreSQL: ``--pg-url`` names a server; the bench creates and finally drops its own database
``bench_sweep_set`` there. Nothing asserts on timings.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from gendan.db import create_schema, drop_audit_guards, make_engine, unit_of_work  # noqa: E402
from gendan.demo import seed_organisation  # noqa: E402
from gendan.models import GENESIS_HASH  # noqa: E402
from gendan.org import department_id  # noqa: E402

#: Monday 2026-11-23 10:00 in Shanghai: the tasks open; due ones are due Tuesday 10:00.
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
DUE = MONDAY_10 + timedelta(days=1)
LATER = MONDAY_10 + timedelta(days=8)
#: Tuesday 12:00 in Shanghai: every due level-1 timer is due, level 2 (GM office) is not.
SWEEP_AT = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:54330/postgres"
BENCH_DB = "bench_sweep_set"


def _lit(t: datetime, dialect: str) -> str:
    naive = t.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return f"TIMESTAMP '{naive}'" if dialect == "postgresql" else f"'{naive}'"


def _series(n: int, dialect: str) -> tuple[str, str]:
    """(WITH prefix, FROM clause) yielding i = 1..n."""
    if dialect == "postgresql":
        return "", f"generate_series(1, {n}) AS s(i)"
    return f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) ", "s"


def build(engine: Engine, timers: int) -> None:
    """Schema, organisation, ``timers`` open tasks each with one level-1 timer (1 % due)."""
    create_schema(engine)
    with unit_of_work(engine) as s:
        users = seed_organisation(s)
        clerk = users["clerk"].id
        sales = department_id(s, "sales")
    d = engine.dialect.name
    with_, src = _series(timers, d)
    now, due, later = _lit(MONDAY_10, d), _lit(DUE, d), _lit(LATER, d)
    mod = (lambda k: f"mod(i, {k})") if d == "postgresql" else (lambda k: f"i % {k}")
    is_due = f"{mod(100)} = 0"
    urgent = f"CASE WHEN {mod(1000)} = 0 THEN 'true' ELSE 'false' END"
    statements = [
        f"{with_}INSERT INTO instance (id, procedure, order_no, subject_kind, subject_key, state,"
        f" data, version, created_by_id, created_at, updated_at)"
        f" SELECT i, 'order_review', 'SO-B-' || i, 'order', '', 'requirements',"
        f' {"CAST(" if d == "postgresql" else "("}\'{{"order": {{"order_no": "SO-B-\' || i ||'
        f" '\", \"urgent\": ' || {urgent} || '}}}}'{' AS json)' if d == 'postgresql' else ')'},"
        f" 1, {clerk}, {now}, {now} FROM {src}",
        f"{with_}INSERT INTO task (id, instance_id, state, round, role, department_id, title_zh,"
        " title_en, status, sla, deadline_zh, deadline_en, deadline_kind, created_at,"
        " clock_start, due_at, period_minutes, chain, decisions, escalation_level,"
        " waited_minutes, form_data)"
        f" SELECT i, i, 'requirements', 1, 'sales_clerk', {sales}, '与客户确认订单要求',"
        " 'Confirm the order', 'open', '1 working day', '1 个工作日', '1 working day',"
        f" 'default', {now}, {now}, CASE WHEN {is_due} THEN {due} ELSE {later} END, 540,"
        f" '[\"head\", \"gm_office\"]', '[]', 0, 0, '{{}}' FROM {src}",
        f"{with_}INSERT INTO timer (id, task_id, level, due_at, status)"
        f" SELECT i, i, 1, CASE WHEN {is_due} THEN {due} ELSE {later} END, 'pending' FROM {src}",
    ]
    if d == "postgresql":
        statements += [
            f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), {timers})"
            for t in ("instance", "task", "timer")
        ]
    with engine.begin() as conn:
        for stmt in statements:
            conn.exec_driver_sql(stmt)
    drop_audit_guards(engine)
    if d == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def reset(engine: Engine) -> None:
    """Undo a sweep: its rows removed, the due timers pending again, the chain empty."""
    with engine.begin() as conn:
        for stmt in (
            "DELETE FROM smsack",
            "DELETE FROM notification",
            "DELETE FROM auditevent",
            f"UPDATE audithead SET seq = 0, hash = '{GENESIS_HASH}'",
            "DELETE FROM timer WHERE level <> 1",
            "UPDATE timer SET status = 'pending', fired_at = NULL WHERE status <> 'pending'",
            "UPDATE task SET escalation_level = 0 WHERE escalation_level <> 0",
        ):
            conn.exec_driver_sql(stmt)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE timer, task, notification, auditevent, smsack")


def _runtime(engine: Engine) -> Any:
    from gendan.runtime import Runtime, load_calendar
    from gendan.settings import Settings

    settings = Settings(database_url=engine.url.render_as_string(hide_password=False))
    return Runtime(db=engine, calendar=load_calendar(engine, settings), settings=settings)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        one = lambda sql: int(conn.exec_driver_sql(sql).scalar() or 0)  # noqa: E731
        return {
            "fired": one("SELECT count(*) FROM timer WHERE level = 1 AND status = 'fired'"),
            "escalations": one("SELECT count(*) FROM auditevent WHERE action = 'escalate'"),
            "outbox": one("SELECT count(*) FROM notification"),
            "acks": one("SELECT count(*) FROM smsack"),
        }


def run_now(engine: Engine) -> int:
    from gendan.escalation import escalate_due

    return len(escalate_due(_runtime(engine), now=SWEEP_AT))


def run_before(engine: Engine) -> int:
    import sweep_before

    return len(sweep_before.escalate_due(_runtime(engine), now=SWEEP_AT))


NOTE_COLS = (
    "cause, channel, user_id, address, template, context, subject, urgent, status, attempts,"
    " next_attempt_at, created_at"
)
AUDIT_COLS = (
    "seq, at, actor_id, actor_name, action, instance_id, task_id, order_no, from_state,"
    " to_state, changes, reason, detail, prev_hash, hash"
)


def capture(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The outbox and audit rows a sweep wrote, as raw tuples (for the floor's INSERTs)."""
    with engine.connect() as conn:
        notes = conn.exec_driver_sql(f"SELECT {NOTE_COLS} FROM notification ORDER BY id").all()
        events = conn.exec_driver_sql(f"SELECT {AUDIT_COLS} FROM auditevent ORDER BY seq").all()
    return [tuple(r) for r in notes], [tuple(r) for r in events]


def floor(engine: Engine, rows: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]) -> int:
    """The claiming UPDATE for every due timer, and the same rows in multi-row INSERTs."""
    import json

    d = engine.dialect.name
    skip = " FOR UPDATE SKIP LOCKED" if d == "postgresql" else ""
    claim = text(
        "UPDATE timer SET status = 'fired', fired_at = :now WHERE id IN (SELECT id FROM timer"
        " WHERE status = 'pending' AND due_at <= :now ORDER BY due_at, id"
        f" LIMIT 100000000{skip}) RETURNING id, task_id, level, due_at"
    )
    naive = SWEEP_AT.replace(tzinfo=None)
    notes, events = rows
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        ph = "%s" if d == "postgresql" else "?"

        def insert_many(table: str, cols: str, data: list[tuple[Any, ...]]) -> None:
            width = len(cols.split(","))
            for at in range(0, len(data), 500):
                chunk = data[at : at + 500]
                one = "(" + ", ".join([ph] * width) + ")"
                values = ", ".join([one] * len(chunk))
                flat = [
                    json.dumps(v) if isinstance(v, dict | list) else v for r in chunk for v in r
                ]
                cur.execute(f"INSERT INTO {table} ({cols}) VALUES {values}", flat)

        if d == "sqlite":
            cur.execute("BEGIN IMMEDIATE")
        sql = str(claim.compile(engine)).replace(":now", ph)
        sql = sql.replace("%(now)s", ph)
        cur.execute(sql, (naive, naive))
        claimed = len(cur.fetchall())
        insert_many("notification", NOTE_COLS, notes)
        insert_many("auditevent", AUDIT_COLS, events)
        raw.commit()
    finally:
        raw.close()
    return claimed


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = fn()
    return time.perf_counter() - t0, n


def measure(
    engine: Engine, *, runs: int, before: bool, label: str, before_runs: int = 1
) -> dict[str, tuple[float, int]]:
    """Paired, interleaved runs of floor / before / now on the same data; medians."""
    reset(engine)
    _, n = timed(lambda: run_now(engine))  # warm-up, and the rows the floor re-inserts
    check = counts(engine)
    rows = capture(engine)
    seconds: dict[str, list[float]] = {"floor": [], "before": [], "now": []}
    done: dict[str, int] = {}
    for r in range(runs):
        plan = [("floor", lambda: floor(engine, rows)), ("now", lambda: run_now(engine))]
        if before and r < before_runs:
            plan.insert(1, ("before", lambda: run_before(engine)))
        for name, fn in plan:
            reset(engine)
            s, n = timed(fn)
            seconds[name].append(s)
            done[name] = n
            print(f"  {label} run {r + 1} {name}: {s:.3f} s, {n} rows", flush=True)
            if name == "before":
                got = counts(engine)
                assert got == check, f"before wrote {got}, now wrote {check}"
    reset(engine)
    print(f"  {label} now wrote: {check}", flush=True)
    return {k: (statistics.median(v), done[k]) for k, v in seconds.items() if v}


def report(label: str, timers: int, m: dict[str, tuple[float, int]]) -> str:
    now_s, n = m["now"]
    line = f"| {label} | {timers:,} | {n:,} | {now_s * 1000:,.0f} ms ({n / now_s:,.0f}/s) |"
    before = m.get("before")
    line += f" {before[0] * 1000:,.0f} ms ({before[1] / before[0]:,.0f}/s) |" if before else " – |"
    line += f" {m['floor'][0] * 1000:,.0f} ms |"
    return line


def pg_engine(server: str) -> Engine:
    admin = make_engine(server)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.exec_driver_sql(f"CREATE DATABASE {BENCH_DB}")
    admin.dispose()
    return make_engine(server.rsplit("/", 1)[0] + f"/{BENCH_DB}")


def pg_drop(server: str) -> None:
    admin = make_engine(server)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", choices=("pg", "sqlite"), default="pg")
    ap.add_argument("--timers", type=int, default=None, help="open timers (1 %% due)")
    ap.add_argument("--growth", default="", help="comma list of open-timer counts, e.g. 10000,")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-before", action="store_true")
    ap.add_argument("--before-runs", type=int, default=1, help="runs of the slow old sweep")
    ap.add_argument("--before-up-to", type=int, default=10**9,
                    help="run 'before' only at sizes up to this many open timers")  # fmt: skip
    ap.add_argument("--pg-url", default=os.environ.get("GENDAN_BENCH_POSTGRES_URL", PG_URL))
    args = ap.parse_args()
    default = 1_000_000 if args.db == "pg" else 100_000
    sizes = [int(x) for x in args.growth.split(",") if x] or [args.timers or default]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"# bench/sweep_set.py --db {args.db}  commit {commit}  {platform.platform()}")
    print(f"# {os.cpu_count()} CPUs, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, runs {args.runs}")
    lines = []
    for timers in sizes:
        tmp = tempfile.mkdtemp(prefix="sweep_set_")
        engine = (
            pg_engine(args.pg_url)
            if args.db == "pg"
            else make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        )
        try:
            t0 = time.perf_counter()
            build(engine, timers)
            print(f"built {timers:,} open timers in {time.perf_counter() - t0:.1f} s", flush=True)
            before = not args.skip_before and timers <= args.before_up_to
            m = measure(
                engine,
                runs=args.runs,
                before=before,
                label=f"{args.db} {timers:,}",
                before_runs=args.before_runs,
            )
            lines.append(report(args.db, timers, m))
        finally:
            engine.dispose()
            if args.db == "pg":
                pg_drop(args.pg_url)
    print("\n| db | open timers | due (escalations) | sweep now | sweep before | SQL floor |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
