"""Instances the system starts by itself (issue 10): a scheduled start (the safety-stock
review by the 25th), a stock trigger (stock at or under safety stock raises a 物料跟催单), an
event of another instance that is not its parent (an IQC reject starts the supplier return).

Choice: such an instance counts as started by the built-in account ``system`` (inactive, no
password, cannot log in) because an instance needs a starter (``Instance.created_by_id``)
and no person decided it; the audit trail records the system as the actor and ``cause``
says why (schedule and period, stock movement, source instance).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from gendan.calendar import BusinessCalendar
from gendan.models import Instance, User
from states import get_procedure

SYSTEM_USERNAME = "system"


def system_user_id(session: Session) -> int:
    """The id of the ``system`` account, made on first use (never active, no password)."""
    found = session.exec(select(User.id).where(User.username == SYSTEM_USERNAME)).first()
    if found is not None:
        return found
    user = User(
        username=SYSTEM_USERNAME,
        display_name="系统 / system",
        password_hash="!",  # matches no password: the account cannot log in
        is_active=False,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    return user.id


def start_by_system(
    session: Session,
    *,
    procedure: str,
    form_data: dict[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
    cause: dict[str, Any],
    order_no: str | None = None,
) -> Instance:
    """Start ``procedure`` as the system in the caller's transaction (its start form is
    validated as a person's: a 422 means the caller built a bad form). ``cause`` goes into
    the start event's detail (e.g. ``{"schedule": "safety_stock_review", "period":
    "2026-11"}`` or ``{"trigger": "below_safety", "movement": 42}``)."""
    from gendan.transitions import create_instance

    proc = get_procedure(procedure)
    inst = create_instance(
        session,
        proc=proc,
        form_data=form_data,
        order_no=order_no,
        created_by_id=system_user_id(session),
        actor=None,
        now=now,
        calendar=calendar,
        detail={"started_by_system": cause},
    )
    return inst
