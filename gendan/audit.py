"""Hash-chained audit log: append one event per thing that happened, verify the chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gendan.db import reader, unit_of_work, utcnow
from gendan.models import GENESIS_HASH, AuditEvent, AuditHead, ChainCheck, Instance
from gendan.org import SYSTEM_ACTOR, Actor

#: The fields that the hash covers, in order. Changing any of them breaks the chain.
HASHED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "instance_id",
    "task_id",
    "order_no",
    "from_state",
    "to_state",
    "changes",
    "reason",
    "detail",
    "prev_hash",
)


def jsonable(value: Any) -> Any:
    """Make form values (dates, decimals) storable as JSON, deterministically."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


def event_hash(ev: AuditEvent) -> str:
    payload = {f: jsonable(getattr(ev, f)) for f in HASHED_FIELDS}
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def append(
    session: Session,
    *,
    action: str,
    actor_id: int | None,
    actor_name: str,
    at: datetime | None = None,
    instance_id: int | None = None,
    task_id: int | None = None,
    order_no: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event inside the caller's transaction; the head row lock orders writers."""
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    ev = AuditEvent(
        seq=head.seq + 1,
        at=(at or utcnow()).astimezone(UTC),
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        instance_id=instance_id,
        task_id=task_id,
        order_no=order_no,
        from_state=from_state,
        to_state=to_state,
        changes=jsonable(changes or {}),
        reason=reason or "",
        detail=jsonable(detail or {}),
        prev_hash=head.hash,
        hash="",
    )
    ev.hash = event_hash(ev)
    head.seq, head.hash = ev.seq, ev.hash
    session.add(ev)
    session.add(head)
    return ev


def on_instance(
    session: Session,
    inst: Instance,
    *,
    action: str,
    actor: Actor | None,
    at: datetime,
    task_id: int | None = None,
    from_state: str | None = "",
    **fields: Any,
) -> AuditEvent:
    """An event about one procedure instance, by a person or (``actor=None``) the system.

    ``from_state`` defaults ("") to the instance's state (None: there was none, at the
    start), ``to_state`` to its state now.
    """
    return append(
        session,
        action=action,
        actor_id=actor.user_id if actor else None,
        actor_name=actor.display_name if actor else SYSTEM_ACTOR,
        at=at,
        instance_id=inst.id,
        task_id=task_id,
        order_no=inst.order_no,
        from_state=inst.state if from_state == "" else from_state,
        to_state=fields.pop("to_state", inst.state),
        **fields,
    )


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str = ""


def verify(engine: Engine, *, batch: int = 5000) -> ChainReport:
    """Recompute every hash in order; report the first event whose record or link was altered."""
    prev, expected_seq, checked = GENESIS_HASH, 1, 0
    with Session(engine) as s:
        while True:
            rows = s.exec(
                select(AuditEvent)
                .where(AuditEvent.seq >= expected_seq)
                .order_by(AuditEvent.seq)
                .limit(batch)
            ).all()
            if not rows:
                break
            for ev in rows:
                if ev.seq != expected_seq:
                    return ChainReport(False, checked, expected_seq, "event missing (deleted)")
                if ev.prev_hash != prev:
                    return ChainReport(False, checked, ev.seq, "link to previous event broken")
                if event_hash(ev) != ev.hash:
                    return ChainReport(
                        False, checked, ev.seq, "record altered after it was written"
                    )
                prev, expected_seq, checked = ev.hash, expected_seq + 1, checked + 1
        head = s.get(AuditHead, 1)
        if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
            return ChainReport(False, checked, head.seq, "latest events missing (truncated)")
    return ChainReport(True, checked)


def verify_and_record(engine: Engine, *, now: datetime) -> ChainReport:
    """Verify the whole chain (read-only, no write lock held) and keep the result.

    Re-hashing a million events takes tens of seconds, so pages show the last recorded
    check; the scheduled ``audit-verify`` flow and ``gendan audit verify`` record new ones.
    """
    report = verify(reader(engine))
    with unit_of_work(engine) as s:
        s.add(
            ChainCheck(
                at=now,
                ok=report.ok,
                checked=report.checked,
                first_broken_seq=report.first_broken_seq,
                problem=report.problem,
            )
        )
    return report


def latest_check(session: Session) -> ChainCheck | None:
    return session.exec(select(ChainCheck).order_by(ChainCheck.id.desc()).limit(1)).first()
