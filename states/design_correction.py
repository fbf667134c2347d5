"""Design correction notice 设计更正通知 (PROCEDURES.md §2, engineering-raised; 001M 2.2.3(6)).

After drawings and specifications are issued, a design error found (or a change the
customer asks for) goes in writing — cause and correction — to production, quality
and purchasing, so nothing is made or bought wrong. Engineering sends it (the start);
each department signs for it within 1 working day (及时). A customer's change also
needs the 合同订单技术更改通知单 (the form asks for its number).
"""

from __future__ import annotations

from statemachine import State

from gendan.timespec import Deadline
from states.base import Countersign, Procedure, Step, TaskSpec, Wait, Waiting


def _receipt(role: str, department: str) -> TaskSpec:
    return TaskSpec(
        role,
        department,
        "签收设计更正通知，停止按原图生产或采购",
        "Sign for the design correction; stop making or buying to the old drawing",
        Deadline.prompt(),
        seed="001M 2.2.3(6)",
    )


class DesignCorrection(Procedure):
    key = "design_correction"
    title_zh = "设计更正通知"
    title_en = "Design correction notice"
    start_form = "design_correction"
    start_roles = ("engineering",)
    start_key = "correction"
    order_statuses = ("contracted", "released", "ready_to_ship")
    status_hint = "drawings are issued with the production notice"

    receipt = Waiting(
        "相关部门签收 / Departments sign for it",
        initial=True,
        wait=Wait(
            (
                _receipt("production_manager", "production"),
                _receipt("qc_inspector", "quality"),
                _receipt("buyer", "purchasing"),
            ),
            countersign=Countersign(form="notice_receipt", join=lambda _: "received"),
        ),
    )
    done = State("已签收 / Signed for", final=True)

    received = receipt.to(done)

    steps = {"received": Step("各部门已签收", "All departments signed for it")}
