"""Monthly PPE usage 劳保用品月使用量 (PROCEDURES.md §5a; seed 003 5.1.1E).

劳保用品类物料，由使用提出月使用量，经部门主管、厂长确认生产总监审批后，统一交生产计划物控部整理申购.
The system starts next month's usage on the 20th (a scheduled start); the using department's
head lists each department's monthly quantities, the plant manager confirms, the production
director approves (a signature) and the MC is told: the weekly orders (``ppe_order``) take
their rows from it.

Choice: the workshop's head (车间主任, the main user of PPE) lists every department's usage as
the using departments' head (部门主管); the plant (厂长) confirms as the production manager and
the production director approves as the deputy GM (生产副总), as in the safety-stock review:
PROCEDURES.md "Roles" folds 厂长 into the production manager in a small factory.
Choice: the usage is work of 1 WD*, each confirmation a signature of 4 WH* (the seed gives no
times; PROCEDURES.md "none").
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from statemachine import State

from gendan.timespec import Deadline
from states.base import (
    Inform,
    OnEnter,
    Procedure,
    Scheduled,
    Step,
    Subject,
    TaskSpec,
    Wait,
    Waiting,
)

SEED = "003 5.1.1E"


def next_month(period: str, due: datetime) -> dict[str, Any]:
    first = (date(int(period[:4]), int(period[5:7]), 1) + timedelta(days=32)).replace(day=1)
    return {"month": f"{first.year}-{first.month:02d}"}


class PpeUsage(Procedure):
    key = "ppe_usage"
    title_zh = "劳保用品月使用量"
    title_en = "Monthly PPE usage"
    start_form = "ppe_usage"
    start_roles = ("material_controller", "workshop_director")
    start_key = "usage"
    subject = Subject("ppe_month", "使用月份", "Month of use", prefix="PPU", key_field="month",
                      one_open=True)  # fmt: skip
    schedules = (
        Scheduled(
            "ppe_usage",
            "0 8 20 * *",
            form=next_month,
            title_zh="每月20日提出下月劳保用品使用量",
            title_en="On the 20th: next month's PPE usage",
        ),
    )

    listing = Waiting(
        "使用部门提出 / Departments list their usage",
        initial=True,
        wait=Wait(
            (
                TaskSpec("workshop_director", "workshop", "提出下月劳保用品使用量（各使用部门）",
                         "List next month's PPE usage (each using department)",
                         Deadline.default_work(), seed=SEED),
            ),  # fmt: skip
            shows=("start",),
        ),
    )
    confirming = Waiting(
        "厂长确认 / Plant confirms",
        wait=Wait(
            (
                TaskSpec("production_manager", "production", "确认劳保用品月使用量（厂长）",
                         "Confirm the monthly PPE usage (plant)", Deadline.default_check(),
                         seed=SEED),
            ),  # fmt: skip
            shows=("submit_usage",),
        ),
    )
    approving = Waiting(
        "生产总监审批 / Production director approves",
        wait=Wait(
            (
                TaskSpec("deputy_gm", "gm_office", "审批劳保用品月使用量",
                         "Approve the monthly PPE usage", Deadline.default_check(), seed=SEED),
            ),  # fmt: skip
            shows=("submit_usage", "plant_confirms"),
        ),
    )
    approved = State("已审批，交物控申购 / Approved, with MC", final=True)

    submit_usage = listing.to(confirming)
    plant_confirms = confirming.to(approving)
    plant_returns = confirming.to(listing)
    approve = approving.to(approved)
    director_returns = approving.to(listing)

    steps = {
        "submit_usage": Step("提交", "Submit", form="ppe_usage"),
        "plant_confirms": Step("确认", "Confirm", form="ppe_approval"),
        "plant_returns": Step("退回", "Send back", reason_required=True),
        "approve": Step("审批", "Approve", form="ppe_approval", signature="approved"),
        "director_returns": Step("退回", "Send back", reason_required=True),
    }
    entering = {
        # [A] 统一交生产计划物控部整理申购: the MC is told
        "approved": OnEnter(informs=(Inform(roles=("material_controller",)),)),
    }

    @classmethod
    def step_errors(
        cls, event: str, values: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, str]:
        errors: dict[str, str] = {}
        if event == "submit_usage":
            if values.get("month") != data.get("usage", {}).get("month"):
                errors["month"] = "须为本单的月份 / must be this sheet's month"
            if not values.get("rows"):
                errors["rows"] = "至少一行 / at least one row"
        return errors
