"""Material chase list 物料追催表 and main-material booking (PROCEDURES.md §5g; 003 5.5.3-5.5.4).

The weekly production plan reaches MC: its material issue (§5j) starts this as a linked child
(``chase_from_plan`` turns the weekly plan into the start form; MC may also start one). MC
sends the 物料追催表 to purchasing within 1 WD* of receiving the plan: its lines from the
products' BOM, each with the earliest open PO line as its ETA (``gendan.material_chase``).
The main materials (board, glass, cartons: no room to store them) are booked with the supplier
1-3 working days before the line start — MC tells the buyer, who books and replies the real
arrival time (the task opens at line start −3 WD and is due at −1 WD). MC keeps in touch with
purchasing until the line starts.
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import RECV, Deadline
from states.base import (
    Inform,
    OnEnter,
    OpensAt,
    Procedure,
    Step,
    Subject,
    TaskSpec,
    Wait,
    Waiting,
)

BOOK = Deadline.before_date("chase.plan_start", 3, 1, seed="上线前提前1-3天")
LINE_START = Deadline.before_date("chase.plan_start", 0, seed="上线日")


def chase_from_plan(d: dict[str, Any]) -> dict[str, Any]:
    """A weekly plan (``material_issue``'s start form) as this list's start form."""
    plan = d.get("weekly_plan", {})
    return {"batch_no": plan["batch_no"], "plan_start": plan["plan_start"],
            "order_nos": plan.get("order_nos"),
            "products": [{"product_code": r["product_code"], "qty": r["qty"]}
                         for r in plan.get("rows", [])]}  # fmt: skip


class MaterialChase(Procedure):
    key = "material_chase"
    title_zh = "物料追催表"
    title_en = "Material chase list"
    start_form = "material_chase_start"
    start_roles = ("material_controller",)
    start_key = "chase"
    subject = Subject(kind="chase_list", label_zh="物料追催表", label_en="Material chase list",
                      prefix="ZC", orders_field="order_nos")  # fmt: skip
    start_effect = "gendan.material_chase:chase_rows"

    making = Waiting(
        "制作物料追催表 / Making the chase list",
        initial=True,
        wait=Wait((TaskSpec("material_controller", "material_control",
                            "按周生产计划及上线时间制作物料追催表，传采购",
                            "Make the chase list from the weekly plan and line start; send it "
                            "to purchasing", Deadline.wd(1, start=RECV, assumed=True),
                            seed="003 5.5.3"),), shows=("start",)),
    )  # fmt: skip
    booking = Waiting(
        "主料预约 / Main materials booked",
        wait=Wait((TaskSpec("buyer", "purchasing", "预约主料到料时间并回复实际到料时间",
                            "Book the main materials with the supplier; reply the arrival",
                            BOOK, opens=OpensAt("chase.plan_start", 3),
                            seed="003 5.5.4"),), shows=("sent",)),
    )  # fmt: skip
    following = Waiting(
        "跟进到料 / Following the arrivals",
        wait=Wait((TaskSpec("material_controller", "material_control",
                            "与采购保持沟通，跟进到料至上线", "Keep in touch with purchasing "
                            "until the line starts", LINE_START,
                            seed="003 5.5.3-5.5.4"),), shows=("sent", "booked")),
    )  # fmt: skip
    done = State("已上线 / Line started", final=True)

    sent = making.to(booking)
    booked = booking.to(following)
    line_started = following.to(done)

    steps = {
        "sent": Step("物料追催表已传采购", "Chase list sent to purchasing",
                     form="material_chase"),
        "booked": Step("已预约，回复到料时间", "Booked; arrival replied", form="main_booking"),
        "line_started": Step("物料到位，已上线", "Materials in; line started"),
    }  # fmt: skip
    entering = {
        # the list goes to purchasing; MC hears the booked arrival to adjust (5.5.4)
        "booking": OnEnter(informs=(Inform(roles=("buyer",)),)),
        "following": OnEnter(informs=(Inform(roles=("material_controller",)),)),
    }
