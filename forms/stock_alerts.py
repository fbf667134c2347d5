"""Forms the stock levels raise (PROCEDURES.md §5b, §5i; 003 5.3.6, 5.6.6, 6.5).

物料跟催单 (item, stock, safety qty, reason, reply date) raised by the system when stock falls
to the safety stock, with MC's reply; 仓库物料异常预警报告 raised when stock reaches the maximum
or an over-ordered receipt comes in, with MC's cause.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Self

from pydantic import model_validator

from forms.base import FormModel, label
from forms.errors import rule_error

LONG = 4000
QTY = 1e9
SEASONS = {"peak": ("旺季", "Peak season"), "off": ("淡季", "Off season")}
#: 003 5.6.6: 物料库存达到最高库存警戒线 / 错订超量订购物料入库.
OVERSTOCK_KINDS = {
    "above_max": ("库存达到最高库存警戒线", "Stock at or over the maximum"),
    "over_ordered": ("错订、超量订购物料入库", "Wrongly or over-ordered material received"),
}


class ReorderChase(FormModel):
    """物料跟催单 "安全存量订料" (003 5.3.6, 6.5): the keeper's (or the system's) warning."""

    key = "reorder_chase"
    title_zh = "物料跟催单"
    title_en = "Material chase slip"
    signatures = (("仓管", "Warehouse keeper"), ("物控计划员", "Material controller"))

    item_code: str = label("物料编码", "Item code", min_length=1, max_length=40)
    item_name: str = label("物料名称", "Item name", default="", max_length=200)
    unit: str = label("单位", "Unit", default="", max_length=20)
    received_at: datetime = label("预警时间", "Raised at")
    on_hand: float = label("库存数量", "On hand", ge=0, le=QTY)
    in_transit: float = label("在途数量", "In transit", default=0.0, ge=0, le=QTY)
    unissued: float = label("生产未领料", "Unissued", default=0.0, ge=0, le=QTY)
    safety_qty: float = label("安全存量", "Safety stock", ge=0, le=QTY)
    season: Literal["peak", "off"] = label("淡旺季", "Season", default="off", choices=SEASONS)
    reason: str = label("原因", "Reason", default="安全存量订料", max_length=200)
    note: str | None = label("备注", "Note", default=None, long=True, max_length=LONG)


class ReorderReply(FormModel):
    """MC's reply to the 物料跟催单 within 24 hours (订料情况分析计划, 003 5.3.6)."""

    key = "reorder_reply"
    title_zh = "物料跟催单回复"
    title_en = "Reply to the chase slip"
    signatures = (("物控计划员", "Material controller"),)

    analysis: str = label("订料情况分析", "Analysis", long=True, max_length=LONG)
    reorder: bool = label("需订料（开申购单）", "Reorder (raise a requisition)", default=False)
    qty: float | None = label("订料数量", "Quantity to order", default=None, gt=0, le=QTY)
    arrival_date: date | None = label("预计到料日期", "Expected arrival", default=None)

    @model_validator(mode="after")
    def _reorder_needs_qty_and_date(self) -> Self:
        if self.reorder and self.qty is None:
            raise rule_error("qty", "required when reordering / 订料须填数量")
        if self.reorder and self.arrival_date is None:
            raise rule_error("arrival_date", "required when reordering / 订料须填到料日期")
        return self


class OverstockWarning(FormModel):
    """仓库物料异常预警报告 (003 5.6.6): stock at the maximum or an over-ordered receipt."""

    key = "overstock_warning"
    title_zh = "仓库物料异常预警报告"
    title_en = "Warehouse material exception warning"
    signatures = (("仓管", "Warehouse keeper"), ("物控计划员", "Material controller"),
                  ("物控科长", "MC section head"))  # fmt: skip

    item_code: str = label("物料编码", "Item code", min_length=1, max_length=40)
    item_name: str = label("物料名称", "Item name", default="", max_length=200)
    unit: str = label("单位", "Unit", default="", max_length=20)
    received_at: datetime = label("报告时间", "Reported at")
    kind: Literal["above_max", "over_ordered"] = label(
        "异常类别", "Kind", default="above_max", choices=OVERSTOCK_KINDS
    )
    on_hand: float = label("库存数量", "On hand", ge=0, le=QTY)
    in_transit: float = label("在途数量", "In transit", default=0.0, ge=0, le=QTY)
    max_qty: float = label("最高库存", "Maximum stock", ge=0, le=QTY)
    receipt_ref: str | None = label("入库单号", "Receipt No.", default=None, max_length=100)
    note: str | None = label("备注", "Note", default=None, long=True, max_length=LONG)


class OverstockCause(FormModel):
    """MC's finding on the warning: the cause and what is done (003 5.6.6)."""

    key = "overstock_cause"
    title_zh = "超量原因核查"
    title_en = "Cause of the overstock"
    signatures = (("物控计划员", "Material controller"),)

    cause: str = label("具体原因", "Cause", long=True, max_length=LONG)
    action: str = label("处理措施", "Action", long=True, max_length=LONG)


STOCK_ALERT_FORMS: tuple[type[FormModel], ...] = (
    ReorderChase,
    ReorderReply,
    OverstockWarning,
    OverstockCause,
)
