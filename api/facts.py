"""What the pages show about an order and a task, in both languages: every intake fact,
the finished-goods snapshot reviewers see, a task's deadline, clock start, chain and seed."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from forms.order import CHANNELS, ORDER_KINDS
from gendan.describe import chain_label, chain_words, task_spec
from gendan.models import Department, Task
from gendan.timespec import BASIS, Sla
from notifications import times
from states import get_procedure

KINDS = {**ORDER_KINDS, "stock": ("生产库存订单", "Make-to-stock order")}
STATUSES = {
    "reviewing": ("评审中", "under review"),
    "contracted": ("已签约", "contracted"),
    "released": ("已下达生产", "released to production"),
    "ready_to_ship": ("待库存发货", "ready to ship from stock"),
    "declined": ("不接订单", "declined"),
    "cancelled": ("已取消", "cancelled"),
}
YES, NO = ("是", "yes"), ("否", "no")
TICKS = (
    ("new_design", "① 需新技术设计", "① New technical design"),
    ("discontinued", "② 停产或多年未生产的产品", "② Discontinued or not made for years"),
    ("above_standard", "③ 质量要求高于公司标准", "③ Quality above the company standard"),
    (
        "tight_date",
        "④ 交期紧且有违约罚款或信誉风险",
        "④ Tight date with penalty or reputational risk",
    ),
)
NONE = ("—", "—")


def local_time(value: Any, tz: ZoneInfo) -> str:
    """An instant (datetime or ISO text) in company local time, "YYYY-MM-DD HH:MM"; a naive
    value was typed into a form in company time and stays as typed."""
    return times.local(value or None, tz, naive_is_local=True)


def _yes(value: Any) -> tuple[str, str]:
    return YES if value else NO


def _text(value: Any) -> tuple[str, str]:
    return (str(value), str(value)) if value not in (None, "") else NONE


def _row(key: str, zh: str, en: str, value: tuple[str, str]) -> dict[str, str]:
    return {"key": key, "label_zh": zh, "label_en": en, "zh": value[0], "en": value[1]}


def order_facts(order: dict[str, Any], tz: ZoneInfo) -> list[dict[str, str]]:
    """Every fact of the order (订单登记) as rows of label and value in both languages; none
    for an instance that serves no order (issue 10's subjects)."""
    if not order:
        return []
    o = order
    quantity = f"{o.get('quantity', '')} {o.get('unit') or ''}".strip()
    project = o.get("project")
    complete_set = (f"是（项目：{project}）", f"yes (project: {project})") if project else YES
    rows = [
        _row("customer", "客户", "Customer", _text(o.get("customer"))),
        _row("customer_class", "客户等级", "Customer class", _text(o.get("customer_class"))),
        _row("received_at", "接单时间", "Received at", (local_time(o.get("received_at"), tz),) * 2),
        _row("channel", "接单方式", "Received by", CHANNELS.get(o.get("channel") or "", NONE)),
        _row(
            "product",
            "产品 / 规格型号",
            "Product / model",
            _text(f"{o.get('product', '')} {o.get('model_spec') or ''}".strip()),
        ),
        _row("colour", "颜色", "Colour", _text(o.get("colour"))),
        _row("quantity", "数量", "Quantity", _text(quantity)),
        _row("delivery_date", "交货日期", "Delivery date", _text(o.get("delivery_date"))),
        _row("kind", "订单类别", "Kind", KINDS.get(o.get("kind") or "", _text(o.get("kind")))),
        *(_row(key, zh, en, _yes(o.get(key))) for key, zh, en in TICKS),
        _row("special", "特殊订单", "Special order", _yes(o.get("special"))),
        _row(
            "complete_set",
            "成套产品",
            "Complete set",
            complete_set if o.get("complete_set") else NO,
        ),
        _row("penalty_clause", "违约罚款条款", "Penalty clause", _yes(o.get("penalty_clause"))),
        _row("outsourced_work", "含外协加工", "Outsourced work", _yes(o.get("outsourced_work"))),
        _row("urgent", "紧急订单", "Urgent order", _yes(o.get("urgent"))),
        _row("repeat_of", "返单（原订单号）", "Repeat of", _text(o.get("repeat_of"))),
        _row(
            "credit_terms",
            "信用账期（签约即生效）",
            "Credit terms (effective at signing)",
            _yes(o.get("credit_terms")),
        ),
        _row(
            "technical_requirements",
            "技术要求",
            "Technical requirements",
            _text(o.get("technical_requirements")),
        ),
        _row(
            "quality_requirements",
            "质量要求",
            "Quality requirements",
            _text(o.get("quality_requirements")),
        ),
        _row("attachment", "附件", "Attachment", _text(o.get("attachment"))),
        _row(
            "status",
            "订单状态",
            "Order status",
            STATUSES.get(o.get("status") or "", _text(o.get("status"))),
        ),
    ]
    return rows


def stock_view(data: dict[str, Any]) -> dict[str, Any] | None:
    """The finished-goods snapshot taken when the order was registered (§1c), if any."""
    stock = data.get("stock")
    if not stock:
        return None
    return {
        **stock,
        "covers_zh": "可满足本订单" if stock.get("covers") else "不足以满足本订单",
        "covers_en": "covers this order" if stock.get("covers") else "does not cover it",
    }


def sla_zh(sla: str) -> str:
    """A task of release 0.1 kept only the bare length in English ("1 working day"): its
    Chinese words ("1 个工作日"), so a Chinese page never shows the English."""
    if not sla:
        return ""
    try:
        return Sla.parse(sla).label_zh
    except ValueError:
        return sla


def deadline_view(
    task: Task, department: Department | None, procedure: str, tz: ZoneInfo
) -> dict[str, Any]:
    """A task's deadline in words: label, kind, clock start (local), chain and seed."""
    kind_zh, kind_en = BASIS.get(task.deadline_kind, (task.deadline_kind, task.deadline_kind))
    dep = (department.name_zh, department.name_en) if department else None
    words = chain_words(task.chain, dep)
    spec = task_spec(
        get_procedure(procedure),
        task.state,
        task.role,
        department.key if department else "",
        task.title_zh,
    )
    return {
        "label_zh": task.deadline_zh or sla_zh(task.sla) or "—",
        "label_en": task.deadline_en or task.sla or "—",
        "kind_zh": kind_zh,
        "kind_en": kind_en,
        "clock_start": local_time(task.clock_start, tz) if task.clock_start else "—",
        "chain": words,
        "chain_zh": chain_label(words, "zh") or "—",
        "chain_en": chain_label(words, "en") or "—",
        "seed": spec.seed if spec else "",
        "seed_words": spec.deadline.seed
        if spec and spec.deadline and spec.deadline.seed != "*"
        else "",
    }
