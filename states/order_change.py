"""Order change 合同订单更改 (PROCEDURES.md §2), customer- and engineering-raised.

Seeds: 001M 1.5.2 (customer changes, 30 minutes, four categories), 001M 2.2.3
(engineering: 合同订单技术更改通知单), 000/2 二.6 (cancellation), 001C 特点4,
000/4 三.5, 001W 3.1.3.4.

The category is decided by the path taken, never by a free field:
1. minor → 合同订单更改通知单 → production adjusts the departments at once (30 min);
2. delivery → heads informed → production re-reviews the date → the customer is
   asked (answer paused) → accepted: the notice carries that date, locked; refused:
   the GM/deputy takes the change at the contract date with remedies or refuses it;
   or the customer withdraws (order unchanged);
3. structural → heads informed → the full non-regular board reviews → infeasible:
   a later date is negotiated → supplementary contract if priced → notice;
4. cancel → the sales head signs → the order is cancelled, its other procedures
   stop, issued documents are recalled and the merchandiser confirms the recall
   → buyer and MC cancel or change POs.
Every issued change supersedes the production notice with a new revision [A],
which production confirms and the departments acknowledge (§1).

Engineering-raised (001M 2.2.3(5)): a: nothing structural, plan unaffected → the
written request is archived with sales, no notice; b: otherwise the 技术更改通知单
goes to the production and 合同订单管理部 heads and the merchandising lead decides:
re-review as non-regular (→ 3), proceed (new notice revision), or the date is
affected → referred to sales for a delivery change. Choice: engineering can neither
cancel an order nor move its date (001M 1.5.2 gives customer changes to sales).
One open change per order (notices must not contradict).

Choice: the structural re-review (the full non-regular board, negotiation, the GM's way
out, the supplementary contract) runs inside the change, not as a new §1 instance,
because the order's §1 instance has ended (released) and linked instances come with the
planning procedures; its 订单评审表 is compiled the same way.
Choice: a refused later date goes to the GM or deputy, who takes the change at the
contract date with remedies (the notice is then locked to that date) or refuses it,
because 001M 1.2.1 handles an infeasible date that way and the seed names nothing here.
Choice: a technical change whose date is affected is referred to sales (the sales head is
informed and the change closes) so that a delivery change can be raised, because only
sales may move a date (001M 1.5.2) and one change per order may be open.
Choice: after a structural or technical change engineering acknowledges the new notice
revision too, because the drawings change with it.
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import RECV, Deadline
from states.base import Countersign, OnEnter, Procedure, Step, TaskSpec, Wait, Waiting
from states.notice import NOTICE_STEPS, acknowledging_state, confirm_state
from states.order_review import BOARD, PREDICATES, review_board

WORK = Deadline.wd(1, assumed=True)
CHECK = Deadline.wh(4, assumed=True)
CUSTOMER_DECISIONS = (
    "classify_minor",
    "classify_delivery",
    "classify_structural",
    "classify_cancel",
)
ENGINEERING_DECISIONS = ("tech_minor", "tech_major")
SALES_ROLES = {"sales_clerk", "salesperson"}


def _from(source: str) -> Any:
    return lambda data: data.get("request", {}).get("source", "customer") == source


def _t(role: str, dep: str, zh: str, en: str, dl: Deadline, seed: str, **kw: Any) -> TaskSpec:
    return TaskSpec(role, dep, zh, en, dl, seed=seed, **kw)


class OrderChange(Procedure):
    key = "order_change"
    title_zh = "合同订单更改"
    title_en = "Order change notice"
    start_form = "change_request"
    start_roles = ("sales_clerk", "salesperson", "engineering")
    start_key = "request"
    exclusive = "order_change"
    order_statuses = ("contracted", "released", "ready_to_ship")
    status_hint = "before the contract is signed, amend the order review's requirements instead"

    received = Waiting(
        "待分类 / Awaiting classification",
        initial=True,
        wait=Wait(
            (
                _t(
                    "sales_clerk",
                    "sales",
                    "30分钟内对订单更改作出反应（分类）",
                    "Classify the customer's change within 30 minutes of receipt",
                    Deadline.wm(30, start=RECV, seed="30分钟内"),
                    "001M 1.5.2",
                    when="from_customer",
                    decisions=CUSTOMER_DECISIONS,
                ),
                _t(
                    "engineering",
                    "engineering",
                    "30分钟内对技术更改作出分类",
                    "Classify the technical change within 30 minutes of receipt",
                    Deadline.wm(30, start=RECV, seed="30分钟内"),
                    "001M 2.2.3(5)",
                    when="from_engineering",
                    decisions=ENGINEERING_DECISIONS,
                ),
            ),
            urgent=True,
        ),
    )
    production_adjust = Waiting(
        "生产部调整 / Production adjusts",
        wait=Wait(
            (
                _t(
                    "production_manager",
                    "production",
                    "第一时间调整相关部门",
                    "Adjust the affected departments at once",
                    Deadline.immediate(seed="第一时间"),
                    "001M 1.5.2(1)",
                ),
            ),
            urgent=True,
        ),
    )
    delivery_rereview = Waiting(
        "交期重新评审 / Delivery date re-review",
        wait=Wait(
            (
                _t(
                    "production_manager",
                    "production",
                    "重新评审交货期",
                    "Re-review the delivery date",
                    CHECK,
                    "001M 1.5.2(2)",
                ),
            )
        ),
    )
    customer_confirmation = Waiting(
        "客户确认交期 / Customer asked about the date",
        wait=Wait(
            (
                _t(
                    "sales_clerk",
                    "sales",
                    "争取客户同意重新评审的交期",
                    "Ask the customer to accept the re-reviewed date",
                    Deadline.prompt(seed="尽快"),
                    "001M 1.5.2(2)",
                    pauses_for="customer",
                ),
            ),
            shows=("classify_delivery", "propose_date"),
        ),
    )
    change_decision = Waiting(
        "总经理决定 / GM decides on the refused date",
        wait=Wait(
            (
                _t(
                    "general_manager",
                    "gm_office",
                    "客户不接受新交期：按合同交期接受更改（补救措施）或拒绝更改",
                    "Customer refuses the date: take the change at the contract date, or refuse it",
                    CHECK,
                    "001M 1.2.1 (Choice)",
                ),
            ),
            shows=(
                "classify_delivery",
                "propose_date",
                "record_customer_answer",
                "infeasible",
                "record_negotiation",
            ),
        ),
    )
    structural_review = Waiting(
        "按非常规订单重新评审 / Re-review as non-regular",
        wait=Wait(
            review_board(WORK, "更改评审（非常规）", "Review the change (non-regular)", full=True),
            countersign=BOARD,
            shows=("classify_structural", "tech_major", "record_negotiation"),
        ),
    )
    structural_negotiating = Waiting(
        "与客户协商交期 / Negotiating the date",
        wait=Wait(
            (
                _t(
                    "sales_clerk",
                    "sales",
                    "更改不可按期完成：与客户协商延期",
                    "The change cannot be made by the date: ask the customer for a later one",
                    Deadline.prompt(seed="尽快"),
                    "001M 1.5.2(3); 1.2.1",
                    pauses_for="customer",
                ),
            ),
            shows=("classify_structural", "tech_major", "infeasible"),
        ),
    )
    supplementary = Waiting(
        "补充合同 / Supplementary contract",
        wait=Wait(
            (
                _t(
                    "sales_clerk",
                    "sales",
                    "签订补充合同（如需加价）并下达更改通知单",
                    "Sign a supplementary contract if priced, then issue the change notice",
                    WORK,
                    "001M 1.5.2(3)",
                    pauses_for="customer",
                ),
            ),
            shows=("classify_structural", "tech_major", "feasible"),
        ),
    )
    notice_issue = Waiting(
        "下达更改通知单 / Issue the change notice",
        wait=Wait(
            (
                _t(
                    "sales_clerk",
                    "sales",
                    "下达合同订单更改通知单",
                    "Issue the order change notice",
                    CHECK,
                    "001M 1.5.2(2)",
                ),
            ),
            shows=(
                "classify_delivery",
                "propose_date",
                "record_customer_answer",
                "keep_contract_date",
                "supplement_signed",
            ),
        ),
    )
    cancel_signoff = Waiting(
        "销售部长签字取消 / Sales head signs the cancellation",
        wait=Wait(
            (
                _t(
                    "dept_head",
                    "sales",
                    "签字确认取消订单（停止生产与采购）",
                    "Sign the cancellation (stops production and purchasing)",
                    CHECK,
                    "000/2 二.6",
                ),
            )
        ),
    )
    recall = Waiting(
        "收回生产单、流程卡 / Recall production papers",
        wait=Wait(
            (
                _t(
                    "merchandiser",
                    "merchandising",
                    "收回已下达的生产单、流程卡并确认",
                    "Recall the issued production papers and confirm",
                    WORK,
                    "000/2 二.6",
                ),
            )
        ),
    )
    purchase_adjust = Waiting(
        "采购单取消或变更 / Purchase orders cancelled or changed",
        wait=Wait(
            (
                _t(
                    "buyer",
                    "purchasing",
                    "取消或变更相关采购单",
                    "Cancel or change the purchase orders",
                    WORK,
                    "001M 2.2.4(1)1",
                ),
                _t(
                    "material_controller",
                    "material_control",
                    "调整物料需求",
                    "Adjust the material requirements",
                    WORK,
                    "003 5.4.4",
                ),
            ),
            countersign=Countersign(
                form="purchase_adjustment", join=lambda _: "purchases_adjusted"
            ),
            shows=("classify_cancel", "sign_cancel", "confirm_recall"),
        ),
    )
    tech_decision = Waiting(
        "合同订单管理部决定 / Merchandising decides on the technical change",
        wait=Wait(
            (
                _t(
                    "merchandising_lead",
                    "merchandising",
                    "技术更改：决定按非常规重新评审或继续执行",
                    "Technical change: re-review as non-regular, or proceed",
                    Deadline.wh(4, start=RECV, assumed=True),
                    "001M 2.2.3(5)2",
                ),
            )
        ),
    )
    archive = Waiting(
        "书面更改存档 / Archive the written request",
        wait=Wait(
            (
                _t(
                    "sales_clerk",
                    "sales",
                    "客户书面技术更改要求存档（不下更改通知单）",
                    "Archive the customer's written request (no notice)",
                    WORK,
                    "001M 2.2.3(5)1",
                ),
            )
        ),
    )
    revision_confirm = confirm_state(
        "生产部确认新版通知单 / Production confirms the new revision",
        shows=(
            "classify_minor",
            "adjusted",
            "issue_change_notice",
            "tech_major",
            "doc:production_notice",
        ),
    )
    acknowledging = acknowledging_state(engineering_when="engineering_acknowledges")
    done = State("已完成 / Done", final=True)
    withdrawn = State("客户撤回 / Withdrawn by the customer", final=True)
    refused = State("更改被拒绝 / Change refused", final=True)
    archived = State("已存档 / Archived", final=True)
    referred = State("转销售按交期更改处理 / Referred to sales", final=True)
    cancelled = State("订单已取消 / Order cancelled", final=True)

    classify_minor = received.to(production_adjust)
    classify_delivery = received.to(delivery_rereview)
    classify_structural = received.to(structural_review)
    classify_cancel = received.to(cancel_signoff)
    tech_minor = received.to(archive)
    tech_major = received.to(tech_decision)
    adjusted = production_adjust.to(revision_confirm)
    propose_date = delivery_rereview.to(notice_issue, cond="date_as_requested") | (
        delivery_rereview.to(customer_confirmation)
    )
    record_customer_answer = (
        customer_confirmation.to(notice_issue, cond="accepts")
        | customer_confirmation.to(withdrawn, cond="withdraws")
        | customer_confirmation.to(change_decision)
    )
    keep_contract_date = change_decision.to(notice_issue)
    refuse_change = change_decision.to(refused)
    feasible = structural_review.to(supplementary)
    infeasible = structural_review.to(structural_negotiating)
    record_negotiation = structural_negotiating.to(structural_review, cond="customer_accepts") | (
        structural_negotiating.to(change_decision)
    )
    supplement_signed = supplementary.to(notice_issue)
    issue_change_notice = notice_issue.to(revision_confirm)
    sign_cancel = cancel_signoff.to(recall)
    refuse_cancel = cancel_signoff.to(refused)
    confirm_recall = recall.to(purchase_adjust)
    purchases_adjusted = purchase_adjust.to(cancelled)
    archive_request = archive.to(archived)
    rereview = tech_decision.to(structural_review)
    proceed = tech_decision.to(revision_confirm)
    refer_to_sales = tech_decision.to(referred)
    confirm_notice = revision_confirm.to(acknowledging)
    acknowledged = acknowledging.to(done)

    steps = {
        "classify_minor": Step(
            "小范围更改：下达更改通知单",
            "Minor: issue the change notice",
            form="change_notice",
            fixed={"category": "minor"},
            issues="change_notice",
        ),
        "classify_delivery": Step(
            "影响交期：报部门领导并重新评审",
            "Affects delivery: heads informed, production re-reviews",
            form="change_notice",
            fixed={"category": "delivery"},
        ),
        "classify_structural": Step(
            "结构/主要元件变更：按非常规重新评审",
            "Structural: non-regular review",
            form="change_notice",
            fixed={"category": "structural"},
        ),
        "classify_cancel": Step(
            "取消订单：报销售部长签字",
            "Cancellation: to the sales head for signature",
            form="change_notice",
            fixed={"category": "cancel"},
            reason_required=True,
        ),
        "tech_minor": Step(
            "技术更改（不涉及结构/规格/厂家，不影响计划）：存档",
            "Technical, nothing structural: archive, no notice",
            form="tech_change",
        ),
        "tech_major": Step(
            "技术更改：下达技术更改通知单",
            "Technical change: issue the technical change notice",
            form="tech_change",
            issues="tech_change",
        ),
        "adjusted": Step("已调整相关部门", "Departments adjusted", form="adjustment"),
        "propose_date": Step(
            "提交重新评审的交期", "Propose the re-reviewed date", form="date_rereview"
        ),
        "record_customer_answer": Step(
            "记录客户答复", "Record the customer's answer", form="customer_answer"
        ),
        "keep_contract_date": Step(
            "按合同交期接受更改（采取补救措施）",
            "Take the change at the contract date, with remedies",
            reason_required=True,
            signature="approved",
        ),
        "refuse_change": Step(
            "拒绝更改（告知客户）",
            "Refuse the change (customer told)",
            reason_required=True,
            signature="rejected",
        ),
        "feasible": Step("评审通过", "Found feasible"),
        "infeasible": Step("评审不可行", "Found infeasible"),
        "record_negotiation": Step("记录协商结果", "Record the negotiation", form="negotiation"),
        "supplement_signed": Step(
            "补充合同已签（或无需）",
            "Supplementary contract signed (or not needed)",
            form="change_notice",
            fixed={"category": "structural"},
        ),
        "issue_change_notice": Step(
            "下达更改通知单",
            "Issue the change notice",
            form="change_notice",
            issues="change_notice",
            locked={"new_delivery_date": "agreed.delivery_date", "category": "agreed.category"},
            order_fields={"new_delivery_date": "delivery_date"},
        ),
        "sign_cancel": Step(
            "签字取消订单", "Sign the cancellation", reason_required=True, signature="approved"
        ),
        "refuse_cancel": Step(
            "不同意取消", "Refuse the cancellation", reason_required=True, signature="rejected"
        ),
        "confirm_recall": Step("确认单据已收回", "Recall confirmed", form="recall_record"),
        "purchases_adjusted": Step("采购已调整", "Purchases adjusted"),
        "archive_request": Step("已存档", "Archived"),
        "rereview": Step(
            "按非常规订单重新评审（补充合同）", "Re-review as non-regular", reason_required=True
        ),
        "proceed": Step("继续执行（下达新版生产通知单）", "Proceed (new notice revision)"),
        "refer_to_sales": Step(
            "影响交期：转销售按交期更改处理",
            "Date affected: refer to sales for a delivery change",
            reason_required=True,
        ),
        **{k: v for k, v in NOTICE_STEPS.items() if k in ("confirm_notice", "acknowledged")},
    }
    entering = {
        "delivery_rereview": OnEnter(inform_heads=("sales", "production")),
        "structural_review": OnEnter(inform_heads=("sales", "production")),
        "tech_decision": OnEnter(inform_heads=("engineering", "production", "merchandising")),
        "referred": OnEnter(inform_heads=("sales",)),
        # 2.2.3(2): a design change agreed in writing is reported to the production manager
        "archive": OnEnter(inform_heads=("production",)),
        "revision_confirm": OnEnter(reissue="production_notice"),
        "recall": OnEnter(
            order_status="cancelled",
            recall_documents=True,
            stop_order_procedures=True,
            release_stock=True,
        ),
    }
    predicates = {
        **PREDICATES,
        "from_customer": _from("customer"),
        "from_engineering": _from("engineering"),
        # a non-regular order, or a structural or technical change: engineering signs for it too
        "engineering_acknowledges": lambda d: (
            PREDICATES["non_regular"](d)
            or bool({"classify_structural", "tech_major"} & set(d.get("forms", {})))
        ),
    }

    @classmethod
    def agreed(cls, event: str, values: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """What the change notice must carry (locked). The category the path decided (delivery,
        or structural, also for an engineering change sent to re-review). The delivery date:
        the later of the date the customer asked for and the one production can make; the
        negotiated one; or the contract date itself when the GM takes the change at it (a
        delivery notice always names its date, and the order's date stays as it is)."""
        if event in ("classify_delivery", "classify_structural"):
            return {"category": values["category"]}
        if event == "rereview":
            return {"category": "structural"}
        if event == "propose_date":
            wanted = data.get("forms", {}).get("classify_delivery", {}).get("new_delivery_date")
            feasible = values["feasible_delivery_date"]
            return {"delivery_date": max(wanted, feasible) if wanted else feasible}
        if event == "record_negotiation" and values.get("customer_accepts"):
            return {"delivery_date": values.get("new_delivery_date")}
        if event == "keep_contract_date":
            return {"delivery_date": data.get("order", {}).get("delivery_date")}
        return {}

    @classmethod
    def step_errors(
        cls, event: str, values: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, str]:
        """001M 2.2.3(5): a (archive) only when structure, spec/model and maker are unchanged
        and the plan unaffected; b (the technical change notice) otherwise."""
        if event not in ("tech_minor", "tech_major"):
            return {}
        changed = [f for f in ("structure_change", "spec_change", "maker_change") if values.get(f)]
        minor = not changed and not values.get("plan_affected")
        if event == "tech_minor" and not minor:
            field = changed[0] if changed else "plan_affected"
            return {field: "a structural, spec or maker change needs the technical change notice"}
        if event == "tech_major" and minor:
            return {"description": "nothing structural changes: archive it with sales, no notice"}
        return {}

    @classmethod
    def start_refusal(cls, roles: set[str], values: dict[str, Any]) -> str | None:
        """Customer changes are sales' (001M 1.5.2); technical ones engineering's (2.2.3)."""
        if values.get("source") == "engineering" and "engineering" not in roles:
            return "a technical change is raised by engineering / 技术更改由技术部提出"
        if values.get("source", "customer") == "customer" and not roles & SALES_ROLES:
            return "customer changes are received by sales / 客户更改由销售员、销售内勤接收"
        return None

    def date_as_requested(self, form: dict[str, Any] | None = None) -> bool:
        """Production can make the requested date: no need to ask the customer again."""
        requested = self.model.data.get("forms", {}).get("classify_delivery", {})
        wanted = requested.get("new_delivery_date")
        return bool(form and wanted and form.get("feasible_delivery_date") <= wanted)

    def accepts(self, form: dict[str, Any] | None = None) -> bool:
        return bool(form and form.get("answer") == "accepts")

    def withdraws(self, form: dict[str, Any] | None = None) -> bool:
        return bool(form and form.get("answer") == "withdraws")

    def customer_accepts(self, form: dict[str, Any] | None = None) -> bool:
        return bool(form and form.get("customer_accepts"))
