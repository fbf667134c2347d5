"""Pages of an instance without a customer order (issue 10 subjects): the inbox, the task,
the instance, its audit trail and the order page of an order it serves all work and name the
subject's key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import states
from gendan.demo import Driver, order_form
from gendan.runtime import Runtime
from tests.api.test_pages import csrf_of, login
from tests.engine.helpers import instance, open_tasks
from tests.engine.test_subjects import OnePerKey, ServesOrders


@pytest.fixture(autouse=True)
def test_procedures(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for proc in (ServesOrders, OnePerKey):
        monkeypatch.setitem(states.PROCEDURES, proc.key, proc)
    yield


def test_pages_of_an_instance_without_order(rt: Runtime, driver: Driver, server: str) -> None:
    iid = driver.start("test_serves_orders", "buyer", {"copies": 1})
    key = instance(rt, iid).subject_key
    [task] = open_tasks(rt, iid)
    buyer = login(server, "buyer")
    inbox = buyer.get("/inbox")
    assert inbox.status_code == 200 and key in inbox.text
    for path in (f"/tasks/{task.id}", f"/instances/{iid}"):
        page = buyer.get(path)
        assert page.status_code == 200, path
        assert f"data-reference>{key}<" in page.text, path
        assert 'id="order-facts"' not in page.text, path  # no empty order block
    trail = login(server, "auditor").get(f"/audit/instances/{iid}")
    assert trail.status_code == 200 and f"data-reference>{key}<" in trail.text
    token = csrf_of(buyer.get(f"/tasks/{task.id}").text)
    assert buyer.post(f"/tasks/{task.id}/claim", data={"csrf_token": token}).status_code == 303
    done = buyer.post(
        f"/tasks/{task.id}/complete", data={"csrf_token": token, "decision": "finish"}
    )
    assert done.status_code == 303
    assert instance(rt, iid).state == "done"


def test_the_order_page_lists_what_serves_the_order(
    rt: Runtime, driver: Driver, server: str
) -> None:
    driver.start("order_review", "clerk", order_form("SO-SP1", "regular", now=driver.now))
    driver.start("order_review", "clerk", order_form("SO-SP2", "regular", now=driver.now))
    iid = driver.start("test_serves_orders", "buyer", {"copies": 1, "remarks": "SO-SP1 SO-SP2"})
    key = instance(rt, iid).subject_key
    buyer = login(server, "buyer")  # who started the PO reads it on both orders' pages
    for no in ("SO-SP1", "SO-SP2"):  # the second order is served too, not only the first
        page = buyer.get(f"/orders/{no}").text
        assert f'data-serving="{iid}"' in page and key in page, no
