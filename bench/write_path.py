"""The engine's write path beside its baselines: issue 11's first two rows, and their growth.

Run from the project folder (the SpiffWorkflow baseline needs the ``bench`` extra)::

    .venv/bin/python bench/write_path.py                       # SQLite only
    .venv/bin/python bench/write_path.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:54330/bench_trans
    .venv/bin/python bench/write_path.py --skip-paired --growth 10000,100000,1000000 \
        --growth-dir /tmp/gendan-growth [--database-url ...] [--reuse]

Paired part: ``--rounds`` rounds (default 3); in each, on each backend, one fresh database
shared by four runs that take turns, ``--block`` completions each (interleaved, so that all
four meet the same load on a shared machine): gendan's ``complete_task`` (confirm; N starts
untimed, then N completions, one ``unit_of_work`` each), raw sqlite3 / psycopg writing the
same rows (``transitions.RawTransition``), and SpiffWorkflow completing the same-shaped
workflow and persisting its JSON (read back per completion, and kept in memory as the issue
measured). Rates are completions over the summed time of the completions themselves.
Figures are medians over the rounds; the ratio gendan / raw is the median of each round's
own ratio. Statement counts per completion are by kind (BEGIN/COMMIT not counted).

Growth part: one database per level of ``--growth`` (``growth-<level>.db`` in
``--growth-dir``; ``<db>_g<level>`` on the PostgreSQL server, created), prefilled
(``bench/prefill.py``) to that many existing instances; on it ``--rounds`` paired rounds of
gendan and raw (``--growth-n`` completions each). ``--reuse`` measures again on the
databases an earlier run filled (topped up, not rebuilt); drop the ``_g`` databases when
done.

The PostgreSQL database given by ``--database-url`` is wiped (its ``public`` schema dropped)
before every run: its name must start with ``bench``. Nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from prefill import prefill
from spiff_baseline import spiff_steps
from sqlalchemy.engine import make_url
from transitions import (
    RawDB,
    gendan_steps,
    interleave,
    kinds_text,
    machine,
    make_rt,
    raw_steps,
    seeded_schema,
    sqlite_raw,
)


class Backend:
    """Fresh databases of one kind: SQLite files in a folder, or one wiped PostgreSQL db."""

    def __init__(self, name: str, folder: Path, url: str | None = None) -> None:
        self.name, self.folder, self.url, self.runs = name, folder, url, 0
        if url is not None:
            database = make_url(url).database or ""
            if not database.startswith("bench"):
                raise SystemExit(f"{database!r}: the PostgreSQL database must be named bench*")

    def fresh(self) -> str:
        """The URL of an empty database (SQLAlchemy form)."""
        self.runs += 1
        if self.url is None:
            return f"sqlite:///{self.folder / f'{self.name}-{self.runs}.db'}"
        with psycopg.connect(self.conninfo(), autocommit=True) as con:
            con.execute("DROP SCHEMA public CASCADE")
            con.execute("CREATE SCHEMA public")
        return self.url

    def conninfo(self) -> str:
        assert self.url is not None
        return make_url(self.url).set(drivername="postgresql").render_as_string(False)

    def raw(self, url: str) -> RawDB:
        """A raw connection to url (this backend's database, or one of its growth levels)."""
        if self.url is None:
            return sqlite_raw(Path(url.split("///", 1)[1]), "NORMAL")
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
        return RawDB(psycopg.connect(conninfo, autocommit=True), "postgresql")


def round_on(be: Backend, url: str, n: int, block: int, tag: str,
             spiff: bool = True) -> dict[str, dict[str, Any]]:
    """gendan, raw and (with spiff) SpiffWorkflow on the same database, a block each in turn."""
    rt = make_rt(url)
    ids = seeded_schema(url)
    conns = [be.raw(url) for _ in range(3 if spiff else 1)]
    runs = {
        "gendan": gendan_steps(rt, n, block=block, prefix=f"SO-G{tag}"),
        "raw": raw_steps(conns[0], ids, n, block=block, prefix=f"SO-R{tag}"),
    }
    if spiff:
        runs["spiff"] = spiff_steps(conns[1], n, block=block)
        runs["spiff_mem"] = spiff_steps(conns[2], n, block=block, in_memory=True)
    try:
        return interleave(runs)
    finally:
        for con in conns:
            con.close()
        rt.db.dispose()


SERIES = ("gendan", "raw", "spiff", "spiff_mem")


def med(runs: list[dict[str, Any]], key: str = "per_s") -> float:
    return statistics.median(r[key] for r in runs)


def fmt(rate: float) -> str:
    """A rate with a decimal when it is small (a loaded machine makes them small)."""
    return f"{rate:.1f}" if rate < 10 else f"{rate:.0f}"


def spread(runs: list[dict[str, Any]]) -> str:
    rates = sorted(r["per_s"] for r in runs)
    return "/".join(fmt(x) for x in rates)


def paired(
    backends: list[Backend], n: int, rounds: int, block: int
) -> dict[str, dict[str, list[Any]]]:
    out: dict[str, dict[str, list[Any]]] = {be.name: {k: [] for k in SERIES} for be in backends}
    for r in range(rounds):
        for be in backends:
            print(f"  round {r + 1}: {be.name} ...", end="", flush=True, file=sys.stderr)
            t0 = time.perf_counter()
            res = round_on(be, be.fresh(), n, block, f"{r}")
            for key in SERIES:
                out[be.name][key].append(res[key])
            rates = ", ".join(f"{k} {fmt(res[k]['per_s'])}/s" for k in SERIES)
            print(f" {rates} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return out


def report_paired(res: dict[str, dict[str, list[Any]]], n: int, rounds: int) -> None:
    print(f"\n== complete_task beside its baselines (N = {n}, medians of {rounds} paired rounds)")
    for name, s in res.items():
        g, raw, sp, spm = s["gendan"], s["raw"], s["spiff"], s["spiff_mem"]
        ratio = statistics.median(a["per_s"] / b["per_s"] for a, b in zip(g, raw, strict=True))
        vs_spiff = statistics.median(a["per_s"] / b["per_s"] for a, b in zip(g, spm, strict=True))
        vs_spiff_db = statistics.median(a["per_s"] / b["per_s"] for a, b in zip(g, sp, strict=True))
        driver = "sqlite3" if name == "SQLite" else "psycopg"
        print(f"-- {name}")
        rows = [
            ("gendan complete_task", g,
             f"p50 {med(g, 'p50_ms'):.2f} ms, p95 {med(g, 'p95_ms'):.2f} ms"),
            (f"raw {driver}, same rows", raw, f"p50 {med(raw, 'p50_ms'):.3f} ms"),
            ("SpiffWorkflow, JSON kept in memory", spm, f"p50 {med(spm, 'p50_ms'):.3f} ms"),
            ("SpiffWorkflow, JSON read back", sp,
             f"p50 {med(sp, 'p50_ms'):.3f} ms, JSON {sp[-1]['json_bytes']} bytes"),
        ]  # fmt: skip
        for label, runs, note in rows:
            print(f"  {label:36s} {fmt(med(runs)):>7s} /s  ({spread(runs)})  {note}")
        print(f"  gendan start_instance (reference)    {fmt(med(g, 'start_per_s')):>7s} /s")
        met = "met" if ratio >= 0.5 else "NOT met"
        print(f"  gendan / raw {driver}: {ratio:.3f} (goal >= 0.5: {met})")
        if name == "SQLite":
            met = "met" if vs_spiff >= 1 else "NOT met"
            print(f"  gendan / SpiffWorkflow (in memory): {vs_spiff:.2f} (goal >= 1: {met});"
                  f" / SpiffWorkflow read back: {vs_spiff_db:.2f}")  # fmt: skip
        print(f"  statements per completion: gendan {kinds_text(g[-1]['kinds'])};"
              f" raw {kinds_text(raw[-1]['kinds'])};"
              f" Spiff {kinds_text(sp[-1]['kinds'])}")  # fmt: skip


def growth_url(be: Backend, level: int, reuse: bool) -> str:
    """The database of one growth level: growth-<level>.db, or PostgreSQL's <db>_g<level>.

    Choice: one database per level, kept with ``--reuse``, because filling a million
    instances takes minutes (about 12 on PostgreSQL here): a later run (the engine after a
    change) measures on the same rows without filling them again.
    """
    if be.url is None:
        path = be.folder / f"growth-{level}.db"
        if not reuse:
            for leftover in be.folder.glob(f"growth-{level}.db*"):
                leftover.unlink()
        return f"sqlite:///{path}"
    url = make_url(be.url)
    name = f"{url.database}_g{level}"
    with psycopg.connect(be.conninfo(), autocommit=True) as con:
        if con.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            if not reuse:
                con.execute(f'DROP DATABASE "{name}"')
                con.execute(f'CREATE DATABASE "{name}"')
        else:
            con.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(False)


def growth(
    be: Backend, levels: list[int], n: int, rounds: int, block: int, reuse: bool = False
) -> list[dict[str, Any]]:
    """At each level: prefill to it, then paired gendan / raw rounds on the same database."""
    out = []
    for level in levels:
        url = growth_url(be, level, reuse)
        ids = seeded_schema(url)
        db = be.raw(url)
        try:
            print(f"  {be.name}: prefill to {level} ...", end="", flush=True, file=sys.stderr)
            secs = prefill(db, ids, level)
            print(f" {secs:.0f} s", file=sys.stderr)
        finally:
            db.close()
        g, raw = [], []
        for r in range(rounds):
            res = round_on(be, url, n, block, f"{level}-{r}-{time.time():.0f}", spiff=False)
            g.append(res["gendan"])
            raw.append(res["raw"])
            print(f"  {be.name} {level}: round {r + 1}: gendan {fmt(g[-1]['per_s'])}/s"
                  f" (p50 {g[-1]['p50_ms']:.1f} ms), raw {fmt(raw[-1]['per_s'])}/s",
                  file=sys.stderr)  # fmt: skip
        ratio = statistics.median(a["per_s"] / b["per_s"] for a, b in zip(g, raw, strict=True))
        out.append({"level": level, "prefill_s": secs, "gendan": g, "raw": raw, "ratio": ratio})
    return out


def report_growth(name: str, rows: list[dict[str, Any]], n: int, rounds: int) -> None:
    print(f"\n== growth, {name}: complete_task with existing instances"
          f" (N = {n}, medians of {rounds})")  # fmt: skip
    print("  existing   gendan /s  p50 ms   raw /s   gendan/raw   prefill s")
    for r in rows:
        g, raw = r["gendan"], r["raw"]
        print(f"  {r['level']:>8,}  {fmt(med(g)):>9s}  {med(g, 'p50_ms'):6.2f}  {fmt(med(raw)):>7s}"
              f"   {r['ratio']:9.3f}   {r['prefill_s']:8.0f}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=500, help="completions per run (paired part)")
    ap.add_argument("--rounds", type=int, default=3, help="paired rounds (medians)")
    ap.add_argument("--block", type=int, default=50,
                    help="completions each run makes before the next run's turn")
    ap.add_argument("--database-url", default=None, help="PostgreSQL (bench* database, wiped)")
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    ap.add_argument("--growth", default="", help="existing instances, e.g. 10000,100000,1000000")
    ap.add_argument("--growth-n", type=int, default=200, help="completions per growth run")
    ap.add_argument("--skip-paired", action="store_true", help="only the growth part")
    ap.add_argument("--growth-dir", type=Path, default=None,
                    help="folder kept for the growth SQLite files (default: temporary)")
    ap.add_argument("--reuse", action="store_true",
                    help="growth: measure on the databases an earlier run filled (top up only)")
    ap.add_argument("--dir", type=Path, default=None, help="folder for the SQLite files")
    args = ap.parse_args(argv)
    levels = [int(x) for x in args.growth.split(",") if x.strip()]

    with tempfile.TemporaryDirectory(prefix="gendan-write-path-", dir=args.dir) as tmp:
        folder = Path(tmp)
        backends = [] if args.no_sqlite else [Backend("SQLite", folder)]
        if args.database_url:
            backends.append(Backend("PostgreSQL", folder, args.database_url))
        res = {} if args.skip_paired else paired(backends, args.n, args.rounds, args.block)
        if args.growth_dir is not None:
            for be in backends:
                be.folder = args.growth_dir
        grown = {be.name: growth(be, levels, args.growth_n, args.rounds, args.block, args.reuse)
                 for be in backends if levels}  # fmt: skip
    print("\nmachine: " + ", ".join(f"{k} {v}" for k, v in machine().items()))
    if res:
        report_paired(res, args.n, args.rounds)
    for name, rows in grown.items():
        report_growth(name, rows, args.growth_n, args.rounds)


if __name__ == "__main__":
    main()
