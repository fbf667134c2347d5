"""The set-based sweep (issue 11): batches claimed in one statement, targets, outbox rows and
audit events written per batch — and still every escalation and message exactly once.

Real processes on the suite's database (PostgreSQL with ``GENDAN_TEST_POSTGRES_URL``: two
sweepers share the work through ``SKIP LOCKED``; SQLite: one sweeps, the other leaves it the
work). Nothing here asserts on timings.
"""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter
from datetime import UTC, datetime

from sqlmodel import Session, select

from gendan import audit
from gendan.acknowledgements import SmsAck
from gendan.db import unit_of_work
from gendan.escalation import escalate_due
from gendan.escalation_batch import claim_due
from gendan.models import AuditEvent, Department, Instance, Notification, Timer, User
from gendan.runtime import Runtime
from tests.support.sweep_set_workers import batch_sweeper
from tests.support.sweep_workers import SWEEP_AT, add_due_timers

N = 240
URGENT_EVERY = 6  # every sixth order urgent: a message of its own with an acknowledgement


def _make_some_urgent(rt: Runtime) -> set[int]:
    with unit_of_work(rt.db) as s:
        insts = s.exec(select(Instance).order_by(Instance.id)).all()  # type: ignore[arg-type]
        urgent = insts[::URGENT_EVERY]
        for inst in urgent:
            inst.data = {**inst.data, "order": {**inst.data["order"], "urgent": True}}
            s.add(inst)
        return {i.id for i in urgent if i.id is not None}


def test_two_sweepers_at_once_escalate_and_message_each_task_exactly_once(rt: Runtime) -> None:
    add_due_timers(rt.db, N)
    urgent_instances = _make_some_urgent(rt)
    url = rt.db.url.render_as_string(hide_password=False)
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=batch_sweeper, args=(url, 20, start, out)) for _ in range(2)]
    for p in procs:
        p.start()
    start.set()
    reports = [out.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)

    assert [r.get("crash") for r in reports] == [None, None]
    fired = [f for r in reports for f in r["fired"]]
    assert len(fired) == len(set(fired)) == N and {level for _, level in fired} == {1}

    with Session(rt.db) as s:
        head = s.exec(select(User).join(Department, Department.head_user_id == User.id).where(
            Department.key == "sales")).one()  # fmt: skip
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "escalate")).all()
        notes = s.exec(select(Notification)).all()
        acks = s.exec(select(SmsAck)).all()
        urgent_tasks = {
            e.task_id for e in events if e.instance_id in urgent_instances
        }
        level2 = s.exec(select(Timer).where(Timer.level == 2)).all()
    # every escalation once, to the department head, and its next level scheduled once
    assert Counter(e.task_id for e in events) == Counter({t: 1 for t, _ in fired})
    assert {tuple(e.detail["recipients"]) for e in events} == {(head.username,)}
    assert sorted(t.task_id for t in level2) == sorted(t for t, _ in fired)
    # urgent: one message per channel each, one acknowledgement per SMS
    urgent_notes = [n for n in notes if n.cause.startswith("timer:")]
    assert Counter((n.cause, n.channel) for n in urgent_notes).most_common(1)[0][1] == 1
    assert len(urgent_notes) == 2 * len(urgent_tasks) and len(urgent_tasks) == N // URGENT_EVERY
    assert sorted(a.notification_id for a in acks) == sorted(
        n.id for n in urgent_notes if n.channel == "sms"
    )
    assert all(n.context["ack_path"] for n in urgent_notes if n.channel == "sms")
    # the rest in digests: each task once per channel, over all the sweepers' digests
    items: Counter[tuple[str, int]] = Counter()
    for n in notes:
        if n.cause.startswith("sweep:"):
            assert n.user_id == head.id
            listed = n.context["items"] if n.template == "digest" else [n.context]
            items.update((n.channel, i["task_id"]) for i in listed)
    plain = {t for t, _ in fired} - urgent_tasks
    assert items == Counter({(ch, t): 1 for t in plain for ch in ("email", "sms")})
    # the chain the batches extended is intact
    assert audit.verify(rt.db).ok


def test_append_many_hashes_as_append_does_and_the_chain_verifies(rt: Runtime) -> None:
    at = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    fields = [
        {"action": "note", "actor_id": None, "actor_name": "system", "at": at,
         "detail": {"n": n, "when": at}, "order_no": f"SO-{n}"}
        for n in range(3)
    ]  # fmt: skip
    with unit_of_work(rt.db) as s:
        first = audit.append(s, action="before", actor_id=None, actor_name="system", at=at)
        many = audit.append_many(s, fields)
        last = audit.append(s, action="after", actor_id=None, actor_name="system", at=at)
    assert [e.seq for e in many] == [first.seq + 1, first.seq + 2, first.seq + 3]
    assert many[0].prev_hash == first.hash and last.prev_hash == many[-1].hash
    assert all(audit.event_hash(e) == e.hash for e in many)
    assert audit.append_many(Session(rt.db), []) == []
    report = audit.verify(rt.db)
    assert report.ok and report.checked == first.seq + 4


def test_a_batch_claims_at_most_its_size_in_due_order_and_only_once(rt: Runtime) -> None:
    add_due_timers(rt.db, 7)
    with unit_of_work(rt.db) as s:
        first = claim_due(s, now=SWEEP_AT, size=5)
    with unit_of_work(rt.db) as s:
        second = claim_due(s, now=SWEEP_AT, size=5)
        third = claim_due(s, now=SWEEP_AT, size=5)
    assert len(first) == 5 and len(second) == 2 and third == []
    assert [r.id for r in first] == sorted(r.id for r in first)
    assert not {r.id for r in first} & {r.id for r in second}
    with Session(rt.db) as s:
        statuses = s.exec(select(Timer.status)).all()
    assert set(statuses) == {"fired"}
    assert escalate_due(rt, now=SWEEP_AT) == []
