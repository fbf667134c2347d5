"""No response carries data of an object its reader may not see (issue 7, item 2).

Engineering may start an order change on any order, and so reads that change; it may not
read the order review (403 on its documents). Every route that returns instance, document or
order data — walked from the app's own route table, API and pages, plus the start and claim
responses — is requested as the engineer, and no body may carry the review's documents or
the review's form data.
"""

from __future__ import annotations

import re

import httpx

from api.app import create_app
from gendan.demo import Driver, change_request, order_form, review_to_release
from gendan.runtime import Runtime
from tests.api.conftest import api_client
from tests.api.test_pages import csrf_of, login
from tests.conftest import MONDAY_10

#: What only the order review's documents and forms hold: the review record's number and its
#: comments, the contract and payment references, production's confirmation remark.
SECRETS = ("PS-SO-70-01", "可按期交货", "HT-SO-70", "BANK-SO-70", "已核对")

OBJECT_PARAMS = {"task_id", "instance_id", "doc_no"}


def readable_get_routes(rt: Runtime, params: set[str] | None = None) -> list[str]:
    """Every GET route with no path parameter or only object parameters (and ``params``)."""
    routes = []
    for route in create_app(rt).routes:  # FastAPI 0.154 wraps included routers
        routes.extend(getattr(getattr(route, "original_router", None), "routes", [route]))
    out = []
    for route in routes:
        named = set(re.findall(r"\{(\w+)\}", getattr(route, "path", "")))
        if "GET" in (getattr(route, "methods", None) or ()) and named <= OBJECT_PARAMS | (
            params or set()
        ):
            out.append(route.path)
    return sorted(set(out))


def assert_clean(what: str, r: httpx.Response) -> None:
    for secret in SECRETS:
        assert secret not in r.text, f"{what} ({r.status_code}) carries {secret!r}"


def test_no_route_returns_documents_the_reader_may_not_see(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-70", "regular", now=MONDAY_10)
    review = d.start("order_review", "clerk", form)
    review_to_release(d, review, form)
    clerk = api_client(server, "clerk")
    review_docs = clerk.get(f"/api/instances/{review}").json()["documents"]
    assert {doc["doc_no"] for doc in review_docs} >= {"PS-SO-70-01", "SC-SO-70-01"}
    assert "可按期交货" in login(server, "clerk").get("/documents/PS-SO-70-01").text  # a real mark

    eng = api_client(server, "engineer")
    assert eng.get(f"/api/instances/{review}").status_code == 403
    change = change_request("SO-70", MONDAY_10, "改喷涂颜色 / new paint colour", "engineering")
    started = eng.post("/api/instances", json={"procedure": "order_change", "form": change})
    assert started.status_code == 201, started.text
    assert_clean("POST /api/instances", started)
    body = started.json()
    assert all(doc["instance_id"] == body["id"] for doc in body["documents"])
    assert body["data"]["order"]["order_no"] == "SO-70"  # the change's own order facts stay
    task_id = body["tasks"][0]["id"]

    page = login(server, "engineer")
    token = csrf_of(page.get("/").text)
    # a second change cannot open while this one is open: refuse it, and say nothing secret
    again = page.post("/start/order_change", data={"csrf_token": token, **change})
    assert_clean("POST /start/order_change", again)
    assert_clean("POST /api/tasks/{id}/claim", eng.post(f"/api/tasks/{task_id}/claim"))

    values = {
        "task_id": task_id,
        "instance_id": body["id"],
        "doc_no": "PS-SO-70-01",
        "order_no": "SO-70",
    }
    routes = readable_get_routes(rt, {"order_no"})
    assert {"/api/instances/{instance_id}", "/instances/{instance_id}", "/"} <= set(routes)
    assert {"/orders/{order_no}", "/api/orders/{order_no}"} <= set(routes)
    for path in routes:
        url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
        client = eng if path.startswith("/api") else page
        assert_clean(f"GET {url}", client.get(url))
        if "{instance_id}" in path:  # the review itself: refused, and nothing of it shown
            other = client.get(path.replace("{instance_id}", str(review)))
            assert_clean(f"GET {path} (review)", other)
    assert page.get("/documents/PS-SO-70-01").status_code == 403
