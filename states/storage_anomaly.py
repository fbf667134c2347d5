"""Storage anomaly 仓储异常 (PROCEDURES.md §5h last row; 003 5.6.7): a quantity difference or a
quality problem the keeper finds while the goods lie in store is told to MC at once
(第一时间), who replenishes (及时作出补料动作).

Choice: the keeper's report is the start, due 30 working minutes from the finding (typed in
later is recorded as late, as §9's record); MC's replenishment runs on the same 30 WM from the
finding, because the row gives one deadline (第一时间) to the step "anomaly → MC replenishes".
Choice: an instance of its own, keyed by the item, not a step of one receipt: goods are found
short or spoilt any time they lie in store.
"""

from __future__ import annotations

from statemachine import State

from gendan.timespec import RECV, Deadline, Sla
from states.base import Procedure, Step, Subject, TaskSpec, Wait, Waiting


class StorageAnomaly(Procedure):
    key = "storage_anomaly"
    title_zh = "仓储异常补料"
    title_en = "Storage anomaly"
    subject = Subject(kind="item", label_zh="物料", label_en="item", key_field="item_code")
    start_form = "storage_anomaly"
    start_roles = ("warehouse_keeper",)
    start_key = "anomaly"
    entry_deadline = Sla.minutes(30)  # 第一时间知会物控人员 (late is recorded)

    replenishing = Waiting(
        "待补料 / To replenish",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "material_controller",
                    "material_control",
                    "仓储数量差异或品质异常：第一时间补料",
                    "Stock short or spoilt in store: replenish at once",
                    Deadline.immediate(start=RECV, seed="第一时间"),
                    seed="003 5.6.7",
                ),
            ),
            shows=("start",),
        ),
    )
    done = State("已补料 / Replenished", final=True)

    replenish = replenishing.to(done)

    steps = {"replenish": Step("已补料", "Replenished", form="replenished")}
