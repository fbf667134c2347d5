"""The orders a unit of work reads, read once: a move asked for its order up to eight times
(the locked-field check, the order's fields, the tasks' dates, each e-mail's context)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from gendan.models import Order

#: ``session.info`` key: order number → the ``Order`` row this transaction read.
_ORDERS = "gendan.orders"


def order_by_no(session: Session, order_no: str, *, lock: bool = False) -> Order | None:
    """The order ``order_no`` (``lock``: row-locked, ``FOR UPDATE``, always read), kept for
    the transaction; one not found is asked again next time (it may be created later).

    Choice: the row object is kept, not a copy: later readers see what this transaction
    changed on it, as a fresh SELECT after the autoflush would (orders are changed only
    through their ORM object; nothing updates them with Core statements).
    """
    known = session.info.setdefault(_ORDERS, {})
    if not lock and order_no in known:
        return known[order_no]
    stmt = select(Order).where(Order.order_no == order_no)
    order = session.exec(stmt.with_for_update() if lock else stmt).first()
    if order is not None:
        known[order_no] = order
    return order


def remember(session: Session, order: Order) -> None:
    """An order this transaction created: later readers get it without a SELECT."""
    session.info.setdefault(_ORDERS, {})[order.order_no] = order


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_orders(session: OrmSession, transaction: Any) -> None:
    """Committed or rolled back — a savepoint too: an order it created may be gone (a
    flush's internal subtransaction is neither)."""
    if transaction.parent is None or transaction.nested:
        session.info.pop(_ORDERS, None)
