"""Pausing and resuming a task's clock through HTTP: the JSON API and the task page."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import Session, select

import states
from gendan.models import AuditEvent
from gendan.runtime import Runtime
from tests.api.conftest import Clock, api_client
from tests.api.test_pages import csrf_of, login
from tests.engine.pausing_drill import PauseDrill, at, start_drill, task_of


@pytest.fixture
def drill(monkeypatch: pytest.MonkeyPatch) -> type[PauseDrill]:
    monkeypatch.setitem(states.PROCEDURES, PauseDrill.key, PauseDrill)
    return PauseDrill


def test_pause_and_resume_through_the_api(
    server: str, rt: Runtime, clock: Clock, drill: type[PauseDrill]
) -> None:
    clock.now = at(23, 10)
    iid = start_drill(rt, at(23, 10))
    tid = task_of(rt, iid, "sales_clerk").id
    clerk = api_client(server, "clerk")
    note = {"note": "已电话询问客户颜色 / asked the colour by phone", "via": "phone"}

    assert clerk.post(f"/api/tasks/{tid}/pause", json=note).status_code == 403  # claim first
    assert clerk.post(f"/api/tasks/{tid}/claim").status_code == 200
    empty = clerk.post(f"/api/tasks/{tid}/pause", json={"note": " "})
    assert empty.status_code == 422 and "note" in empty.json()["errors"]
    assert clerk.post(f"/api/tasks/{tid}/resume").status_code == 409  # not paused

    clock.now = at(23, 11)
    r = clerk.post(f"/api/tasks/{tid}/pause", json=note)
    assert r.status_code == 200, r.text
    assert datetime.fromisoformat(r.json()["paused_at"]) == at(23, 11)
    again = clerk.post(f"/api/tasks/{tid}/pause", json=note)
    assert again.status_code == 409 and "already paused" in again.json()["detail"]
    mc = api_client(server, "mc")
    assert mc.post(f"/api/tasks/{tid}/resume").status_code == 403  # not the holder
    (item,) = [t for t in clerk.get("/api/tasks").json()["items"] if t["id"] == tid]
    assert item["pauses_for"] == "customer" and item["paused_at"]

    clock.now = at(26, 11)  # Thursday: three working days later
    clerk = api_client(server, "clerk")  # a token lasts 12 hours
    r = clerk.post(f"/api/tasks/{tid}/resume")
    assert r.status_code == 200, r.text
    body = r.json()
    assert datetime.fromisoformat(body["due_at"]) == at(27, 10)  # was Tuesday 10:00
    assert body["paused_at"] is None and body["waited_minutes"] == 27 * 60
    assert clerk.post(f"/api/tasks/{tid}/resume").status_code == 409
    with Session(rt.db) as s:
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.task_id == tid)).all()
    assert actions[-3:] == ["claim", "pause", "resume"]


def test_pause_and_resume_on_the_task_page(
    server: str, rt: Runtime, clock: Clock, drill: type[PauseDrill]
) -> None:
    clock.now = at(23, 10)
    iid = start_drill(rt, at(23, 10))
    tid = task_of(rt, iid, "sales_clerk").id
    clerk = login(server, "clerk")
    token = csrf_of(clerk.get(f"/tasks/{tid}").text)
    assert clerk.post(f"/tasks/{tid}/claim", data={"csrf_token": token}).status_code == 303
    page = clerk.get(f"/tasks/{tid}").text
    assert f'action="/tasks/{tid}/pause"' in page and "暂停计时：等待客户答复" in page

    clock.now = at(23, 11)
    clerk = login(server, "clerk")  # a page session ends after 30 idle minutes
    token = csrf_of(clerk.get(f"/tasks/{tid}").text)
    form = {"note": "传真询问客户 / asked by fax", "via": "fax"}
    assert clerk.post(f"/tasks/{tid}/pause", data=form).status_code == 403  # no CSRF token
    r = clerk.post(f"/tasks/{tid}/pause", data={**form, "csrf_token": token})
    assert r.status_code == 303
    clock.now = at(25, 9)  # Wednesday: the old deadline passed yesterday
    clerk = login(server, "clerk")
    page = clerk.get(f"/tasks/{tid}").text
    token = csrf_of(page)
    assert "暂停：等待客户答复，自 2026-11-23 11:00 起" in page
    assert "已等待 16h00m" in page and 'id="resume"' in page
    inbox = clerk.get("/").text
    row = inbox[inbox.index(f'data-task="{tid}"') :].split("</tr>", 1)[0]
    assert "暂停（等待外部答复）" in row and 'data-level="paused"' in row
    assert "overdue" not in row

    assert clerk.post(f"/tasks/{tid}/resume", data={"csrf_token": token}).status_code == 303
    page = clerk.get(f"/tasks/{tid}").text
    assert 'id="paused"' not in page and "等待客户答复共 16h00m" in page
    assert task_of(rt, iid, "sales_clerk").due_at == at(25, 18)
