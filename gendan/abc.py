"""Yearly ABC classification (PROCEDURES.md §7; 002 1.2.11): items by annual cost.

Choice: the annual cost of an item is what was issued from stock in the year up to the start
form's date (``StockMovement`` of kind ``issue``, a year back) × the item's price in the master
data, because 002 1.2.11 classifies by 年费用 (what the item costs the company in a year) and
the movements carry quantities, not prices. A = the items making the first 80 % of the
cumulative cost (the item crossing 80 % included), B up to 95 %, C the rest, items without
issues included (the bands' upper ends, PROCEDURES.md §7). The result is a list people review
and confirm; only the confirmation writes ``Item.abc_class`` (audited, old → new per item).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, select

from gendan.models import Instance, Item, StockMovement

A_UPTO, B_UPTO = 80.0, 95.0


def classify(costs: dict[str, float]) -> list[dict[str, Any]]:
    """Items by cost, highest first, with share, cumulative share and class. Pure."""
    total = sum(costs.values())
    rows, before = [], 0.0
    for code, cost in sorted(costs.items(), key=lambda kv: (-kv[1], kv[0])):
        share = 100 * cost / total if total else 0.0
        cls = "A" if total and before < A_UPTO else "B" if total and before < B_UPTO else "C"
        if cost == 0:
            cls = "C"
        before += share
        rows.append({"item_code": code, "annual_cost": round(cost, 2), "share": round(share, 2),
                     "cumulative": round(before, 2), "new_class": cls})  # fmt: skip
    return rows


def annual_costs(session: Session, until: date) -> dict[str, float]:
    """Issued quantity in the year up to ``until`` (inclusive) × price, per active item."""
    end = datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC)
    start = end - timedelta(days=365)
    items = {i.code: i for i in session.exec(select(Item).where(Item.active)).all()}
    issued: dict[str, float] = defaultdict(float)
    for m in session.exec(
        select(StockMovement).where(
            StockMovement.kind == "issue", StockMovement.at >= start, StockMovement.at < end
        )
    ).all():
        issued[m.item_code] += -m.qty
    return {code: max(issued.get(code, 0.0), 0.0) * item.price for code, item in items.items()}


def compute_job(session: Session, inst: Instance, now: datetime) -> tuple[str, dict[str, Any]]:
    """[A] The result list for people to review (nothing written yet)."""
    until = date.fromisoformat(str(inst.data["start"]["until"]))
    costs = annual_costs(session, until)
    old = {i.code: i.abc_class for i in session.exec(select(Item)).all()}
    rows = [{**r, "old_class": old.get(r["item_code"], "")} for r in classify(costs)]
    return "computed", {"total_cost": round(sum(costs.values()), 2), "rows": rows}


def apply_classes(session: Session, inst: Instance, values: dict[str, Any], **_: Any) -> dict:
    """The confirmed classes into the item master; each change is in the move's audit."""
    result = inst.data.get("forms", {}).get("computed", {}).get("rows", [])
    changed: dict[str, dict[str, str]] = {}
    items = {i.code: i for i in session.exec(select(Item)).all()}
    for row in result:
        item = items.get(row["item_code"])
        if item is not None and item.abc_class != row["new_class"]:
            changed[item.code] = {"old": item.abc_class, "new": row["new_class"]}
            item.abc_class = row["new_class"]
            session.add(item)
    return {"items.abc_class": changed}
