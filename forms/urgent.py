"""Forms of the urgent-order insertion 紧急插单 (PROCEDURES.md §4; 004R 五, 004P, 001W 3.4).

紧急订单评审记录表, 紧急订单生产通知单, 紧急订单制程异常申报单, 材料交期延迟申请单,
成品入库单 (急单) and 临时图纸登记, plus the small records the steps between them need
(the urgent need with its problem points, the review opinion, the line choice, the
displaced orders' adjusted dates).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from forms.base import MAX_QUANTITY, DocumentNo, FormModel, OrderNo, label
from forms.errors import rule_error

LONG = 4000

LINES = {
    "sample_group": ("样品组", "Sample group"),
    "dedicated_team": ("专线生产班组", "Dedicated team"),
}
DELAY_DECISIONS = {
    "accept": ("接受新交期", "Accept the new date"),
    "replan": ("重新安排生产", "Replan production"),
}


class UrgentNeed(FormModel):
    """紧急需求登记 (004R 3.1.1): the customer's need heard, the problem points found."""

    key = "urgent_need"
    title_zh = "紧急需求登记"
    title_en = "Urgent need"
    signatures = (("业务", "Sales"),)

    customer_need: str = label("客户需求", "Customer need", long=True, max_length=LONG)
    problem_points: str = label("问题点", "Problem points", long=True, max_length=LONG)
    must_take: bool = label(
        "势在必接（大单、重要客户）", "Must take (large order, key customer)", default=False
    )


class UrgentOpinion(FormModel):
    """One department's opinion in the urgent review meeting (004R 3.1.2)."""

    key = "urgent_opinion"
    title_zh = "紧急订单评审意见"
    title_en = "Urgent order review opinion"

    feasible: bool = label("可按期完成", "Can be made by the date", default=False)
    opinion: str = label("意见", "Opinion", long=True, max_length=LONG)


class UrgentReviewRow(BaseModel):
    """One line of the 紧急订单评审记录表: department, opinion, signer."""

    model_config = ConfigDict(extra="forbid")

    department: str = label("部门", "Department", max_length=100)
    opinion: str = label("意见", "Opinion", max_length=LONG)
    signer: str = label("签名", "Signer", max_length=200)
    feasible: bool = label("可行", "Feasible", default=False)
    signed_at: datetime = label("签署时间", "Signed at")


class UrgentReviewRecord(FormModel):
    """紧急订单评审记录表 (004R 3.1.2, 五): compiled by the system from the meeting's opinions."""

    key = "urgent_review_record"
    title_zh = "紧急订单评审记录表"
    title_en = "Urgent order review record"
    signatures = (("评审组织（业务）", "Organised by (sales)"), ("批准", "Approved by"))

    outcome: Literal["feasible", "infeasible"] = label(
        "评审结论",
        "Outcome",
        choices={"feasible": ("可行", "Feasible"), "infeasible": ("无法完成", "Cannot be made")},
    )
    delivery_date: date = label("要求交期", "Requested delivery date")
    rows: list[UrgentReviewRow] = label(
        "评审意见", "Opinions", min_length=1, json_schema_extra={"compiled": True}
    )


class MaterialDelay(FormModel):
    """材料交期延迟申请单 (004R 五): a material that will come late, and what production does."""

    key = "material_delay"
    title_zh = "材料交期延迟申请单"
    title_en = "Material delivery delay request"
    signatures = (("采购", "Buyer"), ("生产部", "Production"))

    item: str = label("物料", "Item", max_length=200)
    po_no: DocumentNo = label("采购单号", "PO No.")
    old_date: date = label("原交期", "Promised date")
    new_date: date = label("新交期", "New date")
    reason: str = label("延迟原因", "Reason for the delay", long=True, max_length=LONG)
    decision: Literal["accept", "replan"] | None = label(
        "生产部决定", "Decision of production", default=None, choices=DELAY_DECISIONS
    )
    decision_note: str | None = label(
        "说明（重新安排时）", "Note (when replanning)", default=None, long=True, max_length=LONG
    )

    @model_validator(mode="after")
    def _later(self) -> Self:
        if self.new_date <= self.old_date:
            raise rule_error("new_date", "a delay: later than the promised date / 须晚于原交期")
        return self


class LineChoice(FormModel):
    """生产线安排 (001W 3.4.3): A-class small orders to the 样品组, large to a dedicated team."""

    key = "line_choice"
    title_zh = "紧急订单生产线安排"
    title_en = "Urgent order line choice"

    line: Literal["sample_group", "dedicated_team"] = label("生产线", "Line", choices=LINES)
    team: str = label("班组", "Team", max_length=200)
    note: str | None = label("说明", "Note", default=None, long=True, max_length=LONG)


class DisplacedRow(BaseModel):
    """One displaced order: its delivery date before and after the plans were adjusted."""

    model_config = ConfigDict(extra="forbid")

    order_no: OrderNo = label("订单号", "Order No.")
    old_date: date = label("原交期", "Old delivery date")
    new_date: date = label("新交期", "New delivery date")
    note: str | None = label("说明", "Note", default=None, max_length=500)


class DisplacedAdjustment(FormModel):
    """被挤占订单计划调整 (001W 3.4.4): the plans adjusted, each moved date (→ §2)."""

    key = "displaced_adjustment"
    title_zh = "被挤占订单计划调整记录"
    title_en = "Displaced orders: plans adjusted"
    signatures = (("生产计划员", "Production planner"), ("管理层", "Management"))

    report: str = label("调整说明（报管理层）", "Report to management", long=True, max_length=LONG)
    rows: list[DisplacedRow] = label("交期变动的订单", "Orders whose date moves", default=[])

    @model_validator(mode="after")
    def _moved(self) -> Self:
        seen: set[str] = set()
        for i, row in enumerate(self.rows):
            if row.new_date == row.old_date:
                raise rule_error(f"rows.{i}.new_date", "unchanged: leave the row out / 交期未变")
            if row.order_no in seen:
                raise rule_error(f"rows.{i}.order_no", "listed twice / 重复")
            seen.add(row.order_no)
        return self


class UrgentNotice(FormModel):
    """紧急订单生产通知单 (004P 4; 004R 五): the production notice with its line and team."""

    key = "urgent_notice"
    title_zh = "紧急订单生产通知单"
    title_en = "Urgent order production notice"
    signatures = (("生产计划员", "Production planner"), ("生产部签收", "Received by production"))

    order_no: OrderNo = label("订单号", "Order No.")
    product: str = label("产品名称", "Product", max_length=200)
    model_spec: str = label("规格型号", "Model and specification", default="", max_length=200)
    quantity: int = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)
    delivery_date: date = label("交货日期", "Delivery date")
    line: Literal["sample_group", "dedicated_team"] = label("生产线", "Line", choices=LINES)
    team: str = label("班组", "Team", max_length=200)
    urgent: bool = label("紧急标志", "Urgent flag", default=True)
    requirements: str | None = label(
        "生产要求", "Requirements", default=None, long=True, max_length=LONG
    )


class ProcessException(FormModel):
    """紧急订单制程异常申报单 (004R 4, 五): the exception, 生产办's handling, 总经办's instruction.

    One paper filled in turn: the workshop reports (description, delay), 生产办 handles it
    (and asks 总经办 in writing when the date is threatened), 总经办 instructs.
    """

    key = "process_exception"
    title_zh = "紧急订单制程异常申报单"
    title_en = "Urgent order process exception report"
    signatures = (
        ("申报（车间）", "Reported by"),
        ("生产办", "Production office"),
        ("总经办", "GM office"),
    )

    found_at: datetime = label("发现时间", "Found at")
    description: str = label("异常描述", "Description", long=True, max_length=LONG)
    delay_hours: int = label(
        "预计延误（小时）", "Expected delay (hours)", default=0, ge=0, le=10_000
    )
    threatens_delivery: bool = label("影响交期", "Threatens the delivery date", default=False)
    handling: str | None = label(
        "生产办处理", "Handling by the production office", default=None, long=True, max_length=LONG
    )
    gm_instruction: str | None = label(
        "总经办批示", "Instruction of the GM office", default=None, long=True, max_length=LONG
    )


class StockInRow(BaseModel):
    """One line of the 成品入库单."""

    model_config = ConfigDict(extra="forbid")

    product: str = label("产品", "Product", max_length=200)
    model_spec: str = label("规格型号", "Model and specification", default="", max_length=200)
    quantity: int = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)
    unit: str = label("单位", "Unit", default="台", max_length=20)


class UrgentStockIn(FormModel):
    """成品入库单 (004R 4): "入库单上右上方注明'急单'字样必须" — the mark is required."""

    key = "urgent_stock_in"
    title_zh = "成品入库单（急单）"
    title_en = "Finished goods stock-in (urgent)"
    signatures = (("交库（生产）", "Handed in by"), ("成品收料员", "Received by"))

    order_no: OrderNo = label("订单号", "Order No.")
    urgent_mark: bool = label("急单", "Urgent (急单)", default=True)
    rows: list[StockInRow] = label("入库明细", "Rows", min_length=1)

    @model_validator(mode="after")
    def _marked(self) -> Self:
        if not self.urgent_mark:
            raise rule_error(
                "urgent_mark", "an urgent order's stock-in is marked 急单 / 须注明急单"
            )
        return self


class DrawingRow(BaseModel):
    """One temporary drawing or engineering paper travelling with the order."""

    model_config = ConfigDict(extra="forbid")

    drawing: DocumentNo = label("图纸/资料", "Drawing or paper")
    issued_to: str = label("发给", "Issued to", max_length=200)
    returned_at: datetime | None = label("交回时间", "Returned at", default=None)


class TempDrawings(FormModel):
    """临时图纸登记 (004R 4, 四): every temporary drawing returned within 24 hours of completion."""

    key = "temp_drawings"
    title_zh = "临时图纸登记"
    title_en = "Temporary drawings register"
    signatures = (("成品收料员", "Finished goods keeper"), ("技术课负责人", "Engineering head"))

    rows: list[DrawingRow] = label("图纸", "Drawings", default=[])

    @model_validator(mode="after")
    def _all_returned(self) -> Self:
        for i, row in enumerate(self.rows):
            if row.returned_at is None:
                raise rule_error(f"rows.{i}.returned_at", "every drawing is returned / 须全部交回")
        return self


URGENT_FORMS: tuple[type[FormModel], ...] = (
    UrgentNeed,
    UrgentOpinion,
    UrgentReviewRecord,
    MaterialDelay,
    LineChoice,
    DisplacedAdjustment,
    UrgentNotice,
    ProcessException,
    UrgentStockIn,
    TempDrawings,
)
