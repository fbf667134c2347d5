"""``gendan audit verify`` on a big trail: the floor (read + re-hash with the raw driver, one
process), the lean walk before the range workers, the walk now (one process and ``--workers``
processes reading their own seq ranges) and the quick walk after a seal, in the same run.

Run from the project folder::

    .venv/bin/python bench/audit_verify.py                                  # 200,000 events
    .venv/bin/python bench/audit_verify.py --events 10000 100000 1000000 --repeat 3
    .venv/bin/python bench/audit_verify.py --events 100000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:54330/postgres

For each ``--events`` size it builds a trail with gendan's schema (an SQLite file, or with
``--postgres`` a database ``bench_verify`` on that server, dropped afterwards) of chained
events shaped like real ones (a transition with a form in ``changes``, Chinese text, a detail
dict), stored as SQLAlchemy stores them and written in bulk with the raw driver (hashes by the
engine's rule). Then, interleaved (each walk once per round), medians of ``--repeat`` rounds:

* **floor**: the raw driver reading the hashed columns and re-hashing each event (decode the
  time and the JSON, SHA-256 of the canonical JSON), one process, no links checked: what any
  verifier must pay;
* **previous**: ``audit.verify`` with the lean walk as it was before the range workers
  (SQLAlchemy Core rows in keyset batches of 5,000, hashed in this process; kept here);
* **ORM** (``--orm``): the walk before issue 11 (ORM ``AuditEvent`` objects, ``event_hash``);
* **now ×1**: ``audit.verify`` (raw DBAPI rows on its own connection, one process);
* **now ×N**: ``audit.verify(workers=N)``: N processes each read and re-hash ranges of 5,000
  seqs on a connection of their own;
* **after a seal**: ``audit.verify(full=False, workers=N)`` with a seal over all but the last
  ``--new`` events (only those are re-hashed).

Each walk prints its wall time and its CPU time (this process and its worker processes):
with other work on the machine the wall time depends on the share of the cores the walk gets,
the CPU time much less. Timings depend on the machine; nothing asserts on them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, make_url, select  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from gendan import audit, seal  # noqa: E402
from gendan.chain_walk import FIELDS  # noqa: E402
from gendan.db import create_schema, make_engine  # noqa: E402
from gendan.models import GENESIS_HASH, AuditEvent  # noqa: E402

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
COLUMNS = ", ".join(FIELDS)
RANGE = 5000  # audit.verify's batch: the walk's keyset batch and a worker's range


def canonical(payload: dict[str, Any]) -> str:
    """The hash of a payload by the engine's rule (``gendan.audit.event_hash``)."""
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def events(n: int) -> Any:
    """``n`` chained events as stored: (values by FIELDS with ``at`` naive UTC and the JSON
    as SQLAlchemy writes it, hash)."""
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        at = START + timedelta(seconds=seq, microseconds=seq % 3 * 250_000)
        changes = {"form": {"delivery_date": "2027-01-10", "quantity": seq % 97,
                            "remarks": "客户要求提前交货"}}  # fmt: skip
        detail = {"event": "confirm", "step_zh": "确认订单要求", "step_en": "Confirm"}
        values = [seq, at.isoformat(), seq % 30 or None, "王丽 (销售内勤)", "transition",
                  seq // 7 + 1, seq // 3 + 1, f"SO-{seq // 7:07d}", "requirements", "review",
                  changes, "", detail, prev]  # fmt: skip
        digest = canonical(dict(zip(FIELDS, values, strict=True)))
        values[1] = at.replace(tzinfo=None)
        values[10], values[12] = json.dumps(changes), json.dumps(detail)
        yield values, digest
        prev = digest


@dataclass
class Trail:
    """A built trail: its SQLAlchemy URL and raw-driver access for the floor and the seal."""

    url: str
    path: Path | None = None  # SQLite file
    conninfo: str = ""  # psycopg

    def connect(self) -> Any:
        if self.path is not None:
            return sqlite3.connect(self.path)
        import psycopg

        return psycopg.connect(self.conninfo)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        conn = self.connect()
        try:
            mark = "?" if self.path is not None else "%s"
            cur = conn.execute(sql.replace("?", mark), params)
            row = cur.fetchone() if sql.startswith("SELECT") else None
            conn.commit()
            return row
        finally:
            conn.close()


def build_sqlite(path: Path, n: int) -> Trail:
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    rows, prev = [], GENESIS_HASH
    for values, digest in events(n):
        at = values[1].isoformat(sep=" ", timespec="microseconds")  # SQLAlchemy's format
        rows.append((*values[:1], at, *values[2:], digest))
        prev = digest
        if len(rows) == 20000:
            conn.executemany(f"INSERT INTO auditevent ({COLUMNS}, hash) VALUES "
                             f"({', '.join('?' * 15)})", rows)  # fmt: skip
            rows = []
    if rows:
        conn.executemany(f"INSERT INTO auditevent ({COLUMNS}, hash) VALUES "
                         f"({', '.join('?' * 15)})", rows)  # fmt: skip
    conn.execute("UPDATE audithead SET seq = ?, hash = ? WHERE id = 1", (n, prev))
    conn.commit()
    conn.close()
    return Trail(f"sqlite:///{path}", path=path)


def build_postgres(server: str, n: int) -> Trail:
    import psycopg

    url = make_url(server).set(database="bench_verify")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql('DROP DATABASE IF EXISTS "bench_verify" WITH (FORCE)')
        conn.exec_driver_sql('CREATE DATABASE "bench_verify"')
    admin.dispose()
    engine = make_engine(url.render_as_string(hide_password=False))
    create_schema(engine)
    engine.dispose()
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    prev = GENESIS_HASH
    with psycopg.connect(conninfo) as conn:
        with conn.cursor().copy(f"COPY auditevent ({COLUMNS}, hash) FROM STDIN") as copy:
            for values, digest in events(n):
                copy.write_row((*values, digest))
                prev = digest
        conn.execute("UPDATE audithead SET seq = %s, hash = %s WHERE id = 1", (n, prev))
        conn.execute("ANALYZE auditevent")
    return Trail(url.render_as_string(hide_password=False), conninfo=conninfo)


def drop_postgres(server: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql('DROP DATABASE IF EXISTS "bench_verify" WITH (FORCE)')
    admin.dispose()


def floor(trail: Trail) -> int:
    """Raw driver: read the hashed columns, decode, re-hash; count the hashes that match."""
    conn = trail.connect()
    cols = COLUMNS if trail.path else COLUMNS.replace("changes", "changes::text").replace(
        "detail", "detail::text")  # fmt: skip
    cur = conn.cursor()
    cur.execute(f"SELECT {cols}, hash FROM auditevent ORDER BY seq")
    good = 0
    while batch := cur.fetchmany(RANGE):
        for row in batch:
            payload = dict(zip(FIELDS, row, strict=False))
            at = payload["at"]
            at = datetime.fromisoformat(at) if isinstance(at, str) else at
            payload["at"] = at.replace(tzinfo=UTC).isoformat()
            payload["changes"] = json.loads(payload["changes"])
            payload["detail"] = json.loads(payload["detail"])
            good += canonical(payload) == row[-1]
    conn.close()
    return good


class PreviousWalk:
    """``gendan.chain_walk`` as it was before the range workers (commit 3444257): SQLAlchemy
    Core rows in keyset batches, ``dict(zip(...))`` and ``json.dumps`` per event, hashed in
    this process. ``audit.verify`` runs with it in place of the module (:func:`previous`)."""

    SEQ, PREV, HASH = 0, len(FIELDS) - 1, len(FIELDS)
    _table = AuditEvent.__table__  # type: ignore[attr-defined]
    _columns = list(map(_table.c.__getitem__, (*FIELDS, "hash")))

    @staticmethod
    def lean_hash(row: tuple[Any, ...]) -> str:
        payload = dict(zip(FIELDS, row, strict=False))
        at: datetime = payload["at"]
        payload["at"] = at.astimezone(UTC).isoformat() if at.tzinfo else at.isoformat()
        return canonical(payload)

    @classmethod
    def batches(cls, session: Session, *, start: int, size: int) -> Any:
        after = start - 1
        while True:
            rows = [
                tuple(r)
                for r in session.execute(
                    select(*cls._columns)
                    .where(cls._table.c.seq > after)
                    .order_by(cls._table.c.seq)
                    .limit(size)
                )
            ]
            if not rows:
                return
            yield rows
            after = rows[-1][cls.SEQ]

    @classmethod
    def with_hashes(cls, source: Any, *, workers: int) -> Any:
        for rows in source:
            yield rows, [cls.lean_hash(r) for r in rows]


def previous(engine: Engine) -> int:
    """``audit.verify`` with the lean walk before the range workers (one process)."""
    current, audit.walk_chain = audit.walk_chain, PreviousWalk  # type: ignore[assignment]
    try:
        report = audit.verify(engine)
    finally:
        audit.walk_chain = current
    assert report.ok, report
    return report.checked


def orm(engine: Engine) -> int:
    """The walk before issue 11: ORM objects, ``event_hash`` each, links in order."""
    prev, expected, checked = GENESIS_HASH, 1, 0
    with Session(engine) as s:
        while rows := s.scalars(select(AuditEvent).where(AuditEvent.seq >= expected)
                                .order_by(AuditEvent.seq).limit(RANGE)).all():  # fmt: skip
            for ev in rows:
                assert ev.prev_hash == prev and audit.event_hash(ev) == ev.hash
                prev, expected, checked = ev.hash, expected + 1, checked + 1
            s.expunge_all()
    return checked


def cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)  # fmt: skip
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def rounds(walks: dict[str, Callable[[], int]], repeat: int) -> dict[str, tuple[float, float, int]]:
    """Each walk once per round, ``repeat`` rounds: median wall and CPU seconds, events."""
    wall: dict[str, list[float]] = {k: [] for k in walks}
    used: dict[str, list[float]] = {k: [] for k in walks}
    count: dict[str, int] = {}
    for _ in range(repeat):
        for name, walk in walks.items():
            c0, t0 = cpu(), time.perf_counter()
            count[name] = walk()
            wall[name].append(time.perf_counter() - t0)
            used[name].append(cpu() - c0)
            print(f"  {name}: {wall[name][-1]:.2f} s, CPU {used[name][-1]:.2f} s",
                  file=sys.stderr, flush=True)  # fmt: skip
    return {k: (statistics.median(wall[k]), statistics.median(used[k]), count[k]) for k in walks}


def seal_all_but(trail: Trail, engine: Engine, tmp: Path, n: int, new: int) -> seal.Trust:
    """A seal over events 1..n-new (the head moved back for it, then forward again)."""
    key = seal.init_key(tmp / "seal.key")
    trust = seal.Trust(tmp / "seal.key", tmp / "anchor.jsonl")
    keep = n - new
    head = trail.execute("SELECT hash FROM auditevent WHERE seq = ?", (keep,))[0]
    trail.execute("UPDATE audithead SET seq = ?, hash = ? WHERE id = 1", (keep, head))
    seal.make_seals(engine, key=key, anchor=trust.anchor, now=START)
    last = trail.execute("SELECT hash FROM auditevent WHERE seq = ?", (n,))[0]
    trail.execute("UPDATE audithead SET seq = ?, hash = ? WHERE id = 1", (n, last))
    return trust


def measure(trail: Trail, n: int, args: argparse.Namespace, tmp: Path) -> None:
    engine = make_engine(trail.url)
    walks: dict[str, Callable[[], int]] = {
        "floor: raw driver read + re-hash, 1 process": lambda: floor(trail),
        "previous: lean Core walk (verify), 1 process": lambda: previous(engine),
    }
    if args.orm:
        walks["before issue 11: ORM walk"] = lambda: orm(engine)

    def now(workers: int) -> Callable[[], int]:
        def walk() -> int:
            report = audit.verify(engine, workers=workers)
            assert report.ok, report
            return report.checked

        return walk

    walks["now: audit.verify, 1 process"] = now(1)
    walks[f"now: audit.verify, {args.workers} workers"] = now(args.workers)
    figures = rounds(walks, args.repeat)
    if n > args.new:
        trust = seal_all_but(trail, engine, tmp, n, args.new)

        def quick() -> int:
            report = audit.verify(engine, trust=trust, full=False, workers=args.workers)
            assert report.ok and report.walked == args.new, report
            return report.walked

        figures |= rounds({f"after a seal: {args.new:,} new, {args.workers} workers": quick},
                          args.repeat)  # fmt: skip
    engine.dispose()
    base_wall, base_cpu, _ = next(iter(figures.values()))
    print(f"\n{n:,} events, {'SQLite' if trail.path else 'PostgreSQL'}, medians of "
          f"{args.repeat} interleaved rounds")  # fmt: skip
    print(f"{'walk':<48}{'wall s':>8}{'CPU s':>8}{'events/s':>11}{'× floor':>9}{'CPU×':>7}")
    for name, (secs, used, count) in figures.items():
        print(f"{name:<48}{secs:>8.2f}{used:>8.2f}{count / secs:>11,.0f}"
              f"{secs / base_wall:>9.2f}{used / base_cpu:>7.2f}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, nargs="+", default=[200_000])
    ap.add_argument("--new", type=int, default=10_000, help="events after the seal")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--orm", action="store_true", help="also the ORM walk before issue 11")
    ap.add_argument("--postgres", default="", help="a PostgreSQL server URL (SQLAlchemy form)")
    args = ap.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"load average {os.getloadavg()[0]:.1f} at the start")  # fmt: skip
    for n in args.events:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            if args.postgres:
                trail = build_postgres(args.postgres, n)
            else:
                trail = build_sqlite(Path(tmp) / "verify.db", n)
            print(f"\nbuilt {n:,} events in {time.perf_counter() - t0:.1f} s")
            try:
                measure(trail, n, args, Path(tmp))
            finally:
                if args.postgres:
                    drop_postgres(args.postgres)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
