"""Web writes during a big SLA sweep on SQLite: how long does a click wait for the lock?

Run from the project folder::

    .venv/bin/python bench/sweep_contention.py                  # 15,000 due escalations
    .venv/bin/python bench/sweep_contention.py --timers 3000 --baseline 5 --sweepers 4

Builds one SQLite file with gendan's schema, the demo organisation and ``--timers`` open
order-review tasks whose level-1 timer (deadline → department head) is due, written in bulk
with raw ``sqlite3`` like ``bench/transitions.py``. Then, each on its own copy of that file:

* **baseline**: a "web" process does one short write every ``--interval`` seconds through
  the engine (``unit_of_work``: the user's language and an audit event, what ``POST /lang``
  writes) for ``--baseline`` seconds, with nothing else running;
* **sweep (before)**: the same writes while ``escalate_due`` runs in other process(es) the way
  it did before issue 7: batches of 50, no pause between them (``batch=50, pause=False``);
* **sweep (now)**: the same with the defaults (``gendan.batches``: 5 timers per transaction on
  SQLite, a pause after each commit, retry on "database is locked").

It prints p50/p99/max of the write latency (BEGIN IMMEDIATE to COMMIT, waiting for the lock
included), the writes that failed, how long the sweep took, how many timers fired, whether
each sweep process exited cleanly, and checks that every timer fired exactly once.
Timings depend on the machine and the disk; nothing asserts on them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import traceback
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gendan.db import create_schema, make_engine, unit_of_work  # noqa: E402
from gendan.demo import order_form, seed_organisation  # noqa: E402
from gendan.org import department_id  # noqa: E402

#: Monday 2026-11-23 10:00 in Shanghai: the tasks open, due Tuesday 10:00.
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
#: Tuesday 12:00 in Shanghai: every level-1 timer is due, level 2 (GM office) is not.
TUESDAY_12 = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)

TASK_INSERT = (
    "INSERT INTO task (instance_id, state, round, role, department_id, title_zh, title_en,"
    " status, sla, deadline_zh, deadline_en, deadline_kind, created_at, clock_start, due_at,"
    " period_minutes, chain, decisions, escalation_level, pauses_for, waited_minutes, form_data)"
    " VALUES (?, 'requirements', 1, 'sales_clerk', ?, '与客户确认订单要求', 'Confirm',"
    " 'open', '1 working day', '1 个工作日* 自任务下达起', '1 working day* from the task''s"
    " opening', 'default', ?, ?, ?, 540, '[\"head\", \"gm_office\"]', '[]', 0, '\"customer\"',"
    " 0, '{}')"
)


def _ts(t: datetime) -> str:
    """A UTC instant as SQLAlchemy stores DateTime on SQLite (naive UTC text)."""
    return t.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def build(path: Path, timers: int) -> None:
    """Schema, organisation, and ``timers`` open tasks each with one due level-1 timer."""
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    with unit_of_work(engine) as s:
        users = seed_organisation(s)
        clerk_id = users["clerk"].id
        sales = department_id(s, "sales")
    engine.dispose()
    con = sqlite3.connect(path, isolation_level=None)
    now, due = _ts(MONDAY_10), _ts(MONDAY_10 + timedelta(days=1))
    order = order_form("SO-SWEEP", "regular", now=MONDAY_10)
    con.execute("BEGIN")
    for i in range(timers):
        data = json.dumps({"order": {**order, "order_no": f"SO-SWEEP-{i:06d}"}})
        iid = con.execute(
            "INSERT INTO instance (procedure, order_no, state, data, version, created_by_id,"
            " created_at, updated_at) VALUES ('order_review', ?, 'requirements', ?, 1, ?, ?, ?)",
            (f"SO-SWEEP-{i:06d}", data, clerk_id, now, now),
        ).lastrowid
        tid = con.execute(TASK_INSERT, (iid, sales, now, now, due)).lastrowid
        con.execute(
            "INSERT INTO timer (task_id, level, due_at, status) VALUES (?, 1, ?, 'pending')",
            (tid, due),
        )
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


# --------------------------------------------------------------------------- processes


def web_writer(url: str, interval: float, stop: Any, out: Any) -> None:
    """One short engine write every ``interval`` s until ``stop``; sends latencies and errors."""
    from sqlalchemy import update
    from sqlmodel import select

    from gendan import audit
    from gendan.models import User

    engine = make_engine(url)
    with unit_of_work(engine) as s:
        uid = s.exec(select(User.id).where(User.username == "clerk")).one()
    latencies: list[float] = []
    errors: list[str] = []
    i = 0
    while not stop.is_set():
        i += 1
        t0 = time.perf_counter()
        try:
            with unit_of_work(engine) as s:
                lang = "en" if i % 2 else "zh"
                s.connection().execute(update(User).where(User.id == uid).values(language=lang))
                audit.append(
                    s, action="language", actor_id=uid, actor_name="clerk",
                    detail={"language": lang},
                )  # fmt: skip
            latencies.append(time.perf_counter() - t0)
        except Exception as exc:  # a 500 in the web app
            latencies.append(time.perf_counter() - t0)
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
        time.sleep(interval)
    engine.dispose()
    out.put({"latencies": latencies, "errors": errors})


def sweeper(url: str, before: bool, tuning: dict[str, Any], out: Any) -> None:
    """One ``escalate_due`` as of Tuesday 12:00; reports fired count, seconds, crash."""
    from gendan import batches
    from gendan.escalation import escalate_due

    if tuning.get("pause_ratio") is not None:
        batches.PAUSE_RATIO = tuning["pause_ratio"]
    from gendan.runtime import build_runtime
    from gendan.settings import Settings

    rt = build_runtime(Settings(database_url=url))
    t0 = time.perf_counter()
    busy: list[int] = []
    try:
        kwargs: dict[str, Any] = (
            {"batch": 50, "pause": False} if before else {"batch": tuning.get("batch")}
        )
        fired = escalate_due(rt, now=TUESDAY_12, on_busy=lambda n, e: busy.append(n), **kwargs)
        out.put({"fired": len(fired), "seconds": time.perf_counter() - t0, "busy": len(busy)})
    except Exception as exc:
        traceback.print_exc(limit=2)
        out.put({"crash": f"{type(exc).__name__}: {str(exc).splitlines()[0]}",
                 "seconds": time.perf_counter() - t0, "busy": len(busy)})  # fmt: skip


def phase(
    path: Path,
    *,
    interval: float,
    sweepers: int,
    before: bool,
    seconds: float,
    tuning: dict[str, Any],
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    url = f"sqlite:///{path}"
    stop, out, done = ctx.Event(), ctx.Queue(), ctx.Queue()
    writer = ctx.Process(target=web_writer, args=(url, interval, stop, out))
    writer.start()
    time.sleep(1.0)  # the writer's imports and first write
    procs = [ctx.Process(target=sweeper, args=(url, before, tuning, done)) for _ in range(sweepers)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [done.get() for _ in procs] if procs else []
    if not procs:
        time.sleep(seconds)
    elapsed = time.perf_counter() - t0
    stop.set()
    web = out.get()
    writer.join()
    for p in procs:
        p.join()
    con = sqlite3.connect(path)
    fired_rows = con.execute("SELECT count(*) FROM timer WHERE level = 1 AND status = 'fired'")
    escalations = con.execute("SELECT count(*) FROM auditevent WHERE action = 'escalate'")
    doubled = con.execute(
        "SELECT count(*) FROM (SELECT task_id FROM auditevent WHERE action = 'escalate'"
        " GROUP BY task_id HAVING count(*) > 1)"
    )
    counts = (fired_rows.fetchone()[0], escalations.fetchone()[0], doubled.fetchone()[0])
    con.close()
    lat = [1000 * v for v in web["latencies"]]
    return {
        "writes": len(lat),
        "errors": web["errors"],
        "p50_ms": statistics.median(lat),
        "p99_ms": pct(lat, 0.99),
        "max_ms": max(lat),
        "sweep_s": elapsed,
        "sweepers": [{k: v for k, v in r.items()} for r in results],
        "exit_codes": [p.exitcode for p in procs],
        "fired_timers": counts[0],
        "escalate_events": counts[1],
        "tasks_escalated_twice": counts[2],
    }


def machine() -> dict[str, str]:
    return {
        "cpus": str(os.cpu_count()),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "date": date.today().isoformat(),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--timers", type=int, default=15_000)
    ap.add_argument("--interval", type=float, default=0.1, help="seconds between web writes")
    ap.add_argument("--baseline", type=float, default=10.0, help="seconds of writes, no sweep")
    ap.add_argument("--sweepers", type=int, default=1, help="concurrent sweep processes")
    ap.add_argument("--skip-before", action="store_true", help="skip the pre-issue-7 sweep")
    ap.add_argument("--batch", type=int, default=None, help="timers per transaction (now)")
    ap.add_argument("--pause-ratio", type=float, default=None, help="gendan.batches.PAUSE_RATIO")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="gendan-sweep-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        build(folder / "built.db", args.timers)
        print(f"built {args.timers} due timers in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)  # fmt: skip
        rows: dict[str, dict[str, Any]] = {}
        plan = [("baseline (no sweep)", 0, False)]
        if not args.skip_before:
            plan.append(("sweep before (batch 50, no pause)", args.sweepers, True))
        plan.append(("sweep now (gendan.batches)", args.sweepers, False))
        for label, sweepers, before in plan:
            path = folder / f"{len(rows)}.db"
            shutil.copy(folder / "built.db", path)
            print(f"  {label} ...", file=sys.stderr, flush=True)
            rows[label] = phase(
                path, interval=args.interval, sweepers=sweepers, before=before,
                seconds=args.baseline,
                tuning={"batch": args.batch, "pause_ratio": args.pause_ratio},
            )  # fmt: skip

    print(f"machine: {machine()}")
    print(f"{args.timers} due level-1 timers, {args.sweepers} sweep process(es), "
          f"one web write every {args.interval * 1000:.0f} ms\n")  # fmt: skip
    head = f"{'':36} {'writes':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6}"
    print(head + f" {'sweep s':>8} {'fired':>6} {'twice':>5}  sweep processes")
    for label, r in rows.items():
        sweeps = (
            ", ".join(
                f"crashed ({s['crash']})" if "crash" in s else f"ok {s['fired']} (busy {s['busy']})"
                for s in r["sweepers"]
            )
            or "-"
        )
        fired = str(r["fired_timers"]) if r["sweepers"] else "-"
        print(
            f"{label:36} {r['writes']:6d} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f}"
            f" {r['max_ms']:8.1f} {len(r['errors']):6d} {r['sweep_s']:8.1f} {fired:>6}"
            f" {r['tasks_escalated_twice']:5d}  {sweeps}; exit codes {r['exit_codes']}"
        )
        for err in sorted(set(r["errors"]))[:3]:
            print(f"{'':36} error: {err}")


if __name__ == "__main__":
    main()
