"""The urgent insertion's automatic steps (§4 [A]): rank the displaced orders, start a
delivery change for each moved date, and the closing data summary.

Each is a job function (``session, inst, now -> (event, data)``): the automatic-step engine
runs it and fires the returned event with ``data`` as the event's values, so the result is
stored on the instance (``data["forms"][event]``) and in its trail. The ranking and the
summary are pure functions (``gendan.ranking``, :func:`summarize`); this module only reads
what they need.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from gendan.models import AuditEvent, Instance, Order
from gendan.ranking import Candidate, rank_displaced

#: Orders that may be displaced: planned or in production (Choice: contracted or released,
#: since earlier ones have no plan to move and later ones are made).
DISPLACEABLE = ("contracted", "released")
#: Choice: orders due up to this many days after the urgent order's date compete with it
#: for the same capacity (the seed gives no horizon; a month covers a planning cycle).
HORIZON_DAYS = 30


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def displaced_candidates(session: Session, inst: Instance) -> list[Candidate]:
    """Open orders due no later than the horizon after the urgent one, other than itself.

    Choice: a non-regular or special order is flagged as a long process (design and trial
    add processes, 000/3 排期原则 4), since routings are not in the data yet.
    """
    due = _date(inst.data.get("order", {}).get("delivery_date")) or date.max
    until = due + timedelta(days=HORIZON_DAYS) if due != date.max else due
    rows = session.exec(
        select(Order).where(
            Order.order_no != inst.order_no,
            Order.status.in_(DISPLACEABLE),
            Order.delivery_date <= until,
        )
    ).all()
    return [
        Candidate(
            order_no=o.order_no,
            delivery_date=o.delivery_date,
            customer_class=o.customer_class,
            line=None,
            quantity=o.quantity,
            long_process=o.kind == "non_regular" or o.special,
        )
        for o in rows
    ]


def rank_job(session: Session, inst: Instance, now: datetime) -> tuple[str, dict[str, Any]]:
    """[A] 000/3 排期原则: the displaced orders as a suggestion for the planner."""
    chosen = {**inst.data.get("forms", {}).get("to_sample_group", {})}
    chosen.update(inst.data.get("forms", {}).get("to_dedicated_team", {}))
    ranked = rank_displaced(displaced_candidates(session, inst), urgent_line=chosen.get("team"))
    return "ranked", {"ranking": [r.as_dict() for r in ranked], "at": now.isoformat()}


def summarize(trail: list[dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
    """[A] 004P 9: times, resources and quality of an urgent order, from its trail.

    ``trail``: the instance's audit events in order ({"at", "action", "from_state",
    "to_state", "event"}); ``data``: the instance data (its forms). Pure.
    """
    moves = [e for e in trail if e.get("action") in ("start", "transition")]
    first = moves[0]["at"] if moves else None
    last = moves[-1]["at"] if moves else None
    entered: dict[str, datetime] = {}
    for e in moves:
        if e.get("to_state") and e["to_state"] not in entered:
            entered[e["to_state"]] = e["at"]
    forms = data.get("forms", {})
    line = forms.get("to_sample_group") or forms.get("to_dedicated_team") or {}

    def hours(a: datetime | None, b: datetime | None) -> float | None:
        return round((b - a).total_seconds() / 3600, 2) if a and b else None

    exceptions = sum(1 for e in moves if e.get("event") == "report_exception")
    return {
        "times": {
            "started_at": first.isoformat() if first else None,
            "approved_at": entered["urgent_review"].isoformat()
            if "urgent_review" in entered
            else None,
            "notice_at": entered["in_production"].isoformat()
            if "in_production" in entered
            else None,
            "stocked_in_at": entered["shipping"].isoformat() if "shipping" in entered else None,
            "hours_to_notice": hours(first, entered.get("in_production")),
            "hours_to_stock_in": hours(first, entered.get("shipping")),
            "hours_total": hours(first, last),
        },
        "resources": {
            "line": line.get("line"),
            "team": line.get("team"),
            "orders_moved": len(forms.get("plans_adjusted", {}).get("rows", [])),
            "material_late": "material_late" in forms,
        },
        "quality": {
            "process_exceptions": exceptions,
            "gm_instructions": sum(1 for e in moves if e.get("event") == "instruct"),
        },
    }


def trail_of(session: Session, inst: Instance) -> list[dict[str, Any]]:
    rows = session.exec(
        select(AuditEvent).where(AuditEvent.instance_id == inst.id).order_by(AuditEvent.seq)
    ).all()
    return [
        {
            "at": e.at,
            "action": e.action,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "event": (e.detail or {}).get("event"),
        }
        for e in rows
    ]


def summary_job(session: Session, inst: Instance, now: datetime) -> tuple[str, dict[str, Any]]:
    """[A] The closing data summary, stored on the instance as the ``summarized`` values."""
    return "summarized", summarize(trail_of(session, inst), inst.data)


def line_rule_job(session: Session, inst: Instance, now: datetime) -> tuple[str, dict[str, Any]]:
    """[A] 001W 3.4.3: the line the rule gives, from the order's customer class (taken from
    the customer master at intake) and the master data's size threshold."""
    from gendan.masterdata import setting
    from states.urgent_order import line_for

    order = inst.data.get("order", {})
    small_max = setting(session, "urgent_small_order_max")
    cls, qty = order.get("customer_class"), order.get("quantity")
    return "line_suggested", {
        "line": line_for(cls, qty, small_max),
        "customer_class": cls,
        "quantity": qty,
        "small_order_max": small_max,
    }
