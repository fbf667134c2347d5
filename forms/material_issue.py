"""Forms of material issue, returns and batch close (PROCEDURES.md §5j, §8d, §8e; 003 5.7,
5.8, 5.10): the weekly plan that starts the issue, the 定额领料登记表, issue slips, 借料单,
领料单 (non-quota and over-issue), the 物料跟催单 for shortages, the 定额领料差异提报一览表,
the 退/补领料单 and the batch's leftovers.

Choice: item and product codes are typed as the master data spells them; the engine checks
them against ``Item`` / ``BomLine`` when the step writes its tables (a 422 naming the row),
because the forms package imports nothing from the database.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import model_validator

from forms.base import MAX_QUANTITY, FormModel, label
from forms.errors import rule_error
from forms.production_plan import Row

SHORT = 100
LONG = 2000
Code = str


def _code(zh: str = "物料编码", en: str = "Item code") -> object:
    return label(zh, en, min_length=1, max_length=SHORT)


def _qty(zh: str = "数量", en: str = "Qty", **kw: object) -> object:
    return label(zh, en, gt=0, le=MAX_QUANTITY, **kw)


def _note() -> object:
    return label("备注", "Note", default=None, long=True, max_length=LONG)


# -- the weekly plan and the quota sheet (§5j) ------------------------------------------


class PlanRow(Row):
    """One product of the weekly plan: what is made, how many."""

    product_code: Code = _code("产品编码", "Product code")
    qty: float = _qty("计划数量", "Planned qty")


class WeeklyPlan(FormModel):
    """生产周计划 (003 5.7.1, 5.7.5): the batch, its start and its products — the start of the
    material issue; the shortage check runs on it at once."""

    key = "weekly_plan"
    title_zh = "生产周计划（批号）"
    title_en = "Weekly production plan (batch)"

    batch_no: str = label("批号", "Batch No.", min_length=1, max_length=SHORT)
    plan_start: date = label("计划投产日", "Plan start")
    plan_end: date = label("计划完工日", "Planned completion")
    order_nos: str | None = label(
        "订单号（可多个）", "Orders served (several allowed)", default=None, max_length=400
    )
    rows: list[PlanRow] = label("计划明细", "Products", min_length=1, max_length=100)

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        if self.plan_end < self.plan_start:
            raise rule_error("plan_end", "不得早于投产日 / must not be before the plan start")
        return self


class ShortageRow(Row):
    """An item the plan needs more of than is on hand."""

    item_code: Code = _code()
    required: float = label("定额需用量", "Required (quota × plan)", ge=0, le=MAX_QUANTITY)
    on_hand: float = label("库存", "On hand", ge=0, le=MAX_QUANTITY)
    short: float = _qty("欠料数", "Short")


class ShortageCheck(FormModel):
    """欠料预警 (003 5.7.5): quota × plan against stock, computed by the system."""

    key = "shortage_check"
    title_zh = "欠料预警核查"
    title_en = "Shortage check"

    rows: list[ShortageRow] = label("欠料明细", "Short items", default_factory=list, max_length=500)


class QuotaRow(Row):
    """A quota MC sets by hand (boards by cutting size, 003 5.7.2), over the BOM's."""

    item_code: Code = _code()
    quota: float = label("定额数量", "Quota", ge=0, le=MAX_QUANTITY)
    issued: float = label("已发数量", "Issued", default=0, ge=0, le=MAX_QUANTITY)


class QuotaSheetForm(FormModel):
    """定额领料登记表 (003 5.7.1-2): quotas = BOM quota × planned qty; MC may set a row
    (boards from the drawings' cutting sizes). The sheet's lines are kept in tables."""

    key = "quota_sheet"
    title_zh = "定额领料登记表"
    title_en = "Quota issue register"

    rows: list[QuotaRow] = label(
        "人工定额（板材等）", "Quotas set by hand (boards ...)", default_factory=list,
        max_length=200,
    )  # fmt: skip
    note: str | None = _note()


class Note(FormModel):
    """A step done, with a note (materials prepared, approved, refused)."""

    key = "material_note"
    title_zh = "处理说明"
    title_en = "Note"

    note: str | None = _note()


# -- issuing (§5j) ------------------------------------------------------------------------


class IssueRow(Row):
    """One item issued against the quota sheet; a whole pack above the quota is lent."""

    item_code: Code = _code()
    qty: float = _qty("发料数量", "Qty issued")
    whole_pack: bool = label(
        "整件发料（超出定额部分开借料单）", "Whole pack (the part above the quota is lent)",
        default=False,
    )  # fmt: skip


class IssueSlip(FormModel):
    """定额发料 (003 5.7.3): issued against the 定额领料登记表; 借料单 for whole packs."""

    key = "issue_slip"
    title_zh = "定额发料单 / 借料单"
    title_en = "Quota issue / borrow slip"

    rows: list[IssueRow] = label("发料明细", "Items issued", min_length=1, max_length=100)


class RequisitionSlip(FormModel):
    """领料单 for a non-quota material (003 5.7.4): what the department asked for and what the
    warehouse issues; more than asked is refused unless the 物控科长 approves."""

    key = "nonquota_requisition"
    title_zh = "领料单（非定额）"
    title_en = "Requisition slip (non-quota)"

    department: str = label("领料部门", "Department", min_length=1, max_length=SHORT)
    item_code: Code = _code()
    requested: float = _qty("部门申请数", "Requested by the department")
    qty: float = _qty("发料数量", "Qty to issue")
    purpose: str | None = label("用途", "Purpose", default=None, max_length=LONG)


REASONS = {
    "loss": ("生产损耗", "Production loss"),
    "defect": ("品质不良", "Defects"),
    "other": ("其他特殊情况", "Other special case"),
}


class OverIssueRow(Row):
    item_code: Code = _code()
    qty: float = _qty("超额数量", "Qty above the quota")


class OverIssueSlip(FormModel):
    """超额领料单 (003 5.7.10): a 领料单 with the reason (losses, defects) → supervisor → MC."""

    key = "over_issue_slip"
    title_zh = "超额领料单"
    title_en = "Over-issue requisition"
    signatures = (("领料部门", "Department"), ("部门主管", "Supervisor"), ("物控", "MC"))

    rows: list[OverIssueRow] = label("领料明细", "Items", min_length=1, max_length=50)
    reason: Literal["loss", "defect", "other"] = label("超额原因", "Reason", choices=REASONS)
    explanation: str = label("原因说明", "Explanation", long=True, max_length=LONG)


class ShortAtIssueRow(Row):
    item_code: Code = _code()
    needed: float = _qty("需发数量", "Needed")
    on_hand: float = label("库存", "On hand", ge=0, le=MAX_QUANTITY)


class ShortageAtIssue(FormModel):
    """发料时发现欠料 (003 5.7.6): each short item gets a 物料跟催单 to MC."""

    key = "shortage_at_issue"
    title_zh = "发料欠料报告"
    title_en = "Shortage found at issue"

    rows: list[ShortAtIssueRow] = label("欠料明细", "Short items", min_length=1, max_length=50)


class DifferenceRow(Row):
    product_code: Code = _code("产品编码", "Product code")
    item_code: Code = _code()
    quota: float = label("定额（每件）", "Quota per unit", ge=0, le=MAX_QUANTITY)
    actual: float = label("实际用量（每件）", "Actual per unit", ge=0, le=MAX_QUANTITY)
    reason: str | None = label("原因", "Reason", default=None, max_length=LONG)


class QuotaDifference(FormModel):
    """定额领料差异提报一览表 (003 5.7.7): actual use differs from the quota sheet."""

    key = "quota_difference"
    title_zh = "定额领料差异提报一览表"
    title_en = "Quota difference list"

    rows: list[DifferenceRow] = label("差异明细", "Differences", min_length=1, max_length=100)


class StandardRow(Row):
    product_code: Code = _code("产品编码", "Product code")
    item_code: Code = _code()
    quota: float = label("确认定额（每件）", "Confirmed quota per unit", gt=0, le=MAX_QUANTITY)


class QuotaStandard(FormModel):
    """The confirmed standard (003 5.7.7: 物控科长 with the plant and R&D): BOM quotas fixed."""

    key = "quota_standard"
    title_zh = "定额标准修正"
    title_en = "Quota standard fixed"
    signatures = (("物控科长", "MC section head"), ("工厂", "Plant"), ("研发中心", "R&D"))

    rows: list[StandardRow] = label("修正明细", "Quotas fixed", min_length=1, max_length=100)
    note: str | None = _note()


class BatchCompletion(FormModel):
    """The batch's finished goods completed in full (003 5.10): batch close starts."""

    key = "batch_completion"
    title_zh = "批号完工"
    title_en = "Batch completed"

    completed_at: datetime = label("完工时间", "Completed at")


# -- 物料跟催单 (shortage slip) ----------------------------------------------------------

SHORTAGE_REASONS = {
    "plan_check": ("欠料预警（周计划下发）", "Shortage check (weekly plan)"),
    "at_issue": ("发料时欠料", "Short at issue"),
    "return_short": ("补料不足", "Replenishment short"),
}


class ShortageSlip(FormModel):
    """物料跟催单 for a shortage (003 5.7.5-6, 5.8.2): item, stock, quota qty, reason; MC
    replies the arrival date."""

    key = "issue_shortage_slip"
    title_zh = "物料跟催单（欠料）"
    title_en = "Material chase slip (shortage)"

    batch_no: str | None = label("批号", "Batch No.", default=None, max_length=SHORT)
    order_nos: str | None = label(
        "涉及订单", "Orders served", default=None, max_length=400
    )
    item_code: Code = _code()
    on_hand: float = label("库存", "On hand", ge=0, le=MAX_QUANTITY)
    quota_qty: float = label("定额/需用数", "Quota / needed qty", ge=0, le=MAX_QUANTITY)
    short_qty: float = _qty("欠料数", "Short")
    reason: Literal["plan_check", "at_issue", "return_short"] = label(
        "原因", "Reason", choices=SHORTAGE_REASONS
    )
    received_at: datetime = label("开单时间", "Slip raised at")

    def derived(self) -> dict[str, Any]:
        """The slip's key: its batch and item (WP-2026-48/GL-5)."""
        return {"slip_key": f"{self.batch_no or '—'}/{self.item_code}"}


class ShortageReply(FormModel):
    """MC's answer to the warehouse: when the material arrives; the weekly plan adjusted?"""

    key = "shortage_reply"
    title_zh = "到料时间回复"
    title_en = "Arrival date reply"

    arrival_date: date = label("预计到料日", "Arrival date")
    plan_adjusted: bool = label(
        "已与生产调整周计划", "Weekly plan adjusted with production", default=False
    )
    note: str | None = _note()


class PmcCoordination(FormModel):
    """Delivery affected: the PMC department settles it with marketing (003 5.7.6)."""

    key = "pmc_coordination"
    title_zh = "交期影响协调（生产计划物控部与营销中心）"
    title_en = "Delivery affected: PMC with marketing"

    outcome: str = label("协调结果", "Outcome", long=True, max_length=LONG)
    new_delivery_date: date | None = label("新交期（如有）", "New delivery date", default=None)


# -- 退/补领料单 (§8d) and batch close (§8e) --------------------------------------------------


class ReturnRow(Row):
    """A 退/补领料单 row: item, qty, defect, return, replenish, short (the warehouse fills)."""

    item_code: Code = _code()
    qty: float = _qty()
    defect: str = label("不良描述", "Defect", min_length=1, max_length=LONG)
    returned: bool = label("退料", "Return", default=True)
    replenish: bool = label("补料", "Replenish", default=True)
    short: float = label("欠料数", "Short", default=0, ge=0, le=MAX_QUANTITY)


class ReturnSlip(FormModel):
    """退/补领料单 (003 5.8.1): defective material labelled and listed by production."""

    key = "material_return_slip"
    title_zh = "退/补领料单"
    title_en = "Return / replenish slip"
    signatures = (("生产部", "Production"), ("品质", "QC"), ("物控", "MC"), ("仓管", "Warehouse"))

    batch_no: str | None = label("批号", "Batch No.", default=None, max_length=SHORT)
    received_at: datetime = label("开单时间", "Written at")
    labelled: bool = label("已贴不良标签", "Defect labels on the packs", default=False)
    rows: list[ReturnRow] = label("退补明细", "Lines", min_length=1, max_length=50)

    def derived(self) -> dict[str, Any]:
        """The slip's key: its batch and when it was written (TB-WP-2026-47-1123-1000), in
        the time zone it was typed in (pages send company time)."""
        return {"slip_key": f"TB-{self.batch_no or '—'}-{self.received_at:%m%d-%H%M}"}


CAUSES = {
    "production": ("生产不良", "Production defect"),
    "supplier": ("供应商来料不良", "Supplier's material"),
}


class ReturnInspection(FormModel):
    """QC confirms the defect and its cause (003 5.8.1)."""

    key = "return_inspection"
    title_zh = "不良料检验确认"
    title_en = "QC confirmation"

    cause: Literal["production", "supplier"] = label("不良原因", "Cause", choices=CAUSES)
    note: str | None = _note()


class ReturnSign(FormModel):
    """MC signs the return and decides on replenishing (003 5.8.1 确定是否补料)."""

    key = "return_sign"
    title_zh = "物控签字（退库、补料）"
    title_en = "MC signs (return; replenish?)"

    replenish: bool = label("补料", "Replenish", default=True)
    note: str | None = _note()


class SupplierHandover(FormModel):
    """Supplier-caused: MC and the buyer hand it to the supplier return (→ §8c) and tell the
    warehouse and production when the replacement arrives (003 5.8.1)."""

    key = "supplier_handover"
    title_zh = "供应商来料不良：退/补料交接"
    title_en = "Supplier-caused: hand-over to the supplier return"

    supplier: str = label("供应商", "Supplier", min_length=1, max_length=SHORT)
    replacement_date: date | None = label("补料到位时间", "Replacement arrives", default=None)
    note: str | None = _note()


class BatchCloseStart(FormModel):
    """批号结案 (003 5.10): the batch and when its finished goods were completed."""

    key = "batch_close_start"
    title_zh = "批号结案"
    title_en = "Batch close"

    batch_no: str = label("批号", "Batch No.", min_length=1, max_length=SHORT)
    received_at: datetime = label("完工时间", "Completed at")


class LeftoverRow(Row):
    item_code: Code = _code()
    qty: float = _qty("余料数量", "Leftover qty")


class LeftoverSlip(FormModel):
    """余料的退/补领料单 (003 5.10): material no longer needed, to QA for a judgement."""

    key = "leftover_slip"
    title_zh = "余料退/补领料单"
    title_en = "Leftover return slip"

    rows: list[LeftoverRow] = label("余料明细", "Leftovers", default_factory=list, max_length=100)
    note: str | None = _note()


class LeftoverJudgement(FormModel):
    """QA's judgement of the leftovers (品质判定): usable stock back to the store, or not."""

    key = "leftover_judgement"
    title_zh = "余料品质判定"
    title_en = "Leftover quality judgement"

    usable: bool = label("品质合格可再用", "Good: usable again", default=True)
    note: str | None = _note()


ISSUE_FORMS: tuple[type[FormModel], ...] = (
    WeeklyPlan,
    ShortageCheck,
    QuotaSheetForm,
    Note,
    IssueSlip,
    RequisitionSlip,
    OverIssueSlip,
    ShortageAtIssue,
    QuotaDifference,
    QuotaStandard,
    BatchCompletion,
    ShortageSlip,
    ShortageReply,
    PmcCoordination,
    ReturnSlip,
    ReturnInspection,
    ReturnSign,
    SupplierHandover,
    BatchCloseStart,
    LeftoverSlip,
    LeftoverJudgement,
)
