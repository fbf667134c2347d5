"""A missed 4-hour SLA reaches the department head, then the GM office, by real e-mail and SMS."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flows.delivery import deliver_pending
from gendan.escalation import escalate_due
from tests.conftest import make_runtime
from tests.engine.test_escalation import MONDAY_9, at_production_notice
from tests.support.servers import ReceivedMail, SmsGateway, SmtpSink


def escalation_mails(sink: SmtpSink) -> list[ReceivedMail]:
    """What the sweep sent: the mails announcing new tasks to their holders left out."""
    return [m for m in sink.messages if not m.subject.startswith("【新任务】")]


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
    assert [m.to for m in escalation_mails(smtp_sink)] == ["sales_head@demo.gendan.local"]
    level1 = escalation_mails(smtp_sink)[0]
    assert "SO-30" in level1.subject and "L1" in level1.subject
    assert f"/tasks/{task.id}" in level1.body
    assert [s["to"] for s in sms_gateway.received] == ["13800000002"]

    for _ in range(2):
        escalate_due(rt, now=one_period_later)
        deliver_pending(rt, now=one_period_later)
    assert [m.to for m in escalation_mails(smtp_sink)] == [
        "sales_head@demo.gendan.local",
        "gm@demo.gendan.local",
    ]
    assert "L2" in escalation_mails(smtp_sink)[1].subject
    assert [s["to"] for s in sms_gateway.received] == ["13800000002", "13800000021"]


def test_production_managers_own_task_mails_the_gm_and_acks_mail_the_merchandising_lead(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    """Never to the holder: prod_mgr heads production, so his overdue confirmation skips him;
    an unacknowledged notice goes to the merchandising lead (跟单主管), as the step names."""
    from datetime import timedelta

    from gendan.demo import Driver, order_form, review_to_notice, step_forms
    from tests.engine.helpers import open_tasks

    rt = make_runtime(tmp_path / "g.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
    d = Driver(rt, MONDAY_9)
    form = order_form("SO-M1", "regular", now=MONDAY_9)
    iid = d.start("order_review", "clerk", form)
    review_to_notice(d, iid, form)
    d.act(iid, "clerk", "issue_notice", step_forms(form, MONDAY_9)["notice"])
    [confirm] = open_tasks(rt, iid)
    late = confirm.due_at + timedelta(minutes=1)
    escalate_due(rt, now=late)
    deliver_pending(rt, now=late)
    assert [m.to for m in escalation_mails(smtp_sink)] == ["gm@demo.gendan.local"]
    assert "SO-M1" in escalation_mails(smtp_sink)[0].subject

    d.now = late
    d.act(iid, "prod_mgr", "confirm_notice", step_forms(form, MONDAY_9)["confirmation"])
    acks = open_tasks(rt, iid)
    later = max(t.due_at for t in acks) + timedelta(minutes=1)
    escalate_due(rt, now=later)
    deliver_pending(rt, now=later)
    to_lead = [m for m in escalation_mails(smtp_sink) if m.to == "merch_lead@demo.gendan.local"]
    # five overdue acknowledgements in one sweep: one digest naming each task
    assert len(acks) == 5 and len(to_lead) == 1
    assert all(f"/tasks/{t.id}" in to_lead[0].body for t in acks)
    assert "prod_mgr@demo.gendan.local" not in {m.to for m in escalation_mails(smtp_sink)}
