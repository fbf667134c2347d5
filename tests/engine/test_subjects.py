"""Business keys other than a customer order (issue 10 mechanism 1): an instance about a PO,
an item or a count starts without an order; the orders it names are checked as strictly as
§1-§4's ``order_no``; ``one_open`` keeps one open instance per key. Real SQLite, time
injected; the procedures are test-only but use the real declarations and a real form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select
from statemachine import State

import states
from gendan.db import unit_of_work
from gendan.demo import Driver, order_form
from gendan.errors import Conflict, InvalidForm
from gendan.models import Instance, InstanceOrder
from gendan.runtime import Runtime
from gendan.system_starts import start_by_system
from gendan.timespec import Deadline
from states.base import Procedure, Step, Subject, TaskSpec, Wait, Waiting
from tests.engine.helpers import events, instance, open_tasks


class ServesOrders(Procedure):
    """Like a PO: numbered by the engine, serves the orders typed in ``remarks``."""

    key = "test_serves_orders"
    title_zh, title_en = "测试采购单", "Test PO"
    start_form = "notice_receipt"
    start_roles = ("buyer",)
    subject = Subject("test_po", "测试单", "test document", prefix="TP", orders_field="remarks")

    working = Waiting("办理 / At work", initial=True, wait=Wait((TaskSpec(
        "buyer", "purchasing", "测试：处理", "Handle it", Deadline.wh(4), seed="test"),)))
    done = State("完成 / Done", final=True)
    finish = working.to(done)
    steps = {"finish": Step("完成", "Finish")}


class OnePerKey(Procedure):
    """Like a chase slip: keyed by what ``remarks`` says, one open per key."""

    key = "test_one_per_key"
    title_zh, title_en = "测试跟催单", "Test chase slip"
    start_form = "notice_receipt"
    start_roles = ("material_controller",)
    subject = Subject("test_item", "物料", "item", key_field="remarks", one_open=True)

    working = Waiting("办理 / At work", initial=True, wait=Wait((TaskSpec(
        "material_controller", "material_control", "测试：答复", "Answer it", Deadline.wd(1),
        seed="test"),)))  # fmt: skip
    done = State("完成 / Done", final=True)
    finish = working.to(done)
    steps = {"finish": Step("完成", "Finish")}


@pytest.fixture(autouse=True)
def test_procedures(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for proc in (ServesOrders, OnePerKey):
        monkeypatch.setitem(states.PROCEDURES, proc.key, proc)
    yield


def test_an_instance_without_order_is_numbered_and_runs(rt: Runtime, driver: Driver) -> None:
    iid = driver.start("test_serves_orders", "buyer", {"copies": 1})
    inst = instance(rt, iid)
    assert (inst.order_no, inst.subject_kind, inst.subject_key) == ("", "test_po", f"TP-{iid:06d}")
    assert inst.data["order"] == {}
    [task] = open_tasks(rt, iid)
    assert task.title_en == "Handle it"
    driver.act(iid, "buyer", "finish")
    assert instance(rt, iid).state == "done"
    assert [e.action for e in events(rt, iid)] == ["start", "claim", "transition"]


def test_the_orders_it_serves_are_checked_and_linked(rt: Runtime, driver: Driver) -> None:
    for no in ("SO-S1", "SO-S2"):
        driver.start("order_review", "clerk", order_form(no, "regular", now=driver.now))
    with pytest.raises(InvalidForm) as bad:
        driver.start("test_serves_orders", "buyer", {"copies": 1, "remarks": "SO-S1, SO-NONE"})
    assert bad.value.errors == {"remarks": "no order SO-NONE / 无此订单"}
    with Session(rt.db) as s:  # nothing written
        assert s.exec(select(Instance).where(Instance.procedure == ServesOrders.key)).all() == []
    iid = driver.start("test_serves_orders", "buyer", {"copies": 1, "remarks": "SO-S1，SO-S2"})
    inst = instance(rt, iid)
    assert inst.order_no == "SO-S1" and inst.data["orders"] == ["SO-S1", "SO-S2"]
    assert inst.data["order"]["order_no"] == "SO-S1"
    with Session(rt.db) as s:
        linked = s.exec(select(InstanceOrder.order_no).where(InstanceOrder.instance_id == iid))
        assert sorted(linked.all()) == ["SO-S1", "SO-S2"]


def test_one_open_instance_per_key_until_it_closes(rt: Runtime, driver: Driver) -> None:
    first = driver.start("test_one_per_key", "mc", {"copies": 1, "remarks": "ITEM-7"})
    assert instance(rt, first).subject_key == "ITEM-7"
    with pytest.raises(Conflict, match="ITEM-7"):
        driver.start("test_one_per_key", "mc", {"copies": 1, "remarks": "ITEM-7"})
    with pytest.raises(InvalidForm) as missing:
        driver.start("test_one_per_key", "mc", {"copies": 1})
    assert "remarks" in missing.value.errors
    driver.act(first, "mc", "finish")
    second = driver.start("test_one_per_key", "mc", {"copies": 1, "remarks": "ITEM-7"})
    assert second != first


def test_the_system_starts_an_instance_as_the_inactive_system_account(
    rt: Runtime, driver: Driver
) -> None:
    with unit_of_work(rt.db) as s:
        inst = start_by_system(
            s, procedure="test_one_per_key", form_data={"copies": 1, "remarks": "ITEM-9"},
            now=driver.now, calendar=rt.calendar, cause={"trigger": "test"},
        )  # fmt: skip
        iid = inst.id
    assert iid is not None
    [start] = [e for e in events(rt, iid) if e.action == "start"]
    assert start.actor_name == "system"
    assert start.detail["started_by_system"] == {"trigger": "test"}
