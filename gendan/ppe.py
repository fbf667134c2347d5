"""The weekly PPE order's rows from the approved monthly usage (§5a, 003 5.1.1E 按周申购).

Choice: a week's quantity is the month's approved quantity divided by the month's ordering
weeks (the Mondays in it), rounded up to whole units, for the month the week's Monday falls in,
because the seed orders weekly what was approved monthly and a short week must not run out.
A week with no approved usage starts with no rows: the MC enters them.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from gendan.calendar import BusinessCalendar
from gendan.models import Instance


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def weekly_rows(session: Session, week: str) -> list[dict[str, Any]]:
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    month = f"{monday.year}-{monday.month:02d}"
    usage = session.exec(
        select(Instance)
        .where(Instance.procedure == "ppe_usage", Instance.subject_key == month)
        .where(Instance.state == "approved")
        .order_by(Instance.id.desc())  # type: ignore[union-attr]
    ).first()
    if usage is None:
        return []
    rows = usage.data.get("forms", {}).get("submit_usage", {}).get("rows", [])
    n = sum(1 for k in range(1, 32) if _valid(monday.year, monday.month, k)
            and date(monday.year, monday.month, k).weekday() == 0)  # fmt: skip
    return [{**r, "qty": float(math.ceil(r["qty"] / n))} for r in rows]


def prefill_week(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:  # fmt: skip
    """[A] The week's order starts with its share of the approved monthly usage."""
    ppe = inst.data.get("ppe", values)
    if ppe.get("rows"):
        return {}
    rows = weekly_rows(session, ppe["week"])
    inst.data = {**inst.data, "ppe": {**ppe, "rows": rows}}
    return {"ppe.rows": {"old": None, "new": len(rows)}} if rows else {}
