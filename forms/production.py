"""Production forms: the production notice and the production adjustment record.

生产通知单 goes out to the departments listed in ``distribute_to``;
生产调整记录 records that they adjusted after a change.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import field_validator

from forms.base import MAX_QUANTITY, FormModel, OrderNo, label

Department = Literal[
    "production",
    "material_control",
    "purchasing",
    "warehouse",
    "quality",
    "finance",
    "engineering",
    "gm_office",
]

DEPARTMENTS = {
    "production": ("生产部", "Production"),
    "material_control": ("物控部", "Material control"),
    "purchasing": ("采购部", "Purchasing"),
    "warehouse": ("仓库", "Warehouse"),
    "quality": ("品质部", "Quality"),
    "finance": ("财务部", "Finance"),
    "engineering": ("技术部", "Engineering"),
    "gm_office": ("总经办", "GM office"),
}

#: Choice (PROCEDURES.md §1): production, MC, purchasing, warehouse, QA (+ engineering if
#: non-regular) acknowledge; the seed (000/4 三.7) says 相关部门.
DEFAULT_DISTRIBUTION: tuple[Department, ...] = (
    "production",
    "material_control",
    "purchasing",
    "warehouse",
    "quality",
)


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

    order_no: OrderNo = label("订单号", "Order No.")
    customer: str = label("客户名称", "Customer", max_length=200)
    product: str = label("产品名称", "Product", max_length=200)
    model_spec: str = label("规格型号", "Model and specification", max_length=200)
    quantity: int = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)
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
    complete_set: bool = label("成套产品", "Complete set", default=False)
    project: str | None = label(
        "项目名称（成套）", "Project (complete set)", default=None, max_length=200
    )
    penalty_clause: bool = label("含违约罚款条款", "Penalty clause", default=False)
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


class ProductionConfirmation(FormModel):
    """生产部确认: production checks the notice's details, signs and dates it (001W 3.1.3.3)."""

    key = "production_confirmation"
    title_zh = "生产部确认"
    title_en = "Production confirmation"

    details_checked: bool = label("已核对通知单内容", "Details checked", default=False)
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=4000)

    @field_validator("details_checked")
    @classmethod
    def _must_check(cls, value: bool) -> bool:
        if not value:
            raise ValueError("production must check the details before signing / 须核对后签字")
        return value


class ShippingNote(FormModel):
    """发货单: goods shipped from finished-goods stock (002 1.2.2); reserves the stock."""

    key = "shipping_note"
    title_zh = "发货单"
    title_en = "Shipping note"

    order_no: OrderNo = label("订单号", "Order No.")
    product: str = label("产品名称", "Product", max_length=200)
    model_spec: str = label("规格型号", "Model and specification", max_length=200)
    quantity: int = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)
    ship_date: date = label("发货日期", "Ship date")
    consignee: str = label("收货人及地址", "Consignee and address", max_length=500)


class StockOrder(FormModel):
    """生产库存订单: the merchandising lead orders production for stock (000/4 三.3-4)."""

    key = "stock_order"
    title_zh = "生产库存订单"
    title_en = "Make-to-stock order"

    order_no: OrderNo = label("库存订单号", "Stock order No.")
    product: str = label("产品名称", "Product", max_length=200)
    model_spec: str = label("规格型号", "Model and specification", max_length=200)
    quantity: int = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)
    unit: str = label("单位", "Unit", default="台", max_length=20)
    delivery_date: date = label("入库日期", "Into stock by")
    stock_basis: str = label(
        "库存依据（成品库存量控制明细表）",
        "Basis (finished-goods stock table)",
        long=True,
        max_length=4000,
    )


class AdjustmentRecord(FormModel):
    """生产调整记录: departments that adjusted production after a change."""

    key = "adjustment"
    title_zh = "生产调整记录"
    title_en = "Production adjustment"

    departments_adjusted: str = label("已调整部门", "Departments adjusted", max_length=500)
    adjusted_at: datetime = label("调整时间", "Adjusted at")
    notes: str | None = label("备注", "Notes", default=None, long=True, max_length=4000)
