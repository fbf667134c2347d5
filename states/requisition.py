"""Requisition 申购单 (PROCEDURES.md §5b 申购单 row, §5d, §5e).

Seeds: 003 5.1 (classes), 5.1.3A-B, 5.3.5, 5.3.7, 5.3.9-5.3.10, 5.4.1, 5.5.1; 002 3.4.3
steps 1-16.

Classes (003 5.1): safety-stock, per-order, temporary. The path (``gendan.requisitions``):

- standard (5.3.5): MC's (or the warehouse statistician's) 申购单 → the supervisor reviews
  → the PMC manager approves → the buyer;
- office supplies (5.1.3A): admin orders directly — the buyer at once, no MC review;
- samples and non-stock items (5.1.3B), R&D sample materials (5.3.10): MC reviews;
- chemicals and rare auxiliaries (5.3.7): the using department's head and the warehouse
  keeper confirm (countersign) → the PMC manager approves;
- fixed assets (5.3.9): the requesting department's top head → the company's designated
  leader (Choice: the deputy GM, 001J 2.1 has him lead planning) → the PMC manager plans it;
- the 002 variant (configured, 002 3.4.3): the workshop director approves → purchasing
  consolidates (strategic, MRP, temporary needs) → purchasing, manufacturing, planning and
  finance review (countersign) → a supply contract? the PO from it : sign one → the buyer
  makes the PO, which the purchasing lead approves (§5f, step 15).

Every review 4 WH*; approved → handed to purchasing (registered), the buyer's POs within 2 WD
(late → the PMC manager, as for the 物料需求计划表).
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import Deadline, event
from states.base import (
    Automatic,
    Countersign,
    Inform,
    OnEnter,
    Procedure,
    Step,
    Subject,
    TaskSpec,
    Wait,
    Waiting,
)

CHECK = Deadline.wh(4, assumed=True)
WORK = Deadline.wd(1, assumed=True)
PO_CLOCK = Deadline.wd(2, start=event("handed_over"), seed="二天内")
REQ = "gendan.requirements"


def _one(title: str, spec: TaskSpec, shows: tuple[str, ...] = ("start",)) -> Waiting:
    return Waiting(title, wait=Wait((spec,), shows=shows))


def _join(ok: str, no: str) -> Any:
    def join(opinions: list[dict[str, Any]]) -> str:
        return ok if all(o.get("agrees") for o in opinions) else no

    return join


#: The automatic route's events (gendan.requisitions.route_job).
ROUTES = {
    "to_supervisor": ("转部门主管审核", "To the supervisor"),
    "to_buyer": ("直接交采购", "Straight to purchasing"),
    "to_mc": ("转物控审核", "To MC's review"),
    "to_user_check": ("转使用部门与仓管确认", "To the department and the keeper"),
    "to_top_head": ("转部门最高主管", "To the top head"),
    "to_workshop": ("转车间主任（002）", "To the workshop director (002)"),
}

#: Who may raise a requisition on which path (003 4.6, 5.1.3, 5.3.5, 5.3.7, 5.3.9-5.3.10).
PATH_ROLES = {
    "standard": ("material_controller", "warehouse_keeper"),
    "office": ("admin_hr",),
    "sample": ("material_controller", "dept_head", "engineering"),
    "chemical": ("dept_head", "workshop_director", "production_manager"),
    "fixed_asset": ("dept_head", "equipment_section"),
    "rnd_sample": ("engineering",),
}


class Requisition(Procedure):
    key = "requisition"
    title_zh = "申购单"
    title_en = "Requisition"
    start_form = "requisition"
    start_roles = ("material_controller", "warehouse_keeper", "admin_hr", "dept_head",
                   "engineering", "workshop_director", "production_manager")  # fmt: skip
    start_key = "requisition"
    subject = Subject(kind="requisition", label_zh="申购单", label_en="Requisition",
                      prefix="REQ", orders_field="orders")  # fmt: skip
    start_effect = "gendan.requisitions:check_items"

    received = Waiting(
        "分流 / Routing",
        initial=True,
        wait=Wait(automatic=Automatic(
            "route_requisition", outcomes=tuple(ROUTES), owner_role="pmc_manager",
            owner_department="material_control", title_zh="申购单分流失败",
            title_en="Routing the requisition failed", seed="003 5.1")),
    )  # fmt: skip
    supervisor_review = Waiting(
        "主管审核 / Supervisor reviews",
        wait=Wait((TaskSpec("dept_head", "material_control", "审核申购单（部门主管）",
                            "Review the requisition (supervisor)", CHECK,
                            seed="003 5.3.5"),), shows=("start",)),  # fmt: skip
    )
    manager_approval = _one(
        "PMC 经理审批 / PMC manager approves",
        TaskSpec("pmc_manager", "material_control", "审批申购单", "Approve the requisition",
                 CHECK, seed="003 5.3.5, 5.3.7, 5.3.9"),  # fmt: skip
    )
    mc_review = _one(
        "物控审核 / MC reviews",
        TaskSpec("material_controller", "material_control", "审核临时请购（样品/非库存/研发）",
                 "Review the temporary requisition (samples, non-stock, R&D)", CHECK,
                 seed="003 5.1.3B, 5.3.10"),  # fmt: skip
    )
    user_check = Waiting(
        "使用部门与仓管确认 / Department and keeper confirm",
        wait=Wait((
            TaskSpec("dept_head", "production", "确认化工/不常用辅料用量（部门负责人）",
                     "Confirm the chemicals / rare auxiliaries (department head)", CHECK,
                     seed="003 5.3.7", participants="form:department"),
            TaskSpec("warehouse_keeper", "warehouse", "确认化工/不常用辅料用量（仓管）",
                     "Confirm the chemicals / rare auxiliaries (warehouse keeper)", CHECK,
                     seed="003 5.3.7"),
        ), countersign=Countersign(form="requisition_opinion",
                                   join=_join("usage_confirmed", "declined")),
           shows=("start",)),
    )  # fmt: skip
    top_head = _one(
        "部门最高主管审核 / Top head reviews",
        TaskSpec("dept_head", "production", "审核固定资产请购（部门最高主管）",
                 "Review the fixed-asset requisition (the department's top head)", CHECK,
                 seed="003 5.3.9", participants="form:department"),  # fmt: skip
    )
    leader_approval = _one(
        "指定高层审批 / Designated leader approves",
        TaskSpec("deputy_gm", "gm_office", "审批固定资产请购（公司指定高层领导）",
                 "Approve the fixed-asset requisition (designated leader)", CHECK,
                 seed="003 5.3.9"),  # fmt: skip
    )
    # -- 002 3.4.3 (configured variant)
    workshop_approval = _one(
        "车间主任审批 / Workshop director approves",
        TaskSpec("workshop_director", "workshop", "审批采购需求（车间主任）",
                 "Approve the purchase need (workshop director)", CHECK,
                 seed="002 3.4.3 steps 2, 11"),  # fmt: skip
    )
    consolidating = _one(
        "采购部汇总 / Purchasing consolidates",
        TaskSpec("buyer", "purchasing", "汇总采购需求（战略物资、MRP、临时用料）",
                 "Consolidate the needs (strategic, MRP, temporary)", CHECK,
                 seed="002 3.4.3 steps 3, 8, 12"),  # fmt: skip
    )
    joint_review = Waiting(
        "需求评审 / Joint review",
        wait=Wait(tuple(
            TaskSpec(role, dep, "采购需求评审", "Review the purchase need", CHECK,
                     seed="002 3.4.3 steps 4, 9, 13")
            for role, dep in (("purchasing_lead", "purchasing"),
                              ("production_manager", "production"),
                              ("production_planner", "production"), ("finance", "finance"))
        ), countersign=Countersign(form="requisition_opinion",
                                   join=_join("review_passed", "review_failed")),
           shows=("start", "consolidated")),
    )  # fmt: skip
    contract_check = _one(
        "采购合同 / Supply contract?",
        TaskSpec("buyer", "purchasing", "查有无采购合同：有则依合同下单，无则签订",
                 "A supply contract? Order from it, else sign one", CHECK,
                 seed="002 3.4.3 steps 5-6, 14"),  # fmt: skip
        shows=("start", "consolidated"),
    )
    contract_signing = _one(
        "签订采购合同 / Sign the contract",
        TaskSpec("buyer", "purchasing", "与供应商签订采购合同", "Sign the supply contract",
                 WORK, seed="002 3.4.3"),  # fmt: skip
    )
    ordering = Waiting(
        "采购下单 / Purchasing orders",
        wait=Wait((
            TaskSpec("buyer", "purchasing", "依申购单下采购单并回传物控（二天内）",
                     "Make the POs from the requisition and return them to MC (two days)",
                     PO_CLOCK, chain=("role:pmc_manager",), seed="003 5.4.1; 5.5.1"),
        ), shows=("start",)),
    )  # fmt: skip
    ordered = State("已下采购单 / Ordered", final=True)
    rejected = State("未批准 / Not approved", final=True)

    reviewed = supervisor_review.to(manager_approval) | top_head.to(leader_approval)
    to_supervisor = received.to(supervisor_review)
    to_buyer = received.to(ordering)
    to_mc = received.to(mc_review)
    to_user_check = received.to(user_check)
    to_top_head = received.to(top_head)
    to_workshop = received.to(workshop_approval)
    approve = (
        manager_approval.to(ordering) | mc_review.to(ordering)
        | leader_approval.to(manager_approval)
    )  # fmt: skip
    reject = (
        supervisor_review.to(rejected) | manager_approval.to(rejected) | mc_review.to(rejected)
        | top_head.to(rejected) | leader_approval.to(rejected) | workshop_approval.to(rejected)
    )  # fmt: skip
    usage_confirmed = user_check.to(manager_approval)
    declined = user_check.to(rejected)
    approve_need = workshop_approval.to(consolidating)
    consolidated = consolidating.to(joint_review)
    review_passed = joint_review.to(contract_check)
    review_failed = joint_review.to(rejected)
    contract_exists = contract_check.to(ordering)
    sign_contract = contract_check.to(contract_signing)
    contract_signed = contract_signing.to(ordering)
    pos_placed = ordering.to(ordered)

    steps = {
        **{ev: Step(zh, en) for ev, (zh, en) in ROUTES.items()},
        "to_buyer": Step("行政用品：直接交采购", "Office supplies: straight to purchasing",
                         marks="handed_over", effect=f"{REQ}:hand_over"),
        "reviewed": Step("审核通过", "Reviewed", signature="reviewed"),
        "approve": Step("批准（交采购，登记交接）", "Approve (to purchasing, registered)",
                        signature="approved", marks="handed_over", effect=f"{REQ}:hand_over"),
        "reject": Step("不批准", "Reject", reason_required=True, signature="rejected"),
        "usage_confirmed": Step("确认用量", "Confirmed"),
        "declined": Step("不同意", "Declined"),
        "approve_need": Step("批准需求", "Approve the need", signature="approved"),
        "consolidated": Step("已汇总", "Consolidated", form="consolidation"),
        "review_passed": Step("评审通过", "Review passed"),
        "review_failed": Step("评审未通过", "Review failed"),
        "contract_exists": Step("有合同，依合同下单", "Contract on file", marks="handed_over",
                                form="supply_contract"),
        "sign_contract": Step("无合同，签订合同", "No contract: sign one"),
        "contract_signed": Step("合同已签订", "Contract signed", form="supply_contract",
                                marks="handed_over"),
        "pos_placed": Step("采购单已回传物控", "POs returned to MC", form="pos_placed",
                           effect=f"{REQ}:check_pos"),
    }  # fmt: skip
    entering = {
        "ordering": OnEnter(informs=(Inform(roles=("buyer",)),)),
    }

    @classmethod
    def start_refusal(cls, roles: set[str], values: dict[str, Any]) -> str | None:
        """A special path is raised by the department the seed names (office supplies only by
        admin, R&D samples by R&D, ...)."""
        allowed = PATH_ROLES[values["path"]]
        if values["path"] != "standard" and not roles & set(allowed):
            return (f"the {values['path']} path is raised by {', '.join(allowed)} / "
                    "此类请购须由规定部门提出")  # fmt: skip
        return None
