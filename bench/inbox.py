"""Inbox pagination with a million tasks: gendan's keyset inbox against LIMIT/OFFSET.

Run from the project folder::

    .venv/bin/python bench/inbox.py                    # 1,000,000 tasks, 7 runs per figure
    .venv/bin/python bench/inbox.py --tasks 200000 --runs 5
    .venv/bin/python bench/inbox.py --db /tmp/inbox.db # keep (or reuse) the built file

Builds a SQLite file with gendan's schema (``create_schema``) and the demo organisation,
then bulk-inserts orders, instances and tasks with raw ``sqlite3`` in one transaction:
``--tasks`` / 10 orders with one instance each (90 % order review, 10 % order change)
and 10 tasks per instance, drawn in order from the procedures' own task lists (so the
roles and departments are the demo people's). The newest 12 % of instances have ~35 % of
their tasks open, older ones ~0.9 %: about 5 % of all tasks are open, the rest done
(85 %) or cancelled. Open tasks fall due from 5 days before to 10 days after NOW; 30 %
are claimed by a holder of their role. No timers or audit rows: the inbox reads neither.
ANALYZE is not run (gendan does not run it either).

Then, for user ``clerk`` (the sales clerk, who is offered about half of all tasks), it times:

- ``gendan.queries.inbox(...)``: a fresh read-only Session per call, so the figure includes
  the ORM building 50 rows of Task, Instance, Department;
- its two statements on a raw ``sqlite3`` connection (captured from SQLAlchemy, so
  identical): the pick (UNION ALL of one index-ordered branch per index, row-value keyset,
  LIMIT 51) and the display join by id; and the pick alone;
- ``before_query`` below, the single statement ``inbox`` ran before the rewrite (the scope as
  an OR, joined for display, then sorted), with its keyset condition ``due_at > ? OR
  (due_at = ? AND id > ?)`` and with ``LIMIT 51 OFFSET 50*(page-1)`` instead (the OFFSET
  baseline), on raw ``sqlite3``,

at page 1 and at a deep page reached by following ``next_cursor`` from page 1, with and
without filters (order number prefix, customer substring, overdue) and for the ``mine``
and ``queue`` scopes. Each figure is the median of ``--runs`` runs on a warm cache. The
keyset answer is checked against OFFSET and against the statement before the rewrite: the
same rows in the same order, and a next cursor exactly when a 51st row exists. It prints
EXPLAIN QUERY PLAN of the new pick and display statements, of the statement before the
rewrite and of its OFFSET form. Timings depend on the machine; nothing asserts on them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy
from sqlalchemy import and_, event, false, or_
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select
from sqlmodel import Session, select

from gendan.db import create_schema, make_engine, reader, unit_of_work
from gendan.demo import seed_organisation
from gendan.models import Department, Instance, Order, Task, User, UserRole
from gendan.org import Actor, load_actor
from gendan.queries import InboxFilter, InboxPage, inbox
from states import PROCEDURES
from states.base import Waiting

#: Monday 2026-11-23 10:00 in Shanghai: "now" for the inbox (overdue = due before this).
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
#: Orders were taken over the two years before NOW, evenly.
HISTORY = timedelta(days=730)
TASKS_PER_INSTANCE = 10
PAGE = 50
#: Share of instances (the newest) with many open tasks, and the open rates.
RECENT_SHARE, OPEN_RECENT, OPEN_OLD = 0.12, 0.35, 0.0091
CLAIMED = 0.30
#: The order columns the inbox does not read, at the model's defaults: channel "", and the
#: ten review flags (new design … credit terms) false.
ORDER_FLAGS = ("",) + (0,) * 10

Stmt = tuple[str, tuple[Any, ...]]


def _ts(t: datetime) -> str:
    """A UTC instant as SQLAlchemy stores gendan's UTCDateTime on SQLite (naive UTC text)."""
    return t.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


# --------------------------------------------------------------------------- build


@dataclass(frozen=True)
class Spec:
    procedure: str
    state: str
    role: str
    department: str
    title_zh: str
    title_en: str
    sla: str
    hours: float


def catalogue() -> dict[str, list[Spec]]:
    """Every task each procedure can open, in declaration order (its roles and departments)."""
    out: dict[str, list[Spec]] = {}
    for key, proc in PROCEDURES.items():
        specs = out.setdefault(key, [])
        for state in proc.states:
            if not isinstance(state, Waiting):
                continue
            for t in state.wait.tasks:
                # the bare length ("4 hours") as the task row keeps it (``Task.sla``)
                dl = t.deadline
                sla = str(dl.sla) if dl is not None and dl.sla is not None else ""
                hours = 4.0 if "hour" in sla else 0.5 if "minute" in sla else 24.0
                if sla.startswith("3 "):
                    hours = 72.0
                specs.append(
                    Spec(key, state.id, t.role, t.department, t.title_zh, t.title_en, sla, hours)
                )
    return out


CITIES = "宁波 苏州 无锡 常州 杭州 温州 佛山 东莞 青岛 天津 合肥 武汉 成都 重庆 西安".split()
CORES = "华东 恒通 永兴 金达 宏远 新华 中天 鼎盛 瑞丰 汇川 德力 博远 明阳 三友 正泰".split()
TRADES = "机电 电气 自动化 重工 电力设备 机械".split()


def customers(rng: random.Random, n: int = 300) -> list[str]:
    names = [f"{c}{k}{t}有限公司" for c in CITIES for k in CORES for t in TRADES]
    return rng.sample(names, n)


def build(path: Path, n_tasks: int, seed: int = 7) -> dict[str, Any]:
    """gendan's schema and demo organisation, then the bulk rows; returns what was built."""
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    with unit_of_work(engine) as s:
        seed_organisation(s)
        deps = {d.key: d.id for d in s.exec(select(Department)).all()}
        holders: dict[tuple[str, int], list[int]] = {}
        for r in s.exec(select(UserRole)).all():
            holders.setdefault((r.role, r.department_id), []).append(r.user_id)
        clerk_id = s.exec(select(User.id).where(User.username == "clerk")).one()
    engine.dispose()

    rng = random.Random(seed)
    specs = catalogue()
    names = customers(rng)
    n_inst = max(1, n_tasks // TASKS_PER_INSTANCE)
    step = HISTORY / n_inst
    start = NOW - HISTORY - timedelta(days=1)
    recent_from = int(n_inst * (1 - RECENT_SHARE))

    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-262144")  # 256 MiB while loading
    t0 = time.perf_counter()
    con.execute("BEGIN")
    counts = {"open": 0, "done": 0, "cancelled": 0}

    def orders() -> Iterator[tuple[Any, ...]]:
        for i in range(n_inst):
            created = start + step * i
            yield (
                i + 1, f"SO-{created:%Y%m}-{i + 1:06d}", names[rng.randrange(len(names))],
                rng.choice("ABC"), "配电柜", "GGD-2200", rng.randint(1, 50), "台",
                (created + timedelta(days=30)).date().isoformat(),
                "regular" if rng.random() < 0.8 else "non_regular",
                "released" if i < recent_from else "reviewing", _ts(created),
                *ORDER_FLAGS,
            )  # fmt: skip

    con.executemany(
        'INSERT INTO "order" (id, order_no, customer, customer_class, product, model_spec,'
        " quantity, unit, delivery_date, kind, status, created_at, channel, new_design,"
        " discontinued, above_standard, tight_date, special, outsourced_work, urgent,"
        " complete_set, penalty_clause, credit_terms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        orders(),
    )
    order_rows = con.execute(
        'SELECT id, order_no, customer, customer_class, quantity, delivery_date, kind FROM "order"'
    ).fetchall()

    def instances() -> Iterator[tuple[Any, ...]]:
        for oid, order_no, customer, cls, qty, delivery, kind in order_rows:
            i = oid - 1
            created = start + step * i
            procedure = "order_change" if rng.random() < 0.1 else "order_review"
            recent = i >= recent_from
            data = {
                "order": {
                    "order_no": order_no, "customer": customer, "customer_class": cls,
                    "product": "配电柜", "model_spec": "GGD-2200", "quantity": qty, "unit": "台",
                    "delivery_date": delivery, "kind": kind,
                    "status": "reviewing" if recent else "released",
                }
            }  # fmt: skip
            state = specs[procedure][0 if recent else -1].state
            closed = None if recent else _ts(created + timedelta(days=3))
            yield (
                oid, procedure, order_no, state, json.dumps(data), 1 + TASKS_PER_INSTANCE,
                clerk_id, _ts(created), _ts(created + timedelta(days=3)), closed, "order",
                order_no,
            )  # fmt: skip

    con.executemany(
        "INSERT INTO instance (id, procedure, order_no, state, data, version, created_by_id,"
        " created_at, updated_at, closed_at, subject_kind, subject_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        instances(),
    )
    procs = dict(con.execute("SELECT id, procedure FROM instance").fetchall())

    def tasks() -> Iterator[tuple[Any, ...]]:
        for iid in range(1, n_inst + 1):
            created = start + step * (iid - 1)
            recent = iid - 1 >= recent_from
            chain = specs[procs[iid]]
            for j in range(TASKS_PER_INSTANCE):
                sp = chain[j % len(chain)]
                dep = deps[sp.department]
                who = holders.get((sp.role, dep)) or [clerk_id]
                opened = created + timedelta(hours=2 * j)
                due = opened + timedelta(hours=sp.hours)
                if rng.random() < (OPEN_RECENT if recent else OPEN_OLD):
                    status = "open"
                    if recent:  # open work falls due from 5 days ago to 10 days ahead
                        due = NOW + timedelta(hours=rng.uniform(-5 * 24, 10 * 24))
                        opened = min(opened, due - timedelta(hours=sp.hours))
                    assignee = rng.choice(who) if rng.random() < CLAIMED else None
                    closed = closed_by = decision = None
                else:
                    status = "done" if rng.random() < 0.85 else "cancelled"
                    assignee = closed_by = rng.choice(who) if status == "done" else None
                    closed = _ts(opened + timedelta(hours=sp.hours * rng.random()))
                    decision = "confirm" if status == "done" else None
                counts[status] += 1
                yield (
                    iid, sp.state, 1 + j // 4, sp.role, dep, sp.title_zh, sp.title_en,
                    assignee, status, sp.sla, _ts(opened), _ts(due), 0, closed, closed_by,
                    decision, "{}", "", "", "", 0, "[]", "[]", 0,
                )  # fmt: skip

    con.executemany(
        "INSERT INTO task (instance_id, state, round, role, department_id, title_zh, title_en,"
        " assignee_id, status, sla, created_at, due_at, escalation_level, closed_at,"
        " closed_by_id, decision, form_data, deadline_zh, deadline_en, deadline_kind,"
        " period_minutes, chain, decisions, waited_minutes) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        tasks(),
    )
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    seconds = time.perf_counter() - t0
    clerk_open = con.execute(
        "SELECT count(*) FROM task WHERE status = 'open' AND"
        " (assignee_id = ? OR (assignee_id IS NULL AND role = 'sales_clerk'"
        " AND department_id = ?))",
        (clerk_id, deps["sales"]),
    ).fetchone()[0]
    con.close()
    return {
        "instances": n_inst,
        "tasks": sum(counts.values()),
        "status": counts,
        "clerk_open": clerk_open,
        "seconds": seconds,
        "mib": path.stat().st_size / 2**20,
    }


# --------------------------------------------------------------------------- measure


class Capture:
    """The SELECTs SQLAlchemy sends on this engine during ``run``, with bound parameters."""

    def __init__(self, engine: Engine) -> None:
        self.stmts: list[Stmt] = []
        self.armed = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _c: Any, _cur: Any, sql: str, params: Any, _ctx: Any, _many: bool) -> None:
        if self.armed and sql.lstrip().upper().startswith("SELECT"):
            self.stmts.append((sql, tuple(params)))

    def run(self, fn: Callable[[], Any]) -> tuple[Any, list[Stmt]]:
        self.stmts, self.armed = [], True
        try:
            out = fn()
        finally:
            self.armed = False
        return out, self.stmts


# --------------------------------------------------------------------------- baseline


def before_query(actor: Actor, flt: InboxFilter) -> Select[Any]:
    """The single statement ``gendan.queries.inbox`` ran before the rewrite (commit e5ea71d),
    without its keyset condition, order and limit: the scope as one OR, every candidate row
    joined to instance, department and order, then sorted. Not gendan's code any more."""
    offered = [and_(Task.role == r, Task.department_id == d) for r, d in actor.roles]
    queue = and_(Task.assignee_id.is_(None), or_(*offered)) if offered else false()
    scope = {
        "mine": Task.assignee_id == actor.user_id,
        "queue": queue,
    }.get(flt.scope, or_(Task.assignee_id == actor.user_id, queue))
    stmt = (
        select(Task, Instance, Department, Order.customer)
        .join(Instance, Instance.id == Task.instance_id)
        .join(Department, Department.id == Task.department_id)
        .join(Order, Order.order_no == Instance.order_no)
        .where(Task.status == "open", scope, Task.due_at.is_not(None))
    )
    if flt.procedure:
        stmt = stmt.where(Instance.procedure == flt.procedure)
    if flt.order_no:
        stmt = stmt.where(Instance.order_no.startswith(flt.order_no.strip()))
    if flt.customer:
        stmt = stmt.where(Order.customer.contains(flt.customer.strip()))
    if flt.q:
        q = flt.q.strip()
        stmt = stmt.where(
            or_(
                Instance.order_no.contains(q),
                Order.customer.contains(q),
                Task.title_zh.contains(q),
                Task.title_en.contains(q),
            )
        )
    if flt.overdue:
        stmt = stmt.where(Task.due_at < NOW)
    if flt.due_today:
        day = datetime.combine(NOW.astimezone(TZ).date(), dtime(0), TZ)
        stmt = stmt.where(Task.due_at >= day, Task.due_at < day + timedelta(days=1))
    return stmt  # type: ignore[no-any-return]


def before_keyset(stmt: Select[Any], after: tuple[datetime, int] | None) -> Select[Any]:
    if after is not None:
        due, tid = after
        stmt = stmt.where(or_(Task.due_at > due, and_(Task.due_at == due, Task.id > tid)))
    return stmt.order_by(Task.due_at, Task.id).limit(PAGE + 1)


def before_offset(stmt: Select[Any], offset: int) -> Select[Any]:
    return stmt.order_by(Task.due_at, Task.id).limit(PAGE + 1).offset(offset)


# --------------------------------------------------------------------------- cases


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up, not counted
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


@dataclass(frozen=True)
class Case:
    name: str
    flt: InboxFilter
    page: int


MONTH = f"SO-{NOW:%Y%m}"
RARE = "宁波华东"


def cases(deep: int) -> list[Case]:
    out = [Case("no filter", InboxFilter(), 1), Case("no filter", InboxFilter(), deep)]
    for name, flt in (
        (f"order_no prefix {MONTH}", InboxFilter(order_no=MONTH)),
        ("customer contains 华东", InboxFilter(customer="华东")),
        (f"customer contains {RARE}", InboxFilter(customer=RARE)),
        ("overdue", InboxFilter(overdue=True)),
        ("scope mine", InboxFilter(scope="mine")),
        ("scope queue", InboxFilter(scope="queue")),
    ):
        out += [Case(name, flt, 1), Case(name, flt, deep)]
    return out


#: Cases whose plans are printed: (case name, page 1 or deep).
PLANS = {
    ("no filter", True),
    ("scope queue", True),
    (f"order_no prefix {MONTH}", False),
    (f"customer contains {RARE}", False),
}


def measure(path: Path, runs: int, deep: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    engine = make_engine(f"sqlite:///{path}")
    ro = reader(engine)
    cap = Capture(engine)
    with Session(ro) as s:
        uid = s.exec(select(User.id).where(User.username == "clerk")).one()
        actor = load_actor(s, uid)
    raw = sqlite3.connect(path)

    def page(flt: InboxFilter, after: tuple[datetime, int] | None) -> InboxPage:
        with Session(ro) as s:
            return inbox(s, actor, now=NOW, tz=TZ, flt=flt, after=after, limit=PAGE)

    def captured(stmt: Select[Any]) -> Stmt:
        """The SQL and parameters SQLAlchemy sends for ``stmt`` (run once through a Session)."""
        with Session(ro) as s:
            _, stmts = cap.run(lambda: s.exec(stmt).all())  # noqa: B023
        (sql, params) = stmts[0]
        if not sql.startswith("SELECT task.id,"):  # the checks below read the id as column 0
            raise SystemExit(f"unexpected first column: {sql[:40]}")
        return sql, params

    def run_all(stmts: list[Stmt]) -> None:
        for sql, params in stmts:
            raw.execute(sql, params).fetchall()

    def fetch(stmt: Stmt) -> list[int]:
        return [r[0] for r in raw.execute(*stmt).fetchall()]

    results: list[dict[str, Any]] = []
    plans: dict[str, str] = {}
    for case in cases(deep):
        # Follow the cursor from page 1 to the case's page (timed once, as a whole walk).
        t0 = time.perf_counter()
        cursor: tuple[datetime, int] | None = None
        reached = 1
        p = page(case.flt, None)
        while reached < case.page and p.next_cursor is not None:
            cursor = p.next_cursor
            p = page(case.flt, cursor)
            reached += 1
        walk = time.perf_counter() - t0
        if case.page > 1 and reached == 1:
            continue  # a single page: already measured as page 1
        # gendan's inbox, its two statements (pick, display) on raw sqlite3, the pick alone.
        p, stmts = cap.run(lambda: page(case.flt, cursor))  # noqa: B023
        if len(stmts) != 2:
            raise SystemExit(f"{case.name}: inbox sent {len(stmts)} SELECTs, expected 2")
        pick = stmts[0]
        got = [r.task.id for r in p.rows]
        gendan_ms = median_ms(lambda: page(case.flt, cursor), runs)  # noqa: B023
        raw_ms = median_ms(lambda: run_all(stmts), runs)  # noqa: B023
        pick_ms = median_ms(lambda: raw.execute(*pick).fetchall(), runs)  # noqa: B023
        # Before the rewrite: its keyset statement, and the same with LIMIT/OFFSET.
        base = before_query(actor, case.flt)
        offset = PAGE * (reached - 1)
        old = captured(before_keyset(base, cursor))
        off = captured(before_offset(base, offset))
        before_ms = median_ms(lambda: raw.execute(*old).fetchall(), runs)  # noqa: B023
        offset_ms = (
            median_ms(lambda: raw.execute(*off).fetchall(), runs)  # noqa: B023
            if offset
            else before_ms
        )
        for label, other in (
            ("its pick statement", fetch(pick)),
            ("LIMIT/OFFSET", fetch(off)),
            ("the statement before the rewrite", fetch(old)),
        ):
            if other[:PAGE] != got:
                raise SystemExit(f"{case.name} page {reached}: {label} rows differ from inbox")
            more = len(other) > PAGE
            if more != (p.next_cursor is not None) or (more and p.next_cursor[1] != got[-1]):  # type: ignore[index]
                raise SystemExit(f"{case.name} page {reached}: {label} disagrees on the cursor")
        if (case.name, reached > 1) in PLANS:
            key = f"{case.name}, page {reached}"
            plans[f"{key}: inbox, pick"] = _plan(raw, *pick)
            if case.name == "no filter":
                plans[f"{key}: inbox, display"] = _plan(raw, *stmts[1])
                plans[f"{key}: before the rewrite (keyset)"] = _plan(raw, *old)
                plans[f"{key}: before the rewrite, LIMIT 51 OFFSET {offset}"] = _plan(raw, *off)
        results.append(
            {
                "case": case.name, "page": reached, "offset": offset, "rows": len(got),
                "gendan_ms": gendan_ms, "raw_ms": raw_ms, "pick_ms": pick_ms,
                "before_ms": before_ms, "offset_ms": offset_ms, "walk_s": walk,
            }
        )  # fmt: skip
        print(
            f"  {case.name}, page {reached}: gendan {gendan_ms:.1f} ms, its SQL {raw_ms:.2f} ms"
            f" (pick {pick_ms:.2f}), before {before_ms:.1f} ms, OFFSET {offset_ms:.1f} ms"
            f" (walk {walk:.2f} s)",
            file=sys.stderr,
        )
    raw.close()
    engine.dispose()
    return results, plans


def _plan(con: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> str:
    rows = con.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    depth: dict[int, int] = {0: 0}
    lines = []
    for node, parent, _notused, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        lines.append("    " + "  " * (depth[node] - 1) + detail)
    return "\n".join(lines)


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


def _cols(text: str) -> int:
    """Terminal columns of ``text``: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _cols(text))


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tasks", type=int, default=1_000_000, help="task rows (10 per instance)")
    ap.add_argument("--runs", type=int, default=7, help="runs per figure (median)")
    ap.add_argument("--page", type=int, default=100, help="the deep page (50 rows a page)")
    ap.add_argument("--db", type=Path, default=None, help="build here and keep; reuse if there")
    args = ap.parse_args(argv)
    info = machine()
    load_before = load()
    with tempfile.TemporaryDirectory(prefix="gendan-inbox-") as tmp:
        path = args.db or Path(tmp) / "inbox.db"
        built: dict[str, Any] | None = None
        if not path.exists():
            print(f"building {path} with {args.tasks:,} tasks ...", file=sys.stderr)
            built = build(path, args.tasks)
            print(f"  built in {built['seconds']:.1f} s", file=sys.stderr)
        else:
            print(f"reusing {path}", file=sys.stderr)
        results, plans = measure(path, max(1, args.runs), max(2, args.page))
        with sqlite3.connect(path) as con:
            n_tasks, n_open = con.execute(
                "SELECT count(*), sum(status = 'open') FROM task"
            ).fetchone()
            n_inst = con.execute("SELECT count(*) FROM instance").fetchone()[0]
            mib = path.stat().st_size / 2**20
        con.close()

    print()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    print(f"load average (1/5/15 min): {load_before} at the start, {load()} at the end")
    print(
        f"database: {n_tasks:,} tasks ({n_open:,} open), {n_inst:,} instances and orders,"
        f" {mib:.0f} MiB; no ANALYZE"
    )
    if built is not None:
        print(
            f"  built in {built['seconds']:.1f} s; clerk sees {built['clerk_open']:,} open tasks"
            f" (scope all); status {built['status']}"
        )
    print(f"user clerk, {PAGE} rows a page, median of {args.runs} runs, warm cache, ms\n")
    width = max(_cols(r["case"]) for r in results)
    print(" " * (width + 12) + "  ------ gendan.queries.inbox ------  -- before the rewrite --")
    heads = ("inbox", "its SQL", "pick", "keyset", "OFFSET")
    print(f"{'case':{width}s}  {'page':>4s}  {'rows':>4s}" + "".join(f"  {h:>9s}" for h in heads))
    for r in results:
        off = f"{r['offset_ms']:.1f}" if r["offset"] else "(same)"
        print(
            f"{_pad(r['case'], width)}  {r['page']:4d}  {r['rows']:4d}  {r['gendan_ms']:9.1f}"
            f"  {r['raw_ms']:9.2f}  {r['pick_ms']:9.2f}  {r['before_ms']:9.1f}  {off:>9s}"
        )
    walks = [r for r in results if r["page"] > 1]
    print(
        "\nfollowing the cursor from page 1 (gendan inbox, one fresh Session a page): "
        + "; ".join(f"{r['case']} to page {r['page']} {r['walk_s']:.2f} s" for r in walks)
    )
    print(
        "columns: gendan inbox (ORM, fresh Session); its two statements (pick, display) on raw"
        " sqlite3; the pick alone; the single statement before the rewrite with its keyset"
        " condition, and with LIMIT 51 OFFSET 50*(page-1) instead, on raw sqlite3"
    )
    print("\nEXPLAIN QUERY PLAN:")
    for name, plan in plans.items():
        print(f"  {name}:\n{plan}")


if __name__ == "__main__":
    main()
