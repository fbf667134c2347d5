"""Per-object access: every task and instance URL, tried by someone without the role → 403."""

from __future__ import annotations

import re

import httpx

from api.app import create_app
from gendan.demo import DEMO_PASSWORD, Driver, order_form, review_to_release
from gendan.runtime import Runtime
from tests.api.conftest import api_client
from tests.api.test_pages import csrf_of, login
from tests.conftest import MONDAY_10

OBJECT_PARAMS = ("task_id", "instance_id", "doc_no")


def object_routes(rt: Runtime) -> list[tuple[str, str]]:
    """(method, path) of every route addressing one task, instance or document."""
    out = []
    routes = []
    for route in create_app(rt).routes:  # FastAPI 0.154 wraps included routers
        routes.extend(getattr(getattr(route, "original_router", None), "routes", [route]))
    for route in routes:
        methods = getattr(route, "methods", None)
        if methods and any(f"{{{p}}}" in route.path for p in OBJECT_PARAMS):
            out.extend((m, route.path) for m in sorted(methods) if m != "HEAD")
    return out


def test_every_object_url_refuses_a_user_without_the_role(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-60", "regular", now=MONDAY_10)
    released = d.start("order_review", "clerk", form)
    review_to_release(d, released, form)
    pending = d.start("order_review", "clerk", order_form("SO-61", "regular", now=MONDAY_10))
    clerk_api = api_client(server, "clerk")
    task_id = clerk_api.get(f"/api/instances/{pending}").json()["tasks"][0]["id"]
    values = {"task_id": task_id, "instance_id": pending, "doc_no": "SC-SO-60-01", "ack_id": 1}
    routes = object_routes(rt)
    assert len(routes) >= 12, routes  # the check covers pages and API alike

    buyer_api = api_client(server, "logistics")  # no part in order review
    buyer_page = login(server, "logistics")
    token = csrf_of(buyer_page.get("/").text)
    before = clerk_api.get(f"/api/instances/{pending}").json()
    for method, path in routes:
        url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
        if path.startswith("/api"):
            r = buyer_api.request(method, url, json={"decision": "confirm", "form": {}})
        else:
            r = buyer_page.request(
                method, url, data={"csrf_token": token, "decision": "confirm", "to_user_id": "1"}
            )
        assert r.status_code == 403, f"{method} {url} gave {r.status_code}"
    after = clerk_api.get(f"/api/instances/{pending}").json()
    assert after["version"] == before["version"] and after["audit"] == before["audit"]


def test_login_is_rate_limited_per_account(server: str) -> None:
    for _ in range(5):
        r = httpx.post(f"{server}/api/token", json={"username": "clerk", "password": "wrong"})
        assert r.status_code == 401
    blocked = httpx.post(
        f"{server}/api/token", json={"username": "clerk", "password": DEMO_PASSWORD}
    )
    assert blocked.status_code == 429
    other = httpx.post(f"{server}/api/token", json={"username": "mc", "password": DEMO_PASSWORD})
    assert other.status_code == 200
