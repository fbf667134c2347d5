"""Quality exceptions (§9, 001M 2.2.5(2)): every row through the engine, real DB, time injected.

Each deadline's escalation e-mail arrives at the loopback SMTP sink exactly once after the
sweep and the delivery ran twice at its instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from flows.delivery import deliver_pending
from gendan.demo import Driver, order_form
from gendan.errors import InvalidForm
from gendan.escalation import escalate_due
from gendan.models import Notification, User
from gendan.runtime import Runtime
from states.quality_exception import QualityException, is_serious
from tests.conftest import make_runtime
from tests.engine.helpers import docs, events, instance, open_tasks
from tests.support.servers import SmsGateway, SmtpSink

MONDAY_9 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 Shanghai
SH = timedelta(hours=8)
TITLES = [
    spec.title_zh
    for state in QualityException.states
    if (wait := QualityException.wait_for(state.id))
    for spec in wait.tasks
] + [QualityException.title_zh]


def local(d: int, hh: int, mm: int = 0) -> datetime:
    """Nov ``d`` 2026, Shanghai wall clock, as UTC."""
    return datetime(2026, 11, d, hh, mm, tzinfo=UTC) - SH


@pytest.fixture
def mailrt(tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway) -> Runtime:
    return make_runtime(tmp_path / "q.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)


def record(order_no: str, found: datetime, **kw: Any) -> dict[str, Any]:
    """A 质量异常记录 as the inspector types it: 200 inspected, 4 failed (98 %)."""
    return {
        "order_no": order_no,
        "received_at": found.isoformat(),
        "stage": "incoming",
        "item": "断路器 DZ47-63",
        "batch": "B-1123",
        "supplier": "温州正泰",
        "inspected": 200,
        "failed": 4,
        "description": "4 只脱扣试验不合格",
        **kw,
    }


def started(rt: Runtime, order_no: str = "SO-Q1", **kw: Any) -> tuple[Driver, int, dict]:
    """An order on file; the inspector records a problem found at 09:00, typed in at 09:10."""
    d = Driver(rt, MONDAY_9 - timedelta(hours=1))
    d.start("order_review", "clerk", order_form(order_no, "regular", now=d.now))
    d.now = MONDAY_9 + timedelta(minutes=10)
    form = record(order_no, MONDAY_9, **kw)
    return d, d.start("quality_exception", "iqc", form), form


def mails(sink: SmtpSink, tag: str = "升级") -> list[tuple[str, str]]:
    """(username, subject) of the mails tagged ``tag`` about the quality exception (the
    order's own review runs beside it and escalates too)."""
    return [
        (m.to.split("@")[0], m.subject)
        for m in sink.messages
        if tag in m.subject and any(t in m.body for t in TITLES)
    ]


def sweep_twice(rt: Runtime, at: datetime) -> None:
    for _ in range(2):
        escalate_due(rt, now=at)
        deliver_pending(rt, now=at)


def informed(rt: Runtime, iid: int) -> list[str]:
    """Who was told (template ``inform``) about the instance, by username."""
    with Session(rt.db) as s:
        rows = s.exec(
            select(Notification, User.username)
            .join(User, User.id == Notification.user_id)
            .where(Notification.template == "inform", Notification.channel == "email")
        ).all()
    return sorted(u for n, u in rows if n.context.get("instance_id") == iid)


def test_classification_due_20_wm_from_finding_then_qa_lead_then_gm(
    mailrt: Runtime, smtp_sink: SmtpSink
) -> None:
    _, iid, _ = started(mailrt)
    [task] = open_tasks(mailrt, iid)
    assert (task.role, task.clock_start, task.due_at) == (
        "qc_inspector",
        MONDAY_9,
        local(23, 9, 20),
    )
    assert task.chain == ["role:qa_lead", "role:general_manager"]
    sweep_twice(mailrt, local(23, 9, 20))
    assert [to for to, _ in mails(smtp_sink)] == ["qa_lead"]
    sweep_twice(mailrt, local(23, 9, 40))
    assert [to for to, _ in mails(smtp_sink)] == ["qa_lead", "gm"]
    assert all("SO-Q1" in subject for _, subject in mails(smtp_sink))


def test_internal_rework_informs_the_workshop_head_and_resolution_the_inspectors(
    mailrt: Runtime,
) -> None:
    d, iid, form = started(mailrt)
    d.act(iid, "iqc", "classify_internal", {**form, "operator": "装配 3 号 王五"})
    assert instance(mailrt, iid).state == "rework"
    assert informed(mailrt, iid) == ["workshop"]  # the operator's direct leader
    [task] = open_tasks(mailrt, iid)
    assert task.role == "qc_inspector"
    d.act(iid, "iqc", "rework_passed", {"action": "返工", "resolution": "复检合格"})
    inst = instance(mailrt, iid)
    assert inst.state == "resolved" and inst.data["forms"]["classify_internal"]["branch"] == (
        "internal"
    )
    assert informed(mailrt, iid) == ["iqc", "workshop"]  # resolution to the inspectors
    # the classified record and the resolution are filed as printable documents
    assert docs(mailrt, "SO-Q1") == {"ZY-SO-Q1-01": "issued", "ZC-SO-Q1-01": "issued"}


def test_failed_rework_goes_to_the_qa_lead_as_technical(mailrt: Runtime) -> None:
    d, iid, form = started(mailrt)
    d.act(iid, "iqc", "classify_internal", form)
    d.now += timedelta(hours=1)
    d.act(iid, "iqc", "rework_failed", reason="返工后仍漏电")
    [task] = open_tasks(mailrt, iid)
    assert (task.role, task.due_at) == ("qa_lead", d.now + timedelta(minutes=30))


def test_cross_company_qa_lead_30_wm_from_report_escalates_past_himself_to_gm(
    mailrt: Runtime, smtp_sink: SmtpSink
) -> None:
    d, iid, form = started(mailrt, stage="in_process", supplier=None)
    d.now = local(23, 9, 15)
    d.act(iid, "iqc", "classify_cross_company", form)
    [task] = open_tasks(mailrt, iid)
    assert (task.role, task.clock_start, task.due_at) == (
        "qa_lead",
        local(23, 9, 15),
        local(23, 9, 45),
    )
    # dflt: L1 the quality head — the QA lead holds the task himself, so skipped; L2 GM office
    sweep_twice(mailrt, local(23, 10, 15))
    assert [to for to, _ in mails(smtp_sink)] == ["gm"]
    d.now = local(23, 10, 20)
    d.act(iid, "qa_lead", "coordinate", {"action": "协调分厂", "resolution": "分厂返修"})
    assert instance(mailrt, iid).state == "resolved"


def test_purchased_general_goes_to_the_buyer_1_wd(mailrt: Runtime, smtp_sink: SmtpSink) -> None:
    d, iid, form = started(mailrt)  # 98 %, nothing ticked
    d.act(iid, "iqc", "classify_purchased", form)
    assert instance(mailrt, iid).state == "purchased_general"
    stored = instance(mailrt, iid).data["forms"]["classify_purchased"]
    assert (stored["inspected"], stored["failed"], is_serious(stored)) == (200, 4, False)
    [task] = open_tasks(mailrt, iid)
    assert (task.role, task.due_at) == ("buyer", d.now + timedelta(days=1))
    sweep_twice(mailrt, local(23, 17, 30))  # 75 % of 1 WD: the buyer is reminded
    assert [to for to, _ in mails(smtp_sink, "提醒")] == ["buyer"]
    sweep_twice(mailrt, task.due_at)
    assert [to for to, _ in mails(smtp_sink)] == ["purch_lead"]
    sweep_twice(mailrt, task.due_at + timedelta(days=1))
    assert [to for to, _ in mails(smtp_sink)] == ["purch_lead", "gm"]
    d.act(iid, "buyer", "handle", {"action": "让步接收", "resolution": "降价接收"})
    assert instance(mailrt, iid).state == "resolved"


@pytest.mark.parametrize(
    "data",
    [
        {"failed": 11},  # 94.5 % < 95 %
        {"wrong_spec": True},
        {"missing_parts": True},
        {"bad_appearance": True},
        {"qty_mismatch": True},
    ],
)
def test_low_pass_rate_or_serious_goes_straight_to_both_heads(
    rt: Runtime, data: dict[str, Any]
) -> None:
    d, iid, form = started(rt, **data)
    d.act(iid, "iqc", "classify_purchased", form)
    assert instance(rt, iid).state == "purchased_serious"
    tasks = sorted(open_tasks(rt, iid), key=lambda t: t.role)
    assert [t.role for t in tasks] == ["purchasing_lead", "qa_lead"]
    assert {t.due_at for t in tasks} == {local(23, 14, 10)}  # 4 WH* from the report (09:10)


def test_95_percent_exactly_is_general(rt: Runtime) -> None:
    d, iid, form = started(rt, failed=10)
    d.act(iid, "iqc", "classify_purchased", form)
    assert instance(rt, iid).state == "purchased_general"


def test_serious_heads_escalate_to_the_gm_once(mailrt: Runtime, smtp_sink: SmtpSink) -> None:
    d, iid, form = started(mailrt, qty_mismatch=True)
    d.act(iid, "iqc", "classify_purchased", form)
    tasks = open_tasks(mailrt, iid)
    sweep_twice(mailrt, local(23, 14, 10))
    sweep_twice(mailrt, local(24, 17, 10))
    # each head holds his own task: L1 (his own department's head) skipped, L2 the GM office
    # hears of each task exactly once
    to_gm = [m for m in smtp_sink.messages if "升级" in m.subject and m.to.startswith("gm@")]
    assert {m.to.split("@")[0] for m in smtp_sink.messages if "升级" in m.subject} >= {"gm"}
    for t in tasks:
        assert sum(f"/tasks/{t.id}" in m.body for m in to_gm) == 1
    assert not [to for to, _ in mails(smtp_sink) if to in ("qa_lead", "purch_lead")]
    d.act(
        iid,
        "purch_lead",
        "handle_serious",
        {
            "action": "整批退货",
            "resolution": "供应商补发",
            "supplier_return": True,
        },
    )
    assert instance(mailrt, iid).state == "resolved"
    assert open_tasks(mailrt, iid) == []


def test_technical_unresolved_goes_to_the_gm_and_the_inspectors_hear(
    mailrt: Runtime, smtp_sink: SmtpSink
) -> None:
    d, iid, form = started(mailrt, stage="final", supplier=None)
    d.act(iid, "iqc", "classify_technical", form)
    [task] = open_tasks(mailrt, iid)
    assert (task.role, task.due_at, task.chain) == (
        "qa_lead",
        local(23, 9, 40),
        ["role:general_manager"],
    )
    sweep_twice(mailrt, local(23, 9, 40))
    assert [to for to, _ in mails(smtp_sink)] == ["gm"]
    d.now = local(23, 10)
    d.act(iid, "qa_lead", "refer_to_gm", reason="设计缺陷，需改图")
    [gm_task] = open_tasks(mailrt, iid)
    assert (gm_task.role, gm_task.due_at) == ("general_manager", local(23, 15))
    # the GM's own task: no level left above him — the breach is recorded, he is reminded once
    sweep_twice(mailrt, local(23, 15))
    assert [to for to, _ in mails(smtp_sink, "提醒")] == ["gm"]
    breach = [e for e in events(mailrt, iid) if e.action == "breach"]
    assert len(breach) == 1 and breach[0].detail["no_level_left"] is True
    d.now = local(23, 15, 30)
    d.act(iid, "gm", "gm_settle", {"action": "技术部改图", "resolution": "按新图返修"})
    assert instance(mailrt, iid).state == "resolved"
    assert informed(mailrt, iid) == ["iqc"]
    deliver_pending(mailrt, now=d.now)
    assert [to for to, _ in mails(smtp_sink, "需要您知悉")] == ["iqc"]


def test_a_batch_defect_threatening_delivery_informs_the_merchandising_lead(rt: Runtime) -> None:
    d, iid, form = started(rt, threatens_delivery=True)
    d.act(iid, "iqc", "classify_purchased", form)
    assert informed(rt, iid) == ["merch_lead"]


def test_failed_above_inspected_is_refused_and_nothing_starts(rt: Runtime) -> None:
    d = Driver(rt, MONDAY_9)
    d.start("order_review", "clerk", order_form("SO-Q9", "regular", now=d.now))
    with pytest.raises(InvalidForm) as info:
        d.start("quality_exception", "iqc", record("SO-Q9", MONDAY_9, failed=201))
    assert "failed" in info.value.errors


def test_only_an_inspector_records(rt: Runtime) -> None:
    from gendan.errors import NotAllowed

    d = Driver(rt, MONDAY_9)
    d.start("order_review", "clerk", order_form("SO-Q8", "regular", now=d.now))
    with pytest.raises(NotAllowed):
        d.start("quality_exception", "buyer", record("SO-Q8", MONDAY_9))
