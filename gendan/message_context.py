"""What every message about a task names: order, customer, product, step, holder, deadline,
lateness in working time — gathered once, stored in the outbox row's context.

The row is rendered at delivery (``flows.delivery.render`` → ``notifications.messages``), so
the context keeps facts (UTC instants, working minutes), not wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from gendan import order_cache
from gendan.calendar import BusinessCalendar
from gendan.models import Department, Instance, Order, Task, User
from states import get_procedure


def holder_names(session: Session, task: Task) -> tuple[str, str]:
    """Who holds the task, in Chinese and English: the assignee, or the queue (role @ dept)."""
    if task.assignee_id is not None:
        user = session.get(User, task.assignee_id)
        if user is not None:
            return user.display_name, user.display_name
    from gendan.admin.roles import ROLES  # gendan.admin imports the engine: read lazily

    role_zh, role_en = ROLES.get(task.role, (task.role, task.role))
    dep = session.get(Department, task.department_id)
    dep_zh, dep_en = (dep.name_zh, dep.name_en) if dep else ("", "")
    return f"{dep_zh}{role_zh}（待认领）", f"{role_en}, {dep_en} (unclaimed queue)"


def late_minutes(calendar: BusinessCalendar, task: Task, now: datetime) -> int:
    """Working minutes the task is past its due time at ``now`` (0 when not late)."""
    if task.due_at is None or task.due_at >= now:
        return 0
    return calendar.working_minutes_between(task.due_at, now)


#: What other messages (waiting reminder, missed acknowledgement) add about the task.
FACT_KEYS = ("customer", "product", "delivery_date", "holder_zh", "holder_en", "late_minutes")


def message_facts(
    session: Session,
    task: Task,
    *,
    calendar: BusinessCalendar,
    now: datetime,
    inst: Instance | None = None,
) -> dict[str, Any]:
    """Order and task facts for a message whose own ``due_at`` may be another deadline: the
    task's due time goes under ``task_due_at`` (``notifications.task_messages.facts_for``)."""
    ctx = task_context(session, task, calendar=calendar, now=now, inst=inst)
    return {**{k: ctx[k] for k in FACT_KEYS}, "task_due_at": task.due_at}


def reference(inst: Instance) -> dict[str, str]:
    """How messages name what an instance is about: the order number (订单 / Order), or the
    subject's key with its words (采购单 PO-000042) for one that serves no order (issue 10)."""
    subject = get_procedure(inst.procedure).subject if inst.subject_kind != "order" else None
    if subject is None:
        return {"order_no": inst.order_no, "ref_zh": "订单", "ref_en": "Order"}
    return {"order_no": inst.subject_key, "ref_zh": subject.label_zh, "ref_en": subject.label_en}


def task_context(
    session: Session,
    task: Task,
    *,
    calendar: BusinessCalendar,
    now: datetime,
    inst: Instance | None = None,
    orders: Mapping[str, Order] | None = None,
) -> dict[str, Any]:
    """The facts of one task for a message (an item of a digest, or a message on its own).

    ``orders``: the orders already read by order number (the sweep reads a batch's at once).
    """
    inst = inst or session.get(Instance, task.instance_id)
    assert inst is not None
    proc = get_procedure(inst.procedure)
    order = (
        orders.get(inst.order_no)
        if orders is not None
        else order_cache.order_by_no(session, inst.order_no)  # read once per transaction
    )
    holder_zh, holder_en = holder_names(session, task)
    return {
        "task_id": task.id,
        "instance_id": inst.id,
        "task_title_zh": task.title_zh,
        "task_title_en": task.title_en,
        **reference(inst),
        "customer": order.customer if order else "",
        "product": " ".join(p for p in (order.product, order.model_spec) if p) if order else "",
        "delivery_date": order.delivery_date.isoformat() if order else "",
        "procedure_zh": proc.title_zh,
        "procedure_en": proc.title_en,
        "holder_zh": holder_zh,
        "holder_en": holder_en,
        "due_at": task.due_at,
        "deadline_zh": task.deadline_zh,
        "deadline_en": task.deadline_en,
        "overdue": bool(task.due_at and task.due_at <= now),
        "late_minutes": late_minutes(calendar, task, now),
        "timezone": str(calendar.zone),
    }
