"""Safety-stock review 物料安全库存表 (PROCEDURES.md §5a; seed 003 5.1.1A-C, F).

安全库存量 = (物料周期 + 紧急购料时间) × 日平均用量. 各类需列入安全库存请购控制的物料一律须每月（或
每季度）重新评估一次，并须在月底25日前评估完毕. The system starts the period's table at 08:00 on
the 1st (a scheduled start; monthly or quarterly by the master setting ``safety_review_months``,
``gendan.safety_review``), prefilled with every safety-stock item of the master, peak and off
season. The MC's task opens 10 WD before the 25th; the MC corrects lead times and daily use
(the formula is computed per row, never typed); warehouse, purchasing and the plant
countersign (会签), the PMC manager confirms (部门经理确认), the production director approves
(生产总监审批, a signature); the approved quantities become the items' peak and off-season
safety stock and the table goes to warehouse, purchasing and production (派发至相关单位).

Choice: opens 10 WD before the 25th, 2 WD per step, the director's approval due on the 25th
itself (room for the signatures), as PROCEDURES.md §5a says.
Choice: the plant (生产分厂) countersigns as the production manager, and the production
director's approval goes to the deputy GM (生产副总): PROCEDURES.md "Roles" folds 厂长 into the
production manager in a small factory, and the director must be another person than the plant
who countersigned.
Choice: an objection in the countersign, or a return by the manager or the director, sends the
table back to the MC with the reason (the seed's 会签 and 确认 mean they may refuse).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from statemachine import State

from gendan.timespec import Deadline
from states.base import (
    Countersign,
    Inform,
    OnEnter,
    OpensAt,
    Procedure,
    Scheduled,
    Step,
    Subject,
    TaskSpec,
    Wait,
    Waiting,
)

SEED = "003 5.1.1"
STEP = Deadline.wd(2, seed="Choice: 2 WD per step")
BY_THE_25TH = Deadline.before_date("table.due_date", 0, seed="月底25日前")


def this_month(period: str, due: datetime) -> dict[str, Any]:
    return {"period": period}


def countersign_join(opinions: list[dict[str, Any]]) -> str:
    return "countersigned" if all(o.get("agree") for o in opinions) else "countersign_objected"


def _task(role: str, dep: str, zh: str, en: str, dl: Deadline, seed: str, **kw: Any) -> TaskSpec:
    return TaskSpec(role, dep, zh, en, dl, seed=seed, **kw)


class SafetyStockReview(Procedure):
    key = "safety_stock_review"
    title_zh = "物料安全库存评估"
    title_en = "Safety stock review"
    start_form = "safety_stock_table"
    start_roles = ("material_controller",)
    start_key = "table"
    subject = Subject("review_period", "评估月份", "Review month", prefix="SS",
                      key_field="period", one_open=True)  # fmt: skip
    start_effect = "gendan.safety_review:prefill"
    schedules = (
        Scheduled(
            "safety_stock_review",
            "0 8 1 * *",
            form=this_month,
            when="safety_review_due",
            title_zh="每月（或每季度）1日开始安全库存评估，25日前完毕",
            title_en="Safety stock review, monthly or quarterly, done by the 25th",
        ),
    )

    preparing = Waiting(
        "物控制作 / MC prepares",
        initial=True,
        wait=Wait(
            (
                _task("material_controller", "material_control",
                      "制作物料安全库存表（旺季、淡季）",
                      "Prepare the safety stock table (peak and off season)",
                      STEP, f"{SEED}A-C, F", opens=OpensAt("table.due_date", 10)),
            ),  # fmt: skip
            shows=("start",),
        ),
    )
    countersigning = Waiting(
        "会签 / Countersign",
        wait=Wait(
            (
                _task("warehouse_keeper", "warehouse", "会签物料安全库存表（仓库）",
                      "Countersign the safety stock table (warehouse)", STEP, f"{SEED}A"),
                _task("purchasing_lead", "purchasing", "会签物料安全库存表（采购）",
                      "Countersign the safety stock table (purchasing)", STEP, f"{SEED}A"),
                _task("production_manager", "production", "会签物料安全库存表（生产分厂）",
                      "Countersign the safety stock table (plant)", STEP, f"{SEED}A"),
            ),  # fmt: skip
            countersign=Countersign(form="safety_countersign", join=countersign_join),
            shows=("submit_table",),
        ),
    )
    confirming = Waiting(
        "部门经理确认 / PMC manager confirms",
        wait=Wait(
            (
                _task("pmc_manager", "material_control", "确认物料安全库存表",
                      "Confirm the safety stock table", STEP, f"{SEED}A"),
            ),  # fmt: skip
            shows=("submit_table", "countersigned"),
        ),
    )
    approving = Waiting(
        "生产总监审批 / Production director approves",
        wait=Wait(
            (
                _task("deputy_gm", "gm_office", "审批物料安全库存表（25日前）",
                      "Approve the safety stock table (by the 25th)", BY_THE_25TH, f"{SEED}A, F"),
            ),  # fmt: skip
            shows=("submit_table", "countersigned", "confirm"),
        ),
    )
    approved = State("已审批并派发 / Approved and distributed", final=True)

    submit_table = preparing.to(countersigning)
    countersigned = countersigning.to(confirming)
    countersign_objected = countersigning.to(preparing)
    confirm = confirming.to(approving)
    manager_returns = confirming.to(preparing)
    approve = approving.to(approved)
    director_returns = approving.to(preparing)

    steps = {
        "submit_table": Step("提交会签", "Send for countersigning", form="safety_stock_table",
                        effect="gendan.safety_review:check_items"),  # fmt: skip
        "countersigned": Step("会签通过", "Countersigned"),
        "countersign_objected": Step("会签有异议，退回物控", "Objection: back to MC"),
        "confirm": Step("确认", "Confirm", signature="reviewed"),
        "manager_returns": Step("退回修改", "Send back", reason_required=True),
        "approve": Step("审批，派发执行", "Approve; distribute", signature="approved",
                        effect="gendan.safety_review:write_back"),  # fmt: skip
        "director_returns": Step("退回修改", "Send back", reason_required=True),
    }
    entering = {
        # [A] 经确认后的《物料安全库存表》须派发至相关单位一份执行作业 (5.1.1F)
        "approved": OnEnter(informs=(Inform(heads=("warehouse", "purchasing", "production")),)),
    }
