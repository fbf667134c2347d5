"""``gendan audit verify`` on a big trail: the walk before issue 11, the lean walk, in
parallel, after a seal, and the floor (read + re-hash with raw sqlite3) in the same run.

Run from the project folder::

    .venv/bin/python bench/audit_verify.py                 # 200,000 events
    .venv/bin/python bench/audit_verify.py --events 1000000 --repeat 3

Builds one SQLite file with gendan's schema and ``--events`` chained audit events shaped
like real ones (a transition with a form in ``changes``, Chinese text, a detail dict), written
in bulk with raw ``sqlite3`` (hashes by the engine's rule). Then, medians of ``--repeat``:

* **floor**: raw ``sqlite3`` reading the hashed columns and re-hashing each event (SHA-256 of
  the canonical JSON), no checks: what any verifier must pay;
* **before**: the walk as it was before issue 11 (ORM ``AuditEvent`` objects in batches of
  5,000, ``event_hash`` on each);
* **lean**: ``audit.verify`` now (Core rows, one process);
* **lean ×N**: the same with ``--workers`` processes re-hashing while the next batch is read;
* **after a seal**: ``audit.verify(full=False)`` with a seal over all but the last
  ``--new`` events (only those are re-hashed).

Timings depend on the machine; nothing asserts on them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session, select  # noqa: E402

from gendan import audit, seal  # noqa: E402
from gendan.chain_walk import FIELDS, lean_hash  # noqa: E402
from gendan.db import create_schema, make_engine  # noqa: E402
from gendan.models import GENESIS_HASH, AuditEvent  # noqa: E402

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
COLUMNS = ", ".join(FIELDS)


def build(path: Path, n: int) -> None:
    """``n`` chained events written with raw sqlite3 (the engine's hash rule)."""
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER IF EXISTS auditevent_read_only_u")
    conn.execute("DROP TRIGGER IF EXISTS auditevent_read_only_d")
    prev = GENESIS_HASH
    rows = []
    for seq in range(1, n + 1):
        at = START + timedelta(seconds=seq)
        changes = {"form": {"delivery_date": "2027-01-10", "quantity": seq % 97,
                            "remarks": "客户要求提前交货"}}  # fmt: skip
        detail = {"event": "confirm", "step_zh": "确认订单要求", "step_en": "Confirm"}
        row = (seq, at, seq % 30 or None, "王丽 (销售内勤)", "transition", seq // 7 + 1,
               seq // 3 + 1, f"SO-{seq // 7:07d}", "requirements", "review", changes,
               "", detail, prev)  # fmt: skip
        digest = lean_hash(row)
        rows.append((*row[:1], at.isoformat(), *row[2:10], json.dumps(changes,
                     ensure_ascii=False), "", json.dumps(detail, ensure_ascii=False), prev,
                     digest))  # fmt: skip
        prev = digest
        if len(rows) == 20000 or seq == n:
            conn.executemany(
                f"INSERT INTO auditevent ({COLUMNS}, hash) VALUES ({', '.join('?' * 15)})", rows
            )
            rows = []
    conn.execute("UPDATE audithead SET seq = ?, hash = ? WHERE id = 1", (n, prev))
    conn.commit()
    conn.close()


def floor(path: Path) -> int:
    conn = sqlite3.connect(path)
    count = 0
    for row in conn.execute(f"SELECT {COLUMNS}, hash FROM auditevent ORDER BY seq"):
        payload = dict(zip(FIELDS, row, strict=False))
        payload["changes"] = json.loads(payload["changes"])
        payload["detail"] = json.loads(payload["detail"])
        raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        hashlib.sha256(raw.encode("utf-8")).hexdigest()
        count += 1
    conn.close()
    return count


def before(engine: object) -> int:
    """The pre-issue-11 walk: ORM objects, ``event_hash`` each, links in order."""
    prev, expected, checked = GENESIS_HASH, 1, 0
    with Session(engine) as s:  # type: ignore[arg-type]
        while True:
            rows = s.exec(
                select(AuditEvent).where(AuditEvent.seq >= expected)
                .order_by(AuditEvent.seq).limit(5000)
            ).all()  # fmt: skip
            if not rows:
                return checked
            for ev in rows:
                assert ev.prev_hash == prev and audit.event_hash(ev) == ev.hash
                prev, expected, checked = ev.hash, expected + 1, checked + 1
            s.expunge_all()


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--new", type=int, default=10_000, help="events after the seal")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "verify.db"
        t0 = time.perf_counter()
        build(path, args.events)
        print(f"built {args.events:,} events in {time.perf_counter() - t0:.1f} s "
              f"({path.stat().st_size / 2**20:.0f} MiB)")  # fmt: skip
        engine = make_engine(f"sqlite:///{path}")
        figures = []
        secs, n = timed(lambda: floor(path), args.repeat)
        figures.append(("floor: raw sqlite3 read + re-hash", secs, n))
        secs, n = timed(lambda: before(engine), args.repeat)
        figures.append(("before: ORM objects + event_hash", secs, n))
        secs, rep = timed(lambda: audit.verify(engine), args.repeat)
        assert rep.ok, rep  # type: ignore[attr-defined]
        figures.append(("lean: audit.verify, 1 process", secs, rep.checked))  # type: ignore[attr-defined]
        secs, rep = timed(lambda: audit.verify(engine, workers=args.workers), args.repeat)
        assert rep.ok, rep  # type: ignore[attr-defined]
        figures.append((f"lean: audit.verify, {args.workers} workers", secs, rep.checked))  # type: ignore[attr-defined]
        # seal all but the last --new events, then append nothing: verify re-hashes the rest
        key = seal.init_key(Path(tmp) / "seal.key")
        trust = seal.Trust(Path(tmp) / "seal.key", Path(tmp) / "anchor.jsonl")
        conn = sqlite3.connect(path)
        keep = args.events - args.new
        head = conn.execute("SELECT hash FROM auditevent WHERE seq = ?", (keep,)).fetchone()[0]
        conn.execute("UPDATE audithead SET seq = ?, hash = ? WHERE id = 1", (keep, head))
        conn.commit()
        seal.make_seals(engine, key=key, anchor=trust.anchor, now=START)
        last = conn.execute("SELECT hash FROM auditevent ORDER BY seq DESC LIMIT 1").fetchone()[0]
        conn.execute("UPDATE audithead SET seq = ?, hash = ? WHERE id = 1", (args.events, last))
        conn.commit()
        conn.close()
        secs, rep = timed(lambda: audit.verify(engine, trust=trust, full=False), args.repeat)
        assert rep.ok and rep.walked == args.new, rep  # type: ignore[attr-defined]
        figures.append((f"after a seal: full=False ({args.new:,} new)", secs, rep.walked))  # type: ignore[attr-defined]
        base = figures[0][1]
        print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
              f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")  # fmt: skip
        print(f"{'walk':<46}{'seconds':>9}{'events/s':>12}{'× floor':>9}")
        for name, secs, n in figures:
            print(f"{name:<46}{secs:>9.2f}{n / secs:>12,.0f}{secs / base:>9.2f}")


if __name__ == "__main__":
    main()
