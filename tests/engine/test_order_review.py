"""Order review (§1) end to end against a real SQLite file, through the transition service."""

from __future__ import annotations

from datetime import date

import pytest

from gendan import audit
from gendan.demo import Driver, order_form, review_to_release, step_forms
from gendan.errors import InvalidForm, NotAllowed
from gendan.runtime import Runtime
from tests.engine.helpers import docs, events, instance, open_tasks, order


def test_regular_order_reaches_the_production_notice(rt: Runtime, driver: Driver) -> None:
    form = order_form("SO-1", "regular", now=driver.now)
    iid = driver.start("order_review", "clerk", form)
    review_to_release(driver, iid, form)
    inst = instance(rt, iid)
    assert inst.state == "released" and inst.closed_at is not None
    assert order(rt, "SO-1").status == "released"
    assert docs(rt, "SO-1") == {"SC-SO-1-01": "issued"}
    assert open_tasks(rt, iid) == []
    trail = [(e.action, e.detail.get("event")) for e in events(rt, iid)]
    assert ("transition", "issue_notice") in trail
    assert [a for a, _ in trail].count("countersign") == 3  # sales, production, material control
    assert audit.verify(rt.db).ok


def test_non_regular_review_includes_engineering_and_renegotiates(
    rt: Runtime, driver: Driver
) -> None:
    form = order_form("SO-2", "non_regular", now=driver.now)
    f = step_forms(form, driver.now)
    iid = driver.start("order_review", "clerk", form)
    driver.act(iid, "clerk", "confirm", f["confirm"])
    assert sorted(t.role for t in open_tasks(rt, iid)) == [
        "engineering",
        "material_controller",
        "production_manager",
        "sales_clerk",
    ]
    for who in ("clerk", "prod_mgr", "mc"):
        driver.act(iid, who, "opinion", f["feasible"])
    assert instance(rt, iid).state == "feasibility_review"  # waits for engineering
    driver.act(iid, "engineer", "opinion", f["infeasible"])
    assert instance(rt, iid).state == "negotiating"
    new_date = f["infeasible"]["earliest_delivery_date"]
    driver.act(
        iid,
        "clerk",
        "record_negotiation",
        {"customer_accepts": True, "new_delivery_date": new_date, "contact_record": "电话"},
    )
    assert instance(rt, iid).state == "feasibility_review"
    assert order(rt, "SO-2").delivery_date == date.fromisoformat(new_date)
    change = next(e for e in events(rt, iid) if e.detail.get("event") == "record_negotiation")
    assert change.changes["order.delivery_date"] == {
        "old": form["delivery_date"],
        "new": new_date,
    }
    assert len(open_tasks(rt, iid)) == 4  # a new countersign round
    for who in ("clerk", "prod_mgr", "mc", "engineer"):
        driver.act(iid, who, "opinion", f["feasible"])
    assert instance(rt, iid).state == "quoting"


def test_infeasible_order_declined_with_gm_signature(rt: Runtime, driver: Driver) -> None:
    form = order_form("SO-3", "regular", now=driver.now)
    f = step_forms(form, driver.now)
    iid = driver.start("order_review", "clerk", form)
    driver.act(iid, "clerk", "confirm", f["confirm"])
    driver.act(iid, "clerk", "opinion", f["feasible"])
    driver.act(iid, "prod_mgr", "opinion", f["infeasible"])
    driver.act(iid, "mc", "opinion", f["feasible"])
    driver.act(
        iid,
        "clerk",
        "record_negotiation",
        {"customer_accepts": False, "contact_record": "客户不接受延期"},
    )
    assert instance(rt, iid).state == "decline_approval"
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "gm", "approve_decline", reason="", password="wrong")
    assert set(exc.value.errors) == {"reason", "password"}
    driver.act(iid, "gm", "approve_decline", reason="产能不足，客户不同意延期")
    assert instance(rt, iid).state == "declined"
    assert order(rt, "SO-3").status == "declined"
    last = events(rt, iid)[-1]
    assert last.reason == "产能不足，客户不同意延期"
    assert last.detail["signature"]["meaning"] == "approved"
    assert last.detail["signature"]["name"].startswith("黄总")
    assert last.changes["order.status"] == {"old": "reviewing", "new": "declined"}


def test_repeat_order_needs_only_the_gm(rt: Runtime, driver: Driver) -> None:
    form = order_form("SO-4", "repeat", now=driver.now)
    iid = driver.start("order_review", "clerk", form)
    driver.act(iid, "clerk", "confirm", step_forms(form, driver.now)["confirm"])
    assert [t.role for t in open_tasks(rt, iid)] == ["general_manager"]
    driver.act(iid, "gm", "sign")
    assert instance(rt, iid).state == "production_notice"
    assert not any(e.action == "countersign" for e in events(rt, iid))


def test_quote_is_checked_by_someone_else(rt: Runtime, driver: Driver) -> None:
    """Four-eyes: the sales head may not check a quote she submitted herself."""
    from sqlmodel import select

    from gendan.db import unit_of_work
    from gendan.models import Department, User, UserRole

    with unit_of_work(rt.db) as s:
        head = s.exec(select(User).where(User.username == "sales_head")).one()
        sales = s.exec(select(Department).where(Department.key == "sales")).one()
        s.add(UserRole(user_id=head.id, role="sales_clerk", department_id=sales.id))
    form = order_form("SO-5", "regular", now=driver.now)
    f = step_forms(form, driver.now)
    iid = driver.start("order_review", "clerk", form)
    driver.act(iid, "clerk", "confirm", f["confirm"])
    for who in ("sales_head", "prod_mgr", "mc"):
        driver.act(iid, who, "opinion", f["feasible"])
    driver.act(iid, "sales_head", "submit_quote", f["quote"])
    with pytest.raises(NotAllowed, match="four-eyes"):
        driver.act(iid, "sales_head", "approve_quote")
    assert instance(rt, iid).state == "quote_check"


def test_returned_quote_goes_back_to_quoting(rt: Runtime, driver: Driver) -> None:
    form = order_form("SO-6", "regular", now=driver.now)
    f = step_forms(form, driver.now)
    iid = driver.start("order_review", "clerk", form)
    driver.act(iid, "clerk", "confirm", f["confirm"])
    for who in ("clerk", "prod_mgr", "mc"):
        driver.act(iid, who, "opinion", f["feasible"])
    driver.act(iid, "clerk", "submit_quote", f["quote"])
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "sales_head", "return_quote", reason="  ")
    assert "reason" in exc.value.errors
    driver.act(iid, "sales_head", "return_quote", reason="单价低于成本 / below cost")
    assert instance(rt, iid).state == "quoting"
    assert events(rt, iid)[-1].detail["signature"]["meaning"] == "rejected"
