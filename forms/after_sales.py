"""Forms of returns and after-sales 退货与售后 (PROCEDURES.md §8a, §8b).

用户服务、质量信息反馈接受单 QR/JY-2005 (customer, order, received-at, description, fax) and
the 售后处理记录 (cause, countermeasure, outcome) the after-sales department fills in, the
site installation's service date, and the transit damage report with its service decision
and claim (001M 3.3(3), 4.1; 000/2 三; 000/4 三.16; 002 1.2.12).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Self

from pydantic import model_validator

from forms.base import MAX_QUANTITY, FormModel, OrderNo, label
from forms.errors import rule_error

LONG = 4000
SHORT = 200

#: The outcomes of a customer's request (000/2 三; 002 1.2.12).
OUTCOMES = {
    "accept_as_is": ("让步接收（按原样接受）", "Accepted as is"),
    "rework_reship": ("返工后重新发货", "Reworked and shipped again"),
    "remake": ("补单生产（按返单）", "Remade (a repeat order)"),
    "discount": ("折价处理", "Discount"),
    "customer_terms": ("按客户要求处理", "On the customer's terms"),
    "rework_stock": ("库存返工（非标生产单）", "Stock reworked (non-standard order)"),
}


class ServiceFeedback(FormModel):
    """用户服务、质量信息反馈接受单 QR/JY-2005 (001M 4.1(1)): what the customer reported."""

    key = "service_feedback"
    title_zh = "用户服务、质量信息反馈接受单"
    title_en = "Customer service and quality feedback (QR/JY-2005)"
    signatures = (("接单人（业务）", "Taken by (sales)"), ("售后服务部", "After-sales"))

    customer: str = label("客户名称", "Customer", min_length=1, max_length=SHORT)
    order_no: OrderNo | None = label("订单号", "Order No.", default=None)
    received_at: datetime = label("接收时间", "Received at")
    description: str = label(
        "问题描述", "Description", long=True, min_length=1, max_length=LONG
    )
    fax: str | None = label(
        "客户传真（编号/说明）", "Fax from the customer (No. or note)", default=None,
        max_length=SHORT,
    )  # fmt: skip
    contact: str | None = label("联系人及电话", "Contact and phone", default=None, max_length=SHORT)
    site_installation: bool = label(
        "需现场安装服务", "Site installation needed", default=False
    )


class ServiceContact(FormModel):
    """The after-sales leader's contact with the customer (001M 4.1(2))."""

    key = "service_contact"
    title_zh = "客户联系记录"
    title_en = "Customer contact record"

    contacted_at: datetime = label("联系时间", "Contacted at")
    contact_record: str = label("联系内容", "What was agreed", long=True, min_length=1,
                                max_length=LONG)  # fmt: skip


class ServiceAnalysis(FormModel):
    """售后处理记录, first part: cause and countermeasure (000/2 三; 000/4 三.16)."""

    key = "service_analysis"
    title_zh = "售后处理记录（原因与对策）"
    title_en = "After-sales record (cause and countermeasure)"

    cause: str = label("原因分析", "Cause", long=True, min_length=1, max_length=LONG)
    countermeasure: str = label("对策", "Countermeasure", long=True, min_length=1,
                                max_length=LONG)  # fmt: skip


class ServiceOutcome(FormModel):
    """售后处理记录, second part: the outcome (000/2 三; 002 1.2.12).

    A remake names the new order (补单) with its quantity and date: §1 runs it as a repeat
    order; reworking stock names the non-standard production order (非标生产单) for §3.
    """

    key = "service_outcome"
    title_zh = "售后处理记录（处理结果）"
    title_en = "After-sales record (outcome)"
    signatures = (("售后服务部", "After-sales"), ("销售部长", "Sales head"))

    outcome: Literal[
        "accept_as_is", "rework_reship", "remake", "discount", "customer_terms", "rework_stock"
    ] = label("处理结果", "Outcome", choices=OUTCOMES)
    details: str = label("处理说明", "Details", long=True, min_length=1, max_length=LONG)
    discount_amount: float | None = label("折让金额", "Discount amount", default=None, ge=0,
                                          le=1e10)  # fmt: skip
    new_order_no: OrderNo | None = label(
        "补单/非标生产单号", "Remake or non-standard order No.", default=None
    )
    quantity: int | None = label("数量", "Quantity", default=None, gt=0, le=MAX_QUANTITY)
    delivery_date: date | None = label("交货日期", "Delivery date", default=None)

    @model_validator(mode="after")
    def _outcome_needs(self) -> Self:
        if self.outcome == "discount" and not self.discount_amount:
            raise rule_error("discount_amount", "a discount needs its amount / 须填写折让金额")
        if self.outcome in ("remake", "rework_stock"):
            for name in ("new_order_no", "quantity", "delivery_date"):
                if getattr(self, name) in (None, ""):
                    raise rule_error(name, "the new order needs it / 新订单须填写")
        return self


class InstallationDate(FormModel):
    """Site installation (001M 4.1(3)): the customer's project followed, the service date."""

    key = "installation_date"
    title_zh = "现场安装服务时间"
    title_en = "Site installation date"

    project_status: str = label("客户工程进度", "Project status on site", long=True,
                                min_length=1, max_length=LONG)  # fmt: skip
    service_date: date = label("服务日期", "Service date")
    site: str = label("服务地点", "Site", min_length=1, max_length=SHORT)


class InstallationDone(FormModel):
    """The installation service done on site."""

    key = "installation_done"
    title_zh = "现场安装服务记录"
    title_en = "Site installation record"

    done_on: date = label("服务完成日期", "Done on")
    record: str = label("服务记录", "Record", long=True, min_length=1, max_length=LONG)


class TransitDamage(FormModel):
    """运输损坏登记 (001M 3.3(3)): the customer reports goods damaged in transit."""

    key = "transit_damage_report"
    title_zh = "运输损坏登记"
    title_en = "Transit damage report"
    signatures = (("业务", "Sales"), ("售后服务部", "After-sales"), ("储运部", "Logistics"))

    order_no: OrderNo = label("订单号", "Order No.")
    customer: str = label("客户名称", "Customer", min_length=1, max_length=SHORT)
    received_at: datetime = label("接收时间", "Received at")
    carrier: str | None = label("承运人/运单号", "Carrier and waybill", default=None,
                                max_length=SHORT)  # fmt: skip
    description: str = label("损坏情况", "Damage", long=True, min_length=1, max_length=LONG)


class TransitService(FormModel):
    """The service decided for the damaged goods and the customer's answer."""

    key = "transit_service"
    title_zh = "运输损坏服务决定"
    title_en = "Service for the damaged goods"

    service: str = label("服务方式", "Service", long=True, min_length=1, max_length=LONG)
    answer_to_customer: str = label("答复客户", "Answer to the customer", long=True,
                                    min_length=1, max_length=LONG)  # fmt: skip


class TransitClaim(FormModel):
    """Cause analysis and the claim (with the QA and production heads)."""

    key = "transit_claim"
    title_zh = "运输损坏原因分析及索赔"
    title_en = "Transit damage: cause and claim"
    signatures = (("储运部", "Logistics"), ("质管部", "QA"), ("生产部", "Production"))

    cause: str = label("原因分析", "Cause", long=True, min_length=1, max_length=LONG)
    claim_against: str = label("索赔对象", "Claim against", min_length=1, max_length=SHORT)
    claim_amount: float = label("索赔金额", "Claim amount", ge=0, le=1e10)


AFTER_SALES_FORMS: tuple[type[FormModel], ...] = (
    ServiceFeedback,
    ServiceContact,
    ServiceAnalysis,
    ServiceOutcome,
    InstallationDate,
    InstallationDone,
    TransitDamage,
    TransitService,
    TransitClaim,
)
