"""Urgent order insertion 紧急插单 (PROCEDURES.md §4).

Seeds: 004R 紧急订单处理规范 HLT-WI-701 (3.1-3.3, 4, 四, 五), 004P PMC紧急订单作业流程 (1-9),
001W 3.4 紧急插单管理流程, 000/3 排期原则. Every waiting state is urgent: its SMS go out at
night and the acknowledgement runs on the urgent calendar (08:00-22:00 every day, 004R 四).

Path: the urgent need taken in with its problem points → leadership approval (the GM or
the deputy, signed: other orders' dates may move, 001W 3.4.1) → the review meeting on the
紧急订单评审记录表 (004R 3.1.2) → production cannot make it: production explains to sales,
sales to the customer (004R 3.2.1, 3.1.3) → or materials agreed with the suppliers (3.2.2),
a late material on a 材料交期延迟申请单 that production accepts or replans around (五) →
[A] the line the rule gives → the line (001W 3.4.3) → [A] the displaced orders ranked
(000/3 排期原则) → the planner adjusts their plans and reports; each moved date → [A] a §2
delivery change on that order (001W 3.4.4; ``Child(each=…)``) → the 紧急订单生产通知单
(004P 4), with §3 (and §1b for a special order) started as urgent children (001W 3.4.2) →
production; a process exception goes to
生产办 at once, a threatened date to 总经办 in writing, whose instruction is relayed to 经营课
(004R 4) → the 急单 stock-in alerts the 经营课 head, who arranges shipping → the temporary
drawings come back within 24 hours of completion (004R 4, 四) → [A] the closing data summary
(004P 9).

Choice (PROCEDURES.md §4): every deadline the seeds leave open is 4 WH where it would be
1 WD or more, because no seed gives a figure for "fast".
The review meeting is §1 run as a child flagged urgent (``Child(enters="urgent_review")``):
the §1 board for the order's kind on the 紧急订单评审记录表, 4 WH*; this procedure waits for
it (``Wait(children=…)``) and goes on from its outcome (can / cannot be made).
Choice: the child starts at §1's urgent review and ends there, because the need was taken in
and approved here (004R 3.1.1, 001W 3.4.1) and the rest of the urgent path (line, displaced
orders, urgent notice, §3) is this procedure's, not the quote-contract-notice path of a
normal order; §1 starts again, from its intake, when the order becomes a normal one.
Choice: §3 and §1b start when the urgent notice is issued (004P 4: the tasks go to the line
with their urgent flag), since the plan needs the notice and the line.
Choice: a process exception is recorded when the workshop presses 发现制程异常 (its instant
is the finding); the 申报单 is due 30 WM from it, the 生产办's handling 30 WM from the
report, 总经办's instruction 4 WH* from the written request.
Choice: sales ticks 势在必接 (large order, key customer) when taking the need in; only such
an order has the buyer agree the materials with the suppliers before the line, as 004R
3.2.2 binds that step to must-take orders (the others' materials go with §3's plan).
Choice: completion is the stock-in (生产各组...完成,并入库): the 24 hours for the drawings
and the 30 minutes for the shipping arrangement count from it.
Choice: production refusing → sales explains to the customer, who keeps the order as a
normal one (the §1 review starts on it as a child, as for any order; the order keeps the 急
mark it was taken in with) or withdraws it — declined as §1 declines: the GM or the deputy
signs 核准不接订单 with the reason (001M 1.2.1-2), since the seed stops at explaining.
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import RECV, Deadline, event
from states.base import (
    Automatic,
    Child,
    OnEnter,
    Procedure,
    Step,
    TaskSpec,
    Wait,
    Waiting,
)
from states.order_review import PREDICATES

#: 4 WH* to check or sign a prepared document; and every open "fast" deadline (§4 Choice).
FAST = Deadline.wh(4, assumed=True)
NOW = Deadline.immediate(seed="立即")
#: What production and sales judge after the review: its 紧急订单评审记录表.
REVIEWED = "doc:urgent_review_record"

LINE_EVENTS = ("to_sample_group", "to_dedicated_team")


def line_for(customer_class: str | None, quantity: int | None, small_max: int) -> str:
    """001W 3.4.3: an A-class customer's small order → 样品组; otherwise a dedicated team.

    Choice: "small" is at most ``small_max`` units — the master data's urgent-order size
    threshold (the seed gives no figure) — and a small order of a B or C customer also gets
    a dedicated team, the only other line the seed names.
    """
    small = (quantity or 0) <= small_max
    return "sample_group" if customer_class == "A" and small else "dedicated_team"


def _t(role: str, dep: str, zh: str, en: str, dl: Deadline, seed: str, **kw: Any) -> TaskSpec:
    return TaskSpec(role, dep, zh, en, dl, seed=seed, **kw)


def _urgent(*tasks: TaskSpec, **kw: Any) -> Wait:
    return Wait(tuple(tasks), urgent=True, **kw)


def _as_normal(data: dict[str, Any]) -> dict[str, Any]:
    """§1's start form: the intake as the urgent order was taken in (its typed fields; the
    kind the engine derived from them is derived again)."""
    from forms import get_form

    typed = get_form(UrgentOrder.start_form).model_fields
    return {k: v for k, v in data.get("intake", {}).items() if k in typed}


def _plan_start(data: dict[str, Any]) -> dict[str, Any]:
    """§3's start form: the urgent notice received when it was issued."""
    return {"received_at": data.get("at", {}).get("notice"), "remarks": "紧急插单 / urgent order"}


def moved_changes(data: dict[str, Any]) -> list[dict[str, Any]]:
    """001W 3.4.4: a §2 delivery change (客户更改通知登记) for each displaced order whose date
    the planner moved, received when the plans were adjusted.

    Choice: the change is raised as the customer's (source "customer"), since only sales may
    move a date with the customer (001M 1.5.2); the sales clerk classifies it within 30 WM.
    """
    own = data.get("intake", {}).get("order_no", "")
    at = data.get("at", {}).get("adjusted")
    rows = data.get("forms", {}).get("plans_adjusted", {}).get("rows", [])
    return [
        {
            "order_no": r["order_no"],
            "received_at": at,
            "requested_by": f"紧急插单 {own} / urgent order {own}",
            "source": "customer",
            "change_description": (
                f"因紧急插单 {own} 交期由 {r['old_date']} 改为 {r['new_date']} / the urgent "
                f"order {own} moves the delivery date {r['old_date']} → {r['new_date']}"
            ),
        }
        for r in rows
    ]


#: Each moved delivery date goes through §2 (2) on its own order.
DELIVERY_CHANGES = (Child("order_change", each=moved_changes),)

#: Sub-procedures started flagged urgent when the urgent notice is out (001W 3.4.2).
CHILDREN = (
    Child("production_plan", urgent=True, data=_plan_start),
    Child("order_coordination", urgent=True, when="special"),
)

#: 001W 3.4.2; 004R 3.1.2: the §1 review runs as a child flagged urgent, at its urgent board
#: (the need was taken in and approved here), on the 紧急订单评审记录表.
REVIEW = (Child("order_review", urgent=True, data=_as_normal, enters="urgent_review"),)


class UrgentOrder(Procedure):
    key = "urgent_order"
    title_zh = "紧急插单"
    title_en = "Urgent order insertion"
    start_form = "order_intake"
    start_roles = ("sales_clerk", "salesperson")
    start_key = "intake"
    creates_order = True
    start_fixed = {"urgent": True}

    need = Waiting(
        "紧急需求受理 / Urgent request taken in",
        initial=True,
        wait=_urgent(
            _t(
                "sales_clerk",
                "sales",
                "听取客户意见，了解需求，找出问题点",
                "Hear what the customer requires and find the problem points",
                Deadline.wh(4, start=RECV, assumed=True),
                "004R 3.1.1",
            )
        ),
    )
    approval = Waiting(
        "领导批准启动 / Leadership sign-off",
        wait=_urgent(
            _t(
                "general_manager",
                "gm_office",
                "批准启动紧急插单（可能影响其它订单交期）",
                "Approve the urgent insertion (other orders' dates may move)",
                FAST,
                "001W 3.4.1",
            ),
            _t(
                "deputy_gm",
                "gm_office",
                "批准启动紧急插单（可能影响其它订单交期）",
                "Approve the urgent insertion (other orders' dates may move)",
                FAST,
                "001W 3.4.1",
            ),
            shows=("start", "submit_need"),
        ),
    )
    urgent_review = Waiting(
        "紧急订单评审（§1） / Urgent review (§1)",
        wait=Wait(children=("order_review",), when_done="review_done", urgent=True),
    )
    production_explains = Waiting(
        "生产部向业务解释 / Production explains to sales",
        wait=_urgent(
            _t(
                "production_manager",
                "production",
                "无法完成：立即向业务解释和通报生产状况",
                "Cannot be made: explain the production situation to sales at once",
                NOW,
                "004R 3.2.1",
            ),
            shows=(REVIEWED,),
        ),
    )
    sales_explains = Waiting(
        "业务向客户解释 / Sales explains to the customer",
        wait=_urgent(
            _t(
                "sales_clerk",
                "sales",
                "向客户解释，力争取得谅解（转常规订单或退单）",
                "Explain to the customer: a normal order instead, or declined",
                NOW,
                "004R 3.1.3",
            ),
            shows=(REVIEWED, "explained"),
        ),
    )
    decline_signoff = Waiting(
        "核准不接订单 / Decline signed off",
        wait=_urgent(
            _t(
                "general_manager",
                "gm_office",
                "核准不接订单（签字，注明原因）",
                "Sign off declining the order, with the reason",
                FAST,
                "001M 1.2.1-2",
            ),
            _t(
                "deputy_gm",
                "gm_office",
                "核准不接订单（签字，注明原因）",
                "Sign off declining the order, with the reason",
                FAST,
                "001M 1.2.1-2",
            ),
            shows=(REVIEWED, "explained", "decline"),
        ),
    )
    materials = Waiting(
        "落实材料 / Materials agreed with suppliers",
        wait=_urgent(
            _t(
                "buyer",
                "purchasing",
                "追踪采购与供应商就材料问题达成一致",
                "Agree the material supply with the suppliers",
                Deadline.wh(4),
                "004R 3.2.2",
            ),
            shows=(REVIEWED,),
        ),
    )
    material_delay = Waiting(
        "材料交期延迟 / Material late",
        wait=_urgent(
            _t(
                "production_manager",
                "production",
                "材料交期延迟：接受新交期或重新安排生产",
                "A material is late: accept its date or plan again",
                Deadline.wh(4),
                "004R 五",
            ),
            shows=("material_late",),
        ),
    )
    line_rule = Waiting(
        "按规则确定生产线 / Line rule applied",
        wait=Wait(
            automatic=Automatic(
                job="urgent_line_rule",
                outcomes=("line_suggested",),
                owner_role="production_manager",
                seed="001W 3.4.3",
            ),
            urgent=True,
        ),
    )
    line_choice = Waiting(
        "安排专线 / Line chosen",
        wait=_urgent(
            _t(
                "production_manager",
                "production",
                "A级客户小型订单安排样品组，大型订单组织专线生产队伍",
                "A-class small order → sample group; large → a dedicated team",
                Deadline.wh(4),
                "001W 3.4.3",
            ),
            shows=("start", "line_suggested"),
        ),
    )
    ranking = Waiting(
        "被挤占订单排序（建议） / Displaced orders by priority",
        wait=Wait(
            automatic=Automatic(
                job="rank_displaced",
                outcomes=("ranked",),
                owner_role="production_planner",
                seed="000/3 排期原则",
            ),
            urgent=True,
        ),
    )
    plan_adjust = Waiting(
        "调整被挤占订单计划 / Displaced orders replanned",
        wait=_urgent(
            _t(
                "production_planner",
                "production",
                "调整受影响订单的计划并报管理层；交期变动的订单转交期更改",
                "Adjust the displaced orders' plans, report; moved dates go to a change",
                Deadline.wh(4),
                "001W 3.4.4",
            ),
            shows=("ranked", "to_sample_group", "to_dedicated_team"),
        ),
    )
    notice_issue = Waiting(
        "下达紧急订单生产通知单 / Urgent production notice",
        wait=_urgent(
            _t(
                "production_planner",
                "production",
                "下达紧急订单生产通知单（设紧急标志）",
                "Issue the urgent production notice (flagged urgent)",
                Deadline.wh(4),
                "004P 4",
            ),
            shows=("to_sample_group", "to_dedicated_team", "plans_adjusted"),
        ),
    )
    in_production = Waiting(
        "生产中 / In production",
        wait=_urgent(
            _t(
                "workshop_director",
                "workshop",
                "按期完成并入库（入库单注明急单）；制程异常立即上报",
                "Make it and stock it in, marked 急单; report any process exception at once",
                Deadline.before_date("delivery_date", 1, seed="订单规定期限内完成,并入库"),
                "004R 4",
            ),
            shows=("issue_urgent_notice",),
        ),
    )
    exception_report = Waiting(
        "制程异常申报 / Process exception reported",
        wait=_urgent(
            _t(
                "workshop_director",
                "workshop",
                "制程异常：立即书面上报生产办（紧急订单制程异常申报单）",
                "Process exception: report it to 生产办 in writing at once",
                Deadline.immediate(start=event("found"), seed="立即"),
                "004R 4",
            )
        ),
    )
    production_office = Waiting(
        "生产办处理 / Production office handles",
        wait=_urgent(
            _t(
                "production_manager",
                "production",
                "处理制程异常；耽误交期须立即书面向总经办申请批示",
                "Handle the exception; a threatened date goes to 总经办 in writing at once",
                Deadline.immediate(start=event("reported"), seed="立即"),
                "004R 4",
            ),
            shows=("report_exception",),
        ),
    )
    gm_instruction = Waiting(
        "总经办批示 / GM office instructs",
        wait=_urgent(
            _t(
                "general_manager",
                "gm_office",
                "对制程异常耽误交期的申请作出批示",
                "Instruct on the exception that threatens the date",
                Deadline.wh(4, start=event("asked"), assumed=True),
                "004R 4",
                chain=(),
            ),
            shows=("report_exception", "ask_gm"),
        ),
    )
    instructed = Waiting(
        "按批示执行 / Instruction carried out",
        wait=_urgent(
            _t(
                "production_manager",
                "production",
                "按总经办批示执行（批示已分发经营课）",
                "Carry out the GM office's instruction (relayed to sales)",
                FAST,
                "004R 4",
            ),
            shows=("instruct",),
        ),
    )
    shipping = Waiting(
        "急单入库，安排出货 / Stocked in: arrange the dispatch",
        wait=_urgent(
            _t(
                "dept_head",
                "sales",
                "急单成品已入库：立即安排出货",
                "Urgent goods stocked in: arrange the dispatch at once",
                Deadline.immediate(start=event("completed"), seed="立即"),
                "004R 4",
            ),
            shows=("stock_in",),
        ),
    )
    drawings_return = Waiting(
        "临时图纸收回 / Temporary drawings returned",
        wait=_urgent(
            _t(
                "fg_keeper",
                "warehouse",
                "收回临时图纸/工程资料交技术课负责人（完成后24小时内）",
                "Collect the temporary drawings, hand them to the engineering head (24 h)",
                Deadline.day_hours(24, start=event("completed"), seed="24小时"),
                "004R 4, 四",
            ),
            _t(
                "dept_head",
                "engineering",
                "订单完成：向成品收料员索要临时图纸/工程资料",
                "Order complete: ask the finished goods keeper for the drawings",
                Deadline.day_hours(24, start=event("completed"), seed="24小时"),
                "004R 4, 四",
            ),
        ),
    )
    summary = Waiting(
        "数据汇总 / Closing data",
        wait=Wait(
            automatic=Automatic(
                job="urgent_summary",
                outcomes=("summarized",),
                owner_role="production_planner",
                seed="004P 9",
            ),
            urgent=True,
        ),
    )
    closed = State("已完成 / Closed", final=True)
    not_approved = State("领导未批准 / Not approved", final=True)
    normal_order = State("转常规订单 / Taken as a normal order", final=True)
    declined = State("退单 / Declined", final=True)

    submit_need = need.to(approval)
    approve = approval.to(urgent_review)
    refuse = approval.to(not_approved)
    review_done = (
        urgent_review.to(materials, cond=["can_be_made", "must_take"])
        | urgent_review.to(line_rule, cond="can_be_made")
        | urgent_review.to(production_explains)
    )
    explained = production_explains.to(sales_explains)
    as_normal_order = sales_explains.to(normal_order)
    decline = sales_explains.to(decline_signoff)
    confirm_decline = decline_signoff.to(declined)
    keep_as_normal = decline_signoff.to(normal_order)
    materials_agreed = materials.to(line_rule)
    material_late = materials.to(material_delay)
    accept_late_date = material_delay.to(line_rule)
    replan = material_delay.to(line_rule)
    line_suggested = line_rule.to(line_choice)
    to_sample_group = line_choice.to(ranking)
    to_dedicated_team = line_choice.to(ranking)
    ranked = ranking.to(plan_adjust)
    plans_adjusted = plan_adjust.to(notice_issue)
    issue_urgent_notice = notice_issue.to(in_production)
    exception_found = in_production.to(exception_report)
    report_exception = exception_report.to(production_office)
    exception_handled = production_office.to(in_production)
    ask_gm = production_office.to(gm_instruction)
    instruct = gm_instruction.to(instructed)
    carry_on = instructed.to(in_production)
    stock_in = in_production.to(shipping)
    shipping_arranged = shipping.to(drawings_return)
    drawings_returned = drawings_return.to(summary)
    summarized = summary.to(closed)

    steps = {
        "submit_need": Step("提交领导批准", "Submit to the leadership", form="urgent_need"),
        "approve": Step("批准启动紧急插单", "Approve the urgent insertion", signature="approved"),
        "refuse": Step("不批准", "Refuse", signature="rejected", reason_required=True),
        "review_done": Step("紧急订单评审完成", "Urgent review done"),
        "explained": Step("已向业务解释生产状况", "Explained to sales", reason_required=True),
        "as_normal_order": Step(
            "客户同意按常规订单处理", "Customer takes it as a normal order", reason_required=True
        ),
        "decline": Step(
            "客户不接受：报领导核准退单",
            "Customer refuses: to the GM to decline",
            reason_required=True,
        ),
        "confirm_decline": Step(
            "核准不接订单", "Decline the order", reason_required=True, signature="approved"
        ),
        "keep_as_normal": Step(
            "不退单，按常规订单评审",
            "Do not decline: review it as a normal order",
            reason_required=True,
        ),
        "materials_agreed": Step("材料已与供应商落实", "Materials agreed with the suppliers"),
        "material_late": Step(
            "材料交期延迟：提交申请单",
            "Material late: file the delay request",
            form="material_delay",
        ),
        "accept_late_date": Step(
            "接受材料新交期",
            "Accept the material's new date",
            form="material_delay",
            fixed={"decision": "accept"},
        ),
        "replan": Step(
            "重新安排生产",
            "Replan production",
            form="material_delay",
            fixed={"decision": "replan"},
        ),
        "to_sample_group": Step(
            "安排样品组", "To the sample group", form="line_choice", fixed={"line": "sample_group"}
        ),
        "to_dedicated_team": Step(
            "组织专线生产队伍",
            "To a dedicated team",
            form="line_choice",
            fixed={"line": "dedicated_team"},
        ),
        "line_suggested": Step("规则给出生产线", "Line given by the rule"),
        "ranked": Step("排序建议已生成", "Ranking suggested"),
        "plans_adjusted": Step(
            "计划已调整并报管理层",
            "Displaced orders replanned and reported",
            form="displaced_adjustment",
            marks="adjusted",
        ),
        "issue_urgent_notice": Step(
            "下达紧急订单生产通知单",
            "Issue the urgent production notice",
            form="urgent_notice",
            issues="urgent_notice",
            marks="notice",
            fixed={"urgent": True},
            locked={"order_no": "order.order_no", "delivery_date": "order.delivery_date"},
        ),
        "exception_found": Step(
            "发现制程异常", "Process exception found", reason_required=True, marks="found"
        ),
        "report_exception": Step(
            "书面上报生产办",
            "Report to 生产办 in writing",
            form="process_exception",
            marks="reported",
        ),
        "exception_handled": Step(
            "生产办已处理（不影响交期）",
            "Handled by 生产办 (date not threatened)",
            form="process_exception",
        ),
        "ask_gm": Step(
            "书面向总经办申请批示",
            "Ask 总经办 in writing",
            form="process_exception",
            marks="asked",
        ),
        "instruct": Step(
            "总经办批示",
            "GM office's instruction",
            form="process_exception",
            issues="process_exception",
            signature="approved",
        ),
        "carry_on": Step("已按批示执行", "Instruction carried out"),
        "stock_in": Step(
            "成品入库（急单）",
            "Stocked in (urgent)",
            form="urgent_stock_in",
            issues="urgent_stock_in",
            marks="completed",
            locked={"order_no": "order.order_no"},
        ),
        "shipping_arranged": Step("已安排出货", "Shipping arranged"),
        "drawings_returned": Step(
            "临时图纸已全部交回", "Temporary drawings returned", form="temp_drawings"
        ),
        "summarized": Step("数据汇总完成", "Closing data compiled"),
    }
    entering = {
        "urgent_review": OnEnter(starts=REVIEW),
        # 001W 3.4.4: the adjusted plans are reported to management
        "notice_issue": OnEnter(inform_heads=("gm_office",), starts=DELIVERY_CHANGES),
        # 001W 3.4.2: the plan (§3) and, for a special order, the coordination (§1b) start
        # flagged urgent once the urgent notice is out
        "in_production": OnEnter(order_status="released", starts=CHILDREN),
        "instructed": OnEnter(inform_heads=("sales",)),
        "shipping": OnEnter(inform_heads=("sales",)),
        "not_approved": OnEnter(order_status="declined"),
        "declined": OnEnter(order_status="declined"),
        # the order goes on as a normal one: the §1 review starts on it (not urgent)
        "normal_order": OnEnter(starts=(Child("order_review", data=_as_normal),)),
    }
    predicates = {**PREDICATES}

    def can_be_made(self, form: dict[str, Any] | None = None) -> bool:
        """The §1 child's urgent board found it can be made (004R 3.1.2, 3.2.1)."""
        review = self.model.data.get("children", {}).get("order_review", {})
        return review.get("state") == "urgent_feasible"

    def must_take(self, form: dict[str, Any] | None = None) -> bool:
        """势在必接 (004R 3.2.2), as sales ticked it when the need was taken in."""
        need = self.model.data.get("forms", {}).get("submit_need", {})
        return bool(need.get("must_take"))

    @classmethod
    def step_errors(
        cls, event: str, values: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, str]:
        """The line follows the rule (001W 3.4.3); only a displaced order's date moves (each
        moved row names one the ranking listed); each path fills its part of the 申报单."""
        if event in LINE_EVENTS:
            wanted = data.get("forms", {}).get("line_suggested", {}).get("line")
            chosen = values.get("line")
            if wanted and chosen != wanted:
                return {"line": f"the rule gives {wanted} for this order / 按规则应安排 {wanted}"}
        if event == "plans_adjusted":
            ranked = data.get("forms", {}).get("ranked", {}).get("ranking", [])
            displaced = {r.get("order_no") for r in ranked}
            for i, row in enumerate(values.get("rows", [])):
                if row.get("order_no") not in displaced:
                    return {
                        f"rows.{i}.order_no": "not among the displaced orders ranked above / "
                        "不在被挤占订单之列"
                    }
        if event in ("exception_handled", "ask_gm") and not values.get("handling"):
            return {"handling": "生产办's handling is required / 须填写生产办处理"}
        if event == "exception_handled" and values.get("threatens_delivery"):
            return {"threatens_delivery": "a threatened date goes to 总经办 / 耽误交期须报总经办"}
        if event == "ask_gm" and not values.get("threatens_delivery"):
            return {"threatens_delivery": "only a threatened date goes to 总经办 / 仅耽误交期时"}
        if event == "instruct" and not values.get("gm_instruction"):
            return {"gm_instruction": "the instruction is required / 须填写批示"}
        return {}
