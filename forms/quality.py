"""质量异常记录: a quality exception as the inspector records and classifies it (PROCEDURES.md §9).

Choice: the seeds name no form for this (001M 2.2.5(2) says 做好相关记录), so the record
carries what the four branches need: where and when it was found, the batch's inspected and
failed counts (the pass rate is computed, never typed), the seed's "serious" ticks, the branch
①-④, the action and the resolution.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import model_validator

from forms.base import MAX_QUANTITY, FormModel, OrderNo, label
from forms.errors import rule_error

#: 001M 2.2.5(2)3: below this batch pass rate (percent) a purchased batch goes to the heads.
PASS_RATE_LIMIT = 95

STAGES = {
    "incoming": ("来料检验 (IQC)", "Incoming inspection (IQC)"),
    "in_process": ("制程检验 (IPQC)", "In-process inspection (IPQC)"),
    "final": ("成品检验 (FQC)", "Final inspection (FQC)"),
    "outgoing": ("出货检验 (OQC)", "Outgoing inspection (OQC)"),
}
BRANCHES = {
    "internal": ("① 本公司内部生产及工艺质量（可返工）", "① Internal, reworkable"),
    "cross_company": ("② 跨公司的生产及工艺质量", "② Cross-company"),
    "purchased": ("③ 采购物资质量问题", "③ Purchased materials"),
    "technical": ("④ 技术设计或不能判定", "④ Technical or undeterminable"),
}
#: The seed's serious problems (001M 2.2.5(2)3): 规格型号不符、缺件、外观不良、数量与送货单不符.
SERIOUS_TICKS = ("wrong_spec", "missing_parts", "bad_appearance", "qty_mismatch")


class QualityException(FormModel):
    """质量异常记录: found-at, stage, order, item, batch, counts, serious ticks, branch ①-④."""

    key = "quality_exception"
    title_zh = "质量异常记录"
    title_en = "Quality exception record"
    signatures = (
        ("检验员", "Inspector"),
        ("处理人", "Handled by"),
        ("质管部领导", "QA lead"),
    )

    order_no: OrderNo = label("订单号", "Order No.")
    received_at: datetime = label("发现时间", "Found at")
    stage: Literal["incoming", "in_process", "final", "outgoing"] = label(
        "检验环节", "Inspection stage", choices=STAGES
    )
    item: str = label("物料/产品", "Item", max_length=200)
    batch: str | None = label("批号", "Batch", default=None, max_length=100)
    supplier: str | None = label("供应商", "Supplier", default=None, max_length=200)
    inspected: int = label("检验数", "Inspected", gt=0, le=MAX_QUANTITY)
    failed: int = label("不合格数", "Failed", ge=0, le=MAX_QUANTITY)
    wrong_spec: bool = label("规格型号不符", "Wrong spec/model", default=False)
    missing_parts: bool = label("缺件", "Missing parts", default=False)
    bad_appearance: bool = label("外观不良", "Bad appearance", default=False)
    qty_mismatch: bool = label("数量与送货单不符", "Quantity ≠ delivery note", default=False)
    threatens_delivery: bool = label(
        "批量不良影响交期", "Batch defect threatens delivery", default=False
    )
    description: str = label("异常描述", "Problem", long=True, max_length=4000)
    branch: Literal["internal", "cross_company", "purchased", "technical"] | None = label(
        "分类 ①-④", "Branch ①-④", default=None, choices=BRANCHES
    )
    operator: str | None = label("操作人员", "Operator", default=None, max_length=100)
    action: str | None = label("处理措施", "Action", default=None, long=True, max_length=4000)
    resolution: str | None = label(
        "处理结果", "Resolution", default=None, long=True, max_length=4000
    )

    @model_validator(mode="after")
    def _failed_within_inspected(self) -> Self:
        if self.failed > self.inspected:
            raise rule_error("failed", "cannot exceed the inspected count / 不合格数不能大于检验数")
        return self

    @property
    def pass_rate(self) -> float:
        """Batch pass rate in percent, to one decimal."""
        return round(100 * (self.inspected - self.failed) / self.inspected, 1)

    @property
    def serious(self) -> bool:
        """The seed's rule: a pass rate below 95 % or any serious tick. Choice: computed, never
        stored with the form (a stored form must validate again to be printed), because the
        counts and ticks it follows from are stored."""
        return self.pass_rate < PASS_RATE_LIMIT or any(getattr(self, t) for t in SERIOUS_TICKS)

    def computed(self, facts: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
        """The pass rate, and whether the batch counts as serious (the reader sees why)."""
        rate = f"{self.pass_rate:.1f} %"
        rows = [("pass_rate", "批量合格率", "Batch pass rate", rate)]
        if self.serious:
            words = "严重（合格率低于95%或严重问题）/ serious (pass rate < 95 % or a serious tick)"
            rows.append(("serious", "严重程度", "Severity", words))
        return rows


class QualityResolution(FormModel):
    """质量异常处理结果: what the handler did and how it ended (sent to the inspectors)."""

    key = "quality_resolution"
    title_zh = "质量异常处理结果"
    title_en = "Quality exception resolution"
    signatures = (("处理人", "Handled by"), ("质管部领导", "QA lead"))

    action: str = label("处理措施", "Action", long=True, max_length=4000)
    resolution: str = label("处理结果", "Resolution", long=True, max_length=4000)
    supplier_return: bool = label(
        "退供应商（转退货流程）", "Return to the supplier (returns procedure)", default=False
    )
