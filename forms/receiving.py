"""Forms of receiving, incoming inspection and supplier returns (PROCEDURES.md §5h, §8c;
003 5.6.1-5.6.7, 6).

送货到货登记 (a supplier's delivery at the gate), 送货单登记 with its rows (PO line, item,
quantity on the note, counted, weighed: the three-way match PO / 送货单 / goods), the IQC
report per line (来料检验: accepted, rejected, defect; its rejects are the 来料检验验退报告),
the 来料入库单 IQC stamps, MC's handling of a mismatch or a failed lot (挑选使用 agreed with
IQC), the supplier return (来料检验验退报告 and 物料退库单 rows [item, qty, defect]), and the
storage anomaly (数量差异或品质异常). Whether a PO exists and how much of its line is open is
checked by ``gendan.receiving`` when the move is made (a form knows no database).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from forms.base import MAX_QUANTITY, DocumentNo, FormModel, OrderNo, label
from forms.errors import rule_error

SHORT = 200
LONG = 4000


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DeliveryArrival(FormModel):
    """送货到货登记: the supplier is at the gate with goods and a 送货单 (003 5.6.1); the
    arrival time is when MC's 30-minute registration runs from."""

    key = "delivery_arrival"
    title_zh = "送货到货登记"
    title_en = "Delivery arrival"

    supplier: str = label("供应商", "Supplier", min_length=1, max_length=SHORT)
    delivery_note_no: DocumentNo = label("送货单号", "Delivery note No.")
    po_no: DocumentNo | None = label("采购单号（送货单所列）", "PO No. (as on the note)",
                                     default=None)  # fmt: skip
    received_at: datetime = label("到货时间", "Arrived at")
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=LONG)


class ReceiptRow(Row):
    """One row of the 送货单登记: the PO line, what the note says, what was counted and weighed."""

    line_no: int = label("采购单行号", "PO line", ge=1, le=999)
    item_code: str = label("物料代码", "Item code", min_length=1, max_length=60)
    note_qty: float = label("送货单数量", "Qty on the note", gt=0, le=MAX_QUANTITY)
    qty: float = label("实收数量（库存单位）", "Counted (stock unit)", gt=0, le=MAX_QUANTITY)
    weight: float = label("实称重量（结算单位）", "Weighed (settlement unit)", default=0,
                          ge=0, le=MAX_QUANTITY)  # fmt: skip


class ReceiptRegistration(FormModel):
    """送货单登记 (003 5.6.1; 002 1.2.10, 1.2.7): MC checks and registers the delivery note
    against the 采购单; the keeper's count and weight are the goods. Nothing is received
    without a PO or above a PO line's open quantity."""

    key = "receipt_registration"
    title_zh = "送货单登记"
    title_en = "Delivery note registration"
    signatures = (("物控", "MC"), ("仓管", "Warehouse keeper"))

    po_no: DocumentNo = label("采购单号", "PO No.")
    delivery_note_no: DocumentNo = label("送货单号", "Delivery note No.")
    rows: list[ReceiptRow] = label("送货明细", "Lines", min_length=1, max_length=100)
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=LONG)


class MismatchMeasures(FormModel):
    """物控处理措施: PO, note and goods disagree (short delivery, weight off the factor)."""

    key = "mismatch_measures"
    title_zh = "三方核对不符处理"
    title_en = "Mismatch measures"

    measures: str = label("处理措施", "Measures", long=True, max_length=LONG,
                          placeholder="短少由供应商补送；按实称重量结算")  # fmt: skip
    buyer_told: bool = label("已通知采购员", "Buyer told", default=False)


class IqcRow(Row):
    """One received line as IQC judged it."""

    line_no: int = label("采购单行号", "PO line", ge=1, le=999)
    item_code: str = label("物料代码", "Item code", min_length=1, max_length=60)
    accepted: float = label("合格数", "Accepted", ge=0, le=MAX_QUANTITY)
    rejected: float = label("不合格数", "Rejected", default=0, ge=0, le=MAX_QUANTITY)
    defect: str | None = label("不良描述", "Defect", default=None, max_length=SHORT)

    @model_validator(mode="after")
    def _defect_named(self) -> Self:
        if self.rejected > 0 and not self.defect:
            raise rule_error("defect", "name the defect of the rejects / 请填写不良描述")
        return self


class IqcReport(FormModel):
    """来料检验 (003 5.6.3-5.6.4): per received line accepted and rejected; a lot with rejects
    is the 来料检验验退报告."""

    key = "iqc_report"
    title_zh = "来料检验报告"
    title_en = "Incoming inspection report"
    signatures = (("IQC", "IQC"), ("物控", "MC"))

    rows: list[IqcRow] = label("检验明细", "Lines", min_length=1, max_length=100)
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=LONG)

    @property
    def all_passed(self) -> bool:
        return all(r.rejected == 0 for r in self.rows)


class IncomingRow(Row):
    item_code: str = label("物料代码", "Item code", max_length=60)
    qty: float = label("数量", "Count", ge=0, le=MAX_QUANTITY)
    weight: float = label("重量", "Weight", default=0, ge=0, le=MAX_QUANTITY)
    iqc: str = label("IQC", "IQC", max_length=40)


class IncomingReceipt(FormModel):
    """来料入库单 (003 5.6.3, 6): stamped 合格 by IQC; rows [item, count, weight, IQC]."""

    key = "incoming_receipt"
    title_zh = "来料入库单"
    title_en = "Incoming goods receipt"
    signatures = (("仓管", "Warehouse keeper"), ("IQC 合格章", "IQC passed"))

    receipt_no: str = label("入库单号", "Receipt No.", max_length=40)
    po_no: str = label("采购单号", "PO No.", max_length=100)
    supplier: str = label("供应商", "Supplier", max_length=SHORT)
    rows: list[IncomingRow] = label("入库明细", "Lines", min_length=1, max_length=100)


class FailedLotDisposition(FormModel):
    """物控处理检验不良 (003 5.6.3): the rejects go back to the supplier (→ §8c)."""

    key = "failed_lot"
    title_zh = "检验不良处理"
    title_en = "Failed lot disposition"

    buyer_told: bool = label("已通知采购员", "Buyer told", default=False)
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=LONG)


class PickAndUse(FormModel):
    """挑选使用 (003 5.6.3): an urgently needed lot partly bad — MC and IQC agree to receive it,
    pick the good ones for production and return the bad to the supplier."""

    key = "pick_and_use"
    title_zh = "急料挑选使用"
    title_en = "Pick and use"

    iqc_agreed: bool = label("IQC 已同意挑选使用", "IQC agreed", default=False)
    inspector: str = label("同意的检验员", "Inspector who agreed", min_length=1, max_length=SHORT)
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=LONG)

    @model_validator(mode="after")
    def _agreed(self) -> Self:
        if not self.iqc_agreed:
            raise rule_error("iqc_agreed", "pick-and-use needs IQC's agreement / 须与IQC协商同意")
        return self


class ReturnRow(Row):
    """One row of the 物料退库单: item, quantity, defect."""

    item_code: str = label("物料", "Item", min_length=1, max_length=200)
    qty: float = label("数量", "Qty", gt=0, le=MAX_QUANTITY)
    defect: str = label("不良描述", "Defect", min_length=1, max_length=SHORT)
    po_line_id: int | None = label("采购单行", "PO line id", default=None, ge=1)


class ReturnReport(FormModel):
    """来料检验验退报告 + 物料退库单 (003 5.6.4): what goes back to the supplier; the report's
    time starts the 3-5 days of 退补货."""

    key = "return_report"
    title_zh = "来料检验验退报告"
    title_en = "Incoming inspection return report"
    signatures = (("IQC", "IQC"), ("仓管", "Warehouse keeper"), ("物控", "MC"))

    supplier: str = label("供应商", "Supplier", min_length=1, max_length=SHORT)
    po_no: str | None = label("采购单号", "PO No.", default=None, max_length=100)
    receipt_no: str | None = label("入库单号", "Receipt No.", default=None, max_length=40)
    order_no: OrderNo | None = label("订单号", "Order No.", default=None)
    received_at: datetime = label("验退报告时间", "Report issued at")
    from_stock: bool = label("货在库存中（退货出库）", "Goods are in stock (moved out)",
                             default=False)  # fmt: skip
    rows: list[ReturnRow] = label("物料退库单", "Return lines", min_length=1, max_length=100)
    remarks: str | None = label("备注", "Remarks", default=None, long=True, max_length=LONG)


class GoodsReturned(FormModel):
    """退料出货 (003 5.6.4): the keeper sent the goods back; the 物料退库单 went to MC."""

    key = "goods_returned"
    title_zh = "退料出货"
    title_en = "Goods returned"

    returned_at: datetime = label("退货时间", "Returned at")
    slip_to_mc: bool = label("物料退库单已交物控", "Return slip given to MC", default=False)
    carrier: str | None = label("承运/带回人", "Carrier", default=None, max_length=SHORT)

    @model_validator(mode="after")
    def _slip(self) -> Self:
        if not self.slip_to_mc:
            raise rule_error("slip_to_mc", "give the 物料退库单 to MC / 须将物料退库单传物控")
        return self


class ReturnSettled(FormModel):
    """退补货完成 (003 5.6.4): the supplier replaced the goods or credited them."""

    key = "return_settled"
    title_zh = "退补货完成"
    title_en = "Return settled"

    outcome: Literal["replaced", "credited", "partly"] = label(
        "结果", "Outcome",
        choices={
            "replaced": ("已补货", "Replaced"),
            "credited": ("退货不补（扣款）", "Credited, not replaced"),
            "partly": ("部分补货", "Partly replaced"),
        },
    )  # fmt: skip
    supplier_answer: str = label("供应商答复", "Answer from the supplier", max_length=LONG,
                                 long=True)  # fmt: skip


class StorageAnomaly(FormModel):
    """仓储异常 (003 5.6.7): a count difference or quality problem found in storage."""

    key = "storage_anomaly"
    title_zh = "仓储异常知会单"
    title_en = "Storage anomaly"

    item_code: str = label("物料代码", "Item code", min_length=1, max_length=60)
    received_at: datetime = label("发现时间", "Found at")
    kind: Literal["quantity", "quality"] = label(
        "异常", "Anomaly",
        choices={"quantity": ("数量差异", "Quantity difference"),
                 "quality": ("品质异常", "Quality problem")},
    )  # fmt: skip
    qty: float = label("差异/不良数量", "Quantity affected", gt=0, le=MAX_QUANTITY)
    description: str = label("说明", "Description", long=True, max_length=LONG)


class Replenished(FormModel):
    """补料 (003 5.6.7): what MC did so production is not short."""

    key = "replenished"
    title_zh = "补料处理"
    title_en = "Replenishment"

    action: str = label("补料措施", "Action", long=True, max_length=LONG)


RECEIVING_FORMS: tuple[type[FormModel], ...] = (
    DeliveryArrival,
    ReceiptRegistration,
    MismatchMeasures,
    IqcReport,
    IncomingReceipt,
    FailedLotDisposition,
    PickAndUse,
    ReturnReport,
    GoodsReturned,
    ReturnSettled,
    StorageAnomaly,
    Replenished,
)
