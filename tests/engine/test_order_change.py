"""Order change notices (§2): every category, against a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from gendan.demo import Driver, order_form, review_to_release
from gendan.errors import InvalidForm
from gendan.models import Notification, User
from gendan.runtime import Runtime
from tests.engine.helpers import docs, events, instance, open_tasks, order


def released_order(driver: Driver, order_no: str) -> dict:
    form = order_form(order_no, "regular", now=driver.now)
    review_to_release(driver, driver.start("order_review", "clerk", form), form)
    return form


def change(driver: Driver, order_no: str, source: str = "customer", who: str = "clerk") -> int:
    return driver.start(
        "order_change",
        who,
        {
            "order_no": order_no,
            "received_at": driver.now.isoformat(),
            "requested_by": "陈经理",
            "source": source,
            "change_description": "改为 380V / voltage change",
        },
    )


def notice(order_no: str, **extra: object) -> dict:
    return {
        "order_no": order_no,
        "received_at": "2026-11-23T10:00:00+08:00",
        "requested_by": "陈经理",
        "change_description": "改为 380V",
        **extra,
    }


def test_minor_change_issues_the_notice_and_production_adjusts(rt: Runtime, driver: Driver) -> None:
    released_order(driver, "SO-10")
    iid = change(driver, "SO-10")
    (task,) = open_tasks(rt, iid)
    assert task.role == "sales_clerk" and task.due_at == driver.now + timedelta(minutes=30)
    driver.act(iid, "clerk", "classify_minor", notice("SO-10", category="structural"))
    assert instance(rt, iid).state == "production_adjust"
    assert instance(rt, iid).data["forms"]["classify_minor"]["category"] == "minor"  # event decides
    assert docs(rt, "SO-10")["GG-SO-10-01"] == "issued"
    (adjust,) = open_tasks(rt, iid)
    assert adjust.role == "production_manager" and adjust.sla == "30 minutes"
    driver.act(
        iid,
        "prod_mgr",
        "adjusted",
        {"departments_adjusted": "装配车间, 采购部", "adjusted_at": driver.now.isoformat()},
    )
    assert instance(rt, iid).state == "done"


def test_delivery_change_informs_heads_rereviews_and_moves_the_date(
    rt: Runtime, driver: Driver
) -> None:
    released_order(driver, "SO-11")
    iid = change(driver, "SO-11")
    new_date = (driver.now + timedelta(days=75)).date().isoformat()
    driver.act(iid, "clerk", "classify_delivery", notice("SO-11", new_delivery_date=new_date))
    assert instance(rt, iid).state == "delivery_rereview"
    with Session(rt.db) as s:
        informed = s.exec(
            select(User.username)
            .join(Notification, Notification.user_id == User.id)
            .where(Notification.template == "inform")
        ).all()
    assert set(informed) == {"sales_head", "prod_mgr"}
    driver.act(
        iid,
        "prod_mgr",
        "propose_date",
        {"feasible_delivery_date": new_date, "impact": "装配顺延两周"},
    )
    driver.act(
        iid,
        "clerk",
        "record_customer_answer",
        {"customer_accepts": False, "contact_record": "客户要求提前"},
    )
    assert instance(rt, iid).state == "delivery_rereview"  # re-plan
    driver.act(
        iid, "prod_mgr", "propose_date", {"feasible_delivery_date": new_date, "impact": "加班"}
    )
    driver.act(
        iid,
        "clerk",
        "record_customer_answer",
        {"customer_accepts": True, "new_delivery_date": new_date, "contact_record": "同意"},
    )
    assert instance(rt, iid).state == "notice_issue"
    driver.act(
        iid,
        "clerk",
        "issue_change_notice",
        notice("SO-11", category="delivery", new_delivery_date=new_date),
    )
    assert order(rt, "SO-11").delivery_date.isoformat() == new_date
    assert "GG-SO-11-01" in docs(rt, "SO-11")
    driver.act(
        iid,
        "prod_mgr",
        "adjusted",
        {"departments_adjusted": "全部", "adjusted_at": driver.now.isoformat()},
    )
    assert instance(rt, iid).state == "done"


def test_delivery_change_needs_the_new_date(rt: Runtime, driver: Driver) -> None:
    released_order(driver, "SO-12")
    iid = change(driver, "SO-12")
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "clerk", "classify_delivery", notice("SO-12"))
    assert "new_delivery_date" in exc.value.errors
    assert instance(rt, iid).state == "received"


def test_structural_change_is_reviewed_like_a_non_regular_order(
    rt: Runtime, driver: Driver
) -> None:
    released_order(driver, "SO-13")
    iid = change(driver, "SO-13")
    driver.act(
        iid,
        "clerk",
        "classify_structural",
        notice("SO-13", supplementary_contract=True, price_change="1200.00"),
    )
    assert sorted(t.role for t in open_tasks(rt, iid)) == [
        "engineering",
        "material_controller",
        "production_manager",
        "sales_clerk",
    ]
    for who in ("clerk", "prod_mgr", "mc", "engineer"):
        driver.act(iid, who, "opinion", {"feasible": True, "stock_checked": True})
    assert instance(rt, iid).state == "notice_issue"


def test_engineering_change_is_classified_by_engineering(rt: Runtime, driver: Driver) -> None:
    released_order(driver, "SO-14")
    iid = change(driver, "SO-14", source="engineering", who="engineer")
    assert [t.role for t in open_tasks(rt, iid)] == ["engineering"]
    driver.act(iid, "engineer", "classify_minor", notice("SO-14"))
    assert instance(rt, iid).state == "production_adjust"


def test_cancellation_recalls_issued_documents(rt: Runtime, driver: Driver) -> None:
    released_order(driver, "SO-15")
    assert docs(rt, "SO-15") == {"SC-SO-15-01": "issued"}
    iid = change(driver, "SO-15")
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "clerk", "cancel_order", notice("SO-15"))
    assert "reason" in exc.value.errors
    driver.act(
        iid,
        "clerk",
        "cancel_order",
        notice("SO-15", documents_to_recall="生产单, 流程卡"),
        reason="客户撤单 / customer withdrew",
    )
    assert instance(rt, iid).state == "cancelled"
    assert order(rt, "SO-15").status == "cancelled"
    assert docs(rt, "SO-15") == {"SC-SO-15-01": "recalled", "GG-SO-15-01": "issued"}
    last = events(rt, iid)[-1]
    assert last.changes["documents.recalled"]["doc_nos"] == ["SC-SO-15-01"]
    assert last.reason == "客户撤单 / customer withdrew"
    with pytest.raises(InvalidForm, match="cancelled"):
        change(driver, "SO-15")


def test_change_for_unknown_order_is_refused(rt: Runtime, driver: Driver) -> None:
    with pytest.raises(InvalidForm) as exc:
        change(driver, "NOPE-1")
    assert "order_no" in exc.value.errors


def test_friday_evening_before_a_holiday_is_due_in_working_time(rt: Runtime) -> None:
    """Received Friday 2026-04-03 17:45 (Qingming: Apr 4-6 off): due Tuesday 08:15, not 18:15."""
    friday = datetime(2026, 4, 3, 9, 45, tzinfo=UTC)  # 17:45 in Shanghai
    d = Driver(rt, friday)
    d.start("order_review", "clerk", order_form("SO-16", "regular", now=friday))
    iid = change(d, "SO-16")
    (task,) = open_tasks(rt, iid)
    assert task.due_at == datetime(2026, 4, 7, 0, 15, tzinfo=UTC)  # Tue 08:15 Shanghai
    assert task.due_at - friday > timedelta(days=3)


def test_cancelling_stops_the_orders_running_review(rt: Runtime, driver: Driver) -> None:
    review = driver.start("order_review", "clerk", order_form("SO-17", "regular", now=driver.now))
    iid = change(driver, "SO-17")
    driver.act(iid, "clerk", "cancel_order", notice("SO-17"), reason="客户撤单")
    assert open_tasks(rt, review) == []
    assert instance(rt, review).closed_at is not None
    assert events(rt, review)[-1].action == "stop"
    assert events(rt, iid)[-1].changes["instances.stopped"] == [review]
