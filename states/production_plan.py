"""Production planning, follow-up, shipping and payment 生产计划与跟单 (PROCEDURES.md §3).

Seeds: 001M 2.1.1-2.1.7, 2.2.1-2.2.3, 3.1-3.3, 4.2; 001W 3.1.3.4; 003 5.3.2; 001J 3.2;
000/4 三.13-14; 001T 7, 9.

Started when the 生产通知单 is confirmed (its received-at is "recv"). Planning →
cooperating heads countersign (purchasing adds its 采购进货进度计划表, engineering its
design date) → objection window (1 WD; an objection is settled by planning, else the GM;
a moved date goes to 合同订单管理部 for §2) → pre-start check (problems → 跨部门工作联系单)
→ in production: workshop daily reports, the merchandiser's follow-up at delivery −3/−2 WD
(deviation → remedy → remedies exhausted → plan adjusted; date unmeetable → 催促单 →
交期延误报告), plan-change requests (dispatcher → production), outsourcing proposals (GM →
group GM), a customer late with the design (sales chases, paused) → packing notice →
packing (short shipment: the customer's consent via sales) → 成品入库单 → 发货通知单 after
the contract and payment check → the FG store confirms → logistics dispatches (a slip is
reported) → sales confirms receipt (not received → logistics investigates) → finance
chases payment on the payment date, weekly until paid.

Choice: one variant per factory, chosen by ``planning_variant`` in the settings
(``single``: the production manager decomposes, 001M 2.1.1; ``pmc``: the planner copies
MC, distributes to plants and subcontractors, the PMC manager approves, 003 5.3.2),
because the seeds describe different companies; the variant is read when planning opens and
the path taken (``plan`` to the countersign or to distribution) records it.
Choice: one plan event ``plan`` (first plan, re-plans after remedies or an approved change),
so the dates later tasks count back from are always "plan.<field>" of the latest plan.
Choice: the dispatch follows the plan's dispatch date; the payment date is the contract's,
recorded when receipt is confirmed (the contract form of §1 carries terms, not dates).
Choice: the cooperation company (machining, crates) has no account (PROCEDURES.md: outside
parties get none); the outsourcing coordinator records its plan in the countersign.
Choice: the workshop's daily report is one task, due the same day when first opened and one
working day after each report since, because the engine opens tasks on state entry or on a
business date, not on a daily timetable.

Not built yet: the make-good task opens with the receipt (when the parts arrive needs the
materials receipts of §5); completion is the packing lead's 成品入库单 with QC, accessories
and documents ticked, not an automatic check of an inspection record (§9 has no pass record
per order yet); one payment date per order (a contract with several instalments is chased
weekly after the first until paid in full).
The group GM's approval of outsourcing starts §6 (``outsourcing``) as a linked child at its plan.
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.settings import get_settings
from gendan.timespec import RECV, Deadline, event
from states.base import (
    Child,
    Countersign,
    Inform,
    OnEnter,
    OpensAt,
    Procedure,
    Step,
    TaskSpec,
    Wait,
    Waiting,
    Window,
)

WORK = Deadline.wd(1, assumed=True)  # 1 WD*: seed silent, work to do
CHECK = Deadline.wh(4, assumed=True)  # 4 WH*: seed silent, check or sign a prepared paper
WORK_RECV = Deadline.wd(1, start=RECV, assumed=True)
TO_GM = ("role:general_manager",)
#: 001M 2.2.1: a missed follow-up goes to 生产部门领导, then 该公司总经理.
FOLLOW_UP_CHAIN = ("role:production_manager", "role:general_manager")

# -- business-date deadlines (PROCEDURES.md "date-anchored"): the task opens at the start of
# the first day and is due at the end of the last; a moved date moves both (audited).
FOLLOW_UP = Deadline.before_date("order.delivery_date", 3, 2, seed="交货期前3-2个工作日")
PRESTART = Deadline.before_date("plan.planned_start", 2, 1, seed="开工前2-1个工作日")
PACKING_SET = Deadline.before_date("plan.packing_date", 3, seed="包装前3个工作日（成套）")
PACKING_OTHER = Deadline.before_date("plan.packing_date", 1, seed="包装前1个工作日")
SHIP_NOTICE = Deadline.before_date("plan.dispatch_date", 1, seed="发货前1个工作日")
ON_DISPATCH = Deadline.before_date("plan.dispatch_date", 0, seed="发货当天")
#: The plan's design line: engineering's task opens on its start and is due on its finish.
DESIGN_DUE = Deadline.before_date("plan.rows.design.finish", 0, seed="设计完成日")
DESIGN_OPENS = OpensAt("plan.rows.design.start", 0)
ON_ARRIVAL = Deadline.before_date("dispatch.eta", 0, seed="当天")
PAYMENT_DAY = Deadline.before_date("receipt_confirmed.payment_due", 0, seed="合同付款日")


def opens(deadline: Deadline) -> OpensAt:
    """A date-anchored task opens on the first day of its deadline's range."""
    assert deadline.before is not None
    return OpensAt(deadline.start.removeprefix("date:"), deadline.before[0])


def _forms(d: dict[str, Any]) -> dict[str, Any]:
    return d.get("forms", {})


def _plan(d: dict[str, Any]) -> dict[str, Any]:
    return _forms(d).get("plan", {})


def variant() -> str:
    """The factory's planning variant (``gendan.settings.Settings.planning_variant``)."""
    return get_settings().planning_variant


def _set(d: dict[str, Any]) -> bool:
    return bool(d.get("order", {}).get("complete_set"))


PREDICATES = {
    "single_set": lambda d: variant() == "single" and _set(d),
    "single_other": lambda d: variant() == "single" and not _set(d),
    "pmc": lambda d: variant() == "pmc",
    # engineering signs when there is design work: a non-regular order or meeting, a design line
    "design_needed": lambda d: (
        d.get("order", {}).get("kind") == "non_regular"
        or _plan(d).get("meeting") == "non_regular"
        or any(r.get("line") == "design" for r in _plan(d).get("rows", []))
    ),
    "qa_invited": lambda d: bool(_plan(d).get("invite_qa")),
    "cooperation": lambda d: any(r.get("line") == "cooperation" for r in _plan(d).get("rows", [])),
    "complete_set": _set,
    "other_product": lambda d: not _set(d),
    "design_open": lambda d: (
        any(r.get("line") == "design" for r in _plan(d).get("rows", []))
        and "design_done" not in _forms(d)
    ),
    "not_followed_up": lambda d: "follow_up_ok" not in _forms(d),
    "no_report_yet": lambda d: "daily_report" not in _forms(d),
    "reported": lambda d: "daily_report" in _forms(d),
    "not_slipped": lambda d: "report_slip" not in _forms(d),
    "slipped": lambda d: "report_slip" in _forms(d),
    "not_chased": lambda d: "chase_payment" not in _forms(d),
    "chased": lambda d: "chase_payment" in _forms(d),
    "owes_parts": lambda d: (
        bool(_forms(d).get("customer_consents", {}).get("consents"))
        and "make_good" not in _forms(d)
    ),
}

#: Who receives the plan and may object within the window (001W 3.1.3.4; 001M 2.1.5).
RECIPIENTS = (
    ("sales_clerk", "sales"),
    ("warehouse_keeper", "warehouse"),
    ("finance", "finance"),
    ("qc_inspector", "quality"),
    ("purchasing_lead", "purchasing"),
)
#: The window: 1 WD from the plan's receipt (it goes out at the countersign's join).
WINDOW = Deadline.wd(1, start=event("plan_sent"), seed="1个工作日")


def _t(role: str, dep: str, zh: str, en: str, dl: Deadline, seed: str, **kw: Any) -> TaskSpec:
    return TaskSpec(role, dep, zh, en, dl, seed=seed, **kw)


def _one(
    title: str, role: str, dep: str, zh: str, en: str, dl: Deadline, seed: str, **kw: Any
) -> Waiting:
    """A state waiting for one task."""
    shows = kw.pop("shows", ())
    return Waiting(title, wait=Wait((_t(role, dep, zh, en, dl, seed, **kw),), shows=shows))


def outsourcing_request(data: dict[str, Any]) -> dict[str, Any]:
    """§6's 外协签批单 from the GM's 外协建议 (001M 2.2.2(3): cannot make or buy in time, so
    the reason is capacity; the proposed subcontractor, free text here, goes to the remarks)."""
    proposal = _forms(data).get("propose_outsourcing", {})
    remarks = [proposal.get("reason") or "", proposal.get("subcontractor") or ""]
    return {
        "orders": data.get("order", {}).get("order_no"),
        "reason": "capacity",
        "work": proposal.get("work") or "外协 / outsourcing",
        "remarks": " / ".join(r for r in remarks if r) or None,
    }


#: §6 started by the group GM's approval (its Step.effect: only that move starts it, not
#: every return to production), linked, at its plan: approved here, not twice.
OUTSOURCING = Child("outsourcing", data=outsourcing_request, enters="planning")


def moved_date_change(data: dict[str, Any]) -> dict[str, Any]:
    """001M 2.1.5: a settlement that moves the delivery date goes to 合同订单管理部 as a §2
    delivery change (客户更改通知登记), received when it was settled.

    Choice: raised as the customer's change (source "customer"), since only sales may move a
    date with the customer (001M 1.5.2); the sales clerk classifies it within 30 WM.
    """
    forms = _forms(data)
    settled = forms.get("gm_decides") or forms.get("settle") or {}
    moved = settled.get("moved_delivery_date")
    old = data.get("order", {}).get("delivery_date")
    return {
        "received_at": data.get("at", {}).get("date_moved"),
        "requested_by": "生产计划异议协调 / plan objection settled",
        "source": "customer",
        "change_description": (
            f"计划异议协调：交期由 {old} 改为 {moved} / the plan's objection moves the delivery "
            f"date {old} → {moved}"
        ),
        "written_request": None,
    }


def all_signed(_opinions: list[dict[str, Any]]) -> str:
    return "plan_signed"


IN_PRODUCTION_PM = ("packing_notice", "cannot_make_in_time", "remedies_exhausted", "design_late")


class ProductionPlan(Procedure):
    key = "production_plan"
    title_zh = "生产计划与跟单"
    title_en = "Production scheduling and follow-up"
    start_form = "plan_start"
    start_roles = ("production_manager", "production_planner")
    start_key = "plan_start"
    order_statuses = ("released",)
    status_hint = "planning starts when the production notice is confirmed"
    exclusive = "production_plan"  # one plan per order
    #: A moved delivery date moves packing and dispatch with it (§2 → plan reopened).
    follows_delivery = (
        "plan.packing_date",
        "plan.dispatch_date",
        "plan.rows.packing.start",
        "plan.rows.packing.finish",
    )

    planning = Waiting(
        "编制生产计划 / Planning",
        initial=True,
        wait=Wait(
            (
                _t(
                    "production_manager",
                    "production",
                    "分解生产计划（成套产品 24 小时内）",
                    "Decompose the plan (complete set: within 24 hours)",
                    Deadline.day_hours(24, start=RECV),
                    "001M 2.1.1",
                    when="single_set",
                ),
                _t(
                    "production_manager",
                    "production",
                    "分解生产计划（4 小时内）",
                    "Decompose the plan (within 4 working hours)",
                    Deadline.wh(4, start=RECV, seed="4小时内"),
                    "001M 2.1.1",
                    when="single_other",
                ),
                _t(
                    "production_planner",
                    "production",
                    "生产计划抄送物控（30 分钟内）",
                    "Copy the plan to MC (within 30 minutes)",
                    Deadline.wm(30, start=RECV, seed="30分钟内"),
                    "003 5.3.2",
                    when="pmc",
                ),
            ),
            shows=("start", "doc:production_notice"),
        ),
    )
    capacity = Waiting(
        "产能冲突排序 / Capacity conflict",
        wait=Wait(
            (
                _t(
                    "production_manager",
                    "production",
                    "产能冲突：商定排产顺序",
                    "Capacity conflict: agree the sequence",
                    WORK,
                    "001M 2.1.6",
                ),
                _t(
                    "merchandising_lead",
                    "merchandising",
                    "产能冲突：商定排产顺序",
                    "Capacity conflict: agree the sequence",
                    WORK,
                    "001M 2.1.6",
                ),
            ),
            countersign=Countersign(form="sequence_agreement", join=lambda _: "sequence_agreed"),
            shows=("capacity_conflict",),
        ),
    )
    distributing = _one(
        "下发分厂及外协 / Distribution to plants",
        "production_planner",
        "production",
        "下发生产通知书、外委(购)产品订货单（3 个工作日内）",
        "Send production orders to plants and subcontractors (within 3 working days)",
        Deadline.wd(3, start=RECV, seed="3个工作日内"),
        "003 5.3.2",
        shows=("plan",),
    )
    pmc_approval = _one(
        "PMC 主管审批 / PMC manager approves",
        "pmc_manager",
        "material_control",
        "审批生产计划及下发单据",
        "Approve the plan and the papers sent out",
        CHECK,
        "003 5.3.2",
        shows=("plan", "distribute"),
    )
    signing = Waiting(
        "协作部门会签 / Cooperating heads sign",
        wait=Wait(
            (
                _t(
                    "workshop_director",
                    "workshop",
                    "会签生产计划（车间）",
                    "Sign the plan (workshop)",
                    WORK_RECV,
                    "001W 3.1.3.4",
                ),
                _t(
                    "purchasing_lead",
                    "purchasing",
                    "查集团库存，调拨或采购；编制采购进货进度计划表",
                    "Check group stock, transfer or buy; the purchase schedule",
                    WORK_RECV,
                    "001M 2.1.3",
                ),
                _t(
                    "engineering",
                    "engineering",
                    "编制设计进度并会签",
                    "Schedule the design and sign",
                    WORK_RECV,
                    "001M 2.1.4",
                    when="design_needed",
                ),
                _t(
                    "outsourcing_coordinator",
                    "outsourcing",
                    "协作公司（机加工、木箱）：登记其作业计划与采购日期",
                    "Cooperation company (machining, crates): record its plan and purchase dates",
                    WORK_RECV,
                    "001M 2.1.2",
                    when="cooperation",
                ),
                _t(
                    "qa_lead",
                    "quality",
                    "会签生产计划（质管，受邀）",
                    "Sign the plan (QA, invited)",
                    WORK_RECV,
                    "001M 2.1.1",
                    when="qa_invited",
                ),
            ),
            countersign=Countersign(form="plan_signoff", join=all_signed),
            shows=("plan",),
        ),
    )
    objection_window = Waiting(
        "异议期 / Objection window",
        wait=Wait(
            tuple(
                _t(
                    role,
                    dep,
                    "生产计划异议（1 个工作日内，逾期视为接受）",
                    "Object to the plan (1 working day; silence is acceptance)",
                    WINDOW,
                    "001M 2.1.5",
                )
                for role, dep in RECIPIENTS
            )
            + (
                _t(
                    "engineering",
                    "engineering",
                    "生产计划异议（研发，如需；1 个工作日内）",
                    "Object to the plan (R&D if needed; 1 working day)",
                    WINDOW,
                    "001W 3.1.3.4",
                    when="design_needed",
                ),
            ),
            window=Window(WINDOW, on_silence="accepted", objection="objected"),
            shows=("plan", "plan_signed"),
        ),
    )
    settlement = _one(
        "计划部门协调异议 / Planning settles the objection",
        "production_manager",
        "production",
        "协调计划异议（不能协调报总经理）",
        "Settle the objection (else to the GM)",
        WORK,
        "001M 2.1.5",
        chain=TO_GM,
        shows=("plan", "objected"),
    )
    gm_settlement = _one(
        "总经理裁决异议 / The GM decides",
        "general_manager",
        "gm_office",
        "裁决计划异议",
        "Decide the objection to the plan",
        WORK,
        "001M 2.1.5",
        shows=("plan", "objected", "refer_to_gm"),
    )
    date_referral = _one(
        "交期变更转合同订单管理部 / Moved date to merchandising",
        "merchandising_lead",
        "merchandising",
        "计划交期变更：已转销售办理合同订单更改（§2），跟进并确认",
        "The plan moves the delivery date: follow the order change raised for sales (§2)",
        WORK,
        "001M 2.1.5",
        shows=("objected", "settle", "gm_decides"),
    )
    prestart = _one(
        "开工前检查 / Pre-start check",
        "production_manager",
        "production",
        "开工前检查人员、设备、物料、协作、采购、设计",
        "Check people, machines, materials, cooperation, purchases, design before the start",
        PRESTART,
        "001M 2.2.2(1)",
        opens=opens(PRESTART),
        shows=("plan",),
    )
    liaison = _one(
        "跨部门工作联系单 / Liaison sheet",
        "dept_head",
        "production",
        "答复跨部门工作联系单（按联系单要求时间）",
        "Answer the cross-department liaison sheet (by the time it asks)",
        WORK,
        "001M 2.2.2(1)",
        participants="form:addressee",
        due="form:due",
        shows=("raise_liaison",),
    )
    in_production = Waiting(
        "生产中 / In production",
        wait=Wait(
            (
                _t(
                    "production_manager",
                    "production",
                    "下达包装通知（成套：包装前 3 个工作日）",
                    "Packing notice (complete set: 3 working days before packing)",
                    PACKING_SET,
                    "001M 2.2.2(5)",
                    opens=opens(PACKING_SET),
                    when="complete_set",
                    decisions=IN_PRODUCTION_PM,
                ),
                _t(
                    "production_manager",
                    "production",
                    "下达包装通知（包装前 1 个工作日）",
                    "Packing notice (1 working day before packing)",
                    PACKING_OTHER,
                    "001M 2.2.2(5)",
                    opens=opens(PACKING_OTHER),
                    when="other_product",
                    decisions=IN_PRODUCTION_PM,
                ),
                _t(
                    "merchandiser",
                    "merchandising",
                    "跟单：对照计划检查进度（交货期前 3-2 个工作日）",
                    "Follow up progress against the plan (3-2 working days before delivery)",
                    FOLLOW_UP,
                    "001M 2.2.1",
                    opens=opens(FOLLOW_UP),
                    when="not_followed_up",
                    chain=FOLLOW_UP_CHAIN,
                    decisions=("follow_up_ok", "deviation", "date_unmeetable"),
                ),
                _t(
                    "workshop_director",
                    "workshop",
                    "车间日报表报调度（当天）",
                    "Daily report to the dispatcher (same day)",
                    Deadline.today(),
                    "001J 3.2.1; 001W 3.3.2.2.7",
                    when="no_report_yet",
                    decisions=("daily_report", "request_plan_change"),
                ),
                _t(
                    "workshop_director",
                    "workshop",
                    "车间日报表报调度（每日）",
                    "Daily report to the dispatcher (daily)",
                    Deadline.wd(1, start=event("daily_report"), seed="当天"),
                    "001J 3.2.1; 001W 3.3.2.2.7",
                    when="reported",
                    decisions=("daily_report", "request_plan_change"),
                ),
                _t(
                    "engineering",
                    "engineering",
                    "按设计进度出图（客户未确认设计须告知计划）",
                    "Deliver the design on schedule (tell planning if the customer has not "
                    "confirmed it)",
                    DESIGN_DUE,
                    "001M 2.1.7; 2.2.3(4)",
                    opens=DESIGN_OPENS,
                    when="design_open",
                    decisions=("design_late", "design_done"),
                ),
            ),
            shows=("plan",),
        ),
    )
    remedy = _one(
        "纠偏补救 / Remedy",
        "production_manager",
        "production",
        "进度偏差：采取补救措施",
        "Progress deviates from the plan: remedy it",
        Deadline.prompt(),
        "001M 2.2.1; 2.2.2(4)",
        shows=("deviation",),
    )
    plan_adjust = _one(
        "调整计划 / Plan adjusted",
        "production_manager",
        "production",
        "通知计划下达部门并调整生产计划",
        "Tell the planning department and adjust the plan",
        Deadline.prompt(),
        "001M 2.2.2(4); 2.2.3(4)",
        shows=("plan", "remedies_exhausted", "approve_change", "design_confirmed"),
    )
    design_chase = _one(
        "催客户确认设计 / Sales chases the design confirmation",
        "sales_clerk",
        "sales",
        "客户延迟确认设计：催客户确认",
        "The customer is late confirming the design: chase them",
        Deadline.prompt(),
        "001M 2.2.3(4)",
        pauses_for="customer",
        shows=("design_late",),
    )
    urging = _one(
        "告知客户并发催促单 / Customer told, urging note",
        "merchandiser",
        "merchandising",
        "交期无法满足：告知客户，向生产部经理及总经理发催促单（最后期限）",
        "Date unmeetable: tell the customer; urging note with the final deadline",
        WORK,
        "001M 2.2.1; 000/4 三.13",
        shows=("date_unmeetable",),
    )
    delay_reporting = _one(
        "交期延误报告 / Delay report",
        "merchandising_lead",
        "merchandising",
        "向业务主管或总经理提交交期延误报告",
        "Send the delivery delay report to the sales head or the GM",
        WORK,
        "000/4 三.14",
        shows=("date_unmeetable", "issue_urge"),
    )
    outsourcing_proposal = _one(
        "总经理提议外协 / GM proposes outsourcing",
        "general_manager",
        "gm_office",
        "不能按期生产或采购：提议外协",
        "Cannot make or buy in time: propose outsourcing",
        WORK,
        "001M 2.2.2(3)",
        shows=("cannot_make_in_time",),
    )
    group_approval = _one(
        "集团总经理批准外协 / Group GM approves",
        "group_gm",
        "gm_office",
        "批准外协建议（→ 外协程序）",
        "Approve the outsourcing proposal (→ outsourcing)",
        WORK,
        "001M 2.2.2(3)",
        shows=("propose_outsourcing",),
    )
    change_review = _one(
        "调度审核计划变更 / Dispatcher reviews the change",
        "dispatcher",
        "production",
        "审核车间计划变更申请",
        "Review the workshop's plan change request",
        CHECK,
        "001J 3.2.3",
        shows=("request_plan_change",),
    )
    change_approval = _one(
        "生产部批准计划变更 / Production approves the change",
        "production_manager",
        "production",
        "批准计划变更",
        "Approve the plan change",
        CHECK,
        "001J 3.2.3",
        shows=("request_plan_change", "endorse_change"),
    )
    packing = Waiting(
        "包装 / Packing",
        wait=Wait(
            (
                _t(
                    "packing_lead",
                    "workshop",
                    "安排包装，配件、随机资料齐全（成套）",
                    "Arrange packing; accessories and documents complete (complete set)",
                    PACKING_SET,
                    "001M 2.2.2(5)",
                    opens=opens(PACKING_SET),
                    when="complete_set",
                ),
                _t(
                    "packing_lead",
                    "workshop",
                    "安排包装，配件、随机资料齐全",
                    "Arrange packing; accessories and documents complete",
                    PACKING_OTHER,
                    "001M 2.2.2(5)",
                    opens=opens(PACKING_OTHER),
                    when="other_product",
                ),
            ),
            shows=("packing_notice", "customer_consents"),
        ),
    )
    consent = _one(
        "缺件发货：客户同意 / Short shipment: customer's consent",
        "sales_clerk",
        "sales",
        "缺件发货：征得客户同意（发货前）",
        "Short shipment: get the customer's consent (before dispatch)",
        ON_DISPATCH,
        "001M 2.2.2(6)",
        pauses_for="customer",
        shows=("short_shipment",),
    )
    stocked = _one(
        "已入库 / Stocked",
        "merchandiser",
        "merchandising",
        "核对合同及货款，发出发货通知单（发货前 1 个工作日）",
        "Check contract and payment; send the shipping notice (1 working day before dispatch)",
        SHIP_NOTICE,
        "001M 3.1",
        opens=opens(SHIP_NOTICE),
        shows=("packed",),
    )
    shipping = _one(
        "成品确认 / FG store confirms",
        "fg_keeper",
        "warehouse",
        "确认成品，贴标识、包装",
        "Confirm, label and pack the goods",
        ON_DISPATCH,
        "001M 3.2(1)",
        opens=opens(ON_DISPATCH),
        shows=("notify_shipping",),
    )
    loading = Waiting(
        "发运 / Dispatch",
        wait=Wait(
            (
                _t(
                    "logistics",
                    "logistics",
                    "订车发运，取回承运回执",
                    "Book the carrier, send the goods, get the signed receipt",
                    ON_DISPATCH,
                    "001M 3.2(2)",
                    opens=opens(ON_DISPATCH),
                    when="not_slipped",
                ),
                _t(
                    "logistics",
                    "logistics",
                    "发运延误：按新时间发运",
                    "Slipped: dispatch at the new time",
                    WORK,
                    "001M 3.2(2)",
                    when="slipped",
                    due="form:new_time",
                ),
            ),
            shows=("notify_shipping", "goods_confirmed"),
        ),
    )
    dispatched = _one(
        "已发运 / Dispatched",
        "sales_clerk",
        "sales",
        "致电客户确认收货，登销售台账，提醒业务员取回发货回执",
        "Phone the customer, post the sales ledger, remind the salesperson of the receipt",
        ON_ARRIVAL,
        "001M 3.3(1)",
        opens=opens(ON_ARRIVAL),
        shows=("dispatch",),
    )
    investigating = _one(
        "未到货调查 / Not received",
        "logistics",
        "logistics",
        "客户未收到货：调查并答复客户",
        "Not received: investigate and answer the customer",
        Deadline.prompt(start=event("not_received")),
        "001M 3.3(2)",
        shows=("dispatch", "not_received"),
    )
    delivered = Waiting(
        "已到货待回款 / Delivered, awaiting payment",
        wait=Wait(
            (
                _t(
                    "finance",
                    "finance",
                    "付款日到：催业务员收款（核对回款与发票）",
                    "Payment date: chase the salesperson (payment and invoice)",
                    PAYMENT_DAY,
                    "001M 4.2; 001T 9",
                    opens=opens(PAYMENT_DAY),
                    when="not_chased",
                    pauses_for="customer",
                    decisions=("chase_payment", "record_payment"),
                ),
                _t(
                    "finance",
                    "finance",
                    "每周催款直至货款收回",
                    "Chase weekly until paid",
                    Deadline.wd(5, start=event("chased"), seed="每周"),
                    "001M 4.2; 001T 9",
                    when="chased",
                    pauses_for="customer",
                    decisions=("chase_payment", "record_payment"),
                ),
                _t(
                    "production_manager",
                    "production",
                    "缺件到货后补发",
                    "Send the missing parts when they arrive",
                    WORK,
                    "001M 2.2.2(6)",
                    when="owes_parts",
                    decisions=("make_good",),
                ),
            ),
            shows=("receipt_confirmed",),
        ),
    )
    paid = State("货款已收回 / Paid", final=True)

    plan = (
        planning.to(distributing, cond="is_pmc")
        | planning.to(signing)
        | plan_adjust.to(in_production)
    )
    capacity_conflict = planning.to(capacity)
    sequence_agreed = capacity.to(planning)
    distribute = distributing.to(pmc_approval)
    approve_plan = pmc_approval.to(signing)
    return_plan = pmc_approval.to(distributing)
    plan_signed = signing.to(objection_window)
    objected = objection_window.to(settlement)
    accepted = objection_window.to(prestart)
    settle = settlement.to(date_referral, cond="moves_date") | settlement.to(prestart)
    refer_to_gm = settlement.to(gm_settlement)
    gm_decides = gm_settlement.to(date_referral, cond="moves_date") | gm_settlement.to(prestart)
    refer_change = date_referral.to(prestart)
    prestart_ok = prestart.to(in_production)
    raise_liaison = prestart.to(liaison)
    answer_liaison = liaison.to(prestart)
    # in the order the state's tasks offer them (production, merchandiser, workshop)
    packing_notice = in_production.to(packing)
    cannot_make_in_time = in_production.to(outsourcing_proposal)
    remedies_exhausted = in_production.to(plan_adjust) | remedy.to(plan_adjust)
    design_late = in_production.to(design_chase)
    follow_up_ok = in_production.to.itself()
    deviation = in_production.to(remedy)
    date_unmeetable = in_production.to(urging)
    daily_report = in_production.to.itself()
    request_plan_change = in_production.to(change_review)
    design_done = in_production.to.itself()
    remedied = remedy.to(in_production)
    design_confirmed = design_chase.to(plan_adjust)
    issue_urge = urging.to(delay_reporting)
    report_delay = delay_reporting.to(in_production)
    propose_outsourcing = outsourcing_proposal.to(group_approval)
    no_outsourcing = outsourcing_proposal.to(in_production)
    approve_outsourcing = group_approval.to(in_production)
    refuse_outsourcing = group_approval.to(in_production)
    endorse_change = change_review.to(change_approval)
    reject_change = change_review.to(in_production)
    approve_change = change_approval.to(plan_adjust)
    refuse_change = change_approval.to(in_production)
    packed = packing.to(stocked)
    short_shipment = packing.to(consent)
    customer_consents = consent.to(packing)
    notify_shipping = stocked.to(shipping)
    goods_confirmed = shipping.to(loading)
    dispatch = loading.to(dispatched)
    report_slip = loading.to.itself()
    receipt_confirmed = dispatched.to(delivered)
    not_received = dispatched.to(investigating)
    answered = investigating.to(dispatched)
    chase_payment = delivered.to.itself()
    record_payment = delivered.to(paid, cond="paid_in_full") | delivered.to.itself()
    make_good = delivered.to.itself()

    steps = {
        "plan": Step(
            "提交生产计划表",
            "Submit the production plan",
            form="production_plan",
            issues="production_plan",
            supersedes=True,
        ),
        "capacity_conflict": Step(
            "产能冲突：与跟单主管商定排产",
            "Capacity conflict: agree the sequence",
            reason_required=True,
        ),
        "sequence_agreed": Step("排产顺序已商定", "Sequence agreed"),
        "distribute": Step(
            "下发生产通知书及外委订货单",
            "Send the papers to plants and subcontractors",
            form="cooperation_instruction",
            issues="cooperation_instruction",
        ),
        "approve_plan": Step("批准", "Approve", signature="approved"),
        "return_plan": Step("退回", "Return", reason_required=True, signature="rejected"),
        "plan_signed": Step("会签完成，计划下发", "Signed; the plan goes out", marks="plan_sent"),
        "accepted": Step("无异议，计划生效", "No objection: the plan stands"),
        "objected": Step("提出异议", "Object", form="plan_objection"),
        "settle": Step(
            "异议已协调", "Objection settled", form="objection_settlement", marks="date_moved"
        ),
        "refer_to_gm": Step("不能协调，报总经理", "Cannot settle: to the GM", reason_required=True),
        "gm_decides": Step(
            "总经理裁决",
            "GM decides",
            form="objection_settlement",
            signature="approved",
            marks="date_moved",
        ),
        "refer_change": Step(
            "已转销售办理交期更改", "Referred to sales for the date change", reason_required=True
        ),
        "prestart_ok": Step("开工条件具备", "Ready to start", form="prestart_check"),
        "raise_liaison": Step(
            "发跨部门工作联系单",
            "Raise a liaison sheet",
            form="liaison_sheet",
            issues="liaison_sheet",
        ),
        "answer_liaison": Step("答复联系单", "Answer", form="liaison_answer"),
        "follow_up_ok": Step("进度符合计划", "On plan"),
        "daily_report": Step(
            "提交日报表", "Submit the daily report", form="daily_report", marks="daily_report"
        ),
        "deviation": Step("进度偏差", "Deviation", form="remedy_record"),
        "date_unmeetable": Step("交期无法满足", "Date cannot be met", reason_required=True),
        "request_plan_change": Step(
            "提交计划变更申请", "Request a plan change", form="plan_change_request"
        ),
        "cannot_make_in_time": Step(
            "不能按期生产或采购", "Cannot make or buy in time", reason_required=True
        ),
        "remedies_exhausted": Step(
            "补救措施用尽，调整计划", "Remedies exhausted: adjust the plan", reason_required=True
        ),
        "design_done": Step(
            "设计完成（图纸能指导生产）", "Design done (the drawings guide production)"
        ),
        "design_late": Step(
            "客户延迟确认设计", "Customer late confirming the design", reason_required=True
        ),
        "packing_notice": Step("下达包装通知", "Issue the packing notice"),
        "remedied": Step("已补救", "Remedied", form="remedy_record"),
        "design_confirmed": Step("客户已确认设计", "Customer confirmed the design"),
        "issue_urge": Step(
            "发出催促单", "Send the urging note", form="urge_note", issues="urge_note"
        ),
        "report_delay": Step(
            "提交交期延误报告", "Send the delay report", form="delay_report", issues="delay_report"
        ),
        "propose_outsourcing": Step(
            "提议外协", "Propose outsourcing", form="outsourcing_proposal", signature="approved"
        ),
        "no_outsourcing": Step("不外协", "No outsourcing", reason_required=True),
        "approve_outsourcing": Step(
            "批准外协",
            "Approve outsourcing",
            signature="approved",
            effect="gendan.outsourcing:start_from_plan",
        ),
        "refuse_outsourcing": Step(
            "不批准外协", "Refuse outsourcing", reason_required=True, signature="rejected"
        ),
        "endorse_change": Step("审核通过", "Endorse", signature="reviewed"),
        "reject_change": Step("驳回申请", "Reject", reason_required=True, signature="rejected"),
        "approve_change": Step("批准变更", "Approve the change", signature="approved"),
        "refuse_change": Step(
            "不批准变更", "Refuse the change", reason_required=True, signature="rejected"
        ),
        "packed": Step("包装入库", "Packed and stocked", form="fg_receipt", issues="fg_receipt"),
        "short_shipment": Step("缺件发货", "Short shipment", form="shortage_record"),
        "customer_consents": Step(
            "记录客户意见", "Record the customer's answer", form="customer_consent"
        ),
        "notify_shipping": Step(
            "发出发货通知单",
            "Send the shipping notice",
            form="shipping_notice",
            issues="shipping_notice",
        ),
        "goods_confirmed": Step("成品已确认", "Goods confirmed", form="goods_check"),
        "dispatch": Step("已发运", "Dispatched", form="carrier_receipt", marks="dispatched"),
        "report_slip": Step("报告发运延误", "Report a slip", form="slip_report", marks="slip"),
        "receipt_confirmed": Step(
            "客户已收货", "Customer received it", form="delivery_confirmation"
        ),
        "not_received": Step(
            "客户未收到货", "Not received", reason_required=True, marks="not_received"
        ),
        "answered": Step("已答复客户", "Customer answered", form="investigation"),
        "chase_payment": Step("已催款", "Chased", form="payment_chase", marks="chased"),
        "make_good": Step("缺件已补发", "Missing parts sent", form="make_good"),
        "record_payment": Step(
            "登记回款", "Record the payment", form="remittance", signature="confirmed"
        ),
    }
    entering = {
        # copies to the CEO office, finance (file), sales and the warehouse (001W 3.1.3.4)
        "objection_window": OnEnter(
            informs=(Inform(heads=("gm_office", "finance", "sales", "warehouse")),)
        ),
        # 003 5.3.2: the plan copied to MC (the material controllers) as it goes out
        "distributing": OnEnter(informs=(Inform(roles=("material_controller",)),)),
        # 003 5.3.2 → 5.3.4: the PMC-approved notices reach MC, who makes the 物料需求计划表
        "signing": OnEnter(starts=(Child("requirement_plan", when="pmc"),)),
        # a moved date: 合同订单管理部 refers it, a §2 delivery change is raised for sales
        "date_referral": OnEnter(starts=(Child("order_change", data=moved_date_change),)),
        # 催促单 to the production manager and the GM (or 生产副总); [A] the salesperson warned
        "delay_reporting": OnEnter(
            informs=(Inform(heads=("production", "gm_office"), roles=("salesperson", "deputy_gm")),)
        ),
        "dispatched": OnEnter(order_status="shipped"),
        "delivered": OnEnter(order_status="delivered"),
        "paid": OnEnter(order_status="paid"),
    }
    predicates = PREDICATES

    def is_pmc(self) -> bool:
        return variant() == "pmc"

    def moves_date(self, form: dict[str, Any] | None = None) -> bool:
        return bool(form and form.get("moved_delivery_date"))

    def paid_in_full(self, form: dict[str, Any] | None = None) -> bool:
        return bool(form and form.get("paid_in_full"))
