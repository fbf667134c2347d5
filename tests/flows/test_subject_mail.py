"""Mails about an instance that serves no order (issue 10) name what it is about — its
subject's words and key (物料 ITEM-7), never "订单" — at the real loopback SMTP sink: the new
task, the reminder and the escalations, once each though swept and delivered twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

import states
from flows.delivery import deliver_pending
from gendan.demo import Driver
from gendan.escalation import escalate_due
from gendan.settings import get_settings
from tests.conftest import MONDAY_10, make_runtime
from tests.engine.helpers import open_tasks
from tests.engine.test_subjects import OnePerKey
from tests.support.servers import SmsGateway, SmtpSink


@pytest.fixture(autouse=True)
def test_procedures(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(states.PROCEDURES, OnePerKey.key, OnePerKey)
    yield
    get_settings.cache_clear()


def test_mails_name_the_subject_not_an_order(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    rt = make_runtime(tmp_path / "g.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
    d = Driver(rt, MONDAY_10)
    iid = d.start("test_one_per_key", "mc", {"copies": 1, "remarks": "ITEM-7"})
    [task] = open_tasks(rt, iid)
    assert task.due_at is not None
    for at in (d.now, task.due_at - timedelta(hours=1), task.due_at + timedelta(minutes=1),
               task.due_at + timedelta(days=3)):  # fmt: skip
        for _ in range(2):
            fired = escalate_due(rt, now=at)
            # the sweep's log and `gendan sweep` name the subject's key, not an empty order
            assert all(e.order_no == "ITEM-7" for e in fired), fired
            deliver_pending(rt, now=at)
    mails = [m for m in smtp_sink.messages if f"/tasks/{task.id}" in m.body]
    subjects = [m.subject for m in mails]
    assert any(s.startswith("【新任务】物料 ITEM-7") for s in subjects), subjects
    assert any("升级" in s and "物料 ITEM-7" in s and "Item ITEM-7" in s for s in subjects)
    assert not any("订单" in s or "Order" in s for s in subjects), subjects
    assert all(n == 1 for n in Counter((m.to, m.subject) for m in mails).values())
