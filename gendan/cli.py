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
from typing import Annotated
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

#: How long ``gendan serve`` waits for its local Prefect server to answer (it needs ~13 s).
PREFECT_START_TIMEOUT = 90.0

HostOpt = Annotated[str, typer.Option(help="Address the web app listens on.")]
PortOpt = Annotated[int, typer.Option(help="Port of the web app.")]
NoFlowsOpt = Annotated[
    bool,
    typer.Option("--no-flows", help="Web app only: no Prefect server, no scheduled flows."),
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Act as of this instant (ISO 8601). Without offset: company local time.",
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
        typer.echo("Demo company loaded: departments, people, five orders in progress.")
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
def sweep(at: AtOpt = None) -> None:
    """Run one SLA sweep now (or as of --at): escalate every due timer, print each."""
    from gendan.escalation import LEVEL_NAMES, escalate_due

    rt = build_runtime()
    now = _instant(at, rt)
    done = escalate_due(rt, now=now)
    for esc in done:
        who = ", ".join(esc.recipients) or "(nobody)"
        typer.echo(
            f"task {esc.task_id}  level {esc.level} ({LEVEL_NAMES.get(esc.level, '?')})  "
            f"order {esc.order_no}  -> {who}"
        )
    local = now.astimezone(ZoneInfo(rt.settings.timezone)).strftime("%Y-%m-%d %H:%M %Z")
    typer.echo(f"{len(done)} escalation(s) as of {local}")


@app.command()
def deliver(at: AtOpt = None) -> None:
    """Deliver the notification outbox once now (or as of --at) and print the counts."""
    from flows.delivery import deliver_pending

    rt = build_runtime()
    report = deliver_pending(rt, now=_instant(at, rt))
    typer.echo(f"sent {report.sent}, failed {report.failed}, postponed {report.postponed}")


def _instant(at: str | None, rt: Runtime) -> datetime:
    from flows.common import as_of

    try:
        return as_of(at, rt.settings.timezone)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--at") from exc


# --- audit -------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the chain, every seal's signature and the anchor; record the result.

    Exit 1 naming the first broken event (or the seal or anchor problem).
    """
    from gendan.audit import verify_and_record
    from gendan.db import utcnow
    from gendan.seal import trust_from

    rt = build_runtime()
    report = verify_and_record(rt.db, now=utcnow(), trust=trust_from(rt.settings))
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
def serve(host: HostOpt = "127.0.0.1", port: PortOpt = 8000, no_flows: NoFlowsOpt = False) -> None:
    """Run the web app and the scheduled flows (SLA sweep, notification delivery)."""
    _serve(build_runtime(), host=host, port=port, flows=not no_flows)


@app.command()
def up(host: HostOpt = "127.0.0.1", port: PortOpt = 8000, no_flows: NoFlowsOpt = False) -> None:
    """One-command start: schema, demo data if the database is empty, logins, then serve."""
    rt = build_runtime()
    _demo(rt)
    typer.echo("")
    _serve(rt, host=host, port=port, flows=not no_flows)


def _serve(rt: Runtime, *, host: str, port: int, flows: bool) -> None:
    import uvicorn

    from api.app import create_app

    # Prefect reads its settings when first imported: set them before any flow import.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    os.environ.setdefault("PREFECT_HOME", str(PROJECT_DIR / "var" / "prefect"))

    settings = rt.settings
    prefect_proc: subprocess.Popen[bytes] | None = None
    api_url = settings.prefect_api_url.rstrip("/")
    if flows and not api_url:
        # Start it first: it needs ~13 s, during which the web app can already answer.
        prefect_proc, log_path = _start_prefect_server(settings.prefect_port)

    server = uvicorn.Server(uvicorn.Config(create_app(rt), host=host, port=port, log_level="info"))
    web = threading.Thread(target=server.run, name="gendan-web", daemon=True)
    try:
        web.start()
        _wait_for_web(server, web, host, port)
        typer.echo(f"gendan is running at http://{host}:{port}  (links in messages use "
                   f"{settings.base_url})")  # fmt: skip
        if not flows:
            typer.echo("Scheduled flows are off (--no-flows). Press Ctrl+C to stop.")
            with _sigterm_as_interrupt():
                try:
                    web.join()
                except KeyboardInterrupt:
                    pass
            return
        if prefect_proc is not None:
            api_url = _wait_for_prefect(prefect_proc, settings.prefect_port, log_path)
            typer.echo(f"Prefect UI (flow runs): {api_url.removesuffix('/api')}")
        os.environ["PREFECT_API_URL"] = api_url
        typer.echo(
            f"Serving flows: sla-sweep every {settings.sweep_interval}s, "
            f"deliver-notifications every {settings.delivery_interval}s. Press Ctrl+C to stop."
        )
        _serve_flows(api_url, settings.sweep_interval, settings.delivery_interval)
    finally:
        server.should_exit = True
        web.join(timeout=15)
        if prefect_proc is not None:
            _stop_process(prefect_proc)


def _serve_flows(api_url: str, sweep_interval: int, delivery_interval: int) -> None:
    """Serve the deployments in the main thread (Prefect needs it for its signal handling)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.serve import serve_flows

    # The environment variable reaches the flow-run subprocesses; this covers an already
    # imported prefect whose settings were read before we set the variable.
    with temporary_settings(updates={PREFECT_API_URL: api_url}), _sigterm_as_interrupt():
        try:
            serve_flows(sweep_interval, delivery_interval)
        except KeyboardInterrupt:
            pass


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


def _start_prefect_server(port: int) -> tuple[subprocess.Popen[bytes], Path]:
    """Start ``prefect server start`` on loopback; its scheduler is what runs schedules.

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
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
           "--port", str(port)]  # fmt: skip
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    typer.echo(f"Starting Prefect server on 127.0.0.1:{port} (pid {proc.pid}, log {log_path})")
    return proc, log_path


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
    """Terminate the process we started, by its pid; kill it if it does not stop in 15 s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"gendan: {message}", err=True)
    return typer.Exit(code=1)


if __name__ == "__main__":
    app()
