"""Forms of purchasing and material control (PROCEDURES.md §5c, §5f, §5g; 003 6).

采购单 rows [item, qty, unit, price, due] (003 5.4.1), 物料需求计划表 rows [item, gross,
stock, in transit, unissued, MOQ, qty, need date, PO posted] (003 5.3.6), and the records the
PO's checks, approvals and chasing keep. Item codes, suppliers and prices are checked against
the master data by ``gendan.purchasing`` when the move is made (a form knows no database).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from forms.base import MAX_QUANTITY, DocumentNo, FormModel, OrderNo, label
from forms.errors import rule_error

SHORT = 200
LONG = 4000


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PoRow(Row):
    """One line of the 采购单."""

    item: str = label("物料代码", "Item code", min_length=1, max_length=60)
    qty: float = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)
    unit: str | None = label("单位", "Unit", default=None, max_length=20)
    price: float = label("单价", "Unit price", ge=0, le=MAX_QUANTITY)
    due: date = label("交货日期", "Due")
    order_no: OrderNo | None = label("订单号", "Order No.", default=None)


class PurchaseOrderForm(FormModel):
    """采购单 (003 5.4.1): made by the buyer from the 物料需求计划表 / 申购单 and returned to
    MC within two days; serves one or more customer orders."""

    key = "purchase_order"
    title_zh = "采购单"
    title_en = "Purchase order"
    signatures = (("采购员", "Buyer"), ("物控复核", "MC checked"), ("采购主管", "Approved"))

    supplier_code: str = label("供应商代码", "Supplier code", min_length=1, max_length=60)
    requirement: DocumentNo | None = label(
        "依据（物料需求计划表/申购单号）", "Requirement (plan or requisition No.)", default=None
    )
    orders: str | None = label(
        "服务订单号（多个以逗号分隔）", "Orders served (comma separated)", default=None,
        max_length=SHORT,
    )  # fmt: skip
    received_at: datetime | None = label(
        "收到物料需求时间", "Requirement received at", default=None
    )
    rows: list[PoRow] = label("采购明细", "Lines", min_length=1, max_length=100)
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=LONG)
    #: Written by the system when the PO is made (``gendan.purchasing``): what MC must check.
    findings: str | None = label("系统核查提示（重复、超量、交期、价格）",
                                 "System findings (duplicates, excess, dates, prices)",
                                 default=None, long=True, max_length=LONG)  # fmt: skip

    def derived(self) -> dict[str, Any]:
        """The earliest due date: the supplier's dispatch is confirmed 5 WD before it."""
        return {"first_due": min(r.due for r in self.rows).isoformat()}


class PoCheck(FormModel):
    """物控复核采购单 (003 5.4.1): quantity, code, name and spec, no duplicate, no excess."""

    key = "po_check"
    title_zh = "采购单复核"
    title_en = "PO check"

    qty_ok: bool = label("下单数量无误", "Quantities right", default=False)
    code_ok: bool = label("物料代码无误", "Item codes right", default=False)
    spec_ok: bool = label("品名规格无误", "Names and specs right", default=False)
    no_duplicate: bool = label("无重复下单", "No duplicate order", default=False)
    remarks: str | None = label("意见", "Remarks", default=None, long=True, max_length=LONG)

    @model_validator(mode="after")
    def _all_ticked(self) -> Self:
        for name in ("qty_ok", "code_ok", "spec_ok", "no_duplicate"):
            if not getattr(self, name):
                raise rule_error(name, "未确认：有误请退回采购 / not confirmed: return the PO")
        return self


class DateAnswer(FormModel):
    """交期复核 (003 5.4.2): what the supplier answered about the short date."""

    key = "po_date_answer"
    title_zh = "交期沟通结果"
    title_en = "Date talk with the supplier"

    answer: str = label("供应商答复", "Supplier answer", long=True, max_length=LONG)
    new_due: date | None = label("可交货日期", "Date it can deliver", default=None)


class NoticeDates(FormModel):
    """生产通知书入库时间调整 (003 5.4.2): the planner and marketing moved the dates."""

    key = "notice_dates"
    title_zh = "生产通知书日期调整"
    title_en = "Production notice dates moved"

    order_no: OrderNo = label("订单号", "Order No.")
    new_date: date = label("调整后入库日期", "New stock-in date")
    agreed_with: str = label("营销中心确认人", "Agreed with (marketing)", max_length=SHORT)


class CoordinationDecision(FormModel):
    """生产协调会决议 (003 5.4.2): the PMC manager's meeting decides."""

    key = "coordination_decision"
    title_zh = "生产协调会决议"
    title_en = "Coordination meeting decision"

    attendees: str = label("参会人员", "Attendees", max_length=SHORT)
    decision: str = label("决议", "Decision", long=True, max_length=LONG)


class PriceCheck(FormModel):
    """核价 (000/3 PMC系统 二): a price above the price file, checked by finance."""

    key = "price_check"
    title_zh = "采购核价"
    title_en = "Price check"

    opinion: str = label("核价意见", "Opinion", long=True, max_length=LONG)
    market_checked: bool = label("已比价", "Compared with the market", default=False)


class ArrivalCheck(FormModel):
    """到料日期核查 (003 5.5.2): PO dates against the notices; arrival dates to production."""

    key = "arrival_check"
    title_zh = "采购交期核查"
    title_en = "Arrival dates checked"

    matches_notice: bool = label("交期符合生产通知书", "Dates meet the notices", default=False)
    risky_items: str | None = label(
        "影响生产的物料、原因及具体到位时间", "Items at risk, why, and when they arrive",
        default=None, long=True, max_length=LONG,
    )  # fmt: skip
    told_production: bool = label(
        "到料日期已回复生产部（排周计划）", "Arrival dates sent to production", default=False
    )

    @model_validator(mode="after")
    def _risk_named(self) -> Self:
        if not self.matches_notice and not self.risky_items:
            raise rule_error("risky_items", "交期不符须写明物料、原因及到位时间 / name the "
                             "items at risk, why and when they arrive")  # fmt: skip
        if not self.told_production:
            raise rule_error("told_production", "须回复生产部 / tell production the dates")
        return self


class RiskDecision(FormModel):
    """上级主管决定应急处理方法 (003 5.5.2): what is done about the materials at risk."""

    key = "risk_decision"
    title_zh = "物料风险应急处理决定"
    title_en = "Emergency decision on materials at risk"

    decision: str = label("应急处理方法", "Emergency measures", long=True, max_length=LONG)


class DispatchConfirmation(FormModel):
    """供应商实际发货时间 (001M 2.2.4(1)1): confirmed with the supplier 5 WD before due."""

    key = "dispatch_confirmation"
    title_zh = "供应商发货时间确认"
    title_en = "Supplier dispatch time"

    dispatch_date: date = label("实际发货日期", "Dispatch date")
    on_plan: bool = label("能按计划到货", "Arrives on plan", default=False)
    contact: str = label("供应商联系人", "Supplier contact", max_length=SHORT)
    note: str | None = label("备注", "Note", default=None, long=True, max_length=LONG)


class DispatchCall(FormModel):
    """发货当天电话确认 (001M 2.2.4(1)2): shipped? carrier and contact; else the cause."""

    key = "dispatch_call"
    title_zh = "发货当天确认"
    title_en = "Dispatch-day call"

    shipped: bool = label("货物已发出", "Shipped", default=False)
    carrier: str | None = label("承运方", "Carrier", default=None, max_length=SHORT)
    carrier_contact: str | None = label("承运方联系方式", "Carrier contact", default=None,
                                        max_length=SHORT)  # fmt: skip
    cause: str | None = label("未发原因", "Why not shipped", default=None, long=True,
                              max_length=LONG)  # fmt: skip

    @model_validator(mode="after")
    def _either(self) -> Self:
        if self.shipped and not (self.carrier and self.carrier_contact):
            raise rule_error("carrier", "已发出须填承运方及联系方式 / carrier and contact")
        if not self.shipped and not self.cause:
            raise rule_error("cause", "未发出须查明原因 / find out why")
        return self


REMEDIES = {
    "borrow": ("向兄弟单位借用", "Borrow from a sister company"),
    "urge": ("督促供应商提前或按期交货", "Urge the supplier"),
    "split": ("分批到货", "Split deliveries"),
    "rebuy": ("取消合同，向其它厂家采购", "Cancel and buy elsewhere"),
    "change_model": ("更换生产厂家或型号", "Change maker or model"),
}


class PurchaseRemedy(FormModel):
    """补救措施 (001M 2.2.4(1)1): what the purchasing lead does about a late supplier."""

    key = "purchase_remedy"
    title_zh = "采购补救措施"
    title_en = "Purchase remedy"

    remedy: Literal["borrow", "urge", "split", "rebuy", "change_model"] = label(
        "措施", "Remedy", choices=REMEDIES
    )
    new_arrival: date | None = label("预计到货日期", "Expected arrival", default=None)
    note: str | None = label("说明", "Note", default=None, long=True, max_length=LONG)


class PlanHeadAnswer(FormModel):
    """报生产计划下达部门 (001M 2.2.4(2)): the plan's head talks to sales for the customer."""

    key = "plan_head_answer"
    title_zh = "物料延误：计划部门处理"
    title_en = "Late material: answer of the planning head"

    outcome: str = label("处理结果（与销售、客户沟通）", "Outcome (sales, customer)", long=True,
                         max_length=LONG)  # fmt: skip
    change_raised: bool = label("已提交交期更改（§2）", "Date change raised (§2)", default=False)


class ReceiptDifference(FormModel):
    """到货与计划不符 (001M 2.2.4(1)3): quantity short or quality rejected on a receipt."""

    key = "receipt_difference"
    title_zh = "到货差异"
    title_en = "Receipt difference"

    receipt_no: DocumentNo | None = label("来料入库单号", "Receipt No.", default=None)
    item: str = label("物料代码", "Item code", min_length=1, max_length=60)
    ordered: float = label("计划数量", "Planned quantity", ge=0, le=MAX_QUANTITY)
    received: float = label("实收合格数量", "Received and accepted", ge=0, le=MAX_QUANTITY)
    difference: str = label("差异说明", "Difference", long=True, max_length=LONG)


class PoClose(FormModel):
    """采购单结案: every line received (the receipts are on the PO lines)."""

    key = "po_close"
    title_zh = "采购单结案"
    title_en = "PO closed"

    note: str | None = label("备注", "Note", default=None, long=True, max_length=LONG)


class RequirementRow(Row):
    """One line of the 物料需求计划表: the system fills gross (BOM × order quantity), stock, in
    transit, unissued and MOQ from the master data; MC sets the quantity and the need date;
    "PO posted" grows as POs made from the plan are approved (003 5.4.3)."""

    item: str = label("物料代码", "Item code", min_length=1, max_length=60)
    gross: float | None = label("毛需求", "Gross", default=None, ge=0)
    stock: float | None = label("库存", "Stock", default=None)
    in_transit: float | None = label("在途", "In transit", default=None)
    unissued: float | None = label("生产未领", "Unissued", default=None)
    moq: float | None = label("最小采购量", "MOQ", default=None, ge=0)
    qty: float = label("请购数量", "Quantity", default=0, ge=0, le=MAX_QUANTITY)
    need_date: date | None = label("需求日期", "Need date", default=None)
    plant: str | None = label("送料工厂", "Plant", default=None, max_length=60)
    po_posted: float | None = label("已下采购单", "PO posted", default=None)


class RequirementStart(FormModel):
    """物料需求计划任务 (003 5.3.4, 5.3.6): the 生产通知书 reached MC (its received-at is
    "recv"); the rows are made from the order's BOM when none are typed."""

    key = "requirement_start"
    title_zh = "物料需求计划任务"
    title_en = "Material requirement task"

    order_no: OrderNo = label("订单号（生产通知书）", "Order No. (production notice)")
    received_at: datetime | None = label("收到生产通知书时间", "Notice received at", default=None)
    rows: list[RequirementRow] = label("需求明细", "Lines", default_factory=list, max_length=200)
    subcontract_request: DocumentNo | None = label(
        "外协厂委外加工物料申购单号", "Subcontractor material request No.", default=None
    )
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=LONG)


class RequirementPlan(FormModel):
    """物料需求计划表 (003 5.3.6): per 生产通知书, shown beside stock, in transit and unissued;
    main materials allocated per plant (5.3.4), outsourced materials with the subcontractor's
    委外加工物料申购单 (5.3.8). Choice: no netting across orders (PROCEDURES.md §5c)."""

    key = "requirement_plan"
    title_zh = "物料需求计划表"
    title_en = "Material requirement plan"
    signatures = (("物控计划员", "MC"), ("审核", "Checked"), ("生产计划物控部经理", "PMC manager"))

    rows: list[RequirementRow] = label("需求明细", "Lines", min_length=1, max_length=200)
    subcontract_request: DocumentNo | None = label(
        "外协厂委外加工物料申购单号", "Subcontractor material request No.", default=None
    )
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=LONG)

    @model_validator(mode="after")
    def _dated(self) -> Self:
        for i, row in enumerate(self.rows):
            if row.qty > 0 and row.need_date is None:
                raise rule_error(f"rows.{i}.need_date", "须填需求日期 / a need date is required")
        if not any(row.qty > 0 for row in self.rows):
            raise rule_error("rows", "至少一行请购数量 / at least one line to buy")
        return self


class PosPlaced(FormModel):
    """采购单已回传物控 (003 5.4.1, 5.5.1): the POs made from this requirement."""

    key = "pos_placed"
    title_zh = "采购单回传"
    title_en = "POs returned to MC"

    po_nos: str = label("采购单号（多个以逗号分隔）", "PO numbers (comma separated)",
                        min_length=1, max_length=2000)  # fmt: skip


REQ_CLASSES = {
    "safety": ("安全存量请购", "Safety stock"),
    "order": ("按单采购", "Per order"),
    "temporary": ("临时请购", "Temporary"),
}
REQ_PATHS = {
    "standard": ("物控申购（主管审核、经理审批）", "Requisition by MC (supervisor, manager)"),
    "office": ("行政人事用品（直接下单）", "Office supplies (admin orders directly)"),
    "sample": ("样品及非库存物料（物控审核）", "Samples, non-stock items (MC reviews)"),
    "chemical": ("化工类及不常用辅料（部门负责人、仓管、PMC）",
                 "Chemicals, rare auxiliaries (dept head, keeper, PMC)"),
    "fixed_asset": ("固定资产（部门最高主管、指定高层、PMC）",
                    "Fixed assets (top head, designated leader, PMC)"),
    "rnd_sample": ("研发试样物料（物控审核）", "R&D sample materials (MC reviews)"),
}  # fmt: skip
REQ_DEPARTMENTS = {
    "material_control": ("物控部", "Material control"),
    "production": ("生产部", "Production"),
    "workshop": ("车间", "Workshop"),
    "warehouse": ("仓库", "Warehouse"),
    "engineering": ("技术部/研发", "Engineering / R&D"),
    "quality": ("质管部", "Quality"),
    "gm_office": ("总经办/行政", "GM office / admin"),
    "finance": ("财务部", "Finance"),
    "sales": ("销售部", "Sales"),
}


class RequisitionRow(Row):
    """One line of the 申购单."""

    item: str = label("物料代码", "Item code", min_length=1, max_length=60)
    qty: float = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)
    need_date: date = label("需求日期", "Need date")
    po_posted: float | None = label("已下采购单", "PO posted", default=None)


class Requisition(FormModel):
    """申购单 (003 5.1, 5.3.5, 5.3.7, 5.3.9-5.3.10; 002 3.4.3): the class and, for temporary
    requisitions, the path the seed gives it; safety-stock requisitions weigh capacity, stock
    in transit, unissued and the market (5.3.5)."""

    key = "requisition"
    title_zh = "申购单"
    title_en = "Requisition"
    signatures = (("申请", "Requested by"), ("审核", "Reviewed by"), ("批准", "Approved by"))

    req_class: Literal["safety", "order", "temporary"] = label(
        "请购类别", "Class", choices=REQ_CLASSES
    )
    path: Literal["standard", "office", "sample", "chemical", "fixed_asset", "rnd_sample"] = (
        label("请购途径", "Path", default="standard", choices=REQ_PATHS)
    )
    department: Literal[
        "material_control", "production", "workshop", "warehouse", "engineering", "quality",
        "gm_office", "finance", "sales",
    ] = label("申请部门", "Requesting department", choices=REQ_DEPARTMENTS)  # fmt: skip
    received_at: datetime | None = label("提出时间", "Raised at", default=None)
    orders: str | None = label("订单号（按单采购）", "Orders (per order)", default=None,
                               max_length=SHORT)  # fmt: skip
    rows: list[RequisitionRow] = label("申购明细", "Lines", min_length=1, max_length=100)
    considerations: str | None = label(
        "库容、在途、未领、市场浮动", "Capacity, in transit, unissued, market", default=None,
        long=True, max_length=LONG,
    )  # fmt: skip
    reason: str | None = label("用途/理由", "Purpose", default=None, long=True, max_length=LONG)

    @model_validator(mode="after")
    def _path_fits(self) -> Self:
        if self.path != "standard" and self.req_class != "temporary":
            raise rule_error("path", "特殊途径仅用于临时请购 / special paths are temporary "
                             "requisitions")  # fmt: skip
        if self.req_class == "safety" and not self.considerations:
            raise rule_error("considerations", "安全存量请购须考虑库容、在途、未领及市场 / "
                             "weigh capacity, in transit, unissued, market")  # fmt: skip
        return self


class RequisitionOpinion(FormModel):
    """会签意见 (003 5.3.7 dept head and keeper; 002 3.4.3 purchasing, manufacturing,
    planning, finance)."""

    key = "requisition_opinion"
    title_zh = "申购评审意见"
    title_en = "Requisition review"

    agrees: bool = label("同意", "Agree", default=False)
    remarks: str | None = label("意见", "Remarks", default=None, long=True, max_length=LONG)


class Consolidation(FormModel):
    """采购部汇总需求 (002 3.4.3 steps 3, 8, 12)."""

    key = "consolidation"
    title_zh = "采购需求汇总"
    title_en = "Needs consolidated"

    kind: Literal["strategic", "mrp", "temporary"] = label("需求来源", "Source", choices={
        "strategic": ("战略物资（年、季、月计划）", "Strategic (yearly, quarterly, monthly)"),
        "mrp": ("MRP 运算", "MRP"),
        "temporary": ("车间临时用料", "Workshop temporary need"),
    })  # fmt: skip
    summary: str = label("汇总说明", "Summary", long=True, max_length=LONG)


class ContractSigned(FormModel):
    """与供应商签订采购合同 (002 3.4.3)."""

    key = "supply_contract"
    title_zh = "采购合同"
    title_en = "Supply contract"

    contract_no: DocumentNo = label("合同号", "Contract No.")
    supplier_code: str = label("供应商代码", "Supplier code", min_length=1, max_length=60)


class ShortageRow(Row):
    """A late or urgently needed item: how much, needed when, expected when."""

    item: str = label("物料代码", "Item code", min_length=1, max_length=60)
    qty: float = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)
    need_date: date = label("需求日期", "Need date")
    eta: date | None = label("预计到料日期", "Expected arrival", default=None)


class ShortageList(FormModel):
    """欠缺/急需物料统计表 (003 5.5.5-5.5.6): material purchasing cannot bring in time, or
    production's urgent needs; the items become urgent (a receipt alerts MC, production, QA)."""

    key = "shortage_list"
    title_zh = "欠缺/急需物料统计表"
    title_en = "Short and urgent materials list"

    source: Literal["purchasing", "production"] = label("来源", "Source", choices={
        "purchasing": ("采购无法按时到位（物控提报）", "Purchasing late (MC reports)"),
        "production": ("生产部门提出", "Raised by production"),
    })  # fmt: skip
    received_at: datetime | None = label("收到信息时间", "Received at", default=None)
    orders: str | None = label("相关订单号", "Orders", default=None, max_length=SHORT)
    po_no: DocumentNo | None = label("采购单号", "PO No.", default=None)
    rows: list[ShortageRow] = label("物料明细", "Items", min_length=1, max_length=100)
    note: str | None = label("说明", "Note", default=None, long=True, max_length=LONG)


class ShortageAnswer(FormModel):
    """MC's answer and each day's progress: every item's expected arrival."""

    key = "shortage_answer"
    title_zh = "欠缺物料到料回复/进度"
    title_en = "Arrival dates and progress"

    rows: list[ShortageRow] = label("物料明细", "Items", min_length=1, max_length=100)
    progress: str = label("追踪进度", "Progress", long=True, max_length=LONG)

    @model_validator(mode="after")
    def _dated(self) -> Self:
        for i, row in enumerate(self.rows):
            if row.eta is None:
                raise rule_error(f"rows.{i}.eta", "须回复到料日期 / give the arrival date")
        return self


class ChaseRow(Row):
    """A line of the 物料追催表: the item the week's plan needs, by when, and when it comes."""

    item: str = label("物料代码", "Item code", min_length=1, max_length=60)
    qty: float = label("需用数量", "Quantity", ge=0, le=MAX_QUANTITY)
    need_date: date = label("上线日期", "Needed on")
    eta: date | None = label("预计到料", "ETA", default=None)
    main: bool = label("主料（板材/玻璃/纸箱）", "Main material", default=False)


class ChaseProduct(Row):
    """A product of the weekly plan."""

    product_code: str = label("产品编码", "Product code", min_length=1, max_length=60)
    qty: float = label("计划数量", "Planned qty", gt=0, le=MAX_QUANTITY)


class MaterialChaseStart(FormModel):
    """周生产计划 received by MC (003 5.5.3): the batch, its line start and its products."""

    key = "material_chase_start"
    title_zh = "物料追催任务（周生产计划）"
    title_en = "Material chase task (weekly plan)"

    batch_no: str = label("批号", "Batch No.", min_length=1, max_length=SHORT)
    plan_start: date = label("上线日期", "Line start")
    received_at: datetime | None = label("收到周生产计划时间", "Weekly plan received at",
                                         default=None)  # fmt: skip
    order_nos: str | None = label("订单号", "Orders", default=None, max_length=400)
    products: list[ChaseProduct] = label("计划产品", "Products", default_factory=list,
                                         max_length=100)  # fmt: skip
    rows: list[ChaseRow] = label("追催明细", "Lines", default_factory=list, max_length=200)


class MaterialChase(FormModel):
    """物料追催表 (003 5.5.3): from the 周生产计划 and the line start, sent to purchasing."""

    key = "material_chase"
    title_zh = "物料追催表"
    title_en = "Material chase list"

    rows: list[ChaseRow] = label("追催明细", "Lines", min_length=1, max_length=200)


class Booking(FormModel):
    """主料预约到料 (003 5.5.4): the buyer booked the main materials with the supplier."""

    key = "main_booking"
    title_zh = "主料预约到料"
    title_en = "Main materials booked"

    rows: list[ChaseRow] = label("预约明细（实际到料时间）", "Booked (real arrival)",
                                 default_factory=list, max_length=200)  # fmt: skip
    note: str | None = label("说明", "Note", default=None, long=True, max_length=LONG)


PURCHASING_FORMS: tuple[type[FormModel], ...] = (
    MaterialChaseStart,
    MaterialChase,
    Booking,
    ShortageList,
    ShortageAnswer,
    Requisition,
    RequisitionOpinion,
    Consolidation,
    ContractSigned,
    RequirementStart,
    RequirementPlan,
    PosPlaced,
    PurchaseOrderForm,
    PoCheck,
    DateAnswer,
    NoticeDates,
    CoordinationDecision,
    PriceCheck,
    ArrivalCheck,
    DispatchConfirmation,
    DispatchCall,
    RiskDecision,
    PurchaseRemedy,
    ReceiptDifference,
    PlanHeadAnswer,
    PoClose,
)
