"""Receipt and incoming inspection 物料验收入库 (PROCEDURES.md §5h; 003 5.6.1-5.6.3; 002 1.2.10,
1.2.7): an instance per delivery, numbered ``GRN-000042`` (the 来料入库单's number).

1. The supplier is at the gate: the keeper (or MC) records the arrival; MC checks and
   registers the 送货单 within 30 working minutes of the arrival (立即, 5.6.1). The
   registration is the three-way match (``gendan.receiving.receive``): nothing without a PO
   or above a PO line's open quantity (a 422 at the row; nothing written), a partial delivery
   leaves the rest open, count and weight per line (dual units with the item's factor).
2. [A] The match's outcome (automatic step ``three_way_match``): what it flagged (note ≠
   count, weight off the factor) goes to MC, who takes measures (及时: 1 WD).
3. [A] An urgent item (``Item.urgent``: on the 欠缺/急需物料统计表) is told to MC, production
   and QA when the lot goes to inspection (5.6.2 特急优先处理).
4. IQC judges each line within 4 WH* of the receipt: lines that pass go into stock and the
   来料入库单 is stamped; a lot with rejects goes to MC (4 WH*), who returns the rejects
   (→ §8c, started by the system for the rejected rows) or, for an urgent lot partly bad,
   agrees pick-and-use with IQC (5.6.3 收料后挑选使用，不良品退供应商); the good part is
   stocked either way.

Choice: MC's measures on a mismatch are due in 1 WD (及时), because 5.6.1 asks MC to be told
at once and to act "相应处理措施" with no figure.
Choice: MC records IQC's agreement to pick-and-use (ticked, with the inspector's name) on
MC's own decision rather than a second task for the inspector, because 5.6.3 has them talk it
over (由物控人员与IQC进行沟通), not sign a paper; it is refused (422) for an item not urgent.
Choice: the storage anomaly (5.6.7) is its own short procedure (``storage_anomaly``): it is
found any time the goods lie in store, not as a step of one delivery.
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import RECV, Deadline, event
from states.base import (
    Automatic,
    Inform,
    OnEnter,
    Procedure,
    Step,
    Subject,
    TaskSpec,
    Wait,
    Waiting,
)

RECEIVED = "goods_received"  # the registering move: IQC's 4 WH* run from it
EFFECTS = "gendan.receiving_steps"


def is_urgent(data: dict[str, Any]) -> bool:
    return bool(data.get("receipt", {}).get("urgent"))


class Receipt(Procedure):
    key = "receipt"
    title_zh = "物料验收入库"
    title_en = "Goods receipt and IQC"
    subject = Subject(kind="receipt", label_zh="来料入库单", label_en="goods receipt",
                      prefix="GRN")  # fmt: skip
    start_form = "delivery_arrival"
    start_roles = ("warehouse_keeper", "material_controller")
    start_key = "arrival"

    arrived = Waiting(
        "待登记送货单 / Delivery note to register",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "material_controller",
                    "material_control",
                    "立即核对并登记送货单（采购单/送货单/实物三者一致）",
                    "Check and register the delivery note at once (PO / note / goods)",
                    Deadline.immediate(start=RECV, seed="立即"),
                    seed="003 5.6.1; 002 1.2.10",
                ),
            ),
            shows=("start",),
        ),
    )
    matching = Waiting(
        "三方核对 / Three-way match",
        wait=Wait(
            automatic=Automatic(
                "three_way_match",
                outcomes=("matched", "mismatch_found"),
                owner_role="material_controller",
                owner_department="material_control",
                title_zh="自动步骤失败：三方核对",
                title_en="Automatic step failed: three-way match",
                seed="003 5.6.1",
            )
        ),
    )
    mismatch = Waiting(
        "三方不符待处理 / Mismatch to handle",
        wait=Wait(
            (
                TaskSpec(
                    "material_controller",
                    "material_control",
                    "采购单、送货单与实物不符：采取处理措施",
                    "PO, delivery note and goods disagree: take measures",
                    Deadline.prompt(seed="及时"),
                    seed="003 5.6.1",
                ),
            ),
            shows=("register",),
        ),
    )
    inspecting = Waiting(
        "来料检验 / Incoming inspection",
        wait=Wait(
            (
                TaskSpec(
                    "qc_inspector",
                    "quality",
                    "来料检验（逐行判定合格/不合格）",
                    "Inspect the incoming goods, line by line",
                    Deadline.wh(4, start=event(RECEIVED), assumed=True),
                    seed="003 5.6.3",
                ),
            ),
            shows=("register",),
        ),
    )
    failed = Waiting(
        "检验不良待处理 / Failed lot to handle",
        wait=Wait(
            (
                TaskSpec(
                    "material_controller",
                    "material_control",
                    "来料检验不良：退供应商，或急料与IQC协商挑选使用",
                    "Lot failed IQC: return the rejects, or pick and use an urgent lot",
                    Deadline.default_check(),
                    seed="003 5.6.3-5.6.4",
                ),
            ),
            shows=("inspect",),
        ),
    )
    stocked = State("已入库 / In stock", final=True)
    disposed = State("已处理（不良退供应商）/ Handled (rejects returned)", final=True)
    refused = State("拒收 / Refused", final=True)

    register = arrived.to(matching)
    refuse_delivery = arrived.to(refused)
    matched = matching.to(inspecting)
    mismatch_found = matching.to(mismatch)
    measures_taken = mismatch.to(inspecting)
    inspect = inspecting.to(stocked, cond="all_passed") | inspecting.to(failed)
    return_rejected = failed.to(disposed)
    pick_and_use = failed.to(disposed)

    steps = {
        "register": Step("登记送货单（三方核对）", "Register the delivery note (three-way match)",
                         form="receipt_registration", marks=RECEIVED,
                         effect=f"{EFFECTS}:on_register"),  # fmt: skip
        "refuse_delivery": Step(
            "拒收（无采购单或超订单）", "Refuse the delivery (no PO or above it)",
            reason_required=True,
        ),  # fmt: skip
        "matched": Step("三方一致", "PO, note and goods agree"),
        "mismatch_found": Step("三方不符：转物控", "Mismatch: to MC"),
        "measures_taken": Step("已采取处理措施", "Measures taken", form="mismatch_measures"),
        "inspect": Step("检验判定", "Record the inspection", form="iqc_report",
                        effect=f"{EFFECTS}:on_inspect"),  # fmt: skip
        "return_rejected": Step("不良品退供应商", "Return the rejects to the supplier",
                                form="failed_lot", effect=f"{EFFECTS}:on_dispose"),  # fmt: skip
        "pick_and_use": Step("急料：挑选使用，不良退供应商", "Urgent: pick and use, return the bad",
                             form="pick_and_use", effect=f"{EFFECTS}:on_dispose"),  # fmt: skip
    }
    entering = {
        # 003 5.6.2 急料时需立即知悉物控科、生产部门、品管部特急优先处理
        "inspecting": OnEnter(
            informs=(
                Inform(heads=("production", "quality"), roles=("material_controller",),
                       when="urgent_item"),
            )  # fmt: skip
        ),
    }
    predicates = {"urgent_item": is_urgent}

    @classmethod
    def step_errors(
        cls, event: str, values: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, str]:
        if event == "pick_and_use" and not is_urgent(data):
            return {"iqc_agreed": "pick-and-use is for an urgently needed item only / "
                                  "仅生产急需物料可挑选使用"}  # fmt: skip
        return {}

    def all_passed(self, form: dict[str, Any] | None = None) -> bool:
        return bool(form) and all(not r.get("rejected") for r in (form or {}).get("rows", []))
