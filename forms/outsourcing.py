"""Forms of outsourcing 委外 / 外协 (PROCEDURES.md §6; 001W 3.5, 002 3.4.8-3.4.9, 003 5.7.8-9).

外协签批单 (the proposal the company GM signs, the group GM approves), 外购/外加工计划 from the
BOM, the contract, and the papers of both levels: material-level 委外订单, 材料出库单, 委外到货单,
检验单/不良品处理单, 到货退回单, 采购入库单, 委外发票; operation-level 委外加工单 (operation, qty,
price), 上道工序完工, 委外发料单, 委外收料单 + 报检单; the subcontractor's pick-up list and the
外协物料调拨单; the monthly 委外挂账单 and 余料明细清单. Item and subcontractor codes are checked
against the master data when the move is made (``gendan.outsourcing``; a form knows no
database).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from forms.base import MAX_QUANTITY, DocumentNo, FormModel, label
from forms.errors import rule_error

SHORT = 200
LONG = 4000

#: 001W 3.5.1.1-3.5.1.3: when outsourcing may be proposed.
REASONS = {
    "capacity": ("人员、设备不足，生产能力已饱和", "Capacity saturated (people, machines)"),
    "special": ("产品有特殊要求，公司无法满足", "A requirement the company cannot meet"),
    "better": ("协作厂有专门技术，质量较佳且价格较廉", "Subcontractor better and cheaper"),
}
#: 002 1.2.6 / 3.4.9 说明 2: material-level (other item back) or operation-level (same item).
LEVELS = {
    "material": ("物料级委外（加工前后为不同物料）", "Material-level (another item comes back)"),
    "operation": ("工序外协（加工前后为同一物料）", "Operation-level (the same item comes back)"),
}


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ItemQty(Row):
    """[item, qty]: rows of 材料出库单, 委外发料单, 委外到货单, 到货退回单, 采购入库单, 调拨单."""

    item_code: str = label("物料代码", "Item code", min_length=1, max_length=60)
    qty: float = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)


class PlanRow(Row):
    item_code: str = label("物料代码", "Item code", min_length=1, max_length=60)
    qty: float = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)
    need_date: date = label("需求日期", "Needed by")


class OrderRow(Row):
    """A line of the 委外订单: what comes back, how many, at what processing price."""

    item_code: str = label("委外产品代码", "Product code", min_length=1, max_length=60)
    qty: float = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)
    price: float = label("加工单价", "Processing price", ge=0, le=MAX_QUANTITY)
    due: date = label("交货日期", "Due")


class InspectionRow(Row):
    """检验单/不良品处理单 (002 3.4.8 step 4, 3.4.9 step 7): good, 工废, 料废, loss, disposal."""

    item_code: str = label("物料代码", "Item code", min_length=1, max_length=60)
    good: float = label("合格", "Good", ge=0, le=MAX_QUANTITY)
    scrap_work: float = label("工废", "Scrap (work)", default=0, ge=0, le=MAX_QUANTITY)
    scrap_material: float = label("料废", "Scrap (material)", default=0, ge=0, le=MAX_QUANTITY)
    loss: float = label("非合理损耗", "Unreasonable loss", default=0, ge=0, le=MAX_QUANTITY)
    disposal: str | None = label("不良品处理", "Disposal", default=None, max_length=SHORT)


class StatementRow(Row):
    """委外挂账单 row (002 3.4.9 step 8): the month's work of one item at one price."""

    item_code: str = label("物料代码", "Item code", min_length=1, max_length=60)
    operation: str | None = label("工序", "Operation", default=None, max_length=SHORT)
    good: float = label("合格", "Good", ge=0, le=MAX_QUANTITY)
    scrap_work: float = label("工废", "Scrap (work)", default=0, ge=0, le=MAX_QUANTITY)
    scrap_material: float = label("料废", "Scrap (material)", default=0, ge=0, le=MAX_QUANTITY)
    loss: float = label("非合理损耗", "Unreasonable loss", default=0, ge=0, le=MAX_QUANTITY)
    price: float = label("单价", "Price", ge=0, le=MAX_QUANTITY)
    amount: float = label("金额", "Amount", ge=0, le=MAX_QUANTITY * 1000)


class LeftoverRow(Row):
    """余料明细清单 row (003 5.7.9): what the subcontractor says it still holds."""

    item_code: str = label("物料代码", "Item code", min_length=1, max_length=60)
    qty: float = label("余料数量", "Leftover", ge=0, le=MAX_QUANTITY)


class OutsourcingRequest(FormModel):
    """外协签批单 (001W 3.5.1; 001M 2.2.2(3)): the company GM proposes, the group GM approves."""

    key = "outsourcing_request"
    title_zh = "外协签批单"
    title_en = "Outsourcing request"
    signatures = (("总经理提议", "Proposed by the GM"), ("集团总经理批准", "Group GM approves"))

    orders: str | None = label(
        "服务订单号（多个以逗号分隔）", "Orders served (comma separated)", default=None,
        max_length=SHORT,
    )  # fmt: skip
    reason: Literal["capacity", "special", "better"] = label(
        "外协原因", "Reason", choices=REASONS
    )
    work: str = label("外协内容", "Work", long=True, min_length=1, max_length=LONG)
    level: Literal["material", "operation"] | None = label(
        "委外方式", "Level", default=None, choices=LEVELS
    )
    subcontractor_code: str | None = label(
        "建议外协厂代码", "Proposed subcontractor code", default=None, max_length=60
    )
    remarks: str | None = label("说明", "Remarks", default=None, long=True, max_length=LONG)


class OutsourcingPlan(FormModel):
    """外购、外加工计划 (001W 3.5.2.2): from R&D's BOM after the order review."""

    key = "outsourcing_plan"
    title_zh = "外购、外加工计划"
    title_en = "Outsourcing plan"

    level: Literal["material", "operation"] = label("委外方式", "Level", choices=LEVELS)
    subcontractor_code: str = label("外协厂代码", "Subcontractor code", min_length=1, max_length=60)
    bom_parent: str | None = label("BOM 父项", "BOM parent item", default=None, max_length=60)
    bom_reviewed: bool = label(
        "已按研发部 BOM 编制（订单已评审）",
        "Made from the engineering BOM (order reviewed)",
        default=False,
    )
    rows: list[PlanRow] = label("计划明细", "Plan lines", min_length=1, max_length=100)

    @model_validator(mode="after")
    def _from_bom(self) -> Self:
        if not self.bom_reviewed:
            raise rule_error(
                "bom_reviewed", "须按研发部提供的 BOM 编制 / must be made from R&D's BOM"
            )
        return self


class OutsourcingContract(FormModel):
    """外协合同 (001W 3.5.2.3): signed by the company's leadership."""

    key = "outsourcing_contract"
    title_zh = "外协（外购、外加工）合同"
    title_en = "Outsourcing contract"

    contract_no: DocumentNo = label("合同号", "Contract No.")
    technical_agreement: DocumentNo = label("技术协议号", "Technical agreement No.")
    amount: float | None = label("合同金额", "Amount", default=None, ge=0, le=MAX_QUANTITY * 1000)


class OutsourcingOrder(FormModel):
    """委外订单 (002 3.4.8 step 1): what the subcontractor makes and the material sent."""

    key = "outsourcing_order"
    title_zh = "委外订单"
    title_en = "Outsourcing order"

    rows: list[OrderRow] = label("委外产品", "Products", min_length=1, max_length=50)
    materials: list[ItemQty] = label("发出材料", "Materials sent", min_length=1, max_length=50)


class SubcontractorConfirmation(FormModel):
    """外协厂确认委外订单 (002 3.4.8 step 2 委外商确认后)."""

    key = "subcontractor_confirmation"
    title_zh = "外协厂确认"
    title_en = "Subcontractor confirmation"

    confirmed_on: date = label("确认日期", "Confirmed on")
    contact: str = label("确认人", "Confirmed by", min_length=1, max_length=SHORT)


class MaterialIssueNote(FormModel):
    """材料出库单 (002 3.4.8 step 2): the warehouse issues the material to the subcontractor."""

    key = "outsourcing_material_issue"
    title_zh = "材料出库单"
    title_en = "Material issue note"

    rows: list[ItemQty] = label("出库明细", "Issued", min_length=1, max_length=50)


class ArrivalNote(FormModel):
    """委外到货单 (002 3.4.8 step 3) / 委外收料单 + 报检单 (3.4.9 step 6)."""

    key = "outsourcing_arrival"
    title_zh = "委外到货单 / 委外收料单"
    title_en = "Arrival note"

    delivery_note_no: DocumentNo | None = label("送货单号", "Delivery note No.", default=None)
    rows: list[ItemQty] = label("到货明细", "Arrived", min_length=1, max_length=50)


class OutsourcingInspection(FormModel):
    """检验单/不良品处理单 (002 3.4.8 step 4; 3.4.9 step 7)."""

    key = "outsourcing_inspection"
    title_zh = "检验单 / 不良品处理单"
    title_en = "Inspection and defect record"

    rows: list[InspectionRow] = label("检验明细", "Inspected", min_length=1, max_length=50)
    remarks: str | None = label("检验意见", "Remarks", default=None, long=True, max_length=LONG)


class ArrivalReturn(FormModel):
    """到货退回单 (002 3.4.8 step 5): failed goods back to the subcontractor (→ §8c)."""

    key = "outsourcing_return"
    title_zh = "到货退回单"
    title_en = "Return of arrived goods"

    rows: list[ItemQty] = label("退回明细", "Returned", min_length=1, max_length=50)
    reason: str = label("退回原因", "Reason", long=True, min_length=1, max_length=LONG)


class OutsourcingReceipt(FormModel):
    """采购入库单 (002 3.4.8 step 6): the inspected good quantity into stock."""

    key = "outsourcing_receipt"
    title_zh = "采购入库单（委外）"
    title_en = "Stock receipt (outsourced)"

    rows: list[ItemQty] = label("入库明细", "Received into stock", min_length=1, max_length=50)


class OutsourcingInvoice(FormModel):
    """委外发票 (002 3.4.8 step 7; 3.4.9 steps 9-10): the processing-fee invoice."""

    key = "outsourcing_invoice"
    title_zh = "委外发票"
    title_en = "Outsourcing invoice"

    invoice_no: DocumentNo = label("发票号", "Invoice No.")
    amount: float = label("加工费金额", "Processing fee", gt=0, le=MAX_QUANTITY * 1000)


class ProcessOrder(FormModel):
    """委外加工单 (002 3.4.9 step 3): the operation, quantity and price; issued in batches."""

    key = "process_order"
    title_zh = "委外加工单"
    title_en = "Operation outsourcing order"

    item_code: str = label("物料代码", "Item code", min_length=1, max_length=60)
    operation: str = label("委外工序", "Operation", min_length=1, max_length=SHORT)
    previous_operation: str = label("上道工序", "Previous operation", max_length=SHORT)
    qty: float = label("数量", "Quantity", gt=0, le=MAX_QUANTITY)
    price: float = label("加工单价", "Price", ge=0, le=MAX_QUANTITY)
    issue_batch: float = label("发出批量", "Issue batch", gt=0, le=MAX_QUANTITY)

    @model_validator(mode="after")
    def _batch_within(self) -> Self:
        if self.issue_batch > self.qty:
            raise rule_error("issue_batch", "不得大于数量 / must not exceed the quantity")
        return self


class ProcessIssue(FormModel):
    """委外发料单 (002 3.4.9 step 4): the batch the subcontractor takes from the workshop."""

    key = "process_issue"
    title_zh = "委外发料单"
    title_en = "Operation material issue"

    rows: list[ItemQty] = label("发料明细", "Issued", min_length=1, max_length=50)


class OperationProgress(FormModel):
    """上道工序完工 (002 3.4.9 step 4): the previous operation's done quantity so far."""

    key = "operation_progress"
    title_zh = "上道工序完工数量"
    title_en = "Previous operation done"

    done_qty: float = label("累计完工数量", "Done so far", ge=0, le=MAX_QUANTITY)


class PickupList(FormModel):
    """外协厂调拨明细 (003 5.7.8): faxed to MC the day before the pick-up."""

    key = "pickup_list"
    title_zh = "外协厂调拨明细"
    title_en = "Subcontractor pick-up list"

    list_no: DocumentNo = label("调拨明细单号（传真号）", "List No. (fax)")
    subcontractor_code: str = label("外协厂代码", "Subcontractor code", min_length=1, max_length=60)
    received_at: datetime = label("收到时间", "Received at")
    pickup_date: date = label("调料日期", "Pick-up date")
    rows: list[ItemQty] = label("调拨明细", "Items", min_length=1, max_length=100)

    @model_validator(mode="after")
    def _next_day(self) -> Self:
        if self.pickup_date <= self.received_at.date():
            raise rule_error(
                "pickup_date", "须晚于收到日期（前一天传真）/ must be after the day received"
            )
        return self


class TransferNote(FormModel):
    """外协物料调拨单 (003 5.7.8): the arrived items only; the warehouse prepares them."""

    key = "transfer_note"
    title_zh = "外协物料调拨单"
    title_en = "Subcontract material transfer note"

    rows: list[ItemQty] = label("调拨明细", "Items", min_length=1, max_length=100)
    not_arrived: str | None = label(
        "未到物料", "Not arrived (not transferred)", default=None, long=True, max_length=LONG
    )


class StatementStart(FormModel):
    """The month a subcontractor's statement covers (started by the schedule)."""

    key = "outsourcing_statement_start"
    title_zh = "外协月结"
    title_en = "Subcontractor month"

    subcontractor_code: str = label("外协厂代码", "Subcontractor code", min_length=1, max_length=60)
    period: str = label("月份", "Month", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    received_at: datetime = label("月末", "Month end")
    #: [A] the month's receipts and the book leftovers, filled in when the instance starts.
    rows: list[StatementRow] = label("本月挂账（计算）", "Work of the month (computed)", default=[])
    leftovers: list[LeftoverRow] = label(
        "账面余料（计算）", "Book leftovers (computed)", default=[]
    )


class OutsourcingStatement(FormModel):
    """委外挂账单 (002 3.4.9 step 8): the period's good, 工废, 料废, loss, price and amount."""

    key = "outsourcing_statement"
    title_zh = "委外挂账单"
    title_en = "Subcontractor statement"

    rows: list[StatementRow] = label("挂账明细", "Lines", default=[], max_length=200)
    remarks: str | None = label("说明", "Remarks", default=None, long=True, max_length=LONG)


class LeftoverList(FormModel):
    """余料明细清单 (003 5.7.9): the subcontractor's leftovers as it reports them."""

    key = "leftover_list"
    title_zh = "余料明细清单"
    title_en = "Leftover list"

    reported: list[LeftoverRow] = label("外协厂回传余料", "Reported by the subcontractor",
                                        default=[], max_length=200)  # fmt: skip
    remarks: str | None = label("说明", "Remarks", default=None, long=True, max_length=LONG)


OUTSOURCING_FORMS: tuple[type[FormModel], ...] = (
    OutsourcingRequest,
    OutsourcingPlan,
    OutsourcingContract,
    OutsourcingOrder,
    SubcontractorConfirmation,
    MaterialIssueNote,
    ArrivalNote,
    OutsourcingInspection,
    ArrivalReturn,
    OutsourcingReceipt,
    OutsourcingInvoice,
    ProcessOrder,
    ProcessIssue,
    OperationProgress,
    PickupList,
    TransferNote,
    StatementStart,
    OutsourcingStatement,
    LeftoverList,
)
