"""抄送 (copied to me): who is copied on an instance and why.

A procedure copies department heads when it informs them (``OnEnter.inform_heads``); a
colleague copies someone by @mentioning them in a comment. A person is copied on an instance
once (the first reason is kept); the copy lists the instance under their "copied to me" tab.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, select

from gendan.models import Instance, InstanceCopy

#: Why a person was copied, in both languages.
REASONS = {
    "informed": ("流程知会", "informed by the procedure"),
    "mention": ("被@提及", "@mentioned"),
}


def copy_to(
    session: Session,
    inst: Instance,
    user_ids: Iterable[int],
    *,
    reason: str,
    now: datetime,
    by_id: int | None = None,
) -> list[int]:
    """Copy these people on ``inst`` (those already copied are left as they are); returns
    the user ids newly copied. Runs inside the caller's transaction."""
    if reason not in REASONS:
        raise ValueError(f"unknown copy reason {reason!r}")
    assert inst.id is not None
    wanted = {int(u) for u in user_ids}
    if not wanted:
        return []
    have = set(
        session.exec(
            select(InstanceCopy.user_id).where(
                InstanceCopy.instance_id == inst.id, InstanceCopy.user_id.in_(wanted)
            )
        ).all()
    )
    new = sorted(wanted - have)
    for uid in new:
        session.add(
            InstanceCopy(
                instance_id=inst.id,
                user_id=uid,
                order_no=inst.order_no,
                reason=reason,
                by_id=by_id,
                created_at=now,
            )
        )
    session.flush()
    return new
