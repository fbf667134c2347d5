"""Short and urgent materials 欠缺/急需物料统计表 (PROCEDURES.md §5g; 003 5.5.5-5.5.6).

Material purchasing cannot bring in on time is reported by MC at once (第一时间: 30 WM from
receiving the news; raised by the buyer, MC, or the system when a placed PO's supplier is
late); production's own list is answered by MC at once (30 WM; late → MC's superior). Either
way MC then reports the progress every day to the superior, the warehouse, production and the
planner (the first report the same day, then one working day after each), asks the superior
for help with what cannot be supplied in time, and closes the list when everything arrived.
While the list is open its items are urgent (``gendan.shortages``: a receipt alerts MC,
production and QA, 003 5.6.2).

Choice: the daily progress is one task, due the same day when first opened and one working
day after each report (as §3's daily report), because the engine opens tasks on state entry or
on a business date, not on a timetable.
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import RECV, Deadline, event
from states.base import Inform, OnEnter, Procedure, Step, Subject, TaskSpec, Wait, Waiting

EFFECTS = "gendan.shortages"
AT_ONCE = Deadline.wm(30, start=RECV, seed="第一时间")
TOLD = Inform(heads=("material_control", "warehouse", "production"),
              roles=("production_planner",))  # fmt: skip


def _source(d: dict[str, Any]) -> str:
    return d.get("shortage", {}).get("source", "")


PREDICATES = {
    "from_purchasing": lambda d: _source(d) == "purchasing",
    "from_production": lambda d: _source(d) == "production",
    "first_report": lambda d: "progress" not in d.get("forms", {}),
    "later_report": lambda d: "progress" in d.get("forms", {}),
}


class ShortageList(Procedure):
    key = "shortage_list"
    title_zh = "欠缺/急需物料统计表"
    title_en = "Short and urgent materials"
    start_form = "shortage_list"
    start_roles = ("material_controller", "buyer", "production_manager", "production_planner",
                   "workshop_director")  # fmt: skip
    start_key = "shortage"
    subject = Subject(kind="shortage_list", label_zh="欠缺/急需物料统计表",
                      label_en="Short and urgent materials", prefix="QL",
                      orders_field="orders")  # fmt: skip
    start_effect = f"{EFFECTS}:mark_urgent"

    answering = Waiting(
        "物控提报/回复 / MC reports or answers",
        initial=True,
        wait=Wait((
            TaskSpec("material_controller", "material_control",
                     "第一时间提报欠缺/急需物料统计表（采购延期）",
                     "Report the late materials at once (purchasing late)", AT_ONCE,
                     seed="003 5.5.5", when="from_purchasing", decisions=("answered",)),
            TaskSpec("material_controller", "material_control",
                     "第一时间回复生产部门的欠缺/急需物料统计表",
                     "Answer production's short and urgent list at once", AT_ONCE,
                     chain=("head",), seed="003 5.5.6", when="from_production",
                     decisions=("answered",)),
        ), shows=("start",)),
    )  # fmt: skip
    tracking = Waiting(
        "重点跟踪 / Tracking",
        wait=Wait((
            TaskSpec("material_controller", "material_control",
                     "每日追踪进度报上级、仓库、生产部门和计划员",
                     "Daily progress to the superior, warehouse, production and planner",
                     Deadline.today(seed="当天"), seed="003 5.5.5", when="first_report"),
            TaskSpec("material_controller", "material_control",
                     "每日追踪进度报上级、仓库、生产部门和计划员（次日）",
                     "Daily progress to the superior, warehouse, production and planner (next)",
                     Deadline.wd(1, start=event("progress"), seed="每日"), seed="003 5.5.5",
                     when="later_report"),
        ), shows=("answered", "progress")),
    )  # fmt: skip
    superior_help = Waiting(
        "上级协助跟踪 / The superior helps",
        wait=Wait((
            TaskSpec("dept_head", "material_control", "协助跟踪无法满足生产的物料",
                     "Help chase the materials production cannot get in time",
                     Deadline.prompt(seed="及时"), seed="003 5.5.6"),
        ), shows=("cannot_supply",)),
    )  # fmt: skip
    done = State("已到齐 / All arrived", final=True)

    answered = answering.to(tracking)
    progress = tracking.to.itself()
    cannot_supply = tracking.to(superior_help)
    helped = superior_help.to(tracking)
    all_arrived = tracking.to(done)

    steps = {
        "answered": Step("已提报/回复到料日期", "Arrival dates given", form="shortage_answer"),
        "progress": Step("报告当日进度", "Report today's progress", form="shortage_answer",
                         marks="progress"),
        "cannot_supply": Step("无法满足生产，报上级协助", "Cannot meet production: to the "
                              "superior", reason_required=True),
        "helped": Step("上级已协助", "Superior acted", form="shortage_answer"),
        "all_arrived": Step("物料已到齐", "All arrived", effect=f"{EFFECTS}:clear_urgent"),
    }  # fmt: skip
    entering = {"tracking": OnEnter(informs=(TOLD,))}
    predicates = PREDICATES
