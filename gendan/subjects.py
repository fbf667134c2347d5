"""Business keys other than a customer order (``states.base.Subject``, issue 10).

A requisition, a purchase order, a supplier's month or a stock count is an instance of its
own. Its start form may name the customer orders it serves; those are checked as strictly
as an order procedure's ``order_no`` (exists, not cancelled or declined), so lifting the
"one order per instance" rule weakens none of §1-§4's checks.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, select

from gendan.errors import Conflict, InvalidForm
from gendan.models import Instance, InstanceOrder, Order
from states.base import Procedure, Subject

CLOSED_ORDER = ("cancelled", "declined")


def order_numbers(raw: Any) -> list[str]:
    """Order numbers from a form value: one, several separated by commas/spaces, or a list."""
    if raw is None or raw == "":
        return []
    items = raw if isinstance(raw, list | tuple) else re.split(r"[\s,;，；]+", str(raw))
    seen: list[str] = []
    for item in items:
        no = str(item).strip()
        if no and no not in seen:
            seen.append(no)
    return seen


def served_orders(session: Session, subject: Subject, values: dict[str, Any]) -> list[Order]:
    """The open orders the start form names (422 on the field for an unknown or closed one)."""
    if subject.orders_field is None:
        return []
    numbers = order_numbers(values.get(subject.orders_field))
    field = subject.orders_field
    if not numbers and subject.orders_required:
        raise InvalidForm({field: "at least one order number is required / 须填写订单号"})
    found = {
        o.order_no: o
        for o in session.exec(
            select(Order).where(Order.order_no.in_(numbers)).with_for_update()
        ).all()
    }
    for no in numbers:
        order = found.get(no)
        if order is None:
            raise InvalidForm({field: f"no order {no} / 无此订单"})
        if order.status in CLOSED_ORDER:
            raise InvalidForm({field: f"order {no} is {order.status} / 订单已关闭"})
    return [found[no] for no in numbers]


def given_key(subject: Subject, values: dict[str, Any]) -> str | None:
    """The key the start form carries, or None when the engine numbers the instance."""
    if subject.key_field is None:
        return None
    key = str(values.get(subject.key_field) or "").strip()
    if not key:
        raise InvalidForm({subject.key_field: "required / 必填"})
    return key


def check_one_open(session: Session, proc: type[Procedure], key: str | None) -> None:
    """``Subject.one_open``: a second open instance for the same key is a conflict."""
    subject = proc.subject
    if subject is None or not subject.one_open or key is None:
        return
    running = session.exec(
        select(Instance.id).where(
            Instance.procedure == proc.key,
            Instance.subject_key == key,
            Instance.closed_at.is_(None),
        )
    ).first()
    if running is not None:
        raise Conflict(
            f"{subject.label_en} {key} already has an open {proc.title_en} (instance "
            f"{running}) / {subject.label_zh} {key} 已有未完成的{proc.title_zh}"
        )


def open_for_key(session: Session, procedure: str, key: str) -> Instance | None:
    """The open instance of ``procedure`` for ``key`` (event-triggered starts look first)."""
    return session.exec(
        select(Instance).where(
            Instance.procedure == procedure,
            Instance.subject_key == key,
            Instance.closed_at.is_(None),
        )
    ).first()


def number(subject: Subject, inst_id: int) -> str:
    """The engine's number for an instance without a given key: ``PO-000042``."""
    return f"{subject.prefix or subject.kind.upper()}-{inst_id:06d}"


def link_orders(session: Session, inst: Instance, orders: list[Order]) -> None:
    for order in orders:
        session.add(InstanceOrder(instance_id=inst.id, order_no=order.order_no))


def instances_serving(session: Session, order_no: str) -> list[int]:
    """Ids of instances with their own subject that serve ``order_no``."""
    return list(
        session.exec(
            select(InstanceOrder.instance_id).where(InstanceOrder.order_no == order_no)
        ).all()
    )
