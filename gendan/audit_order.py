"""The auditor's trail of one order across its procedures (review, changes, …): every audit
event of every instance of the order, in chain order, with the procedure of each, and the
same CSV/XLSX exports as one instance's trail (``gendan.audit_trail``)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, select

from gendan.audit_trail import COLUMNS, event_row
from gendan.errors import NotFound
from gendan.labels import both
from gendan.models import AuditEvent, Document, Instance, Order

#: The order trail's columns: the instance trail's, with the procedure after the time.
ORDER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    *COLUMNS[:2],
    ("procedure", "程序", "Procedure"),
    *COLUMNS[2:],
)


@dataclass(frozen=True)
class OrderRecord:
    """What the order trail page shows above the events."""

    order_no: str
    order: Order | None
    instances: list[Instance]
    documents: list[Document]


def order_record(session: Session, order_no: str) -> OrderRecord:
    """The order, its instances (oldest first) and documents; NotFound if it has neither."""
    order = session.exec(select(Order).where(Order.order_no == order_no)).first()
    insts = list(
        session.exec(select(Instance).where(Instance.order_no == order_no).order_by(Instance.id))
    )
    if order is None and not insts:
        raise NotFound(f"no order {order_no}")
    docs = session.exec(
        select(Document)
        .where(Document.order_no == order_no)
        .order_by(Document.kind, Document.revision, Document.id)
    ).all()
    return OrderRecord(order_no, order, insts, list(docs))


def order_trail_rows(
    session: Session, record: OrderRecord, *, tz: str | ZoneInfo
) -> list[dict[str, object]]:
    """Every event of the order (by its number, or on one of its instances), oldest first;
    each row as ``audit_trail.event_row`` plus ``procedure`` ("订单评审 / Order review #3")."""
    procs = {i.id: i.procedure for i in record.instances}
    ids = [i for i in procs if i is not None]
    cond = AuditEvent.order_no == record.order_no
    if ids:
        cond = or_(cond, AuditEvent.instance_id.in_(ids))
    events = session.exec(select(AuditEvent).where(cond).order_by(AuditEvent.seq)).all()
    rows: list[dict[str, object]] = []
    for ev in events:
        proc = procs.get(ev.instance_id) if ev.instance_id is not None else None
        row = event_row(ev, procedure=proc, tz=tz)
        row["procedure_key"] = proc or ""
        row["procedure"] = f"{both('procedure', proc)} #{ev.instance_id}" if proc else "—"
        rows.append(row)
    return rows
