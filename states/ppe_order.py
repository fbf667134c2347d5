"""PPE weekly order and Saturday issue 劳保用品 (PROCEDURES.md §5a; seed 003 5.1.1E).

劳保用品类物料，由使用提出月使用量，经部门主管、厂长确认生产总监审批后，统一交生产计划物控部整理
申购，按周申购并固定在每周六一次性领取. The system starts the week's instance at 08:00 on Monday
(a scheduled start, one per ISO week); the MC places the week's order from the approved monthly
usage (1 WD*: the seed gives only "weekly"), and the warehouse keeper issues everything on the
week's Saturday (the task opens that day and is due at its end).

Choice: a Saturday that is not a working day in the company calendar moves the issue to the
working day before (PROCEDURES.md "calendar date": 前 is never later).
The monthly usage and its approval (department head, plant manager, production director) is
``ppe_usage``; the week's order starts with its share of the approved month (``gendan.ppe``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from statemachine import State

from gendan.timespec import Deadline
from states.base import OpensAt, Procedure, Scheduled, Step, Subject, TaskSpec, Wait, Waiting

SEED = "003 5.1.1E"


def this_week(period: str, due: datetime) -> dict[str, Any]:
    return {"week": period}


class PpeOrder(Procedure):
    key = "ppe_order"
    title_zh = "劳保用品周申购与周六领取"
    title_en = "PPE weekly order and Saturday issue"
    start_form = "ppe_order"
    start_roles = ("material_controller",)
    start_key = "ppe"
    subject = Subject("ppe_week", "周次", "Week", prefix="PPE", key_field="week", one_open=True)
    start_effect = "gendan.ppe:prefill_week"
    schedules = (
        Scheduled(
            "ppe_order",
            "0 8 * * 1",
            form=this_week,
            period="week",
            title_zh="每周一劳保用品申购，周六领取",
            title_en="Mondays: the week's PPE order, issued on Saturday",
        ),
    )

    ordering = Waiting(
        "物控整理申购 / MC orders",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "material_controller",
                    "material_control",
                    "按批准的月用量整理本周劳保用品申购",
                    "Place this week's PPE order from the approved monthly usage",
                    Deadline.default_work(),
                    seed=SEED,
                ),
            ),
            shows=("start",),
        ),
    )
    issuing = Waiting(
        "周六领取 / Saturday issue",
        wait=Wait(
            (
                TaskSpec(
                    "warehouse_keeper",
                    "warehouse",
                    "周六一次性发放劳保用品",
                    "Issue the week's PPE on Saturday, in one go",
                    Deadline.before_date("ppe.issue_date", 0, seed="每周六"),
                    seed=SEED,
                    opens=OpensAt("ppe.issue_date", 0),
                ),
            ),
            shows=("place_order",),
        ),
    )
    issued = State("已领取 / Issued", final=True)

    place_order = ordering.to(issuing)
    issue = issuing.to(issued)

    steps = {
        "place_order": Step("提交本周申购", "Place the order", form="ppe_order"),
        "issue": Step("登记发放", "Record the issue", form="ppe_issue"),
    }

    @classmethod
    def step_errors(
        cls, event: str, values: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, str]:
        errors: dict[str, str] = {}
        if event == "place_order":
            if values.get("week") != data.get("ppe", {}).get("week"):
                errors["week"] = "须为本单的周次 / must be this slip's week"
            if not values.get("rows"):
                errors["rows"] = "至少一行 / at least one row"
        return errors
