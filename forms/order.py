"""Order intake forms: registration, requirement confirmation, review, negotiation.

These are the first papers of the order-to-delivery procedure (订单登记,
订单要求确认, 订单评审表, 交期协商结果).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from forms.base import MAX_QUANTITY, FormModel, OrderNo, label
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


CHANNELS = {
    "phone": ("电话", "Phone"),
    "fax": ("传真", "Fax"),
    "verbal": ("口头", "Verbal"),
    "email": ("电子邮件", "E-mail"),
    "written": ("书面订单", "Written order"),
}


class OrderIntake(FormModel):
    """订单登记: the order as received (phone, fax and verbal orders written down).

    The kind follows the ①-④ ticks as 001M 释义 1-2 defines it: any tick makes the
    order non-regular; a repeat-of order number makes it a repeat order (返单).
    Special (技术偏离较大/生产难度较大) is ① or ③ (Choice, PROCEDURES.md §1).
    """

    key = "order_intake"
    title_zh = "订单登记"
    title_en = "Order intake"

    order_no: OrderNo = label("订单号", "Order No.")
    customer: str = label("客户名称", "Customer", max_length=SHORT)
    customer_class: Literal["A", "B", "C"] = label(
        "客户等级", "Customer class", default="B", choices=CUSTOMER_CLASSES
    )
    received_at: datetime = label("接单时间", "Received at")
    channel: Literal["phone", "fax", "verbal", "email", "written"] = label(
        "接单方式", "Received by", default="written", choices=CHANNELS
    )
    product: str = label("产品名称", "Product", max_length=SHORT)
    model_spec: str = label("规格型号", "Model and specification", max_length=SHORT)
    colour: str | None = label("颜色", "Colour", default=None, max_length=SHORT)
    quantity: int = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)
    unit: str = label("单位", "Unit", default="台", max_length=20)
    delivery_date: date = label("交货日期", "Delivery date")
    new_design: bool = label("① 需新技术设计", "① New technical design", default=False)
    discontinued: bool = label(
        "② 停产或多年未生产的产品", "② Discontinued or not made for years", default=False
    )
    above_standard: bool = label(
        "③ 质量要求高于公司标准", "③ Quality above the company standard", default=False
    )
    tight_date: bool = label(
        "④ 交期紧且有违约罚款或信誉风险",
        "④ Tight date with penalty or reputational risk",
        default=False,
    )
    repeat_of: OrderNo | None = label("返单（原订单号）", "Repeat of order No.", default=None)
    outsourced_work: bool = label("含外协加工", "Includes outsourced work", default=False)
    urgent: bool = label("紧急订单", "Urgent order", default=False)
    complete_set: bool = label("成套产品", "Complete set", default=False)
    project: str | None = label(
        "项目名称（成套）", "Project (complete set)", default=None, max_length=SHORT
    )
    penalty_clause: bool = label("含违约罚款条款", "Penalty clause", default=False)
    technical_requirements: str | None = label(
        "技术要求", "Technical requirements", default=None, long=True, max_length=LONG
    )
    quality_requirements: str | None = label(
        "质量要求", "Quality requirements", default=None, long=True, max_length=LONG
    )
    attachment: str | None = label(
        "附件（客户订单/传真编号）",
        "Attachment (customer order / fax ref.)",
        default=None,
        max_length=SHORT,
    )

    @model_validator(mode="after")
    def _project_for_complete_set(self) -> Self:
        if self.complete_set and not self.project:
            raise rule_error("project", "required for a complete set (成套产品须登记项目)")
        if self.repeat_of and self.repeat_of == self.order_no:
            raise rule_error("repeat_of", "an order cannot repeat itself")
        return self

    def derived(self) -> dict[str, Any]:
        return {"kind": self.kind, "special": self.special}

    @property
    def kind(self) -> str:
        if self.repeat_of:
            return "repeat"
        ticks = (self.new_design, self.discontinued, self.above_standard, self.tight_date)
        return "non_regular" if any(ticks) else "regular"

    @property
    def special(self) -> bool:
        return self.kind == "non_regular" and (self.new_design or self.above_standard)


class RequirementsConfirmation(FormModel):
    """订单要求确认: requirements confirmed with the customer's contact."""

    key = "requirements_confirmation"
    title_zh = "订单要求确认"
    title_en = "Requirements confirmation"
    signatures = (("跟单员", "Order coordinator"), ("客户确认", "Customer confirmation"))

    model_spec: str = label("规格型号", "Model and specification", max_length=SHORT)
    quantity: int = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)
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
    special: bool = label(
        "特殊订单（技术偏离较大/生产难度较大）",
        "Special order (large technical deviation / hard to make)",
        default=False,
    )
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


class SpecialHandling(FormModel):
    """特殊订单处理意见: how the special requirements will be handled, agreed with the customer."""

    key = "special_handling"
    title_zh = "特殊订单处理意见"
    title_en = "Special order handling"

    handling: str = label("处理方案", "Handling agreed", long=True, max_length=LONG)
    agreed_with: str = label("客户确认人", "Agreed with (customer contact)", max_length=SHORT)


class CoordinationOpinion(FormModel):
    """订单协调记录 (one department's row): structure and process parameters (§1b)."""

    key = "coordination_opinion"
    title_zh = "订单协调记录"
    title_en = "Order coordination record"

    agree: bool = label("同意", "Agree", default=False)
    structure: str | None = label("结构", "Structure", default=None, long=True, max_length=LONG)
    parameters: str | None = label(
        "工艺参数", "Process parameters", default=None, long=True, max_length=LONG
    )
    opinion: str = label("意见", "Opinion", long=True, max_length=LONG)


class NoticeReceipt(FormModel):
    """生产通知单签收: a recipient department acknowledges the notice."""

    key = "notice_receipt"
    title_zh = "生产通知单签收"
    title_en = "Production notice receipt"

    copies: int = label("份数", "Copies", default=1, ge=1, le=100)
    remarks: str | None = label("备注", "Remarks", default=None, max_length=SHORT)


class ReviewRow(BaseModel):
    """One department's line of the 订单评审表."""

    model_config = ConfigDict(extra="forbid")

    department: str = label("部门", "Department", max_length=100)
    reviewer: str = label("评审人", "Reviewer", max_length=200)
    feasible: bool = label("可行", "Feasible")
    earliest_delivery_date: date | None = label("最早交期", "Earliest date", default=None)
    special: bool = label("特殊", "Special", default=False)
    comments: str | None = label("意见", "Comments", default=None, max_length=LONG)
    signed_at: datetime = label("签署时间", "Signed at")


class ReviewRecord(FormModel):
    """订单评审表 (004R 3.1.2; 001P 4.1.2): compiled by the system from the board's opinions."""

    key = "review_record"
    title_zh = "订单评审表"
    title_en = "Order review record"
    signatures = (("评审组织", "Organised by"), ("批准", "Approved by"))

    outcome: Literal["feasible", "infeasible"] = label(
        "评审结论",
        "Outcome",
        choices={"feasible": ("可行", "Feasible"), "infeasible": ("不可行", "Infeasible")},
    )
    requested_delivery_date: date = label("要求交期", "Requested delivery date")
    rows: list[ReviewRow] = label(
        "评审意见", "Opinions", min_length=1, json_schema_extra={"compiled": True}
    )
