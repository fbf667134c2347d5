"""Moving the delivery date moves the follow-up, packing and dispatch tasks' dates (issue 9
"Done when"), through §2 and the real engine, a real database and injected time.

The follow-up counts from the order's delivery date; packing and dispatch from the plan's
packing and dispatch dates, which keep their distance in working days to the delivery date
(``gendan.delivery_follow``, audited ``dates_shifted``); every task that moved is audited
``deadline_moved``.
"""

from __future__ import annotations

from datetime import date

from gendan.demo import Driver
from gendan.models import Task
from tests.engine.helpers import docs, events, instance, order
from tests.engine.plan_driver import FG_RECEIPT, act, local, sweep, tasks_of
from tests.engine.test_order_change import (
    classify_delivery,
    confirm_and_acknowledge,
    issue_change_notice,
    propose,
)
from tests.engine.test_production_plan import in_production


def move_delivery(driver: Driver, order_no: str, later: date) -> int:
    """A customer's delivery change (§2 (2)) to ``later``, issued; its instance."""
    change = driver.start(
        "order_change",
        "clerk",
        {"order_no": order_no, "received_at": driver.now.isoformat(), "requested_by": "陈经理",
         "source": "customer", "change_description": "延期交货 / later delivery"},
    )  # fmt: skip
    classify_delivery(driver, change, order_no, later)
    propose(driver, change, later)
    issue_change_notice(driver, change, order_no, category="delivery",
                        new_delivery_date=later.isoformat())  # fmt: skip
    assert order(driver.rt, order_no).delivery_date == later
    return change


def scheduled(driver: Driver, iid: int, role: str) -> Task:
    (task,) = [t for t in tasks_of(driver, iid, "scheduled") if t.role == role]
    return task


def test_a_delivery_change_moves_follow_up_packing_and_dispatch_audited(driver: Driver) -> None:
    iid = in_production(driver, "SO-DF1")  # delivery 12-23; plan packing 12-15, dispatch 12-17
    follow = scheduled(driver, iid, "merchandiser")
    packing = scheduled(driver, iid, "production_manager")
    assert follow.opens_at == local(2026, 12, 18, 8)  # delivery −3 WD
    assert packing.opens_at == local(2026, 12, 14, 8)  # packing −1 WD
    # 12-23 → 01-06 is 9 working days (12-24 … 12-31, 01-04 … 01-06; New Year's Day off)
    change = move_delivery(driver, "SO-DF1", date(2027, 1, 6))
    plan = instance(driver.rt, iid).data["forms"]["plan"]
    assert (plan["packing_date"], plan["dispatch_date"]) == ("2026-12-28", "2026-12-30")
    [shifted] = [e for e in events(driver.rt, iid) if e.action == "dates_shifted"]
    assert shifted.changes == {
        "plan.packing_date": {"old": "2026-12-15", "new": "2026-12-28"},
        "plan.dispatch_date": {"old": "2026-12-17", "new": "2026-12-30"},
        "plan.rows.packing.start": {"old": "2026-12-15", "new": "2026-12-28"},
        "plan.rows.packing.finish": {"old": "2026-12-15", "new": "2026-12-28"},
        "documents.superseded": {"old": ["JH-SO-DF1-01"], "new": "JH-SO-DF1-02"},
    }
    # the 生产计划表 on paper carries the new dates; the earlier revision is recalled
    assert {k: v for k, v in docs(driver.rt, "SO-DF1").items() if k.startswith("JH-")} == {
        "JH-SO-DF1-01": "recalled",
        "JH-SO-DF1-02": "issued",
    }
    [packing_row] = [r for r in plan["rows"] if r["line"] == "packing"]
    assert packing_row["start"] == packing_row["finish"] == "2026-12-28"
    assert shifted.detail["working_days"] == 9
    assert shifted.detail["cause"] == {"event": "issue_change_notice", "instance": change}
    moved_follow = scheduled(driver, iid, "merchandiser")
    moved_packing = scheduled(driver, iid, "production_manager")
    assert (moved_follow.id, moved_follow.opens_at) == (follow.id, local(2026, 12, 31, 8))
    assert (moved_packing.id, moved_packing.opens_at) == (packing.id, local(2026, 12, 25, 8))
    assert moved_packing.due_at == local(2026, 12, 25, 18)  # packing −1 WD, end of that day
    trail = [e.task_id for e in events(driver.rt, iid) if e.action == "deadline_moved"]
    assert sorted(trail) == sorted([follow.id, packing.id])  # once each
    confirm_and_acknowledge(driver.rt, driver, change)

    # the dispatch side: the shipping notice counts from the shifted dispatch date …
    sweep(driver, local(2026, 12, 25, 8))
    act(driver, iid, "prod_mgr", "packing_notice")
    act(driver, iid, "packer", "packed", FG_RECEIPT)
    notice = scheduled(driver, iid, "merchandiser")
    assert notice.opens_at == local(2026, 12, 29, 8)  # dispatch 12-30 −1 WD
    # … and moves again when the delivery date moves again (01-06 → 01-08: 2 working days)
    move_delivery(driver, "SO-DF1", date(2027, 1, 8))
    assert instance(driver.rt, iid).data["forms"]["plan"]["dispatch_date"] == "2027-01-04"
    moved_notice = scheduled(driver, iid, "merchandiser")
    assert (moved_notice.id, moved_notice.opens_at) == (notice.id, local(2026, 12, 31, 8))
    again = [e for e in events(driver.rt, iid) if e.action == "deadline_moved"]
    assert [e.task_id for e in again].count(notice.id) == 1
    assert len([e for e in events(driver.rt, iid) if e.action == "dates_shifted"]) == 2
