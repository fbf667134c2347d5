"""Pages show linked instances (both ends and the order) and an automatic step's failures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

import states
from gendan.demo import Driver, order_form
from gendan.jobs import run_due
from gendan.runtime import Runtime
from tests.api.test_pages import login
from tests.engine.linked_procedures import register
from tests.engine.test_links import launched


@pytest.fixture(autouse=True)
def test_procedures(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    registry = dict(states.PROCEDURES)
    register(registry)
    for key, proc in registry.items():
        monkeypatch.setitem(states.PROCEDURES, key, proc)
    yield


def test_parent_child_and_order_pages_show_the_link(
    rt: Runtime, driver: Driver, server: str
) -> None:
    parent, child = launched(driver, "SO-P1")
    clerk = login(server, "clerk")
    page = clerk.get(f"/instances/{child}").text
    assert f'data-parent="{parent}"' in page and "由此流程启动" in page
    assert "data-urgent" in page  # the child carries the urgent flag
    page = clerk.get(f"/instances/{parent}").text
    assert f'data-child="{child}"' in page and "进行中" in page
    assert "启动子流程" in page  # the trail names the action in words
    order = clerk.get("/orders/SO-P1").text
    assert f'data-link="{parent}-{child}"' in order
    stranger = login(server, "buyer")
    assert stranger.get(f"/instances/{child}").status_code == 403


def test_instance_page_says_how_often_the_automatic_step_failed(
    rt: Runtime, driver: Driver, server: str
) -> None:
    form = order_form("SO-P2", "regular", now=driver.now)
    iid = driver.start("test_auto", "clerk", form)
    driver.act(iid, "clerk", "go_fail")
    run_due(rt, now=driver.now)
    run_due(rt, now=driver.now + timedelta(minutes=1))
    page = login(server, "clerk").get(f"/instances/{iid}").text
    assert 'data-failures="2"' in page
    assert "自动步骤已失败 2 次" in page and "the ERP export is unreachable" in page
    assert "下次尝试" in page
