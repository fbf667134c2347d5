"""The inbox over HTTP: 50 logged-in clients asking GET / of the real server, 1M tasks.

Run from the project folder::

    .venv/bin/python bench/http_inbox.py                       # 1,000,000 tasks, in a temp dir
    .venv/bin/python bench/http_inbox.py --db /tmp/inbox.db    # build there, or reuse it
    .venv/bin/python bench/http_inbox.py --before 2d681fd      # also the server of that commit
    .venv/bin/python bench/http_inbox.py --growth 10000,100000 # p95 at other sizes too

The database is ``bench/inbox.py``'s (gendan's schema, the demo organisation, ``--tasks``
tasks of which 5 % open; the clerk sees ~15,000 open tasks and has closed ~240,000). The
server is a subprocess: ``gendan serve --no-flows --workers N`` when ``serve`` has
``--workers``, else ``uvicorn api.app:create_app --factory --workers N`` (the same app); with
``--before COMMIT`` that commit's tree (``git archive``) is served the same way, on the same
file, interleaved with this tree's runs. ``--clients`` clients (asyncio + httpx, one
connection and one login session each, all as ``clerk``, the worst case) ask GET / in a
closed loop, with no think time and with ``--think`` seconds between a response and the
next request; it prints p50/p95/p99 and requests/s over ``--seconds`` after a warm-up, and
the errors (not 200, or no answer in 60 s; the server's log is discarded).

Beside them, in the same run: the inbox's SQL alone on raw ``sqlite3`` (the statements
``lean_inbox`` sends, captured, median of 9), ``gendan.queries.inbox`` (ORM objects) and
``lean_inbox`` (Core rows) in-process, and one whole page request in-process with its
statement count. Nothing asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inbox import NOW, TZ, Capture, build, load, machine, median_ms  # noqa: E402

from gendan.db import make_engine, reader  # noqa: E402
from gendan.org import load_actor  # noqa: E402
from gendan.queries import inbox, lean_inbox  # noqa: E402

PROJECT = Path(__file__).resolve().parent.parent
PASSWORD = "gendan-demo"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# --------------------------------------------------------------------------- baselines


def baselines(path: Path, runs: int = 9) -> dict[str, float]:
    """The inbox's SQL on raw sqlite3, and the inbox in-process, ORM and lean (ms)."""
    engine = make_engine(f"sqlite:///{path}")
    cap = Capture(engine)
    out: dict[str, float] = {}
    with Session(reader(engine)) as s:
        actor = load_actor(s, 1)
    kw: dict[str, Any] = {"now": NOW, "tz": TZ}

    def fresh(fn: Any) -> Any:
        with Session(reader(engine)) as s:
            return fn(s, actor, **kw)

    _, stmts = cap.run(lambda: fresh(lean_inbox))
    con = sqlite3.connect(path)

    def raw() -> None:
        for sql, params in stmts:
            con.execute(sql, params).fetchall()

    out["sql raw"] = median_ms(raw, runs)
    out["inbox ORM"] = median_ms(lambda: fresh(inbox), runs)
    out["inbox lean"] = median_ms(lambda: fresh(lean_inbox), runs)
    con.close()
    engine.dispose()
    return out


def page_in_process(path: Path, runs: int = 9) -> tuple[float, int]:
    """One whole GET / through the app in-process (TestClient): median ms and statements."""
    os.environ["GENDAN_DATABASE_URL"] = f"sqlite:///{path}"
    from fastapi.testclient import TestClient

    from api.app import create_app
    from gendan.runtime import build_runtime
    from gendan.settings import get_settings

    if hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()
    rt = build_runtime()
    seen: list[str] = []
    event.listen(rt.db, "before_cursor_execute", lambda *a: seen.append(a[2]))
    client = TestClient(create_app(rt), base_url="http://127.0.0.1")
    token = CSRF.search(client.get("/login").text)
    assert token, "no CSRF token on /login"
    form = {"username": "clerk", "password": PASSWORD, "csrf_token": token.group(1), "next": "/"}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    client.get("/")
    seen.clear()
    client.get("/")
    n = sum(1 for sql in seen if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "INSERT")))
    ms = median_ms(lambda: client.get("/"), runs)
    client.close()
    rt.db.dispose()
    return ms, n


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_has_workers(tree: Path) -> bool:
    out = subprocess.run(
        [sys.executable, "-m", "gendan.cli", "serve", "--help"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )
    return "--workers" in out.stdout


def start_server(tree: Path, db: Path, workers: int) -> tuple[subprocess.Popen[bytes], str, str]:
    """The app of ``tree`` on ``db`` on a free port; returns the process, its URL and how."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "GENDAN_DATABASE_URL": f"sqlite:///{db}",
        "GENDAN_BASE_URL": f"http://127.0.0.1:{port}",
    }
    if serve_has_workers(tree):
        how = f"gendan serve --no-flows --workers {workers}"
        cmd = [sys.executable, "-m", "gendan.cli", "serve", "--no-flows", "--port", str(port)]
        cmd += ["--workers", str(workers)]
    else:
        how = f"uvicorn api.app:create_app --factory --workers {workers}"
        cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory"]
        cmd += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    proc = subprocess.Popen(
        cmd, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/login", timeout=2).status_code == 200:
                return proc, url, how
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"the server ({how}) exited with {proc.returncode}")
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"the server ({how}) did not answer in 90 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------- the clients


async def login(url: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, timeout=60)
    token = CSRF.search((await client.get("/login")).text)
    assert token, "no CSRF token on /login"
    form = {"username": "clerk", "password": PASSWORD, "csrf_token": token.group(1), "next": "/"}
    r = await client.post("/login", data=form)
    assert r.status_code == 303, (r.status_code, r.text[:200])
    return client


async def drive(
    clients: list[httpx.AsyncClient], path: str, think: float, warm: float, seconds: float
) -> dict[str, float]:
    """Each client asks ``path`` in a closed loop; latencies of requests started in the window."""
    t_start = time.perf_counter()
    t_from, t_to = t_start + warm, t_start + warm + seconds
    lat: list[float] = []
    errors = 0

    async def one(c: httpx.AsyncClient) -> None:
        nonlocal errors
        while (t0 := time.perf_counter()) < t_to:
            try:
                r = await c.get(path)
                ok = r.status_code == 200 and 'id="inbox"' in r.text
            except httpx.HTTPError:  # a timeout (60 s): counted as an error
                ok = False
            t1 = time.perf_counter()
            if not ok:
                errors += 1
            elif t0 >= t_from:
                lat.append(t1 - t0)
            if think:
                await asyncio.sleep(think)

    await asyncio.gather(*(one(c) for c in clients))
    lat.sort()
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0] if lat else 0.0] * 99
    return {
        "n": len(lat),
        "rps": len(lat) / seconds,
        "p50": 1000 * statistics.median(lat) if lat else 0.0,
        "p95": 1000 * q[94],
        "p99": 1000 * q[98],
        "errors": errors,
    }


async def http_runs(
    url: str, n_clients: int, thinks: list[float], warm: float, seconds: float
) -> list[dict[str, float]]:
    clients: list[httpx.AsyncClient] = []
    for i in range(0, n_clients, 2):  # two logins at a time: argon2 costs ~0.4 s each
        clients += await asyncio.gather(*(login(url) for _ in range(min(2, n_clients - i))))
    try:
        return [await drive(clients, "/", t, warm, seconds) for t in thinks]
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def tree_of(commit: str, into: Path) -> Path:
    """That commit's files (``git archive``), to serve the app as it was."""
    data = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=PROJECT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


# --------------------------------------------------------------------------- main


def ensure_db(path: Path, n_tasks: int) -> Path:
    if not path.exists():
        print(f"building {path} with {n_tasks:,} tasks ...", file=sys.stderr)
        built = build(path, n_tasks)
        print(f"  built in {built['seconds']:.1f} s", file=sys.stderr)
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tasks", type=int, default=1_000_000, help="task rows (10 per instance)")
    ap.add_argument("--db", type=Path, default=None, help="build here and keep; reuse if there")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--think", type=float, default=1.0, help="seconds between requests (2nd run)")
    ap.add_argument("--seconds", type=float, default=20.0, help="measured window per run")
    ap.add_argument("--warm", type=float, default=3.0, help="warm-up before the window")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="server processes")
    ap.add_argument("--before", default=None, help="also serve this commit's tree (paired)")
    ap.add_argument("--growth", default="", help="other sizes, e.g. 10000,100000 (this tree)")
    args = ap.parse_args(argv)
    thinks = [0.0, args.think]
    info = machine()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    print(f"load average at the start: {load()}")
    with tempfile.TemporaryDirectory(prefix="gendan-http-inbox-") as tmp:
        db = ensure_db(args.db or Path(tmp) / "inbox.db", args.tasks)
        trees = [("now", PROJECT)]
        if args.before:
            trees.insert(0, (f"before ({args.before})", tree_of(args.before, Path(tmp) / "before")))
        base = baselines(db)
        page_ms, page_stmts = page_in_process(db)
        print(f"\ninbox of clerk, {args.tasks:,} tasks; in-process, median of 9, ms:")
        print(f"  its SQL alone on raw sqlite3 {base['sql raw']:.2f}")
        print(f"  gendan.queries.inbox (ORM objects) {base['inbox ORM']:.2f}")
        print(f"  gendan.queries.lean_inbox (Core rows) {base['inbox lean']:.2f}")
        print(f"  whole page GET / in-process (this tree) {page_ms:.1f}, {page_stmts} statements")
        print(f"\nGET / over HTTP, {args.clients} clients, {args.seconds:.0f} s windows, ms:")
        print(f"{'server':22s} {'think':>5s} {'n':>6s} {'req/s':>7s} {'p50':>7s} {'p95':>7s}"
              f" {'p99':>7s} {'err':>4s}  how")  # fmt: skip
        for name, tree in trees:
            proc, url, how = start_server(tree, db, args.workers)
            try:
                res = asyncio.run(http_runs(url, args.clients, thinks, args.warm, args.seconds))
            finally:
                stop_server(proc)
            for t, r in zip(thinks, res, strict=True):
                print(
                    f"{name:22s} {t:5.1f} {r['n']:6.0f} {r['rps']:7.1f} {r['p50']:7.1f}"
                    f" {r['p95']:7.1f} {r['p99']:7.1f} {r['errors']:4.0f}  {how}"
                )
        for size in [int(x) for x in args.growth.split(",") if x.strip()]:
            small = ensure_db(Path(tmp) / f"inbox-{size}.db", size)
            b = baselines(small)
            proc, url, how = start_server(PROJECT, small, args.workers)
            try:
                res = asyncio.run(http_runs(url, args.clients, thinks, args.warm, args.seconds))
            finally:
                stop_server(proc)
            for t, r in zip(thinks, res, strict=True):
                print(
                    f"{f'now, {size:,} tasks':22s} {t:5.1f} {r['n']:6.0f} {r['rps']:7.1f}"
                    f" {r['p50']:7.1f} {r['p95']:7.1f} {r['p99']:7.1f} {r['errors']:4.0f}"
                    f"  SQL raw {b['sql raw']:.2f}, ORM {b['inbox ORM']:.2f},"
                    f" lean {b['inbox lean']:.2f}"
                )
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()
