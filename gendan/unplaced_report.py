"""采购单未下单明细表 (PROCEDURES.md §5f; 003 5.5.1): requirements handed to purchasing whose
POs are not back with MC, and the month's cumulative count of the two-day rule.

The buyer's task on a 物料需求计划表 or 申购单 (state ``ordering``) is due two working days
after the hand-over; the list shows every open one (overdue ones first) and, per month, how
many were handed over, how many came back in time, late, or are still open past their due
time — the "月累计报表" MC reports to the superior.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from gendan.models import Instance, Task
from gendan.purchasing import REQUIREMENTS, unplaced

#: Who reads it: MC and its superiors, purchasing, management, auditors.
READERS = ("material_controller", "mc_section_head", "pmc_manager", "buyer", "purchasing_lead",
           "general_manager", "deputy_gm", "auditor")  # fmt: skip
KIND_LABELS = {
    "requirement_plan": ("物料需求计划表", "Requirement plan"),
    "requisition": ("申购单", "Requisition"),
}


@dataclass(frozen=True)
class OpenRow:
    requirement: str
    kind: str
    order_no: str
    instance_id: int
    handed_over: str  # company time
    due: str  # company time
    overdue: bool


@dataclass(frozen=True)
class MonthRow:
    month: str
    handed_over: int
    on_time: int
    late: int
    open_overdue: int


def _aware(at: datetime | None) -> datetime | None:
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


def _buyer_task(session: Session, instance_id: int) -> Task | None:
    return session.exec(
        select(Task).where(Task.instance_id == instance_id, Task.state == "ordering",
                           Task.role == "buyer").order_by(Task.id.desc())  # type: ignore[union-attr]
    ).first()  # fmt: skip


def open_rows(session: Session, now: datetime, zone: ZoneInfo) -> list[OpenRow]:
    """Each requirement with purchasing and no PO made from it, overdue ones first."""
    out = []
    for row in unplaced(session):
        task = _buyer_task(session, row["instance_id"])
        due = _aware(task.due_at) if task else None
        handed = datetime.fromisoformat(row["handed_over"]) if row["handed_over"] else None
        out.append(OpenRow(
            requirement=row["requirement"], kind=row["procedure"], order_no=row["order_no"],
            instance_id=row["instance_id"],
            handed_over=handed.astimezone(zone).strftime("%Y-%m-%d %H:%M") if handed else "—",
            due=due.astimezone(zone).strftime("%Y-%m-%d %H:%M") if due else "—",
            overdue=bool(due and due < now),
        ))  # fmt: skip
    return sorted(out, key=lambda r: (not r.overdue, r.due))


def monthly(session: Session, now: datetime, zone: ZoneInfo) -> list[MonthRow]:
    """Per month of the hand-over: handed over, POs back in time, late, open past due."""
    months: dict[str, list[int]] = {}
    for inst in session.exec(select(Instance).where(Instance.procedure.in_(REQUIREMENTS))):
        handed = (inst.data.get("at") or {}).get("handed_over")
        task = _buyer_task(session, inst.id) if handed else None
        if task is None or task.due_at is None:
            continue
        month = datetime.fromisoformat(handed).astimezone(zone).strftime("%Y-%m")
        counts = months.setdefault(month, [0, 0, 0, 0])
        counts[0] += 1
        due, closed = _aware(task.due_at), _aware(task.closed_at)
        if task.status == "done" and closed is not None:
            counts[1 if closed <= due else 2] += 1
        elif task.status in ("open", "scheduled") and due < now:
            counts[3] += 1
    return [MonthRow(m, *c) for m, c in sorted(months.items(), reverse=True)]
