"""The safety-stock review's system parts (§5a, 003 5.1.1): how often it runs (a master
setting read by the schedule's gate), the table prefilled from the items master, the rows
checked against it, and the approved quantities written back to ``Item.safety_peak/off``.

Choice: ``safety_review_months`` = 1 reviews every month, 3 every quarter (in March, June,
September and December, by the 25th: the new levels hold from the next quarter); any n runs
in the months divisible by n. The seed allows 每月（或每季度）and leaves the choice to the
company, so it is configuration, not code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from gendan.calendar import BusinessCalendar
from gendan.errors import InvalidForm
from gendan.masterdata import SETTING_RANGES, SETTINGS, setting
from gendan.models import Instance, Item, StockMovement
from gendan.schedules import gate
from gendan.settings import get_settings

SETTINGS.update({
    "safety_review_months": (
        "安全库存评估周期（月）：1 = 每月，3 = 每季度",
        "Safety-stock review every n months: 1 = monthly, 3 = quarterly",
        lambda: 1,
    ),
})  # fmt: skip
SETTING_RANGES.update({"safety_review_months": (1, 12)})


@gate("safety_review_due")
def review_due(session: Session, due: datetime) -> bool:
    month = due.astimezone(ZoneInfo(get_settings().timezone)).month
    return month % setting(session, "safety_review_months") == 0


def prefill(
    session: Session, inst: Instance, values: dict[str, Any], *, event: str, actor: Any,
    now: datetime, calendar: BusinessCalendar,
) -> dict[str, Any]:  # fmt: skip
    """[A] A table started without rows lists every active safety-stock item (003 5.1:
    安全存量请购类), peak and off season, with the master's lead, emergency time and daily use;
    the MC corrects the daily use per season."""
    table = inst.data.get("table", values)
    if table.get("rows"):
        return {}
    items = session.exec(
        select(Item).where(Item.requisition_class == "safety", Item.active).order_by(Item.code)
    ).all()
    used = issued_daily(session, table["period"], calendar)
    rows = []
    for i in items:
        daily = used.get(i.code, i.daily_use)
        rows += [
            {"item": i.code, "season": season, "lead_days": i.lead_days,
             "emergency_days": i.emergency_days, "daily_use": daily,
             "safety_qty": round((i.lead_days + i.emergency_days) * daily, 3)}
            for season in ("peak", "off")
        ]  # fmt: skip
    inst.data = {**inst.data, "table": {**table, "rows": rows}}
    return {"table.rows": {"old": None, "new": len(rows)}}


#: The months of issues the daily use is averaged over (003 5.1.1A 物料的月平均使用量).
USE_MONTHS = 3


def issued_daily(session: Session, period: str, calendar: BusinessCalendar) -> dict[str, float]:
    """[A] Each item's average issue per working day over the ``USE_MONTHS`` months before the
    review month (issues and borrowing, net of production returns), from the stock movements.

    Choice: the prefilled daily use is the items' recent issues per working day where there
    were any, else the master's figure, because 5.1.1A bases the table on 月平均使用量; the MC
    still corrects it per season (the seed's peak and off season differ by use).
    """
    first = date(int(period[:4]), int(period[5:7]), 1)
    start = first
    for _ in range(USE_MONTHS):
        start = (start - timedelta(days=1)).replace(day=1)
    days = sum(1 for n in range((first - start).days)
               if calendar.is_working_day(start + timedelta(days=n)))  # fmt: skip
    zone = calendar.zone
    lo = datetime.combine(start, datetime.min.time(), zone).astimezone(UTC)
    hi = datetime.combine(first, datetime.min.time(), zone).astimezone(UTC)
    moves = session.exec(
        select(StockMovement).where(
            StockMovement.at >= lo, StockMovement.at < hi,
            StockMovement.kind.in_(("issue", "borrow", "return")),
        )
    ).all()  # fmt: skip
    out: dict[str, float] = {}
    for m in moves:
        out[m.item_code] = out.get(m.item_code, 0.0) - m.qty
    return {k: round(v / days, 3) for k, v in out.items() if v > 0 and days}


def check_items(
    session: Session, inst: Instance, values: dict[str, Any], **_: Any
) -> dict[str, Any]:
    """The MC's table names items of the master (422 on the row otherwise, nothing written)."""
    codes = {r["item"] for r in values.get("rows", [])}
    known = set(session.exec(select(Item.code).where(Item.code.in_(codes))).all())
    errors = {f"rows.{n}.item": f"no item {r['item']} / 无此物料"
              for n, r in enumerate(values.get("rows", [])) if r["item"] not in known}  # fmt: skip
    if not values.get("rows"):
        errors["rows"] = "至少一行 / at least one row"
    if errors:
        raise InvalidForm(errors)
    return {}


def write_back(
    session: Session, inst: Instance, values: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    """[A] The production director approved: the table's quantities become the items'
    safety stock (peak and off season), each change audited with old and new; the stock
    triggers look again at each changed item's stock (§5b: a raised safety stock may put
    stock on file at or under it)."""
    from gendan import stock

    rows = inst.data.get("forms", {}).get("submit_table", {}).get("rows", [])
    changed: dict[str, Any] = {}
    items: dict[str, Item] = {}
    for r in rows:
        item = session.exec(select(Item).where(Item.code == r["item"])).one()
        column = "safety_peak" if r["season"] == "peak" else "safety_off"
        old = getattr(item, column)
        if old != r["safety_qty"]:
            setattr(item, column, r["safety_qty"])
            session.add(item)
            changed[f"item.{item.code}.{column}"] = {"old": old, "new": r["safety_qty"]}
            items[item.code] = item
    session.flush()
    for item in items.values():
        stock.notify(session, item, now=kw["now"], calendar=kw["calendar"],
                     cause={"safety_review": inst.id})  # fmt: skip
    return changed
