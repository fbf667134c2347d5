"""Forms of production planning, follow-up, shipping and payment (PROCEDURES.md §3).

生产计划表 (plan lines, each dated and with its done-definition, 001M 2.1.1/2.1.7),
生产协作指令通知单, 采购进货进度计划表, 跨部门工作联系单, 催促单, 交期延误报告,
日报表, 计划变更申请, 缺件记录, 发货通知单, 承运回执, 回款记录 and the small
records the steps between them keep. Repeating rows are ``list[SomeRow]`` fields,
validated row by row and printed as tables.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from forms.base import MAX_QUANTITY, DocumentNo, FormModel, OrderNo, label
from forms.errors import rule_error

SHORT = 200
LONG = 4000

#: What a plan line plans (001M 2.1.1): design (if needed), cooperation, purchases,
#: assembly, packing.
LINES = {
    "design": ("设计", "Design"),
    "cooperation": ("协作加工", "Cooperation"),
    "purchase": ("采购进货", "Purchases"),
    "assembly": ("装配", "Assembly"),
    "packing": ("包装入库", "Packing"),
}

#: Departments a plan line, a 联系单 or a shortage follow-up is given to.
PLAN_DEPARTMENTS = {
    "engineering": ("技术部", "Engineering"),
    "workshop": ("车间", "Workshop"),
    "purchasing": ("采购部", "Purchasing"),
    "outsourcing": ("外协部", "Outsourcing"),
    "material_control": ("物控部", "Material control"),
    "quality": ("质管部", "Quality"),
    "warehouse": ("仓库", "Warehouse"),
    "production": ("生产部", "Production"),
}
PlanDepartment = Literal[
    "engineering",
    "workshop",
    "purchasing",
    "outsourcing",
    "material_control",
    "quality",
    "warehouse",
    "production",
]

#: When a plan line counts as done (001M 2.1.7), the default of each line's ``done``.
DONE_DEFINITIONS = {
    "design": "图纸能指导生产且无明显错误 / drawings guide production without obvious error",
    "cooperation": "电镀或喷涂后入订货公司仓库 / plated or sprayed and in the orderer's store",
    "purchase": "到货入库 / arrived in the store",
    "assembly": "装配完成并检验合格 / assembled and passed QC",
    "packing": "包装好并入库 / packed and stocked",
}


class Row(BaseModel):
    """A repeating row: no unknown keys, text trimmed (as the forms themselves)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PlanLine(Row):
    """One line of the 生产计划表: what, by whom, from when to when, done when, signed by."""

    line: Literal["design", "cooperation", "purchase", "assembly", "packing"] = label(
        "计划项目", "Line", choices=LINES
    )
    department: PlanDepartment = label("责任部门", "Department", choices=PLAN_DEPARTMENTS)
    start: date = label("开始日期", "Start")
    finish: date = label("完成日期", "Finish")
    done: str | None = label("完成标准", "Done when", default=None, max_length=SHORT)
    signer: str = label("负责人签字", "Signed by", max_length=SHORT)

    @model_validator(mode="after")
    def _finish_after_start(self) -> Self:
        if self.finish < self.start:
            raise rule_error("finish", "不得早于开始日期 / must not be before the start")
        if not self.done:
            self.done = DONE_DEFINITIONS[self.line]
        return self


class ProductionPlan(FormModel):
    """生产计划表 (001M 2.1.1; 003 5.3.2): the order's plan, each line dated, with the dates
    the follow-up, packing and dispatch tasks count back from."""

    key = "production_plan"
    title_zh = "生产计划表"
    title_en = "Production plan"
    signatures = (("编制", "Prepared by"), ("会签", "Countersigned"), ("批准", "Approved by"))

    rows: list[PlanLine] = label("计划明细", "Plan lines", min_length=1, max_length=50)
    meeting: Literal["regular", "non_regular"] = label(
        "计划方式",
        "Planned by",
        default="regular",
        choices={
            "regular": ("常规：与车间领导商定（已查零部件库存）", "Regular: with workshop leaders"),
            "non_regular": ("非常规：计划会议会签", "Non-regular: planning meeting"),
        },
    )
    parts_stock_checked: bool = label("已查零部件库存", "Parts stock checked", default=False)
    invite_qa: bool = label("邀请质管部参加计划会", "QA invited to the meeting", default=False)
    planned_start: date = label("计划开工日期", "Planned start")
    packing_date: date = label("计划包装日期", "Packing date")
    dispatch_date: date = label("计划发货日期", "Dispatch date")
    drawings_attached: bool = label(
        "图纸随生产协作指令通知单下发",
        "Drawings go with the cooperation instruction",
        default=False,
    )
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=LONG)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.meeting == "regular" and not self.parts_stock_checked:
            raise rule_error(
                "parts_stock_checked", "常规计划须先查零部件库存 / check parts stock first"
            )
        if self.packing_date < self.planned_start:
            raise rule_error("packing_date", "不得早于开工日期 / not before the planned start")
        if self.dispatch_date < self.packing_date:
            raise rule_error("dispatch_date", "不得早于包装日期 / not before the packing date")
        return self


class PlanStart(FormModel):
    """生产计划任务: the confirmed 生产通知单 reached production (its received-at is "recv")."""

    key = "plan_start"
    title_zh = "生产计划任务"
    title_en = "Planning task"

    order_no: OrderNo = label("订单号", "Order No.")
    #: None: the confirmed notice started planning itself (the clock runs from the start).
    received_at: datetime | None = label("收到生产通知单时间", "Notice received at", default=None)
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=LONG)


class CooperationInstruction(FormModel):
    """生产协作指令通知单 / 生产通知书 / 外委(购)产品订货单 to plants and subcontractors
    (001M 2.1.1; 003 5.3.2), drawings with it."""

    key = "cooperation_instruction"
    title_zh = "生产协作指令通知单"
    title_en = "Production cooperation instruction"

    kind: Literal["plant", "outsourced", "export_outsourced"] = label(
        "单据",
        "Paper",
        choices={
            "plant": ("生产通知书（分厂）", "Production order (plant)"),
            "outsourced": ("外委(购)产品订货单", "Outsourced product order"),
            "export_outsourced": ("出口产品委外订购单", "Export outsourcing order"),
        },
    )
    recipients: str = label("接收单位", "Plants / subcontractors", max_length=SHORT)
    operations: str = label("协作内容", "Operations", long=True, max_length=LONG)
    due_date: date = label("要求完成日期", "Due")
    drawings_attached: bool = label("附图纸", "Drawings attached", default=False)


class PurchaseRow(Row):
    """One line of the 采购进货进度计划表."""

    item: str = label("物料", "Item", max_length=SHORT)
    qty: int = label("数量", "Qty", gt=0, le=MAX_QUANTITY)
    supplier: str = label("供应商（或调拨单位）", "Supplier (or transfer from)", max_length=SHORT)
    due: date = label("到货日期", "Due")


class PlanSignoff(FormModel):
    """会签生产计划 (001W 3.1.3.4; 001M 2.1.2-4): a cooperating head signs and adds their
    part — purchasing its 采购进货进度计划表, engineering its design date."""

    key = "plan_signoff"
    title_zh = "生产计划会签"
    title_en = "Plan countersignature"

    group_stock_checked: bool = label(
        "已查集团库存（调拨或采购）", "Group stock checked (transfer or buy)", default=False
    )
    purchase_rows: list[PurchaseRow] = label(
        "采购进货进度计划表", "Purchase schedule", default_factory=list, max_length=100
    )
    design_done_by: date | None = label("设计完成日期", "Design done by", default=None)
    remarks: str | None = label("意见", "Remarks", default=None, long=True, max_length=LONG)


class PlanObjection(FormModel):
    """异议 (001M 2.1.5): a recipient objects to a plan line within the window."""

    key = "plan_objection"
    title_zh = "计划异议"
    title_en = "Objection to the plan"

    line: Literal["design", "cooperation", "purchase", "assembly", "packing"] = label(
        "计划项目", "Line", choices=LINES
    )
    problem: str = label("异议内容", "Objection", long=True, max_length=LONG)
    proposed_date: date | None = label("建议日期", "Proposed date", default=None)


class ObjectionSettlement(FormModel):
    """异议协调结果 (001M 2.1.5): settled by planning, else decided by the GM."""

    key = "objection_settlement"
    title_zh = "异议协调结果"
    title_en = "Objection settled"

    decision: str = label("协调结果", "Decision", long=True, max_length=LONG)
    moved_delivery_date: date | None = label(
        "交期须变更为（转合同订单管理部）", "Delivery date must move to", default=None
    )


class SequenceAgreement(FormModel):
    """产能冲突排序 (001M 2.1.6): production and merchandising agree the sequence."""

    key = "sequence_agreement"
    title_zh = "产能冲突排产意见"
    title_en = "Capacity conflict: sequence"

    sequence: str = label("排产顺序", "Sequence", long=True, max_length=LONG)
    agrees: bool = label("同意", "Agree", default=True)


class LiaisonSheet(FormModel):
    """跨部门工作联系单 (001M 2.2.2(1)): the problem, its addressee and the due time."""

    key = "liaison_sheet"
    title_zh = "跨部门工作联系单"
    title_en = "Cross-department liaison sheet"

    addressee: PlanDepartment = label("接收部门", "To", choices=PLAN_DEPARTMENTS)
    problem: str = label("问题", "Problem", long=True, max_length=LONG)
    due: datetime = label("要求答复时间", "Answer due")


class LiaisonAnswer(FormModel):
    """跨部门工作联系单答复."""

    key = "liaison_answer"
    title_zh = "联系单答复"
    title_en = "Liaison answer"

    answer: str = label("答复", "Answer", long=True, max_length=LONG)


class PreStartCheck(FormModel):
    """开工前检查 (001M 2.2.2(1)): people, machines, materials, cooperation, purchases, design."""

    key = "prestart_check"
    title_zh = "开工前检查"
    title_en = "Pre-start check"

    people: bool = label("人员到位", "People", default=False)
    machines: bool = label("设备正常", "Machines", default=False)
    materials: bool = label("物料齐套", "Materials", default=False)
    cooperation: bool = label("协作件到位", "Cooperation parts", default=False)
    purchases: bool = label("外购件到位", "Purchases", default=False)
    design: bool = label("图纸资料齐全", "Design", default=False)
    remarks: str | None = label("备注", "Remarks", default=None, max_length=LONG)

    @model_validator(mode="after")
    def _all_ready(self) -> Self:
        for name in ("people", "machines", "materials", "cooperation", "purchases", "design"):
            if not getattr(self, name):
                raise rule_error(
                    name, "未就绪：请发跨部门工作联系单 / not ready: raise a liaison sheet"
                )
        return self


class DailyRow(Row):
    """One order's line of the workshop 日报表."""

    order: str = label("订单号", "Order", max_length=40)
    planned: int = label("计划数", "Planned", ge=0, le=MAX_QUANTITY)
    done: int = label("完成数", "Done", ge=0, le=MAX_QUANTITY)


class DailyReport(FormModel):
    """车间日报表 to the dispatcher (001J 3.2.1; 001W 3.3.2.2.7)."""

    key = "daily_report"
    title_zh = "车间日报表"
    title_en = "Workshop daily report"

    day: date = label("日期", "Day")
    rows: list[DailyRow] = label("日报明细", "Lines", min_length=1, max_length=100)
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=LONG)


class PlanChangeRequest(FormModel):
    """计划变更申请 (001J 3.2.3): written request, the dispatcher reviews, production approves."""

    key = "plan_change_request"
    title_zh = "计划变更申请"
    title_en = "Plan change request"

    line: Literal["design", "cooperation", "purchase", "assembly", "packing"] = label(
        "计划项目", "Line", choices=LINES
    )
    reason: str = label("变更原因", "Reason", long=True, max_length=LONG)
    new_finish: date = label("建议完成日期", "Proposed finish")


class OutsourcingProposal(FormModel):
    """外协建议 (001M 2.2.2(3)): cannot make or buy in time; the company GM proposes."""

    key = "outsourcing_proposal"
    title_zh = "外协建议"
    title_en = "Outsourcing proposal"

    work: str = label("外协内容", "Work", long=True, max_length=LONG)
    reason: str = label("原因", "Reason", long=True, max_length=LONG)
    subcontractor: str | None = label("建议外协厂", "Subcontractor", default=None, max_length=SHORT)


class RemedyRecord(FormModel):
    """纠偏措施 (001M 2.2.1; 2.2.2(4)): the deviation and what is done about it."""

    key = "remedy_record"
    title_zh = "进度偏差及补救措施"
    title_en = "Deviation and remedy"

    deviation: str = label("偏差", "Deviation", long=True, max_length=LONG)
    measures: str = label("补救措施", "Remedy", long=True, max_length=LONG)


class UrgeNote(FormModel):
    """催促单 (000/4 三.13): the final deadline, to the production manager and the GM (or
    生产副总); the customer has been told."""

    key = "urge_note"
    title_zh = "催促单"
    title_en = "Urging note"
    signatures = (("跟单员", "Merchandiser"), ("生产部经理", "Production"), ("总经理", "GM"))

    final_deadline: date = label("最后期限", "Final deadline")
    content: str = label("催促内容", "What is late", long=True, max_length=LONG)
    customer_told: bool = label("已告知客户", "Customer told", default=False)

    @model_validator(mode="after")
    def _customer_first(self) -> Self:
        if not self.customer_told:
            raise rule_error("customer_told", "须先告知客户 / tell the customer first")
        return self


class DelayReport(FormModel):
    """交期延误报告 (000/4 三.14): cause and the new date, to the sales head or GM."""

    key = "delay_report"
    title_zh = "交期延误报告"
    title_en = "Delivery delay report"

    cause: str = label("延误原因", "Cause", long=True, max_length=LONG)
    new_date: date = label("新交期", "New date")
    report_to: Literal["sales_head", "general_manager"] = label(
        "报送",
        "To",
        choices={"sales_head": ("业务主管", "Sales head"), "general_manager": ("总经理", "GM")},
    )


class FgReceipt(FormModel):
    """成品入库单 (001M 2.1.7; 001T 7): QC passed, packed, accessories and papers complete."""

    key = "fg_receipt"
    title_zh = "成品入库单"
    title_en = "Finished-goods receipt"

    quantity: int = label("入库数量", "Quantity", gt=0, le=MAX_QUANTITY)
    qc_passed: bool = label("检验合格", "QC passed", default=False)
    accessories_complete: bool = label("配件齐全", "Accessories complete", default=False)
    documents_complete: bool = label("随机资料齐全", "Documents complete", default=False)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        for name in ("qc_passed", "accessories_complete", "documents_complete"):
            if not getattr(self, name):
                raise rule_error(name, "入库前须齐备 / required before stocking")
        return self


class ShortageRow(Row):
    """One missing part (缺件记录)."""

    item: str = label("缺件", "Item", max_length=SHORT)
    qty: int = label("数量", "Qty", gt=0, le=MAX_QUANTITY)


class ShortageRecord(FormModel):
    """缺件记录 (001M 2.2.2(6)): what is short, and who follows it up."""

    key = "shortage_record"
    title_zh = "缺件记录"
    title_en = "Shortage record"

    rows: list[ShortageRow] = label("缺件明细", "Missing parts", min_length=1, max_length=100)
    follow_up: PlanDepartment = label("跟进部门", "Followed up by", choices=PLAN_DEPARTMENTS)


class CustomerConsent(FormModel):
    """客户同意缺件发货 (001M 2.2.2(6)), through sales."""

    key = "customer_consent"
    title_zh = "客户意见（缺件发货）"
    title_en = "Customer answer (short shipment)"

    consents: bool = label("客户同意缺件发货", "Customer consents", default=False)
    contact: str = label("客户联系人", "Customer contact", max_length=SHORT)


class MakeGood(FormModel):
    """缺件补发: the missing parts arrived and were sent."""

    key = "make_good"
    title_zh = "缺件补发"
    title_en = "Missing parts sent"

    sent_on: date = label("补发日期", "Sent on")
    waybill: str | None = label("运单号", "Waybill", default=None, max_length=SHORT)


class ShipRow(Row):
    """One line of the 发货通知单."""

    item: str = label("品名", "Item", max_length=SHORT)
    spec: str = label("规格", "Spec", max_length=SHORT)
    qty: int = label("数量", "Qty", gt=0, le=MAX_QUANTITY)
    spares: int = label("备品备件", "Spares", default=0, ge=0, le=MAX_QUANTITY)


class ShippingNotice(FormModel):
    """发货通知单 (001M 3.1): after checking the contract and payment; to the FG store and
    logistics, with the arrival time and place."""

    key = "shipping_notice"
    title_zh = "发货通知单"
    title_en = "Shipping notice"
    signatures = (("跟单员", "Merchandiser"), ("成品库", "FG store"), ("储运部", "Logistics"))

    rows: list[ShipRow] = label("发货明细", "Goods", min_length=1, max_length=100)
    arrival_time: datetime = label("到货时间", "Arrival time")
    place: str = label("到货地点", "Place", max_length=500)
    contract_checked: bool = label("已核对合同", "Contract checked", default=False)
    payment_checked: bool = label("已核对货款", "Payment checked", default=False)

    @model_validator(mode="after")
    def _checked(self) -> Self:
        for name in ("contract_checked", "payment_checked"):
            if not getattr(self, name):
                raise rule_error(name, "发货前须核对 / check before shipping")
        return self


class GoodsCheck(FormModel):
    """成品确认 (001M 3.2(1)): the FG store confirms, labels and packs the goods."""

    key = "goods_check"
    title_zh = "成品确认"
    title_en = "Goods confirmed"

    quantity: int = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)
    labelled: bool = label("已贴标识", "Labelled", default=False)
    packed: bool = label("已包装", "Packed", default=False)


class CarrierReceipt(FormModel):
    """承运回执 (001M 3.2(2)): carrier booked, goods sent, the signed receipt back."""

    key = "carrier_receipt"
    title_zh = "承运回执"
    title_en = "Carrier receipt"

    carrier: str = label("承运单位", "Carrier", max_length=SHORT)
    waybill: DocumentNo = label("运单号", "Waybill No.")
    sent_at: datetime = label("发运时间", "Sent at")
    eta: date = label("预计到达", "ETA")


class SlipReport(FormModel):
    """发运延误报告 (001M 3.2(2)): reason, new time, ETA, reported the same day."""

    key = "slip_report"
    title_zh = "发运延误报告"
    title_en = "Dispatch slip"

    reason: str = label("原因", "Reason", long=True, max_length=LONG)
    new_time: datetime = label("新发运时间", "New dispatch time")
    eta: date = label("预计到达", "ETA")


class DeliveryConfirmation(FormModel):
    """到货确认 (001M 3.3(1)): customer phoned, sales ledger posted, salesperson reminded."""

    key = "delivery_confirmation"
    title_zh = "到货确认"
    title_en = "Delivery confirmed"

    received_on: date = label("客户收货日期", "Received on")
    payment_due: date = label("合同付款日期", "Contract payment date")
    ledger_posted: bool = label("已登销售台账", "Sales ledger posted", default=False)
    salesperson_reminded: bool = label(
        "已提醒业务员取回发货回执", "Salesperson reminded of the receipt", default=False
    )

    @model_validator(mode="after")
    def _posted(self) -> Self:
        if not self.ledger_posted:
            raise rule_error("ledger_posted", "须登台账 / post the ledger")
        return self


class Investigation(FormModel):
    """未收到货调查 (001M 3.3(2)): logistics investigates, the customer is answered."""

    key = "investigation"
    title_zh = "未到货调查"
    title_en = "Not received: investigation"

    finding: str = label("调查结果", "Finding", long=True, max_length=LONG)
    answer_to_customer: str = label(
        "答复客户", "Answer to the customer", long=True, max_length=LONG
    )


class PaymentChase(FormModel):
    """催款 (001M 4.2; 001T 9): finance reminds the salesperson, who chases the customer."""

    key = "payment_chase"
    title_zh = "催款记录"
    title_en = "Payment chase"

    salesperson: str = label("业务员", "Salesperson", max_length=SHORT)
    invoice_checked: bool = label("已核对发票", "Invoice checked", default=False)
    customer_answer: str | None = label(
        "客户答复", "Customer answer", default=None, long=True, max_length=LONG
    )


class Remittance(FormModel):
    """回款记录 (001M 4.2): what the customer paid; paid in full ends the chase."""

    key = "remittance"
    title_zh = "回款记录"
    title_en = "Payment received"

    amount: Decimal = label("回款金额", "Amount", gt=0, max_digits=14, decimal_places=2)
    received_on: date = label("到账日期", "Received on")
    paid_in_full: bool = label("货款已全部收回", "Paid in full", default=False)
    reference: str | None = label("凭证号", "Reference", default=None, max_length=SHORT)


PLAN_FORMS: tuple[type[FormModel], ...] = (
    PlanStart,
    ProductionPlan,
    CooperationInstruction,
    PlanSignoff,
    PlanObjection,
    ObjectionSettlement,
    SequenceAgreement,
    LiaisonSheet,
    LiaisonAnswer,
    PreStartCheck,
    DailyReport,
    PlanChangeRequest,
    OutsourcingProposal,
    RemedyRecord,
    UrgeNote,
    DelayReport,
    FgReceipt,
    ShortageRecord,
    CustomerConsent,
    MakeGood,
    ShippingNotice,
    GoodsCheck,
    CarrierReceipt,
    SlipReport,
    DeliveryConfirmation,
    Investigation,
    PaymentChase,
    Remittance,
)
