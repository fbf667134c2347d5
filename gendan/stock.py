"""Stock levels and their movements (issue 10): every change of stock goes through
:func:`move`, so the stock triggers (§5b below safety, §5i above maximum) see every
receipt, issue, return, borrow, count adjustment and import.

``move`` writes one :class:`StockMovement` and updates the :class:`Stock` row in the
caller's transaction, then calls the registered watchers (``on_level``) with the item's new
level; a watcher raises the chase slip or the overstock warning (``gendan.stock_triggers``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from gendan.calendar import BusinessCalendar
from gendan.errors import InvalidForm
from gendan.models import Item, Stock, StockMovement

KINDS = ("receipt", "issue", "return", "borrow", "adjust", "import", "supplier_return")


@dataclass(frozen=True)
class Level:
    """An item's stock across warehouses after a movement (what the triggers compare)."""

    item_code: str
    on_hand: float
    in_transit: float
    unissued: float


#: Called after every movement or import with (session, item, level, now, calendar, cause).
Watcher = Callable[[Session, Item, Level, datetime, BusinessCalendar, dict], None]
_WATCHERS: list[Watcher] = []


def on_level(fn: Watcher) -> Watcher:
    """Register a watcher of stock levels (decorator)."""
    _WATCHERS.append(fn)
    return fn


def level(session: Session, item_code: str) -> Level:
    rows = session.exec(select(Stock).where(Stock.item_code == item_code)).all()
    return Level(
        item_code=item_code,
        on_hand=round(sum(r.on_hand for r in rows), 3),
        in_transit=round(sum(r.in_transit for r in rows), 3),
        unissued=round(sum(r.unissued for r in rows), 3),
    )


def move(
    session: Session,
    *,
    item_code: str,
    qty: float,
    kind: str,
    now: datetime,
    calendar: BusinessCalendar,
    warehouse: str = "RM",
    ref: str = "",
    instance_id: int | None = None,
    by_id: int | None = None,
    field: str = "item_code",
    watch: bool = True,
) -> StockMovement:
    """Add ``qty`` (signed, stock unit) to the item's stock in ``warehouse``; refuse (422 on
    ``field``) an unknown item, an unknown kind, or taking more than is on hand there.
    ``watch=False``: the caller runs :func:`notify` itself once it has moved every row (an
    import with several warehouses of one item is judged on its total, not row by row)."""
    if kind not in KINDS:
        raise ValueError(f"unknown stock movement kind {kind!r}")
    item = session.exec(select(Item).where(Item.code == item_code)).first()
    if item is None:
        raise InvalidForm({field: f"no item {item_code} / 无此物料"})
    row = session.exec(
        select(Stock)
        .where(Stock.item_code == item_code, Stock.warehouse == warehouse)
        .with_for_update()
    ).first()
    if row is None:
        row = Stock(item_code=item_code, warehouse=warehouse, as_of=now)
    new = round(row.on_hand + qty, 3)
    if new < 0:
        raise InvalidForm(
            {field: f"only {row.on_hand:g} {item.stock_unit} of {item_code} on hand in "
                    f"{warehouse} / 库存不足"}  # fmt: skip
        )
    row.on_hand, row.as_of = new, now
    if kind == "receipt":  # what was in transit has arrived
        row.in_transit = max(0.0, round(row.in_transit - qty, 3))
    session.add(row)
    movement = StockMovement(
        item_code=item_code, warehouse=warehouse, qty=round(qty, 3), kind=kind, ref=ref,
        instance_id=instance_id, by_id=by_id, at=now,
    )  # fmt: skip
    session.add(movement)
    session.flush()
    if watch:
        notify(session, item, now=now, calendar=calendar,
               cause={"movement": movement.id, "kind": kind})  # fmt: skip
    return movement


def notify(
    session: Session, item: Item, *, now: datetime, calendar: BusinessCalendar, cause: dict
) -> None:
    """Run the watchers for ``item`` (after a movement, an import or a count correction)."""
    import gendan.stock_triggers  # noqa: F401 - registers the §5b/§5i watcher on first use

    current = level(session, item.code)
    for watcher in _WATCHERS:
        watcher(session, item, current, now, calendar, cause)
