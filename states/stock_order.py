"""Make to stock 生产库存订单 (PROCEDURES.md §1c; 000/4 三.3-4; 001P 4.3.1).

The merchandising lead makes a stock order from the stock data → the GM approves
→ the lead issues the 生产通知单 (locked to the stock order) → production confirms
and signs → the departments acknowledge → released (→ §3, not built yet).
Not built yet: the [A] proposal from the 成品库存量控制明细表 minimum (needs the item
master data of the materials issue) — a person starts it from the stock table.
"""

from __future__ import annotations

from statemachine import State

from gendan.timespec import Deadline
from states.base import OnEnter, Procedure, Step, TaskSpec, Wait, Waiting
from states.notice import CONFIRMED, NOTICE_STEPS, acknowledging_state, confirm_state


class StockOrder(Procedure):
    key = "stock_order"
    title_zh = "生产库存订单"
    title_en = "Make-to-stock order"
    start_form = "stock_order"
    start_roles = ("merchandising_lead",)
    start_key = "stock_order"
    creates_order = True
    start_fixed = {"customer": "库存 / stock", "kind": "stock"}

    gm_approval = Waiting(
        "总经理审批 / GM approves",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "general_manager",
                    "gm_office",
                    "审批生产库存订单",
                    "Approve the make-to-stock order",
                    Deadline.wh(4, assumed=True),
                    seed="000/4 三.3-4",
                ),
            )
        ),
    )
    production_notice = Waiting(
        "下达生产通知单 / Issue the production notice",
        wait=Wait(
            (
                TaskSpec(
                    "merchandising_lead",
                    "merchandising",
                    "下达生产通知单（库存订单）",
                    "Issue the production notice for the stock order",
                    Deadline.wh(4, seed="4小时内"),
                    seed="000/4 三.4; 001M 1.5.1",
                ),
            )
        ),
    )
    production_confirm = confirm_state()
    acknowledging = acknowledging_state(engineering_when="never")
    released = State("已下达生产 / Released to production", final=True)
    rejected = State("未批准 / Not approved", final=True)

    approve = gm_approval.to(production_notice)
    reject = gm_approval.to(rejected)
    issue_notice = production_notice.to(production_confirm)
    confirm_notice = production_confirm.to(acknowledging)
    return_notice = production_confirm.to(production_notice)
    acknowledged = acknowledging.to(released)

    steps = {
        "approve": Step("批准", "Approve", signature="approved", bulk=True),
        "reject": Step("不批准", "Reject", reason_required=True, signature="rejected"),
        **NOTICE_STEPS,
    }
    entering = {
        "acknowledging": CONFIRMED,
        "released": OnEnter(order_status="released"),
        "rejected": OnEnter(order_status="declined"),
    }
    predicates = {"never": lambda _data: False}
