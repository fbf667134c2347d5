"""Order change notice 合同订单更改 (PROCEDURES.md §2).

Sources: seed 001 五 生产指令 2, 技术部 5-6; seed 000 第四篇 5.

Within 30 minutes of receiving a customer's (or engineering's) change, it is
classified:
1. minor — change notice straight to the production manager, who adjusts the
   departments at once;
2. delivery-affecting — department head informed, production re-reviews the
   date, the customer is asked to accept it, then the change notice;
3. structural / main components — the non-regular review again (all
   departments), possibly a supplementary contract, then the change notice;
4. cancellation — the order is cancelled and issued documents are recalled.
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import Sla
from states.base import Countersign, OnEnter, Procedure, Step, TaskSpec, Wait, Waiting
from states.order_review import all_feasible, review_participants

HALF_HOUR = Sla.minutes(30)


def _from(source: str) -> Any:
    return lambda data: data.get("request", {}).get("source", "customer") == source


class OrderChange(Procedure):
    key = "order_change"
    title_zh = "合同订单更改"
    title_en = "Order change notice"
    start_form = "change_request"
    start_roles = ("sales_clerk", "engineering")
    start_key = "request"

    received = Waiting(
        "待分类 / Awaiting classification",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "sales_clerk",
                    "sales",
                    "30分钟内对订单更改作出反应",
                    "Classify the change within 30 minutes",
                    HALF_HOUR,
                    when="from_customer",
                ),  # noqa: E501
                TaskSpec(
                    "engineering",
                    "engineering",
                    "30分钟内对技术更改作出反应",
                    "Classify the technical change within 30 minutes",
                    HALF_HOUR,
                    when="from_engineering",
                ),  # noqa: E501
            ),
            urgent=True,
        ),
    )
    delivery_rereview = Waiting(
        "交期重新评审 / Delivery date re-review",
        wait=Wait(
            (
                TaskSpec(
                    "production_manager",
                    "production",
                    "重新评审交货期",
                    "Re-review the delivery date",
                    Sla.hours(4),
                ),
            )
        ),  # noqa: E501
    )
    structural_review = Waiting(
        "按非常规订单重新评审 / Re-review as non-regular",
        wait=Wait(
            review_participants(
                Sla.working_days(1),
                "更改评审（非常规）",
                "Review the change (non-regular)",
                engineering_when=None,  # structural changes always involve engineering
            ),
            countersign=Countersign(form="review_opinion", join=all_feasible),
        ),
    )
    customer_confirmation = Waiting(
        "客户确认交期 / Customer confirms the date",
        wait=Wait(
            (
                TaskSpec(
                    "sales_clerk",
                    "sales",
                    "争取客户同意延迟交货",
                    "Ask the customer to accept the new date",
                    Sla.working_days(1),
                ),
            )
        ),  # noqa: E501
    )
    notice_issue = Waiting(
        "下达更改通知单 / Issue the change notice",
        wait=Wait(
            (
                TaskSpec(
                    "sales_clerk",
                    "sales",
                    "下达合同订单更改通知单",
                    "Issue the order change notice",
                    Sla.hours(4),
                ),
            )
        ),  # noqa: E501
    )
    production_adjust = Waiting(
        "生产部调整 / Production adjusts",
        wait=Wait(
            (
                TaskSpec(
                    "production_manager",
                    "production",
                    "立即调整相关部门",
                    "Adjust the affected departments at once",
                    HALF_HOUR,
                ),
            ),
            urgent=True,
        ),  # noqa: E501
    )
    done = State("已完成 / Done", final=True)
    cancelled = State("订单已取消 / Order cancelled", final=True)

    classify_minor = received.to(production_adjust)
    classify_delivery = received.to(delivery_rereview)
    classify_structural = received.to(structural_review)
    cancel_order = received.to(cancelled)
    propose_date = delivery_rereview.to(customer_confirmation)
    feasible = structural_review.to(notice_issue)
    infeasible = structural_review.to(customer_confirmation)
    record_customer_answer = customer_confirmation.to(
        notice_issue, cond="customer_accepts"
    ) | customer_confirmation.to(delivery_rereview)
    issue_change_notice = notice_issue.to(production_adjust)
    adjusted = production_adjust.to(done)

    steps = {
        "classify_minor": Step(
            "小范围更改：下达更改通知单",
            "Minor: issue the change notice",
            form="change_notice",
            fixed={"category": "minor"},
            issues="change_notice",
        ),
        "classify_delivery": Step(
            "影响交期：报部门领导并重新评审",
            "Affects delivery: re-review",
            form="change_notice",
            fixed={"category": "delivery"},
        ),
        "classify_structural": Step(
            "结构/主要元件变更：重新评审",
            "Structural: non-regular review",
            form="change_notice",
            fixed={"category": "structural"},
        ),
        "cancel_order": Step(
            "取消订单：收回已下达单据",
            "Cancel the order, recall documents",
            form="change_notice",
            fixed={"category": "cancel"},
            reason_required=True,
            issues="change_notice",
        ),
        "propose_date": Step(
            "提交重新评审的交期", "Propose the re-reviewed date", form="date_rereview"
        ),
        "feasible": Step("评审通过", "Found feasible"),
        "infeasible": Step("评审不可行", "Found infeasible"),
        "record_customer_answer": Step(
            "记录客户答复", "Record the customer's answer", form="negotiation"
        ),
        "issue_change_notice": Step(
            "下达更改通知单",
            "Issue the change notice",
            form="change_notice",
            issues="change_notice",
            order_fields={"new_delivery_date": "delivery_date"},
        ),
        "adjusted": Step("已调整相关部门", "Departments adjusted", form="adjustment"),
    }
    entering = {
        "delivery_rereview": OnEnter(inform_heads=("sales", "production")),
        "structural_review": OnEnter(inform_heads=("sales", "production")),
        "cancelled": OnEnter(
            order_status="cancelled", recall_documents=True, stop_order_procedures=True
        ),
    }
    predicates = {"from_customer": _from("customer"), "from_engineering": _from("engineering")}

    def customer_accepts(self, form: dict[str, Any] | None = None) -> bool:
        return bool(form and form.get("customer_accepts"))
