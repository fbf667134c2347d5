"""Urgent procedures (Wait(urgent=True)) run their SMS acknowledgement on the urgent calendar
(gendan.acknowledgements.urgent_calendar, 08:00-22:00 every day): on a weekend too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from flows.delivery import deliver_pending
from gendan.acknowledgements import SmsAck
from gendan.demo import Driver, order_form
from gendan.escalation import escalate_due
from gendan.models import AuditEvent
from gendan.runtime import Runtime
from tests.conftest import make_runtime
from tests.engine import mechanisms
from tests.support.servers import SmsGateway, SmtpSink


def sh(d: int, hh: int, mm: int = 0) -> datetime:
    """Shanghai wall-clock time in November 2026 as a UTC instant (28th: a Saturday)."""
    return datetime(2026, 11, d, hh, mm, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture(autouse=True)
def _procedures(monkeypatch: pytest.MonkeyPatch) -> None:
    mechanisms.use_urgent(monkeypatch)


def late_on_friday(tmp_path: Path, smtp: SmtpSink, sms: SmsGateway) -> Runtime:
    """An urgent step opened Friday 17:30 with 30 WM: due Friday 18:00, still open Saturday."""
    rt = make_runtime(tmp_path / "u.db", smtp_url=smtp.url, sms_url=sms.url)
    d = Driver(rt, sh(27, 17, 30))
    d.start("order_review", "clerk", order_form("SO-U1", "regular", now=d.now))
    d.start("test_urgent", "prod_mgr", {"order_no": "SO-U1"})
    return rt


def sweep(rt: Runtime, at: datetime) -> None:
    for _ in range(2):
        escalate_due(rt, now=at)
        deliver_pending(rt, now=at)


def test_a_saturday_escalation_is_sent_and_due_for_acknowledgement_that_saturday(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    rt = late_on_friday(tmp_path, smtp_sink, sms_gateway)
    sweep(rt, sh(28, 10))  # the sweep runs on Saturday morning
    sms_gateway.wait_for(1)
    assert [s["to"] for s in sms_gateway.received] == ["13800000004"]  # merch_lead, at once
    with Session(rt.db) as s:
        (ack,) = s.exec(select(SmsAck)).all()
        # 30 minutes on the 08:00-22:00 every-day calendar: Saturday 10:30, not Monday 08:30
        assert (ack.sent_at, ack.due_at) == (sh(28, 10), sh(28, 10, 30))
    sweep(rt, sh(28, 10, 29))
    with Session(rt.db) as s:
        assert not s.exec(select(AuditEvent).where(AuditEvent.action == "ack_missed")).all()
    sweep(rt, sh(28, 10, 31))  # unacknowledged: the GM office hears, on Saturday, once
    with Session(rt.db) as s:
        missed = s.exec(select(AuditEvent).where(AuditEvent.action == "ack_missed")).all()
        assert [(e.at, e.detail["recipients"]) for e in missed] == [(sh(28, 10, 31), ["gm"])]
    mails = [m.to for m in smtp_sink.messages if "Unacknowledged" in m.subject]
    assert mails == ["gm@demo.gendan.local"]


def test_a_saturday_night_sms_has_until_sunday_morning(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    rt = late_on_friday(tmp_path, smtp_sink, sms_gateway)
    sweep(rt, sh(28, 22, 10))  # after 22:00: sent at once (urgent), acknowledged from 08:00
    sms_gateway.wait_for(1)
    with Session(rt.db) as s:
        (ack,) = s.exec(select(SmsAck)).all()
        assert ack.due_at == sh(29, 8, 30)  # Sunday, a rest day, counts
