"""Monthly material in/out report 物料进出统计报表 (PROCEDURES.md §5k; seed 003 5.12).

由生产计划物控部每月负责对物料进出情况进行统计，制作相关报表，经部门主管经理审核审批后交公司
高层领导作为考核物料管控的依据. The system starts the month's report at 08:00 on the 1st (a
scheduled start) with each item's receipts, issues, returns and adjustments computed from the
month's stock movements (``gendan.material_report``); the MC prepares it, the PMC manager
reviews and approves it (signature), and top management (the general manager) reads it.
Every step is due 次月5日前* (PROCEDURES.md: monthly work after the seed's 次月3日前 report).

Choice: top management's step is a task the GM closes by noting it read (the seed: 交公司高层
领导作为考核物料管控的依据; a record that it reached them), not an approval.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from statemachine import State

from gendan.timespec import Deadline
from states.base import Procedure, Scheduled, Step, Subject, TaskSpec, Wait, Waiting

SEED = "003 5.12"
BY_THE_5TH = Deadline.before_date("report.due_date", 0, seed="次月5日前*")


def last_month(period: str, due: datetime) -> dict[str, Any]:
    last = date(int(period[:4]), int(period[5:7]), 1) - timedelta(days=1)
    return {"month": f"{last.year}-{last.month:02d}"}


class MaterialReport(Procedure):
    key = "material_report"
    title_zh = "物料进出统计报表"
    title_en = "Monthly material report"
    start_form = "material_report"
    start_roles = ("material_controller",)
    start_key = "report"
    subject = Subject("report_month", "报表月份", "Month", prefix="MR", key_field="month",
                      one_open=True)  # fmt: skip
    start_effect = "gendan.material_report:compute"
    schedules = (
        Scheduled(
            "material_report",
            "0 8 1 * *",
            form=last_month,
            when="material_report_month_free",
            title_zh="每月1日编制上月物料进出统计报表",
            title_en="On the 1st: last month's material in/out report",
        ),
    )

    preparing = Waiting(
        "物控编制 / MC prepares",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "material_controller",
                    "material_control",
                    "编制上月物料进出统计报表",
                    "Prepare last month's material in/out report",
                    BY_THE_5TH,
                    seed=SEED,
                ),
            ),
            shows=("start",),
        ),
    )
    reviewing = Waiting(
        "主管经理审核 / Manager reviews",
        wait=Wait(
            (
                TaskSpec(
                    "pmc_manager",
                    "material_control",
                    "审核审批物料进出统计报表",
                    "Review and approve the material report",
                    BY_THE_5TH,
                    seed=SEED,
                ),
            ),
            shows=("start", "submit"),
        ),
    )
    management = Waiting(
        "公司高层阅 / Top management reads",
        wait=Wait(
            (
                TaskSpec(
                    "general_manager",
                    "gm_office",
                    "阅物料进出统计报表（物料管控考核依据）",
                    "Read the material report (basis for assessing material control)",
                    BY_THE_5TH,
                    seed=SEED,
                ),
            ),
            shows=("start", "submit", "approve"),
        ),
    )
    done = State("已报高层 / With management", final=True)

    submit = preparing.to(reviewing)
    approve = reviewing.to(management)
    send_back = reviewing.to(preparing)
    read = management.to(done)

    steps = {
        "submit": Step("报主管经理", "Send to the manager", form="report_note",
                       effect="gendan.material_report:compute"),  # fmt: skip
        "approve": Step("审核批准，报公司高层", "Approve; to top management", form="report_note",
                        signature="approved"),  # fmt: skip
        "send_back": Step("退回修改", "Send back", reason_required=True),
        "read": Step("已阅", "Read", form="report_note"),
    }
