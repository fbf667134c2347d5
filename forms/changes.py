"""Change forms: change request intake, change notice and delivery date re-review.

客户更改通知登记, 合同订单更改通知单 and 交期重新评审.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import model_validator

from forms.base import DocumentNo, FormModel, OrderNo, label
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

    order_no: OrderNo = label("订单号", "Order No.")
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

    def computed(self, facts: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
        """What the change moves: the order's delivery date, old → new."""
        old = facts.get("delivery_date")
        new = self.new_delivery_date.isoformat() if self.new_delivery_date else None
        if not new or not old or str(old) == new:
            return []
        words = ("交货日期（原 → 新）", "Delivery date (old → new)")
        return [("delivery_change", *words, f"{old} → {new}")]

    @model_validator(mode="after")
    def _date_only_for_delivery_change(self) -> Self:
        if self.category == "delivery" and self.new_delivery_date is None:
            raise rule_error(
                "new_delivery_date",
                "required when the change affects the delivery date",
            )
        if self.category in ("minor", "cancel") and self.new_delivery_date is not None:
            raise rule_error(
                "new_delivery_date",
                "a minor change or a cancellation does not move the date / 此类更改不得改交期",
            )
        return self


class ChangeRequest(FormModel):
    """客户更改通知登记: a change request as first received."""

    key = "change_request"
    title_zh = "客户更改通知登记"
    title_en = "Change request intake"
    signatures = (("登记人", "Recorded by"),)

    order_no: OrderNo = label("订单号", "Order No.")
    received_at: datetime = label("接到更改时间", "Change received at")
    requested_by: str = label("更改提出人", "Requested by", max_length=200)
    source: Literal["customer", "engineering"] = label(
        "更改来源", "Source", default="customer", choices=CHANGE_SOURCES
    )
    change_description: str = label("更改内容", "Change description", long=True, max_length=4000)
    written_request: str | None = label(
        "书面更改申请（附件编号）",
        "Written request (attachment ref.)",
        default=None,
        max_length=200,
    )


class TechChangeNotice(FormModel):
    """合同订单技术更改通知单 (001M 2.2.3(5)): a technical change raised by engineering.

    a: structure, component spec/model and named maker unchanged and the plan
    unaffected → the request is archived with sales, no notice; b: otherwise this
    notice goes to the production head and the 合同订单管理部 head, who decides.
    """

    key = "tech_change"
    title_zh = "合同订单技术更改通知单"
    title_en = "Technical change notice"

    structure_change: str | None = label(
        "结构变更（原→新）", "Structure (old → new)", default=None, max_length=1000
    )
    spec_change: str | None = label(
        "元件规格型号变更（原→新）",
        "Component spec/model (old → new)",
        default=None,
        max_length=1000,
    )
    maker_change: str | None = label(
        "指定厂家变更（原→新）", "Named maker (old → new)", default=None, max_length=1000
    )
    plan_affected: bool = label("影响生产计划", "Plan affected", default=False)
    customer_written_approval: bool = label(
        "客户书面同意已存档", "Written approval of the customer archived", default=False
    )
    description: str = label("更改说明", "Description", long=True, max_length=4000)

    @property
    def is_minor(self) -> bool:
        changes = (self.structure_change, self.spec_change, self.maker_change)
        return not any(changes) and not self.plan_affected

    @model_validator(mode="after")
    def _needs_customer_approval(self) -> Self:
        if not self.customer_written_approval:
            raise rule_error(
                "customer_written_approval",
                "design changes need the customer's written approval (001M 2.2.3(2))",
            )
        return self


class CustomerAnswer(FormModel):
    """客户答复: the customer's answer to the re-reviewed date."""

    key = "customer_answer"
    title_zh = "客户答复"
    title_en = "Customer answer"

    answer: Literal["accepts", "refuses", "withdraws"] = label(
        "客户答复",
        "Answer",
        choices={
            "accepts": ("接受新交期", "Accepts the new date"),
            "refuses": ("不接受，坚持原更改", "Refuses, insists on the change"),
            "withdraws": ("撤回更改（订单不变）", "Withdraws the change (order unchanged)"),
        },
    )
    contact_record: str = label("沟通记录", "Contact record", long=True, max_length=4000)


class RecallRecord(FormModel):
    """资料收回记录: the merchandiser confirms the recalled papers (生产单, 流程卡)."""

    key = "recall_record"
    title_zh = "资料收回记录"
    title_en = "Recall record"

    documents: str = label("收回单据", "Documents recalled", max_length=1000)
    copies: int = label("份数", "Copies", ge=0, le=1000)
    recalled_at: datetime = label("收回时间", "Recalled at")


class PurchaseAdjustment(FormModel):
    """采购调整: POs cancelled or changed, material control adjusted (001M 2.2.4; 003 5.4.4)."""

    key = "purchase_adjustment"
    title_zh = "采购调整记录"
    title_en = "Purchase adjustment"

    purchase_orders: str = label("涉及采购单", "Purchase orders affected", max_length=1000)
    action: str = label(
        "处理（取消/变更）", "Action (cancelled / changed)", long=True, max_length=4000
    )


class DateRereview(FormModel):
    """交期重新评审: the delivery date that is feasible after a change."""

    key = "date_rereview"
    title_zh = "交期重新评审"
    title_en = "Delivery date re-review"
    signatures = (("评审人", "Reviewed by"), ("批准", "Approved by"))

    feasible_delivery_date: date = label("可行交货日期", "Feasible delivery date")
    impact: str = label("影响说明", "Impact", long=True, max_length=4000)
    remedies: str | None = label(
        "补救措施（加班、外协）",
        "Remedies (overtime, outsourcing)",
        default=None,
        long=True,
        max_length=4000,
    )
    comments: str | None = label("评审意见", "Comments", default=None, long=True, max_length=4000)


class DesignCorrection(FormModel):
    """设计更正通知 (001M 2.2.3(6)): a design error (or a customer change) after the drawings
    were issued, in writing to production, quality and purchasing."""

    key = "design_correction"
    title_zh = "设计更正通知"
    title_en = "Design correction notice"

    order_no: OrderNo = label("订单号", "Order No.")
    drawing_no: DocumentNo = label("图号", "Drawing No.")
    cause: str = label("更正事由", "Cause", long=True, max_length=4000)
    correction: str = label("更正内容", "Correction", long=True, max_length=4000)
    customer_change: bool = label("客户要求更改", "Requested by the customer", default=False)
    tech_change_ref: DocumentNo | None = label(
        "技术更改通知单编号", "Technical change notice No.", default=None, max_length=60
    )

    @model_validator(mode="after")
    def _customer_change_needs_the_notice(self) -> Self:
        if self.customer_change and not self.tech_change_ref:
            raise rule_error(
                "tech_change_ref",
                "a customer change also needs the 合同订单技术更改通知单",
            )
        return self
