"""物料跟催单 "安全存量订料" (PROCEDURES.md §5b; seed 003 5.3.6).

仓管发料后库存数量达到安全存量或以下，仓管第一时间提出《物料跟催单》预警，并备注“安全存量订料”，
反馈给物控计划员作订料情况分析计划，物控计划员24小时内回复处理，仓管负责追踪.

The system raises the slip from the stock levels (``stock_trigger`` below_safety: every
movement, import and count correction goes through ``gendan.stock``): one open slip per item
(``Subject(one_open=True)``), a new one only after the answer and a new crossing
(``gendan.stock_triggers``). MC answers within 24 hours (1 WD, day-hours) from the slip:
reorder (quantity, expected arrival) or not, with the analysis (in transit, unissued,
market, 003 5.3.5). The keeper may also raise one by hand (start role).

Choice: raised by the system from the levels the stock movements and imports leave, as
PROCEDURES.md §5b says, because the keeper's 第一时间 is the movement itself. Choice: the
keeper "tracks" it by receiving MC's reply (e-mail and copy on the answer) and by the slip
being open on the item until answered, because the seed gives the keeper no step of its own.
A reorder answer starts the 申购单 (003 5.3.5: MC → supervisor → manager → buyer, the
purchasing procedure ``requisition``) as a linked child with the item, the quantity, the
expected arrival as its need date and the slip's figures as what was weighed.
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import RECV, Deadline
from states.base import (
    Child,
    Inform,
    OnEnter,
    Procedure,
    Step,
    StockTrigger,
    Subject,
    TaskSpec,
    Wait,
    Waiting,
)

SEED = "003 5.3.6"
ITEM = Subject(
    kind="item", label_zh="物料", label_en="Item", key_field="item_code", one_open=True
)


def slip(facts: dict[str, Any]) -> dict[str, Any]:
    """The 物料跟催单 the system raises from the stock facts (``StockTrigger.form``)."""
    return {
        "item_code": facts["item_code"],
        "item_name": facts["item_name"],
        "unit": facts["unit"],
        "received_at": facts["raised_at"],
        "on_hand": facts["on_hand"],
        "in_transit": facts["in_transit"],
        "unissued": facts["unissued"],
        "safety_qty": facts["threshold"],
        "season": facts["season"],
        "reason": "安全存量订料",
    }


#: The keeper tracks the slip: MC's reply goes to the warehouse (仓管负责追踪).
TO_KEEPER = Inform(roles=("warehouse_keeper",))


def requisition(data: dict[str, Any]) -> dict[str, Any]:
    """The 申购单 a reorder answer raises (003 5.3.5: MC's safety-stock requisition, weighing
    in transit, unissued and the market — the slip's figures and MC's analysis)."""
    slip_form, reply = data["slip"], data["forms"]["answer"]
    weighed = (
        f"库存 {slip_form['on_hand']:g}，在途 {slip_form['in_transit']:g}，"
        f"生产未领 {slip_form['unissued']:g}（安全存量 {slip_form['safety_qty']:g}）："
        f"{reply['analysis']}"
    )
    return {
        "req_class": "safety",
        "path": "standard",
        "department": "material_control",
        "rows": [
            {
                "item": slip_form["item_code"],
                "qty": reply["qty"],
                "need_date": reply["arrival_date"],
            }
        ],
        "considerations": weighed,
        "reason": f"物料跟催单 {slip_form['item_code']}：安全存量订料",
    }


class ReorderChase(Procedure):
    key = "reorder_chase"
    title_zh = "物料跟催单（安全存量订料）"
    title_en = "Material chase slip (safety stock reorder)"
    start_form = "reorder_chase"
    start_roles = ("warehouse_keeper",)
    start_key = "slip"
    subject = ITEM
    stock_trigger = StockTrigger("below_safety", slip)
    start_effect = "gendan.stock_alerts:issue_raised"  # the slip, printable (GC-<item>-NN)

    answering = Waiting(
        "待物控回复 / Awaiting MC's reply",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "material_controller",
                    "material_control",
                    "24小时内回复物料跟催单（安全存量订料）",
                    "Answer the chase slip (safety stock reorder) within 24 hours",
                    Deadline.day_hours(24, start=RECV, seed="24小时内回复处理"),
                    seed=SEED,
                ),
            ),
            shows=("start",),
        ),
    )
    answered = State("已回复 / Answered", final=True)

    answer = answering.to(answered)

    steps = {
        "answer": Step(
            "回复订料情况", "Answer: reorder or not", form="reorder_reply", issues="reorder_reply"
        ),
    }
    entering = {
        "answered": OnEnter(
            informs=(TO_KEEPER,),
            starts=(Child("requisition", data=requisition, when="reorders"),),
        )
    }
    predicates = {"reorders": lambda d: bool(d.get("forms", {}).get("answer", {}).get("reorder"))}
