"""Yearly ABC classification ABC 分类 (PROCEDURES.md §7; 002 1.2.11).

Scheduled once a year (2 January, the year before): [A] the items by annual cost with the
80 % / 95 % cut-offs (``gendan.abc``) → [H] the PMC manager reviews the result list and
confirms it (4 WH*, a prepared document to check) → the classes are written into the item
master, audited. Returned: computed again (e.g. after the price master was corrected).
Choice: the PMC manager confirms, as material control owns the items' stock parameters
(003 5.1); the seed names no one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from statemachine import State

from gendan.timespec import Deadline
from states.base import Automatic, Procedure, Scheduled, Step, Subject, TaskSpec, Wait, Waiting

SEED = "002 1.2.11"


def yearly_form(period: str, due: datetime) -> dict[str, Any]:
    """The past year's classification: issues up to 31 December."""
    day = due.astimezone(ZoneInfo("Asia/Shanghai")).date()
    last = date(day.year, 1, 1) - timedelta(days=1)
    return {"year": str(last.year), "until": last.isoformat()}


class AbcClassification(Procedure):
    key = "abc_classification"
    title_zh = "ABC 分类"
    title_en = "ABC classification"
    start_form = "abc_start"
    start_roles = ("pmc_manager", "material_controller", "finance")
    start_key = "start"
    subject = Subject(kind="abc", label_zh="ABC 分类", label_en="ABC classification",
                      prefix="ABC", key_field="year", one_open=True)  # fmt: skip
    schedules = (
        Scheduled("abc_yearly", "0 8 2 1 *", yearly_form, period="year",
                  title_zh="年度 ABC 分类", title_en="Yearly ABC classification"),
    )  # fmt: skip

    computing = Waiting(
        "计算年费用 / Computing annual costs",
        initial=True,
        wait=Wait(
            automatic=Automatic(
                "abc_compute",
                ("computed",),
                owner_role="pmc_manager",
                owner_department="material_control",
                seed=SEED,
                title_zh="自动步骤失败：ABC 分类计算",
                title_en="Automatic step failed: ABC",
            )  # fmt: skip
        ),
    )
    reviewing = Waiting(
        "审核分类结果 / Reviewing the result",
        wait=Wait(
            (
                TaskSpec(
                    "pmc_manager",
                    "material_control",
                    "审核 ABC 分类结果并确认",
                    "Review the ABC result list and confirm it",
                    Deadline.default_check(),
                    seed=SEED,
                ),
            ),  # fmt: skip
            shows=("computed",),
        ),
    )
    done = State("已生效 / In force", final=True)

    computed = computing.to(reviewing)
    confirm_classes = reviewing.to(done)
    compute_again = reviewing.to(computing)

    steps = {
        "computed": Step("分类结果", "Result list", form="abc_result"),
        "confirm_classes": Step(
            "确认并写入物料档案", "Confirm; write the classes to the item master",
            form="abc_confirm", signature="approved", effect="gendan.abc:apply_classes",
        ),
        "compute_again": Step("重新计算", "Compute again", reason_required=True),
    }  # fmt: skip
