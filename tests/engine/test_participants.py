"""Participants chosen at run time (TaskSpec.participants / due = "form:<field>"): the
organiser invites QA to the meeting; the liaison sheet names its addressee and due time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from gendan.demo import Driver, order_form
from gendan.errors import InvalidForm
from gendan.escalation import escalate_due
from gendan.inbox_tabs import tab_counts
from gendan.models import Department, Task, Timer, User
from gendan.org import load_actor
from gendan.runtime import Runtime
from tests.engine import mechanisms
from tests.engine.helpers import instance, snapshot

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Shanghai 10:00


@pytest.fixture(autouse=True)
def _procedures(monkeypatch: pytest.MonkeyPatch) -> None:
    mechanisms.use(monkeypatch)


def holders(rt: Runtime, iid: int, state: str) -> list[tuple[str, str, str | None]]:
    """(department key, role, assignee) of each task of the state."""
    with Session(rt.db) as s:
        out = []
        for t in s.exec(select(Task).where(Task.instance_id == iid, Task.state == state)):
            dep = s.get(Department, t.department_id)
            user = s.get(User, t.assignee_id) if t.assignee_id else None
            out.append((dep.key if dep else "?", t.role, user.username if user else None))
        return sorted(out, key=str)


def meeting(rt: Runtime, no: str, invitees: list[str]) -> tuple[Driver, int]:
    d = Driver(rt, MONDAY_10)
    d.start("order_review", "clerk", order_form(no, "regular", now=MONDAY_10))
    return d, d.start("test_meeting", "prod_mgr", {"order_no": no, "invitees": invitees})


def test_usernames_get_assigned_tasks_departments_their_role_or_their_head(rt: Runtime) -> None:
    _, iid = meeting(rt, "SO-P1", ["qa_lead", "engineering", "workshop"])
    assert holders(rt, iid, "meeting") == [
        ("engineering", "engineering", None),  # the declared role, held there
        ("quality", "engineering", "qa_lead"),  # the invited person, in their department
        ("workshop", "dept_head", None),  # nobody holds the role there: its head
    ]
    with Session(rt.db) as s:
        for who in ("qa_lead", "engineer", "workshop"):
            user = s.exec(select(User).where(User.username == who)).one()
            assert tab_counts(s, load_actor(s, user.id))["todo"] == 1, who
        prod_head = s.exec(select(User).where(User.username == "purch_lead")).one()
        assert tab_counts(s, load_actor(s, prod_head.id))["todo"] == 0  # not invited


def test_the_invited_person_decides_their_own_task(rt: Runtime) -> None:
    from gendan.db import unit_of_work
    from gendan.transitions import complete_task

    _, iid = meeting(rt, "SO-P2", ["qa_lead"])
    with unit_of_work(rt.db) as s:
        task = s.exec(select(Task).where(Task.instance_id == iid)).one()
        qa = s.exec(select(User).where(User.username == "qa_lead")).one()
        complete_task(
            s,
            task_id=task.id,
            actor=load_actor(s, qa.id),
            decision="signed",
            form_data={"order_no": "SO-P2", "invitees": ["purchasing"], "due": "2026-11-24T15:00"},
            now=MONDAY_10,
            calendar=rt.calendar,
        )
    assert instance(rt, iid).state == "liaison"


def test_an_unknown_name_is_a_422_on_the_field_with_nothing_written(rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    d.start("order_review", "clerk", order_form("SO-P3", "regular", now=MONDAY_10))
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as exc:
        d.start("test_meeting", "prod_mgr", {"order_no": "SO-P3", "invitees": ["nobody"]})
    assert list(exc.value.errors) == ["invitees"] and "nobody" in exc.value.errors["invitees"]
    assert snapshot(rt) == before


def test_nobody_named_leaves_the_step_to_its_declared_holder(rt: Runtime) -> None:
    _, iid = meeting(rt, "SO-P4", [])
    assert holders(rt, iid, "meeting") == [("engineering", "engineering", None)]


def test_the_liaison_sheet_names_its_addressee_and_due_time(rt: Runtime) -> None:
    d, iid = meeting(rt, "SO-P5", ["engineering"])
    # 15:00 company time on Tuesday, typed without a zone as people type it
    d.act(iid, "engineer", "signed", {"order_no": "SO-P5", "invitees": ["purchasing"],
                                       "due": "2026-11-24T15:00"})  # fmt: skip
    due = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert holders(rt, iid, "liaison") == [("purchasing", "dept_head", None)]
    with Session(rt.db) as s:
        task = s.exec(select(Task).where(Task.instance_id == iid, Task.state == "liaison")).one()
        assert task.due_at == due
        levels = {t.level: t.due_at for t in s.exec(select(Timer).where(Timer.task_id == task.id))}
    assert levels[1] == due and 0 in levels  # more than a working day: reminded at 75 %
    late = escalate_due(rt, now=due)
    # the purchasing head holds it: level 1 (its head) is skipped, the GM office hears
    assert [(e.task_id, e.level, e.recipients) for e in late if e.task_id == task.id] == [
        (task.id, 2, ("gm",))
    ]
    again = escalate_due(rt, now=due + timedelta(minutes=1))
    assert task.id not in {e.task_id for e in again}  # once


def test_the_catalogue_describes_run_time_participants_and_openings() -> None:
    from api.schemas import ProcedureOut
    from gendan.describe import procedure_catalogue

    catalogue = {p["key"]: p for p in procedure_catalogue()}
    liaison = next(s for s in catalogue["test_meeting"]["states"] if s["id"] == "liaison")
    assert liaison["tasks"][0]["participants"] == "form:invitees"
    assert liaison["tasks"][0]["due"] == "form:due"
    making = catalogue["test_dated"]["states"][0]
    assert making["tasks"][0]["opens"] == {"field": "order.delivery_date", "days_before": 3}
    for proc in catalogue.values():  # what GET /api/procedures returns validates
        ProcedureOut.model_validate(proc)


def test_an_invited_persons_task_page_names_its_seed(rt: Runtime) -> None:
    from api.app import create_app
    from tests.api.conftest import Clock
    from tests.api.test_pages import login
    from tests.support.app_server import serve_app

    _, iid = meeting(rt, "SO-P6", ["qa_lead"])
    with Session(rt.db) as s:
        task = s.exec(select(Task).where(Task.instance_id == iid)).one()
    with serve_app(create_app(rt, clock=Clock(MONDAY_10))) as base:
        page = login(base, "qa_lead").get(f"/tasks/{task.id}")
    assert page.status_code == 200
    assert "参加计划会议并会签" in page.text and "001M 2.1.1" in page.text
