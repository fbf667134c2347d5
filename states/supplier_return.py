"""Supplier return 来料验退 (PROCEDURES.md §8c; 003 5.6.4): rejected goods go back and the
supplier replaces them within 3-5 days of the 来料检验验退报告.

Started by IQC or MC with the report (its rows are the 物料退库单: item, quantity, defect),
or by the system: a lot that failed incoming inspection (§5h ``receipt``) or a purchased
batch §9 sends back. The keeper sends the goods back and gives the 物料退库单 to MC (及时:
1 WD); the buyer, tracked by MC, has the supplier return and replace them — due 5 WD from the
report, reminded at 3 WD (3-5天: the upper bound, the reminder at the lower); a late one goes
to MC, then the purchasing lead. Goods that were in stock move out (``supplier_return``)
when they leave; the PO lines of a receipt's rejects are open again for the replacement.

Choice: the replacement is the buyer's task (001M 2.2.4(1)3 不合格品退货补发 is the buyer's)
with MC as the first escalation level, because 5.6.4 has MC track the buyer (追踪相关采购人员).
Choice: the supplier's answer does not pause the clock: the seed binds the whole 退补货 to
3-5 days.
"""

from __future__ import annotations

from statemachine import State

from gendan.timespec import RECV, Deadline
from states.base import Inform, OnEnter, Procedure, Step, Subject, TaskSpec, Wait, Waiting

SEED = "003 5.6.4"


class SupplierReturn(Procedure):
    key = "supplier_return"
    title_zh = "来料验退"
    title_en = "Supplier return"
    subject = Subject(kind="supplier_return", label_zh="验退单", label_en="supplier return",
                      prefix="RTV", orders_field="order_no")  # fmt: skip
    start_form = "return_report"
    start_roles = ("qc_inspector", "material_controller")
    start_key = "report"

    returning = Waiting(
        "退料出货 / Goods to send back",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "warehouse_keeper",
                    "warehouse",
                    "执行退料，物料退库单交物控",
                    "Send the goods back; give the return slip to MC",
                    Deadline.prompt(start=RECV, seed="及时"),
                    seed=SEED,
                ),
            ),
            shows=("start",),
        ),
    )
    replacing = Waiting(
        "退补货 / Return and replacement",
        wait=Wait(
            (
                TaskSpec(
                    "buyer",
                    "purchasing",
                    "联络供应商退补货（3-5天内完成）",
                    "Have the supplier take back and replace the goods (3-5 days)",
                    Deadline.days(3, 5, start=RECV, seed="3-5天"),
                    chain=("role:material_controller", "role:purchasing_lead"),
                    seed=SEED,
                ),
            ),
            shows=("start", "goods_returned"),
        ),
    )
    settled = State("退补货完成 / Settled", final=True)

    goods_returned = returning.to(replacing)
    settle = replacing.to(settled)

    steps = {
        "goods_returned": Step("已退货，退库单交物控", "Goods sent back, slip to MC",
                               form="goods_returned",
                               effect="gendan.receiving_steps:on_goods_returned"),  # fmt: skip
        "settle": Step("退补货完成", "Return settled", form="return_settled"),
    }
    entering = {
        # 并及时通知物控人员或将《物料退库单》传物控科
        "replacing": OnEnter(informs=(Inform(roles=("material_controller",)),)),
    }
