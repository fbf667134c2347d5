"""Bad input, illegal moves, races and crashes leave the database as it was."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

import gendan.transitions as transitions
from gendan import audit
from gendan.assignment import claim_task
from gendan.db import drop_audit_guards, unit_of_work
from gendan.demo import Driver, order_form, step_forms
from gendan.errors import Conflict, IllegalTransition, InvalidForm, NotAllowed
from gendan.models import Task, User
from gendan.org import load_actor
from gendan.runtime import Runtime
from tests.engine.helpers import instance, open_tasks, snapshot


def start(driver: Driver, order_no: str = "SO-20") -> int:
    return driver.start("order_review", "clerk", order_form(order_no, "regular", now=driver.now))


def complete(
    rt: Runtime,
    driver: Driver,
    task_id: int,
    username: str,
    decision: str,
    form: dict | None = None,
) -> None:
    with unit_of_work(rt.db) as s:
        uid = s.exec(select(User.id).where(User.username == username)).one()
        transitions.complete_task(
            s,
            task_id=task_id,
            actor=load_actor(s, uid),
            decision=decision,
            form_data=form,
            now=driver.now,
            calendar=rt.calendar,
        )


def test_invalid_form_names_the_field_and_writes_nothing(rt: Runtime, driver: Driver) -> None:
    iid = start(driver)
    (task,) = open_tasks(rt, iid)
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as exc:
        complete(
            rt,
            driver,
            task.id,
            "clerk",
            "confirm",
            {"model_spec": "X", "quantity": 0, "delivery_date": "2026-13-01"},
        )
    assert {"quantity", "delivery_date", "confirmed_with"} <= set(exc.value.errors)
    assert snapshot(rt) == before


def test_illegal_event_names_state_and_allowed_events(rt: Runtime, driver: Driver) -> None:
    iid = start(driver)
    (task,) = open_tasks(rt, iid)
    before = snapshot(rt)
    with pytest.raises(IllegalTransition) as exc:
        complete(rt, driver, task.id, "clerk", "issue_notice")
    assert exc.value.state == "requirements" and exc.value.allowed == ["confirm"]
    assert "requirements" in str(exc.value) and "confirm" in str(exc.value)
    assert snapshot(rt) == before


def test_someone_elses_task_is_refused(rt: Runtime, driver: Driver) -> None:
    iid = start(driver)
    (task,) = open_tasks(rt, iid)
    before = snapshot(rt)
    with pytest.raises(NotAllowed):
        complete(rt, driver, task.id, "buyer", "confirm", {})
    assert snapshot(rt) == before


def test_completed_task_cannot_be_completed_again(rt: Runtime, driver: Driver) -> None:
    form = order_form("SO-21", "regular", now=driver.now)
    iid = driver.start("order_review", "clerk", form)
    (task,) = open_tasks(rt, iid)
    confirm = step_forms(form, driver.now)["confirm"]
    complete(rt, driver, task.id, "clerk", "confirm", confirm)
    with pytest.raises(Conflict):
        complete(rt, driver, task.id, "clerk", "confirm", confirm)


def test_two_concurrent_completions_one_wins(rt: Runtime, driver: Driver) -> None:
    form = order_form("SO-22", "regular", now=driver.now)
    iid = driver.start("order_review", "clerk", form)
    (task,) = open_tasks(rt, iid)
    confirm = step_forms(form, driver.now)["confirm"]
    barrier, results = threading.Barrier(2), []

    def click() -> None:
        barrier.wait()
        try:
            complete(rt, driver, task.id, "clerk", "confirm", confirm)
            results.append("ok")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    inst = instance(rt, iid)
    assert inst.state == "feasibility_review" and inst.version == 2
    assert len(open_tasks(rt, iid)) == 3  # opened once, not twice


def test_crash_in_the_middle_of_a_move_leaves_nothing(
    rt: Runtime, driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = order_form("SO-23", "regular", now=driver.now)
    iid = driver.start("order_review", "clerk", form)
    (task,) = open_tasks(rt, iid)
    before = snapshot(rt)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut while opening the next tasks")

    monkeypatch.setattr(transitions, "open_tasks", crash)
    with pytest.raises(RuntimeError):
        complete(rt, driver, task.id, "clerk", "confirm", step_forms(form, driver.now)["confirm"])
    assert snapshot(rt) == before
    assert audit.verify(rt.db).ok


def test_audit_verify_detects_a_changed_row(rt: Runtime, driver: Driver) -> None:
    start(driver)
    assert audit.verify(rt.db).ok
    with pytest.raises(DBAPIError, match="read-only"), rt.db.begin() as conn:
        conn.execute(text("UPDATE auditevent SET reason = 'edited later' WHERE seq = 1"))
    drop_audit_guards(rt.db)  # someone with database access removes the guard first
    with rt.db.begin() as conn:
        conn.execute(text("UPDATE auditevent SET reason = 'edited later' WHERE seq = 1"))
    report = audit.verify(rt.db)
    assert not report.ok and report.first_broken_seq == 1 and "altered" in report.problem


def test_audit_verify_detects_a_deleted_row(rt: Runtime, driver: Driver) -> None:
    start(driver, "SO-24")
    start(driver, "SO-25")
    with pytest.raises(DBAPIError, match="read-only"), rt.db.begin() as conn:
        conn.execute(text("DELETE FROM auditevent WHERE seq = 1"))
    drop_audit_guards(rt.db)
    with rt.db.begin() as conn:
        conn.execute(text("DELETE FROM auditevent WHERE seq = 1"))
    report = audit.verify(rt.db)
    assert not report.ok and report.first_broken_seq == 1


def test_claimed_task_is_not_taken_by_a_colleague(rt: Runtime, driver: Driver) -> None:
    from gendan.db import unit_of_work as uow
    from gendan.models import Department, UserRole

    with uow(rt.db) as s:
        sales = s.exec(select(Department).where(Department.key == "sales")).one()
        other = s.exec(select(User).where(User.username == "sales")).one()
        s.add(UserRole(user_id=other.id, role="sales_clerk", department_id=sales.id))
    iid = start(driver, "SO-26")
    (task,) = open_tasks(rt, iid)
    with uow(rt.db) as s:
        uid = s.exec(select(User.id).where(User.username == "clerk")).one()
        claim_task(s, task_id=task.id, actor=load_actor(s, uid), now=driver.now)
    with pytest.raises(NotAllowed):
        complete(rt, driver, task.id, "sales", "confirm", {})
    with Session(rt.db) as s:
        assert s.get(Task, task.id).status == "open"
