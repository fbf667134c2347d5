"""Acting "as of" a later instant (``gendan sweep --at``, ``deliver --at``) without a future trail.

A sweep as of next month writes escalations, messages and audit events dated next month; on a
database people work with, the audit trail would then hold events that have not happened. The
CLI refuses such an instant on a database with real data unless told it is a replay.

Choice: "real data" is any order the demo did not make (its number is not one of
``DEMO_ORDER_NOS``), because business events — the ones a future sweep writes — hang on
orders; a fresh or demo-only database is a sandbox where jumping ahead is how one sees
escalations (README). Checks, seals, logins and admin changes alone do not count: they are
made on a demo too, and a sweep does not write about them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from gendan.models import Order

#: The orders ``gendan demo`` makes (``gendan.demo.demo_orders``; a test keeps them equal).
DEMO_ORDER_NOS = frozenset(
    {
        "SO-2026-0001",
        "SO-2026-0002",
        "SO-2026-0003",
        "SO-2026-0004",
        "SO-2026-0005",
        "SO-2026-0006",
        "SO-2026-0007",
        "KC-2026-0001",
        # §4: the urgent order and the two it displaced (gendan.demo_urgent)
        "SO-2026-0008",
        "SO-2026-0009",
        "UR-2026-0001",
        # §3: orders at the plan's stages (gendan.demo_plan.PLAN_ORDERS)
        "SO-2026-0010",
        "SO-2026-0011",
        "SO-2026-0012",
        "SO-2026-0013",
        # §8a: the remake (补单) of a complaint, a §1 repeat order (gendan.demo_after_sales)
        "SO-2026-0011-BD1",
    }
)


def real_orders(db: Engine) -> tuple[int, str | None]:
    """How many orders the demo did not make, and one of their numbers (None if none)."""
    with Session(db) as s:
        real = Order.order_no.not_in(DEMO_ORDER_NOS)  # type: ignore[attr-defined]
        count = s.exec(select(func.count()).select_from(Order).where(real)).one()
        first = s.exec(select(Order.order_no).where(real).order_by(Order.id).limit(1)).first()
    return int(count), first


def future_refusal(db: Engine, at: datetime, now: datetime, *, replay: bool) -> str | None:
    """Why acting as of ``at`` is refused here (None: allowed): later than ``now`` on a
    database with real orders, without ``replay``."""
    if replay or at <= now:
        return None
    count, example = real_orders(db)
    if count == 0:
        return None
    return (
        f"--at {at.isoformat(timespec='minutes')} is later than now "
        f"({now.isoformat(timespec='minutes')}) and this database holds real data "
        f"({count} order(s) not from the demo, e.g. {example}): the audit trail would hold "
        "events that have not happened. Act as of now (leave out --at), or, on a copy of the "
        "database made for it, add --replay."
    )
