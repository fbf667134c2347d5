"""The SLA sweep as a real Prefect flow run (temporary Prefect API, started once per session)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from flows.common import runtime
from flows.sla_sweep import sla_sweep
from gendan.demo import load_demo
from gendan.models import AuditEvent, Notification, Task, Timer

#: Demo loaded at 10:00 Shanghai time; engineering's technical change on SO-2026-0007 must be
#: classified within 30 working minutes of receipt (001M 2.2.3(5)).
LOADED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_sla_sweep_flow_escalates_the_due_timer(prefect_harness: None, gendan_env: str) -> None:
    rt = runtime()  # the runtime the flow itself will use: same process, same settings
    assert rt.settings.database_url == gendan_env
    load_demo(rt, now=LOADED)

    before = sla_sweep(at="2026-11-23T10:29:00", return_state=True)  # naive: Shanghai time
    after = sla_sweep(at="2026-11-23T02:31:00+00:00", return_state=True)

    assert before.is_completed() and before.result() == 0
    # The demo has other 30-minute steps due at 10:30 too (a quality problem, §4's changes):
    # every fired timer is one the flow counted; the technical change's is among them.
    title = "Classify the technical change within 30 minutes of receipt"
    with Session(rt.db) as s:
        fired = s.exec(select(Timer).where(Timer.status == "fired")).all()
        assert after.is_completed() and after.result() == len(fired) >= 1
        [(timer, task)] = [
            (t, task)
            for t in fired
            if (task := s.get(Task, t.task_id)) is not None and task.title_en == title
        ]
        assert timer.level == 1 and task.escalation_level == 1
        [event] = s.exec(
            select(AuditEvent).where(
                AuditEvent.action == "escalate", AuditEvent.task_id == task.id
            )
        ).all()
        assert event.detail["recipients"] == ["eng_head"]  # head of the task's department
        notes = s.exec(select(Notification).where(Notification.cause == f"timer:{timer.id}"))
        assert {(n.channel, n.urgent) for n in notes} == {("email", True), ("sms", True)}
