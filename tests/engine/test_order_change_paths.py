"""Order change (§2): the structural, cancel and engineering-raised rows, through the engine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from gendan.demo import Driver, order_form, step_forms
from gendan.errors import IllegalTransition, InvalidForm, NotAllowed
from gendan.models import FinishedStock
from gendan.runtime import Runtime
from tests.engine.helpers import docs, events, instance, open_tasks, order, snapshot
from tests.engine.test_order_change import (
    assert_superseded,
    confirm_and_acknowledge,
    contracted,
    document,
    informed,
    iso,
    issue_change_notice,
    move,
    notice,
    only_task,
    released,
    roles,
    start_change,
    state,
)

FULL_BOARD = ["engineering", "material_controller", "production_manager", "qa_lead", "sales_clerk"]
BOARD_PEOPLE = ("clerk", "prod_mgr", "mc", "engineer", "qa_lead")


def opinions(driver: Driver, iid: int, **infeasible: date) -> None:
    """Every board member gives an opinion; those named say infeasible with their earliest date."""
    for who in BOARD_PEOPLE:
        if who in infeasible:
            form = {"feasible": False, "earliest_delivery_date": iso(infeasible[who])}
        else:
            form = {"feasible": True, "stock_checked": True}
        driver.act(iid, who, "opinion", {**form, "comments": f"{who} 意见"})


def negotiate(driver: Driver, iid: int, accepted: date | None) -> None:
    form: dict[str, Any] = {"customer_accepts": accepted is not None, "contact_record": "电话"}
    if accepted is not None:
        form["new_delivery_date"] = iso(accepted)
    driver.act(iid, "clerk", "record_negotiation", form)


def supplement(driver: Driver, iid: int, order_no: str) -> None:
    driver.act(
        iid,
        "clerk",
        "supplement_signed",
        notice(driver, order_no, supplementary_contract=True, price_change="1200.00"),
    )


# -- (3) structural ---------------------------------------------------------------------------


def test_structural_change_full_board_negotiation_supplement_and_new_revision(
    rt: Runtime, driver: Driver
) -> None:
    form = released(driver, "SO-S01")
    contract = date.fromisoformat(form["delivery_date"])
    later = contract + timedelta(days=15)
    iid = start_change(driver, "SO-S01")
    driver.act(
        iid,
        "clerk",
        "classify_structural",
        notice(driver, "SO-S01", category="minor", supplementary_contract=True),
    )
    assert instance(rt, iid).data["forms"]["classify_structural"]["category"] == "structural"
    assert docs(rt, "SO-S01") == {"SC-SO-S01-01": "issued"}  # nothing issued before the review
    assert state(rt, iid) == "structural_review"
    assert informed(rt, iid, "structural_review") == {"sales_head", "prod_mgr"}
    # the non-regular board for a regular order: engineering and QA join
    assert order(rt, "SO-S01").kind == "regular"
    assert roles(rt, iid) == FULL_BOARD

    opinions(driver, iid, prod_mgr=later)
    assert state(rt, iid) == "structural_negotiating"
    task = only_task(rt, iid)
    assert (task.role, task.pauses_for) == ("sales_clerk", "customer")

    negotiate(driver, iid, accepted=later)
    assert state(rt, iid) == "structural_review"  # the board again, a new round
    assert roles(rt, iid) == FULL_BOARD
    assert instance(rt, iid).data["agreed"] == {
        "category": "structural",
        "delivery_date": iso(later),
    }
    opinions(driver, iid)
    assert state(rt, iid) == "supplementary"
    task = only_task(rt, iid)
    assert (task.role, task.pauses_for) == ("sales_clerk", "customer")

    supplement(driver, iid, "SO-S01")
    assert state(rt, iid) == "notice_issue"
    supp = instance(rt, iid).data["forms"]["supplement_signed"]
    assert (supp["category"], supp["price_change"]) == ("structural", "1200.00")

    before = snapshot(rt)
    with pytest.raises(InvalidForm) as exc:
        issue_change_notice(driver, iid, "SO-S01", category="structural")  # date left out
    assert list(exc.value.errors) == ["new_delivery_date"]
    assert snapshot(rt) == before
    issue_change_notice(driver, iid, "SO-S01", category="structural", new_delivery_date=iso(later))
    assert order(rt, "SO-S01").delivery_date == later
    assert document(rt, "GG-SO-S01-01").data["category"] == "structural"
    assert_superseded(rt, "SO-S01", date_=iso(later))
    # the recalled revision stays readable, as it was issued
    old = document(rt, "SC-SO-S01-01")
    assert (old.status, old.revision, old.data["delivery_date"]) == ("recalled", 1, iso(contract))
    confirm_and_acknowledge(rt, driver, iid, engineering=True)
    assert docs(rt, "SO-S01") == {
        "SC-SO-S01-01": "recalled",
        "SC-SO-S01-02": "issued",
        "GG-SO-S01-01": "issued",
    }


def test_structural_change_feasible_at_once_keeps_the_date(rt: Runtime, driver: Driver) -> None:
    form = released(driver, "SO-S02")
    iid = start_change(driver, "SO-S02")
    driver.act(iid, "clerk", "classify_structural", notice(driver, "SO-S02"))
    opinions(driver, iid)
    assert state(rt, iid) == "supplementary"
    supplement(driver, iid, "SO-S02")
    with pytest.raises(InvalidForm) as exc:  # nothing agreed: the notice may not move the date
        issue_change_notice(
            driver, iid, "SO-S02", category="structural", new_delivery_date="2027-03-01"
        )
    assert list(exc.value.errors) == ["new_delivery_date"]
    with pytest.raises(InvalidForm) as exc:  # the path decided the category
        issue_change_notice(driver, iid, "SO-S02", category="minor")
    assert list(exc.value.errors) == ["category"]
    issue_change_notice(driver, iid, "SO-S02", category="structural")
    assert order(rt, "SO-S02").delivery_date.isoformat() == form["delivery_date"]
    assert_superseded(rt, "SO-S02", date_=form["delivery_date"])
    confirm_and_acknowledge(rt, driver, iid, engineering=True)


def test_structural_change_customer_refuses_the_later_date_goes_to_the_gm(
    rt: Runtime, driver: Driver
) -> None:
    form = released(driver, "SO-S03")
    later = date.fromisoformat(form["delivery_date"]) + timedelta(days=15)
    iid = start_change(driver, "SO-S03")
    driver.act(iid, "clerk", "classify_structural", notice(driver, "SO-S03"))
    opinions(driver, iid, engineer=later)
    negotiate(driver, iid, accepted=None)
    assert state(rt, iid) == "change_decision"
    assert roles(rt, iid) == ["general_manager"]
    driver.act(iid, "gm", "refuse_change", reason="结构无法更改 / cannot be done")
    assert state(rt, iid) == "refused"
    assert docs(rt, "SO-S03") == {"SC-SO-S03-01": "issued"}


# -- (4) cancel -----------------------------------------------------------------------------


def classify_cancel(driver: Driver, iid: int, order_no: str, **extra: Any) -> None:
    driver.act(
        iid,
        "clerk",
        "classify_cancel",
        notice(driver, order_no, documents_to_recall="生产单, 流程卡", **extra),
        reason="客户撤单 / customer withdrew",
    )


def test_cancel_signed_recalled_purchases_adjusted(rt: Runtime, driver: Driver) -> None:
    form = released(driver, "SO-X01")
    iid = start_change(driver, "SO-X01")
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as exc:  # no reason
        driver.act(iid, "clerk", "classify_cancel", notice(driver, "SO-X01"))
    assert list(exc.value.errors) == ["reason"]
    with pytest.raises(InvalidForm) as exc:  # a cancellation does not move the date
        classify_cancel(driver, iid, "SO-X01", new_delivery_date="2027-03-01")
    assert list(exc.value.errors) == ["new_delivery_date"]
    assert snapshot(rt) == before
    assert order(rt, "SO-X01").delivery_date.isoformat() == form["delivery_date"]

    classify_cancel(driver, iid, "SO-X01")
    assert state(rt, iid) == "cancel_signoff"
    task = only_task(rt, iid)
    assert (task.role, task.sla) == ("dept_head", "4 hours")
    assert order(rt, "SO-X01").status == "released"  # not before the sales head signs

    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "sales_head", "sign_cancel", reason="同意", password="wrong")
    assert list(exc.value.errors) == ["password"]
    driver.act(iid, "sales_head", "sign_cancel", reason="同意取消 / agreed")
    signed = move(rt, iid, "cancel_signoff", "recall")
    assert signed.detail["signature"]["meaning"] == "approved"
    assert signed.changes["order.status"] == {"old": "released", "new": "cancelled"}
    assert signed.changes["documents.recalled"]["doc_nos"] == ["SC-SO-X01-01"]
    assert order(rt, "SO-X01").status == "cancelled"
    assert docs(rt, "SO-X01") == {"SC-SO-X01-01": "recalled"}  # no change notice is issued
    assert document(rt, "SC-SO-X01-01").superseded_by is None

    assert roles(rt, iid) == ["merchandiser"]
    driver.act(
        iid,
        "merch",
        "confirm_recall",
        {"documents": "生产单, 流程卡", "copies": 3, "recalled_at": driver.now.isoformat()},
    )
    assert state(rt, iid) == "purchase_adjust"
    assert roles(rt, iid) == ["buyer", "material_controller"]
    adjustment = {"purchase_orders": "PO-2026-0412", "action": "取消 / cancelled"}
    driver.act(iid, "buyer", "opinion", adjustment)
    assert state(rt, iid) == "purchase_adjust"  # waits for MC too
    driver.act(iid, "mc", "opinion", {**adjustment, "action": "物料需求已调整"})
    assert state(rt, iid) == "cancelled"
    assert instance(rt, iid).closed_at == driver.now
    opinions_ = instance(rt, iid).data["forms"]["purchases_adjusted"]["opinions"]
    assert sorted(o["role"] for o in opinions_) == ["buyer", "material_controller"]

    with pytest.raises(InvalidForm) as exc:  # a cancelled order takes no more changes
        start_change(driver, "SO-X01")
    assert "cancelled" in exc.value.errors["order_no"]


def test_cancel_stops_the_orders_other_running_instances(rt: Runtime, driver: Driver) -> None:
    review = contracted(driver, "SO-X02")
    assert (order(rt, "SO-X02").status, state(rt, review)) == ("contracted", "production_notice")
    iid = start_change(driver, "SO-X02")
    classify_cancel(driver, iid, "SO-X02")
    assert open_tasks(rt, review) != []  # still running until the sales head signs
    driver.act(iid, "sales_head", "sign_cancel", reason="同意")
    assert open_tasks(rt, review) == []
    assert instance(rt, review).closed_at == driver.now
    assert instance(rt, review).data["stopped_by"] == iid
    stop = events(rt, review)[-1]
    assert (stop.action, stop.reason) == ("stop", f"order cancelled (instance {iid})")
    assert move(rt, iid, "cancel_signoff").changes["instances.stopped"] == [review]
    assert order(rt, "SO-X02").status == "cancelled"
    assert instance(rt, iid).closed_at is None  # the change itself goes on to the recall
    assert roles(rt, iid) == ["merchandiser"]


def test_sales_head_may_refuse_the_cancellation(rt: Runtime, driver: Driver) -> None:
    released(driver, "SO-X03")
    iid = start_change(driver, "SO-X03")
    classify_cancel(driver, iid, "SO-X03")
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "sales_head", "refuse_cancel")
    assert list(exc.value.errors) == ["reason"]
    driver.act(iid, "sales_head", "refuse_cancel", reason="已投产 / already in production")
    assert move(rt, iid, "cancel_signoff", "refused").detail["signature"]["meaning"] == "rejected"
    assert state(rt, iid) == "refused"
    assert order(rt, "SO-X03").status == "released"
    assert docs(rt, "SO-X03") == {"SC-SO-X03-01": "issued"}


# -- engineering-raised ----------------------------------------------------------------------


def tech(**extra: Any) -> dict[str, Any]:
    return {
        "description": "改用 ABB 断路器 / ABB breakers",
        "customer_written_approval": True,
        **extra,
    }


def test_only_engineering_raises_technical_changes(rt: Runtime, driver: Driver) -> None:
    released(driver, "SO-E01")
    before = snapshot(rt)
    with pytest.raises(NotAllowed, match="raised by engineering"):
        start_change(driver, "SO-E01", who="clerk", source="engineering")
    with pytest.raises(NotAllowed, match="received by sales"):
        start_change(driver, "SO-E01", who="engineer", source="customer")
    with pytest.raises(NotAllowed, match="needs one of the roles"):
        start_change(driver, "SO-E01", who="buyer")
    assert snapshot(rt) == before


def test_engineering_task_offers_only_the_technical_decisions(rt: Runtime, driver: Driver) -> None:
    released(driver, "SO-E02")
    iid = start_change(driver, "SO-E02", who="engineer", source="engineering")
    task = only_task(rt, iid)
    assert (task.role, task.decisions) == ("engineering", ["tech_minor", "tech_major"])
    assert task.due_at == driver.now + timedelta(minutes=30)
    before = snapshot(rt)
    for decision in ("classify_cancel", "classify_delivery"):
        with pytest.raises(IllegalTransition) as exc:
            driver.act(iid, "engineer", decision, notice(driver, "SO-E02"), reason="x")
        assert exc.value.allowed == ["tech_minor", "tech_major"]
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "engineer", "tech_major", tech(customer_written_approval=False))
    assert list(exc.value.errors) == ["customer_written_approval"]
    assert snapshot(rt) == before


def test_technical_change_without_structure_is_archived_with_no_notice(
    rt: Runtime, driver: Driver
) -> None:
    released(driver, "SO-E03")
    iid = start_change(driver, "SO-E03", who="engineer", source="engineering")
    driver.act(iid, "engineer", "tech_minor", tech())
    assert state(rt, iid) == "archive"
    assert roles(rt, iid) == ["sales_clerk"]
    driver.act(iid, "clerk", "archive_request")
    assert state(rt, iid) == "archived"
    assert instance(rt, iid).closed_at == driver.now
    assert docs(rt, "SO-E03") == {"SC-SO-E03-01": "issued"}


def test_technical_classification_must_fit_the_change(rt: Runtime, driver: Driver) -> None:
    """001M 2.2.3(5): archive only when nothing structural changes and the plan holds."""
    released(driver, "SO-E04")
    iid = start_change(driver, "SO-E04", who="engineer", source="engineering")
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "engineer", "tech_minor", tech(structure_change="单门 → 双门"))
    assert list(exc.value.errors) == ["structure_change"]
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "engineer", "tech_minor", tech(plan_affected=True))
    assert list(exc.value.errors) == ["plan_affected"]
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "engineer", "tech_major", tech())
    assert list(exc.value.errors) == ["description"]
    assert snapshot(rt) == before


def tech_major(rt: Runtime, driver: Driver, order_no: str) -> int:
    released(driver, order_no)
    received = driver.now - timedelta(hours=1)  # Monday 09:00 Shanghai
    iid = start_change(driver, order_no, who="engineer", source="engineering", received_at=received)
    driver.act(
        iid,
        "engineer",
        "tech_major",
        tech(spec_change="DZ47 → ABB S200", maker_change="正泰 → ABB"),
    )
    jg = document(rt, f"JG-{order_no}-01")
    assert (jg.kind, jg.status, jg.instance_id) == ("tech_change", "issued", iid)
    assert jg.data["spec_change"] == "DZ47 → ABB S200"
    assert state(rt, iid) == "tech_decision"
    assert informed(rt, iid, "tech_decision") == {"eng_head", "prod_mgr", "merch_lead"}
    task = only_task(rt, iid)
    assert task.role == "merchandising_lead"
    # 4 WH* from receipt, not from the opening: 09:00-12:00 and 13:00-14:00
    assert task.clock_start == received
    assert task.due_at == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    return iid


def test_technical_change_merchandising_proceeds_with_a_new_revision(
    rt: Runtime, driver: Driver
) -> None:
    iid = tech_major(rt, driver, "SO-E04")
    contract = order(rt, "SO-E04").delivery_date
    driver.act(iid, "merch_lead", "proceed")
    assert_superseded(rt, "SO-E04", date_=iso(contract))
    confirm_and_acknowledge(rt, driver, iid, engineering=True)
    assert docs(rt, "SO-E04") == {
        "SC-SO-E04-01": "recalled",
        "SC-SO-E04-02": "issued",
        "JG-SO-E04-01": "issued",
    }


def test_technical_change_merchandising_orders_a_full_rereview(rt: Runtime, driver: Driver) -> None:
    iid = tech_major(rt, driver, "SO-E05")
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "merch_lead", "rereview")
    assert list(exc.value.errors) == ["reason"]
    driver.act(iid, "merch_lead", "rereview", reason="主要元件变更 / main component")
    assert state(rt, iid) == "structural_review"
    assert roles(rt, iid) == FULL_BOARD
    assert informed(rt, iid, "structural_review") == {"sales_head", "prod_mgr"}
    opinions(driver, iid)
    supplement(driver, iid, "SO-E05")
    issue_change_notice(driver, iid, "SO-E05", category="structural")
    assert_superseded(rt, "SO-E05", date_=iso(order(rt, "SO-E05").delivery_date))
    confirm_and_acknowledge(rt, driver, iid, engineering=True)


def test_technical_change_affecting_the_date_is_referred_to_sales(
    rt: Runtime, driver: Driver
) -> None:
    iid = tech_major(rt, driver, "SO-E06")
    driver.act(iid, "merch_lead", "refer_to_sales", reason="影响交期 / date affected")
    assert state(rt, iid) == "referred"
    assert instance(rt, iid).closed_at == driver.now
    assert informed(rt, iid, "referred") == {"sales_head"}
    assert docs(rt, "SO-E06") == {"SC-SO-E06-01": "issued", "JG-SO-E06-01": "issued"}
    # the referral closed the change: sales may now raise the delivery change
    follow_up = start_change(driver, "SO-E06")
    assert state(rt, follow_up) == "received"


# -- gaps found while writing these tests, now closed --------------------------------------


def test_change_before_the_notice_is_issued_does_not_issue_an_empty_one(
    rt: Runtime, driver: Driver
) -> None:
    contracted(driver, "SO-G01")
    iid = start_change(driver, "SO-G01")
    driver.act(iid, "clerk", "classify_minor", notice(driver, "SO-G01"))
    driver.act(
        iid,
        "prod_mgr",
        "adjusted",
        {"departments_adjusted": "装配车间", "adjusted_at": driver.now.isoformat()},
    )
    # nothing to supersede: no empty SC-… appears; the order review issues the first notice
    assert not [d for d in docs(rt, "SO-G01") if d.startswith("SC-")]
    assert state(rt, iid) == "revision_confirm"


def test_cancelling_an_order_from_stock_releases_its_reservation(
    rt: Runtime, driver: Driver
) -> None:
    with Session(rt.db) as s:
        s.add(FinishedStock(product="配电柜", model_spec="GGD-2200", on_hand=20, reserved=0))
        s.commit()
    form = order_form("SO-G02", "regular", now=driver.now)
    f = step_forms(form, driver.now)
    review = driver.start("order_review", "clerk", form)
    driver.act(review, "clerk", "confirm", f["confirm"])
    note = {
        "order_no": "SO-G02",
        "product": "配电柜",
        "model_spec": "GGD-2200",
        "quantity": 12,
        "ship_date": iso(driver.now.date() + timedelta(days=2)),
        "consignee": "宁波",
    }
    driver.act(review, "sales", "fill_shipping_note", note)
    driver.act(review, "clerk", "contract_signed", f["contract"])
    assert order(rt, "SO-G02").status == "ready_to_ship"
    iid = start_change(driver, "SO-G02")
    classify_cancel(driver, iid, "SO-G02")
    driver.act(iid, "sales_head", "sign_cancel", reason="同意")
    assert docs(rt, "SO-G02") == {"FH-SO-G02-01": "recalled"}
    with Session(rt.db) as s:
        assert s.exec(select(FinishedStock)).one().reserved == 0


def test_design_correction_goes_in_writing_to_production_quality_and_purchasing(
    rt: Runtime, driver: Driver
) -> None:
    """001M 2.2.3(6): after the drawings are issued, a design error is notified in writing."""
    released(driver, "SO-E09")
    form = {
        "order_no": "SO-E09",
        "drawing_no": "GGD-2200-03",
        "cause": "母排间距计算错误",
        "correction": "间距改为 125 mm",
    }
    with pytest.raises(NotAllowed):
        driver.start("design_correction", "clerk", form)
    with pytest.raises(InvalidForm) as exc:
        driver.start("design_correction", "engineer", {**form, "customer_change": True})
    assert list(exc.value.errors) == ["tech_change_ref"]
    iid = driver.start("design_correction", "engineer", form)
    assert roles(rt, iid) == ["buyer", "production_manager", "qc_inspector"]
    assert {t.deadline_kind for t in open_tasks(rt, iid)} == {"vague"}  # 及时: 1 working day
    for who in ("prod_mgr", "iqc", "buyer"):
        driver.act(iid, who, "opinion", {"copies": 1})
    assert state(rt, iid) == "done"
