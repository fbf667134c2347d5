"""Safety stock and PPE forms (PROCEDURES.md §5a; seed 003 5.1.1): the 物料安全库存表 with
the formula computed per row, its countersign opinion, and the weekly PPE order and the
Saturday issue.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from forms.base import FormModel, label
from forms.errors import rule_error

SEASONS = {"peak": ("旺季", "Peak season"), "off": ("淡季", "Off season")}
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
SHORT, LONG = 200, 2000
MAX_QTY = 10_000_000


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SafetyRow(_Row):
    """One item in one season: safety = (lead time + emergency purchase time) × daily use."""

    item: str = label("物料编码", "Item", min_length=1, max_length=40)
    season: Literal["peak", "off"] = label("季节", "Season", choices=SEASONS)
    lead_days: int = label("物料周期（工作日）", "Lead time (WD)", ge=0, le=365)
    emergency_days: int = label("紧急购料时间（工作日）", "Emergency time (WD)", ge=0, le=365)
    daily_use: float = label("日平均用量", "Daily use", ge=0, le=MAX_QTY)
    safety_qty: float | None = label("安全库存量（计算）", "Safety stock (computed)", default=None)

    @model_validator(mode="after")
    def _formula(self) -> Self:
        """003 5.1.1: 安全库存量 = (物料周期 + 紧急购料时间) × 日平均用量 (typed value replaced)."""
        self.safety_qty = round((self.lead_days + self.emergency_days) * self.daily_use, 3)
        return self


class SafetyStockTable(FormModel):
    """物料安全库存表 (003 5.1.1A-C, F): the period's review, peak and off season per item."""

    key = "safety_stock_table"
    title_zh = "物料安全库存表"
    title_en = "Safety stock table"
    signatures = (
        ("物控编制", "MC"),
        ("仓库/采购/生产分厂会签", "Countersigned"),
        ("部门经理确认", "PMC manager"),
        ("生产总监审批", "Production director"),
    )

    period: str = label("评估月份", "Review month", pattern=PERIOD_PATTERN, placeholder="2026-12")
    due_date: date | None = label("评估完毕期限（25日前）", "Due by (the 25th)", default=None)
    rows: list[SafetyRow] = label("明细", "Items", default_factory=list, max_length=2000)
    note: str | None = label("说明（辅料月用量表、设备科预测等）",
                             "Notes (auxiliary monthly use, equipment forecast)",
                             default=None, long=True, max_length=LONG)  # fmt: skip

    @model_validator(mode="after")
    def _by_the_25th(self) -> Self:
        the_25th = date(int(self.period[:4]), int(self.period[5:7]), 25)
        if self.due_date is None:
            self.due_date = the_25th
        elif self.due_date > the_25th:
            raise rule_error("due_date", "须在当月25日前 / by the 25th of the month (003 5.1.1F)")
        seen = set()
        for n, row in enumerate(self.rows):
            if (row.item, row.season) in seen:
                raise rule_error(f"rows.{n}.item", "同一物料同一季节重复 / item and season twice")
            seen.add((row.item, row.season))
        return self


class SafetyCountersign(FormModel):
    """会签 (warehouse, purchasing, plant): agree, or say what to change."""

    key = "safety_countersign"
    title_zh = "物料安全库存表会签"
    title_en = "Safety stock countersignature"

    agree: bool = label("同意", "Agree", default=False)
    comment: str | None = label("意见", "Comment", default=None, long=True, max_length=LONG)

    @model_validator(mode="after")
    def _why_not(self) -> Self:
        if not self.agree and not self.comment:
            raise rule_error("comment", "不同意须写明意见 / say what to change")
        return self


class PpeRow(_Row):
    item: str = label("劳保用品", "PPE item", min_length=1, max_length=SHORT)
    department: str = label("使用部门", "Department", min_length=1, max_length=SHORT)
    qty: float = label("数量", "Quantity", gt=0, le=MAX_QTY)


class PpeOrder(FormModel):
    """劳保用品周申购 (003 5.1.1E): this week's order from the approved monthly usage,
    collected in one go on Saturday."""

    key = "ppe_order"
    title_zh = "劳保用品周申购单"
    title_en = "Weekly PPE order"

    week: str = label("周次", "Week", pattern=r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$",
                      placeholder="2026-W49")  # fmt: skip
    issue_date: date | None = label("领取日（周六）", "Issue day (Saturday)", default=None)
    rows: list[PpeRow] = label("明细", "Items", default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _saturday(self) -> Self:
        saturday = date.fromisocalendar(int(self.week[:4]), int(self.week[6:]), 6)
        if self.issue_date is None:
            self.issue_date = saturday
        elif self.issue_date != saturday:
            raise rule_error("issue_date", "须为该周周六 / the Saturday of that week")
        return self


class PpeIssue(FormModel):
    """The Saturday issue: what was handed out."""

    key = "ppe_issue"
    title_zh = "劳保用品周六领取记录"
    title_en = "PPE issued on Saturday"

    issued_all: bool = label("已全部发放", "All issued", default=False)
    note: str | None = label("说明（缺货等）", "Note (shortages)", default=None, max_length=LONG)

    @model_validator(mode="after")
    def _shortage_said(self) -> Self:
        if not self.issued_all and not self.note:
            raise rule_error("note", "未全部发放须说明 / say what was not issued")
        return self


class PpeUsage(FormModel):
    """劳保用品月使用量 (003 5.1.1E 由使用提出月使用量): next month's usage per department."""

    key = "ppe_usage"
    title_zh = "劳保用品月使用量"
    title_en = "Monthly PPE usage"
    signatures = (("使用部门", "Department"), ("部门主管", "Head"), ("厂长确认", "Plant"),
                  ("生产总监审批", "Production director"))  # fmt: skip

    month: str = label("使用月份", "Month of use", pattern=PERIOD_PATTERN, placeholder="2026-12")
    rows: list[PpeRow] = label("明细（月用量）", "Items (monthly quantity)",
                               default_factory=list, max_length=500)  # fmt: skip


class Approval(FormModel):
    """A confirmation or approval with an optional remark."""

    key = "ppe_approval"
    title_zh = "确认/审批意见"
    title_en = "Confirmation"

    remark: str | None = label("意见", "Remark", default=None, max_length=LONG)


SAFETY_FORMS: tuple[type[FormModel], ...] = (
    SafetyStockTable,
    SafetyCountersign,
    PpeOrder,
    PpeIssue,
    PpeUsage,
    Approval,
)
