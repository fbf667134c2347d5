"""Monthly measures computed from recorded PO lines and receipts, approved by a person
(PROCEDURES.md §5k, §5l; "Measures"): the purchase on-time rate (003 5.5.7) and the supplier
QDPS score (002 1.2.9). A ``Measure`` row holds each (kind, month, subject): ``computed``
when the month's instance starts, ``approved`` when the named superior signs.

On time (§5k). Choice for partial deliveries: a line is on time when it was received
COMPLETE (``PoLine.completed_at``) on or before its due date (company-time date); a line
received in parts counts at its last part, a line still open when the month is counted is
late, because 003 5.5.7 measures 准时交货 (delivered on time), and half a delivery does not
feed production. Lines of cancelled or draft POs are not counted; a month without lines
due has no rate (None), not 100 %.

QDPS D. 002 1.2.9: 提前交货不参与评价, 推迟交货为未达成: a line complete before its due
date is left out, one complete on the due date counts achieved, a late or open one not.
Choice: a supplier whose lines were all early (none rated) gets the full 20, because
nothing it delivered was late. Q = 40 × the month's IQC pass rate (accepted / received of
the month's inspected receipt lines); no inspected receipt → Q 40 (Choice: nothing failed).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from forms.materials_measures import PRICE_POINTS
from gendan.calendar import BusinessCalendar
from gendan.errors import InvalidForm
from gendan.models import Instance, Measure, PoLine, PurchaseOrder, Receipt, ReceiptLine, User
from gendan.schedules import fanout, gate
from gendan.settings import get_settings

ON_TIME = "purchase_on_time"
QDPS = "qdps"
COUNTED_PO = ("approved", "closed")
#: 002 1.2.9 grades, lower bounds (Choice: the garbled bounds read as lower bounds).
GRADES = (("A", 80.0), ("B", 70.0), ("C", 60.0), ("D", 0.0))


def month_range(month: str) -> tuple[date, date]:
    """First day of ``month`` ("2026-11") and first day of the next."""
    first = date(int(month[:4]), int(month[5:7]), 1)
    return first, (first + timedelta(days=32)).replace(day=1)


def previous_month(due: datetime, zone: ZoneInfo) -> str:
    """The month before the one ``due`` falls in (company time): what a 1st-of-month run counts."""
    local = due.astimezone(zone).date().replace(day=1) - timedelta(days=1)
    return f"{local.year}-{local.month:02d}"


def _local_date(t: datetime | None, zone: ZoneInfo) -> date | None:
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(zone).date()


def lines_due(
    session: Session, month: str, *, supplier: str | None = None
) -> list[tuple[PoLine, PurchaseOrder]]:
    first, after = month_range(month)
    q = (
        select(PoLine, PurchaseOrder)
        .join(PurchaseOrder, PurchaseOrder.id == PoLine.po_id)
        .where(PoLine.due_date >= first, PoLine.due_date < after)
        .where(PurchaseOrder.status.in_(COUNTED_PO))
        .order_by(PurchaseOrder.po_no, PoLine.line_no)
    )
    if supplier is not None:
        q = q.where(PurchaseOrder.supplier_code == supplier)
    return list(session.exec(q).all())


def on_time_figures(session: Session, month: str, zone: ZoneInfo) -> dict[str, Any]:
    """The form values of the month's 采购准时交货率统计表: lines due, on time, rate, rows
    (each with the buyer who placed its PO: the rate is the buyers' KPI, 003 5.5.7)."""
    buyers = {u.id: u.username for u in session.exec(select(User)).all()}
    rows = []
    for line, po in lines_due(session, month):
        done = _local_date(line.completed_at, zone)
        rows.append({
            "po_no": po.po_no, "line_no": line.line_no, "supplier": po.supplier_code,
            "item": line.item_code, "due_date": line.due_date.isoformat(),
            "completed": done.isoformat() if done else None,
            "on_time": done is not None and done <= line.due_date,
            "buyer": buyers.get(po.buyer_id, "") if po.buyer_id else "",
        })  # fmt: skip
    return {**_rate(rows), "rows": rows}


def _rate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    on_time = sum(1 for r in rows if r["on_time"])
    rate = round(100.0 * on_time / len(rows), 1) if rows else None
    return {"lines_due": len(rows), "lines_on_time": on_time, "rate": rate}


def by_buyer(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each buyer's lines due, on time and rate (lines of POs without a buyer are left out)."""
    names = sorted({r["buyer"] for r in rows if r.get("buyer")})
    return {b: _rate([r for r in rows if r.get("buyer") == b]) for b in names}


def qdps_figures(session: Session, month: str, supplier: str, zone: ZoneInfo) -> dict[str, Any]:
    """Q and D of one supplier's month (002 1.2.9)."""
    first, after = month_range(month)
    start = datetime.combine(first, datetime.min.time(), zone).astimezone(UTC)
    end = datetime.combine(after, datetime.min.time(), zone).astimezone(UTC)
    received = session.exec(
        select(ReceiptLine)
        .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
        .where(Receipt.supplier_code == supplier)
        .where(Receipt.received_at >= start, Receipt.received_at < end)
        .where(ReceiptLine.iqc != "pending")
    ).all()
    inspected = round(sum(r.qty for r in received), 3)
    accepted = round(sum(r.accepted for r in received), 3)
    q = round(40.0 * accepted / inspected, 2) if inspected else 40.0
    rated = achieved = 0
    for line, _ in lines_due(session, month, supplier=supplier):
        done = _local_date(line.completed_at, zone)
        if done is not None and done < line.due_date:
            continue  # early: not rated
        rated += 1
        achieved += done == line.due_date
    d = round(20.0 * achieved / rated, 2) if rated else 20.0
    return {
        "inspected": inspected, "accepted": accepted, "q": q,
        "lines_rated": rated, "lines_on_time": achieved, "d": d,
    }  # fmt: skip


def grade(total: float) -> str:
    return next(g for g, low in GRADES if total >= low)


def qdps_total(data: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """The total and its parts from the sheet and the QA and buyer scores in ``data``."""
    sheet = data.get("sheet", {})
    service = (data.get("forms", {}).get("score_service") or {}).get("service", 0)
    buyer = data.get("forms", {}).get("score_buyer") or {}
    p = PRICE_POINTS.get(buyer.get("price", ""), 0)
    parts = {
        "q": sheet.get("q", 0.0), "d": sheet.get("d", 0.0), "p": p, "service": service,
        "cooperation": buyer.get("cooperation", 0), "support": buyer.get("support", 0),
    }  # fmt: skip
    total = round(sum(float(v) for v in parts.values()), 2)
    return total, {**parts, "total": total, "grade": grade(total)}


def record(
    session: Session,
    *,
    kind: str,
    period: str,
    subject: str,
    value: float,
    detail: dict[str, Any],
    inst: Instance,
    now: datetime,
    field: str = "month",
) -> Measure:
    """Write the computed measure (a recomputation by its own instance replaces it and needs
    a new approval). Another instance's approved figure is final: 422 on ``field``."""
    row = session.exec(
        select(Measure).where(
            Measure.kind == kind, Measure.period == period, Measure.subject == subject
        )
    ).first() or Measure(kind=kind, period=period, subject=subject, value=value)
    if row.status == "approved" and row.instance_id != inst.id:
        raise InvalidForm({field: f"{period} 已审批，不再重算 / {period} is approved and final"})
    row.value, row.detail, row.status = value, detail, "computed"
    row.instance_id, row.computed_at = inst.id, now
    row.approved_by_id = row.approved_at = None
    session.add(row)
    session.flush()
    return row


def approve(session: Session, inst: Instance, *, kind: str, actor: Any, now: datetime) -> dict:
    rows = session.exec(select(Measure).where(Measure.instance_id == inst.id, Measure.kind == kind))
    changed = []
    for row in rows.all():
        row.status, row.approved_by_id, row.approved_at = "approved", actor.user_id, now
        session.add(row)
        changed.append(f"{row.kind}:{row.period}:{row.subject}")
    return {"measures.approved": {"old": "computed", "new": "approved", "rows": changed}}


# -- step effects (``Procedure.start_effect`` / ``Step.effect``) -----------------------------


def compute_on_time(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:  # fmt: skip
    """[A] Count the month's lines and write the rate (at the start and when the MC sends it,
    so receipts booked in between count)."""
    report = inst.data.get("report", values)
    figures = on_time_figures(session, report["month"], calendar.zone)
    inst.data = {**inst.data, "report": {**report, **figures}}
    if figures["rate"] is None:  # no line was due: no rate (not 100 %), nothing to show
        return {"measure.computed": {"old": None, "new": "no lines due / 当月无到期采购行"}}
    record(
        session, kind=ON_TIME, period=report["month"], subject="", value=figures["rate"],
        detail={k: figures[k] for k in ("lines_due", "lines_on_time", "rate")}, inst=inst,
        now=now,
    )  # fmt: skip
    for buyer, part in by_buyer(figures["rows"]).items():  # each buyer's KPI
        record(session, kind=ON_TIME, period=report["month"], subject=buyer,
               value=part["rate"], detail=part, inst=inst, now=now)  # fmt: skip
    return {"measure.computed": {"old": None, "new": {k: figures[k] for k in
                                                       ("lines_due", "lines_on_time", "rate")}}}


def approve_on_time(session: Session, inst: Instance, values: dict[str, Any], **kw: Any) -> dict:
    return approve(session, inst, kind=ON_TIME, actor=kw["actor"], now=kw["now"])


def compute_qdps(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:  # fmt: skip
    """[A] Q and D of the supplier's month into the sheet; the total once both scored."""
    sheet = inst.data.get("sheet", values)
    figures = qdps_figures(session, sheet["month"], sheet["supplier_code"], calendar.zone)
    inst.data = {**inst.data, "sheet": {**sheet, **figures}}
    total, parts = qdps_total(inst.data)
    inst.data = {**inst.data, "score": parts}
    record(
        session, kind=QDPS, period=sheet["month"], subject=sheet["supplier_code"], value=total,
        detail=parts, inst=inst, now=now,
    )  # fmt: skip
    return {"measure.computed": {"old": None, "new": parts}}


def approve_qdps(session: Session, inst: Instance, values: dict[str, Any], **kw: Any) -> dict:
    return approve(session, inst, kind=QDPS, actor=kw["actor"], now=kw["now"])


def _month_started(session: Session, procedure: str, key: str) -> bool:
    """Whether an instance of ``procedure`` for this key exists (open, finished or stopped)."""
    found = session.exec(
        select(Instance.id).where(Instance.procedure == procedure, Instance.subject_key == key)
    ).first()
    return found is not None


def _previous_month_free(procedure: str) -> Callable[[Session, datetime], bool]:
    def free(session: Session, due: datetime) -> bool:
        zone = ZoneInfo(get_settings().timezone)
        return not _month_started(session, procedure, previous_month(due, zone))

    return free


# Choice: a month already counted (started by hand, e.g. after a catch-up skipped it, or
# approved) is not started again by the schedule: the period is recorded "gated".
gate("on_time_month_free")(_previous_month_free(ON_TIME))
gate("material_report_month_free")(_previous_month_free("material_report"))


@fanout("suppliers_delivering")
def suppliers_delivering(session: Session, period: str, due: datetime) -> list[dict[str, Any]]:
    """QDPS rates the suppliers with PO lines due in the month counted (the month before the
    run) or receipts in it: a supplier that delivered nothing has nothing to score."""
    month = _month_before(period)
    first, after = month_range(month)
    due_codes = session.exec(
        select(PurchaseOrder.supplier_code)
        .join(PoLine, PoLine.po_id == PurchaseOrder.id)
        .where(PoLine.due_date >= first, PoLine.due_date < after)
        .where(PurchaseOrder.status.in_(COUNTED_PO))
    ).all()
    zone = ZoneInfo(get_settings().timezone)
    start = datetime.combine(first, datetime.min.time(), zone).astimezone(UTC)
    end = datetime.combine(after, datetime.min.time(), zone).astimezone(UTC)
    received = session.exec(
        select(Receipt.supplier_code).where(Receipt.received_at >= start, Receipt.received_at < end)
    ).all()
    codes = sorted(set(due_codes) | set(received))
    started = {c for c in codes if _month_started(session, QDPS, f"{month}-{c}")}
    return [{"supplier_code": c} for c in codes if c not in started]


def _month_before(period: str) -> str:
    first, _ = month_range(period)
    last = first - timedelta(days=1)
    return f"{last.year}-{last.month:02d}"


def measures(session: Session, kinds: tuple[str, ...] = (ON_TIME, QDPS)) -> list[Measure]:
    """Every measure of these kinds, newest month first."""
    return list(
        session.exec(
            select(Measure)
            .where(Measure.kind.in_(kinds))
            .order_by(Measure.period.desc(), Measure.kind, Measure.subject)  # type: ignore[attr-defined]
        ).all()
    )
