"""§5h receipt and IQC, §8c supplier return (003 5.6.1-5.6.7; 002 1.2.10, 1.2.7): through the
engine on a real database with time injected. Nothing is received without a PO or above a PO
line's open quantity (422 at the row, nothing written); a partial receipt leaves the rest open;
stock moves only after IQC; rejects start the supplier return."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from gendan.demo import Driver
from gendan.errors import InvalidForm
from gendan.models import Document, InstanceLink, Notification, ReceiptLine, User
from gendan.runtime import Runtime
from gendan.timespec import Sla
from tests.conftest import MONDAY_10
from tests.engine.helpers import events, instance, open_tasks, snapshot
from tests.engine.receiving_driver import (
    BOLT,
    GLASS,
    STEEL,
    arrival,
    children,
    counts,
    iqc,
    match,
    movements,
    on_hand,
    po_line,
    registered,
    registration,
    row,
    seed_po,
    steel,
)


@pytest.fixture
def d(rt: Runtime) -> Driver:
    seed_po(rt, MONDAY_10)
    return Driver(rt, MONDAY_10)


def refused(d: Driver, iid: int, form: dict) -> dict[str, str]:
    before, written = snapshot(d.rt), counts(d.rt)
    with pytest.raises(InvalidForm) as exc:
        d.act(iid, "mc", "register", form)
    assert snapshot(d.rt) == before and counts(d.rt) == written  # nothing written
    return exc.value.errors


def test_registration_due_30_wm_from_arrival(d: Driver) -> None:
    iid = arrival(d, minutes_ago=10)
    [task] = open_tasks(d.rt, iid)
    assert task.role == "material_controller"
    assert task.due_at == MONDAY_10 + timedelta(minutes=20)  # 30 WM from the arrival
    assert instance(d.rt, iid).subject_key == f"GRN-{iid:06d}"


def test_no_po_is_refused_with_a_clear_message_and_nothing_written(d: Driver) -> None:
    iid = arrival(d, po_no="PO-NONE")
    errors = refused(d, iid, registration("PO-NONE", steel(10)))
    assert "nothing is received without a PO" in errors["po_no"]
    assert "无采购单" in errors["po_no"]


def test_a_po_not_approved_receives_nothing(d: Driver) -> None:
    seed_po(d.rt, d.now, "PO-DRAFT", status="draft")
    iid = arrival(d, po_no="PO-DRAFT")
    assert "not approved" in refused(d, iid, registration("PO-DRAFT", steel(10)))["po_no"]


def test_above_the_open_quantity_is_refused_at_the_row(d: Driver) -> None:
    iid = arrival(d)
    errors = refused(d, iid, registration("PO-T1", steel(60), row(2, BOLT, 501)))
    assert list(errors) == ["rows.1.qty"]
    assert "open 500" in errors["rows.1.qty"] and "above the PO" in errors["rows.1.qty"]
    assert errors["rows.1.qty"].startswith("送货明细 第2行 / Lines row 2: ")  # names its row
    # two rows of one line count together; a wrong item and an unknown line are named too
    errors = refused(
        d, iid,
        registration("PO-T1", steel(60), steel(41), row(2, STEEL, 5), row(9, BOLT, 1)),
    )  # fmt: skip
    assert set(errors) == {"rows.1.qty", "rows.2.item_code", "rows.3.line_no"}
    # settled by weight: the steel must be weighed
    assert "weigh" in refused(d, iid, registration("PO-T1", steel(10, weight=0)))["rows.0.weight"]


def test_a_partial_receipt_leaves_the_rest_open(d: Driver) -> None:
    first = registered(d, steel(60), row(2, BOLT, 500))
    assert instance(d.rt, first).state == "inspecting"  # PO, note and goods agree
    line1, line2 = po_line(d.rt, 1), po_line(d.rt, 2)
    assert (line1.received, line1.completed_at) == (60, None)  # 40 still open
    assert (line2.received, line2.completed_at) == (500, MONDAY_10)
    with Session(d.rt.db) as s:
        assert [(x.item_code, x.qty, x.weight) for x in s.exec(select(ReceiptLine))] == [
            (STEEL, 60, 1500), (BOLT, 500, 0)
        ]  # fmt: skip
    assert on_hand(d.rt, STEEL) == 10  # nothing in stock before IQC
    d.now += timedelta(days=1)
    second = registered(d, steel(40))
    assert po_line(d.rt, 1).completed_at == d.now
    third = arrival(d)
    assert "open 0" in refused(d, third, registration("PO-T1", steel(1)))["rows.0.qty"]
    assert instance(d.rt, second).subject_key != instance(d.rt, first).subject_key


def test_iqc_pass_moves_stock_and_stamps_the_incoming_receipt(d: Driver) -> None:
    iid = registered(d, steel(60))
    [task] = open_tasks(d.rt, iid)
    four_wh = d.rt.calendar.add(MONDAY_10, Sla.hours(4))  # 4 WH* from the receipt
    assert (task.role, task.due_at) == ("qc_inspector", four_wh)
    d.act(iid, "iqc", "inspect", iqc((1, STEEL, 60, 0)))
    inst = instance(d.rt, iid)
    assert inst.state == "stocked" and inst.closed_at == d.now
    assert on_hand(d.rt, STEEL) == 70
    [mv] = movements(d.rt, "receipt")
    assert (mv.qty, mv.ref, mv.instance_id) == (60, f"{inst.subject_key}/1", iid)
    assert po_line(d.rt, 1).accepted == 60
    with Session(d.rt.db) as s:
        doc = s.exec(select(Document).where(Document.instance_id == iid)).one()
    assert doc.kind == "incoming_receipt" and doc.data["rows"][0]["qty"] == 60


def test_iqc_counts_must_add_up_per_line(d: Driver) -> None:
    iid = registered(d, steel(60), row(2, BOLT, 100))
    before = snapshot(d.rt)
    with pytest.raises(InvalidForm) as exc:
        d.act(iid, "iqc", "inspect", iqc((1, STEEL, 50, 5)))
    assert set(exc.value.errors) == {"rows.0.rejected"}
    with pytest.raises(InvalidForm) as exc:
        d.act(iid, "iqc", "inspect", iqc((1, STEEL, 60, 0)))
    assert "not inspected" in exc.value.errors["rows"]
    assert snapshot(d.rt) == before


def test_mismatch_goes_to_mc_before_inspection(d: Driver) -> None:
    iid = registered(d, steel(60, weight=1700), row(2, BOLT, 90, note=100))
    assert instance(d.rt, iid).state == "mismatch"
    flagged = instance(d.rt, iid).data["receipt"]["mismatches"]
    assert len(flagged) == 2 and "weighed 1700" in flagged[0] and "note 100" in flagged[1]
    [task] = open_tasks(d.rt, iid)
    assert task.role == "material_controller"
    assert po_line(d.rt, 2).received == 90  # what was counted is received
    d.act(iid, "mc", "measures_taken", {"measures": "短少10由供应商补送；按实称重量结算",
                                        "buyer_told": True})  # fmt: skip
    assert instance(d.rt, iid).state == "inspecting"


def test_failed_lot_returns_the_rejects_and_stocks_the_good(d: Driver) -> None:
    iid = registered(d, steel(60), row(2, BOLT, 200))
    d.act(iid, "iqc", "inspect", iqc((1, STEEL, 55, 5), (2, BOLT, 200, 0)))
    assert instance(d.rt, iid).state == "failed"
    assert on_hand(d.rt, BOLT) == 200 and on_hand(d.rt, STEEL) == 10  # the good line only
    with pytest.raises(InvalidForm) as exc:  # not an urgent item: no pick-and-use
        d.act(iid, "mc", "pick_and_use", {"iqc_agreed": True, "inspector": "罗琳"})
    assert "urgent" in exc.value.errors["iqc_agreed"]
    d.act(iid, "mc", "return_rejected", {"buyer_told": True})
    assert instance(d.rt, iid).state == "disposed"
    assert on_hand(d.rt, STEEL) == 65
    line = po_line(d.rt, 1)
    assert (line.received, line.accepted, line.rejected) == (60, 55, 5)
    [ret] = children(d.rt, "supplier_return")
    report = ret.data["report"]
    assert report["rows"] == [{"item_code": STEEL, "qty": 5.0, "defect": "划伤 / scratched",
                               "po_line_id": line.id}]  # fmt: skip
    assert report["receipt_no"] == instance(d.rt, iid).subject_key
    with Session(d.rt.db) as s:
        link = s.exec(select(InstanceLink).where(InstanceLink.child_id == ret.id)).one()
        system = s.exec(select(User).where(User.username == "system")).one()
    assert link.parent_id == iid and ret.created_by_id == system.id
    start = next(e for e in events(d.rt, ret.id) if e.action == "start")
    assert start.detail["started_by_system"]["event"] == "return_rejected"


def test_urgent_item_alerts_and_pick_and_use(d: Driver) -> None:
    iid = registered(d, row(3, GLASS, 50))
    with Session(d.rt.db) as s:
        told = sorted(
            u for n, u in s.exec(
                select(Notification, User.username).join(User, User.id == Notification.user_id)
                .where(Notification.template == "inform", Notification.channel == "email")
            ).all() if n.context.get("instance_id") == iid
        )  # fmt: skip
    assert told == ["mc", "prod_mgr", "qa_lead"]  # 003 5.6.2: MC, production, QA
    d.act(iid, "iqc", "inspect", iqc((3, GLASS, 45, 5)))
    d.act(iid, "mc", "pick_and_use", {"iqc_agreed": True, "inspector": "罗琳"})
    assert on_hand(d.rt, GLASS) == 45
    with Session(d.rt.db) as s:
        assert s.exec(select(ReceiptLine.iqc)).all() == ["pick_and_use"]
    [ret] = children(d.rt, "supplier_return")
    assert ret.data["report"]["rows"][0]["qty"] == 5


def test_supplier_return_reopens_the_po_line_and_settles(d: Driver) -> None:
    iid = registered(d, steel(100))
    assert po_line(d.rt, 1).completed_at == d.now
    d.act(iid, "iqc", "inspect", iqc((1, STEEL, 90, 10)))
    d.act(iid, "mc", "return_rejected", {"buyer_told": True})
    [ret] = children(d.rt, "supplier_return")
    [task] = open_tasks(d.rt, ret.id)
    assert task.role == "warehouse_keeper"
    d.act(ret.id, "keeper", "goods_returned", {"returned_at": d.now.isoformat(),
                                               "slip_to_mc": True})  # fmt: skip
    line = po_line(d.rt, 1)
    assert (line.received, line.completed_at) == (90, None)  # open again for the replacement
    assert movements(d.rt, "supplier_return") == []  # never in stock: nothing moves out
    [task] = open_tasks(d.rt, ret.id)
    assert task.role == "buyer" and task.chain == ["role:material_controller",
                                                   "role:purchasing_lead"]  # fmt: skip
    d.now += timedelta(days=2)
    replacement = registered(d, steel(10))
    assert instance(d.rt, replacement).state == "inspecting"
    d.act(ret.id, "buyer", "settle", {"outcome": "replaced", "supplier_answer": "已补10张"})
    assert instance(d.rt, ret.id).state == "settled"


def test_return_of_goods_in_stock_moves_them_out(d: Driver) -> None:
    form = {"supplier": "SUP-1", "received_at": d.now.isoformat(), "from_stock": True,
            "rows": [{"item_code": STEEL, "qty": 4, "defect": "锈蚀 / rust"}]}  # fmt: skip
    rid = d.start("supplier_return", "iqc", form)
    assert instance(d.rt, rid).subject_key == f"RTV-{rid:06d}"
    d.act(rid, "keeper", "goods_returned", {"returned_at": d.now.isoformat(), "slip_to_mc": True})
    [mv] = movements(d.rt, "supplier_return")
    assert (mv.qty, mv.ref) == (-4, f"RTV-{rid:06d}") and on_hand(d.rt, STEEL) == 6


def test_quality_exception_purchased_batch_starts_the_return(d: Driver) -> None:
    from gendan.demo import order_form

    d.start("order_review", "clerk", order_form("SO-R1", "regular", now=d.now))
    rec = {"order_no": "SO-R1", "received_at": d.now.isoformat(), "stage": "in_process",
           "item": STEEL, "supplier": "SUP-1", "inspected": 50, "failed": 10,
           "description": "厚度不足 / too thin"}  # fmt: skip
    qid = d.start("quality_exception", "iqc", rec)
    d.act(qid, "iqc", "classify_purchased", rec)
    assert instance(d.rt, qid).state == "purchased_serious"
    d.act(qid, "qa_lead", "handle_serious", {"action": "退货", "resolution": "整批退回",
                                             "supplier_return": True})  # fmt: skip
    [ret] = children(d.rt, "supplier_return")
    assert ret.order_no == "SO-R1"
    assert ret.data["report"]["from_stock"] is True
    assert ret.data["report"]["rows"][0]["qty"] == 10


def test_storage_anomaly_goes_to_mc_within_30_wm_of_finding(d: Driver) -> None:
    form = {"item_code": STEEL, "received_at": (d.now - timedelta(minutes=5)).isoformat(),
            "kind": "quantity", "qty": 2, "description": "盘点少2张"}  # fmt: skip
    iid = d.start("storage_anomaly", "keeper", form)
    [task] = open_tasks(d.rt, iid)
    assert (task.role, task.due_at) == ("material_controller", d.now + timedelta(minutes=25))
    d.act(iid, "mc", "replenish", {"action": "已开补料单"})
    assert instance(d.rt, iid).state == "done"


def test_the_match_runs_once(d: Driver) -> None:
    iid = arrival(d)
    d.act(iid, "mc", "register", registration("PO-T1", steel(5)))
    assert len(match(d)) == 1 and match(d) == []
    assert instance(d.rt, iid).state == "inspecting"
