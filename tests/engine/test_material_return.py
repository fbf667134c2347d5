"""§8d defective material return/replenish and §8e batch close through the engine on a real
database, time injected: QC confirms, MC signs (or the warehouse refuses), the warehouse
returns to the defective store and replenishes as far as stock goes (short noted, a 物料跟催单
raised), supplier-caused → MC and buyer → the supplier return (§8c) as a linked child, copies
to MC; the batch close within 24 hours of completion, QA's judgement choosing the store, MC
refusing → the warehouse refuses the leftovers."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.demo_issue import ensure_masters
from gendan.links import children_of
from gendan.models import InstanceCopy, IssueLine, Stock, User
from gendan.runtime import Runtime
from gendan.timespec import Sla
from tests.engine.helpers import instance, open_tasks


@pytest.fixture
def d(driver: Driver) -> Driver:
    with unit_of_work(driver.rt.db) as s:
        ensure_masters(s, driver.now)
    return driver


def on_hand(rt: Runtime, code: str, wh: str = "RM") -> float:
    with Session(rt.db) as s:
        row = s.exec(select(Stock).where(Stock.item_code == code, Stock.warehouse == wh)).first()
        return row.on_hand if row else 0.0


def slip(d: Driver, *rows: dict) -> dict:
    return {"batch_no": "WP-48", "received_at": d.now.isoformat(), "labelled": True,
            "rows": list(rows)}  # fmt: skip


def test_return_replenish_with_short_row_chased_and_copied_to_mc(d: Driver) -> None:
    iid = d.start("material_return", "workshop", slip(
        d, {"item_code": "BD-18", "qty": 4, "defect": "划伤"},
        {"item_code": "GL-5", "qty": 40, "defect": "破裂"}))  # fmt: skip
    for role, user, decision, form in (
        ("qc_inspector", "iqc", "qc_confirms", {"cause": "production"}),
        ("material_controller", "mc", "mc_signs", {"replenish": True}),
    ):
        [task] = open_tasks(d.rt, iid)
        assert (task.role, task.deadline_kind) == (role, "default")
        assert task.due_at == d.rt.calendar.add(d.now, Sla.hours(4))
        d.act(iid, user, decision, form)
    d.act(iid, "keeper", "execute", {})
    # defective back into MRB; BD-18 replenished in full, GL-5 only 30 of 40: 10 short
    assert on_hand(d.rt, "BD-18", "MRB") == 4 and on_hand(d.rt, "BD-18") == 396
    assert on_hand(d.rt, "GL-5") == 0
    rows = instance(d.rt, iid).data["forms"]["execute"]["rows"]
    assert [r["short"] for r in rows] == [0, 10]
    assert instance(d.rt, iid).state == "short_chased"
    with Session(d.rt.db) as s:
        [chase] = children_of(s, iid)
        mine = s.exec(select(IssueLine).where(IssueLine.instance_id == iid))
        kinds = sorted(r.kind for r in mine)
    assert kinds == ["replenish", "replenish", "return", "return"]
    assert chase.data["slip"]["reason"] == "return_short" and chase.data["slip"]["short_qty"] == 10
    d.act(chase.id, "mc", "reply", {"arrival_date": "2026-11-26"})
    assert instance(d.rt, iid).state == "done"
    with Session(d.rt.db) as s:
        mc = s.exec(select(User).where(User.username == "mc")).one()
        copied = select(InstanceCopy).where(
            InstanceCopy.instance_id == iid, InstanceCopy.user_id == mc.id
        )
        assert s.exec(copied).first()


def test_mc_refusing_means_the_warehouse_refuses(d: Driver) -> None:
    iid = d.start("material_return", "workshop",
                  slip(d, {"item_code": "BD-18", "qty": 1, "defect": "划伤"}))  # fmt: skip
    d.act(iid, "iqc", "qc_confirms", {"cause": "production"})
    d.act(iid, "mc", "mc_refuses", {}, reason="非不良，继续使用")
    assert instance(d.rt, iid).state == "refused"
    assert on_hand(d.rt, "BD-18") == 400 and on_hand(d.rt, "BD-18", "MRB") == 0


def test_supplier_caused_goes_to_the_buyer_then_the_supplier_return(d: Driver) -> None:
    iid = d.start("material_return", "workshop",
                  slip(d, {"item_code": "GL-5", "qty": 3, "defect": "来料划痕"}))  # fmt: skip
    d.act(iid, "iqc", "qc_confirms", {"cause": "supplier"})
    d.act(iid, "mc", "mc_signs", {"replenish": True})
    d.act(iid, "keeper", "execute", {})
    assert instance(d.rt, iid).state == "supplier_handover"  # nothing short: no slip
    [task] = open_tasks(d.rt, iid)
    assert (task.role, task.deadline_kind) == ("buyer", "default")
    d.act(iid, "buyer", "handed_over", {"supplier": "S-GLASS", "replacement_date": "2026-11-27"})
    assert instance(d.rt, iid).state == "done"
    with Session(d.rt.db) as s:
        kids = children_of(s, iid)
    assert [k.procedure for k in kids] == ["supplier_return"]
    assert kids[0].data["report"]["rows"][0]["item_code"] == "GL-5"


def test_batch_close_leftovers_judged_unusable_go_to_the_defective_store(d: Driver) -> None:
    iid = d.start("batch_close", "workshop",
                  {"batch_no": "WP-40", "received_at": d.now.isoformat()})  # fmt: skip
    [task] = open_tasks(d.rt, iid)
    assert task.deadline_kind == "day-hours"
    assert task.due_at == d.rt.calendar.add(d.now, Sla.working_days(1))
    d.act(iid, "workshop", "list_leftovers", {"rows": [{"item_code": "SC-M4", "qty": 40}]})
    d.act(iid, "qa_lead", "qa_judges", {"usable": False, "note": "锈蚀"})
    d.act(iid, "mc", "mc_accepts", {})
    assert on_hand(d.rt, "SC-M4", "MRB") == 40 and on_hand(d.rt, "SC-M4") == 5000


def test_batch_close_refused_by_mc_takes_nothing_back(d: Driver) -> None:
    iid = d.start("batch_close", "workshop",
                  {"batch_no": "WP-41", "received_at": d.now.isoformat()})  # fmt: skip
    d.act(iid, "workshop", "list_leftovers", {"rows": [{"item_code": "SC-M4", "qty": 40}]})
    d.act(iid, "qa_lead", "qa_judges", {"usable": True})
    d.act(iid, "mc", "mc_refuses", {}, reason="余料属他批号")
    assert instance(d.rt, iid).state == "refused" and on_hand(d.rt, "SC-M4") == 5000
