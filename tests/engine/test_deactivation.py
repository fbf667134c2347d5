"""A person who leaves: their claimed tasks return to the role's queue, audited."""

from __future__ import annotations

from sqlmodel import Session, select

from gendan import admin
from gendan.assignment import claim_task
from gendan.db import unit_of_work
from gendan.demo import Driver, order_form
from gendan.models import AuditEvent, Task, User
from gendan.org import load_actor
from gendan.runtime import Runtime
from tests.conftest import MONDAY_10
from tests.engine.helpers import open_tasks


def test_deactivating_releases_claimed_tasks(rt: Runtime, driver: Driver) -> None:
    iid = driver.start("order_review", "clerk", order_form("SO-D1", "regular", now=MONDAY_10))
    (task,) = open_tasks(rt, iid)
    with unit_of_work(rt.db) as s:
        ids = dict(s.exec(select(User.username, User.id)).all())
        claim_task(s, task_id=task.id, actor=load_actor(s, ids["clerk"]), now=MONDAY_10)
    with unit_of_work(rt.db) as s:
        admin.update_user(
            s,
            actor=load_actor(s, ids["admin"]),
            now=MONDAY_10,
            user_id=ids["clerk"],
            is_active=False,
        )
    with Session(rt.db) as s:
        assert s.get(Task, task.id).assignee_id is None
        last = s.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert last.action == "unclaim" and last.task_id == task.id
    assert last.actor_name == "系统管理员" and "deactivated" in last.reason
