"""Small readers for engine tests."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from gendan.models import AuditEvent, Document, Instance, Notification, Order, Task, Timer
from gendan.runtime import Runtime


def snapshot(rt: Runtime) -> dict[str, Any]:
    """Everything a move may write, to compare before and after a failed one."""
    with Session(rt.db) as s:
        return {
            "instances": [(i.id, i.state, i.version, i.data) for i in s.exec(select(Instance))],
            "tasks": [(t.id, t.status, t.assignee_id, t.decision) for t in s.exec(select(Task))],
            "timers": [(t.id, t.status) for t in s.exec(select(Timer))],
            "audit": [e.seq for e in s.exec(select(AuditEvent))],
            "docs": [(d.doc_no, d.status) for d in s.exec(select(Document))],
            "orders": [(o.order_no, o.status, o.delivery_date) for o in s.exec(select(Order))],
            "outbox": [n.id for n in s.exec(select(Notification))],
        }


def instance(rt: Runtime, iid: int) -> Instance:
    with Session(rt.db) as s:
        inst = s.get(Instance, iid)
        assert inst is not None
        return inst


def open_tasks(rt: Runtime, iid: int) -> list[Task]:
    with Session(rt.db) as s:
        return list(
            s.exec(select(Task).where(Task.instance_id == iid, Task.status == "open")).all()
        )


def order(rt: Runtime, order_no: str) -> Order:
    with Session(rt.db) as s:
        return s.exec(select(Order).where(Order.order_no == order_no)).one()


def docs(rt: Runtime, order_no: str, *, records: bool = False) -> dict[str, str]:
    """The order's papers by number → status; the compiled 订单评审表 (a record, not an
    instruction to anyone) only with ``records``."""
    with Session(rt.db) as s:
        rows = s.exec(select(Document).where(Document.order_no == order_no)).all()
        return {d.doc_no: d.status for d in rows if records or d.kind != "review_record"}


def events(rt: Runtime, iid: int) -> list[AuditEvent]:
    with Session(rt.db) as s:
        q = select(AuditEvent).where(AuditEvent.instance_id == iid).order_by(AuditEvent.seq)
        return list(s.exec(q).all())
