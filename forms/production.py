"""Production forms: the production notice and the production adjustment record.

生产通知单 goes out to the departments listed in ``distribute_to``;
生产调整记录 records that they adjusted after a change.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import field_validator

from forms.base import FormModel, label

Department = Literal[
    "production", "purchasing", "warehouse", "quality", "finance", "engineering", "gm_office"
]

DEPARTMENTS = {
    "production": ("生产部", "Production"),
    "purchasing": ("采购部", "Purchasing"),
    "warehouse": ("仓库", "Warehouse"),
    "quality": ("品质部", "Quality"),
    "finance": ("财务部", "Finance"),
    "engineering": ("技术部", "Engineering"),
    "gm_office": ("总经办", "GM office"),
}

DEFAULT_DISTRIBUTION: tuple[Department, ...] = ("production", "purchasing", "warehouse", "finance")


def _default_distribution() -> list[Department]:
    return list(DEFAULT_DISTRIBUTION)


class ProductionNotice(FormModel):
    """生产通知单: what to make, by when, and who receives a copy."""

    key = "production_notice"
    title_zh = "生产通知单"
    title_en = "Production notice"
    signatures = (
        ("编制", "Prepared by"),
        ("审核", "Checked by"),
        ("批准", "Approved by"),
        ("生产部签收", "Received by production"),
    )

    order_no: str = label("订单号", "Order No.", min_length=1, max_length=40)
    customer: str = label("客户名称", "Customer", max_length=200)
    product: str = label("产品名称", "Product", max_length=200)
    model_spec: str = label("规格型号", "Model and specification", max_length=200)
    quantity: int = label("数量", "Quantity", gt=0)
    unit: str = label("单位", "Unit", default="台", max_length=20)
    delivery_date: date = label("交货日期", "Delivery date")
    technical_requirements: str | None = label(
        "技术要求", "Technical requirements", default=None, long=True, max_length=4000
    )
    quality_requirements: str | None = label(
        "质量要求", "Quality requirements", default=None, long=True, max_length=4000
    )
    packing_requirements: str | None = label(
        "包装要求", "Packing requirements", default=None, long=True, max_length=4000
    )
    drawings_attached: bool = label("附图纸", "Drawings attached", default=False)
    distribute_to: list[Department] = label(
        "发放部门",
        "Distribute to",
        default_factory=_default_distribution,
        min_length=1,
        choices=DEPARTMENTS,
    )
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=4000)

    @field_validator("distribute_to")
    @classmethod
    def _unique_departments(cls, value: list[Department]) -> list[Department]:
        return list(dict.fromkeys(value))


class AdjustmentRecord(FormModel):
    """生产调整记录: departments that adjusted production after a change."""

    key = "adjustment"
    title_zh = "生产调整记录"
    title_en = "Production adjustment"

    departments_adjusted: str = label("已调整部门", "Departments adjusted", max_length=500)
    adjusted_at: datetime = label("调整时间", "Adjusted at")
    notes: str | None = label("备注", "Notes", default=None, long=True, max_length=4000)
