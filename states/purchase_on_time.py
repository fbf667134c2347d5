"""Purchase on-time rate 采购准时交货率 (PROCEDURES.md §5k; seed 003 5.5.7).

相关物控人员负责在次月3日前统计分析当月采购准时交货率，报上级主管经理审核审批后作为对采购
人员稽核指标之一. The system starts the month's instance at 08:00 on the 1st (a scheduled
start, ``gendan.schedules``) and computes the rate from the PO lines due in the month and
their receipts (``gendan.measures``: on time = received complete on or before the due date);
the MC analyses it and sends it to the PMC manager, who approves it with a signature: the
``Measure`` row is then ``approved`` and shown as such on /measures. Both steps are due by
the 3rd of the next month (次月3日前: the end of working hours that day, a rest day moving to
the working day before).

Choice: the MC's send recomputes the figures (receipts booked after the 1st for lines due in
the month count), and a return by the manager sends it back to the MC with the reason.
Choice: the MC may start a month by hand (a month the catch-up skipped after downtime, see
``gendan.schedules``); one open instance per month; the schedule does not start a month that
already has one (its gate ``on_time_month_free``), and an approved month is final (a new
instance for it is a 422 on the month).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from statemachine import State

from gendan.timespec import Deadline
from states.base import Procedure, Scheduled, Step, Subject, TaskSpec, Wait, Waiting

SEED = "003 5.5.7"
BY_THE_3RD = Deadline.before_date("report.due_date", 0, seed="次月3日前")


def last_month(period: str, due: datetime) -> dict[str, Any]:
    """A run on the 1st (period "2026-12") counts the month before ("2026-11")."""
    last = date(int(period[:4]), int(period[5:7]), 1) - timedelta(days=1)
    return {"month": f"{last.year}-{last.month:02d}"}


class PurchaseOnTime(Procedure):
    key = "purchase_on_time"
    title_zh = "采购准时交货率"
    title_en = "Purchase on-time rate"
    start_form = "purchase_on_time"
    start_roles = ("material_controller",)
    start_key = "report"
    subject = Subject(
        "purchase_month", "统计月份", "Month", prefix="OTR", key_field="month", one_open=True
    )
    start_effect = "gendan.measures:compute_on_time"
    schedules = (
        Scheduled(
            "purchase_on_time",
            "0 8 1 * *",
            form=last_month,
            when="on_time_month_free",
            title_zh="每月1日统计上月采购准时交货率",
            title_en="On the 1st: last month's purchase on-time rate",
        ),
    )

    compiling = Waiting(
        "物控统计分析 / MC analyses",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "material_controller",
                    "material_control",
                    "次月3日前统计分析当月采购准时交货率，报上级主管经理",
                    "Analyse the month's purchase on-time rate by the 3rd; send it up",
                    BY_THE_3RD,
                    seed=SEED,
                ),
            ),
            shows=("start",),
        ),
    )
    approving = Waiting(
        "主管经理审批 / Manager approves",
        wait=Wait(
            (
                TaskSpec(
                    "pmc_manager",
                    "material_control",
                    "审核审批采购准时交货率（采购人员稽核指标）",
                    "Approve the purchase on-time rate (the buyers' KPI)",
                    BY_THE_3RD,
                    seed=SEED,
                ),
            ),
            shows=("start", "submit"),
        ),
    )
    approved = State("已审批 / Approved", final=True)

    submit = compiling.to(approving)
    approve = approving.to(approved)
    send_back = approving.to(compiling)

    steps = {
        "submit": Step(
            "报上级主管经理", "Send to the manager", form="on_time_analysis",
            effect="gendan.measures:compute_on_time",
        ),  # fmt: skip
        "approve": Step(
            "审核批准", "Approve", signature="approved", effect="gendan.measures:approve_on_time"
        ),
        "send_back": Step("退回重新分析", "Send back for analysis", reason_required=True),
    }
