"""Demo urgent insertion (§4): one urgent order pushed in front, two released orders moved.

The urgent order is taken in, approved by the deputy GM, reviewed (its §1 child's urgent
board), its materials agreed,
put on the sample group; the ranking runs as the automatic step would; the planner moves
two released orders three days each (each move starts a §2 delivery change on that order)
and issues the 紧急订单生产通知单: the urgent order is in production.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gendan.demo import Driver

URGENT_ORDER = "UR-2026-0001"
#: The two released orders the urgent one displaces (their dates move 3 days each).
DISPLACED = ("SO-2026-0008", "SO-2026-0009")


def urgent_insertion(d: Driver) -> None:
    from gendan import jobs
    from gendan.demo import order_form, review_to_release

    moved = []
    for n, order_no in enumerate(DISPLACED):
        form = order_form(order_no, "regular", days=14 + 7 * n, now=d.now)
        review_to_release(d, d.start("order_review", "clerk", form), form)
        old = form["delivery_date"]
        new = (d.now + timedelta(days=17 + 7 * n)).date().isoformat()
        moved.append({"order_no": order_no, "old_date": old, "new_date": new})
    urgent = {**order_form(URGENT_ORDER, "regular", days=10, now=d.now), "quantity": 8}
    iid = d.start("urgent_order", "clerk", urgent)
    d.act(
        iid,
        "clerk",
        "submit_need",
        {
            "customer_need": "客户展会样机急需 8 台 / 8 units for a trade fair",
            "problem_points": "交期 10 天；铜排需追料 / 10 days; busbar copper to chase",
            "must_take": True,
        },
    )
    d.act(iid, "deputy", "approve")
    review = _review_child(d, iid)  # §1 started flagged urgent at its urgent board
    for who in ("clerk", "prod_mgr", "mc"):
        d.act(review, who, "opinion", {"feasible": True, "opinion": "加班可完成 / with overtime"})
    d.act(iid, "buyer", "materials_agreed")
    jobs.run_due(d.rt, now=d.now)  # the line rule, as the automatic-steps flow runs it
    d.act(iid, "prod_mgr", "to_sample_group", {"team": "样品组一班 / sample group 1"})
    jobs.run_due(d.rt, now=d.now)  # the ranking, as the automatic-steps flow runs it
    d.act(
        iid,
        "planner",
        "plans_adjusted",
        {"report": "两单各顺延 3 天 / two orders 3 days later", "rows": moved},
    )
    d.act(
        iid,
        "planner",
        "issue_urgent_notice",
        {
            "order_no": URGENT_ORDER,
            "product": urgent["product"],
            "model_spec": urgent["model_spec"],
            "quantity": urgent["quantity"],
            "delivery_date": urgent["delivery_date"],
            "line": "sample_group",
            "team": "样品组一班 / sample group 1",
        },
    )


def _review_child(d: Driver, iid: int) -> int:
    """The §1 review the urgent order started as its child (001W 3.4.2; 004R 3.1.2)."""
    from sqlmodel import Session, select

    from gendan.models import InstanceLink

    with Session(d.rt.db) as s:
        link = s.exec(
            select(InstanceLink).where(
                InstanceLink.parent_id == iid, InstanceLink.procedure == "order_review"
            )
        ).one()
        return link.child_id
