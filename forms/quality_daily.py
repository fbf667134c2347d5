"""The QA head's daily check (PROCEDURES.md §9 "Also"; 001M 2.2.5(1)): the day's open
quality exceptions and the inspection capacity; inspectors moved when overtime is not enough.

Choice: the seeds name no form; the record says whether overtime covers the load and, if
not, which inspector moves where (rows), so the move is on paper.
"""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

from forms.base import FormModel, label
from forms.errors import rule_error

SHORT = 200


class QualityDailyStart(FormModel):
    """The day the check is for (the scheduler starts one per working day)."""

    key = "quality_daily_start"
    title_zh = "质量每日检查"
    title_en = "Daily quality check"

    day: date = label("检查日期", "Day")


class InspectorMove(BaseModel):
    """One inspector moved (调配检验人员)."""

    model_config = ConfigDict(extra="forbid")

    inspector: str = label("检验员", "Inspector", min_length=1, max_length=SHORT)
    from_post: str = label("原岗位", "From", min_length=1, max_length=SHORT)
    to_post: str = label("调往", "To", min_length=1, max_length=SHORT)


class QualityDailyCheck(FormModel):
    """质量每日检查记录: open exceptions reviewed, overtime enough or inspectors moved."""

    key = "quality_daily_check"
    title_zh = "质量每日检查记录"
    title_en = "Daily quality check record"
    signatures = (("质管部领导", "QA lead"),)

    open_reviewed: bool = label("已检查未结质量异常", "Open quality exceptions reviewed")
    overtime_enough: bool = label("加班可满足检验需要", "Overtime covers the inspections",
                                  default=False)  # fmt: skip
    moves: list[InspectorMove] = label("调配检验人员", "Inspectors moved", default=[])
    remarks: str | None = label("备注", "Remarks", default=None, max_length=4000)

    @model_validator(mode="after")
    def _moved_when_short(self) -> Self:
        if not self.open_reviewed:
            raise rule_error("open_reviewed", "check the open exceptions first / 须先检查")
        if not self.overtime_enough and not self.moves:
            raise rule_error("moves", "overtime is not enough: move inspectors / 加班不足须调配")
        return self


QUALITY_DAILY_FORMS: tuple[type[FormModel], ...] = (QualityDailyStart, QualityDailyCheck)
