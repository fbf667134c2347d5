"""Order review 订单评审 (PROCEDURES.md §1).

Sources: seed 001 订单处理业务流程 一, 订单管理流程 3.1; seed 000 第二篇 二.

Order received → requirements confirmed with the customer → delivery feasibility
countersigned (regular: sales, production, material control; non-regular: also
engineering) → infeasible: negotiate a later date, or the GM approves declining →
feasible: quote, checked by the sales head before it goes out → contract signed →
production notice (生产通知单) within 4 working hours. Repeat orders (返单): the GM
signs, no review (3.1.3.5).
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import Sla
from states.base import Countersign, OnEnter, Procedure, Step, TaskSpec, Wait, Waiting


def all_feasible(opinions: list[dict[str, Any]]) -> str:
    """Join of a feasibility countersign: any participant who finds it infeasible decides."""
    return "feasible" if all(o.get("feasible") for o in opinions) else "infeasible"


def review_participants(
    sla: Sla, title_zh: str, title_en: str, engineering_when: str | None = "non_regular"
) -> tuple[TaskSpec, ...]:
    """The review board of seed 001 二: sales with production and material control (+ design)."""
    return (
        TaskSpec("sales_clerk", "sales", title_zh, title_en, sla),
        TaskSpec("production_manager", "production", title_zh, title_en, sla),
        TaskSpec("material_controller", "material_control", title_zh, title_en, sla),
        TaskSpec("engineering", "engineering", title_zh, title_en, sla, when=engineering_when),
    )


ONE_DAY = Sla.working_days(1)


class OrderReview(Procedure):
    key = "order_review"
    title_zh = "订单评审"
    title_en = "Order review"
    start_form = "order_intake"
    start_roles = ("sales_clerk",)
    creates_order = True

    requirements = Waiting(
        "要求确认 / Requirements confirmation",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "sales_clerk",
                    "sales",
                    "与客户确认订单要求",
                    "Confirm the order's requirements with the customer",
                    ONE_DAY,
                ),
            )
        ),  # noqa: E501
    )
    feasibility_review = Waiting(
        "交期可行性评审 / Delivery feasibility review",
        wait=Wait(
            review_participants(ONE_DAY, "交期可行性评审", "Review delivery feasibility"),
            countersign=Countersign(form="review_opinion", join=all_feasible),
        ),
    )
    negotiating = Waiting(
        "与客户协商交期 / Negotiating the date",
        wait=Wait(
            (
                TaskSpec(
                    "sales_clerk",
                    "sales",
                    "与客户协商延期交货",
                    "Negotiate a later delivery date with the customer",
                    ONE_DAY,
                ),
            )
        ),  # noqa: E501
    )
    decline_approval = Waiting(
        "总经理核准不接订单 / GM decides on declining",
        wait=Wait(
            (
                TaskSpec(
                    "general_manager",
                    "gm_office",
                    "核准不接订单",
                    "Approve declining the order",
                    ONE_DAY,
                ),
            )
        ),  # noqa: E501
    )
    quoting = Waiting(
        "商务报价 / Quotation",
        wait=Wait(
            (TaskSpec("sales_clerk", "sales", "编制商务报价", "Prepare the quotation", ONE_DAY),)
        ),  # noqa: E501
    )
    quote_check = Waiting(
        "报价审核 / Quote check",
        wait=Wait(
            (
                TaskSpec(
                    "dept_head",
                    "sales",
                    "审核报价",
                    "Check the quotation before it goes out",
                    Sla.hours(4),
                ),
            )
        ),  # noqa: E501
    )
    awaiting_contract = Waiting(
        "待签订单购销单 / Awaiting the signed contract",
        wait=Wait(
            (
                TaskSpec(
                    "sales_clerk",
                    "sales",
                    "跟进客户签订购销单",
                    "Get the contract signed by the customer",
                    Sla.working_days(3),
                ),
            )
        ),  # noqa: E501
    )
    gm_signoff = Waiting(
        "返单总经理签批 / GM sign-off (repeat order)",
        wait=Wait(
            (
                TaskSpec(
                    "general_manager", "gm_office", "返单签批", "Sign off the repeat order", ONE_DAY
                ),
            )
        ),  # noqa: E501
    )
    production_notice = Waiting(
        "下达生产通知单 / Issue the production notice",
        wait=Wait(
            (
                TaskSpec(
                    "sales_clerk",
                    "sales",
                    "4小时内下达生产通知单",
                    "Issue the production notice within 4 hours",
                    Sla.hours(4),
                ),
            )
        ),  # noqa: E501
    )
    released = State("已下达生产 / Released to production", final=True)
    declined = State("不接订单 / Declined", final=True)

    confirm = requirements.to(gm_signoff, cond="is_repeat") | requirements.to(feasibility_review)
    feasible = feasibility_review.to(quoting)
    infeasible = feasibility_review.to(negotiating)
    record_negotiation = negotiating.to(
        feasibility_review, cond="customer_accepts"
    ) | negotiating.to(decline_approval)
    approve_decline = decline_approval.to(declined)
    overrule_decline = decline_approval.to(quoting)
    submit_quote = quoting.to(quote_check)
    approve_quote = quote_check.to(awaiting_contract)
    return_quote = quote_check.to(quoting)
    contract_signed = awaiting_contract.to(production_notice)
    customer_declines = awaiting_contract.to(declined)
    sign = gm_signoff.to(production_notice)
    refuse = gm_signoff.to(declined)
    issue_notice = production_notice.to(released)

    steps = {
        "confirm": Step(
            "确认要求",
            "Confirm requirements",
            form="requirements_confirmation",
            order_fields={
                "delivery_date": "delivery_date",
                "quantity": "quantity",
                "model_spec": "model_spec",
            },
        ),
        "feasible": Step("评审通过", "Found feasible"),
        "infeasible": Step("评审不可行", "Found infeasible"),
        "record_negotiation": Step(
            "记录协商结果",
            "Record the negotiation",
            form="negotiation",
            order_fields={"new_delivery_date": "delivery_date"},
        ),
        "approve_decline": Step(
            "核准不接订单", "Approve declining", reason_required=True, signature="approved"
        ),
        "overrule_decline": Step(
            "不同意退单，继续报价",
            "Overrule: accept and quote",
            reason_required=True,
            signature="rejected",
        ),
        "submit_quote": Step("提交报价", "Submit the quote", form="quote"),
        "approve_quote": Step(
            "报价审核通过",
            "Approve the quote",
            signature="reviewed",
            four_eyes=("submit_quote",),
            bulk=True,
        ),
        "return_quote": Step(
            "退回报价",
            "Return the quote",
            reason_required=True,
            signature="rejected",
            four_eyes=("submit_quote",),
        ),
        "contract_signed": Step("购销单已签订", "Contract signed", form="contract"),
        "customer_declines": Step("客户不签", "Customer declines", reason_required=True),
        "sign": Step("返单签批", "Sign the repeat order", signature="approved", bulk=True),
        "refuse": Step(
            "拒绝返单", "Refuse the repeat order", reason_required=True, signature="rejected"
        ),
        "issue_notice": Step(
            "下达生产通知单",
            "Issue the production notice",
            form="production_notice",
            issues="production_notice",
        ),
    }
    entering = {
        "released": OnEnter(order_status="released"),
        "declined": OnEnter(order_status="declined"),
    }
    predicates = {"non_regular": lambda data: data.get("order", {}).get("kind") == "non_regular"}

    def is_repeat(self) -> bool:
        return self.model.data.get("order", {}).get("kind") == "repeat"

    def customer_accepts(self, form: dict[str, Any] | None = None) -> bool:
        return bool(form and form.get("customer_accepts"))
