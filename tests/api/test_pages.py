"""The minimal web inbox through HTTP: login with CSRF, inbox, task form errors, decision."""

from __future__ import annotations

import re

import httpx

from gendan.demo import DEMO_PASSWORD, Driver, order_form
from gendan.runtime import Runtime
from tests.conftest import MONDAY_10


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def login(base: str, username: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=30)
    token = csrf_of(c.get("/login").text)
    r = c.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": DEMO_PASSWORD, "next": "/"},
    )
    assert r.status_code == 303
    return c


def test_login_needs_csrf_and_the_right_password(server: str) -> None:
    c = httpx.Client(base_url=server)
    assert c.get("/").status_code == 303  # to the login page
    page = c.get("/login")
    assert page.headers["x-frame-options"] == "DENY" and "httponly" in page.headers["set-cookie"]
    no_csrf = c.post("/login", data={"username": "clerk", "password": DEMO_PASSWORD})
    assert no_csrf.status_code == 403
    wrong = c.post(
        "/login", data={"csrf_token": csrf_of(page.text), "username": "clerk", "password": "x"}
    )
    assert wrong.status_code == 401


def test_inbox_task_form_error_then_decision(server: str, rt: Runtime) -> None:
    iid = Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form("SO-50", "regular", now=MONDAY_10)
    )
    c = login(server, "clerk")
    inbox = c.get("/")
    assert "SO-50" in inbox.text
    task_id = int(re.search(r'href="/tasks/(\d+)"', inbox.text).group(1))
    page = c.get(f"/tasks/{task_id}")
    assert page.status_code == 200 and 'data-decision="confirm"' not in page.text  # claim first
    assert 'data-state="requirements" data-current="true"' in page.text  # the diagram
    token = csrf_of(page.text)
    assert c.post(f"/tasks/{task_id}/claim", data={"csrf_token": token}).status_code == 303
    assert 'data-decision="confirm"' in c.get(f"/tasks/{task_id}").text
    bad = c.post(
        f"/tasks/{task_id}/complete",
        data={
            "csrf_token": token,
            "decision": "confirm",
            "model_spec": "GGD",
            "quantity": "0",
            "delivery_date": "2027-01-10",
            "confirmed_with": "陈经理",
        },
    )
    assert bad.status_code == 422
    assert 'id="f-requirements_confirmation-quantity-error"' in bad.text
    good = c.post(
        f"/tasks/{task_id}/complete",
        data={
            "csrf_token": token,
            "decision": "confirm",
            "model_spec": "GGD",
            "quantity": "5",
            "delivery_date": "2027-01-10",
            "confirmed_with": "陈经理",
        },
    )
    assert good.status_code == 303
    assert f'href="/tasks/{task_id}"' not in c.get("/").text
    mc = login(server, "mc")
    assert "SO-50" in mc.get("/").text
    assert c.get(f"/instances/{iid}").status_code == 200


def test_task_page_of_another_role_is_403(server: str, rt: Runtime) -> None:
    Driver(rt, MONDAY_10).start(
        "order_review", "clerk", order_form("SO-51", "regular", now=MONDAY_10)
    )
    c = login(server, "buyer")
    clerk = login(server, "clerk")
    task_id = int(re.search(r'href="/tasks/(\d+)"', clerk.get("/").text).group(1))
    assert c.get(f"/tasks/{task_id}").status_code == 403
