"""State-changing actions only by POST (issue 7, item 3): every GET route of the app, asked by
someone allowed to see it, leaves the business tables, the audit trail and its checks as they
were (a page session's ``last_seen_at`` is the only thing a GET may write)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from gendan.demo import Driver, order_form, review_to_release
from gendan.models import ChainCheck
from gendan.runtime import Runtime
from tests.api.conftest import api_client
from tests.api.test_pages import login
from tests.api.test_read_leaks import readable_get_routes
from tests.conftest import MONDAY_10
from tests.engine.helpers import snapshot

#: Who may see a route, by its prefix (anyone else would be refused, which is audited).
#: Pages only some roles open: asked as one who may (material control registers deliveries).
READERS = {"/admin": "admin", "/audit": "auditor", "/start": "clerk", "/receipts": "mc"}


def state(rt: Runtime) -> dict[str, Any]:
    with Session(rt.db) as s:
        checks = s.exec(select(func.count()).select_from(ChainCheck)).one()
    return {**snapshot(rt), "chain_checks": checks}


def test_no_get_route_changes_anything(server: str, rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-80", "regular", now=MONDAY_10)
    released = d.start("order_review", "clerk", form)
    review_to_release(d, released, form)
    pending = d.start("order_review", "clerk", order_form("SO-81", "regular", now=MONDAY_10))
    gm_api = api_client(server, "gm")
    task_id = gm_api.get(f"/api/instances/{pending}").json()["tasks"][0]["id"]
    pages = {who: login(server, who) for who in ("gm", "admin", "auditor", "clerk", "mc")}
    values = {
        "task_id": task_id,
        "instance_id": released,
        "doc_no": "SC-SO-80-01",
        "user_id": 1,
        "procedure": "order_review",
        "token": "not-a-token",
    }

    routes = readable_get_routes(rt, params={"user_id", "procedure", "token"})
    assert len(routes) >= 20, routes
    before = state(rt)
    asked = 0
    for path in routes:
        url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
        if path.startswith("/api"):
            r = gm_api.get(url)
        else:
            who = next((u for p, u in READERS.items() if path.startswith(p)), "gm")
            r = pages[who].get(url)
        assert r.status_code in (200, 404, 405), f"GET {url}: {r.status_code}"
        asked += r.status_code == 200
    assert asked >= 15
    assert state(rt) == before
