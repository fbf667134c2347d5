"""Order review 订单评审 (PROCEDURES.md §1, §1b, §1c "from stock").

Seeds: 001M 释义 1-2, 1.1-1.5; 001W 3.1-3.2; 001S 3.1-3.2; 001N 3.1.3.4; 000/2 二;
000/4 三.7; 002 1.2.2, 3.4.1.

Order received (intake ticks ①-④ decide the kind) → requirements confirmed with the
customer → finished goods cover it: the salesperson fills the 发货单 (§1c) → else
repeat: the GM signs, no review → else the board countersigns feasibility (regular:
sales, production, MC; non-regular + engineering, QA; special + merchandising lead;
outsourced work + outsourcing) → infeasible: a later date is negotiated (customer
paused) or the GM approves declining → special: handling agreed with the customer,
GM 签批, order coordination (§1b) and its 签批 → quote, checked by the sales head
(four-eyes; may mark the customer on credit terms) → contract signed → payment gate
(finance confirms payment; credit terms pass at signing) → 生产通知单 within 4 working
hours of the gate, locked to the order → production confirms and signs →
recipients acknowledge → released (→ §3, not built yet).

Urgent (§4, 001W 3.4.2; 004R 3.1.2): the urgent order starts this procedure as its child,
flagged urgent, at ``urgent_review`` — the board for the order's kind on the 紧急订单评审记录表,
4 WH* (§4 Choice) — which ends the child as "can be made" or "cannot be made"; §4 waits
for it and goes on from its outcome. Choice: the child starts at the review (``Child.enters``)
because §4 itself took the need in with its problem points and had it approved, and it ends
there because §4 runs the urgent path on (line, displaced orders, urgent notice, §3); an
urgent child started at its intake would confirm the requirements first.

Choice: the sales head marks a customer on credit terms while checking the quote,
because 001M 1.4 makes payment the gate and PROCEDURES.md gives the sales head the
marking; customer master data with standing terms comes with the materials issue.
Choice: an order typed in more than 1 working day after it was received is accepted and
recorded as late on its start event, because refusing it would lose the order.
Choice: an order covered by finished goods ships from stock only if it is regular or a
repeat, because a non-regular order is by definition not what is on the shelf.
Not built yet: the optional advance material preparation (001W 3.1.3.4) and BOM lines ×
quantity beside stock for the reviewers (both need the item and BOM master data).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from statemachine import State

from gendan.timespec import Deadline, Sla, event
from states.base import Countersign, OnEnter, Procedure, Step, TaskSpec, Wait, Waiting
from states.notice import CONFIRMED, NOTICE_STEPS, acknowledging_state, confirm_state

WORK = Deadline.wd(1, assumed=True)  # 1 WD*: seed silent, work to do
CHECK = Deadline.wh(4, assumed=True)  # 4 WH*: seed silent, check or sign a prepared paper
#: §4 Choice: in an urgent order's sub-procedures every open deadline is 4 WH*.
FAST = Deadline.wh(4, assumed=True)


def board_join(opinions: list[dict[str, Any]]) -> str:
    """Any "infeasible" decides (001M 1.2.1-2)."""
    return "feasible" if all(o.get("feasible") for o in opinions) else "infeasible"


REVIEW_ROW = (
    "department",
    "reviewer",
    "feasible",
    "earliest_delivery_date",
    "special",
    "comments",
    "signed_at",
)


def review_record(rows: list[dict[str, Any]], data: dict[str, Any], event: str) -> dict[str, Any]:
    """订单评审表 (004R 3.1.2; 001P 4.1.2) from the board's opinions."""
    return {
        "outcome": event,
        "requested_delivery_date": data.get("order", {}).get("delivery_date"),
        "rows": [{k: r.get(k) for k in REVIEW_ROW} for r in rows],
    }


#: The board's countersign: any "infeasible" decides; the 订单评审表 is compiled at the join.
BOARD = Countersign(
    form="review_opinion", join=board_join, compiles=("review_record", review_record)
)


def review_board(
    deadline: Deadline, title_zh: str, title_en: str, *, full: bool = False
) -> tuple[TaskSpec, ...]:
    """The review board per kind (001M 1.2.1-2; 001W 3.1.1; 001S 3.1.1; 000/4 三.4).

    Choice: 001M's board plus what 001W and 001S add, since none removes anyone.
    ``full``: the non-regular board whatever the kind (a structural change, §2 (3)).
    """
    nr = None if full else "non_regular"

    def spec(role: str, dep: str, when: str | None = None) -> TaskSpec:
        return TaskSpec(role, dep, title_zh, title_en, deadline, when=when, seed="001M 1.2")

    return (
        spec("sales_clerk", "sales"),
        spec("production_manager", "production"),
        spec("material_controller", "material_control"),
        spec("engineering", "engineering", nr),
        spec("qa_lead", "quality", nr),
        spec("merchandising_lead", "merchandising", "special"),
        spec("outsourcing_coordinator", "outsourcing", "outsourced"),
    )


def urgent_join(opinions: list[dict[str, Any]]) -> str:
    """One department that cannot make it decides (004R 3.2.1: 无法完成的紧急订单)."""
    return "can_make" if all(o.get("feasible") for o in opinions) else "cannot_make"


def urgent_review_record(
    rows: list[dict[str, Any]], data: dict[str, Any], event_name: str
) -> dict[str, Any]:
    """紧急订单评审记录表 (004R 3.1.2, 五): rows [department, opinion, signer]."""
    return {
        "outcome": "feasible" if event_name == "can_make" else "infeasible",
        "delivery_date": data.get("order", {}).get("delivery_date"),
        "rows": [
            {
                "department": r.get("department"),
                "opinion": r.get("opinion"),
                "signer": r.get("reviewer"),
                "feasible": bool(r.get("feasible")),
                "signed_at": r.get("signed_at"),
            }
            for r in rows
        ],
    }


#: The urgent order's review meeting (004R 3.1.2): the board for the order's kind gives its
#: opinion on the 紧急订单评审记录表; one "cannot make it" decides.
URGENT_BOARD = Countersign(
    form="urgent_opinion",
    join=urgent_join,
    compiles=("urgent_review_record", urgent_review_record),
)


def _order(data: dict[str, Any]) -> dict[str, Any]:
    return data.get("order", {})


PREDICATES = {
    "non_regular": lambda d: _order(d).get("kind") == "non_regular",
    "special": lambda d: bool(_order(d).get("special")),
    "outsourced": lambda d: bool(_order(d).get("outsourced_work")),
}


def _task(
    role: str, dep: str, zh: str, en: str, deadline: Deadline, seed: str, **kw: Any
) -> TaskSpec:
    return TaskSpec(role, dep, zh, en, deadline, seed=seed, **kw)


class OrderReview(Procedure):
    key = "order_review"
    title_zh = "订单评审"
    title_en = "Order review"
    start_form = "order_intake"
    start_roles = ("sales_clerk", "salesperson", "merchandiser")
    start_key = "intake"
    creates_order = True
    checks_stock = True
    entry_deadline = Sla.working_days(1)  # intake: 1 WD* recv (000/2 二.1; 002 3.4.1)

    requirements = Waiting(
        "要求确认 / Requirements confirmation",
        initial=True,
        wait=Wait(
            (
                _task(
                    "sales_clerk",
                    "sales",
                    "与客户确认订单要求（规格、型号、数量、技术质量要求、交期）",
                    "Confirm spec, model, quantity, requirements and date with the customer",
                    WORK,
                    "001M 1.1",
                    pauses_for="customer",
                ),
            )
        ),
    )
    ship_from_stock = Waiting(
        "库存发货 / Ship from stock",
        wait=Wait(
            (
                _task(
                    "salesperson",
                    "sales",
                    "库存可满足订单：填写发货单",
                    "Stock covers the order: fill in the shipping note",
                    WORK,
                    "002 1.2.2",
                ),
            )
        ),
    )
    feasibility_review = Waiting(
        "交期可行性评审 / Delivery feasibility review",
        wait=Wait(
            review_board(WORK, "订单评审（交期可行性）", "Review feasibility and delivery date"),
            countersign=BOARD,
        ),
    )
    negotiating = Waiting(
        "与客户协商交期 / Negotiating the date",
        wait=Wait(
            (
                _task(
                    "sales_clerk",
                    "sales",
                    "与客户协商延期交货",
                    "Ask the customer for a later delivery date",
                    Deadline.prompt(seed="尽快"),
                    "001M 1.2.1-2",
                    pauses_for="customer",
                ),
            )
        ),
    )
    decline_approval = Waiting(
        "总经理核准不接订单 / GM decides on declining",
        wait=Wait(
            (
                _task(
                    "general_manager",
                    "gm_office",
                    "核准不接订单（退单记录）",
                    "Approve declining the order (decline record)",
                    CHECK,
                    "001M 1.2.1-2; 001S 3.1.3.2",
                ),
            ),
            shows=("infeasible", "record_negotiation", "customer_refuses_handling"),
        ),
    )
    special_handling = Waiting(
        "特殊订单处理协商 / Special order: handling agreed with the customer",
        wait=Wait(
            (
                _task(
                    "sales_clerk",
                    "sales",
                    "与客户商定特殊要求的处理方案",
                    "Agree the handling of the special requirements with the customer",
                    WORK,
                    "001W 3.1.2; 001S 3.1.2",
                    pauses_for="customer",
                ),
            )
        ),
    )
    special_signoff = Waiting(
        "特殊订单总经理签批 / GM signs the special order",
        wait=Wait(
            (
                _task(
                    "general_manager",
                    "gm_office",
                    "特殊订单签批",
                    "Sign off the special order",
                    CHECK,
                    "001W 3.1.3; 001S 3.1.3",
                ),
            ),
            shows=("feasible", "agree_handling"),
        ),
    )
    coordination = Waiting(
        "订单协调会签 / Order coordination (§1b)",
        wait=Wait(
            tuple(
                _task(
                    role,
                    dep,
                    "订单协调：特殊要求的结构与工艺参数",
                    "Coordinate structure and process parameters",
                    WORK,
                    "001W 3.2.1; 001S 3.2.1",
                )
                for role, dep in (
                    ("sales_clerk", "sales"),
                    ("engineering", "engineering"),
                    ("production_manager", "production"),
                    ("qa_lead", "quality"),
                    ("purchasing_lead", "purchasing"),
                )
            ),
            countersign=Countersign(form="coordination_opinion", join=lambda _: "coordinated"),
        ),
    )
    coordination_signoff = Waiting(
        "订单协调记录签批 / Coordination record signed",
        wait=Wait(
            (
                _task(
                    "general_manager",
                    "gm_office",
                    "订单协调记录签批",
                    "Sign the order coordination record",
                    CHECK,
                    "001W 3.2.2; 001S 3.2.2",
                ),
            )
        ),
    )
    quoting = Waiting(
        "商务报价 / Quotation",
        wait=Wait(
            (
                _task(
                    "sales_clerk",
                    "sales",
                    "编制商务报价",
                    "Prepare the quotation",
                    WORK,
                    "001M 1.3",
                ),
            )
        ),
    )
    quote_check = Waiting(
        "报价审核 / Quote check",
        wait=Wait(
            (
                _task(
                    "dept_head",
                    "sales",
                    "审核报价",
                    "Check the quotation before it goes out",
                    CHECK,
                    "000/2 二.2; 002 3.4.1",
                ),
            ),
            shows=("submit_quote",),
        ),
    )
    gm_signoff = Waiting(
        "返单总经理签批 / GM sign-off (repeat order)",
        wait=Wait(
            (
                _task(
                    "general_manager",
                    "gm_office",
                    "返单签批（按上次价格）",
                    "Sign off the repeat order (last price)",
                    CHECK,
                    "001W 3.1.3.5; 001N 3.1.3.4",
                ),
            )
        ),
    )
    awaiting_contract = Waiting(
        "待签订单购销单 / Awaiting the signed contract",
        wait=Wait(
            (
                _task(
                    "sales_clerk",
                    "sales",
                    "起草订单购销单，跟进客户签字",
                    "Draft the contract and get it signed by the customer",
                    WORK,
                    "001M 1.4",
                    pauses_for="customer",
                ),
            ),
            shows=("submit_quote", "approve_quote", "fill_shipping_note"),
        ),
    )
    awaiting_payment = Waiting(
        "待付款 / Awaiting payment",
        wait=Wait(
            (
                _task(
                    "finance",
                    "finance",
                    "确认客户付款（付款后订单正式生效）",
                    "Confirm the customer's payment (the order takes effect)",
                    WORK,
                    "001M 1.4",
                    pauses_for="customer",
                ),
            ),
            shows=("submit_quote", "contract_signed"),
        ),
    )
    production_notice = Waiting(
        "下达生产通知单 / Issue the production notice",
        wait=Wait(
            (
                _task(
                    "sales_clerk",
                    "sales",
                    "4小时内下达生产通知单",
                    "Issue the production notice within 4 working hours",
                    Deadline.wh(4, start=event("gate"), seed="4小时内"),
                    "001M 1.5.1; 000/4 三.7",
                ),
            ),
            shows=("confirm", "contract_signed", "record_payment"),
        ),
    )
    urgent_review = Waiting(
        "紧急订单评审 / Urgent order review",
        wait=Wait(
            review_board(
                FAST, "紧急订单评审（记入紧急订单评审记录表）", "Review the urgent order"
            ),
            countersign=URGENT_BOARD,
            urgent=True,
            shows=("start",),
        ),
    )
    production_confirm = confirm_state()
    acknowledging = acknowledging_state()
    released = State("已下达生产 / Released to production", final=True)
    urgent_feasible = State("紧急评审：可完成 / Urgent review: can be made", final=True)
    urgent_infeasible = State("紧急评审：无法完成 / Urgent review: cannot be made", final=True)
    ready_to_ship = State("库存发货 / Ready to ship from stock", final=True)
    declined = State("不接订单 / Declined", final=True)

    confirm = (
        requirements.to(urgent_review, cond="urgent_child")
        | requirements.to(ship_from_stock, cond="stock_covers")
        | requirements.to(gm_signoff, cond="is_repeat")
        | requirements.to(feasibility_review)
    )
    fill_shipping_note = ship_from_stock.to(awaiting_contract)
    feasible = feasibility_review.to(special_handling, cond="is_special") | (
        feasibility_review.to(quoting)
    )
    infeasible = feasibility_review.to(negotiating)
    record_negotiation = (
        negotiating.to(special_handling, cond=["customer_accepts", "board_agreed", "is_special"])
        | negotiating.to(quoting, cond=["customer_accepts", "board_agreed"])
        | negotiating.to(feasibility_review, cond="customer_accepts")
        | negotiating.to(decline_approval)
    )
    approve_decline = decline_approval.to(declined)
    overrule_decline = decline_approval.to(special_handling, cond="is_special") | (
        decline_approval.to(quoting)
    )
    agree_handling = special_handling.to(special_signoff)
    customer_refuses_handling = special_handling.to(decline_approval)
    approve_special = special_signoff.to(coordination)
    refuse_special = special_signoff.to(declined)
    coordinated = coordination.to(coordination_signoff)
    sign_coordination = coordination_signoff.to(quoting)
    return_coordination = coordination_signoff.to(coordination)
    submit_quote = quoting.to(quote_check)
    approve_quote = quote_check.to(awaiting_contract)
    return_quote = quote_check.to(quoting)
    sign = gm_signoff.to(awaiting_contract)
    refuse = gm_signoff.to(declined)
    contract_signed = (
        awaiting_contract.to(ready_to_ship, cond=["gate_passes", "from_stock"])
        | awaiting_contract.to(production_notice, cond="gate_passes")
        | awaiting_contract.to(awaiting_payment)
    )
    customer_declines = awaiting_contract.to(declined)
    record_payment = awaiting_payment.to(ready_to_ship, cond="from_stock") | (
        awaiting_payment.to(production_notice)
    )
    issue_notice = production_notice.to(production_confirm)
    confirm_notice = production_confirm.to(acknowledging)
    return_notice = production_confirm.to(production_notice)
    acknowledged = acknowledging.to(released)
    can_make = urgent_review.to(urgent_feasible)
    cannot_make = urgent_review.to(urgent_infeasible)

    steps = {
        "confirm": Step(
            "确认要求",
            "Confirm requirements",
            form="requirements_confirmation",
            order_fields={
                "delivery_date": "delivery_date",
                "quantity": "quantity",
                "model_spec": "model_spec",
                "technical_requirements": "technical_requirements",
                "quality_requirements": "quality_requirements",
            },
        ),
        "fill_shipping_note": Step(
            "填写发货单（预留库存）",
            "Fill in the shipping note (reserves stock)",
            form="shipping_note",
            issues="shipping_note",
            locked={
                "order_no": "order.order_no",
                "product": "order.product",
                "model_spec": "order.model_spec",
                "quantity": "order.quantity",
            },
            reserves_stock=True,
        ),
        "feasible": Step("评审通过", "Found feasible"),
        "infeasible": Step("评审不可行", "Found infeasible"),
        "record_negotiation": Step(
            "记录协商结果",
            "Record the negotiation",
            form="negotiation",
            order_fields={"new_delivery_date": "delivery_date"},
        ),
        "approve_decline": Step(
            "核准不接订单", "Approve declining", reason_required=True, signature="approved"
        ),
        "overrule_decline": Step(
            "不同意退单，按客户交期并采取补救措施",
            "Overrule: take the order at the customer's date with remedies",
            reason_required=True,
            signature="rejected",
        ),
        "agree_handling": Step("已与客户商定处理方案", "Handling agreed", form="special_handling"),
        "customer_refuses_handling": Step(
            "客户不同意处理方案", "Customer refuses the handling", reason_required=True
        ),
        "approve_special": Step("签批特殊订单", "Sign off", signature="approved"),
        "refuse_special": Step(
            "退单（特殊订单）",
            "Decline the special order",
            reason_required=True,
            signature="rejected",
        ),
        "coordinated": Step("协调完成", "Coordinated"),
        "sign_coordination": Step("签批订单协调记录", "Sign the record", signature="approved"),
        "return_coordination": Step(
            "退回重新协调", "Return for coordination", reason_required=True, signature="rejected"
        ),
        "submit_quote": Step("提交报价", "Submit the quote", form="quote"),
        "approve_quote": Step(
            "报价审核通过",
            "Approve the quote",
            form="quote_check",
            signature="reviewed",
            four_eyes=("submit_quote",),
            bulk=True,
            order_fields={"credit_terms": "credit_terms"},
        ),
        "return_quote": Step(
            "退回报价",
            "Return the quote",
            reason_required=True,
            signature="rejected",
            four_eyes=("submit_quote",),
        ),
        "contract_signed": Step("购销单已签订", "Contract signed", form="contract"),
        "customer_declines": Step("客户不签", "Customer declines", reason_required=True),
        "record_payment": Step(
            "确认已收款", "Payment received", form="payment", signature="confirmed"
        ),
        "sign": Step("返单签批", "Sign the repeat order", signature="approved", bulk=True),
        "refuse": Step(
            "拒绝返单", "Refuse the repeat order", reason_required=True, signature="rejected"
        ),
        "can_make": Step("评审：可完成", "Review: can be made"),
        "cannot_make": Step("评审：无法完成", "Review: cannot be made"),
        **NOTICE_STEPS,
    }
    entering = {
        "production_notice": OnEnter(order_status="contracted", marks="gate"),
        "ready_to_ship": OnEnter(order_status="ready_to_ship", marks="gate"),
        "acknowledging": CONFIRMED,
        "released": OnEnter(order_status="released"),
        "declined": OnEnter(order_status="declined"),
    }
    predicates = PREDICATES

    @classmethod
    def step_errors(
        cls, event: str, values: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, str]:
        """001M 1.3: a regular order is priced from the price list; only a non-regular one may
        carry the 异型更改标准 surcharge (Choice: never on a regular order)."""
        if event == "submit_quote" and data.get("order", {}).get("kind") in ("regular", "repeat"):
            if values.get("price_basis") != "price_list":
                return {"price_basis": "a regular order is priced from the price list / 按报价表"}
        return {}

    def urgent_child(self) -> bool:
        """Started flagged urgent by §4 (``Child(urgent=True)``): the urgent board reviews it."""
        return bool(self.model.data.get("urgent"))

    def stock_covers(self) -> bool:
        order = self.model.data.get("order", {})
        return bool(self.model.data.get("stock", {}).get("covers")) and order.get("kind") in (
            "regular",
            "repeat",
        )

    def from_stock(self) -> bool:
        return self.model.data.get("forms", {}).get("fill_shipping_note") is not None

    def is_repeat(self) -> bool:
        return self.model.data.get("order", {}).get("kind") == "repeat"

    def is_special(self, form: dict[str, Any] | None = None) -> bool:
        """Special: ① or ③ at intake, or marked so by any reviewer (Choice, §1)."""
        data = self.model.data
        if data.get("order", {}).get("special"):
            return True
        forms = data.get("forms", {})
        rounds = [form or {}, forms.get("infeasible", {}), forms.get("feasible", {})]
        return any(o.get("special") for r in rounds for o in r.get("opinions", []))

    def customer_accepts(self, form: dict[str, Any] | None = None) -> bool:
        return bool(form and form.get("customer_accepts"))

    def board_agreed(self, form: dict[str, Any] | None = None) -> bool:
        """Choice (PROCEDURES.md §1): no reviewer's earliest date is later than the accepted one."""
        if not form or not form.get("new_delivery_date"):
            return False
        accepted = date.fromisoformat(form["new_delivery_date"])
        opinions = self.model.data.get("forms", {}).get("infeasible", {}).get("opinions", [])
        earliest = [o.get("earliest_delivery_date") for o in opinions]
        return all(date.fromisoformat(e) <= accepted for e in earliest if e)

    def gate_passes(self, form: dict[str, Any] | None = None) -> bool:
        """001M 1.4: effective after payment; credit terms (sales head) pass at signing."""
        if form and form.get("payment_received"):
            return True
        return bool(self.model.data.get("order", {}).get("credit_terms"))
