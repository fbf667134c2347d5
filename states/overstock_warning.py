"""仓库物料异常预警报告 (PROCEDURES.md §5i; seed 003 5.6.6).

物料库存达到最高库存警戒线或错订超量订购物料入库时，仓管第一时间发出仓库物料异常预警报告，由物控
计划员核查回复具体原因，物控科长审核后，物控计划员4小时内回复仓管.

The system raises the report when stock reaches the item's maximum (``stock_trigger``
above_max, after any movement or import); the keeper raises it by hand for a wrongly or
over-ordered receipt (kind ``over_ordered`` with the receipt's number: whether a delivery was
ordered wrongly is the keeper's finding, not a level). MC finds the cause, the MC section
head reviews, the reply goes to the warehouse: both steps 4 WH from the report. One open
report per item.

Choice: both steps are due 4 working hours from the report, as PROCEDURES.md §5i reads the
seed (the reply to the keeper is due 4 hours after the report, after the review), so a cause
found late leaves the section head less time. Choice: the section head may send the cause
back (with a reason); its clock still runs from the report.
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import RECV, Deadline
from states.base import (
    Inform,
    OnEnter,
    Procedure,
    Step,
    StockTrigger,
    TaskSpec,
    Wait,
    Waiting,
)
from states.reorder_chase import ITEM

SEED = "003 5.6.6"
FROM_REPORT = Deadline.wh(4, start=RECV, seed="4小时内回复仓管")


def report(facts: dict[str, Any]) -> dict[str, Any]:
    """The warning the system raises from the stock facts (``StockTrigger.form``)."""
    return {
        "item_code": facts["item_code"],
        "item_name": facts["item_name"],
        "unit": facts["unit"],
        "received_at": facts["raised_at"],
        "kind": "above_max",
        "on_hand": facts["on_hand"],
        "in_transit": facts["in_transit"],
        "max_qty": facts["threshold"],
    }


class OverstockWarning(Procedure):
    key = "overstock_warning"
    title_zh = "仓库物料异常预警报告"
    title_en = "Warehouse overstock warning"
    start_form = "overstock_warning"
    start_roles = ("warehouse_keeper",)
    start_key = "report"
    subject = ITEM
    stock_trigger = StockTrigger("above_max", report)
    start_effect = "gendan.stock_alerts:issue_raised"  # the report, printable (YJ-<item>-NN)

    finding_cause = Waiting(
        "物控核查原因 / MC finds the cause",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "material_controller",
                    "material_control",
                    "核查超量原因并回复（4小时内）",
                    "Find the cause of the overstock and answer (within 4 hours)",
                    FROM_REPORT,
                    seed=SEED,
                ),
            ),
            shows=("start",),
        ),
    )
    reviewing = Waiting(
        "物控科长审核 / MC section head reviews",
        wait=Wait(
            (
                TaskSpec(
                    "mc_section_head",
                    "material_control",
                    "审核超量原因（4小时内回复仓管）",
                    "Review the cause (the warehouse is answered within 4 hours)",
                    FROM_REPORT,
                    seed=SEED,
                ),
            ),
            shows=("start", "find_cause"),
        ),
    )
    answered = State("已回复仓管 / Warehouse answered", final=True)

    find_cause = finding_cause.to(reviewing)
    approve = reviewing.to(answered)
    send_back = reviewing.to(finding_cause)

    steps = {
        "find_cause": Step(
            "回复具体原因", "Give the cause", form="overstock_cause", issues="overstock_cause"
        ),
        "approve": Step("审核通过，回复仓管", "Approve: answer the warehouse"),
        "send_back": Step("退回重查", "Send back", reason_required=True),
    }
    entering = {"answered": OnEnter(informs=(Inform(roles=("warehouse_keeper",)),))}
