"""Memory of ``gendan up`` on its embedded defaults: the whole process tree, sampled.

Each round, in fresh temporary folders (SQLite file, PREFECT_HOME, demo data), measures three
process trees in turn, each sampled once a second from ``/proc/<pid>/smaps_rollup`` (RSS and
PSS of every process below the started one, summed):

0. with ``--before COMMIT``: everything as ``gendan up`` ran at that commit (a clone of this
   repository, on this venv): the Prefect server, and one interpreter per flow run;
1. the Prefect server alone: ``python -m prefect server start``;
2. the web alone: ``gendan up --no-flows --workers W`` while a client clicks;
3. everything: ``gendan up --workers W`` with the sweep and the delivery every
   ``--interval`` seconds (the other flows on their own schedules) while the client clicks.
(2 and 3 for each W of ``--workers``.)

The client (threads in this process, not in the tree): as the clerk, start an order over the
JSON API, complete its first task, read the inbox (API and HTML page), with a short pause.
Mail goes to a loopback SMTP sink, SMS to a loopback gateway (in this process too).

Prints, per tree, the peak and the steady (median of the second half) total PSS and RSS,
and each process's peak PSS. PSS counts a page shared by k processes as 1/k in each: the
tree's real use; RSS counts it in each. Nothing asserts on these figures.

    .venv/bin/python bench/footprint.py [--workers 1,2] [--seconds 90] [--rounds 1]
                                        [--before 2d681fd]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from gendan.demo import DEMO_PASSWORD, order_form, step_forms  # noqa: E402
from tests.support.servers import SmsGateway, SmtpSink, free_port  # noqa: E402

GENDAN = [sys.executable, "-m", "gendan.cli"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- sampling ----------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state) of a live process, None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0]


def tree(root: int) -> list[int]:
    """``root`` and every live process below it."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (s := _stat(int(name))) and s[1] != "Z":
            parents[int(name)] = s[0]
    out, frontier = [root], {root}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - set(out)
        out.extend(sorted(frontier))
    return [p for p in out if p in parents]


def memory(pid: int) -> tuple[int, int] | None:
    """(RSS, PSS) in KiB of one process, from smaps_rollup."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    rss = re.search(r"^Rss:\s+(\d+)", text, re.M)
    pss = re.search(r"^Pss:\s+(\d+)", text, re.M)
    return (int(rss.group(1)), int(pss.group(1))) if rss and pss else None


def role(pid: int) -> str:
    """A short name for a process of the tree, from its command line."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    line = " ".join(a.decode(errors="replace") for a in argv if a)
    for needle, name in (
        ("flows.host", "flows + Prefect server"),
        ("prefect server start", "Prefect server"),
        ("prefect.engine", "flow run (subprocess)"),
        ("gendan", "gendan"),
    ):
        if needle in line:
            return name
    return line[:40]


@dataclass
class Samples:
    """Totals per second (KiB), and each process's peak PSS."""

    rss: list[int] = field(default_factory=list)
    pss: list[int] = field(default_factory=list)
    peaks: dict[int, tuple[str, int]] = field(default_factory=dict)
    most_processes: int = 0

    def take(self, root: int) -> None:
        total_rss = total_pss = 0
        pids = tree(root)
        for pid in pids:
            mem = memory(pid)
            if mem is None:
                continue
            total_rss += mem[0]
            total_pss += mem[1]
            if mem[1] > self.peaks.get(pid, ("", 0))[1]:
                self.peaks[pid] = (self.peaks.get(pid, (role(pid), 0))[0], mem[1])
        self.rss.append(total_rss)
        self.pss.append(total_pss)
        self.most_processes = max(self.most_processes, len(pids))

    def summary(self) -> dict[str, float]:
        half = len(self.pss) // 2
        return {
            "peak_pss": max(self.pss) / 1024,
            "steady_pss": statistics.median(self.pss[half:]) / 1024,
            "peak_rss": max(self.rss) / 1024,
            "steady_rss": statistics.median(self.rss[half:]) / 1024,
        }


# --- the trees measured --------------------------------------------------------------------


class Started:
    """A process started in its own session, its output in a file; stopped by its pid."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                argv,
                env=env,
                cwd=log.parent,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_for(self, pattern: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.log.read_text(errors="replace"), re.M):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        raise RuntimeError(f"no {pattern!r} in {self.log}:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> float:
        """SIGTERM (what systemd sends); seconds until it and its group are gone."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        return time.monotonic() - started


def environment(folder: Path, smtp: SmtpSink, sms: SmsGateway, interval: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENDAN_", "PREFECT_"))}
    return env | {
        "GENDAN_DATABASE_URL": f"sqlite:///{folder / 'gendan.db'}",
        "GENDAN_PREFECT_PORT": str(free_port()),
        "GENDAN_SEAL_KEY_FILE": str(folder / "seal.key"),
        "GENDAN_SEAL_ANCHOR": str(folder / "anchor.jsonl"),
        "GENDAN_SMTP_URL": smtp.url,
        "GENDAN_SMS_URL": sms.url,
        "GENDAN_SWEEP_INTERVAL": str(interval),
        "GENDAN_DELIVERY_INTERVAL": str(interval),
        "PREFECT_HOME": str(folder / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
        "PYTHONUNBUFFERED": "1",
    }


class Clicker:
    """The clerk, clicking in a thread: start an order, complete its first task, read the
    inbox over the API and as a page; counts what it did."""

    def __init__(self, base: str, pause: float = 0.3) -> None:
        self.base, self.pause = base, pause
        self.stop = threading.Event()
        self.done: dict[str, int] = {"completions": 0, "inbox reads": 0, "errors": 0}
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Clicker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)

    def _run(self) -> None:
        tok = httpx.post(
            f"{self.base}/api/token",
            json={"username": "clerk", "password": DEMO_PASSWORD},
            timeout=60,
        )
        tok.raise_for_status()
        headers = {"Authorization": f"Bearer {tok.json()['access_token']}"}
        api = httpx.Client(base_url=self.base, headers=headers, timeout=60)
        page = httpx.Client(base_url=self.base, timeout=60)
        csrf = CSRF.search(page.get("/login").text)
        assert csrf, "no CSRF token on /login"
        page.post(
            "/login",
            data={
                "username": "clerk",
                "password": DEMO_PASSWORD,
                "csrf_token": csrf.group(1),
                "next": "/",
            },
        )
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                self._click(api, page, f"SO-FP-{os.getpid()}-{time.time_ns()}-{n}")
            except (httpx.HTTPError, AssertionError, KeyError):
                self.done["errors"] += 1
            self.stop.wait(self.pause)

    def _click(self, api: httpx.Client, page: httpx.Client, order_no: str) -> None:
        form = order_form(order_no, "regular")
        r = api.post("/api/instances", json={"procedure": "order_review", "form": form})
        assert r.status_code == 201, r.text
        task_id = r.json()["tasks"][0]["id"]
        confirm = step_forms(form, _now())["confirm"]
        r = api.post(
            f"/api/tasks/{task_id}/complete", json={"decision": "confirm", "form": confirm}
        )
        assert r.status_code == 200, r.text
        self.done["completions"] += 1
        assert api.get("/api/tasks").status_code == 200
        assert page.get("/").status_code == 200
        self.done["inbox reads"] += 2


def _now() -> Any:
    from gendan.db import utcnow

    return utcnow()


def measure_gendan(
    folder: Path,
    env: dict[str, str],
    seconds: int,
    workers: int | None,
    flows: bool,
    code: Path | None = None,
) -> tuple[Samples, dict[str, int], float]:
    """``gendan up`` (of the checkout ``code``, default this one) sampled while clicked."""
    port = free_port()
    argv = [*GENDAN, "up", "--port", str(port)]
    argv += ["--workers", str(workers)] if workers else []
    argv += [] if flows else ["--no-flows"]
    if code is not None:
        env = env | {"PYTHONPATH": str(code)}
    run = Started(argv, env, folder / "gendan.log")
    samples = Samples()
    try:
        run.wait_for("Serving flows: " if flows else "Scheduled flows are off")
        with Clicker(f"http://127.0.0.1:{port}") as clicker:
            for _ in range(seconds):
                samples.take(run.proc.pid)
                time.sleep(1)
    finally:
        stop_seconds = run.stop()
    return samples, clicker.done, stop_seconds


def checkout(commit: str, into: Path) -> Path:
    """A clone of this repository at ``commit`` (its code runs on this venv)."""
    subprocess.run(["git", "clone", "-q", str(PROJECT), str(into)], check=True)
    subprocess.run(["git", "-C", str(into), "checkout", "-q", commit], check=True)
    return into


def measure_prefect_server(folder: Path, env: dict[str, str], seconds: int) -> Samples:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "prefect",
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    run = Started(argv, env, folder / "prefect-server.log")
    samples = Samples()
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        for _ in range(seconds):
            samples.take(run.proc.pid)
            time.sleep(1)
    finally:
        run.stop()
    return samples


def flow_runs(folder: Path) -> int:
    """Flow runs that finished Completed (their logs: the flows' process, or before issue 11
    the subprocesses writing to gendan's output)."""
    logs = (folder / "prefect" / "server.log", folder / "gendan.log")
    text = "".join(p.read_text(errors="replace") for p in logs if p.exists())
    return len(re.findall(r"Finished in state Completed", text))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2", help="gendan up --workers, e.g. 1,2")
    parser.add_argument("--seconds", type=int, default=90, help="sampling time per tree")
    parser.add_argument("--rounds", type=int, default=1, help="rounds (medians reported)")
    parser.add_argument("--interval", type=int, default=10, help="sweep and delivery (s)")
    parser.add_argument(
        "--before", default="", help="also measure `gendan up` of this commit (e.g. 2d681fd)"
    )
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]

    print(
        f"machine: {os.cpu_count()} CPUs, {platform.machine()}, Python "
        f"{platform.python_version()}, {date.today().isoformat()}; commit {_commit()}"
    )
    print(
        f"gendan up --workers {args.workers}; {args.seconds} s sampled per tree; "
        f"sweep and delivery every {args.interval} s; {args.rounds} round(s)"
    )
    smtp, sms = SmtpSink(), SmsGateway()
    results: dict[str, list[dict[str, float]]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="gendan-footprint-") as tmp:
            code = checkout(args.before, Path(tmp) / "before") if args.before else None
            for r in range(args.rounds):
                print(f"\nround {r + 1}:")
                for name, samples in trees(Path(tmp) / f"r{r}", args, counts, code, smtp, sms):
                    results.setdefault(name, []).append(samples.summary())
    finally:
        smtp.stop()
        sms.stop()
    _report(results)


def trees(
    base: Path,
    args: argparse.Namespace,
    counts: list[int],
    code: Path | None,
    smtp: SmtpSink,
    sms: SmsGateway,
) -> Iterator[tuple[str, Samples]]:
    """One round: each tree in turn, each in a fresh folder; prints what it did."""

    def folder(name: str) -> tuple[Path, dict[str, str]]:
        (base / name).mkdir(parents=True)
        return base / name, environment(base / name, smtp, sms, args.interval)

    if code is not None:
        where, env = folder("before")
        s, done, stop_s = measure_gendan(where, env, args.seconds, None, True, code)
        _print(f"before ({args.before}), everything", s, done, flow_runs(where), stop_s)
        yield f"before ({args.before}): everything, flow runs in subprocesses", s
    where, env = folder("prefect")
    s = measure_prefect_server(where, env, args.seconds)
    _print("Prefect server alone", s)
    yield "Prefect server alone (`prefect server start`)", s
    for w in counts:
        where, env = folder(f"web{w}")
        s, done, stop_s = measure_gendan(where, env, args.seconds, w, False)
        _print(f"web alone, --workers {w}", s, done)
        yield f"web alone (`--no-flows --workers {w}`)", s
        where, env = folder(f"all{w}")
        s, done, stop_s = measure_gendan(where, env, args.seconds, w, True)
        _print(f"everything, --workers {w}", s, done, flow_runs(where), stop_s)
        yield f"**everything, `--workers {w}`**", s


def _print(
    label: str,
    s: Samples,
    done: dict[str, int] | None = None,
    runs: int | None = None,
    stop_s: float | None = None,
) -> None:
    per = ", ".join(f"{name} {pss / 1024:.0f}" for name, pss in s.peaks.values())
    print(f"  {label}: peak PSS per process (MB): {per}; most processes at once "
          f"{s.most_processes}")  # fmt: skip
    if done is not None:
        extra = "" if runs is None else f"; {runs} flow runs completed"
        stop = "" if stop_s is None else f"; stopped by SIGTERM in {stop_s:.1f} s"
        print(f"    clicked {done}{extra}{stop}")


def _report(results: dict[str, list[dict[str, float]]]) -> None:
    print("\n| tree (MB, median of rounds) | peak PSS | steady PSS | peak RSS | steady RSS |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, rounds in results.items():
        cols = [
            statistics.median(r[k] for r in rounds)
            for k in ("peak_pss", "steady_pss", "peak_rss", "steady_rss")
        ]
        print(f"| {label} | " + " | ".join(f"{c:.0f}" for c in cols) + " |")


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


if __name__ == "__main__":
    main()
