"""Subcontract material pick-up 外协物料调拨 (PROCEDURES.md §6; seed 003 5.7.8).

The day before it picks material up, the subcontractor faxes its list to MC (物控科); the
subcontract material clerk reviews it the same day and makes the 外协物料调拨单 for the
items that have arrived; the warehouse prepares them the same day; the next day the
subcontractor takes them from the warehouse, which records the pick-up (the stock leaves
the store, an issue line for the subcontractor's leftovers and month).

Choice: the pick-up task opens on the pick-up date the list names and is due at its end
(第二天外协厂商直接到仓库调料), because the seed fixes the day, not a length.
Choice: an item not yet arrived is left off the 调拨单 (and named in its "not arrived"
field); the clerk cannot transfer more than the store holds (422 on the row).
"""

from __future__ import annotations

from statemachine import State

from gendan.timespec import RECV, Deadline
from states.base import OpensAt, Procedure, Step, Subject, TaskSpec, Wait, Waiting

SEED = "003 5.7.8"
SAME_DAY = Deadline.today(start=RECV, seed="当天（收到调拨明细）")
PICKUP_DAY = Deadline.before_date("list.pickup_date", 0, seed="第二天调料")


class SubconPickup(Procedure):
    key = "subcon_pickup"
    title_zh = "外协物料调拨"
    title_en = "Subcontract material pick-up"
    start_form = "pickup_list"
    start_roles = ("subcon_material_clerk", "material_controller")
    start_key = "list"
    subject = Subject("subcon_pickup", "外协调拨明细", "pick-up list", key_field="list_no",
                      one_open=True)  # fmt: skip
    start_effect = "gendan.outsourcing:check_pickup_list"

    reviewing = Waiting(
        "审核调拨明细 / Reviewing the list",
        initial=True,
        wait=Wait(
            (
                TaskSpec("subcon_material_clerk", "material_control",
                         "审核外协厂调拨明细，已到物料开外协物料调拨单",
                         "Review the list; transfer note for the arrived items",
                         SAME_DAY, seed=SEED),
            ),  # fmt: skip
            shows=("start",),
        ),
    )
    preparing = Waiting(
        "仓库备料 / Warehouse prepares",
        wait=Wait(
            (
                TaskSpec("warehouse_keeper", "warehouse", "按外协物料调拨单提前备料",
                         "Prepare the items of the transfer note", SAME_DAY, seed=SEED),
            ),  # fmt: skip
            shows=("transfer",),
        ),
    )
    pickup = Waiting(
        "外协厂调料 / Pick-up",
        wait=Wait(
            (
                TaskSpec("warehouse_keeper", "warehouse", "外协厂到仓库调料：按调拨单发出",
                         "The subcontractor picks up: issue per the transfer note",
                         PICKUP_DAY, seed=SEED, opens=OpensAt("list.pickup_date", 0)),
            ),  # fmt: skip
            shows=("transfer",),
        ),
    )
    done = State("已调料 / Picked up", final=True)

    transfer = reviewing.to(preparing)
    prepared = preparing.to(pickup)
    picked_up = pickup.to(done)

    steps = {
        "transfer": Step("开外协物料调拨单", "Issue the transfer note", form="transfer_note",
                         issues="transfer_note", effect="gendan.outsourcing:check_transfer"),
        "prepared": Step("备料完成", "Prepared"),
        "picked_up": Step("外协厂已调料", "Picked up", effect="gendan.outsourcing:picked_up"),
    }  # fmt: skip
