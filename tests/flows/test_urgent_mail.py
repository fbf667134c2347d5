"""§4 deadlines by real e-mail and SMS: each overdue step's escalation arrives exactly once after
sweeping twice, at the head the chain names; an urgent step's SMS goes out at night."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.delivery import deliver_pending
from gendan.demo import Driver
from gendan.escalation import escalate_due
from gendan.runtime import Runtime
from tests.conftest import MONDAY_10, make_runtime
from tests.engine import test_urgent_order as walk
from tests.engine.helpers import open_tasks
from tests.flows.test_escalation_mail import escalation_mails
from tests.support.servers import SmsGateway, SmtpSink

MAIL = "@demo.gendan.local"


def _at_need(d: Driver) -> int:
    return walk.start(d)


def _at_approval(d: Driver) -> int:
    iid = walk.start(d)
    walk.need(d, iid)
    return iid


def _at_review(d: Driver) -> int:
    iid = walk.start(d)
    walk.approved(d, iid)
    return iid


def _at_production_explains(d: Driver) -> int:
    iid = walk.start(d)
    walk.reviewed(d, iid, feasible=False)
    return iid


def _at_sales_explains(d: Driver) -> int:
    iid = _at_production_explains(d)
    d.act(iid, "prod_mgr", "explained", reason="排满")
    return iid


def _at_materials(d: Driver) -> int:
    iid = walk.start(d)
    walk.reviewed(d, iid)
    return iid


def _at_line_choice(d: Driver) -> int:
    iid = _at_materials(d)
    d.act(iid, "buyer", "materials_agreed")
    walk.run_jobs(d.rt, d.now)  # the line rule (master data)
    return iid


#: state → (how to get there, who hears of the missed deadline first). Never the holder:
#: the production manager heads production, the GM heads the GM office (→ the next level).
ROWS: dict[str, tuple[Callable[[Driver], int], set[str]]] = {
    "need": (_at_need, {"sales_head"}),
    "approval": (_at_approval, {"gm"}),  # the deputy's task → the GM office's head
    "urgent_review": (_at_review, {"sales_head", "gm", "mc_head"}),
    "production_explains": (_at_production_explains, {"gm"}),
    "sales_explains": (_at_sales_explains, {"sales_head"}),
    "materials": (_at_materials, {"purch_lead"}),
    "line_choice": (_at_line_choice, {"gm"}),
}


def runtime(tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway) -> Runtime:
    return make_runtime(tmp_path / "g.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)


def sweep_twice(rt: Runtime, now: datetime) -> None:
    for _ in range(2):
        escalate_due(rt, now=now)
        deliver_pending(rt, now=now)


@pytest.mark.parametrize("state", list(ROWS))
def test_first_escalation_arrives_once(
    state: str, tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    rt = runtime(tmp_path, smtp_sink, sms_gateway)
    reach, heads = ROWS[state]
    iid = reach(Driver(rt, MONDAY_10))
    tasks = open_tasks(rt, iid)
    assert tasks and all(t.state == state for t in tasks)
    due = max(t.due_at for t in tasks if t.due_at is not None)
    sweep_twice(rt, due + timedelta(minutes=1))
    sent = Counter(m.to for m in escalation_mails(smtp_sink))
    assert set(sent) == {f"{h}{MAIL}" for h in heads}
    mentioned = [m for m in escalation_mails(smtp_sink) if walk.URGENT in m.subject]
    assert mentioned and all(n == 1 for n in _per_task(smtp_sink, tasks).values())


def _per_task(sink: SmtpSink, tasks: list) -> Counter[tuple[str, int]]:
    """(recipient, task) pairs: each task's escalation reaches each recipient once."""
    out: Counter[tuple[str, int]] = Counter()
    for m in escalation_mails(sink):
        for t in tasks:
            if f"/tasks/{t.id}" in m.body:
                out[(m.to, t.id)] += 1
    return out


def test_urgent_sms_goes_out_at_night_with_an_acknowledgement_link(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    rt = runtime(tmp_path, smtp_sink, sms_gateway)
    iid = _at_need(Driver(rt, MONDAY_10))
    (task,) = open_tasks(rt, iid)
    night = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 23:00 Shanghai: quiet hours
    assert task.due_at is not None and task.due_at < night
    sweep_twice(rt, night)
    assert [s["to"] for s in sms_gateway.received] == ["13800000002"]  # the sales head, now
    assert "/ack/" in sms_gateway.received[0]["text"]  # confirm it arrived (004R 四)
