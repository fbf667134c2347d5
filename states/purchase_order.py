"""Purchase order 采购单 (PROCEDURES.md §5f, §5g): made, checked, approved, chased.

Seeds: 003 5.4.1-5.4.4, 5.5.2; 000/3 PMC系统 二; 002 3.4.3 step 15; 001M 2.2.4(1)-(2).

The buyer makes the 采购单 from a 物料需求计划表 or 申购单 (its number in ``requirement``) and
returns it to MC; its lines become ``PurchaseOrder``/``PoLine`` rows (``gendan.purchasing``),
which also notes what MC must look at: duplicates, excess, short dates, prices above the
price file. MC checks quantity, code, spec and duplicates (4 WH*; wrong → back to the buyer)
→ excess needs the PMC manager → a short date goes to the buyer (the supplier), then the
planner with marketing (生产通知书 dates, → §3/§2), then the PMC manager's 生产协调会
(1 WD* each) → a price above the file is checked by finance and approved by the finance
director → the purchasing lead approves (four-eyes: buyer ≠ checker ≠ approver, 403) → the
quantities are posted (in transit; the requirement plan's "PO posted") → chasing: MC checks
the dates against the notices and tells production (1 WD* from approval; materials at risk go
to MC's superior, who decides the emergency measures, 1 WD*), the buyer confirms
the supplier's real dispatch time 5 WD before the first due date and calls on the dispatch
day; a supplier late or not shipped goes to the purchasing lead (30 WM), remedies exhausted to
the head of the department that issued the plan (1 WD, 及时; → sales → customer). A change of
a placed PO is checked again by MC; a cancellation is noted by MC before it takes effect.

Choice: the revised 采购单 is the event ``po`` (the start form's key), so "po.first_due" is
always the current lines' earliest due date for the date-anchored chasing.
Choice: a PO is chased by its earliest due date (the supplier ships a PO together); lines
due later are chased again after a change (``po``) or by the receiving's shortage lists.
Choice: the buyer's 2-WD deadline to make the PO lives on the requirement (its hand-over
starts the clock; escalation to the PMC manager, 采购单未下单明细表), not here: a PO that
does not exist yet cannot hold a task.
"Received ≠ plan" (001M 2.2.4(1)3): the buyer records the difference (or the receiving
calls ``gendan.purchasing.report_difference``) and settles it within 1 WD* of the report;
``received_in_full`` (the buyer, or ``gendan.purchasing.close_if_received``) closes the PO.
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import Deadline, event
from states.base import (
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

WORK = Deadline.wd(1, assumed=True)  # 1 WD*: seed silent, work to do
CHECK = Deadline.wh(4, assumed=True)  # 4 WH*: seed silent, check or sign a prepared paper
EFFECTS = "gendan.purchasing"
#: 001M 2.2.4(1)1: the supplier's real dispatch time, 5 working days before the due date.
CONFIRM_DUE = Deadline.before_date("po.first_due", 5, seed="提前5个工作日")
CALL_DUE = Deadline.before_date("confirm_dispatch.dispatch_date", 0, seed="当天")
FOLLOW_DUE = Deadline.before_date("po.first_due", 0, seed="交货日期")


def _one(title: str, spec: TaskSpec, shows: tuple[str, ...] = ()) -> Waiting:
    return Waiting(title, wait=Wait((spec,), shows=shows))


def _forms(d: dict[str, Any]) -> dict[str, Any]:
    return d.get("forms", {})


def late_list(d: dict[str, Any]) -> dict[str, Any]:
    """The late PO's lines as a 欠缺/急需物料统计表 (003 5.5.5), needed by their due dates."""
    po = _forms(d).get("po") or d.get("po") or {}
    rows = [{"item": r["item"], "qty": r["qty"], "need_date": r["due"]} for r in po["rows"]]
    return {"source": "purchasing", "orders": po.get("orders") or None, "rows": rows,
            "note": "供应商不能按期交货 / the supplier is late"}  # fmt: skip


PREDICATES = {
    "arrival_unchecked": lambda d: "arrival_checked" not in _forms(d),
    "dispatch_unconfirmed": lambda d: "confirm_dispatch" not in _forms(d),
    "not_called": lambda d: "confirm_dispatch" in _forms(d) and "dispatch_call" not in _forms(d),
}


class PurchaseOrder(Procedure):
    key = "purchase_order"
    title_zh = "采购单"
    title_en = "Purchase order"
    start_form = "purchase_order"
    start_roles = ("buyer",)
    start_key = "po"
    subject = Subject(kind="po", label_zh="采购单", label_en="Purchase order", prefix="PO",
                      orders_field="orders")  # fmt: skip
    start_effect = f"{EFFECTS}:make_po"

    mc_check = _one(
        "物控复核 / MC checks",
        TaskSpec("material_controller", "material_control",
                 "复核采购单：数量、代码、规格、重复、超量", "Check the PO: quantity, code, spec, "
                 "duplicates, excess", CHECK, seed="003 5.4.1"),  # fmt: skip
    )
    revising = _one(
        "采购修改 / Buyer revises",
        TaskSpec("buyer", "purchasing", "按意见修改采购单", "Revise the PO as returned", WORK,
                 seed="003 5.4.1"),  # fmt: skip
        shows=("return_po", "refuse_excess", "refuse_price", "reject"),
    )
    excess_approval = _one(
        "超量审批 / Excess approval",
        TaskSpec("pmc_manager", "material_control", "逾量采购审核", "Approve buying above the "
                 "need", CHECK, seed="003 5.4.1"),  # fmt: skip
        shows=("mc_checked",),
    )
    date_review = _one(
        "交期沟通 / Date with the supplier",
        TaskSpec("buyer", "purchasing", "交期不满足：与供应商沟通", "Date short: talk to the "
                 "supplier", WORK, seed="003 5.4.2"),  # fmt: skip
    )
    date_notice = _one(
        "调整生产通知书日期 / Notice dates",
        TaskSpec("production_planner", "production", "与营销中心调整生产通知书入库时间",
                 "Move the production notice dates with marketing", WORK, seed="003 5.4.2"),
        shows=("date_unmet",),
    )
    coordination = _one(
        "生产协调会 / Coordination meeting",
        TaskSpec("pmc_manager", "material_control", "组织生产协调会作出决议", "Hold the "
                 "coordination meeting and decide", WORK, seed="003 5.4.2"),  # fmt: skip
        shows=("date_unmet", "dates_fixed"),
    )
    price_check = _one(
        "核价 / Price check",
        TaskSpec("finance", "finance", "单价高于价格档案：核价", "Price above the price file: "
                 "check it", CHECK, seed="000/3 PMC系统 二"),  # fmt: skip
    )
    price_approval = _one(
        "财务总监审批价格 / Finance director",
        TaskSpec("finance_director", "finance", "审批高于价格档案的单价", "Approve the price "
                 "above the file", CHECK, seed="000/3 PMC系统 二"),  # fmt: skip
        shows=("price_checked",),
    )
    approval = _one(
        "采购主管审核 / Purchasing lead approves",
        TaskSpec("purchasing_lead", "purchasing", "审核采购单", "Approve the PO", CHECK,
                 seed="002 3.4.3 step 15"),  # fmt: skip
        shows=("start", "mc_checked"),
    )
    placed = Waiting(
        "已下单跟催 / Placed and chased",
        wait=Wait(
            (
                TaskSpec("material_controller", "material_control",
                         "核对采购交期与生产通知书，到料日期回复生产部",
                         "Check the PO dates against the notices; arrival dates to production",
                         Deadline.wd(1, start=event("approved"), assumed=True),
                         chain=("head",), seed="003 5.5.2", when="arrival_unchecked",
                         decisions=("arrival_checked",)),
                TaskSpec("buyer", "purchasing", "与供应商确认实际发货时间（交期前5个工作日）",
                         "Confirm the supplier's real dispatch time (due −5 WD)", CONFIRM_DUE,
                         opens=OpensAt("po.first_due", 5), seed="001M 2.2.4(1)1",
                         when="dispatch_unconfirmed", decisions=("confirm_dispatch",)),
                TaskSpec("buyer", "purchasing", "发货当天电话确认：是否发出、承运方及联系方式",
                         "Dispatch-day call: shipped? carrier and contact", CALL_DUE,
                         opens=OpensAt("confirm_dispatch.dispatch_date", 0),
                         seed="001M 2.2.4(1)2", when="not_called", decisions=("dispatch_call",)),
                TaskSpec("buyer", "purchasing", "跟踪到货（更改、取消须经物控）",
                         "Follow the PO to arrival (changes and cancellations via MC)",
                         FOLLOW_DUE, seed="003 5.4.4; 001M 2.2.4(1)3",
                         decisions=("po", "cancel_po", "received_in_full", "receipt_differs")),
            ),
            shows=("start", "po"),
        ),
    )  # fmt: skip
    risk_decision = _one(
        "上级决定应急处理 / The superior decides",
        TaskSpec("dept_head", "material_control", "物料交期影响生产：决定应急处理方法",
                 "Materials put the plan at risk: decide the emergency measures", WORK,
                 seed="003 5.5.2"),  # fmt: skip
        shows=("arrival_checked",),
    )
    remedy = _one(
        "补救措施 / Remedy",
        TaskSpec("purchasing_lead", "purchasing", "供应商不能按期：采取补救措施（30分钟内）",
                 "Supplier late: act on it (within 30 minutes)",
                 Deadline.wm(30, seed="30分钟内"), seed="001M 2.2.4(1)1"),  # fmt: skip
        shows=("confirm_dispatch", "dispatch_call"),
    )
    receipt_issue = _one(
        "到货差异处理 / Receipt differs from the plan",
        TaskSpec("buyer", "purchasing", "到货数量/质量与计划不符：退货补发、追补或降价让步",
                 "Received quantity or quality differs: reject and resend, chase, or a price "
                 "concession", Deadline.wd(1, start=event("receipt_differs"), assumed=True),
                 seed="001M 2.2.4(1)3"),  # fmt: skip
        shows=("receipt_differs",),
    )
    plan_head = _one(
        "报计划下达部门 / To the planning head",
        TaskSpec("production_manager", "production", "采购补救无效：与销售沟通客户延期",
                 "Purchase remedies exhausted: agree a delay with sales and the customer",
                 Deadline.prompt(seed="及时"), seed="001M 2.2.4(2)"),  # fmt: skip
        shows=("remedies_exhausted",),
    )
    cancel_review = _one(
        "物控确认取消 / MC notes the cancellation",
        TaskSpec("material_controller", "material_control", "采购单取消：更改物料需求计划",
                 "PO cancelled: update the requirement plan", CHECK, seed="003 5.4.4"),
        shows=("cancel_po",),
    )
    closed = State("已结案 / Closed", final=True)
    cancelled = State("已取消 / Cancelled", final=True)

    mc_checked = (
        mc_check.to(excess_approval, cond="has_excess")
        | mc_check.to(date_review, cond="date_short")
        | mc_check.to(price_check, cond="price_above")
        | mc_check.to(approval)
    )
    return_po = mc_check.to(revising)
    po = revising.to(mc_check) | placed.to(mc_check)
    approve_excess = (
        excess_approval.to(date_review, cond="date_short")
        | excess_approval.to(price_check, cond="price_above")
        | excess_approval.to(approval)
    )
    refuse_excess = excess_approval.to(revising)
    date_met = date_review.to(price_check, cond="price_above") | date_review.to(approval)
    date_unmet = date_review.to(date_notice)
    dates_fixed = date_notice.to(price_check, cond="price_above") | date_notice.to(approval)
    dates_fixed_not = date_notice.to(coordination)
    decided = coordination.to(price_check, cond="price_above") | coordination.to(approval)
    price_checked = price_check.to(price_approval)
    approve_price = price_approval.to(approval)
    refuse_price = price_approval.to(revising)
    approve = approval.to(placed)
    reject = approval.to(revising)
    arrival_checked = placed.to(risk_decision, cond="at_risk") | placed.to.itself()
    risk_decided = risk_decision.to(placed)
    confirm_dispatch = placed.to(remedy, cond="late") | placed.to.itself()
    dispatch_call = placed.to(remedy, cond="not_shipped") | placed.to.itself()
    remedied = remedy.to(placed)
    remedies_exhausted = remedy.to(plan_head) | receipt_issue.to(plan_head)
    planning_told = plan_head.to(placed)
    cancel_po = placed.to(cancel_review) | revising.to(cancel_review)
    cancel_noted = cancel_review.to(cancelled)
    received_in_full = placed.to(closed)
    receipt_differs = placed.to(receipt_issue)
    difference_settled = receipt_issue.to(placed)

    steps = {
        "mc_checked": Step("复核无误", "Checked", form="po_check",
                        effect=f"{EFFECTS}:checked_by_other", four_eyes=("po",)),
        "return_po": Step("有误退回", "Return to the buyer", reason_required=True),
        "po": Step("提交修改后的采购单", "Submit the revised PO", form="purchase_order",
                   effect=f"{EFFECTS}:make_po"),
        "approve_excess": Step("同意逾量采购", "Approve the excess", signature="approved"),
        "refuse_excess": Step("不同意逾量", "Refuse the excess", reason_required=True,
                              signature="rejected"),
        "date_met": Step("供应商可满足交期", "Supplier meets the date", form="po_date_answer"),
        "date_unmet": Step("仍无法到料，知会计划员", "Still short: to the planner",
                           form="po_date_answer"),
        "dates_fixed": Step("已调整生产通知书日期", "Notice dates moved", form="notice_dates"),
        "dates_fixed_not": Step("均无法调整，报生产协调会", "Cannot move: to the meeting",
                                reason_required=True),
        "decided": Step("协调会已决议", "Meeting decided", form="coordination_decision"),
        "price_checked": Step("核价完成", "Price checked", form="price_check"),
        "approve_price": Step("批准单价", "Approve the price", signature="approved"),
        "refuse_price": Step("不批准单价", "Refuse the price", reason_required=True,
                             signature="rejected"),
        "approve": Step("批准采购单", "Approve the PO", signature="approved", marks="approved",
                        four_eyes=("mc_checked", "po"), effect=f"{EFFECTS}:approve_po"),
        "reject": Step("退回采购单", "Return the PO", reason_required=True, signature="rejected"),
        "arrival_checked": Step("交期已核查并回复生产部", "Dates checked, production told",
                                form="arrival_check"),
        "risk_decided": Step("已决定应急处理", "Emergency measures decided",
                             form="risk_decision"),
        "confirm_dispatch": Step("已确认发货时间", "Dispatch time confirmed",
                                 form="dispatch_confirmation", marks="dispatch_confirmed"),
        "dispatch_call": Step("已电话确认", "Called", form="dispatch_call"),
        "remedied": Step("已采取补救措施", "Remedy taken", form="purchase_remedy"),
        "remedies_exhausted": Step("补救无效，报计划下达部门", "Remedies exhausted: to planning",
                                   reason_required=True),
        "planning_told": Step("已与销售、客户沟通", "Sales and customer told",
                              form="plan_head_answer"),
        "cancel_po": Step("取消采购单（传物控）", "Cancel the PO (to MC)", reason_required=True),
        "cancel_noted": Step("已更改物料需求计划", "Requirement plan updated",
                             effect=f"{EFFECTS}:cancel_po"),
        "receipt_differs": Step("到货与计划不符", "Receipt differs from the plan",
                                form="receipt_difference", marks="receipt_differs"),
        "difference_settled": Step("差异已处理", "Difference settled", form="purchase_remedy"),
        "received_in_full": Step("全部到货，结案", "All received: close", form="po_close",
                                 effect=f"{EFFECTS}:close_po"),
    }  # fmt: skip
    entering = {
        # 001M 2.2.4(1)1: the purchasing lead hears of a late supplier at once; 003 5.5.5:
        # MC reports the late material on the 欠缺/急需物料统计表 at once (a linked list)
        "remedy": OnEnter(informs=(Inform(heads=("purchasing",)),),
                          starts=(Child("shortage_list", data=late_list),)),
    }
    predicates = PREDICATES

    def _checks(self) -> dict[str, Any]:
        return self.model.data.get("po_checks") or {}

    def has_excess(self) -> bool:
        return bool(self._checks().get("excess"))

    def date_short(self) -> bool:
        return bool(self._checks().get("date_short"))

    def price_above(self) -> bool:
        return bool(self._checks().get("price_above"))

    def at_risk(self, form: dict[str, Any] | None = None) -> bool:
        return not (form or {}).get("matches_notice")

    def late(self, form: dict[str, Any] | None = None) -> bool:
        return not (form or {}).get("on_plan")

    def not_shipped(self, form: dict[str, Any] | None = None) -> bool:
        return not (form or {}).get("shipped")
