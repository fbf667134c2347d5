"""Event-triggered starts from stock levels (issue 10 mechanism 3; PROCEDURES.md §5b, §5i).

One watcher on ``gendan.stock`` (``@stock.on_level``) reads every procedure that declares a
``stock_trigger`` (``states.base.StockTrigger``) and starts it as the system when its
condition holds for the item: ``below_safety`` (stock at or under the safety stock of the
season: 003 5.3.6 订料预警 → the 物料跟催单) and ``above_max`` (stock at or over the maximum:
003 5.6.6 超量预警 → the 仓库物料异常预警报告). Nothing here names a procedure.

Exactly one per item until it is answered: while an instance for the item is open nothing
more starts (movements, an import, a count correction); after it is answered a new one
starts only when the level crosses again — it was back on the other side of the threshold
at some movement since the last one was raised.

Choice: the level compared is stock on hand across the item's warehouses, without what is in
transit, because 003 5.3.6 says 仓管发料后库存数量达到安全存量或以下 (the quantity in the
store after an issue) and 5.3.5 has MC weigh in transit, unissued quantities and the market
when ordering: the slip shows them to MC, who answers. Choice: only items of the safety-stock
requisition class with a safety stock above zero are watched for §5b (有订安全存量的所有物料);
every item with a maximum above zero for §5i; an item without a stock row has no level yet
(nothing imported, nothing moved) and raises nothing. Choice: the season is the company-time
month of the movement against the master settings ``peak_season_start_month`` /
``peak_season_end_month`` (003 5.1.1A sets peak and off-season safety stocks).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from gendan import stock
from gendan.calendar import BusinessCalendar
from gendan.models import Instance, Item, Stock, StockMovement
from gendan.subjects import open_for_key
from states import PROCEDURES
from states.base import Procedure

SEASONS = {"peak": ("旺季", "peak season"), "off": ("淡季", "off season")}


def season(session: Session, when: datetime, calendar: BusinessCalendar) -> str:
    """"peak" or "off" for the company-time month of ``when`` (the master settings)."""
    from gendan.masterdata import setting

    month = calendar.local_date(when).month
    start = setting(session, "peak_season_start_month")
    end = setting(session, "peak_season_end_month")
    peak = start <= month <= end if start <= end else month >= start or month <= end
    return "peak" if peak else "off"


def threshold(
    session: Session, item: Item, condition: str, when: datetime, calendar: BusinessCalendar
) -> tuple[float, str] | None:
    """The level the condition compares with and the season, or None when not watched."""
    if condition == "below_safety":
        if item.requisition_class != "safety":
            return None
        now_season = season(session, when, calendar)
        value = item.safety_peak if now_season == "peak" else item.safety_off
        return (value, now_season) if value > 0 else None
    if condition == "above_max":
        return (item.max_qty, season(session, when, calendar)) if item.max_qty > 0 else None
    raise ValueError(f"unknown stock condition {condition!r}")


def holds(condition: str, level: float, limit: float) -> bool:
    return level <= limit if condition == "below_safety" else level >= limit


def crossed_since(
    session: Session, item_code: str, on_hand: float, since: datetime, condition: str, limit: float
) -> bool:
    """Whether the item's on-hand level was on the other side of ``limit`` after some movement
    since ``since`` (levels are rebuilt backwards from today's: every change is a movement)."""
    later = session.exec(
        select(StockMovement)
        .where(StockMovement.item_code == item_code, StockMovement.at > since)
        .order_by(StockMovement.at.desc(), StockMovement.id.desc())
    ).all()
    level = on_hand
    for movement in later:  # the level after this movement, newest first
        if not holds(condition, level, limit):
            return True
        level = round(level - movement.qty, 3)
    return False


def facts(item: Item, level: stock.Level, limit: float, now_season: str, now: datetime) -> dict:
    return {
        "item_code": item.code,
        "item_name": item.name,
        "unit": item.stock_unit,
        "on_hand": level.on_hand,
        "in_transit": level.in_transit,
        "unissued": level.unissued,
        "threshold": limit,
        "season": now_season,
        "raised_at": now.isoformat(),
    }


def _last(session: Session, proc: type[Procedure], key: str) -> Instance | None:
    return session.exec(
        select(Instance)
        .where(Instance.procedure == proc.key, Instance.subject_key == key)
        .order_by(Instance.created_at.desc(), Instance.id.desc())
    ).first()


def check(
    session: Session,
    item: Item,
    level: stock.Level,
    now: datetime,
    calendar: BusinessCalendar,
    cause: dict[str, Any],
) -> list[Instance]:
    """Start every stock-triggered procedure whose condition holds for ``item`` now (none
    while the item has no stock on file: no level is known yet)."""
    started: list[Instance] = []
    if session.exec(select(Stock.id).where(Stock.item_code == item.code)).first() is None:
        return started
    # the item's row locked: movements of one item in two warehouses at once (each locking
    # only its own stock row) queue here, so the second sees the first's slip (PostgreSQL)
    session.exec(select(Item.id).where(Item.id == item.id).with_for_update()).one()
    for proc in PROCEDURES.values():
        trigger = proc.stock_trigger
        if trigger is None:
            continue
        found = threshold(session, item, trigger.condition, now, calendar)
        if found is None or not holds(trigger.condition, level.on_hand, found[0]):
            continue
        if open_for_key(session, proc.key, item.code) is not None:
            continue  # one per item until it is answered
        last = _last(session, proc, item.code)
        if last is not None and not crossed_since(
            session, item.code, level.on_hand, last.created_at, trigger.condition, found[0]
        ):
            continue  # answered, but the level has not crossed again since
        from gendan.system_starts import start_by_system

        started.append(
            start_by_system(
                session,
                procedure=proc.key,
                form_data=trigger.form(facts(item, level, found[0], found[1], now)),
                now=now,
                calendar=calendar,
                cause={"trigger": trigger.condition, "item": item.code, **cause},
            )
        )
    return started


@stock.on_level
def _watch(
    session: Session,
    item: Item,
    level: stock.Level,
    now: datetime,
    calendar: BusinessCalendar,
    cause: dict,
) -> None:
    check(session, item, level, now, calendar, cause)
