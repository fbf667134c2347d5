"""Delivery exactly once to the extent SMTP allows (issue 7, item 5).

* A run's leases follow its clock, not the instant it started: a run that outlives
  the 10-minute lease never has its in-flight row retaken by the next run.
* Every e-mail carries a Message-ID derived from its outbox row, the same on a
  re-send after a crash, so the copy is recognisable.

Time is injected (``now``, ``clock``); a real SQLite file (or the suite's PostgreSQL, with
``GENDAN_TEST_POSTGRES_URL``) and a real aiosmtpd sink.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from flows.delivery import LEASE, DeliveryReport, deliver_pending
from gendan.runtime import Runtime, build_runtime
from gendan.settings import Settings
from notifications import channels
from notifications.channels import DeliveryResult, Message
from notifications.messages import message_id
from tests.conftest import database_for
from tests.flows.conftest import BASE_URL, MakeRuntime
from tests.flows.test_delivery import (
    MORNING,
    WorkerCrashed,
    attempts,
    notification,
    queue,
    seeded_users,
)
from tests.support.servers import SmtpSink


@pytest.fixture
def make_runtime(tmp_path: Path) -> MakeRuntime:
    """As ``tests/flows/conftest.py``'s, on PostgreSQL too when the suite runs there."""
    url = database_for(tmp_path / "gendan.db")

    def make(*, smtp_url: str, sms_url: str = "http://127.0.0.1:1/sms") -> Runtime:
        settings = Settings(database_url=url, smtp_url=smtp_url, sms_url=sms_url, base_url=BASE_URL)
        return build_runtime(settings)

    return make


class FakeClock:
    """The run's clock, moved by the test (a send "takes" a minute)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_a_run_that_outlives_its_lease_sends_every_row_once(
    make_runtime: MakeRuntime, smtp_sink: SmtpSink
) -> None:
    """Run 1 sends 15 mails, one minute each; 11 minutes in, mid-send, run 2 starts.

    Run 2 may take rows run 1 has not reached yet, never the one run 1 is sending.
    """
    first, second = make_runtime(smtp_url=smtp_sink.url), make_runtime(smtp_url=smtp_sink.url)
    users = list(seeded_users(first).values())
    ids = [
        nid
        for i in range(15)
        for nid in queue(first, [users[i % len(users)]], now=MORNING, cause=f"timer:{i}",
                         channels=("email",))
    ]  # fmt: skip
    clock = FakeClock(MORNING)
    sends: list[tuple[str, str]] = []
    second_reports: list[DeliveryReport] = []

    def slow_send(message: Message, **urls: str) -> DeliveryResult:
        sends.append(("run 1", message.message_id or ""))
        clock.now += timedelta(minutes=1)
        if clock.now == MORNING + timedelta(minutes=11):  # mid-send of run 1's 11th row
            second_reports.append(
                deliver_pending(second, now=clock.now, send=second_send, clock=clock)
            )
        return channels.send(message, **urls)

    def second_send(message: Message, **urls: str) -> DeliveryResult:
        sends.append(("run 2", message.message_id or ""))
        return channels.send(message, **urls)

    first_report = deliver_pending(first, now=MORNING, send=slow_send, clock=clock)

    [second_report] = second_reports
    assert first_report.sent + second_report.sent == len(ids)
    assert second_report.sent == 4  # rows 12-15, which run 1 had not claimed yet
    assert len({mid for _, mid in sends}) == len(sends) == len(ids)
    assert len(smtp_sink.wait_for(len(ids))) == len(ids)
    assert all(len(attempts(first, nid)) == 1 for nid in ids)
    assert all(notification(first, nid).status == "sent" for nid in ids)


def _crash_after_accepted(message: Message, **urls: str) -> DeliveryResult:
    """The SMTP server accepted the mail, then the worker died before recording it."""
    result = channels.send(message, **urls)
    assert result.ok, result.error
    raise WorkerCrashed


def test_a_resend_after_a_crash_carries_the_same_message_id(
    make_runtime: MakeRuntime, smtp_sink: SmtpSink
) -> None:
    rt: Runtime = make_runtime(smtp_url=smtp_sink.url)
    gm = seeded_users(rt)["gm"]
    [nid] = queue(rt, [gm], now=MORNING, cause="timer:7", channels=("email",))

    with pytest.raises(WorkerCrashed):
        deliver_pending(rt, now=MORNING, send=_crash_after_accepted)
    assert notification(rt, nid).status == "sending"
    later = MORNING + LEASE + timedelta(minutes=1)
    assert deliver_pending(rt, now=later) == DeliveryReport(sent=1)

    first, again = smtp_sink.wait_for(2)
    assert first.message["Message-ID"] == again.message["Message-ID"]
    assert str(first.message["Message-ID"]) == message_id(
        notification_id=nid, cause="timer:7", address=gm.email, host="gendan.factory.example"
    )
    assert str(first.message["Message-ID"]).startswith(f"<gendan.n{nid}.")
    assert str(first.message["Message-ID"]).endswith("@gendan.factory.example>")


def test_message_ids_differ_per_row_and_per_database() -> None:
    a = message_id(notification_id=1, cause="timer:1", address="a@x.cn", host="h.example")
    assert a == message_id(notification_id=1, cause="timer:1", address="a@x.cn", host="h.example")
    assert a != message_id(notification_id=2, cause="timer:1", address="a@x.cn", host="h.example")
    assert a != message_id(notification_id=1, cause="timer:9", address="a@x.cn", host="h.example")
    assert message_id(notification_id=1, cause="c", address="a", host="").endswith(
        "@gendan.invalid>"
    )
