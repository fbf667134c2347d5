"""The ``gendan`` command: the composition root that wires engine, API and flows together.

``gendan up`` is the one command a new user needs: schema, demo data, the web
app and the scheduled flows on one machine. The other commands are the
operator's tools (one sweep or delivery "as of" a moment, audit verification).

The API, the flows and Prefect are imported inside the commands that use them:
``import prefect`` alone costs about a second, and ``gendan audit verify``
should not pay for it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from gendan.runtime import Runtime, build_runtime
from gendan.settings import PROJECT_DIR

app = typer.Typer(
    name="gendan",
    help="跟单 gendan — order-to-delivery procedures for factories.",
    no_args_is_help=True,
    add_completion=False,
)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
keys_app = typer.Typer(help="The key that signs the audit trail's seals.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
jobs_app = typer.Typer(help="Automatic steps (jobs) of the procedures.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
from gendan.cli_schedules import schedules_app  # noqa: E402 - its commands live there

app.add_typer(schedules_app, name="schedules")

#: How long ``gendan serve`` waits for its local Prefect server to answer (it needs ~13 s).
PREFECT_START_TIMEOUT = 90.0

HostOpt = Annotated[str, typer.Option(help="Address the web app listens on.")]
PortOpt = Annotated[int, typer.Option(help="Port of the web app.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        help="Web worker processes sharing the port (default: one per CPU). "
        "They never import Prefect; the flows run in the Prefect server's process.",
        show_default=False,
    ),
]
NoFlowsOpt = Annotated[
    bool,
    typer.Option("--no-flows", help="Web app only: no Prefect server, no scheduled flows."),
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Act as of this instant (ISO 8601). Without offset: company local time. "
        "Later than now only on a demo database, or with --replay.",
    ),
]
ReplayOpt = Annotated[
    bool,
    typer.Option(
        "--replay",
        help="Allow --at later than now on a database with real data (a replay on a copy: "
        "its audit trail will hold events dated then).",
    ),
]


# --- demo --------------------------------------------------------------------------------


@app.command()
def demo() -> None:
    """Create the schema and load the demo company (only into an empty database)."""
    _demo(build_runtime())


def _demo(rt: Runtime) -> None:
    from sqlmodel import Session, select

    _ensure_seal_key(rt)

    from gendan.demo import DEMO_PASSWORD, load_demo
    from gendan.models import Department

    with Session(rt.db) as s:
        empty = s.exec(select(Department)).first() is None
    logins = load_demo(rt)
    if empty:
        from sqlalchemy import func

        from gendan.models import Order

        with Session(rt.db) as s:
            orders = s.exec(select(func.count()).select_from(Order)).one()
        typer.echo(f"Demo company loaded: departments, people, {orders} orders at various stages.")
    else:
        typer.echo("The database already has data; demo data not loaded (logins may differ).")
    typer.echo("")
    rows = [("username", "name", "roles")] + [(x.username, x.display_name, x.roles) for x in logins]
    widths = [max(_width(r[i]) for r in rows) for i in range(2)]
    for i, (user, name, roles) in enumerate(rows):
        typer.echo(f"  {_pad(user, widths[0])}  {_pad(name, widths[1])}  {roles}")
        if i == 0:
            typer.echo(f"  {'-' * widths[0]}  {'-' * widths[1]}  {'-' * 5}")
    typer.echo("")
    typer.echo(f"Password for every demo login: {DEMO_PASSWORD}")
    typer.echo(f"Open: {rt.settings.base_url}")


def _width(text: str) -> int:
    """Terminal columns of ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


# --- import master data ------------------------------------------------------------------


@app.command("import")
def import_master(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX file.")],
    kind: Annotated[
        str | None,
        typer.Option(
            help="customers, lines, teams, settings, items, suppliers, prices, subcontractors, "
            "bom or stock (default: from the file name)."
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
    user: Annotated[str, typer.Option("--as", help="Who imports (audited).")] = "admin",
) -> None:
    """Import master data from CSV/XLSX: every bad row is listed and nothing is written."""
    from sqlmodel import select

    from gendan import masterdata
    from gendan.db import unit_of_work, utcnow
    from gendan.models import User
    from gendan.org import load_actor

    what = kind or masterdata.kind_of_file(file.name)
    if what not in masterdata.KINDS:
        typer.echo(f"say what {file.name} holds: --kind {'|'.join(masterdata.KINDS)}", err=True)
        raise typer.Exit(2)
    rt = build_runtime()
    with unit_of_work(rt.db) as s:
        person = s.exec(select(User).where(User.username == user)).first()
        if person is None or person.id is None:
            typer.echo(f"no user {user}", err=True)
            raise typer.Exit(2)
        report = masterdata.import_file(
            s,
            kind=what,
            file_name=file.name,
            content=file.read_bytes(),
            actor=load_actor(s, person.id),
            now=utcnow(),
            dry_run=dry_run,
            calendar=rt.calendar,
            progress=_ImportProgress(),
        )
    for line in masterdata.report_lines(report):
        typer.echo(line)
    if report.errors:
        raise typer.Exit(1)


class _ImportProgress:
    """A progress bar on stderr while a large file's rows are written (from 200 rows)."""

    FROM_ROWS = 200

    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if total < self.FROM_ROWS:
            return
        if self.bar is None:
            label = f"{phase} {total} rows / 写入 {total} 行"
            self.bar = typer.progressbar(length=total, label=label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(1)
        if done == total:
            self.bar.__exit__(None, None, None)
            self.bar = None


# --- migrate -----------------------------------------------------------------------------


@app.command()
def migrate() -> None:
    """Bring the database to the current schema (Alembic): fresh, release 0.1, or older."""
    from gendan import migrate as migrations
    from gendan.db import make_engine
    from gendan.settings import Settings

    engine = make_engine(Settings().database_url)  # not build_runtime: it would upgrade first
    was = migrations.upgrade(engine)
    now = migrations.current(engine)
    typer.echo(f"schema at {now} (was {was or 'empty: created at head'})")
    engine.dispose()


# --- sweep / deliver ---------------------------------------------------------------------


@app.command()
def sweep(at: AtOpt = None, replay: ReplayOpt = False) -> None:
    """Run one SLA sweep now (or as of --at): escalate every due timer, print each."""
    from gendan.escalation import LEVEL_NAMES, escalate_due

    rt = build_runtime()
    now = _instant(at, rt, replay=replay)
    done = escalate_due(rt, now=now)
    for esc in done:
        who = ", ".join(esc.recipients) or "(nobody)"
        typer.echo(
            f"task {esc.task_id}  level {esc.level} ({LEVEL_NAMES.get(esc.level, '?')})  "
            f"order {esc.order_no}  -> {who}"
        )
    local = now.astimezone(ZoneInfo(rt.settings.timezone)).strftime("%Y-%m-%d %H:%M %Z")
    typer.echo(f"{len(done)} escalation(s) as of {local}")


@jobs_app.command("run")
def jobs_run(at: AtOpt = None, replay: ReplayOpt = False) -> None:
    """Run every automatic step due now (or as of --at) once and print each attempt."""
    from gendan.jobs import run_due

    rt = build_runtime()
    runs = run_due(rt, now=_instant(at, rt, replay=replay))
    for run in runs:
        what = run.event or run.error or ""
        typer.echo(
            f"job {run.job_id} {run.job}  instance {run.instance_id}  "
            f"attempt {run.attempt}: {run.outcome}  {what}"
        )
    typer.echo(f"{len(runs)} automatic step attempt(s)")


@app.command()
def deliver(at: AtOpt = None, replay: ReplayOpt = False) -> None:
    """Deliver the notification outbox once now (or as of --at) and print the counts."""
    from flows.delivery import deliver_pending

    rt = build_runtime()
    report = deliver_pending(rt, now=_instant(at, rt, replay=replay))
    typer.echo(f"sent {report.sent}, failed {report.failed}, postponed {report.postponed}")


def _instant(at: str | None, rt: Runtime, *, replay: bool = False) -> datetime:
    """The instant to act as of; later than now is refused on real data without --replay
    (``gendan.replay``: the trail never holds future events), exit 1."""
    from flows.common import as_of
    from gendan.db import utcnow
    from gendan.replay import future_refusal

    try:
        instant = as_of(at, rt.settings.timezone)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--at") from exc
    refusal = future_refusal(rt.db, instant, utcnow(), replay=replay) if at else None
    if refusal:
        raise _fail(refusal)
    return instant


# --- audit -------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(
    full: bool = typer.Option(
        False, "--full", help="Re-hash every event, also those the last seal covers."
    ),
    workers: int = typer.Option(
        0,
        "--workers",
        help="Processes each reading and re-hashing their own ranges of the chain "
        "(0, the default: one per CPU; 1: this process alone).",
    ),
) -> None:
    """Check the chain, every seal's signature and the anchor; record the result.

    With seals, only the events after the last seal are re-hashed (its last event must
    still match the seal); ``--full`` walks the whole chain. Exit 1 naming the first broken
    event (or the seal or anchor problem).
    """
    from gendan.audit import verify_and_record
    from gendan.db import utcnow
    from gendan.seal import trust_from

    rt = build_runtime()
    report = verify_and_record(
        rt.db, now=utcnow(), trust=trust_from(rt.settings), full=full,
        workers=workers or os.cpu_count() or 1,
    )  # fmt: skip
    _print_report(report, rt)
    if not report.ok:
        raise typer.Exit(code=1)


@audit_app.command("seal")
def audit_seal() -> None:
    """Verify, then seal every event not yet sealed (database and anchor file)."""
    from gendan.audit import verify_seal_and_record
    from gendan.db import utcnow
    from gendan.seal import key_path

    rt = build_runtime()
    if not key_path(rt.settings).exists():
        raise _fail(f"no seal key at {key_path(rt.settings)}: run `gendan keys init` first")
    report = verify_seal_and_record(rt.settings, rt.db, now=utcnow())
    _print_report(report, rt)
    if not report.ok:
        typer.echo("nothing sealed: the chain is not intact", err=True)
        raise typer.Exit(code=1)


def _print_report(report: object, rt: Runtime) -> None:
    from gendan.audit import ChainReport
    from gendan.seal import anchor_path

    assert isinstance(report, ChainReport)
    if report.first_broken_seq is not None:
        typer.echo(
            f"audit chain BROKEN at event {report.first_broken_seq}: {report.problem} "
            f"({report.checked} events before it are intact)",
            err=True,
        )
    elif report.ok:
        typer.echo(f"audit chain intact: {report.checked} events")
        if not report.full:
            typer.echo(
                f"re-hashed the {report.walked} events after seal #{report.sealed_seq}; "
                "the sealed ones are covered by the seal's signature (--full re-hashes all)"
            )
    else:
        typer.echo(f"audit chain intact: {report.checked} events, but the seals are not:", err=True)
    for problem in report.problems[1 if report.first_broken_seq is not None else 0 :]:
        typer.echo(f"  {problem}", err=True)
    if report.sealed_seq is not None and report.sealed_at is not None:
        at = report.sealed_at.astimezone(ZoneInfo(rt.settings.timezone)).strftime(
            "%Y-%m-%d %H:%M %Z"
        )
        anchor = "matches" if report.anchor_ok else "DOES NOT MATCH"
        typer.echo(
            f"sealed up to event {report.sealed_seq} at {at} ({report.seals} seals); "
            f"anchor {anchor}: {anchor_path(rt.settings)}"
        )
    else:
        typer.echo("no seals yet")
    if report.unsealed:
        typer.echo(f"not yet sealed: {report.unsealed} events")


# --- keys --------------------------------------------------------------------------------


@keys_app.command("init")
def keys_init() -> None:
    """Create the seal key file (GENDAN_SEAL_KEY_FILE); refuses to overwrite one."""
    from gendan.seal import SealError, init_key, key_id, key_path, public_b64
    from gendan.settings import get_settings

    path = key_path(get_settings())
    try:
        key = init_key(path)
    except SealError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"seal key written to {path} (key id {key_id(key.public_key())})")
    typer.echo(f"public key: {public_b64(key.public_key())}")
    typer.echo("Back up this file and the anchor file off this machine.")


def _ensure_seal_key(rt: Runtime) -> None:
    """``up`` and ``demo`` make the seal key if there is none, so two commands still start."""
    from gendan.seal import init_key, key_id, key_path

    path = key_path(rt.settings)
    if not path.exists():
        key = init_key(path)
        typer.echo(f"Seal key created: {path} (key id {key_id(key.public_key())})")


# --- serve / up --------------------------------------------------------------------------


@app.command()
def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    no_flows: NoFlowsOpt = False,
    workers: WorkersOpt = None,
) -> None:
    """Run the web app and the scheduled flows (SLA sweep, notification delivery)."""
    rt = build_runtime()
    sock = _bind(host, port)
    _use_public_url(rt, host, sock)
    _serve(rt, sock, flows=not no_flows, workers=_workers(workers))


@app.command()
def up(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    no_flows: NoFlowsOpt = False,
    workers: WorkersOpt = None,
) -> None:
    """One-command start: schema, demo data if the database is empty, logins, then serve."""
    rt = build_runtime()
    sock = _bind(host, port)
    _use_public_url(rt, host, sock)  # before the demo prints where to open it
    _in_child(rt, _demo)
    typer.echo("")
    _serve(rt, sock, flows=not no_flows, workers=_workers(workers))


def _in_child(rt: Runtime, work: Any) -> None:
    """``work(rt)`` in a forked child, waited for: what it allocates (the demo's thousands of
    ORM objects) goes back to the system when the child exits, instead of staying in the
    heap of the server (and of every web worker forked from it) for good."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 1
        try:
            _end_with_parent()
            rt.db.dispose(close=False)  # the pooled connections stay the parent's
            work(rt)
            code = 0
        except typer.Exit as exc:
            code = exc.exit_code
        except BaseException:  # noqa: BLE001 - report, then leave without the parent's code
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if code := os.waitstatus_to_exitcode(status):
        raise typer.Exit(code if code > 0 else 1)


def _workers(workers: int | None) -> int:
    """``--workers``: at least one; by default one per CPU."""
    if workers is not None and workers < 1:
        raise _fail("--workers must be at least 1")
    return workers or os.cpu_count() or 1


def _bind(host: str, port: int) -> socket.socket:
    """The web app's listening socket, bound now: its real port (``--port 0``: any free one)
    is known before the app and the links are made, and a port in use is a clear error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise _fail(f"the web app cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def public_url(host: str, port: int) -> str:
    """Where this server answers, as a link: the host it listens on and its real port.

    Choice: listening on every interface (0.0.0.0, ::), links name the loopback address,
    because the name others reach this machine by cannot be guessed reliably (and a guessed
    non-loopback http:// address would switch on Secure cookies); the start-up message asks
    for GENDAN_BASE_URL then.
    """
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def _use_public_url(rt: Runtime, host: str, sock: socket.socket) -> None:
    """Links in mail, SMS and acknowledgements use this server's real URL, unless
    GENDAN_BASE_URL (environment or .env) names another; flow runs inherit it."""
    settings = rt.settings
    if "base_url" in settings.model_fields_set:
        return
    settings.base_url = public_url(host, sock.getsockname()[1])
    os.environ["GENDAN_BASE_URL"] = settings.base_url


def _serve(rt: Runtime, sock: socket.socket, *, flows: bool, workers: int = 1) -> None:
    """Serve until SIGTERM or SIGINT; the web workers and the flows' process are stopped
    whatever happens.

    The process model: this process serves the web app in a thread and forks ``workers - 1``
    more web processes on the same socket (``_fork_web_workers``); the local Prefect server
    and every flow run live in one child process (``flows.host``), so no web process imports
    Prefect. The signal handlers are in place before anything starts, so a stop during the
    Prefect server's start-up (~13 s) also ends in the ``finally`` that stops it.
    """
    import uvicorn

    from api.app import create_app

    _cap_malloc_arenas()
    # Prefect reads its settings when first imported: the flows' process inherits these.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    os.environ.setdefault("PREFECT_HOME", str(PROJECT_DIR / "var" / "prefect"))

    settings = rt.settings
    host, port = sock.getsockname()[:2]
    flows_proc: subprocess.Popen[bytes] | None = None
    embedded = flows and not settings.prefect_api_url
    web_app = create_app(rt)
    server = uvicorn.Server(uvicorn.Config(web_app, log_level="info"))
    web = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="gendan-web", daemon=True
    )
    web_pids: list[int] = []
    with _sigterm_as_interrupt():
        try:
            if embedded:
                # Start it first: it needs ~13 s, during which the web app can already answer.
                flows_proc, log_path = _start_prefect_server(
                    settings.prefect_port,
                    sweep_interval=settings.sweep_interval,
                    delivery_interval=settings.delivery_interval,
                )
            web_pids = _fork_web_workers(rt, web_app, sock, workers - 1)  # before any thread
            web.start()
            _wait_for_web(server, web, host, port)
            typer.echo(f"gendan is running at {public_url(host, port)}")
            typer.echo(f"Links in messages use {settings.base_url}")
            if web_pids:
                typer.echo(f"Web workers: {workers} processes (pids {os.getpid()}, "
                           f"{', '.join(map(str, web_pids))})")  # fmt: skip
            if host in ("", "0.0.0.0", "::") and "GENDAN_BASE_URL" not in os.environ:
                typer.echo("Set GENDAN_BASE_URL to the address people open.")  # pragma: no cover
            if not flows:
                typer.echo("Scheduled flows are off (--no-flows). Press Ctrl+C to stop.")
                web.join()
                return
            if flows_proc is not None:
                api_url = _wait_for_prefect(flows_proc, settings.prefect_port, log_path)
                typer.echo(f"Prefect UI (flow runs): {api_url.removesuffix('/api')}")
            else:
                flows_proc = _start_flows(settings.prefect_api_url.rstrip("/"), settings)
            typer.echo(
                f"Serving flows: sla-sweep every {settings.sweep_interval}s, "
                f"deliver-notifications every {settings.delivery_interval}s, "
                "automatic-steps every 30s. "
                "Press Ctrl+C to stop."
            )
            _watch(web, flows_proc)
        except KeyboardInterrupt:
            pass
        finally:
            _shut_down(server, web, flows_proc, web_pids=web_pids, embedded=embedded)
            sock.close()


def _shut_down(
    server: object,
    web: threading.Thread,
    prefect_proc: subprocess.Popen[bytes] | None,
    *,
    web_pids: list[int] | None = None,
    embedded: bool = True,
) -> None:
    """Stop the web workers, the web app and the flows' process (with the Prefect server); a
    second Ctrl+C or SIGTERM meanwhile is ignored, so the clean-up (at most ~35 s) is never
    cut short and leaves no child behind."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.should_exit = True  # type: ignore[attr-defined]
        _stop_web_workers(web_pids or [])
        if web.is_alive():
            web.join(timeout=15)
        if prefect_proc is not None:
            _stop_process(prefect_proc)
            typer.echo("Prefect server stopped." if embedded else "Flows stopped.")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve_flows(api_url: str, sweep_interval: int, delivery_interval: int) -> None:
    """Serve the deployments with Prefect's ``serve()`` (a fresh interpreter per flow run).

    ``gendan serve`` no longer uses this: it runs the flows in one long-lived process
    (``flows.host``). Kept for whoever wants Prefect's own runner.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.serve import serve_flows

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        try:
            serve_flows(sweep_interval, delivery_interval)
        except SystemExit:
            pass


def _fork_web_workers(rt: Runtime, web_app: object, sock: socket.socket, count: int) -> list[int]:
    """``count`` more web processes serving ``web_app`` on the same listening socket.

    Choice: fork, not uvicorn's spawned workers, because forked workers share the code and
    templates this process already loaded (copy-on-write; ``gc.freeze`` keeps the collector
    from writing to those pages), where each spawned one imports everything again (~100 MB).
    Forked before any thread starts; each worker makes its own database connections.
    """
    import gc

    if count < 1:
        return []
    gc.collect()
    gc.freeze()
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's coverage is not collected
            _web_worker(rt, web_app, sock)
        pids.append(pid)
    return pids


def _web_worker(rt: Runtime, web_app: object, sock: socket.socket) -> None:  # pragma: no cover
    """A forked web worker: uvicorn on the inherited socket until SIGTERM/SIGINT; never
    returns (``os._exit``, so none of the parent's clean-up runs twice)."""
    code = 1
    try:
        _end_with_parent()
        rt.db.dispose(close=False)  # the pooled connections stay the parent's
        import uvicorn

        uvicorn.Server(uvicorn.Config(web_app, log_level="info")).run(sockets=[sock])
        code = 0
    except KeyboardInterrupt:  # uvicorn re-raises the signal that stopped it
        code = 0
    except BaseException:  # noqa: BLE001 - report, then leave without the parent's finally
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _cap_malloc_arenas(arenas: int = 2) -> None:
    """Linux (glibc): at most ``arenas`` malloc heaps in this process, its forked web workers
    and the flows' process (``MALLOC_ARENA_MAX``), unless the environment says otherwise.

    Choice: glibc gives each thread that allocates a heap of its own (up to 8 per CPU), and
    freed memory stays in them (uvicorn's thread pool, the flow-run threads). With the cap,
    one paired run of bench/footprint.py: web alone 175 -> 130 MB peak PSS, everything
    426 -> 400 (docs/benchmarks.md, Footprint).
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    os.environ["MALLOC_ARENA_MAX"] = str(arenas)  # read by glibc in the processes started later
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(-8, arenas)  # M_ARENA_MAX, for this process from now on
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def _end_with_parent() -> None:
    """Linux: SIGTERM this worker if ``gendan serve`` dies without stopping it (SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _stop_web_workers(pids: list[int]) -> None:
    """SIGTERM each forked web worker (uvicorn finishes the requests in flight), SIGKILL
    after 15 s; reaped either way."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 15
    for pid in pids:
        while True:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.05)


def _watch(web: threading.Thread, flows_proc: subprocess.Popen[bytes]) -> None:
    """Wait for Ctrl+C or SIGTERM; say so once if the flows' process ends by itself (the web
    app keeps serving)."""
    reported = False
    while web.is_alive():
        if not reported and flows_proc.poll() is not None:
            code = flows_proc.returncode
            typer.echo(f"gendan: the flows' process exited (code {code}); scheduled flows "
                       "are stopped, the web app still serves", err=True)  # fmt: skip
            reported = True
        web.join(timeout=1.0)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM (``kill <pid>``, systemd stop) like Ctrl+C, so cleanup runs."""

    def _raise(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait_for_web(server: object, thread: threading.Thread, host: str, port: int) -> None:
    deadline = time.monotonic() + 30
    while not getattr(server, "started", False):
        if not thread.is_alive():
            raise _fail(f"the web app could not start on {host}:{port} (port in use?)")
        if time.monotonic() > deadline:
            raise _fail(f"the web app did not start on {host}:{port} within 30 s")
        time.sleep(0.05)


def _port_in_use(port: int) -> bool:
    """True if something listens on the port (connections lingering in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _start_prefect_server(
    port: int, *, sweep_interval: int = 60, delivery_interval: int = 30
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start the flows' process with a Prefect server on loopback; its scheduler is what
    runs schedules, and the flow runs execute in that same process (``flows.host``).

    Ephemeral Prefect (no API URL) registers deployments but never schedules a
    run, hence a real server. It gets its own session so Ctrl+C reaches gendan
    first: serving must pause its schedules while the server still answers.
    """
    if _port_in_use(port):
        raise _fail(
            f"port {port} for the local Prefect server is in use (an earlier gendan serve?). "
            "Stop that process, or set GENDAN_PREFECT_PORT to a free port, or "
            "GENDAN_PREFECT_API_URL to use a running Prefect server."
        )
    home = Path(os.environ["PREFECT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "server.log"
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    proc = _start_flows_process(
        ["--port", str(port)], env, log_path, sweep_interval, delivery_interval
    )
    typer.echo(f"Starting Prefect server on 127.0.0.1:{port} (pid {proc.pid}, log {log_path})")
    return proc, log_path


def _start_flows(api_url: str, settings: Any) -> subprocess.Popen[bytes]:
    """The flows' process against a Prefect server elsewhere (GENDAN_PREFECT_API_URL)."""
    home = Path(os.environ["PREFECT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "flows.log"
    env = dict(os.environ) | {"PREFECT_API_URL": api_url}
    proc = _start_flows_process(
        [], env, log_path, settings.sweep_interval, settings.delivery_interval
    )
    typer.echo(f"Flows run in pid {proc.pid} against {api_url} (log {log_path})")
    return proc


def _start_flows_process(
    args: list[str], env: dict[str, str], log_path: Path, sweep: int, delivery: int
) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "flows.host", *args, "--sweep-interval", str(sweep),
           "--delivery-interval", str(delivery)]  # fmt: skip
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def _wait_for_prefect(proc: subprocess.Popen[bytes], port: int, log_path: Path) -> str:
    """Poll /api/health until the server answers; fail with its log's tail if it does not."""
    import httpx

    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + PREFECT_START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise _fail(
                f"the Prefect server exited with code {proc.returncode} before it was healthy.\n"
                + _tail(log_path)
            )
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            _stop_process(proc)
            raise _fail(
                f"the Prefect server at {url} was not healthy within "
                f"{PREFECT_START_TIMEOUT:.0f} s.\n" + _tail(log_path)
            )
        time.sleep(0.5)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    except OSError:
        return f"(no log at {path})"
    return f"Last lines of {path}:\n" + "\n".join("  " + line for line in text)


def _stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Stop the process we started and its children: it leads its own session, so its process
    group id is its pid. SIGTERM to the group, SIGKILL to it after 15 s; reaped either way."""
    for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:  # the whole group is gone
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        if not _group_alive(proc.pid):
            break
        deadline = time.monotonic() + wait  # the leader is gone; its children may linger
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not _group_alive(proc.pid):
            break
    if proc.poll() is None:
        proc.wait(timeout=5)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a process of another user in the group
        return True
    return True


# --- sink (development) -----------------------------------------------------------------


@app.command()
def sink() -> None:
    """Development: receive and print the mail and SMS gendan sends (nothing goes out).

    Listens where GENDAN_SMTP_URL and GENDAN_SMS_URL point (by default 127.0.0.1:1025 and
    http://127.0.0.1:9025/sms) — loopback only. Run it beside ``gendan serve``.
    """
    from gendan.devsink import LOOPBACK, sms_address, start_mail, start_sms
    from gendan.settings import get_settings
    from notifications._urls import smtp_settings

    settings = get_settings()
    smtp = smtp_settings(settings.smtp_url)
    try:
        sms_host, sms_port, sms_path = sms_address(settings.sms_url)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    for what, host in (("GENDAN_SMTP_URL", smtp.host), ("GENDAN_SMS_URL", sms_host)):
        if host not in LOOPBACK:
            raise _fail(f"{what} points at {host}, not this machine: the sink is for loopback")

    def out(text: str) -> None:
        typer.echo(text)

    mail = None
    if smtp.mode != "insecure":
        typer.echo(
            "GENDAN_SMTP_URL asks for TLS: the mail sink speaks plain SMTP; mail not caught."
        )
    else:
        try:
            mail = start_mail(smtp.host, smtp.port, out)
        except ImportError:
            typer.echo('aiosmtpd is not installed (pip install -e ".[dev]"): mail not caught.')
        except OSError as exc:
            raise _fail(f"cannot listen on {smtp.host}:{smtp.port}: {exc}") from None
    try:
        sms = start_sms(sms_host, sms_port, sms_path, out)
    except OSError as exc:
        if mail is not None:
            mail.stop()
        raise _fail(f"cannot listen on {sms_host}:{sms_port}: {exc}") from None
    if mail is not None:
        typer.echo(f"Mail sink on smtp://{smtp.host}:{smtp.port}")
    typer.echo(f"SMS sink on http://{sms_host}:{sms_port}{sms_path}")
    typer.echo("Printing what arrives. Press Ctrl+C to stop.")
    with _sigterm_as_interrupt():
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            sms.shutdown()
            if mail is not None:
                mail.stop()


def _fail(message: str) -> typer.Exit:
    typer.echo(f"gendan: {message}", err=True)
    return typer.Exit(code=1)


if __name__ == "__main__":
    app()
