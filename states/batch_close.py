"""Batch close 批号结案 (PROCEDURES.md §8e; seed 003 5.10).

When a batch's finished goods are completed in full, production writes the leftovers it no
longer needs on a 退/补领料单 within 24 hours (1 WD, from the batch's completion); QA judges
their quality; MC checks them and adjusts the material requirement — the leftovers go back
to the store (QA's verdict chooses the raw-material or the defective store), the batch's
borrowed whole packs (借料单, 003 5.7.3) come back with them and the quota sheet is closed
(``gendan.issue_register.close_batch``). Without MC's confirmation the warehouse refuses
the material (否则仓库拒绝收料).

Started by §5j ``material_issue`` when its batch is completed (a linked child), or by the
workshop for a batch issued outside the system.
Choice: QA and MC each have 4 WH* from their task (the seed times only production's slip).
"""

from __future__ import annotations

from statemachine import State

from gendan.timespec import RECV, Deadline
from states.base import Inform, OnEnter, Procedure, Step, Subject, TaskSpec, Wait, Waiting

SEED = "003 5.10"
EACH = Deadline.wh(4, assumed=True)
BATCH = Subject(kind="batch_close", label_zh="批号结案", label_en="Batch close",
                key_field="batch_no", one_open=True)  # fmt: skip


class BatchClose(Procedure):
    key = "batch_close"
    title_zh = "批号结案"
    title_en = "Batch close"
    start_form = "batch_close_start"
    start_roles = ("workshop_director", "production_manager")
    start_key = "batch"
    subject = BATCH

    leftovers = Waiting(
        "余料填单 / Leftovers listed",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "workshop_director", "workshop",
                    "完工24小时内将余料填写退/补领料单交品管判定",
                    "Within 24 hours of completion, list the leftovers for QA",
                    Deadline.day_hours(24, start=RECV, seed="24小时内"), seed=SEED,
                ),
            ),
            shows=("start",),
        ),
    )  # fmt: skip
    qa_judging = Waiting(
        "品质判定 / QA judges",
        wait=Wait(
            (
                TaskSpec("qa_lead", "quality", "余料品质判定", "Judge the leftovers' quality",
                         EACH, seed=SEED),  # fmt: skip
            ),
            shows=("list_leftovers",),
        ),
    )
    mc_confirming = Waiting(
        "物控审核调整需求 / MC adjusts the requirement",
        wait=Wait(
            (
                TaskSpec("material_controller", "material_control",
                         "审核余料，调整物料需求（否则仓库拒收）",
                         "Check the leftovers and adjust the requirement (else the warehouse "
                         "refuses them)", EACH, seed=SEED),  # fmt: skip
            ),
            shows=("list_leftovers", "qa_judges"),
        ),
    )
    closed = State("已结案 / Closed", final=True)
    refused = State("仓库拒绝收料 / Refused by the warehouse", final=True)

    list_leftovers = leftovers.to(qa_judging)
    qa_judges = qa_judging.to(mc_confirming)
    mc_accepts = mc_confirming.to(closed)
    mc_refuses = mc_confirming.to(refused)

    steps = {
        "list_leftovers": Step("余料退/补领料单", "Leftover slip", form="leftover_slip"),
        "qa_judges": Step("品质判定", "Quality judged", form="leftover_judgement"),
        "mc_accepts": Step("审核确认，调整物料需求", "Confirm; requirement adjusted",
                           form="material_note", signature="approved",
                           effect="gendan.issue_register:close_batch"),  # fmt: skip
        "mc_refuses": Step("不予确认：仓库拒收", "Not confirmed: the warehouse refuses",
                           reason_required=True),  # fmt: skip
    }
    entering = {
        "closed": OnEnter(informs=(Inform(roles=("warehouse_keeper",)),)),
        "refused": OnEnter(informs=(Inform(roles=("warehouse_keeper",)),)),
    }
