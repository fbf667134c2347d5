"""Monthly material measures (PROCEDURES.md §5k, §5l): the purchase on-time rate (003 5.5.7),
the monthly material in/out report (003 5.12) and the supplier QDPS score sheet (002 1.2.9).

The figures are computed by the system from PO lines, receipts and stock movements (the
start effect fills them in when the month's instance starts; typed values are replaced),
so these forms carry the month, the date the work is due and the computed rows; people add
their analysis, their scores and their signature.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from forms.base import FormModel, label
from forms.errors import rule_error

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
LONG = 2000
SHORT = 200


def next_month_day(month: str, day: int) -> date:
    """The ``day``-th of the month after ``month`` ("2026-11", 3 → 2026-12-03): 次月N日."""
    first = date(int(month[:4]), int(month[5:7]), 1)
    return (first + timedelta(days=32)).replace(day=day)


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OnTimeRow(_Row):
    """One PO line due in the month and whether it arrived complete on time."""

    po_no: str = label("采购单号", "PO No.", max_length=SHORT)
    line_no: int = label("行号", "Line", ge=1)
    supplier: str = label("供应商", "Supplier", max_length=SHORT)
    item: str = label("物料", "Item", max_length=SHORT)
    due_date: date = label("交期", "Due")
    completed: date | None = label("到齐日期", "Complete on", default=None)
    on_time: bool = label("准时", "On time", default=False)
    buyer: str = label("采购员", "Buyer", default="", max_length=SHORT)


class _Monthly(FormModel):
    """The month measured and when the work on it is due (次月N日前)."""

    #: 次月N日前 of this form's work (the subclass says N).
    due_day: ClassVar[int] = 3

    month: str = label("统计月份", "Month", pattern=MONTH_PATTERN, placeholder="2026-11")
    due_date: date | None = label("完成期限", "Due by", default=None)

    @model_validator(mode="after")
    def _due(self) -> Self:
        if self.due_date is None:
            self.due_date = next_month_day(self.month, type(self).due_day)
        elif self.due_date < next_month_day(self.month, 1):
            raise rule_error("due_date", "须在统计月份之后 / must be after the month measured")
        return self


class OnTimeReport(_Monthly):
    """采购准时交货率统计 (003 5.5.7): lines due in the month, received complete on or before
    their due date; the rate is the share on time."""

    key = "purchase_on_time"
    title_zh = "采购准时交货率统计表"
    title_en = "Purchase on-time rate"
    signatures = (("统计", "Compiled by"), ("审核批准", "Approved by"))

    lines_due: int = label("当月到期行数", "Lines due in the month", default=0, ge=0)
    lines_on_time: int = label("准时到齐行数", "Complete on time", default=0, ge=0)
    rate: float | None = label("准时交货率 %", "On-time rate %", default=None, ge=0, le=100)
    rows: list[OnTimeRow] = label("明细", "Lines", default_factory=list, max_length=5000)


class OnTimeAnalysis(FormModel):
    """The MC's analysis of the month's late lines, sent to the manager."""

    key = "on_time_analysis"
    title_zh = "准时交货率分析"
    title_en = "On-time rate analysis"

    analysis: str = label("分析（迟交原因、改进）", "Analysis (causes, actions)", long=True,
                          min_length=1, max_length=LONG)  # fmt: skip


class MovementRow(_Row):
    """One item's movements in the month, in its stock unit."""

    item: str = label("物料", "Item", max_length=SHORT)
    received: float = label("入库", "Received", default=0.0)
    issued: float = label("发出", "Issued", default=0.0)
    returned: float = label("退料/退货", "Returned", default=0.0)
    adjusted: float = label("盘点调整", "Adjusted", default=0.0)
    net: float = label("净变动", "Net", default=0.0)


class MaterialReport(_Monthly):
    """物料进出统计报表 (003 5.12): each item's receipts, issues, returns and adjustments."""

    due_day: ClassVar[int] = 5
    key = "material_report"
    title_zh = "物料进出统计报表"
    title_en = "Monthly material in/out report"
    signatures = (("制表", "Prepared by"), ("审核", "Reviewed by"), ("公司领导", "Management"))

    rows: list[MovementRow] = label("明细", "Items", default_factory=list, max_length=5000)


class ReportNote(FormModel):
    """A note with the month's report (prepared, reviewed, read)."""

    key = "report_note"
    title_zh = "报表说明"
    title_en = "Report note"

    note: str | None = label("说明", "Note", default=None, long=True, max_length=LONG)


#: QDPS P (price) grades by the buyer (002 1.2.9: 合理/正常/偏高 = 15/10/5).
PRICE_LEVELS = {
    "reasonable": ("合理 (15)", "Reasonable (15)"),
    "normal": ("正常 (10)", "Normal (10)"),
    "high": ("偏高 (5)", "High (5)"),
}
PRICE_POINTS = {"reasonable": 15, "normal": 10, "high": 5}


class QdpsSheet(_Monthly):
    """QDPS 评分表 for one supplier's month: Q and D computed (002 1.2.9)."""

    due_day: ClassVar[int] = 5
    key = "qdps"
    title_zh = "供应商QDPS评分表"
    title_en = "Supplier QDPS score"
    signatures = (("品管", "QA"), ("采购员", "Buyer"), ("审批", "Approved by"))

    supplier_code: str = label("供应商", "Supplier", min_length=1, max_length=40)
    #: The instance's key, "<month>-<supplier>" (one open score sheet per supplier and month).
    ref: str | None = label("编号", "Ref", default=None, max_length=80)
    inspected: float = label("当月来料数", "Received in the month", default=0.0, ge=0)
    accepted: float = label("合格数", "Accepted", default=0.0, ge=0)
    q: float = label("Q 质量 (40×合格率)", "Q quality (40 × pass rate)", default=0.0, ge=0)
    lines_rated: int = label("参评交货行", "Lines rated (early excluded)", default=0, ge=0)
    lines_on_time: int = label("按期交货行", "Lines on time", default=0, ge=0)
    d: float = label("D 交期 (20×达成率)", "D delivery (20 × rate)", default=0.0, ge=0)

    @model_validator(mode="after")
    def _ref(self) -> Self:
        self.ref = f"{self.month}-{self.supplier_code}"
        return self


class QdpsService(FormModel):
    """QA's score: quality service, at most 15 points (002 1.2.9 S 品质服务)."""

    key = "qdps_service"
    title_zh = "品质服务评分"
    title_en = "Quality service score"

    service: int = label("品质服务 (≤15)", "Quality service (≤ 15)", ge=0, le=15)
    note: str | None = label("说明", "Note", default=None, max_length=LONG)


class QdpsBuyer(FormModel):
    """The buyer's scores: price level, cooperation ≤ 5, support (samples, charged?) ≤ 5."""

    key = "qdps_buyer"
    title_zh = "采购评分"
    title_en = "Buyer scores"

    price: Literal["reasonable", "normal", "high"] = label(
        "P 价格", "P price", choices=PRICE_LEVELS
    )
    cooperation: int = label("配合度 (≤5)", "Cooperation (≤ 5)", ge=0, le=5)
    support: int = label("支持配合：打样、是否收费 (≤5)", "Support: samples, charged? (≤ 5)",
                         ge=0, le=5)  # fmt: skip
    note: str | None = label("说明", "Note", default=None, max_length=LONG)


MEASURE_FORMS: tuple[type[FormModel], ...] = (
    OnTimeReport,
    OnTimeAnalysis,
    MaterialReport,
    ReportNote,
    QdpsSheet,
    QdpsService,
    QdpsBuyer,
)
