"""Scale-out on one machine: a Prefect server on PostgreSQL, workers of the ``gendan`` pool
running the deployments of ``prefect.yaml``, and API processes on one gendan database.

Run from the project folder (PostgreSQL's server binaries must be installed)::

    .venv/bin/python bench/scale_out.py [--timers 10000] [--completions 400] [--clients 8]

It starts its own throwaway PostgreSQL (``bin/pg-throwaway``, port 54401 unless ``--pg-port``)
holding two databases, ``prefect`` (the Prefect server's, through asyncpg) and ``gendan``;
the Prefect server (``prefect server start``); the ``gendan`` process work pool; every
deployment of ``prefect.yaml`` with ``prefect deploy --all``; workers
(``prefect worker start --pool gendan --type process --limit 1``) and API processes
(``gendan serve --no-flows``). Then two phases, each on fresh rows:

* one API process and one worker;
* two API processes and two workers.

In each phase, logged-in clients complete ``--completions`` open tasks over HTTP (spread
over the phase's API processes), then ``--timers`` due SLA timers (bulk rows, due as of an
injected instant) are swept by two runs of the ``gendan-sla-sweep`` deployment created at
once through Prefect's API (``at`` = that instant). A worker runs one flow run at a time
(``--limit 1``): with one worker the runs go one after the other, with two they run side by
side, claiming timers with ``SKIP LOCKED``. It prints completions/s and timers/s of each
phase and checks that every completion, escalation and message happened exactly once
(audit events per task, outbox items per escalation and recipient, the audit chain intact).

Choice: the Prefect server runs with its scheduler off (``PREFECT_SERVER_SERVICES_SCHEDULER_
ENABLED=false``) because the bench counts the runs it creates; the deployments keep their
schedules as deployed. Nothing asserts on timings; ``tests/flows/test_scale_out.py`` runs
the same machinery small and asserts the counts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, func, select  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from gendan.db import make_engine, unit_of_work  # noqa: E402
from gendan.demo import DEMO_PASSWORD, Driver, order_form, seed_organisation, step_forms  # noqa: E402
from gendan.models import AuditEvent, Department, Instance, Notification, Task, Timer, User  # noqa: E402
from gendan.runtime import build_runtime  # noqa: E402
from gendan.settings import Settings  # noqa: E402
from tests.support.servers import SmsGateway, SmtpSink  # noqa: E402

BIN = Path(sys.executable).parent
#: Monday 2026-11-23 10:00 in Shanghai: the swept tasks open; their deadline is Tuesday 10:00.
OPENED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
DUE = OPENED + timedelta(days=1)
#: The injected "now" of the sweep runs: Tuesday 12:00 in Shanghai (level 1 due, level 2 not).
SWEEP_AT = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)


_T0 = time.perf_counter()


def step(what: str) -> None:
    """Progress on stderr, with the seconds since the start."""
    print(f"[{time.perf_counter() - _T0:6.1f} s] {what}", file=sys.stderr, flush=True)


def prefect_api(method: str, url: str, **kw: Any) -> httpx.Response:
    """A call to the Prefect server, patient with a busy machine (60 s, three tries)."""
    for attempt in range(3):
        try:
            r = httpx.request(method, url, timeout=60, **kw)
            r.raise_for_status()
            return r
        except (httpx.TimeoutException, httpx.ConnectError):
            if attempt == 2:
                raise
            time.sleep(2)
    raise AssertionError("unreachable")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Child:
    """A process this script started, in its own process group (so its children stop too)."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def terminate(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)

    def wait(self) -> None:
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


@dataclass
class Cluster:
    """Everything of one scale-out run, under ``workdir``; ``close()`` stops it all."""

    workdir: Path
    pg_port: int
    env: dict[str, str] = field(default_factory=dict)
    children: list[Child] = field(default_factory=list)
    workers: list[Child] = field(default_factory=list)
    apis: list[str] = field(default_factory=list)
    prefect_api: str = ""
    gendan_url: str = ""
    deployments: list[str] = field(default_factory=list)
    pg_dir: Path | None = None
    #: Loopback mail server and SMS gateway the workers deliver to (tests/support).
    sink: Any = None
    gateway: Any = None
    _pg_started: bool = False

    # --- start-up -------------------------------------------------------------------------

    def start_postgres(self) -> None:
        """A throwaway PostgreSQL with the databases ``prefect`` and ``gendan``."""
        self.sink, self.gateway = SmtpSink(), SmsGateway()
        # Its own folder right under /tmp: as root, pg-throwaway runs PostgreSQL as the
        # postgres user, who cannot enter a private parent such as pytest's tmp_path.
        self.pg_dir = Path(tempfile.mkdtemp(prefix="gendan-scale-out-pg-"))
        out = subprocess.run(
            [str(PROJECT / "bin" / "pg-throwaway"), "start", str(self.pg_dir), str(self.pg_port)],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        self._pg_started = True
        admin = create_engine(out, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("CREATE DATABASE prefect")
            conn.exec_driver_sql("CREATE DATABASE gendan")
        admin.dispose()
        base = out.rsplit("/", 1)[0]
        self.gendan_url = f"{base}/gendan"
        asyncpg_base = base.replace("postgresql+psycopg://", "postgresql+asyncpg://")
        home = self.workdir / "prefect-home"
        home.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "GENDAN_DATABASE_URL": self.gendan_url,
            "GENDAN_SEAL_KEY_FILE": str(self.workdir / "audit-seal.key"),
            "GENDAN_SEAL_ANCHOR": str(self.workdir / "audit-anchor.jsonl"),
            "GENDAN_DIR": str(PROJECT),
            "GENDAN_SMTP_URL": self.sink.url,
            "GENDAN_SMS_URL": self.gateway.url,
            "PREFECT_HOME": str(home),
            "PREFECT_API_DATABASE_CONNECTION_URL": f"{asyncpg_base}/prefect",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
            "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("PREFECT_API_URL", None)

    def prepare_gendan(self) -> None:
        """gendan's schema and the demo organisation (people who log in, heads to escalate to)."""
        rt = build_runtime(Settings(database_url=self.gendan_url))
        with unit_of_work(rt.db) as s:
            seed_organisation(s)
        rt.db.dispose()

    def start_prefect_server(self, timeout: float = 120) -> None:
        port = free_port()
        self._spawn("prefect-server", [str(BIN / "prefect"), "server", "start",
                                       "--host", "127.0.0.1", "--port", str(port)])  # fmt: skip
        self.prefect_api = f"http://127.0.0.1:{port}/api"
        self.env["PREFECT_API_URL"] = self.prefect_api
        _wait_http(f"{self.prefect_api}/health", timeout, self.children[-1])

    def create_pool(self) -> None:
        self._prefect("work-pool", "create", "gendan", "--type", "process")

    def deploy(self) -> list[str]:
        """Every deployment of ``prefect.yaml``, with ``prefect deploy --all``."""
        self._prefect("--no-prompt", "deploy", "--all")
        r = prefect_api("POST", f"{self.prefect_api}/deployments/filter", json={"limit": 200})
        self.deployments = sorted(d["name"] for d in r.json())
        return self.deployments

    def add(self, apis: int = 0, workers: int = 0) -> None:
        """Start API processes and workers side by side, then wait until each answers."""
        waits = [self._spawn_api() for _ in range(apis)]
        waits += [self._spawn_worker() for _ in range(workers)]
        self.wait_ready(waits)

    def wait_ready(self, waits: list[Any]) -> None:
        for wait in waits:
            wait()

    def _spawn_worker(self) -> Any:
        n = len(self.workers) + 1
        child = self._spawn(f"worker-{n}", [
            str(BIN / "prefect"), "worker", "start", "--pool", "gendan", "--type", "process",
            "--limit", "1", "--name", f"worker-{n}",
        ])  # fmt: skip
        self.workers.append(child)
        return lambda: _wait_for(lambda: f"worker-{n}" in self.online_workers(), 180,
                                 f"worker-{n} online", child)  # fmt: skip

    def online_workers(self) -> set[str]:
        r = prefect_api("POST", f"{self.prefect_api}/work_pools/gendan/workers/filter", json={})
        return {w["name"] for w in r.json() if w.get("status") == "ONLINE"}

    def _spawn_api(self) -> Any:
        port = free_port()
        child = self._spawn(f"api-{len(self.apis) + 1}", [
            str(BIN / "gendan"), "serve", "--no-flows", "--host", "127.0.0.1", "--port", str(port),
        ])  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        self.apis.append(url)
        return lambda: _wait_http(f"{url}/login", 180, child)

    def _spawn(self, name: str, argv: list[str]) -> Child:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                argv, cwd=PROJECT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        child = Child(name, popen, log)
        self.children.append(child)
        return child

    def _prefect(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "prefect"), *args], cwd=PROJECT, env=self.env, capture_output=True,
            text=True, timeout=300,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"prefect {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    # --- shut-down ------------------------------------------------------------------------

    def close(self) -> None:
        """SIGTERM to every process group at once, then wait for each (SIGKILL after 20 s)."""
        for child in reversed(self.children):
            child.terminate()
        for child in reversed(self.children):
            child.wait()
        for server in (self.sink, self.gateway):
            if server is not None:
                server.stop()
        if self._pg_started:
            subprocess.run([str(PROJECT / "bin" / "pg-throwaway"), "stop", str(self.pg_dir)],
                           check=False)  # fmt: skip


@contextmanager
def cluster(workdir: Path, pg_port: int, *, apis: int, workers: int) -> Iterator[Cluster]:
    """PostgreSQL, gendan's schema, the Prefect server, the deployments, ``apis`` API
    processes and ``workers`` workers (started while ``prefect deploy`` runs); stopped on exit."""
    c = Cluster(workdir=workdir, pg_port=pg_port)
    try:
        step("PostgreSQL")
        c.start_postgres()
        step("gendan schema and organisation")
        c.prepare_gendan()
        step("Prefect server")
        c.start_prefect_server()
        c.create_pool()
        step(f"{apis} API process(es), {workers} worker(s), and prefect deploy --all")
        waits = [c._spawn_api() for _ in range(apis)] + [c._spawn_worker() for _ in range(workers)]
        c.deploy()
        c.wait_ready(waits)
        yield c
    finally:
        step("stopping")
        c.close()


def _wait_http(url: str, timeout: float, child: Child) -> None:
    def up() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code < 500
        except httpx.HTTPError:
            return False

    _wait_for(up, timeout, url, child)


def _wait_for(ok: Any, timeout: float, what: str, child: Child) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        if child.popen.poll() is not None:
            raise RuntimeError(f"{child.name} exited:\n{child.log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not ready in {timeout}s:\n{child.log.read_text()[-3000:]}")
        time.sleep(0.5)


# --- the work -----------------------------------------------------------------------------


def open_review_tasks(engine_url: str, n: int, tag: str) -> list[tuple[int, dict[str, Any]]]:
    """``n`` order reviews started now; each task's id and the form that completes it."""
    rt = build_runtime(Settings(database_url=engine_url))
    now = datetime.now(UTC)
    d = Driver(rt, now)
    out = []
    for i in range(n):
        form = order_form(f"SO-{tag}-{i:05d}", "regular", now=now)
        iid = d.start("order_review", "clerk", form)
        with unit_of_work(rt.db) as s:
            tid = s.execute(
                select(Task.id).where(Task.instance_id == iid, Task.status == "open")
            ).scalar_one()
        out.append((tid, step_forms(form, now)["confirm"]))
    rt.db.dispose()
    return out


def complete_over_http(
    apis: list[str], tasks: list[tuple[int, dict[str, Any]]], clients: int
) -> dict[str, Any]:
    """``clients`` threads, each logged in (as the clerk) at one API in turn, complete the
    tasks; returns the time taken and the answers per API."""
    answers: Counter[tuple[str, int]] = Counter()
    lock = threading.Lock()
    queue = list(tasks)
    sessions = []
    for k in range(clients):
        base = apis[k % len(apis)]
        login = {"username": "clerk", "password": DEMO_PASSWORD}
        tok = httpx.post(f"{base}/api/token", json=login, timeout=120)
        tok.raise_for_status()
        headers = {"Authorization": f"Bearer {tok.json()['access_token']}"}
        sessions.append(httpx.Client(base_url=base, headers=headers, timeout=120))

    def drive(client: httpx.Client) -> None:
        while True:
            with lock:
                if not queue:
                    return
                task_id, form = queue.pop()
            r = client.post(f"/api/tasks/{task_id}/complete",
                            json={"decision": "confirm", "form": form})  # fmt: skip
            with lock:
                answers[(str(client.base_url).rstrip("/"), r.status_code)] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=drive, args=(c,)) for c in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    for c in sessions:
        c.close()
    return {"seconds": seconds, "answers": {f"{u} {s}": n for (u, s), n in answers.items()}}


def add_due_timers(engine: Engine, n: int, tag: str) -> list[int]:
    """``n`` open order-review tasks (sales clerk), each with one level-1 timer due at
    ``DUE``, written in bulk (no engine transitions); returns the task ids."""
    with unit_of_work(engine) as s:
        sales = s.execute(select(Department.id).where(Department.key == "sales")).scalar_one()
        clerk = s.execute(select(User.id).where(User.username == "clerk")).scalar_one()
        instances = [
            Instance(procedure="order_review", order_no=f"SO-{tag}-{i:05d}", state="requirements",
                     data={"order": {"order_no": f"SO-{tag}-{i:05d}"}}, created_by_id=clerk,
                     created_at=OPENED, updated_at=OPENED)
            for i in range(n)
        ]  # fmt: skip
        s.add_all(instances)
        s.flush()
        tasks = [
            Task(instance_id=inst.id, state="requirements", role="sales_clerk",  # type: ignore[arg-type]
                 department_id=sales, title_zh="与客户确认订单要求", title_en="Confirm",
                 created_at=OPENED, clock_start=OPENED, due_at=DUE, period_minutes=540,
                 chain=["head", "gm_office"])
            for inst in instances
        ]  # fmt: skip
        s.add_all(tasks)
        s.flush()
        s.add_all([Timer(task_id=t.id, level=1, due_at=DUE) for t in tasks])  # type: ignore[arg-type]
        return [t.id for t in tasks]  # type: ignore[misc]


def sweep_through_deployment(
    c: Cluster, engine: Engine, task_ids: list[int], runs: int = 2, timeout: float = 1800
) -> dict[str, Any]:
    """Create ``runs`` flow runs of ``gendan-sla-sweep`` at once (``at`` = ``SWEEP_AT``) and
    wait for them; returns the seconds until every timer had fired and until the runs ended,
    and per flow run: its worker and how many escalations it logged."""
    started = time.perf_counter()
    ids = _create_runs(c, "sla-sweep/gendan-sla-sweep", runs)
    all_fired = None

    def fired() -> None:
        nonlocal all_fired
        if all_fired is None and _pending(engine, task_ids) == 0:
            all_fired = time.perf_counter() - started

    states = _wait_runs(c, ids, timeout, fired)
    ended = time.perf_counter() - started
    fired()
    per_run = [
        {"flow_run": i, "state": states[i], "worker": _worker_of(c, i),
         "escalations": _logged_count(c.prefect_api, i, "sla sweep as of")}
        for i in ids
    ]  # fmt: skip
    return {"seconds_all_fired": all_fired, "seconds_runs_done": ended, "runs": per_run}


def deliver_through_deployment(c: Cluster, runs: int = 2, timeout: float = 900) -> dict[str, Any]:
    """``runs`` flow runs of ``gendan-deliver-notifications`` at once, as of ``SWEEP_AT``
    (so they send what the sweeps wrote), to the loopback mail server and SMS gateway."""
    started = time.perf_counter()
    ids = _create_runs(c, "deliver-notifications/gendan-deliver-notifications", runs)
    states = _wait_runs(c, ids, timeout, lambda: None)
    per_run = [
        {"flow_run": i, "state": states[i], "worker": _worker_of(c, i),
         "sent": _logged_count(c.prefect_api, i, "delivery as of")}
        for i in ids
    ]  # fmt: skip
    return {"seconds": time.perf_counter() - started, "runs": per_run}


def _create_runs(c: Cluster, deployment: str, runs: int) -> list[str]:
    dep = prefect_api("GET", f"{c.prefect_api}/deployments/name/{deployment}")
    ids = []
    for _ in range(runs):
        r = prefect_api("POST", f"{c.prefect_api}/deployments/{dep.json()['id']}/create_flow_run",
                        json={"parameters": {"at": SWEEP_AT.isoformat()}})  # fmt: skip
        ids.append(r.json()["id"])
    return ids


def _wait_runs(c: Cluster, ids: list[str], timeout: float, tick: Any) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        tick()
        states = {i: prefect_api("GET", f"{c.prefect_api}/flow_runs/{i}").json()["state_type"]
                  for i in ids}  # fmt: skip
        if all(s in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") for s in states.values()):
            return states
        if time.monotonic() > deadline:
            raise RuntimeError(f"flow runs not finished in {timeout}s: {states}")
        time.sleep(0.5)


def _pending(engine: Engine, task_ids: list[int]) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(Timer).where(
                Timer.task_id.in_(task_ids), Timer.level == 1, Timer.status == "pending"
            )
        ).scalar_one()


def _worker_of(c: Cluster, flow_run_id: str) -> str | None:
    """The worker whose log names the flow run (a worker logs each run it submits)."""
    for w in c.workers:
        if flow_run_id in w.log.read_text(errors="replace"):
            return w.name
    return None


def _logged_count(api: str, flow_run_id: str, prefix: str, timeout: float = 30) -> int | None:
    """The first count in the flow run's summary line ("sla sweep as of …: N escalation(s)",
    "delivery as of …: N sent, …"); its last logs may reach the API a little after the run's
    final state."""
    deadline = time.monotonic() + timeout
    while True:
        r = prefect_api("POST", f"{api}/logs/filter", json={
            "logs": {"flow_run_id": {"any_": [flow_run_id]}, "level": {"ge_": 20}},
            "limit": 50, "sort": "TIMESTAMP_DESC",
        })  # fmt: skip
        for row in r.json():
            msg = row["message"]
            if msg.startswith(prefix):
                return int(msg.split(": ", 1)[1].split()[0])
        if time.monotonic() > deadline:
            return None
        time.sleep(0.5)


# --- exactly once -------------------------------------------------------------------------


def check_completions(engine: Engine, task_ids: list[int]) -> dict[str, int]:
    """Each task completed once: closed, with exactly one ``transition`` audit event."""
    with engine.connect() as conn:
        events = Counter(conn.execute(
            select(AuditEvent.task_id).where(
                AuditEvent.task_id.in_(task_ids), AuditEvent.action == "transition"
            )
        ).scalars())  # fmt: skip
        still_open = conn.execute(
            select(func.count()).select_from(Task).where(
                Task.id.in_(task_ids), Task.status == "open"
            )
        ).scalar_one()  # fmt: skip
    return {
        "tasks": len(task_ids),
        "once": sum(1 for t in task_ids if events[t] == 1),
        "twice_or_more": sum(1 for t in task_ids if events[t] > 1),
        "still_open": still_open,
    }


def check_escalations(engine: Engine, task_ids: list[int]) -> dict[str, int]:
    """Each due timer fired once, with one ``escalate`` audit event; each (escalation,
    recipient, channel) is in exactly one outbox row (a digest item or a message)."""
    wanted = set(task_ids)
    with engine.connect() as conn:
        fired = conn.execute(
            select(func.count()).select_from(Timer).where(
                Timer.task_id.in_(task_ids), Timer.level == 1, Timer.status == "fired"
            )
        ).scalar_one()  # fmt: skip
        events = conn.execute(
            select(AuditEvent.task_id, AuditEvent.detail).where(
                AuditEvent.task_id.in_(task_ids), AuditEvent.action == "escalate"
            )
        ).all()  # fmt: skip
        users = {u.username: u for u in conn.execute(select(User)).all()}
        rows = conn.execute(
            select(Notification.channel, Notification.address, Notification.template,
                   Notification.context)
        ).all()  # fmt: skip
    per_task = Counter(t for t, _ in events)
    expected: Counter[tuple[int, int, str, str]] = Counter()
    for task_id, detail in events:
        for name in detail.get("recipients", []):
            u = users[name]
            for channel, address in (("email", u.email), ("sms", u.phone)):
                if address:
                    expected[(task_id, detail["level"], channel, address)] += 1
    outbox: Counter[tuple[int, int, str, str]] = Counter()
    for channel, address, template, context in rows:
        items = context.get("items", []) if template == "digest" else [context]
        for item in items:
            if item.get("task_id") in wanted:
                outbox[(item["task_id"], item.get("level"), channel, address)] += 1
    return {
        "timers": len(task_ids),
        "fired": fired,
        "escalated_once": sum(1 for t in task_ids if per_task[t] == 1),
        "escalated_twice_or_more": sum(1 for t in task_ids if per_task[t] > 1),
        "outbox_items": sum(outbox.values()),
        "outbox_items_expected": sum(expected.values()),
        "outbox_items_once": sum(1 for k in expected if outbox[k] == 1),
        "outbox_items_twice_or_more": sum(1 for k in outbox if outbox[k] > 1),
    }


def check_delivery(c: Cluster, engine: Engine) -> dict[str, int]:
    """Every outbox row the sweeps wrote so far (written as of ``SWEEP_AT``) is sent, once:
    each e-mail row's Message-ID (``<gendan.n<row id>.…>``) reached the mail server once, and
    the SMS gateway took as many messages as there are SMS rows."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Notification.id, Notification.channel, Notification.status).where(
                Notification.created_at <= SWEEP_AT
            )
        ).all()  # fmt: skip
    received = Counter(
        int(m.message["Message-ID"].split(".n", 1)[1].split(".", 1)[0])
        for m in list(c.sink.messages)
    )  # fmt: skip
    emails = [r.id for r in rows if r.channel == "email"]
    return {
        "rows": len(rows),
        "sent": sum(1 for r in rows if r.status == "sent"),
        "emails": len(emails),
        "emails_received_once": sum(1 for i in emails if received[i] == 1),
        "emails_received_twice_or_more": sum(1 for n in received.values() if n > 1),
        "sms": sum(1 for r in rows if r.channel == "sms"),
        "sms_received": len(list(c.gateway.received)),
    }


def audit_chain_intact(c: Cluster) -> bool:
    done = subprocess.run([str(BIN / "gendan"), "audit", "verify", "--full"], cwd=PROJECT,
                          env=c.env, capture_output=True, text=True)  # fmt: skip
    return done.returncode == 0


# --- one phase, the whole run ----------------------------------------------------------------


def phase(
    c: Cluster, engine: Engine, *, name: str, timers: int, completions: int, clients: int
) -> dict[str, Any]:
    """Complete ``completions`` tasks through every API process now running, then sweep
    ``timers`` due timers through two deployment runs on the workers now running."""
    step(f"phase {name}: open {completions} tasks")
    tasks = open_review_tasks(c.gendan_url, completions, f"C{name}")
    step(f"phase {name}: complete them over HTTP")
    http = complete_over_http(c.apis, tasks, clients)
    task_ids = [t for t, _ in tasks]
    step(f"phase {name}: {timers} due timers")
    swept = add_due_timers(engine, timers, f"T{name}")
    step(f"phase {name}: sweep through 2 deployment runs")
    sweep = sweep_through_deployment(c, engine, swept)
    step(f"phase {name}: delivery through 2 deployment runs")
    delivery = deliver_through_deployment(c)
    step(f"phase {name}: checks")
    return {
        "phase": name,
        "apis": len(c.apis),
        "workers": len(c.workers),
        "completions": {**http, "per_s": completions / http["seconds"],
                        "check": check_completions(engine, task_ids)},  # fmt: skip
        "sweep": {**sweep, "per_s": timers / (sweep["seconds_all_fired"] or float("inf")),
                  "check": check_escalations(engine, swept)},  # fmt: skip
        "delivery": {**delivery, "check": check_delivery(c, engine)},
    }


def run(
    workdir: Path, *, pg_port: int, timers: int, completions: int, clients: int,
    one_first: bool = True,
) -> dict[str, Any]:
    """One API process and one worker, then two of each (only the latter unless
    ``one_first``), on one cluster; returns every figure and check, the deployments that
    ``prefect deploy --all`` created and whether the audit chain is intact at the end."""
    first = 1 if one_first else 2
    with cluster(workdir, pg_port, apis=first, workers=first) as c:
        engine = make_engine(c.gendan_url)
        try:
            phases = []
            if one_first:
                phases.append(phase(c, engine, name="1", timers=timers, completions=completions,
                                    clients=clients))  # fmt: skip
                step("API process 2, worker 2")
                c.add(apis=1, workers=1)
            phases.append(phase(c, engine, name="2", timers=timers, completions=completions,
                                clients=clients))  # fmt: skip
            step("gendan audit verify --full")
            intact = audit_chain_intact(c)
        finally:
            engine.dispose()
        return {"deployments": c.deployments, "phases": phases, "audit_chain_intact": intact}


def _expected_deployments() -> list[str]:
    import yaml

    doc = yaml.safe_load((PROJECT / "prefect.yaml").read_text(encoding="utf-8"))
    return sorted(d["name"] for d in doc["deployments"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--timers", type=int, default=10_000)
    p.add_argument("--completions", type=int, default=400)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--pg-port", type=int, default=54401)
    p.add_argument("--json", type=Path, help="also write every figure and check here")
    p.add_argument("--keep", type=Path, help="keep the processes' logs in this folder")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="gendan-scale-out-") as tmp:
        workdir = a.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        result = run(workdir, pg_port=a.pg_port, timers=a.timers, completions=a.completions,
                     clients=a.clients)  # fmt: skip
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    want = _expected_deployments()
    print(f"prefect deploy --all: {len(result['deployments'])} of {len(want)} deployments "
          f"({'all' if result['deployments'] == want else 'MISSING SOME'})")  # fmt: skip
    for ph in result["phases"]:
        comp, sweep = ph["completions"], ph["sweep"]
        print(f"\n{ph['apis']} API process(es), {ph['workers']} worker(s):")
        print(f"  completions over HTTP ({a.clients} clients): {a.completions} in "
              f"{comp['seconds']:.1f} s = {comp['per_s']:.0f}/s; answers {comp['answers']}")
        print(f"    exactly once: {comp['check']}")
        print(f"  sweep of {a.timers} due timers, 2 deployment runs: all fired after "
              f"{sweep['seconds_all_fired']:.1f} s = {sweep['per_s']:.0f} timers/s "
              f"(runs done after {sweep['seconds_runs_done']:.1f} s)")
        for r in sweep["runs"]:
            print(f"    run {r['flow_run'][:8]} on {r['worker']}: {r['state']}, "
                  f"{r['escalations']} escalation(s)")
        print(f"    exactly once: {sweep['check']}")
        dl = ph["delivery"]
        print(f"  delivery, 2 deployment runs: {dl['seconds']:.1f} s; "
              + ", ".join(f"run {r['flow_run'][:8]} on {r['worker']}: {r['state']}, "
                          f"{r['sent']} sent" for r in dl["runs"]))  # fmt: skip
        print(f"    exactly once: {dl['check']}")
    print(f"\naudit chain intact (gendan audit verify --full): {result['audit_chain_intact']}")
    if a.json:
        a.json.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
