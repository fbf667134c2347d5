"""Inbox actions through HTTP: give back, delegate, reassign, bulk signing, filters, paging."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import Driver, order_form, step_forms
from gendan.models import AuditEvent, Department, Instance, Task, User, UserRole
from gendan.runtime import Runtime
from tests.api.test_pages import csrf_of, login
from tests.conftest import MONDAY_10


def second_clerk(rt: Runtime) -> None:
    """Give the salesperson the sales-clerk role too, so there is a colleague to delegate to."""
    with unit_of_work(rt.db) as s:
        sales = s.exec(select(Department).where(Department.key == "sales")).one()
        other = s.exec(select(User).where(User.username == "sales")).one()
        s.add(UserRole(user_id=other.id, role="sales_clerk", department_id=sales.id))


def task_of(rt: Runtime, iid: int) -> Task:
    with Session(rt.db) as s:
        return s.exec(select(Task).where(Task.instance_id == iid, Task.status == "open")).one()


def test_give_back_delegate_and_reassign(server: str, rt: Runtime) -> None:
    second_clerk(rt)
    iid = Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form("SO-A1", "regular", now=MONDAY_10)
    )
    task = task_of(rt, iid)
    clerk = login(server, "clerk")
    token = csrf_of(clerk.get("/").text)
    assert clerk.post(f"/tasks/{task.id}/claim", data={"csrf_token": token}).status_code == 303
    assert clerk.post(f"/tasks/{task.id}/unclaim", data={"csrf_token": token}).status_code == 303
    assert task_of(rt, iid).assignee_id is None
    clerk.post(f"/tasks/{task.id}/claim", data={"csrf_token": token})
    with Session(rt.db) as s:
        sales_id = s.exec(select(User.id).where(User.username == "sales")).one()
        buyer_id = s.exec(select(User.id).where(User.username == "buyer")).one()
    bad = clerk.post(
        f"/tasks/{task.id}/delegate", data={"csrf_token": token, "to_user_id": str(buyer_id)}
    )
    assert bad.status_code == 422  # the buyer does not hold the role
    ok = clerk.post(
        f"/tasks/{task.id}/delegate",
        data={"csrf_token": token, "to_user_id": str(sales_id), "reason": "休假"},
    )
    assert ok.status_code == 303 and task_of(rt, iid).assignee_id == sales_id
    assert "SO-A1" in login(server, "sales").get("/?scope=mine").text
    # Only the head of the task's department may reassign.
    assert (
        clerk.post(
            f"/tasks/{task.id}/reassign", data={"csrf_token": token, "to_user_id": str(sales_id)}
        ).status_code
        == 403
    )
    head = login(server, "sales_head")
    head_token = csrf_of(head.get(f"/tasks/{task.id}").text)
    with Session(rt.db) as s:
        clerk_id = s.exec(select(User.id).where(User.username == "clerk")).one()
    r = head.post(
        f"/tasks/{task.id}/reassign", data={"csrf_token": head_token, "to_user_id": str(clerk_id)}
    )
    assert r.status_code == 303 and task_of(rt, iid).assignee_id == clerk_id
    with Session(rt.db) as s:
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.task_id == task.id)).all()
    assert actions == ["claim", "unclaim", "claim", "delegate", "reassign"]


def test_gm_signs_several_repeat_orders_at_once(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    ids = []
    for n in range(3):
        form = order_form(f"SO-B{n}", "repeat", now=MONDAY_10)
        iid = d.start("order_review", "clerk", form)
        d.act(iid, "clerk", "confirm", step_forms(form, MONDAY_10)["confirm"])
        ids.append(iid)
    gm = login(server, "gm")
    inbox = gm.get("/").text
    boxes = re.findall(r'name="task_id" value="(\d+)"', inbox)
    assert len(boxes) == 3 and 'option value="sign"' in inbox
    token = csrf_of(inbox)
    wrong = gm.post(
        "/tasks/bulk",
        data={"csrf_token": token, "decision": "sign", "password": "nope", "task_id": boxes},
    )
    assert wrong.status_code == 207 and wrong.text.count("✘") == 3
    done = gm.post(
        "/tasks/bulk",
        data={"csrf_token": token, "decision": "sign", "password": "gendan-demo", "task_id": boxes},
    )
    assert done.status_code == 200 and done.text.count("✔") == 3
    with Session(rt.db) as s:
        states = [s.get(Instance, i).state for i in ids]
    assert states == ["awaiting_contract"] * 3  # the contract and payment gate still apply


def test_inbox_filters_and_next_page_link(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    for n in range(55):
        d.start("order_review", "clerk", order_form(f"SO-C{n:02d}", "regular", now=MONDAY_10))
    clerk = login(server, "clerk")
    first = clerk.get("/").text
    assert first.count('data-task="') == 50 and 'rel="next"' in first
    nxt = re.search(r'href="/\?([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = clerk.get(f"/?{nxt}").text
    assert second.count('data-task="') == 5 and 'rel="next"' not in second
    only = clerk.get("/?order_no=SO-C07").text
    assert only.count('data-task="') == 1 and "SO-C07" in only
