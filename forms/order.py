"""Order intake forms: registration, requirement confirmation, review, negotiation.

These are the first papers of the order-to-delivery procedure (订单登记,
订单要求确认, 订单评审表, 交期协商结果).
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Self

from pydantic import model_validator

from forms.base import FormModel, label
from forms.errors import rule_error

SHORT = 200
LONG = 4000

CUSTOMER_CLASSES = {
    "A": ("A 类客户", "Class A"),
    "B": ("B 类客户", "Class B"),
    "C": ("C 类客户", "Class C"),
}
ORDER_KINDS = {
    "regular": ("常规订单", "Regular order"),
    "non_regular": ("非常规订单", "Non-regular order"),
    "repeat": ("返单", "Repeat order"),
}


class OrderIntake(FormModel):
    """订单登记: the order as received from the customer."""

    key = "order_intake"
    title_zh = "订单登记"
    title_en = "Order intake"

    order_no: str = label("订单号", "Order No.", min_length=1, max_length=40)
    customer: str = label("客户名称", "Customer", max_length=SHORT)
    customer_class: Literal["A", "B", "C"] = label(
        "客户等级", "Customer class", default="B", choices=CUSTOMER_CLASSES
    )
    product: str = label("产品名称", "Product", max_length=SHORT)
    model_spec: str = label("规格型号", "Model and specification", max_length=SHORT)
    quantity: int = label("数量", "Quantity", gt=0)
    unit: str = label("单位", "Unit", default="台", max_length=20)
    delivery_date: date = label("交货日期", "Delivery date")
    kind: Literal["regular", "non_regular", "repeat"] = label(
        "订单类型", "Order type", choices=ORDER_KINDS
    )
    complete_set: bool = label("成套产品", "Complete set", default=False)
    penalty_clause: bool = label("含违约罚款条款", "Penalty clause", default=False)
    technical_requirements: str | None = label(
        "技术要求", "Technical requirements", default=None, long=True, max_length=LONG
    )
    quality_requirements: str | None = label(
        "质量要求", "Quality requirements", default=None, long=True, max_length=LONG
    )


class RequirementsConfirmation(FormModel):
    """订单要求确认: requirements confirmed with the customer's contact."""

    key = "requirements_confirmation"
    title_zh = "订单要求确认"
    title_en = "Requirements confirmation"
    signatures = (("跟单员", "Order coordinator"), ("客户确认", "Customer confirmation"))

    model_spec: str = label("规格型号", "Model and specification", max_length=SHORT)
    quantity: int = label("数量", "Quantity", gt=0)
    technical_requirements: str | None = label(
        "技术要求", "Technical requirements", default=None, long=True, max_length=LONG
    )
    quality_requirements: str | None = label(
        "质量要求", "Quality requirements", default=None, long=True, max_length=LONG
    )
    delivery_date: date = label("交货日期", "Delivery date")
    confirmed_with: str = label("客户确认人", "Confirmed with (customer contact)", max_length=SHORT)


class ReviewOpinion(FormModel):
    """订单评审表: can the requested delivery date be met?"""

    key = "review_opinion"
    title_zh = "订单评审表"
    title_en = "Order review record"
    signatures = (("评审人", "Reviewed by"), ("批准", "Approved by"))

    feasible: bool = label("交期可行", "Delivery date feasible", default=False)
    earliest_delivery_date: date | None = label(
        "最早可交货日期", "Earliest possible delivery date", default=None
    )
    stock_checked: bool = label("已核实库存", "Stock checked", default=False)
    comments: str | None = label("评审意见", "Comments", default=None, long=True, max_length=LONG)

    @model_validator(mode="after")
    def _earliest_date_when_not_feasible(self) -> Self:
        if not self.feasible and self.earliest_delivery_date is None:
            raise rule_error(
                "earliest_delivery_date",
                "required when the requested delivery date is not feasible",
            )
        return self


class NegotiationResult(FormModel):
    """交期协商结果: outcome of negotiating a new delivery date."""

    key = "negotiation"
    title_zh = "交期协商结果"
    title_en = "Delivery negotiation"
    signatures = (("跟单员", "Order coordinator"), ("审核", "Checked by"))

    customer_accepts: bool = label("客户接受新交期", "Customer accepts new date", default=False)
    new_delivery_date: date | None = label("新交货日期", "New delivery date", default=None)
    contact_record: str = label("沟通记录", "Contact record", long=True, max_length=LONG)

    @model_validator(mode="after")
    def _new_date_when_accepted(self) -> Self:
        if self.customer_accepts and self.new_delivery_date is None:
            raise rule_error(
                "new_delivery_date",
                "required when the customer accepts a new date",
            )
        return self
