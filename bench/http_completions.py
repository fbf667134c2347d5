"""HTTP completions under concurrency, with and without group commit, beside their baselines.

Run from the project folder::

    .venv/bin/python bench/http_completions.py                       # SQLite only
    .venv/bin/python bench/http_completions.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:54330/bench_groupcommit

Each round, on each backend, on two fresh databases (SQLite files; on PostgreSQL the given
database and ``<name>_b``, wiped — the name must start with ``bench``):

- order reviews started in bulk (untimed, in-process), bearer tokens issued for the demo
  clerk (one per client: the role, no login's argon2 in the timed part);
- two ``gendan serve --no-flows --workers W`` subprocesses up at once, one with group commit
  (``GENDAN_GROUP_COMMIT=1``) on one database, one with ``GENDAN_GROUP_COMMIT=0`` on the
  other; at 8, 16 and 32 concurrent HTTP clients (asyncio + httpx in this process), blocks of
  ``--block`` completions go to each server in turn, with a block of in-process
  ``complete_task`` (one ``unit_of_work`` each, sequential) between, the order rotating per
  block: ``POST /api/tasks/{id}/complete`` with ``decision=confirm`` and its form — no
  password, no signature, so argon2 stays out; completions/s (done / time in its blocks),
  p50/p95;
- raw sqlite3 / psycopg writing the same rows (``transitions.RawTransition``), 100
  completions per transaction (the batched raw rate of issue 11's anchors).

Figures are medians over the rounds. The clients share the machine's cores with the server.
Nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url
from sqlmodel import Session, select
from transitions import (
    MONDAY_10,
    RawDB,
    RawTransition,
    actor,
    machine,
    make_rt,
    pct,
    seeded_schema,
    sqlite_raw,
)

from gendan import sessions
from gendan.db import unit_of_work
from gendan.demo import order_form, step_forms
from gendan.models import Task
from gendan.runtime import Runtime
from gendan.transitions import complete_task, start_instance

PROJECT = Path(__file__).resolve().parent.parent
#: Completions sent to a fresh server before the timed runs (imports, caches, pool).
WARM_UP = 16
CONFIRM = step_forms(order_form("X", "regular", now=MONDAY_10), MONDAY_10)["confirm"]


class Backend:
    """Fresh databases of one kind: SQLite files in a folder, or one wiped PostgreSQL db."""

    def __init__(self, name: str, folder: Path, url: str | None = None) -> None:
        self.name, self.folder, self.url, self.runs = name, folder, url, 0
        if url is not None and not (make_url(url).database or "").startswith("bench"):
            raise SystemExit("the PostgreSQL database must be named bench*")

    def fresh(self) -> str:
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
        if self.url is None:
            return sqlite_raw(Path(url.split("///", 1)[1]), "NORMAL")
        return RawDB(psycopg.connect(self.conninfo(), autocommit=True), "postgresql")


# --------------------------------------------------------------------------- preparation


def prepare(url: str, counts: list[int], clients: int) -> tuple[list[list[int]], list[str]]:
    """Order reviews started in bulk (50 per transaction), their confirm tasks grouped per
    run; ``clients`` bearer tokens of the demo clerk."""
    rt = make_rt(url)
    try:
        clerk = actor(rt, "clerk")
        ids: list[int] = []
        total = sum(counts)
        for first in range(0, total, 50):
            with unit_of_work(rt.db) as s:
                for i in range(first, min(total, first + 50)):
                    inst = start_instance(
                        s, procedure="order_review", actor=clerk, now=MONDAY_10,
                        calendar=rt.calendar,
                        form_data=order_form(f"SO-H{i:06d}", "regular", now=MONDAY_10),
                    )  # fmt: skip
                    assert inst.id is not None
                    ids.append(inst.id)
        with Session(rt.db) as s:
            tasks = list(
                s.exec(
                    select(Task.id)
                    .where(Task.status == "open", Task.state == "requirements")
                    .order_by(Task.id)
                ).all()
            )
        assert len(tasks) == total
        runs, at = [], 0
        for n in counts:
            runs.append([t for t in tasks[at : at + n] if t is not None])
            at += n
        now = datetime.now(UTC)
        with unit_of_work(rt.db) as s:
            tokens = [
                sessions.issue_token(s, user_id=clerk.user_id, now=now, settings=rt.settings)
                for _ in range(clients)
            ]
        return runs, tokens
    finally:
        rt.db.dispose()


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def has_workers_option() -> bool:
    """Whether ``gendan serve`` takes ``--workers`` (issue 11's several web processes)."""
    helptext = subprocess.run([str(PROJECT / ".venv" / "bin" / "gendan"), "serve", "--help"],
                              capture_output=True, text=True, cwd=PROJECT).stdout  # fmt: skip
    return "--workers" in helptext


@contextmanager
def server(url: str, *, grouped: bool, workers: int, folder: Path) -> Iterator[str]:
    """``gendan serve --no-flows`` on a free port; yields its base URL; stopped by SIGTERM."""
    port = free_port()
    env = {
        **os.environ,
        "GENDAN_DATABASE_URL": url,
        "GENDAN_GROUP_COMMIT": "1" if grouped else "0",
        "GENDAN_SEAL_KEY_FILE": str(folder / "audit-seal.key"),
        "GENDAN_SEAL_ANCHOR": str(folder / "audit-anchor.jsonl"),
    }
    cmd = [str(PROJECT / ".venv" / "bin" / "gendan"), "serve", "--no-flows", "--port", str(port)]
    if has_workers_option():  # one web process before ``--workers`` existed
        cmd += ["--workers", str(workers)]
    log = open(folder / f"serve-{port}.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, env=env, cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/procedures", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gendan serve did not start: see {log.name}")
            time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


class Series:
    """Completions of one kind summed over its blocks: rate = done / time spent, latencies."""

    def __init__(self) -> None:
        self.done, self.wall, self.lat = 0, 0.0, []  # type: ignore[var-annotated]
        self.codes: dict[int, int] = {}

    def add(self, done: int, wall: float, lat: list[float], codes: dict[int, int]) -> None:
        self.done += done
        self.wall += wall
        self.lat += lat
        for code, n in codes.items():
            self.codes[code] = self.codes.get(code, 0) + n

    def result(self) -> dict[str, Any]:
        return {
            "per_s": self.done / self.wall,
            "p50_ms": 1000 * statistics.median(self.lat),
            "p95_ms": 1000 * pct(self.lat, 0.95),
            "codes": self.codes,
        }


async def _drive(base: str, tokens: list[str], task_ids: list[int], into: Series) -> None:
    """len(tokens) clients completing task_ids (each task once) as fast as answers come."""
    queue = list(reversed(task_ids))
    lat: list[float] = []
    codes: dict[int, int] = {}

    async def client(token: str) -> None:
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120
        ) as http:
            while queue:
                task_id = queue.pop()
                t0 = time.perf_counter()
                r = await http.post(f"/api/tasks/{task_id}/complete",
                                    json={"decision": "confirm", "form": CONFIRM})  # fmt: skip
                lat.append(time.perf_counter() - t0)
                codes[r.status_code] = codes.get(r.status_code, 0) + 1

    t0 = time.perf_counter()
    await asyncio.gather(*(client(tok) for tok in tokens))
    into.add(codes.get(200, 0), time.perf_counter() - t0, lat, codes)


def drive(base: str, tokens: list[str], task_ids: list[int], into: Series) -> None:
    asyncio.run(_drive(base, tokens, task_ids, into))


# --------------------------------------------------------------------------- baselines


def in_process(rt: Runtime, task_ids: list[int], into: Series) -> None:
    """complete_task in this process, one unit_of_work each, one after the other."""
    clerk = actor(rt, "clerk")
    lat = []
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    for task_id in task_ids:
        t1 = time.perf_counter()
        with unit_of_work(rt.db) as s:
            complete_task(s, task_id=task_id, actor=clerk, decision="confirm",
                          form_data=CONFIRM, now=now, calendar=rt.calendar)  # fmt: skip
        lat.append(time.perf_counter() - t1)
    into.add(len(task_ids), time.perf_counter() - t0, lat, {})


class _Batched(RawDB):
    """RawDB whose per-transition BEGIN/COMMIT are left out: the caller batches them."""

    def begin(self) -> None:
        pass

    def commit(self) -> None:
        pass


def raw_batched(be: Backend, n: int, per_tx: int = 100) -> dict[str, Any]:
    """The rows of n confirm transitions written raw, per_tx transitions per transaction."""
    url = be.fresh()
    ids = seeded_schema(url)
    db = be.raw(url)
    try:
        pairs = RawTransition(db, ids).setup(n, "SO-RAW")
        batched = _Batched(db.con, db.dialect)
        raw = RawTransition(batched, ids)
        t0 = time.perf_counter()
        for first in range(0, n, per_tx):
            RawDB.begin(batched)
            for tid, iid in pairs[first : first + per_tx]:
                raw.one(tid, iid)
            RawDB.commit(batched)
        wall = time.perf_counter() - t0
        return {"per_s": n / wall}
    finally:
        db.close()


# --------------------------------------------------------------------------- the run


def one_round(
    pair: tuple[Backend, Backend], args: argparse.Namespace, clients: list[int], flip: bool
) -> dict[str, dict[str, Any]]:
    """Both servers up at once (group commit on its database, one commit each on the other);
    at each client count, blocks of each series in turn with the in-process run between
    (the order rotating), so that the series meet the same load from the rest of the box."""
    be_g, be_s = pair
    url_g, url_s = be_g.fresh(), be_s.fresh()
    n_blocks = args.k // args.block
    http_runs = [WARM_UP] + [args.block] * (n_blocks * len(clients))
    in_runs = [args.n_in] * (n_blocks * len(clients))
    runs_g, tokens_g = prepare(url_g, http_runs + in_runs, max(clients))
    runs_s, tokens_s = prepare(url_s, http_runs, max(clients))
    series = {"in_process": Series()} | {
        f"{mode}-{c}": Series() for mode in ("group", "single") for c in clients
    }
    rt = make_rt(url_g)
    folder = be_g.folder
    with (
        server(url_g, grouped=True, workers=args.workers, folder=folder) as base_g,
        server(url_s, grouped=False, workers=args.workers, folder=folder) as base_s,
    ):
        drive(base_g, tokens_g[: min(clients)], runs_g[0], Series())  # warm-up, not counted
        drive(base_s, tokens_s[: min(clients)], runs_s[0], Series())
        at, at_in = 1, len(http_runs)
        for c in clients:
            for j in range(n_blocks):
                steps: list[tuple[Any, tuple[Any, ...]]] = [
                    (drive, (base_g, tokens_g[:c], runs_g[at], series[f"group-{c}"])),
                    (drive, (base_s, tokens_s[:c], runs_s[at], series[f"single-{c}"])),
                    (in_process, (rt, runs_g[at_in], series["in_process"])),
                ]
                turn = (j + flip) % len(steps)
                for run, run_args in steps[turn:] + steps[:turn]:
                    run(*run_args)
                at, at_in = at + 1, at_in + 1
            g, s = series[f"group-{c}"].result(), series[f"single-{c}"].result()
            print(f"    {be_g.name} {c:>2} clients: group {g['per_s']:5.1f} /s p50 "
                  f"{g['p50_ms']:5.0f} p95 {g['p95_ms']:5.0f} ms | single {s['per_s']:5.1f} /s"
                  f" p50 {s['p50_ms']:5.0f} p95 {s['p95_ms']:5.0f} ms | {g['codes']} "
                  f"{s['codes']}", flush=True)  # fmt: skip
    rt.db.dispose()
    out = {name: ser.result() for name, ser in series.items()}
    out["raw_batched"] = raw_batched(be_s, args.n_raw)
    print(f"    {be_g.name} in-process {out['in_process']['per_s']:.1f} /s, raw 100/tx "
          f"{out['raw_batched']['per_s']:.0f} /s", flush=True)  # fmt: skip
    return out


def report(name: str, rounds: list[dict[str, dict[str, Any]]], clients: list[int]) -> None:
    def med(key: str, field: str = "per_s") -> float:
        return statistics.median(r[key][field] for r in rounds)

    def ratio(a: str, b: str) -> float:
        return statistics.median(r[a]["per_s"] / r[b]["per_s"] for r in rounds)

    print(f"\n{name}: medians of {len(rounds)} rounds")
    print(f"  in-process complete_task (sequential): {med('in_process'):.1f} /s "
          f"(p50 {med('in_process', 'p50_ms'):.1f} ms)")  # fmt: skip
    print(f"  raw, same rows, 100 per transaction:   {med('raw_batched'):.0f} /s")
    print(
        "  clients | group commit: /s  p50 ms  p95 ms | one commit each: /s  p50 ms  p95 ms"
        " | group/single | group/in-process"
    )
    for c in clients:
        g, s = f"group-{c}", f"single-{c}"
        print(f"  {c:>7} | {med(g):16.1f} {med(g, 'p50_ms'):7.0f} {med(g, 'p95_ms'):7.0f} |"
              f" {med(s):18.1f} {med(s, 'p50_ms'):7.0f} {med(s, 'p95_ms'):7.0f} |"
              f" {ratio(g, s):12.2f} | {ratio(g, 'in_process'):16.2f}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--k", type=int, default=128, help="completions per client count and mode")
    ap.add_argument("--block", type=int, default=64, help="completions per interleaved block")
    ap.add_argument("--clients", default="8,16,32")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n-in", type=int, default=16, help="in-process completions per block")
    ap.add_argument("--n-raw", type=int, default=2000, help="raw completions (100 per tx)")
    ap.add_argument("--workers", type=int, default=1, help="gendan serve --workers")
    ap.add_argument("--database-url", default=None,
                    help="also on this PostgreSQL database (bench*) and on <it>_b")  # fmt: skip
    ap.add_argument("--skip-sqlite", action="store_true")
    args = ap.parse_args(argv)
    clients = [int(c) for c in args.clients.split(",")]
    print(f"machine: {machine()}; K={args.k} in blocks of {args.block}, clients {clients}, "
          f"workers {args.workers}, rounds {args.rounds}", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="gendan-http-") as tmp:
        folder = Path(tmp)
        pairs = [] if args.skip_sqlite else [
            (Backend("sqlite", folder), Backend("sqlite-b", folder))
        ]  # fmt: skip
        if args.database_url:
            url_b = make_url(args.database_url)
            url_b = url_b.set(database=f"{url_b.database}_b").render_as_string(False)
            pairs.append((Backend("postgresql", folder, args.database_url),
                          Backend("postgresql-b", folder, url_b)))  # fmt: skip
        results: dict[str, list[dict[str, dict[str, Any]]]] = {p[0].name: [] for p in pairs}
        for r in range(args.rounds):
            print(f"round {r + 1}", flush=True)
            for pair in pairs:
                results[pair[0].name].append(one_round(pair, args, clients, flip=r % 2 == 1))
        for pair in pairs:
            report(pair[0].name, results[pair[0].name], clients)


if __name__ == "__main__":
    main()
