"""Change forms: change request intake, change notice and delivery date re-review.

客户更改通知登记, 合同订单更改通知单 and 交期重新评审.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Self

from pydantic import model_validator

from forms.base import FormModel, label
from forms.errors import rule_error

CHANGE_CATEGORIES = {
    "minor": ("小范围更改", "Minor change"),
    "delivery": ("影响交期", "Affects delivery date"),
    "structural": ("结构或主要元件变更", "Structural or major component change"),
    "cancel": ("取消订单", "Cancel order"),
}
CHANGE_SOURCES = {
    "customer": ("客户", "Customer"),
    "engineering": ("技术部", "Engineering"),
}


class ChangeNotice(FormModel):
    """合同订单更改通知单: the change as issued to the departments."""

    key = "change_notice"
    title_zh = "合同订单更改通知单"
    title_en = "Order change notice"

    order_no: str = label("订单号", "Order No.", min_length=1, max_length=40)
    received_at: datetime = label("接到更改时间", "Change received at")
    requested_by: str = label("更改提出人", "Requested by", max_length=200)
    change_description: str = label("更改内容", "Change description", long=True, max_length=4000)
    category: Literal["minor", "delivery", "structural", "cancel"] = label(
        "更改类别", "Change category", choices=CHANGE_CATEGORIES
    )
    new_delivery_date: date | None = label("新交货日期", "New delivery date", default=None)
    supplementary_contract: bool = label(
        "需签补充合同", "Supplementary contract needed", default=False
    )
    price_change: Decimal | None = label(
        "价格调整（±）",
        "Price change (±)",
        default=None,
        max_digits=14,
        decimal_places=2,
    )
    documents_to_recall: str | None = label(
        "需收回的单据",
        "Documents to recall",
        default=None,
        max_length=500,
        placeholder="生产单, 流程卡",
    )

    @model_validator(mode="after")
    def _new_date_for_delivery_change(self) -> Self:
        if self.category == "delivery" and self.new_delivery_date is None:
            raise rule_error(
                "new_delivery_date",
                "required when the change affects the delivery date",
            )
        return self


class ChangeRequest(FormModel):
    """客户更改通知登记: a change request as first received."""

    key = "change_request"
    title_zh = "客户更改通知登记"
    title_en = "Change request intake"
    signatures = (("登记人", "Recorded by"),)

    order_no: str = label("订单号", "Order No.", min_length=1, max_length=40)
    received_at: datetime = label("接到更改时间", "Change received at")
    requested_by: str = label("更改提出人", "Requested by", max_length=200)
    source: Literal["customer", "engineering"] = label("更改来源", "Source", choices=CHANGE_SOURCES)
    change_description: str = label("更改内容", "Change description", long=True, max_length=4000)


class DateRereview(FormModel):
    """交期重新评审: the delivery date that is feasible after a change."""

    key = "date_rereview"
    title_zh = "交期重新评审"
    title_en = "Delivery date re-review"
    signatures = (("评审人", "Reviewed by"), ("批准", "Approved by"))

    feasible_delivery_date: date = label("可行交货日期", "Feasible delivery date")
    impact: str = label("影响说明", "Impact", long=True, max_length=4000)
    comments: str | None = label("评审意见", "Comments", default=None, long=True, max_length=4000)
