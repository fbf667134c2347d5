"""Group commit (gendan.group_commit): completions queued together share one transaction and
one COMMIT, yet each is its own all-or-nothing move with its own answer. Real SQLite file, or
PostgreSQL with GENDAN_TEST_POSTGRES_URL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlmodel import Session, select

from gendan.demo import Driver, order_form, step_forms
from gendan.errors import Conflict, InvalidForm
from gendan.group_commit import (
    committer_for,
    complete_grouped,
    complete_many_grouped,
    grouping,
)
from gendan.models import AuditEvent, Task, User
from gendan.org import Actor, load_actor
from gendan.runtime import Runtime
from gendan.transitions import complete_task
from tests.conftest import MONDAY_10, POSTGRES
from tests.engine.helpers import instance, snapshot


def clerk(rt: Runtime) -> Actor:
    with Session(rt.db) as s:
        uid = s.exec(select(User.id).where(User.username == "clerk")).one()
        return load_actor(s, uid)


def orders(driver: Driver, *numbers: str) -> list[tuple[int, int]]:
    """Order reviews started, each with its first task (the clerk's confirm): (instance, task)."""
    started = []
    for no in numbers:
        iid = driver.start("order_review", "clerk", order_form(no, "regular", now=MONDAY_10))
        with Session(driver.rt.db) as s:
            task = s.exec(select(Task).where(Task.instance_id == iid, Task.status == "open")).one()
        assert task.id is not None
        started.append((iid, task.id))
    return started


def confirm_form(order_no: str) -> dict[str, Any]:
    return step_forms(order_form(order_no, "regular", now=MONDAY_10), MONDAY_10)["confirm"]


def confirming(
    rt: Runtime, actor: Actor, task_id: int, form: dict[str, Any]
) -> Callable[[Session], int]:
    def work(session: Session) -> int:
        inst = complete_task(session, task_id=task_id, actor=actor, decision="confirm",
                             form_data=form, now=MONDAY_10, calendar=rt.calendar)  # fmt: skip
        assert inst.id is not None
        return inst.id

    return work


def commits(rt: Runtime) -> list[int]:
    """A list that grows by one at each COMMIT on the engine (the test's probe)."""
    seen: list[int] = []
    event.listen(rt.db, "commit", lambda _conn: seen.append(1))
    return seen


def test_a_group_lands_every_completion_with_one_commit(rt: Runtime, driver: Driver) -> None:
    started = orders(driver, "SO-G1", "SO-G2", "SO-G3", "SO-G4")
    actor = clerk(rt)
    seen = commits(rt)
    members = committer_for(rt.db).run_many(
        [confirming(rt, actor, tid, confirm_form(f"SO-G{i + 1}")) for i, (_, tid) in
         enumerate(started)]  # fmt: skip
    )
    assert [m.outcome() for m in members] == [iid for iid, _ in started]
    assert len(seen) == 1  # one transaction for the four moves
    for iid, _ in started:
        assert instance(rt, iid).state == "feasibility_review"
        assert instance(rt, iid).version == 2


def test_the_same_task_twice_in_one_group_one_wins_the_other_is_409(
    rt: Runtime, driver: Driver
) -> None:
    ((iid, tid),) = orders(driver, "SO-G5")
    actor = clerk(rt)
    work = confirming(rt, actor, tid, confirm_form("SO-G5"))
    first, second = committer_for(rt.db).run_many([work, work])
    assert first.outcome() == iid
    with pytest.raises(Conflict):
        second.outcome()
    with Session(rt.db) as s:
        moves = s.exec(
            select(AuditEvent).where(AuditEvent.instance_id == iid, AuditEvent.action ==
                                     "transition")  # fmt: skip
        ).all()
    assert len(moves) == 1 and instance(rt, iid).version == 2


def test_an_invalid_form_in_a_group_is_its_422_alone(rt: Runtime, driver: Driver) -> None:
    (a, ta), (b, tb), (c, tc) = orders(driver, "SO-G6", "SO-G7", "SO-G8")
    actor = clerk(rt)
    bad = {**confirm_form("SO-G7"), "quantity": -3}
    before_b = instance(rt, b)
    members = committer_for(rt.db).run_many([
        confirming(rt, actor, ta, confirm_form("SO-G6")),
        confirming(rt, actor, tb, bad),
        confirming(rt, actor, tc, confirm_form("SO-G8")),
    ])  # fmt: skip
    assert members[0].outcome() == a and members[2].outcome() == c
    with pytest.raises(InvalidForm) as refused:
        members[1].outcome()
    assert "quantity" in refused.value.errors
    after_b = instance(rt, b)  # nothing of the invalid one written
    assert (after_b.state, after_b.version, after_b.data) == (
        before_b.state, before_b.version, before_b.data,
    )  # fmt: skip
    with Session(rt.db) as s:
        assert s.get(Task, tb).status == "open"  # type: ignore[union-attr]
        assert not s.exec(
            select(AuditEvent).where(AuditEvent.instance_id == b, AuditEvent.action ==
                                     "transition")  # fmt: skip
        ).all()
    assert instance(rt, a).state == instance(rt, c).state == "feasibility_review"


class CommitRefused(RuntimeError):
    """The failure injected at COMMIT."""


def test_a_failed_commit_writes_nothing_of_the_group_and_tells_each_caller(
    rt: Runtime, driver: Driver
) -> None:
    started = orders(driver, "SO-G9", "SO-G10", "SO-G11")
    actor = clerk(rt)
    before = snapshot(rt)

    def refuse(_conn: Any) -> None:
        raise CommitRefused("the disk is full")

    event.listen(rt.db, "commit", refuse)
    try:
        members = committer_for(rt.db).run_many(
            [confirming(rt, actor, tid, confirm_form(f"SO-G{9 + i}")) for i, (_, tid) in
             enumerate(started)]  # fmt: skip
        )
    finally:
        event.remove(rt.db, "commit", refuse)
    for m in members:
        with pytest.raises(CommitRefused):
            m.outcome()
    assert snapshot(rt) == before
    # the queue works on afterwards: the same moves land in the next group
    assert complete_grouped(rt, task_id=started[0][1], actor=actor, decision="confirm",
                            form_data=confirm_form("SO-G9"), reason="", password=None,
                            now=MONDAY_10) == started[0][0]  # fmt: skip


def test_the_bulk_decision_is_grouped_and_each_task_answers(rt: Runtime, driver: Driver) -> None:
    """complete_many_grouped (the bulk page): a done task and a task done twice."""
    started = orders(driver, "SO-G12", "SO-G13")
    actor = clerk(rt)
    tids = [tid for _, tid in started]
    # confirm needs its form: the bulk (no form) gets a 422 per task, nothing written
    before = snapshot(rt)
    errors = complete_many_grouped(rt, task_ids=tids, actor=actor, decision="confirm",
                                   reason="", password=None, now=MONDAY_10)  # fmt: skip
    assert all(isinstance(e, InvalidForm) for e in errors)
    assert snapshot(rt) == before


@pytest.mark.parametrize("grouped", [True, False])
def test_the_setting_switches_group_commit_off(
    rt: Runtime, driver: Driver, grouped: bool
) -> None:
    ((iid, tid),) = orders(driver, "SO-G14")
    rt.settings = rt.settings.model_copy(update={"group_commit": grouped})
    seen = commits(rt)
    got = complete_grouped(rt, task_id=tid, actor=clerk(rt), decision="confirm",
                           form_data=confirm_form("SO-G14"), reason="", password=None,
                           now=MONDAY_10)  # fmt: skip
    assert got == iid and len(seen) == 1
    assert instance(rt, iid).state == "feasibility_review"


@pytest.mark.skipif(not POSTGRES, reason="a deadlock between row locks: PostgreSQL only")
def test_a_member_chosen_as_deadlock_victim_is_retried_alone(rt: Runtime, driver: Driver) -> None:
    """A group holds its first member's locks (the audit head) while its second waits for an
    instance another transaction holds, which then asks for the audit head: PostgreSQL
    aborts the second member (it waited first); it runs again alone after the group."""
    (x, tx), (y, ty) = orders(driver, "SO-G15", "SO-G16")
    actor = clerk(rt)
    other = rt.db.connect()
    other_tx = other.begin()
    other.execute(text("SELECT id FROM instance WHERE id = :i FOR UPDATE"), {"i": y})
    members: list[Any] = []
    group = threading.Thread(target=lambda: members.extend(committer_for(rt.db).run_many([
        confirming(rt, actor, tx, confirm_form("SO-G15")),
        confirming(rt, actor, ty, confirm_form("SO-G16")),
    ])))  # fmt: skip
    group.start()
    with rt.db.connect() as probe:  # the group's second member is waiting for the instance
        while not probe.execute(WAITING_FOR_A_LOCK).scalar():
            probe.rollback()
    other.execute(text("SELECT seq FROM audithead WHERE id = 1 FOR UPDATE"))  # not the victim
    other_tx.commit()
    other.close()
    group.join()
    assert [m.outcome() for m in members] == [x, y]
    assert instance(rt, x).version == instance(rt, y).version == 2


WAITING_FOR_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND wait_event_type = 'Lock'"
)


def test_unset_the_setting_groups_on_sqlite_only(rt: Runtime, driver: Driver) -> None:
    ((iid, tid),) = orders(driver, "SO-G17")
    rt.settings = rt.settings.model_copy(update={"group_commit": None})
    assert grouping(rt) is (rt.db.dialect.name == "sqlite")
    got = complete_grouped(rt, task_id=tid, actor=clerk(rt), decision="confirm",
                           form_data=confirm_form("SO-G17"), reason="", password=None,
                           now=MONDAY_10)  # fmt: skip
    assert got == iid and instance(rt, iid).state == "feasibility_review"
