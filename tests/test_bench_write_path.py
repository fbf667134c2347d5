"""The write-path benchmark compares like with like: its raw baseline writes gendan's rows.

``bench/transitions.py``'s ``RawTransition`` hand-writes the rows of one confirm; if the
engine starts writing other rows (a new table, one more e-mail), the baseline must follow or
its "same rows" figure lies. This runs a few confirms both ways on SQLite and compares what
each left in the tables. No timings are asserted.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import transitions as bench  # noqa: E402

#: (table, column) pairs whose value counts must agree after the confirms
COUNTED = (
    ("instance", "state"),
    ("task", "state || ':' || status"),
    ("timer", "level || ':' || status"),
    ("auditevent", "action"),
    ("notification", "template || ':' || channel"),
)


def _shape(path: Path) -> dict[str, dict[str, int]]:
    con = sqlite3.connect(path)
    try:
        return {
            table: dict(con.execute(f"SELECT {col}, count(*) FROM {table} GROUP BY 1").fetchall())
            for table, col in COUNTED
        }
    finally:
        con.close()


def test_raw_baseline_writes_the_rows_gendan_writes(tmp_path: Path) -> None:
    n = 2
    rt = bench.make_rt(tmp_path / "gendan.db")
    try:
        g = bench.run_gendan(rt, n)
    finally:
        rt.db.dispose()
    ids = bench.seeded_schema(f"sqlite:///{tmp_path / 'raw.db'}")
    db = bench.sqlite_raw(tmp_path / "raw.db", "NORMAL")
    try:
        bench.run_raw(db, ids, n)
    finally:
        db.close()
    gendan_rows, raw_rows = _shape(tmp_path / "gendan.db"), _shape(tmp_path / "raw.db")
    # the raw baseline's setup starts its instances without the start's audit row and e-mail
    gendan_rows["auditevent"].pop("start", None)
    gendan_rows["notification"] = {
        k: v - (n + bench.TRACED) for k, v in gendan_rows["notification"].items()
    }
    assert raw_rows == gendan_rows
    assert g["kinds"]["INSERT"] >= 1  # counted (how many statements is the engine's business)


def test_spiff_baseline_reaches_three_ready_tasks(tmp_path: Path) -> None:
    import spiff_baseline

    db = bench.sqlite_raw(tmp_path / "spiff.db", "NORMAL")
    try:
        out = spiff_baseline.run_spiff(db, 2)  # raises if a completion leaves not 3 ready
    finally:
        db.close()
    assert out["json_bytes"] > 0
