"""The in-flight window of e-mail delivery: from the SMTP server's "accepted" to our "sent".

Run from the project folder::

    .venv/bin/python bench/delivery_window.py [--n 300]

A crash (kill -9, power) inside this window is the one case where a notification goes out
twice: the server has the mail, our database still says ``sending``, and after the lease
another run sends it again (with the same Message-ID). This script measures the window on
a temporary SQLite file and a loopback aiosmtpd server in the same process:

* ``accepted``: the server's DATA handler returns (it answers "250" right after);
* ``send returned``: ``notifications.channels.send`` is back (250 read, QUIT exchanged);
* ``committed``: ``flows.delivery._record`` committed the attempt, ``sent`` and the audit
  event.

It prints p50/p99/max of accepted → committed and of its two parts. Nothing asserts on it.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402

import flows.delivery as delivery  # noqa: E402
from gendan.db import unit_of_work  # noqa: E402
from gendan.demo import seed_organisation  # noqa: E402
from gendan.models import User  # noqa: E402
from gendan.outbox import enqueue  # noqa: E402
from gendan.runtime import build_runtime  # noqa: E402
from gendan.settings import Settings  # noqa: E402
from notifications import channels  # noqa: E402

MORNING = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class Sink:
    def __init__(self) -> None:
        self.accepted: list[float] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.accepted.append(time.perf_counter())
        return "250 Message accepted for delivery"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300, help="e-mails to send")
    ap.add_argument("--database-url", default="", help="an empty database (default: SQLite)")
    args = ap.parse_args(argv)

    sink = Sink()
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    returned: list[float] = []
    committed: list[float] = []

    def send(message: Any, **urls: str) -> Any:
        result = channels.send(message, **urls)
        returned.append(time.perf_counter())
        return result

    original_record = delivery._record

    def record(*a: Any, **kw: Any) -> None:
        original_record(*a, **kw)
        committed.append(time.perf_counter())

    delivery._record = record  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="gendan-window-") as tmp:
        rt = build_runtime(
            Settings(  # type: ignore[call-arg]
                database_url=args.database_url or f"sqlite:///{Path(tmp) / 'gendan.db'}",
                smtp_url=f"smtp://127.0.0.1:{port}?from=gendan@bench.local",
            )
        )
        with unit_of_work(rt.db) as s:
            users = list(seed_organisation(s).values())
            for i in range(args.n):
                u = users[i % len(users)]
                mail_only = User(id=u.id, username=u.username, display_name=u.display_name,
                                 password_hash="", email=u.email, phone="")  # fmt: skip
                enqueue(s, cause=f"bench:{i}", users=[mail_only], template="escalation",
                        context={"level": 1, "task_id": i, "order_no": f"SO-{i}",
                                 "timezone": "Asia/Shanghai"}, now=MORNING)  # fmt: skip
        report = delivery.deliver_pending(rt, now=MORNING, send=send)
        rt.db.dispose()
    controller.stop()
    assert report.sent == args.n == len(sink.accepted), (report, len(sink.accepted))

    def ms(pairs: list[float]) -> str:
        return (f"p50 {statistics.median(pairs):6.2f}  p99 {pct(pairs, 0.99):6.2f}"
                f"  max {max(pairs):6.2f} ms")  # fmt: skip

    total = [1000 * (c - a) for a, c in zip(sink.accepted, committed, strict=True)]
    smtp = [1000 * (r - a) for a, r in zip(sink.accepted, returned, strict=True)]
    ours = [1000 * (c - r) for r, c in zip(returned, committed, strict=True)]
    print(f"machine: cpus {os.cpu_count()}, {platform.machine()}, python "
          f"{platform.python_version()}, sqlite {sqlite3.sqlite_version}")  # fmt: skip
    where = args.database_url.split("@")[-1] if args.database_url else "SQLite file (WAL)"
    print(f"{args.n} e-mails to a loopback aiosmtpd, database: {where}")
    print(f"accepted -> committed 'sent' : {ms(total)}")
    print(f"  accepted -> send returned   : {ms(smtp)}   (250 read, QUIT)")
    print(f"  send returned -> committed  : {ms(ours)}   (attempt, status, audit event)")


if __name__ == "__main__":
    main()
