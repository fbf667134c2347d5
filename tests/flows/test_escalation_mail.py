"""A missed 4-hour SLA reaches the department head, then the GM office, by real e-mail and SMS."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flows.delivery import deliver_pending
from gendan.escalation import escalate_due
from tests.conftest import make_runtime
from tests.engine.test_escalation import MONDAY_9, at_production_notice
from tests.support.servers import SmsGateway, SmtpSink


def test_level_1_then_level_2_each_arrive_once(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    rt = make_runtime(tmp_path / "g.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
    task = at_production_notice(rt, MONDAY_9)
    deadline = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 14:00 Shanghai, 4 working hours later
    one_period_later = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 18:00 Shanghai
    assert task.due_at == deadline

    for _ in range(2):  # the sweep and the delivery run twice at each instant
        escalate_due(rt, now=deadline)
        deliver_pending(rt, now=deadline)
    smtp_sink.wait_for(1, timeout=10)
    assert [m.to for m in smtp_sink.messages] == ["sales_head@demo.gendan.local"]
    level1 = smtp_sink.messages[0]
    assert "SO-30" in level1.subject and "L1" in level1.subject
    assert f"/tasks/{task.id}" in level1.body
    assert [s["to"] for s in sms_gateway.received] == ["13800000002"]

    for _ in range(2):
        escalate_due(rt, now=one_period_later)
        deliver_pending(rt, now=one_period_later)
    smtp_sink.wait_for(2, timeout=10)
    assert [m.to for m in smtp_sink.messages] == [
        "sales_head@demo.gendan.local",
        "gm@demo.gendan.local",
    ]
    assert "L2" in smtp_sink.messages[1].subject
    assert [s["to"] for s in sms_gateway.received] == ["13800000002", "13800000021"]
