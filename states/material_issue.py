"""Material issue against quotas 物料出仓 (PROCEDURES.md §5j; seed 003 5.7.1-5.7.7, 5.7.10),
and the 物料跟催单 for shortages it raises.

A weekly production plan (生产周计划, one batch) starts the issue. [A] At once the system
checks quota × plan against stock (欠料预警, 5.7.5) and raises one 物料跟催单 per short item
(a linked ``issue_shortage`` child: MC replies the arrival date within 4 WH of the slip).
MC makes the 定额领料登记表 two working days before the plan starts (5.7.1-2; a task opening
on the plan's start −2 WD); the warehouse prepares the materials one working day before
(5.7.1). Then the warehouse issues against the quotas (``gendan.issue_register``: every
issue a stock movement and an ``IssueLine``), whole packs above the quota on a 借料单 (MC
told; offset at the next issue or returned at the batch close, 5.7.3), non-quota 领料单 up to
the department's request, more only with the 物控科长's approval (4 WH*, 5.7.4); a shortage
found at issue raises a 物料跟催单 (4 WH*; delivery affected → PMC with marketing, 5.7.6);
use ≠ quota → 定额领料差异提报一览表 → the 物控科长 fixes the standard (the BOM quota, audited;
1 WD*, 5.7.7); an over-issue 领料单 with its reason goes to the supervisor, then MC (4 WH*
each, 5.7.10). When the batch is completed the batch close (§8e) runs as a linked child.

Choice: the "supervisor" (部门主管) of an over-issue is the head of the workshop, because
operators have no accounts and the workshop's head signs for the requesting department.
Choice: the weekly plan → shortage check is declared, not special-cased: the start state is
an automatic step (``Automatic``, job ``weekly_plan_shortage``) whose outcome's rows start
one ``issue_shortage`` child each (``Child.each``); any procedure that issues a weekly plan
starts this procedure as its child (``Child("material_issue", data=...)``) to get both.
Choice: the issuing desk (the warehouse's issues, the workshop's over-issue requests and the
batch's completion) is due on the plan's planned completion (计划完工日), because the seed
times no issue and a batch still issuing after its planned end is late.
Choice: a shortage found at issue holds the batch until MC has answered its slips, because
the seed has MC and production adjust the weekly plan before the issue goes on.
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import RECV, Deadline
from states.base import (
    Automatic,
    Child,
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
from states.material_chase import chase_from_plan

SEED = "003 5.7"
CHECK = Deadline.wh(4, assumed=True)  # 4 WH*: seed silent, a prepared paper to check or sign
WORK = Deadline.wd(1, assumed=True)  # 1 WD*
SHEET_DUE = Deadline.before_date("weekly_plan.plan_start", 2, seed="投产前提前两天")
KIT_DUE = Deadline.before_date("weekly_plan.plan_start", 1, seed="提前1天按单备料")
#: Issuing runs until the batch is done: its desk tasks are due on the planned completion.
BY_PLAN_END = Deadline.before_date("weekly_plan.plan_end", 0, seed="计划完工日")
#: 5.7.1 仓库应追踪物控科…制作《定额领料登记表》: a late sheet goes to the warehouse keeper, who
#: chases MC, then to the head of material control.
WAREHOUSE_TRACKS = ("role:warehouse_keeper", "head")
BATCH = Subject(
    kind="batch", label_zh="批号（周计划）", label_en="Batch (weekly plan)",
    key_field="batch_no", orders_field="order_nos", one_open=True,
)  # fmt: skip
R = "gendan.issue_register:"
MC = ("material_controller", "material_control")
KEEPER = ("warehouse_keeper", "warehouse")
SECTION_HEAD = ("mc_section_head", "material_control")


def _forms(d: dict[str, Any]) -> dict[str, Any]:
    return d.get("forms", {})


def plan_shortages(data: dict[str, Any]) -> list[dict[str, Any]]:
    """欠料预警: one 物料跟催单 per short item of the checked plan (``Child.each``)."""
    rows = _forms(data).get("shortage_checked", {}).get("rows", [])
    raised = data.get("at", {}).get("shortage_checked")
    batch = data.get("weekly_plan", {}).get("batch_no")
    orders = data.get("weekly_plan", {}).get("order_nos")
    return [
        {"batch_no": batch, "order_nos": orders, "item_code": r["item_code"],
         "on_hand": r["on_hand"], "quota_qty": r["required"], "short_qty": r["short"],
         "reason": "plan_check", "received_at": raised}  # fmt: skip
        for r in rows
    ]


def issue_shortages(data: dict[str, Any]) -> list[dict[str, Any]]:
    """发料时欠料: one 物料跟催单 per row of the warehouse's shortage report."""
    rows = _forms(data).get("report_shortage", {}).get("rows", [])
    raised = data.get("at", {}).get("short_at_issue")
    batch = data.get("weekly_plan", {}).get("batch_no")
    orders = data.get("weekly_plan", {}).get("order_nos")
    return [
        {"batch_no": batch, "order_nos": orders, "item_code": r["item_code"],
         "on_hand": r["on_hand"], "quota_qty": r["needed"],
         "short_qty": round(max(r["needed"] - r["on_hand"], 0.001), 3),
         "reason": "at_issue", "received_at": raised}  # fmt: skip
        for r in rows
    ]


def batch_close_form(data: dict[str, Any]) -> dict[str, Any]:
    """§8e's start: the batch and when it was completed (its 24 hours run from there)."""
    return {
        "batch_no": data["weekly_plan"]["batch_no"],
        "received_at": _forms(data)["batch_completed"]["completed_at"],
    }


def _t(
    who: tuple[str, str], zh: str, en: str, dl: Deadline | None, seed: str, **kw: Any
) -> TaskSpec:
    return TaskSpec(who[0], who[1], zh, en, dl, seed=seed, **kw)


def _one(name: str, who: tuple[str, str], zh: str, en: str, dl: Deadline | None, seed: str,
         shows: tuple[str, ...] = (), **kw: Any) -> Waiting:  # fmt: skip
    return Waiting(name, wait=Wait((_t(who, zh, en, dl, seed, **kw),), shows=shows))


ISSUING_KEEPER = ("issue", "issue_non_quota", "request_above", "report_shortage",
                  "report_quota_difference")  # fmt: skip
ISSUING_WORKSHOP = ("request_over_issue", "batch_completed")


class MaterialIssue(Procedure):
    key = "material_issue"
    title_zh = "定额领料与发料"
    title_en = "Material issue against quotas"
    start_form = "weekly_plan"
    start_roles = ("material_controller", "production_planner")
    start_key = "weekly_plan"
    subject = BATCH

    checking = Waiting(
        "欠料预警核查 / Shortage check",
        initial=True,
        wait=Wait(
            automatic=Automatic(
                "weekly_plan_shortage", outcomes=("shortage_checked",),
                owner_role="material_controller", owner_department="material_control",
                title_zh="欠料预警核查失败", title_en="Shortage check failed", seed="003 5.7.5",
            )  # fmt: skip
        ),
    )
    preparing_sheet = _one(
        "编制定额领料登记表 / Quota sheet", MC,
        "投产前两天制作定额领料登记表（板材按BOM及图纸下料尺寸计算）",
        "Make the quota issue register 2 working days before the plan starts (boards by "
        "cutting size)",
        SHEET_DUE, "003 5.7.1-2", opens=OpensAt("weekly_plan.plan_start", 2),
        shows=("start", "shortage_checked"), chain=WAREHOUSE_TRACKS,
    )  # fmt: skip
    kitting = _one(
        "按单备料 / Materials prepared", KEEPER,
        "投产前1天按定额领料登记表备料", "Prepare the materials per the sheet 1 working day ahead",
        KIT_DUE, "003 5.7.1", opens=OpensAt("weekly_plan.plan_start", 1),
        shows=("prepare_sheet",),
    )  # fmt: skip
    issuing = Waiting(
        "定额发料 / Issuing",
        wait=Wait(
            (
                _t(KEEPER, "按定额发料（整件可开借料单；非定额开领料单；欠料、差异提报）",
                   "Issue against the quotas (whole packs on a borrow slip; non-quota on a "
                   "requisition; report shortages and differences)", BY_PLAN_END,
                   "003 5.7.3-5.7.7",
                   decisions=ISSUING_KEEPER),  # fmt: skip
                _t(("workshop_director", "workshop"), "超额领料申请；批号完工",
                   "Over-issue requisition; batch completed", BY_PLAN_END, "003 5.7.10, 5.10",
                   decisions=ISSUING_WORKSHOP),  # fmt: skip
            ),
            shows=("prepare_sheet",),
        ),
    )
    above_request = _one(
        "超申请数审核 / Above the request", SECTION_HEAD,
        "领料单超出部门申请数：物控科长审核", "Requisition above the department's request: "
        "the MC section head decides", CHECK, "003 5.7.4", shows=("request_above",),
    )  # fmt: skip
    over_issue_supervisor = _one(
        "超额领料：部门主管审核 / Over-issue: supervisor", ("dept_head", "workshop"),
        "审核超额领料单（原因）", "Check the over-issue requisition (its reason)", CHECK,
        "003 5.7.10", shows=("request_over_issue",),
    )  # fmt: skip
    over_issue_mc = _one(
        "超额领料：物控批准 / Over-issue: MC approves", MC,
        "批准超额领料", "Approve the over-issue", CHECK, "003 5.7.10",
        shows=("request_over_issue", "supervisor_approves"),
    )  # fmt: skip
    short_at_issue = Waiting(
        "发料欠料跟催中 / Shortage at issue chased",
        wait=Wait(children=("issue_shortage",), when_done="shortage_answered"),
    )
    quota_review = _one(
        "定额差异评定 / Quota difference review", SECTION_HEAD,
        "组织工厂、研发评定定额差异，确认用料标准", "With the plant and R&D, confirm the "
        "right quota", WORK, "003 5.7.7", shows=("report_quota_difference",),
    )  # fmt: skip
    closing = Waiting(
        "批号结案中 / Batch closing",
        wait=Wait(children=("batch_close",), when_done="batch_closed"),
    )
    closed = State("已结案 / Closed", final=True)

    shortage_checked = checking.to(preparing_sheet)
    prepare_sheet = preparing_sheet.to(kitting)
    materials_prepared = kitting.to(issuing)
    issue = issuing.to.itself()
    issue_non_quota = issuing.to.itself()
    request_above = issuing.to(above_request)
    approve_above = above_request.to(issuing)
    refuse_above = above_request.to(issuing)
    request_over_issue = issuing.to(over_issue_supervisor)
    supervisor_approves = over_issue_supervisor.to(over_issue_mc)
    supervisor_refuses = over_issue_supervisor.to(issuing)
    mc_approves_over = over_issue_mc.to(issuing)
    mc_refuses_over = over_issue_mc.to(issuing)
    report_shortage = issuing.to(short_at_issue)
    shortage_answered = short_at_issue.to(issuing)
    report_quota_difference = issuing.to(quota_review)
    fix_standard = quota_review.to(issuing)
    keep_standard = quota_review.to(issuing)
    batch_completed = issuing.to(closing)
    batch_closed = closing.to(closed)

    steps = {
        "shortage_checked": Step("欠料预警已核查", "Shortage checked", form="shortage_check",
                                 marks="shortage_checked"),  # fmt: skip
        "prepare_sheet": Step("下发定额领料登记表", "Issue the quota sheet", form="quota_sheet",
                              issues="quota_sheet", effect=R + "make_quota_sheet"),  # fmt: skip
        "materials_prepared": Step("备料完成", "Materials prepared", form="material_note"),
        "issue": Step("定额发料 / 借料", "Issue against the quota / lend a pack",
                      form="issue_slip", effect=R + "issue_against_quota"),  # fmt: skip
        "issue_non_quota": Step("非定额领料单发料", "Issue a non-quota requisition",
                                form="nonquota_requisition",
                                effect=R + "issue_non_quota"),  # fmt: skip
        "request_above": Step("超出申请数：报物控科长", "Above the request: to the MC section head",
                              form="nonquota_requisition"),  # fmt: skip
        "approve_above": Step("同意超申请数发料", "Approve issuing above the request",
                              form="material_note", signature="approved",
                              effect=R + "issue_approved_requisition"),  # fmt: skip
        "refuse_above": Step("拒绝（仓库拒发）", "Refuse (the warehouse does not issue)",
                             reason_required=True),  # fmt: skip
        "request_over_issue": Step("开超额领料单", "Over-issue requisition",
                                   form="over_issue_slip"),  # fmt: skip
        "supervisor_approves": Step("主管审核同意", "Supervisor agrees", form="material_note",
                                    signature="reviewed"),  # fmt: skip
        "supervisor_refuses": Step("主管不同意", "Supervisor refuses", reason_required=True),
        "mc_approves_over": Step("物控批准超额领料", "MC approves the over-issue",
                                 form="material_note", signature="approved",
                                 effect=R + "issue_over_quota"),  # fmt: skip
        "mc_refuses_over": Step("物控不批准", "MC refuses", reason_required=True),
        "report_shortage": Step("发料欠料：开物料跟催单", "Short at issue: chase slips",
                                form="shortage_at_issue", marks="short_at_issue"),  # fmt: skip
        "shortage_answered": Step("跟催单已回复", "Chase slips answered"),
        "report_quota_difference": Step("提报定额领料差异", "Report the quota difference",
                                        form="quota_difference"),  # fmt: skip
        "fix_standard": Step("修正用料标准（BOM定额）", "Fix the standard (BOM quota)",
                             form="quota_standard", signature="approved",
                             effect=R + "fix_quota_standard"),  # fmt: skip
        "keep_standard": Step("维持原定额", "Keep the quota", reason_required=True),
        "batch_completed": Step("批号完工", "Batch completed", form="batch_completion"),
        "batch_closed": Step("批号已结案", "Batch closed"),
    }
    entering = {
        # 003 5.5.3: the weekly plan reaches MC, who makes the 物料追催表 (§5g)
        "checking": OnEnter(starts=(Child("material_chase", data=chase_from_plan),)),
        "preparing_sheet": OnEnter(starts=(Child("issue_shortage", each=plan_shortages),)),
        # 5.7.2 统一交仓库进行备料发料: the issued sheet goes to the warehouse
        "kitting": OnEnter(informs=(Inform(roles=("warehouse_keeper",)),)),
        "short_at_issue": OnEnter(starts=(Child("issue_shortage", each=issue_shortages),)),
        "closing": OnEnter(starts=(Child("batch_close", data=batch_close_form),)),
        "closed": OnEnter(informs=(Inform(roles=("material_controller",)),)),
    }

    @classmethod
    def step_errors(
        cls, event: str, values: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, str]:
        """Only a 领料单 above the department's request goes to the 物控科长 (5.7.4)."""
        if event == "request_above" and values["qty"] <= values["requested"]:
            return {"qty": "not above the request: issue it directly / 未超出申请数，请直接发料"}
        return {}


# -- 物料跟催单 for a shortage ------------------------------------------------------------

SHORTAGE = Subject(kind="shortage", label_zh="欠料跟催", label_en="Shortage chase",
                   key_field="slip_key", orders_field="order_nos")  # fmt: skip
REPLY_PLAN = Deadline.wh(4, start=RECV, seed="4小时内回复")
REPLY_OTHER = Deadline.wh(4, start=RECV, assumed=True)


def _reason(d: dict[str, Any]) -> str:
    return str(d.get("slip", {}).get("reason", ""))


def delivery_change(data: dict[str, Any]) -> dict[str, Any]:
    """003 5.7.6: the delivery date PMC settled with marketing goes to sales as a §2 delivery
    change of the order the slip serves (as §3's moved date does, ``moved_date_change``)."""
    new = _forms(data).get("coordinated", {}).get("new_delivery_date")
    old = data.get("order", {}).get("delivery_date")
    item = data.get("slip", {}).get("item_code")
    return {
        "received_at": data.get("at", {}).get("coordinated"),
        "requested_by": "生产计划物控部（欠料协调）/ PMC (shortage)",
        "source": "customer",
        "change_description": (
            f"欠料 {item} 影响交期：交期由 {old} 改为 {new} / the shortage of {item} moves the "
            f"delivery date {old} → {new}"
        ),
        "written_request": None,
    }


def _date_moved(d: dict[str, Any]) -> bool:
    return bool(_forms(d).get("coordinated", {}).get("new_delivery_date") and d.get("order"))


class IssueShortage(Procedure):
    """物料跟催单 (欠料): MC replies the arrival date to the warehouse (003 5.7.5: 4 小时内;
    5.7.6 and 5.8.2: 4 WH*); delivery affected → PMC with marketing; a new delivery date of
    the order the slip serves goes to sales as a §2 delivery change (a linked child), and the
    marketing head is told.

    Choice: its own procedure rather than §5b's ``reorder_chase`` (one open slip per item,
    24 hours), because a shortage is per batch and item and answered within 4 hours."""

    key = "issue_shortage"
    title_zh = "物料跟催单（欠料）"
    title_en = "Material chase slip (shortage)"
    start_form = "issue_shortage_slip"
    start_roles = ("warehouse_keeper",)
    start_key = "slip"
    subject = SHORTAGE

    replying = Waiting(
        "待物控回复到料时间 / MC replies the arrival date",
        initial=True,
        wait=Wait(
            (
                _t(MC, "4小时内回复仓管到料时间（欠料预警）",
                   "Reply the arrival date to the warehouse within 4 hours (shortage check)",
                   REPLY_PLAN, "003 5.7.5", when="plan_check",
                   decisions=("reply",)),  # fmt: skip
                _t(MC, "发料欠料：与生产调整周计划并回复到料时间",
                   "Short at issue: adjust the weekly plan with production, reply the arrival "
                   "date", REPLY_OTHER, "003 5.7.6", when="at_issue"),  # fmt: skip
                _t(MC, "补料不足：回复到料时间", "Replenishment short: reply the arrival date",
                   REPLY_OTHER, "003 5.8.2", when="return_short",
                   decisions=("reply",)),  # fmt: skip
            ),
            shows=("start",),
        ),
    )
    coordinating = _one(
        "影响交期：生产计划物控部与营销中心协调 / Delivery affected: PMC with marketing",
        ("pmc_manager", "material_control"), "欠料影响交期：与营销中心协调",
        "The shortage affects delivery: settle it with marketing", CHECK, "003 5.7.6",
        shows=("start", "date_affected"),
    )  # fmt: skip
    answered = State("已回复 / Answered", final=True)

    reply = replying.to(answered)
    date_affected = replying.to(coordinating)
    coordinated = coordinating.to(answered)

    steps = {
        "reply": Step("回复到料时间", "Reply the arrival date", form="shortage_reply"),
        "date_affected": Step("影响交期：报生产计划物控部", "Delivery affected: to PMC",
                              form="shortage_reply"),  # fmt: skip
        "coordinated": Step("协调结果", "Settled with marketing", form="pmc_coordination",
                            marks="coordinated"),  # fmt: skip
    }
    entering = {
        # the warehouse hears the answer (回复仓管); marketing hears of an affected delivery
        "answered": OnEnter(
            informs=(Inform(roles=("warehouse_keeper",)),),
            starts=(Child("order_change", data=delivery_change, when="date_moved"),),
        ),
        "coordinating": OnEnter(informs=(Inform(heads=("sales",)),)),
    }
    predicates = {
        "plan_check": lambda d: _reason(d) == "plan_check",
        "at_issue": lambda d: _reason(d) == "at_issue",
        "return_short": lambda d: _reason(d) == "return_short",
        "date_moved": _date_moved,
    }
