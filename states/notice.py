"""The production notice's life, shared by every procedure that issues or revises one.

生产通知单 (001M 1.5.1; 000/4 三.7; 001W 3.1.3.2-3): prefilled from the order with
its number, row and date locked; production checks, signs and dates it; the
recipient departments acknowledge. Order review (§1), make-to-stock (§1c) and an
issued change (§2, a new revision) all end with these steps.
"""

from __future__ import annotations

from gendan.timespec import Deadline
from states.base import Child, Countersign, OnEnter, Step, TaskSpec, Wait, Waiting

#: Notice fields locked to the order (a mismatch is a 422): number, row, date.
LOCKED = {
    "order_no": "order.order_no",
    "customer": "order.customer",
    "product": "order.product",
    "model_spec": "order.model_spec",
    "quantity": "order.quantity",
    "unit": "order.unit",
    "delivery_date": "order.delivery_date",
}

#: Recipients who acknowledge (Choice, PROCEDURES.md §1; the seed says 相关部门): a missed
#: acknowledgement goes to the merchandising lead (跟单主管), then the GM office.
ACK_CHAIN = ("head:merchandising", "gm_office")


def _ack(role: str, department: str, when: str | None = None) -> TaskSpec:
    return TaskSpec(
        role,
        department,
        "签收生产通知单",
        "Acknowledge the production notice",
        Deadline.wd(1, assumed=True),
        when=when,
        chain=ACK_CHAIN,
        seed="000/4 三.7",
    )


def all_received(opinions: list[dict[str, object]]) -> str:
    return "acknowledged"


#: What production confirms and the departments sign for: the notice as issued.
NOTICE_SHOWN = ("doc:production_notice",)


def confirm_state(
    title: str = "生产部确认通知单 / Production confirms the notice",
    shows: tuple[str, ...] = NOTICE_SHOWN,
) -> Waiting:
    return Waiting(
        title,
        wait=Wait(
            (
                TaskSpec(
                    "production_manager",
                    "production",
                    "核对生产通知单并签字",
                    "Check, sign and date the production notice",
                    Deadline.wh(4, assumed=True),
                    seed="001W 3.1.3.3",
                ),
            ),
            shows=shows,
        ),
    )


def acknowledging_state(engineering_when: str | None = "non_regular") -> Waiting:
    return Waiting(
        "各部门签收 / Departments acknowledge",
        wait=Wait(
            (
                _ack("production_planner", "production"),
                _ack("material_controller", "material_control"),
                _ack("buyer", "purchasing"),
                _ack("warehouse_keeper", "warehouse"),
                _ack("qa_lead", "quality"),
                _ack("engineering", "engineering", when=engineering_when),
            ),
            countersign=Countersign(form="notice_receipt", join=all_received),
            shows=NOTICE_SHOWN,
        ),
    )


#: [A] The confirmed notice starts production planning (§3, 001M 2): entering the
#: acknowledgements starts "production_plan" as a linked sub-procedure — skipped while that
#: procedure is not registered, or when the order already runs one (§4 started it urgent).
CONFIRMED = OnEnter(starts=(Child("production_plan"),))

NOTICE_STEPS = {
    "issue_notice": Step(
        "下达生产通知单",
        "Issue the production notice",
        form="production_notice",
        issues="production_notice",
        locked=LOCKED,
        supersedes=True,
    ),
    "confirm_notice": Step(
        "生产部确认签字",
        "Confirm and sign",
        form="production_confirmation",
        signature="confirmed",
    ),
    "return_notice": Step(
        "退回通知单（内容有误）",
        "Return the notice (details wrong)",
        reason_required=True,
    ),
    "acknowledged": Step("各部门已签收", "All departments acknowledged"),
}
