"""Forms of stocktaking 盘点 (PROCEDURES.md §7; 002 1.2.11, 3.4.10): 盘点计划, 盘点清单 rows
[item, location, round, counted], the recount list, 盘点单 rows [item, book, counted,
difference], 盘点分析报告, the postings (其他入库单 / 其他出库单), and the yearly ABC
classification's result list.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator

from forms.base import FormModel, label
from forms.errors import rule_error

SHORT = 200
LONG = 4000
#: The largest quantity a count line takes (stock unit).
MAX_QTY = 10_000_000

KINDS = {
    "cycle": ("循环盘点（按 ABC 类）", "Cycle count (by ABC class)"),
    "month_end": ("月末盘点", "Month-end count"),
    "ad_hoc": ("临时盘点", "Ad-hoc count"),
}
CLASSES = {"A": ("A 类", "Class A"), "B": ("B 类", "Class B"), "C": ("C 类", "Class C")}
AbcClass = Literal["A", "B", "C"]


def names(value: Any) -> list[str]:
    """The names of a name-list field ("RM, FG" or a JSON list), in order, without repeats."""
    items = (
        value if isinstance(value, list | tuple) else re.split(r"[\s,;，；、]+", str(value or ""))
    )
    out: list[str] = []
    for item in items:
        name = str(item).strip()
        if name and name not in out:
            out.append(name)
    return out


#: Several names in one text field ("RM, FG"; a JSON list is accepted and joined), kept as
#: "RM, FG": a page types it in one input (a list field without choices has no input).
NameList = Annotated[
    str,
    BeforeValidator(lambda v: ", ".join(names(v)) if isinstance(v, list | tuple) else v),
    AfterValidator(lambda v: ", ".join(names(v))),
]


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CountStart(FormModel):
    """盘点通知 (002 3.4.10 盘点参数设置, 自动预警提示): which warehouses and classes are counted
    on which day; the schedule starts it, or the warehouse or finance."""

    key = "count_start"
    title_zh = "盘点通知"
    title_en = "Count notice"

    kind: Literal["cycle", "month_end", "ad_hoc"] = label("盘点类型", "Kind", choices=KINDS)
    #: One warehouse (a schedule's fan-out per warehouse fills it) or several.
    warehouse: str | None = label("仓库", "Warehouse", default=None, max_length=60)
    warehouses: NameList = label(
        "仓库（多个用逗号分隔）", "Warehouses (comma-separated)", default="", max_length=SHORT
    )
    abc_classes: list[AbcClass] = label(
        "ABC 类别", "ABC classes", default_factory=lambda: ["A", "B", "C"], choices=CLASSES
    )
    count_date: date = label("盘点日", "Count day")
    period: str | None = label("期间", "Period", default=None, max_length=20)

    @model_validator(mode="after")
    def _some_warehouse(self) -> Self:
        if self.warehouse:
            self.warehouses = ", ".join(names([self.warehouse, *names(self.warehouses)]))
        if not self.warehouses:
            raise rule_error("warehouses", "name at least one warehouse / 须填写仓库")
        return self

    def derived(self) -> dict[str, Any]:
        """The count's number, readable and the same for the same count (the instance's key):
        PD-<day>-<warehouses>-<classes>, e.g. PD-20261215-RM-A."""
        where = "+".join(names(self.warehouses))
        classes = "".join(sorted(set(self.abc_classes)))
        return {"count_no": f"PD-{self.count_date:%Y%m%d}-{where}-{classes}"}


class CountPlan(FormModel):
    """盘点计划 (002 3.4.10.2 step 1): scope, people and tools; the day is the notice's."""

    key = "count_plan"
    title_zh = "盘点计划"
    title_en = "Count plan"
    signatures = (("仓库", "Warehouse"), ("财务", "Finance"))

    warehouses: NameList = label("盘点仓库", "Warehouses", min_length=1, max_length=SHORT)
    abc_classes: list[AbcClass] = label(
        "ABC 类别", "ABC classes", min_length=1, max_length=3, choices=CLASSES
    )
    extra_items: NameList = label("另加物料编码", "Further item codes", default="", max_length=LONG)
    counters: NameList = label(
        "盘点人员（用户名）", "Counters (usernames)", min_length=1, max_length=SHORT
    )
    supervisors: NameList = label(
        "监盘人员（财务，用户名）",
        "Supervisors (finance, usernames)",
        default="",
        max_length=SHORT,
    )
    tools: str = label("盘点工具", "Tools", max_length=SHORT)
    note: str | None = label("说明", "Note", default=None, long=True, max_length=LONG)


class PlanAgreement(FormModel):
    """Finance agrees the plan and sets the instant the book is frozen (002 3.4.10.2 step 2:
    财务部门在指定时间点备份好库存财务帐)."""

    key = "count_plan_agreement"
    title_zh = "盘点计划确认（账面冻结时点）"
    title_en = "Count plan agreed (book frozen at)"

    snapshot_at: datetime = label("账面冻结时点", "Book frozen at")
    note: str | None = label("说明", "Note", default=None, long=True, max_length=LONG)


class CountRow(Row):
    """One line of the 盘点清单: the item, where it lies, the round and what was counted."""

    item_code: str = label("物料编码", "Item", min_length=1, max_length=60)
    location: str = label("库位", "Location", min_length=1, max_length=60)
    #: Empty: the list's round (a row of an earlier round is refused by the count).
    round: int | None = label("轮次", "Round", default=None, ge=1, le=99)
    counted: float = label("实盘数", "Counted", ge=0, le=MAX_QTY)
    counter: str = label("盘点人", "Counter", min_length=1, max_length=60)


class CountList(FormModel):
    """盘点清单 (002 3.4.10.2 steps 3-4): one round's counts, a row per item and location."""

    key = "count_list"
    title_zh = "盘点清单"
    title_en = "Count list"
    signatures = (("盘点人", "Counted by"), ("监盘", "Supervised by"))

    round: int = label("轮次", "Round", ge=1, le=99)
    rows: list[CountRow] = label("盘点明细", "Counts", min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _rows_in_the_round(self) -> Self:
        for row in self.rows:
            if row.round is None:
                row.round = self.round
        return self


class ListedRow(Row):
    item_code: str = label("物料编码", "Item", max_length=60)
    location: str = label("库位", "Location", max_length=60)


class CountLists(FormModel):
    """[A] 盘点清单 as issued (002 3.4.10.2 step 2 仓库管理员下发盘点清单): round 1's rows."""

    key = "count_lists"
    title_zh = "盘点清单（下发）"
    title_en = "Count lists (issued)"
    signatures = (("下发", "Issued by"), ("签收", "Received by"))

    snapshot_at: datetime = label("账面冻结时点", "Book frozen at")
    round: int = label("轮次", "Round", ge=1, le=1)
    rows: list[ListedRow] = label("盘点物料", "Items to count", min_length=1, max_length=2000)


class RecountList(FormModel):
    """[A] 复盘清单 (002 3.4.10.2 step 4 确定下次的盘点清单): the items of the next round."""

    key = "recount_list"
    title_zh = "复盘清单"
    title_en = "Recount list"

    round: int = label("轮次", "Round", ge=2, le=99)
    rows: list[ListedRow] = label("复盘物料", "Items to recount", min_length=1, max_length=2000)


class SheetReturn(FormModel):
    """盘点单退回复盘: the finance director names the lines to count again."""

    key = "sheet_return"
    title_zh = "盘点单退回复盘"
    title_en = "Count sheet returned for a recount"

    rows: list[ListedRow] = label("复盘物料", "Items to recount", min_length=1, max_length=2000)
    #: The round they are counted in (the system sets it; the counters' form starts from it).
    round: int | None = label("轮次", "Round", default=None, ge=2, le=99)


class SheetRow(Row):
    item_code: str = label("物料编码", "Item", max_length=60)
    location: str = label("库位", "Location", max_length=60)
    book: float = label("账面数", "Book")
    counted: float = label("实盘数", "Counted")
    moved: float = label("冻结后出入库", "Moved since the snapshot", default=0.0)
    difference: float = label("差异", "Difference")


class CountSheet(FormModel):
    """[A] 盘点单 (002 3.4.10.2 step 5): the final count against the book at the snapshot."""

    key = "count_sheet"
    title_zh = "盘点单"
    title_en = "Count sheet"
    signatures = (("制单", "Prepared by"), ("审核", "Checked by"))

    snapshot_at: datetime = label("账面冻结时点", "Book frozen at")
    rounds: int = label("盘点轮次", "Rounds", ge=1)
    rows: list[SheetRow] = label("盘点结果", "Results", min_length=1, max_length=2000)


class CauseRow(Row):
    item_code: str = label("物料编码", "Item", max_length=60)
    cause: str = label("差异原因", "Cause", max_length=SHORT)


class VarianceReport(FormModel):
    """盘点分析报告 (002 3.4.10.2 step 6): finance reconciles book and goods and explains."""

    key = "variance_report"
    title_zh = "盘点分析报告"
    title_en = "Count variance report"
    signatures = (("财务", "Finance"), ("批准", "Approved by"))

    reconciled: bool = label("账物已核对", "Book and goods reconciled", default=False)
    analysis: str = label("盘点分析", "Analysis", long=True, max_length=LONG)
    causes: list[CauseRow] = label("差异原因", "Causes", default_factory=list, max_length=2000)


class PostingRow(Row):
    item_code: str = label("物料编码", "Item", max_length=60)
    location: str = label("仓库", "Warehouse", max_length=60)
    qty: float = label("数量", "Quantity", gt=0)
    direction: Literal["gain", "loss"] = label(
        "方向", "Direction",
        choices={"gain": ("盘盈入库", "Gain (other receipt)"), "loss": ("盘亏出库", "Loss")},
    )  # fmt: skip


class CountPosting(FormModel):
    """[A] 其他入库单 / 其他出库单 (002 3.4.10.1 盘盈入库, 盘亏出库; 说明 3): the corrections."""

    key = "count_posting"
    title_zh = "盘盈盘亏单"
    title_en = "Count gains and losses"

    rows: list[PostingRow] = label("调整明细", "Postings", default_factory=list, max_length=2000)


class AbcStart(FormModel):
    """年度 ABC 分类 (002 1.2.11): the year whose issues give each item's annual cost."""

    key = "abc_start"
    title_zh = "ABC 分类"
    title_en = "ABC classification"

    year: str = label("年度", "Year", pattern=r"^\d{4}$")
    until: date = label("截止日期（含）", "Up to (incl.)")


class AbcRow(Row):
    item_code: str = label("物料编码", "Item", max_length=60)
    annual_cost: float = label("年费用", "Annual cost", ge=0)
    share: float = label("占比 %", "Share %", ge=0)
    cumulative: float = label("累计 %", "Cumulative %", ge=0)
    old_class: str = label("原类别", "Was", max_length=1)
    new_class: AbcClass = label("新类别", "Class", choices=CLASSES)


class AbcResult(FormModel):
    """[A] ABC 分类结果: items by annual cost, the 80 % / 95 % cut-offs."""

    key = "abc_result"
    title_zh = "ABC 分类结果"
    title_en = "ABC classification result"

    total_cost: float = label("年费用合计", "Total annual cost", ge=0)
    rows: list[AbcRow] = label("分类结果", "Result", default_factory=list, max_length=20000)


class AbcConfirm(FormModel):
    """The confirmation of the result list (materials and finance have read it)."""

    key = "abc_confirm"
    title_zh = "ABC 分类确认"
    title_en = "ABC classification confirmed"

    note: str | None = label("说明", "Note", default=None, long=True, max_length=LONG)


COUNT_FORMS: tuple[type[FormModel], ...] = (
    CountStart,
    CountPlan,
    PlanAgreement,
    CountList,
    CountLists,
    RecountList,
    SheetReturn,
    CountSheet,
    VarianceReport,
    CountPosting,
    AbcStart,
    AbcResult,
    AbcConfirm,
)
