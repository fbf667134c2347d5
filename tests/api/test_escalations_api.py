"""The escalation view over HTTP: who may see it, its JSON, urge and reassign from it, the
inbox badge count, and the admin calendar saying how many deadlines moved."""

from __future__ import annotations

from sqlmodel import Session, select

from gendan.escalation import escalate_due
from gendan.models import AuditEvent, Notification, Task, User
from gendan.runtime import Runtime
from tests.api.conftest import Clock, api_client
from tests.api.test_pages import csrf_of, login
from tests.engine.test_escalation import MONDAY_9, at_production_notice
from tests.engine.test_escalation_actions import DEADLINE


def escalated(rt: Runtime, clock: Clock) -> Task:
    task = at_production_notice(rt, MONDAY_9)
    escalate_due(rt, now=DEADLINE)
    clock.now = DEADLINE
    return task


def test_only_heads_and_the_gm_office_see_the_view(server: str, rt: Runtime, clock: Clock) -> None:
    task = escalated(rt, clock)
    clerk = login(server, "clerk")
    assert clerk.get("/escalations").status_code == 403
    assert 'href="/escalations"' not in clerk.get("/").text
    assert api_client(server, "clerk").get("/api/escalations").status_code == 403
    head = login(server, "sales_head")
    page = head.get("/escalations")
    assert page.status_code == 200 and f'data-task="{task.id}"' in page.text
    assert 'href="/escalations"' in head.get("/escalations").text  # in the navigation
    body = api_client(server, "sales_head").get("/api/escalations").json()
    [row] = body["escalated"]
    assert (row["task_id"], row["my_level"], row["order_no"]) == (task.id, 1, "SO-30")
    assert row["may_reassign"] is True and row["late_working_minutes"] == 0
    gm = api_client(server, "gm").get("/api/escalations")
    assert gm.status_code == 200 and gm.json() == {"escalated": [], "overdue": []}


def test_urge_and_reassign_from_the_view(server: str, rt: Runtime, clock: Clock) -> None:
    task = escalated(rt, clock)
    head = login(server, "sales_head")
    token = csrf_of(head.get("/escalations").text)
    empty = head.post(f"/escalations/{task.id}/urge", data={"csrf_token": token, "note": ""})
    assert empty.status_code == 422
    urged = head.post(
        f"/escalations/{task.id}/urge", data={"csrf_token": token, "note": "请今天发出"}
    )
    assert urged.status_code == 303 and urged.headers["location"] == "/escalations?done=urged"
    with Session(rt.db) as s:
        assert len(s.exec(select(Notification).where(Notification.template == "urge")).all()) == 1
        clerk_id = s.exec(select(User.id).where(User.username == "clerk")).one()
    clerk = login(server, "clerk")
    not_head = clerk.post(
        f"/escalations/{task.id}/reassign",
        data={"csrf_token": csrf_of(clerk.get("/").text), "to_user_id": str(clerk_id)},
    )
    assert not_head.status_code == 403
    moved = head.post(
        f"/escalations/{task.id}/reassign",
        data={"csrf_token": token, "to_user_id": str(clerk_id), "reason": "请跟进"},
    )
    assert moved.status_code == 303
    with Session(rt.db) as s:
        assert s.get(Task, task.id).assignee_id == clerk_id  # type: ignore[union-attr]
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "reassign")).first()
        told = s.exec(
            select(Notification).where(Notification.cause.startswith("reassign:"))
        ).all()
        assert [(n.template, n.address) for n in told] == [("new_task", "clerk@demo.gendan.local")]
    stranger = api_client(server, "logistics").post(f"/api/escalations/{task.id}/urge", json={})
    assert stranger.status_code == 403  # who may urge is decided before the note is read
    api = api_client(server, "sales_head")
    assert api.post(f"/api/escalations/{task.id}/urge", json={"note": ""}).status_code == 422
    ok = api.post(f"/api/escalations/{task.id}/urge", json={"note": "催一下"})
    assert ok.status_code == 200 and ok.json() == {"task_id": task.id, "recipients": ["clerk"]}


def test_inbox_count_and_its_script(server: str, rt: Runtime, clock: Clock) -> None:
    at_production_notice(rt, MONDAY_9)
    clerk = login(server, "clerk")
    count = clerk.get("/inbox/count")
    assert count.status_code == 200 and count.json() == {"todo": 1}
    home = clerk.get("/").text
    assert 'id="todo-badge"' in home and '<script src="/static/inbox-count.js"' in home
    script = clerk.get("/static/inbox-count.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "/inbox/count" in script.text
    assert login(server, "eng_head").get("/inbox/count").json() == {"todo": 0}


def test_the_calendar_page_says_how_many_deadlines_moved(
    server: str, rt: Runtime, clock: Clock
) -> None:
    task = at_production_notice(rt, MONDAY_9)  # due Monday 14:00
    clock.now = MONDAY_9
    admin = login(server, "admin")
    token = csrf_of(admin.get("/admin/calendar").text)
    saved = admin.post(
        "/admin/calendar",
        data={"csrf_token": token, "day": "2026-11-23", "working": "0", "note": "停电"},
    )
    assert saved.status_code == 303 and "moved=1" in saved.headers["location"]
    page = admin.get(saved.headers["location"])
    assert 'id="moved-count"' in page.text and "1" in page.text
    with Session(rt.db) as s:
        assert s.get(Task, task.id).due_at > DEADLINE  # type: ignore[union-attr,operator]


def test_the_gm_acts_on_a_level_two_escalation_from_the_view(
    server: str, rt: Runtime, clock: Clock
) -> None:
    from tests.engine.test_escalation_actions import LEVEL_2

    task = escalated(rt, clock)
    escalate_due(rt, now=LEVEL_2)
    clock.now = LEVEL_2
    gm = login(server, "gm")
    page = gm.get("/escalations")
    assert f'action="/escalations/{task.id}/claim"' in page.text
    claimed = gm.post(f"/escalations/{task.id}/claim", data={"csrf_token": csrf_of(page.text)})
    assert claimed.status_code == 303 and claimed.headers["location"] == f"/tasks/{task.id}"
    assert gm.get(f"/tasks/{task.id}").status_code == 200
    with Session(rt.db) as s:
        gm_id = s.exec(select(User.id).where(User.username == "gm")).one()
        assert s.get(Task, task.id).assignee_id == gm_id  # type: ignore[union-attr]
    # claimed now: the view offers "decide it", not a second claim
    again = gm.get("/escalations").text
    assert f'action="/escalations/{task.id}/claim"' not in again
    assert f'href="/tasks/{task.id}"' in again
