"""Stock levels start procedures (issue 10 mechanism 3; §5b, §5i): a movement crossing the
safety stock raises exactly one 物料跟催单 per item until it is answered (an import and a count
correction later: still one), a new crossing after the answer raises a new one; stock at the
maximum raises the 仓库物料异常预警报告, answered by MC and reviewed by the section head."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from gendan import masterdata, stock
from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.errors import Conflict, InvalidForm
from gendan.models import (
    AuditEvent,
    Document,
    Instance,
    InstanceCopy,
    InstanceLink,
    Notification,
    User,
)
from gendan.org import load_actor
from gendan.runtime import Runtime
from tests.engine.plan_driver import act, state, tasks_of

#: Monday 2026-11-23 10:00 in Shanghai: November is in the default peak season (9-12).
NOW = datetime.fromisoformat("2026-11-23T02:00:00+00:00")
ITEMS = (
    "物料编码,物料名称,库存单位,请购类别,旺季安全库存,淡季安全库存,最高库存\n"
    "P-100,素板 18mm,张,safety,100,60,500\n"
    "P-200,封边带,卷,order,0,0,0\n"
)


def load(rt: Runtime, kind: str, text: str, at: datetime = NOW) -> masterdata.ImportReport:
    with unit_of_work(rt.db) as s:
        admin = s.exec(select(User).where(User.username == "admin")).one()
        report = masterdata.import_file(
            s, kind=kind, file_name=f"{kind}.csv", content=text.encode(),
            actor=load_actor(s, admin.id), now=at, calendar=rt.calendar,
        )  # fmt: skip
    assert report.written, report.errors
    return report


def move(rt: Runtime, qty: float, kind: str, at: datetime, code: str = "P-100") -> None:
    with unit_of_work(rt.db) as s:
        stock.move(s, item_code=code, qty=qty, kind=kind, now=at, calendar=rt.calendar)


def slips(rt: Runtime, procedure: str = "reorder_chase") -> list[Instance]:
    with Session(rt.db) as s:
        return list(
            s.exec(
                select(Instance).where(Instance.procedure == procedure).order_by(Instance.id)
            ).all()
        )


def task_holder(rt: Runtime, username: str) -> int | None:
    with Session(rt.db) as s:
        return s.exec(select(User).where(User.username == username)).one().id


def test_one_chase_slip_until_answered_then_a_new_crossing_raises_another(rt: Runtime) -> None:
    load(rt, "items", ITEMS)
    load(rt, "stock", "item_code,warehouse,on_hand,in_transit\nP-100,RM,150,0\n")
    assert slips(rt) == []  # 150 > 100 (peak)
    at = NOW + timedelta(hours=1)
    move(rt, -60, "issue", at)  # 90 ≤ 100: the slip
    [slip] = slips(rt)
    assert slip.subject_kind == "item" and slip.subject_key == "P-100" and slip.order_no == ""
    form = slip.data["slip"]
    assert (form["on_hand"], form["safety_qty"], form["season"]) == (90, 100, "peak")
    assert form["reason"] == "安全存量订料"
    with Session(rt.db) as s:
        start = s.exec(
            select(AuditEvent).where(
                AuditEvent.instance_id == slip.id, AuditEvent.action == "start"
            )
        ).one()
    assert start.detail["started_by_system"]["trigger"] == "below_safety"
    with Session(rt.db) as s:  # the keeper, who tracks it, is told and copied at once
        keeper = s.exec(select(User).where(User.username == "keeper")).one()
        copies = s.exec(select(InstanceCopy).where(InstanceCopy.instance_id == slip.id)).all()
        told = s.exec(select(Notification).where(Notification.user_id == keeper.id)).all()
    assert keeper.id in {c.user_id for c in copies}
    assert any(n.cause == f"inform:{slip.id}:raised" for n in told)
    # an import and a count correction later, still below: still one slip
    load(rt, "stock", "item_code,warehouse,on_hand,in_transit\nP-100,RM,80,200\n", at)
    move(rt, -5, "adjust", at + timedelta(minutes=30))
    assert len(slips(rt)) == 1
    # the keeper raising one by hand meets the open one
    d = Driver(rt, at + timedelta(hours=1))
    with pytest.raises(Conflict):
        d.start("reorder_chase", "keeper", {**form, "received_at": d.now.isoformat()})
    # MC answers: reorder 300, arriving in a week; the keeper hears the reply
    [task] = tasks_of(d, slip.id)
    assert (task.role, task.due_at) == ("material_controller", at + timedelta(days=1))
    reply = {"analysis": "在途 200，仍需补", "reorder": True, "qty": 300,
             "arrival_date": "2026-12-01"}  # fmt: skip
    act(d, slip.id, "mc", "answer", reply)
    assert state(d, slip.id) == "answered"
    # the reorder raises MC's 申购单 (→ supervisor → manager → buyer) as a linked child
    with Session(rt.db) as s:
        [req] = s.exec(select(Instance).where(Instance.procedure == "requisition")).all()
        link = s.exec(select(InstanceLink).where(InstanceLink.child_id == req.id)).one()
    assert link.parent_id == slip.id and req.created_by_id == task_holder(rt, "mc")
    requested = req.data["requisition"]
    assert (requested["req_class"], requested["rows"][0]["item"]) == ("safety", "P-100")
    assert (requested["rows"][0]["qty"], requested["rows"][0]["need_date"]) == (300, "2026-12-01")
    assert "在途 200" in requested["considerations"]
    with Session(rt.db) as s:  # the slip and MC's reply are papers, numbered by the item
        papers = s.exec(select(Document).where(Document.instance_id == slip.id)).all()
    assert sorted(p.doc_no for p in papers) == ["GC-P-100-01", "GH-P-100-01"]
    with Session(rt.db) as s:
        keeper = s.exec(select(User).where(User.username == "keeper")).one()
        copies = s.exec(select(InstanceCopy).where(InstanceCopy.instance_id == slip.id)).all()
    assert keeper.id in {c.user_id for c in copies}
    # still below after the answer: no new slip until the level crosses again
    move(rt, -10, "issue", d.now + timedelta(minutes=5))
    assert len(slips(rt)) == 1
    move(rt, 100, "receipt", d.now + timedelta(hours=2))  # 165: above again
    assert len(slips(rt)) == 1
    move(rt, -70, "issue", d.now + timedelta(hours=3))  # 95: crossed again
    first, second = slips(rt)
    assert second.closed_at is None and second.data["slip"]["on_hand"] == 95
    with Session(rt.db) as s:  # the item's next slip continues its numbering
        [paper] = s.exec(select(Document).where(Document.instance_id == second.id)).all()
    assert (paper.doc_no, paper.kind) == ("GC-P-100-02", "reorder_chase")


def test_off_season_safety_stock_and_unwatched_items(rt: Runtime) -> None:
    load(rt, "items", ITEMS)
    load(rt, "settings", "key,value\npeak_season_start_month,3\npeak_season_end_month,6\n")
    load(rt, "stock", "item_code,warehouse,on_hand\nP-100,RM,90\nP-200,RM,5\n")
    assert slips(rt) == []  # November is off season now: 90 > 60; P-200 is bought per order
    move(rt, -30, "issue", NOW + timedelta(hours=1))
    [slip] = slips(rt)
    assert (slip.data["slip"]["safety_qty"], slip.data["slip"]["season"]) == (60, "off")
    move(rt, -5, "issue", NOW + timedelta(hours=1), code="P-200")
    assert len(slips(rt)) == 1
    d = Driver(rt, NOW + timedelta(hours=2))  # no reorder (enough in transit): no 申购单
    act(d, slip.id, "mc", "answer", {"analysis": "在途足够 / enough in transit"})
    assert state(d, slip.id) == "answered" and slips(rt, "requisition") == []
    with pytest.raises(InvalidForm, match="qty"):  # a reorder needs its quantity and date
        d.start("reorder_chase", "keeper", {**slip.data["slip"], "received_at": d.now.isoformat()})
        act(d, slips(rt)[-1].id, "mc", "answer", {"analysis": "补", "reorder": True})


def test_stock_at_the_maximum_raises_the_warning_answered_and_reviewed(rt: Runtime) -> None:
    load(rt, "items", ITEMS)
    load(rt, "stock", "item_code,warehouse,on_hand\nP-100,RM,300\n")
    at = NOW + timedelta(hours=1)
    move(rt, 200, "receipt", at)  # 500 = the maximum
    move(rt, 20, "receipt", at + timedelta(minutes=10))
    [warning] = slips(rt, "overstock_warning")
    assert warning.data["report"]["max_qty"] == 500 and warning.data["report"]["on_hand"] == 500
    d = Driver(rt, at + timedelta(hours=1))
    [task] = tasks_of(d, warning.id)
    assert task.role == "material_controller"
    act(d, warning.id, "mc", "find_cause", {"cause": "重复下单", "action": "取消余量"})
    [review] = tasks_of(d, warning.id)
    assert (review.role, review.due_at) == ("mc_section_head", task.due_at)  # 4 WH from report
    act(d, warning.id, "mc_head", "send_back", reason="原因不清 / unclear")
    act(d, warning.id, "mc", "find_cause", {"cause": "采购重复下单 PO-12", "action": "退货"})
    act(d, warning.id, "mc_head", "approve")
    assert state(d, warning.id) == "answered"
    move(rt, -300, "issue", d.now)  # back under the maximum: no warning, no slip (220 > 100)
    assert len(slips(rt, "overstock_warning")) == 1 and slips(rt) == []
    # a wrongly ordered delivery: the keeper raises the report by hand, with the receipt
    report = {"item_code": "P-200", "received_at": d.now.isoformat(), "kind": "over_ordered",
              "on_hand": 40, "max_qty": 0, "receipt_ref": "RC-000007"}  # fmt: skip
    iid = d.start("overstock_warning", "keeper", report)
    assert state(d, iid) == "finding_cause" and tasks_of(d, iid)[0].role == "material_controller"


def test_a_raised_safety_stock_on_file_raises_the_slip_without_a_movement(rt: Runtime) -> None:
    load(rt, "items", ITEMS)
    load(rt, "stock", "item_code,on_hand\nP-100,150\n")
    assert slips(rt) == []
    # the safety-stock review raised the peak value to 160: the items import re-runs the
    # triggers on the stock on file (no movement)
    load(rt, "items", ITEMS.replace("safety,100,60,500", "safety,160,60,500"),
         NOW + timedelta(hours=1))  # fmt: skip
    [slip] = slips(rt)
    assert (slip.data["slip"]["on_hand"], slip.data["slip"]["safety_qty"]) == (150, 160)
    with Session(rt.db) as s:
        start = s.exec(
            select(AuditEvent).where(
                AuditEvent.instance_id == slip.id, AuditEvent.action == "start"
            )
        ).one()
    assert start.detail["started_by_system"]["import"].startswith("import:")
