"""The lean reads of issue 11 give what the ORM reads gave: ``lean_inbox`` the rows and cursor
of ``inbox``; ``bounded_counts`` the exact counts up to its cap, then cap + 1; the login's
actor in two statements the same ``Actor`` as ``load_actor``."""

from __future__ import annotations

from sqlmodel import Session, select

from gendan.assignment import claim_task
from gendan.db import unit_of_work
from gendan.inbox_tabs import bounded_counts, shown_count, tab_counts
from gendan.lean_reads import actor_of
from gendan.models import AuditEvent, Task, Timer, User
from gendan.org import load_actor
from gendan.queries import InboxFilter, inbox, instance_view, lean_inbox
from gendan.runtime import Runtime
from tests.conftest import MONDAY_10
from tests.engine.test_inbox import clerk, seed


def test_lean_inbox_pages_like_the_orm_inbox(rt: Runtime) -> None:
    seed(rt, 7)
    actor = clerk(rt)
    with unit_of_work(rt.db) as s:
        first = s.exec(select(Task.id).where(Task.status == "open").order_by(Task.id)).first()
        claim_task(s, task_id=first, actor=actor, now=MONDAY_10)
    kw = {"now": MONDAY_10, "tz": rt.calendar.zone, "limit": 3}
    for flt in (InboxFilter(), InboxFilter(scope="mine"), InboxFilter(customer="华东")):
        after = None
        with Session(rt.db) as s:
            while True:
                orm = inbox(s, actor, flt=flt, after=after, **kw)
                lean = lean_inbox(s, actor, flt=flt, after=after, **kw)
                assert lean.next_cursor == orm.next_cursor
                assert len(lean.rows) == len(orm.rows)
                for a, b in zip(lean.rows, orm.rows, strict=True):
                    assert vars(a.task) == b.task.model_dump(exclude={"form_data"})
                    inst = b.instance
                    assert (a.instance.id, a.instance.reference) == (inst.id, inst.reference)
                    assert (a.department.key, a.department.name_zh) == (
                        b.department.key,
                        b.department.name_zh,
                    )
                    assert (a.customer, a.mine) == (b.customer, b.mine)
                if orm.next_cursor is None:
                    break
                after = orm.next_cursor


def test_bounded_counts_are_exact_up_to_the_cap(rt: Runtime) -> None:
    seed(rt, 5)
    actor = clerk(rt)
    with Session(rt.db) as s:
        exact = tab_counts(s, actor)
        assert exact["todo"] == 5 and exact["started"] == 5
        assert bounded_counts(s, actor) == exact  # all below 99
        assert bounded_counts(s, actor, cap=3) == {k: min(v, 4) for k, v in exact.items()}
        assert bounded_counts(s, actor, tabs=("todo",)) == {"todo": 5}
    assert [shown_count(n, 3) for n in (0, 3, 4)] == ["0", "3", "3+"]


def test_actor_of_is_load_actor(rt: Runtime) -> None:
    with Session(rt.db) as s:
        for user in s.exec(select(User)).all():
            if user.is_active:
                assert actor_of(s, user) == load_actor(s, user.id), user.username


def test_instance_view_trail_is_what_model_dump_gave(rt: Runtime) -> None:
    seed(rt, 1)
    actor = clerk(rt)
    with Session(rt.db) as s:
        iid = s.exec(select(Task.instance_id)).first()
        view = instance_view(s, iid, actor)
        tasks = s.exec(select(Task).where(Task.instance_id == iid).order_by(Task.id)).all()
        timers = s.exec(
            select(Timer).where(Timer.task_id.in_([t.id for t in tasks])).order_by(Timer.id)
        ).all()
        events = s.exec(
            select(AuditEvent).where(AuditEvent.instance_id == iid).order_by(AuditEvent.seq)
        ).all()
        assert view["tasks"] == [t.model_dump() for t in tasks] and tasks
        assert view["timers"] == [t.model_dump() for t in timers] and timers
        assert view["audit"] == [e.model_dump() for e in events] and events
