"""Customer service requests 用户服务、质量信息反馈 (PROCEDURES.md §8a).

Seeds: 001M 4.1(1)-(3); 000/2 三; 000/4 三.16; 002 1.2.12.

A complaint is an instance of its own (``Subject`` "complaint", numbered KF-…), linked to
the order it names. The sales clerk or salesperson who took the customer's call or fax fills
the 用户服务、质量信息反馈接受单 QR/JY-2005 and passes it with the fax to after-sales within 60
working minutes of receiving it → the after-sales leader contacts the customer within 2
working hours of the form's receipt → a site installation: the salesperson follows the
customer's project and gives after-sales the service date (answer paused on the customer);
after-sales serves on that date → otherwise after-sales finds the cause and the
countermeasure with the merchandising lead (1 WD*) → the outcome (1 WD*): accepted as is,
reworked and shipped again, a discount, the customer's terms — or remade: a new order (补单)
reviewed by §1 as a repeat order, a child of the complaint — or stock reworked on a
non-standard production order planned by §3, a child too; the complaint closes when its
child closes.

Choice (PROCEDURES.md §8a): a remake is a §1 repeat order with no quote (the GM signs, as a
repeat) and no payment gate, the cost being the factory's: the remake order is registered
with the gate's credit-terms mark set (``gendan.after_sales.register_new_order``), so the
gate passes at signing. Choice: the after-sales department and the sales head both hold the
outcome task and either records it, because the seeds name both (000/2 三: 业务, 售后) and a
decision needs one record. Choice: the merchandising lead assists with the cause as a
countersign with after-sales (000/4 三.16 跟单主管 tracks customer complaints), so both
opinions are on the record.
"""

from __future__ import annotations

from typing import Any

from statemachine import State

from gendan.timespec import RECV, Deadline
from states.base import (
    Child,
    Countersign,
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
SERVICE_DAY = Deadline.before_date("set_service_date.service_date", 0, seed="服务日期当天")
REGISTER = "gendan.after_sales:register_new_order"


def _outcome(data: dict[str, Any], event: str) -> dict[str, Any]:
    return data.get("forms", {}).get(event, {})


def remake_order(data: dict[str, Any]) -> list[dict[str, Any]]:
    """补单生产 (000/2 三): §1's start form for the remake, a repeat of the complaint's order."""
    out = _outcome(data, "order_remake")
    order = data.get("order", {})
    feedback = data.get("feedback", {})
    return [
        {
            "order_no": out["new_order_no"],
            "customer": order.get("customer") or feedback.get("customer"),
            "customer_class": order.get("customer_class") or "B",
            "received_at": data.get("at", {}).get("decided"),
            "channel": "written",
            "product": order.get("product"),
            "model_spec": order.get("model_spec") or "",
            "quantity": out["quantity"],
            "unit": order.get("unit") or "台",
            "delivery_date": out["delivery_date"],
            "repeat_of": order.get("order_no"),
            "technical_requirements": f"售后补单 / remake: {out.get('details', '')}"[:4000],
        }
    ]


def rework_plan(data: dict[str, Any]) -> list[dict[str, Any]]:
    """库存返工 → 非标生产单 (002 1.2.12): §3 plans the non-standard order."""
    out = _outcome(data, "rework_stock")
    return [
        {
            "order_no": out["new_order_no"],
            "received_at": data.get("at", {}).get("decided"),
            "remarks": f"售后库存返工（非标生产单）/ stock rework: {out.get('details', '')}"[:4000],
        }
    ]


def _t(role: str, dep: str, zh: str, en: str, dl: Deadline, seed: str, **kw: Any) -> TaskSpec:
    return TaskSpec(role, dep, zh, en, dl, seed=seed, **kw)


def _outcome_step(outcome: str, zh: str, en: str) -> Step:
    """The outcome's event records the 售后处理记录 with its outcome fixed."""
    kw: dict[str, Any] = {"effect": REGISTER} if outcome in ("remake", "rework_stock") else {}
    return Step(zh, en, form="service_outcome", fixed={"outcome": outcome}, marks="decided", **kw)


class CustomerService(Procedure):
    key = "customer_service"
    title_zh = "用户服务与质量信息反馈"
    title_en = "Customer service requests"
    start_form = "service_feedback"
    start_roles = ("sales_clerk", "salesperson")
    start_key = "feedback"
    subject = Subject(kind="complaint", label_zh="客户服务单", label_en="Customer service request",
                      prefix="KF", orders_field="order_no")  # fmt: skip

    with_sales = Waiting(
        "转售后服务部 / To after-sales",
        initial=True,
        wait=Wait(
            tuple(
                _t(
                    role,
                    "sales",
                    "填写反馈接受单（附客户传真）转售后服务部（60分钟内）",
                    "Pass the feedback form and the customer's fax to after-sales (60 minutes)",
                    Deadline.wm(60, start=RECV, seed="60分钟内"),
                    "001M 4.1(1)",
                )
                for role in ("sales_clerk", "salesperson")
            ),
            shows=("start",),
        ),
    )
    customer_contact = Waiting(
        "联系客户 / Customer contacted",
        wait=Wait(
            (
                _t(
                    "dept_head",
                    "after_sales",
                    "与客户联系（接单后2小时内）",
                    "Contact the customer (within 2 working hours of the form)",
                    Deadline.wh(2, start=RECV, seed="2小时内"),
                    "001M 4.1(2)",
                ),
            ),
            shows=("start",),
        ),
    )
    site_installation = Waiting(
        "现场安装：跟踪工程进度 / Site installation: project followed",
        wait=Wait(
            (
                _t(
                    "salesperson",
                    "sales",
                    "跟踪客户工程进度，及时将服务时间通知售后服务部",
                    "Follow the customer's project; give after-sales the service date",
                    Deadline.prompt(),
                    "001M 4.1(3)",
                    pauses_for="customer",
                ),
            ),
            shows=("start", "customer_contacted"),
        ),
    )
    on_site_service = Waiting(
        "现场安装服务 / Installation on site",
        wait=Wait(
            (
                _t(
                    "after_sales",
                    "after_sales",
                    "按约定服务日期到现场安装服务",
                    "Install on site on the agreed service date",
                    SERVICE_DAY,
                    "001M 4.1(3)",
                    opens=OpensAt("set_service_date.service_date", 0),
                ),
            ),
            shows=("set_service_date",),
        ),
    )
    cause_analysis = Waiting(
        "原因分析与对策 / Cause and countermeasure",
        wait=Wait(
            (
                _t(
                    "after_sales",
                    "after_sales",
                    "分析原因、制定对策（跟单主管协助）",
                    "Find the cause and the countermeasure (with the merchandising lead)",
                    WORK,
                    "000/2 三; 000/4 三.16",
                ),
                _t(
                    "merchandising_lead",
                    "merchandising",
                    "协助售后分析原因、制定对策",
                    "Help after-sales find the cause and the countermeasure",
                    WORK,
                    "000/4 三.16",
                ),
            ),
            countersign=Countersign(form="service_analysis", join=lambda _: "cause_found"),
            shows=("start", "customer_contacted"),
        ),
    )
    outcome_decision = Waiting(
        "确定处理结果 / Outcome decided",
        wait=Wait(
            tuple(
                _t(
                    role,
                    dep,
                    "确定处理结果（让步接收/返工重发/补单/折价/按客户要求/库存返工）",
                    "Decide the outcome (as is, rework, remake, discount, customer's terms)",
                    WORK,
                    "000/2 三; 002 1.2.12",
                )
                for role, dep in (("after_sales", "after_sales"), ("dept_head", "sales"))
            ),
            shows=("start", "cause_found"),
        ),
    )
    remake_running = Waiting(
        "补单生产（§1 返单） / Remake order (§1)",
        wait=Wait(children=("order_review",), when_done="remake_closed"),
    )
    rework_running = Waiting(
        "库存返工（§3 非标生产单） / Stock rework (§3)",
        wait=Wait(children=("production_plan",), when_done="rework_closed"),
    )
    closed = State("已处理 / Resolved", final=True)

    pass_to_after_sales = with_sales.to(customer_contact)
    customer_contacted = customer_contact.to(site_installation, cond="needs_installation") | (
        customer_contact.to(cause_analysis)
    )
    set_service_date = site_installation.to(on_site_service)
    service_done = on_site_service.to(closed)
    cause_found = cause_analysis.to(outcome_decision)
    accept_as_is = outcome_decision.to(closed)
    rework_reship = outcome_decision.to(closed)
    order_remake = outcome_decision.to(remake_running)
    grant_discount = outcome_decision.to(closed)
    customer_terms = outcome_decision.to(closed)
    rework_stock = outcome_decision.to(rework_running)
    remake_closed = remake_running.to(closed)
    rework_closed = rework_running.to(closed)

    steps = {
        "pass_to_after_sales": Step("已转售后服务部", "Passed to after-sales"),
        "customer_contacted": Step("已联系客户", "Customer contacted", form="service_contact"),
        "set_service_date": Step(
            "通知服务时间", "Give the service date", form="installation_date"
        ),
        "service_done": Step("现场服务完成", "Installed on site", form="installation_done"),
        "cause_found": Step("原因与对策已定", "Cause and countermeasure found"),
        "accept_as_is": _outcome_step("accept_as_is", "让步接收", "Accept as is"),
        "rework_reship": _outcome_step("rework_reship", "返工后重新发货", "Rework and reship"),
        "order_remake": _outcome_step("remake", "补单生产（返单评审）", "Remake (repeat order)"),
        "grant_discount": _outcome_step("discount", "折价处理", "Discount"),
        "customer_terms": _outcome_step("customer_terms", "按客户要求处理", "Customer's terms"),
        "rework_stock": _outcome_step(
            "rework_stock", "库存返工（下非标生产单）", "Rework stock (non-standard order)"
        ),
        "remake_closed": Step("补单评审结束", "Remake order's review closed"),
        "rework_closed": Step("非标生产单结束", "Non-standard order closed"),
    }
    entering = {
        "remake_running": OnEnter(starts=(Child("order_review", each=remake_order),)),
        "rework_running": OnEnter(starts=(Child("production_plan", each=rework_plan),)),
    }

    def needs_installation(self, form: dict[str, Any] | None = None) -> bool:
        """001M 4.1(3): the request is a site installation (ticked on QR/JY-2005)."""
        return bool(self.model.data.get("feedback", {}).get("site_installation"))
