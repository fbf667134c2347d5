"""Material requirement plan 物料需求计划表 (PROCEDURES.md §5c; the buyer's PO clock of §5f).

Seeds: 003 5.3.3-5.3.4, 5.3.6, 5.3.8, 5.3.11-5.3.12, 5.4.1, 5.5.1.

Per 生产通知书: MC makes the plan within 1 WD* of the notice's receipt — the rows come from
the order's BOM (gross = qty per × order quantity) beside stock, in transit, unissued and
MOQ (``gendan.requirements``), main materials allocated per plant, outsourced materials with
the subcontractor's 委外加工物料申购单 → the PMC manager approves (4 WH*) → handed over to
purchasing, registered (单据/资料交接登记表) → the buyer makes the POs and returns them to MC
within two working days of the hand-over (二天内); late, it goes to MC's superior, the PMC
manager (采购单未下单明细表, ``gendan.purchasing.unplaced``) → ordered. A change after the
hand-over is MC's, in writing, after talking to the buyer (003 5.3.12): it goes back to the
PMC manager.

Started by MC, or by the system: in the PMC variant the PMC-approved production plan starts
it (003 5.3.2 → 5.3.4: the notices go to MC), as a linked sub-procedure of §3.
Choice: the PO clock's escalation is the PMC manager only (PROCEDURES.md §5f: no L2; the
seed's follow-up is the monthly cumulative report).
"""

from __future__ import annotations

from statemachine import State

from gendan.timespec import RECV, Deadline, event
from states.base import Inform, OnEnter, Procedure, Step, Subject, TaskSpec, Wait, Waiting

EFFECTS = "gendan.requirements"
CHECK = Deadline.wh(4, assumed=True)
#: 003 5.5.1: the buyer returns the POs to MC within two days of receiving the plan.
PO_CLOCK = Deadline.wd(2, start=event("handed_over"), seed="二天内")


def _one(title: str, spec: TaskSpec, shows: tuple[str, ...] = ()) -> Waiting:
    return Waiting(title, wait=Wait((spec,), shows=shows))


class RequirementPlan(Procedure):
    key = "requirement_plan"
    title_zh = "物料需求计划"
    title_en = "Material requirement plan"
    start_form = "requirement_start"
    start_roles = ("material_controller",)
    start_key = "requirement"
    subject = Subject(kind="requirement", label_zh="物料需求计划表",
                      label_en="Material requirement plan", prefix="MRP",
                      orders_field="order_no", orders_required=True)  # fmt: skip
    start_effect = f"{EFFECTS}:bom_rows"

    planning = _one(
        "编制物料需求计划 / Planning the materials",
        TaskSpec("material_controller", "material_control",
                 "编制物料需求计划表（BOM、库存、在途、未领、采购周期、最小采购量）",
                 "Make the material requirement plan (BOM, stock, in transit, unissued, lead "
                 "time, MOQ)", Deadline.wd(1, start=RECV, assumed=True),
                 seed="003 5.3.6; 5.3.3-5.3.4, 5.3.8"),  # fmt: skip
        shows=("start",),
    )
    approval = _one(
        "PMC 审批 / PMC manager approves",
        TaskSpec("pmc_manager", "material_control", "审核审批物料需求计划表",
                 "Approve the material requirement plan", CHECK, seed="003 5.3.6"),
        shows=("plan", "change_plan"),
    )
    ordering = Waiting(
        "采购下单 / Purchasing orders",
        wait=Wait((
            TaskSpec("buyer", "purchasing", "依物料需求计划表下采购单并回传物控（二天内）",
                     "Make the POs from the plan and return them to MC (within two days)",
                     PO_CLOCK, chain=("role:pmc_manager",), seed="003 5.4.1; 5.5.1",
                     decisions=("pos_placed",)),
            # MC follows the buyer; when the two days pass MC is told to report the unplaced
            # POs to the superior (the buyer's task goes to the PMC manager at that instant)
            TaskSpec("material_controller", "material_control",
                     "追踪采购下单（逾期提报采购单未下单明细表）；更改须书面下发",
                     "Follow the buyer (late: report the unplaced POs); changes in writing",
                     PO_CLOCK, chain=(), seed="003 5.5.1; 5.3.12", decisions=("change_plan",)),
        ), shows=("plan", "change_plan")),
    )  # fmt: skip
    ordered = State("已下采购单 / Ordered", final=True)

    plan = planning.to(approval)
    approve = approval.to(ordering)
    return_plan = approval.to(planning)
    pos_placed = ordering.to(ordered)
    change_plan = ordering.to(approval)

    steps = {
        "plan": Step("提交物料需求计划表", "Submit the plan", form="requirement_plan",
                     effect=f"{EFFECTS}:fill_rows"),
        "approve": Step("批准并交采购（登记交接）", "Approve and hand to purchasing",
                        signature="approved", marks="handed_over",
                        effect=f"{EFFECTS}:hand_over"),
        "return_plan": Step("退回修改", "Return", reason_required=True, signature="rejected"),
        "pos_placed": Step("采购单已回传物控", "POs returned to MC", form="pos_placed",
                           effect=f"{EFFECTS}:check_pos"),
        "change_plan": Step("书面更改（已与采购沟通）", "Change in writing (buyer consulted)",
                            form="requirement_plan", reason_required=True,
                            effect=f"{EFFECTS}:fill_rows"),
    }  # fmt: skip
    entering = {
        # 003 5.3.11: the plan handed to purchasing — the buyers are told
        "ordering": OnEnter(informs=(Inform(roles=("buyer",)),)),
    }
