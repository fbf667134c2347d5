"""Bad input is a 4xx, never a 500 (issue 7 item 4), on SQLite and on PostgreSQL.

Each hand-made case of the issue is one parametrized case: ids beyond the columns' range,
quantities beyond 2^31, cursor times without a zone or at the ends of the calendar, extreme
audit dates, a non-numeric bulk task id, NUL bytes anywhere (even before logging in), very
long searches, oversized texts and bodies, order numbers with control, bidi or "/" characters.
Every answer must be one of the expected 4xx; the 422s name the field and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import DEMO_PASSWORD, Driver, order_form
from gendan.errors import InvalidForm
from gendan.models import AuditEvent, Order, Task, User
from gendan.org import load_actor
from gendan.runtime import Runtime
from gendan.transitions import complete_task
from tests.api.conftest import api_client
from tests.conftest import MONDAY_10

BIG = 2**63  # beyond every 64-bit column
BIG32 = 2**31  # beyond PostgreSQL's integer
LONG_SEARCH = "x" * 50_000
MOVES = (
    "start",
    "transition",
    "countersign",
    "unclaim",
    "delegate",
    "reassign",
    "pause",
)  # not claim: set-up
HUGE = "x" * (1024 * 1024 + 10)  # above the 1 MB body limit


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


@dataclass
class World:
    """The server, one open order with its first task, and clients made when first asked for."""

    base: str
    rt: Runtime
    task_id: int = 0
    instance_id: int = 0
    _clients: dict[str, httpx.Client] = field(default_factory=dict)

    def api(self, username: str = "clerk") -> httpx.Client:
        key = f"api:{username}"
        if key not in self._clients:
            self._clients[key] = api_client(self.base, username)
        return self._clients[key]

    def page(self, username: str = "clerk") -> httpx.Client:
        key = f"page:{username}"
        if key not in self._clients:
            c = httpx.Client(base_url=self.base, timeout=30)
            token = csrf_of(c.get("/login").text)
            r = c.post(
                "/login",
                data={"csrf_token": token, "username": username, "password": DEMO_PASSWORD},
            )
            assert r.status_code == 303, r.text
            c.headers["x-test-csrf"] = csrf_of(c.get("/").text)  # the signed-in session's
            self._clients[key] = c
        return self._clients[key]

    def form(self, username: str = "clerk", **data: Any) -> dict[str, Any]:
        """A page form with the session's CSRF token."""
        return {"csrf_token": self.page(username).headers["x-test-csrf"], **data}

    def claimed(self) -> World:
        """The clerk holds the task (so delegating and pausing reach their checks)."""
        r = self.api().post(f"/api/tasks/{self.task_id}/claim")
        assert r.status_code == 200, r.text
        return self

    def anon(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=30)


@pytest.fixture
def world(server: str, rt: Runtime) -> World:
    iid = Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form("SO-BAD-1", "regular", now=MONDAY_10)
    )
    with Session(rt.db) as s:
        task = s.exec(select(Task).where(Task.instance_id == iid)).first()
        assert task is not None and task.id is not None
        return World(server, rt, task_id=task.id, instance_id=iid)


def intake(**changes: Any) -> dict[str, Any]:
    return {
        "procedure": "order_review",
        "form": {**order_form("SO-BAD-2", "regular", now=MONDAY_10), **changes},
    }


Case = Callable[[World], httpx.Response]

#: (id, request, expected statuses, field a 422 must name or None)
CASES: list[tuple[str, Case, set[int], str | None]] = [
    # ids beyond the column range: 2^63 everywhere, 2^31 on PostgreSQL's integer columns
    ("api-instance-2^63", lambda w: w.api().get(f"/api/instances/{BIG}"), {422}, "instance_id"),
    ("api-instance-2^31", lambda w: w.api().get(f"/api/instances/{BIG32}"), {422}, "instance_id"),
    ("api-instance-0", lambda w: w.api().get("/api/instances/0"), {422}, "instance_id"),
    ("api-instance-max", lambda w: w.api().get(f"/api/instances/{BIG32 - 1}"), {404}, None),
    ("api-task-2^63", lambda w: w.api().get(f"/api/tasks/{BIG}"), {422}, "task_id"),
    ("api-claim-2^31", lambda w: w.api().post(f"/api/tasks/{BIG32}/claim"), {422}, "task_id"),
    ("api-unclaim-2^63", lambda w: w.api().post(f"/api/tasks/{BIG}/unclaim"), {422}, "task_id"),
    (
        "api-complete-2^63",
        lambda w: w.api().post(f"/api/tasks/{BIG}/complete", json={"decision": "confirm"}),
        {422},
        "task_id",
    ),
    (
        "api-pause-2^31",
        lambda w: w.api().post(f"/api/tasks/{BIG32}/pause", json={"note": "x"}),
        {422},
        "task_id",
    ),
    ("api-resume-2^63", lambda w: w.api().post(f"/api/tasks/{BIG}/resume"), {422}, "task_id"),
    ("api-acks-2^63", lambda w: w.api().get(f"/api/tasks/{BIG}/acks"), {422}, "task_id"),
    ("api-phone-2^31", lambda w: w.api().post(f"/api/acks/{BIG32}/phone"), {422}, "ack_id"),
    (
        "api-cursor-id-2^63",
        lambda w: w.api().get(
            "/api/tasks", params={"after_due": "2026-11-23T10:00:00+08:00", "after_id": BIG}
        ),
        {422},
        "after_id",
    ),
    ("page-task-2^63", lambda w: w.page().get(f"/tasks/{BIG}"), {404, 422}, None),
    ("page-instance-2^31", lambda w: w.page().get(f"/instances/{BIG32}"), {404, 422}, None),
    ("page-acks-2^63", lambda w: w.page().get(f"/tasks/{BIG}/acks"), {404, 422}, None),
    (
        "page-claim-2^63",
        lambda w: w.page().post(f"/tasks/{BIG}/claim", data=w.form()),
        {404, 422},
        None,
    ),
    (
        "audit-trail-2^63",
        lambda w: w.page("auditor").get(f"/audit/instances/{BIG}"),
        {404, 422},
        None,
    ),
    (
        "audit-before-seq-2^63",
        lambda w: w.page("auditor").get("/audit", params={"before_seq": BIG}),
        {200, 422},
        None,
    ),
    ("admin-user-2^63", lambda w: w.page("admin").get(f"/admin/users/{BIG}"), {404, 422}, None),
    (
        "admin-department-2^31",
        lambda w: w.page("admin").post(
            f"/admin/departments/{BIG32}", data=w.form("admin", name="x")
        ),
        {404, 422},
        None,
    ),
    (
        "admin-head-user-2^63",
        lambda w: w.page("admin").post(
            "/admin/departments/1/head", data=w.form("admin", head_user_id=str(BIG))
        ),
        {422},
        None,
    ),
    (
        "admin-head-user-superscript",
        lambda w: w.page("admin").post(
            "/admin/departments/1/head", data=w.form("admin", head_user_id="\u00b2")
        ),
        {422},
        None,
    ),
    (
        "delegate-to-user-2^63",
        lambda w: (
            w.claimed()
            .page()
            .post(f"/tasks/{w.task_id}/delegate", data=w.form(to_user_id=str(BIG), reason="r"))
        ),
        {422},
        None,
    ),
    # quantities beyond the column
    (
        "start-quantity-2^31",
        lambda w: w.api().post("/api/instances", json=intake(quantity=BIG32)),
        {422},
        "quantity",
    ),
    (
        "start-quantity-2^63",
        lambda w: w.api().post("/api/instances", json=intake(quantity=BIG)),
        {422},
        "quantity",
    ),
    (
        "page-start-quantity-2^31",
        lambda w: w.page().post(
            "/start/order_review",
            data=w.form(**{k: str(v) for k, v in intake(quantity=BIG32)["form"].items()}),
        ),
        {422},
        None,
    ),
    # dates at the ends of the calendar in a form
    (
        "start-delivery-year-1",
        lambda w: w.api().post("/api/instances", json=intake(delivery_date="0001-01-01")),
        {422},
        "delivery_date",
    ),
    (
        "start-delivery-year-9999",
        lambda w: w.api().post("/api/instances", json=intake(delivery_date="9999-12-31")),
        {422},
        "delivery_date",
    ),
    (
        "start-received-year-1",
        lambda w: w.api().post("/api/instances", json=intake(received_at="0001-01-01T00:00:00")),
        {422},
        "received_at",
    ),
    # the inbox cursor: no time zone, the ends of the calendar
    (
        "api-cursor-naive",
        lambda w: w.api().get(
            "/api/tasks", params={"after_due": "2026-11-23T10:00:00", "after_id": 1}
        ),
        {422},
        "after_due",
    ),
    (
        "api-cursor-year-1",
        lambda w: w.api().get(
            "/api/tasks", params={"after_due": "0001-01-01T00:00:00+14:00", "after_id": 1}
        ),
        {422},
        "after_due",
    ),
    (
        "api-cursor-year-9999",
        lambda w: w.api().get(
            "/api/tasks", params={"after_due": "9999-12-31T23:59:59-12:00", "after_id": 1}
        ),
        {422},
        "after_due",
    ),
    (
        "page-cursor-naive",
        lambda w: w.page().get("/", params={"after": "2026-11-23T10:00:00~1"}),
        {422},
        None,
    ),
    (
        "page-cursor-year-1",
        lambda w: w.page().get("/", params={"after": "0001-01-01T00:00:00+14:00~1"}),
        {422},
        None,
    ),
    (
        "page-cursor-year-9999",
        lambda w: w.page().get("/", params={"after": "9999-12-31T23:59:59-12:00~1"}),
        {422},
        None,
    ),
    (
        "page-cursor-id-2^63",
        lambda w: w.page().get("/", params={"after": f"2026-11-23T10:00:00+08:00~{BIG}"}),
        {422},
        None,
    ),
    # the auditor's date range at the ends of the calendar: a range, not a crash
    (
        "audit-date-from-year-1",
        lambda w: w.page("auditor").get("/audit", params={"date_from": "0001-01-01"}),
        {200},
        None,
    ),
    (
        "audit-date-to-year-9999",
        lambda w: w.page("auditor").get("/audit", params={"date_to": "9999-12-31"}),
        {200},
        None,
    ),
    # the bulk decision with a task id that is no number
    (
        "bulk-task-id-abc",
        lambda w: w.page().post("/tasks/bulk", data=w.form(decision="confirm", task_id="abc")),
        {422},
        None,
    ),
    (
        "bulk-task-id-2^63",
        lambda w: w.page().post("/tasks/bulk", data=w.form(decision="confirm", task_id=str(BIG))),
        {422},
        None,
    ),
    # NUL bytes: query strings, JSON strings, form bodies, paths; before logging in too
    (
        "token-username-nul",
        lambda w: w.anon().post("/api/token", json={"username": "cl\x00erk", "password": "x"}),
        {422},
        "username",
    ),
    (
        "login-form-nul",
        lambda w: w.anon().post("/login", data={"username": "cl\x00erk", "password": "x"}),
        {422},
        "username",
    ),
    ("api-query-nul", lambda w: w.api().get("/api/tasks", params={"q": "SO\x00"}), {422}, "q"),
    (
        "start-order-no-nul",
        lambda w: w.api().post("/api/instances", json=intake(order_no="SO-\x00-1")),
        {422},
        "order_no",
    ),
    (
        "complete-reason-nul",
        lambda w: w.api().post(
            f"/api/tasks/{w.task_id}/complete", json={"decision": "confirm", "reason": "a\x00"}
        ),
        {422},
        "reason",
    ),
    ("page-query-nul", lambda w: w.page().get("/", params={"customer": "\x00"}), {422}, "customer"),
    (
        "page-form-nul",
        lambda w: w.page().post(
            f"/tasks/{w.task_id}/pause", data=w.form(note="asked\x00", via="phone")
        ),
        {422},
        "note",
    ),
    ("document-path-nul", lambda w: w.page().get("/documents/PN-SO%00-01"), {404, 422}, None),
    (
        "audit-person-nul",
        lambda w: w.page("auditor").get("/audit", params={"person": "a\x00"}),
        {422},
        "person",
    ),
    # very long searches (SQLite refuses LIKE patterns over 50,000 bytes)
    ("api-search-50k", lambda w: w.api().get("/api/tasks", params={"q": LONG_SEARCH}), {422}, "q"),
    (
        "api-customer-50k",
        lambda w: w.api().get("/api/tasks", params={"customer": LONG_SEARCH}),
        {422},
        "customer",
    ),
    ("page-search-50k", lambda w: w.page().get("/", params={"q": LONG_SEARCH}), {422}, None),
    (
        "audit-search-50k",
        lambda w: w.page("auditor").get("/audit", params={"person": LONG_SEARCH}),
        {422},
        None,
    ),
    (
        "audit-customer-50k",
        lambda w: w.page("auditor").get("/audit", params={"customer": LONG_SEARCH}),
        {422},
        None,
    ),
    # sizes: free texts and bodies
    (
        "complete-reason-5000",
        lambda w: w.api().post(
            f"/api/tasks/{w.task_id}/complete", json={"decision": "confirm", "reason": "r" * 5000}
        ),
        {422},
        "reason",
    ),
    (
        "pause-note-5000",
        lambda w: w.api().post(f"/api/tasks/{w.task_id}/pause", json={"note": "n" * 5000}),
        {422},
        "note",
    ),
    (
        "page-delegate-reason-5000",
        lambda w: (
            w.claimed()
            .page()
            .post(f"/tasks/{w.task_id}/delegate", data=w.form(to_user_id="1", reason="r" * 5000))
        ),
        {422},
        None,
    ),
    (
        "page-pause-note-5000",
        lambda w: (
            w.claimed()
            .page()
            .post(f"/tasks/{w.task_id}/pause", data=w.form(note="n" * 5000, via="phone"))
        ),
        {422},
        None,
    ),
    (
        "complete-reason-1mb",
        lambda w: w.api().post(
            f"/api/tasks/{w.task_id}/complete", json={"decision": "confirm", "reason": HUGE}
        ),
        {413},
        None,
    ),
    (
        "token-body-1mb",
        lambda w: w.anon().post("/api/token", json={"username": HUGE, "password": "x"}),
        {413},
        None,
    ),
    (
        "page-form-1mb",
        lambda w: w.page().post("/tasks/bulk", data=w.form(decision="confirm", reason=HUGE)),
        {413},
        None,
    ),
    # order and document numbers: printable, no "/", no control or bidi characters
    (
        "order-no-crlf",
        lambda w: w.api().post("/api/instances", json=intake(order_no="SO-1\r\nX")),
        {422},
        "order_no",
    ),
    (
        "order-no-bidi",
        lambda w: w.api().post("/api/instances", json=intake(order_no="SO-\u202e1")),
        {422},
        "order_no",
    ),
    (
        "order-no-slash",
        lambda w: w.api().post("/api/instances", json=intake(order_no="SO/1")),
        {422},
        "order_no",
    ),
    (
        "order-no-tab",
        lambda w: w.api().post("/api/instances", json=intake(order_no="SO\t1")),
        {422},
        "order_no",
    ),
    (
        "repeat-of-bidi",
        lambda w: w.api().post("/api/instances", json=intake(repeat_of="SO-\u2066-9")),
        {422},
        "repeat_of",
    ),
    ("document-bidi", lambda w: w.page().get("/documents/PN-%E2%80%AE-01"), {422}, None),
]


#: Pages answer HTML: what the answer of these cases must say.
MARKS = {
    "page-delegate-reason-5000": "at most 4000 characters",
    "page-pause-note-5000": "at most 4000 characters",
    "document-bidi": "doc_no",
    "bulk-task-id-abc": "task_id",
}


@pytest.mark.parametrize(
    ("request_", "expected", "field_"),
    [pytest.param(c, e, f, id=i) for i, c, e, f in CASES],
)
def test_bad_input_is_a_4xx(
    world: World,
    rt: Runtime,
    request: pytest.FixtureRequest,
    request_: Case,
    expected: set[int],
    field_: str | None,
) -> None:
    moves = select(AuditEvent.id).where(AuditEvent.action.in_(MOVES))
    with Session(rt.db) as s:
        moves_before = len(s.exec(moves).all())
        orders_before = len(s.exec(select(Order.id)).all())
    r = request_(world)
    assert r.status_code in expected, (r.status_code, r.text[:500])
    if field_ is not None:
        body = r.json()
        assert isinstance(body["detail"], str) and body["detail"]
        (name,) = [k for k in body["errors"] if k == field_ or k.endswith("." + field_)]
        assert isinstance(body["errors"][name], str) and body["errors"][name]
    mark = MARKS.get(request.node.callspec.id)
    if mark is not None:
        assert mark in r.text, r.text[:2000]
    with Session(rt.db) as s:  # nothing was done
        assert len(s.exec(select(Order.id)).all()) == orders_before
        assert len(s.exec(moves).all()) == moves_before


def test_the_engine_refuses_a_reason_over_4000_characters(world: World, rt: Runtime) -> None:
    """The API's model stops it first; the pages and any other caller meet the engine's check."""
    world.claimed()
    with unit_of_work(rt.db) as s:
        uid = s.exec(select(User.id).where(User.username == "clerk")).one()
        with pytest.raises(InvalidForm) as refused:
            complete_task(
                s,
                task_id=world.task_id,
                actor=load_actor(s, uid),
                decision="confirm",
                form_data=None,
                reason="r" * 5000,
                password=None,
                now=MONDAY_10,
                calendar=rt.calendar,
            )
    assert "4000" in refused.value.errors["reason"]
