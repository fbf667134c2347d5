"""Refused requests are audited: one ``refused`` event per account and minute, with a tally,
written in its own transaction so it survives the refused request's rolled-back work."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import httpx
from sqlmodel import Session, select

from api.app import create_app
from api.deps import ApiActor, Now, Rt
from gendan import audit, refusals
from gendan.db import unit_of_work
from gendan.demo import DEMO_PASSWORD, Driver, order_form, review_to_release
from gendan.errors import NotAllowed
from gendan.models import AuditEvent, CalendarDay, Document, Task, User
from gendan.refusals import RefusalCount
from gendan.runtime import Runtime
from gendan.security import hash_password
from tests.api.conftest import Clock, api_client
from tests.api.test_pages import csrf_of, login
from tests.conftest import MONDAY_10
from tests.support.app_server import serve_app


def outsider(rt: Runtime, username: str) -> int:
    """A person with no role at all: every task, instance, document, audit and admin URL is
    someone else's (whatever the procedures offer to which role)."""
    with unit_of_work(rt.db) as s:
        user = User(
            username=username,
            display_name=f"外人 {username}",
            password_hash=hash_password(DEMO_PASSWORD),
        )
        s.add(user)
        s.flush()
        assert user.id is not None
        return user.id


def user_id(rt: Runtime, username: str) -> int:
    with Session(rt.db) as s:
        return s.exec(select(User.id).where(User.username == username)).one()


def refused_events(rt: Runtime, actor_id: int) -> list[AuditEvent]:
    with Session(rt.db) as s:
        return list(
            s.exec(
                select(AuditEvent)
                .where(AuditEvent.action == "refused", AuditEvent.actor_id == actor_id)
                .order_by(AuditEvent.seq)
            ).all()
        )


def tallies(rt: Runtime, actor_id: int) -> list[RefusalCount]:
    with Session(rt.db) as s:
        return list(
            s.exec(
                select(RefusalCount)
                .where(RefusalCount.actor_id == actor_id)
                .order_by(RefusalCount.minute)
            ).all()
        )


def all_events(rt: Runtime) -> list[AuditEvent]:
    with Session(rt.db) as s:
        return list(s.exec(select(AuditEvent).order_by(AuditEvent.seq)).all())


def orders(rt: Runtime) -> tuple[int, int, str]:
    """SO-60 released (a document issued), SO-61 waiting: its instance, open task, the doc."""
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-60", "regular", now=MONDAY_10)
    released = d.start("order_review", "clerk", form)
    review_to_release(d, released, form)
    pending = d.start("order_review", "clerk", order_form("SO-61", "regular", now=MONDAY_10))
    with Session(rt.db) as s:
        task_id = s.exec(
            select(Task.id).where(Task.instance_id == pending, Task.status == "open")
        ).first()
        doc_no = s.exec(select(Document.doc_no).where(Document.instance_id == released)).first()
    assert task_id is not None and doc_no is not None
    return pending, task_id, doc_no


def test_one_event_per_account_and_minute_with_the_count(
    server: str, rt: Runtime, clock: Clock
) -> None:
    pending, task_id, doc_no = orders(rt)
    outsider_id, other_id = outsider(rt, "outsider"), outsider(rt, "outsider2")
    out_api = api_client(server, "outsider")
    out_page = login(server, "outsider")
    token = csrf_of(out_page.get("/").text)
    before = len(all_events(rt))

    refused = [
        out_api.get(f"/api/tasks/{task_id}"),  # someone else's task
        out_api.get(f"/api/instances/{pending}"),  # someone else's instance
        out_api.post(f"/api/tasks/{task_id}/claim"),
        out_page.get(f"/tasks/{task_id}"),
        out_page.get(f"/instances/{pending}"),
        out_page.get(f"/documents/{doc_no}"),  # someone else's document
        out_page.get("/audit"),  # the auditor's pages
        out_page.get(f"/audit/instances/{pending}/trail.csv"),
        out_page.get("/admin"),  # the administrator's
        out_page.get("/admin/users"),
        out_page.post(f"/tasks/{task_id}/claim", data={"csrf_token": token}),
        out_page.post("/lang", data={"csrf_token": "forged", "lang": "en"}),  # CSRF
    ]
    for r in refused:
        assert r.status_code == 403, f"{r.request.method} {r.request.url} gave {r.status_code}"

    (event,) = refused_events(rt, outsider_id)
    (tally,) = tallies(rt, outsider_id)
    assert tally.count == len(refused)
    assert tally.event_seq == event.seq
    assert tally.minute == MONDAY_10.replace(second=0, microsecond=0)
    assert event.at == MONDAY_10 and event.actor_name == "外人 outsider"
    assert event.detail["method"] == "GET" and event.detail["url"] == f"/api/tasks/{task_id}"
    assert event.detail["status"] == 403 and event.reason  # the refusal message
    assert tally.first_url == f"/api/tasks/{task_id}" and tally.last_url == "/lang"
    assert len(all_events(rt)) == before + 1  # the flood cost the trail one event

    # A second account gets its own event, with its own count.
    assert login(server, "outsider2").get("/admin").status_code == 403
    (other,) = refused_events(rt, other_id)
    assert other.detail["url"] == "/admin" and tallies(rt, other_id)[0].count == 1

    # A bulk decision on someone else's task is refused too (207): counted in the minute.
    bulk = out_page.post(
        "/tasks/bulk", data={"csrf_token": token, "decision": "confirm", "task_id": str(task_id)}
    )
    assert bulk.status_code == 207
    assert tallies(rt, outsider_id)[0].count == len(refused) + 1

    # The next minute: a new event for the same account.
    clock.now = MONDAY_10 + timedelta(seconds=59)
    assert out_api.get(f"/api/instances/{pending}").status_code == 403
    assert len(refused_events(rt, outsider_id)) == 1
    clock.now = MONDAY_10 + timedelta(minutes=1)
    assert out_page.get("/admin").status_code == 403
    assert out_page.get("/audit").status_code == 403
    first, second = refused_events(rt, outsider_id)
    assert second.at == MONDAY_10 + timedelta(minutes=1) and second.detail["url"] == "/admin"
    assert [t.count for t in tallies(rt, outsider_id)] == [len(refused) + 2, 2]

    # The auditor finds them by action, each with its count.
    page = login(server, "auditor").get("/audit", params={"action": "refused"})
    assert page.status_code == 200
    rows = re.findall(r'<tr data-seq="(\d+)"[^>]*data-action="([^"]*)"', page.text)
    assert {int(seq) for seq, _ in rows} == {first.seq, second.seq, other.seq}
    assert {a for _, a in rows} == {"refused"}
    assert sorted(map(int, re.findall(r'data-refusals="(\d+)"', page.text))) == sorted(
        [len(refused) + 2, 2, 1]
    )
    assert "refused" in page.text  # offered in the action filter
    assert audit.verify(rt.db).ok


def test_anonymous_requests_are_not_recorded(server: str, rt: Runtime) -> None:
    anonymous = httpx.Client(base_url=server)
    assert anonymous.get("/api/instances/1").status_code == 401
    assert anonymous.post("/login", data={"csrf_token": "x"}).status_code == 403  # no session
    with Session(rt.db) as s:
        assert s.exec(select(RefusalCount)).first() is None
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "refused")).first() is None


def test_a_refused_post_writes_nothing_but_its_refusal(server: str, rt: Runtime) -> None:
    pending, task_id, _ = orders(rt)
    outsider_id = outsider(rt, "outsider")
    clerk_api, out_api = api_client(server, "clerk"), api_client(server, "outsider")
    before = clerk_api.get(f"/api/instances/{pending}").json()
    events_before = all_events(rt)
    r = out_api.post(f"/api/tasks/{task_id}/complete", json={"decision": "confirm", "form": {}})
    assert r.status_code == 403
    after = clerk_api.get(f"/api/instances/{pending}").json()
    assert after["version"] == before["version"] and after["audit"] == before["audit"]
    assert after["tasks"] == before["tasks"]
    new = all_events(rt)[len(events_before) :]
    assert [(e.action, e.actor_id) for e in new] == [("refused", outsider_id)]
    assert audit.verify(rt.db).ok


def test_the_refusal_survives_the_rollback_of_work_already_done(rt: Runtime) -> None:
    """A route that writes (an audit event, a calendar day) and then is refused: its work is
    rolled back, the refusal (written in its own transaction) stays."""
    app = create_app(rt, clock=Clock(MONDAY_10))

    @app.post("/api/probe")
    def probe(actor: ApiActor, rt: Rt, now: Now) -> None:
        with unit_of_work(rt.db) as s:
            audit.append(s, action="probe", actor_id=actor.user_id, actor_name="x", at=now)
            s.add(CalendarDay(day=date(2026, 12, 1), working=False, note="probe"))
            s.flush()
            raise NotAllowed("refused after writing / 写入后被拒绝")

    with serve_app(app) as base:
        r = api_client(base, "buyer").post("/api/probe")
    assert r.status_code == 403 and "写入后被拒绝" in r.json()["detail"]
    with Session(rt.db) as s:
        assert s.get(CalendarDay, date(2026, 12, 1)) is None
        actions = [e.action for e in s.exec(select(AuditEvent)).all()]
        assert "probe" not in actions and actions.count("refused") == 1
        t = refusals.tally(s, user_id(rt, "buyer"), MONDAY_10)
        assert t is not None and t.count == 1 and t.first_url == "/api/probe"
    assert audit.verify(rt.db).ok


def test_concurrent_refusals_of_one_account_still_make_one_event(rt: Runtime) -> None:
    buyer = user_id(rt, "buyer")
    results: list[refusals.Refusal] = []

    def refuse(i: int) -> None:
        results.append(
            refusals.record(
                rt.db,
                actor_id=buyer,
                at=MONDAY_10 + timedelta(seconds=i % 60),
                method="GET",
                url=f"/x/{i}",
                message="no",
                kind="NotAllowed",
            )
        )

    threads = [threading.Thread(target=refuse, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.count for r in results) == list(range(1, 21))
    assert len([r for r in results if r.event_seq is not None]) == 1
    assert len(refused_events(rt, buyer)) == 1 and tallies(rt, buyer)[0].count == 20
    assert audit.verify(rt.db).ok
