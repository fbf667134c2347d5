"""Hash-chained audit log: append one event per thing that happened, verify the chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gendan import chain_walk as walk_chain
from gendan.db import reader, unit_of_work, utcnow
from gendan.models import GENESIS_HASH, AuditEvent, AuditHead, ChainCheck, Instance
from gendan.multirow import insert_rows
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
    head = _lock_head(session)
    fields = _chained(
        head,
        action=action,
        actor_id=actor_id,
        actor_name=actor_name,
        at=at,
        instance_id=instance_id,
        task_id=task_id,
        order_no=order_no,
        from_state=from_state,
        to_state=to_state,
        changes=changes,
        reason=reason,
        detail=detail,
    )
    ev = AuditEvent(**fields)
    session.add(ev)
    session.add(head)
    return ev


def append_many(session: Session, events: Sequence[Mapping[str, Any]]) -> list[SimpleNamespace]:
    """Append ``events`` (each the keyword arguments of :func:`append`) in this order, with
    one lock of the chain's head and one multi-row INSERT; the hashes are those ``append``
    would give one by one. Returns the events written (their columns as attributes).

    Choice: the rows go in through SQL Core, not as ORM objects (building and flushing
    those cost more than the hashing, issue 11), while the head row stays the session's ORM
    object, so that an ``append`` later in the same transaction reads the head this one left.
    """
    if not events:
        return []
    head = _lock_head(session)
    rows = [_chained(head, **fields) for fields in events]
    insert_rows(session, AuditEvent.__table__, rows)  # type: ignore[arg-type]
    session.add(head)
    return [SimpleNamespace(**row) for row in rows]


def on_instance_fields(
    inst: Instance,
    *,
    action: str,
    actor: Actor | None,
    at: datetime,
    task_id: int | None = None,
    from_state: str | None = "",
    **fields: Any,
) -> dict[str, Any]:
    """What :func:`on_instance` appends, as keyword arguments of :func:`append` (for
    :func:`append_many`)."""
    return dict(
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


def _lock_head(session: Session) -> AuditHead:
    return session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()


def _chained(
    head: AuditHead,
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
) -> dict[str, Any]:
    """The next event after ``head``, hashed (its columns); moves ``head`` on to it."""
    ev = SimpleNamespace(
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
    ev.hash = event_hash(ev)  # type: ignore[arg-type]
    head.seq, head.hash = ev.seq, ev.hash
    return vars(ev)


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
        **on_instance_fields(
            inst,
            action=action,
            actor=actor,
            at=at,
            task_id=task_id,
            from_state=from_state,
            **fields,
        ),
    )


@dataclass(frozen=True)
class ChainReport:
    """One verification: the chain, the seals, the anchor.

    ``first_broken_seq`` names the first event that is missing, altered, or differs from what
    was sealed; ``problems`` lists every finding (seal and anchor findings too), ``problem``
    the first. ``unsealed`` events come after the last seal ("not yet sealed").
    """

    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str = ""
    problems: tuple[str, ...] = ()
    sealed_seq: int | None = None
    sealed_at: datetime | None = None
    seals: int = 0
    unsealed: int = 0
    anchor_ok: bool | None = None
    #: Events re-hashed by this check, and whether it walked the whole chain (False: only
    #: what came after the last seal, ``verify(full=False)``).
    walked: int = 0
    full: bool = True


def verify(
    engine: Engine,
    *,
    trust: Any = None,
    batch: int = 5000,
    full: bool = True,
    workers: int = 1,
) -> ChainReport:
    """Recompute every hash in order and compare the chain with its seals.

    ``trust`` (a ``gendan.seal.Trust``: key file and anchor) adds the seals: each one's
    signature, the anchor against the table, and every sealed event against the hash the
    seal recorded. Without it only the chain is checked. Reads one snapshot of the database,
    lean rows in batches (``gendan.chain_walk``); ``workers`` > 1 re-hashes in that many
    processes while the next batch is read.

    ``full=False`` with seals whose signatures hold: the events the last seal covers are
    taken as sealed (its last event must still hash to what the seal recorded) and only the
    events after it are walked. Choice: ``gendan audit verify`` does this by default and
    ``--full`` walks everything, because a signed seal already protects what it covers and
    the daily question is "is what came since intact?"; the scheduled flow and the auditor's
    "verify now" still walk the whole chain.
    """
    from gendan import seal as sealing

    with Session(reader(engine)) as s:
        if engine.dialect.name == "postgresql":  # one snapshot for the whole walk
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        seals = sealing.check_seals(s, trust) if trust is not None else sealing.SealCheck()
        marks = list(seals.marks)
        last_sealed = marks[-1].seq if marks else 0
        mark_i, leaves = 0, None
        prev, expected_seq, checked, walked = GENESIS_HASH, 1, 0, 0
        broken: tuple[int, str] | None = None

        def sealed_hash(seq: int) -> tuple[str | None, int]:
            """What the seal covering ``seq`` recorded for it (None: only its last event)."""
            nonlocal mark_i, leaves
            while marks[mark_i].seq < seq:
                mark_i, leaves = mark_i + 1, None
            mark = marks[mark_i]
            if leaves is None:
                found, trouble = sealing.sealed_hashes(s, mark)
                leaves = found or []
                if trouble:
                    seals.problems.append(trouble)
            if leaves:
                return leaves[seq - mark.first] if seq >= mark.first else None, mark.seq
            return (mark.hash if seq == mark.seq else None), mark.seq

        # The quick walk starts after the last seal if its last event is intact; otherwise
        # it walks everything, to name the first bad event (not only the seal's last).
        quick = not full and bool(marks) and _resume_after_seal(s, marks[-1]) is None
        if quick:
            prev, expected_seq, checked = marks[-1].hash, last_sealed + 1, last_sealed
        walk = walk_chain.with_hashes(
            walk_chain.batches(s, start=expected_seq, size=batch), workers=workers
        )
        try:
            for rows, hashes in walk if broken is None else ():
                for row, recomputed in zip(rows, hashes, strict=True):
                    seq, stored = row[walk_chain.SEQ], row[walk_chain.HASH]
                    if seq != expected_seq:
                        broken = (expected_seq, "event missing (deleted)")
                        break
                    if seq <= last_sealed:
                        want, seal_seq = sealed_hash(seq)
                        if want is not None and want != stored:
                            mark = marks[mark_i]
                            where = (
                                f"event {seq}"
                                if leaves
                                else f"an event in {mark.first}..{mark.seq} (the seal's list "
                                "is gone)"
                            )
                            broken = (
                                seq if leaves else mark.first,
                                f"{where} differs from what seal #{seal_seq} recorded "
                                "(changed, inserted or renumbered after sealing)",
                            )
                            checked = broken[0] - 1
                            break
                    if row[walk_chain.PREV] != prev:
                        broken = (seq, "link to previous event broken")
                        break
                    if recomputed != stored:
                        broken = (seq, "record altered after it was written")
                        break
                    prev, expected_seq, checked = stored, expected_seq + 1, checked + 1
                    walked += 1
                if broken is not None:
                    break
        finally:
            walk.close()
        if broken is None and expected_seq <= last_sealed:
            broken = (
                expected_seq,
                f"event missing: sealed up to #{last_sealed}, the chain ends at #{checked}",
            )
        head = s.get(AuditHead, 1)
        if broken is None and head is not None and (head.seq, head.hash) != (checked, prev):
            if head.seq > checked:
                broken = (expected_seq, f"latest events missing (truncated): #{expected_seq}..")
            else:
                broken = (head.seq + 1, "events written without moving the chain's head")
    problems = ([f"event {broken[0]}: {broken[1]}"] if broken else []) + seals.problems
    last = marks[-1] if marks else None
    return ChainReport(
        ok=not problems,
        checked=checked,
        first_broken_seq=broken[0] if broken else None,
        problem=broken[1] if broken else (seals.problems[0] if seals.problems else ""),
        problems=tuple(problems),
        sealed_seq=last.seq if last else None,
        sealed_at=datetime.fromisoformat(last.at) if last else None,
        seals=seals.seals,
        unsealed=max(checked - (last.seq if last else 0), 0),
        anchor_ok=seals.anchor_ok,
        walked=walked,
        full=not quick,
    )


def _resume_after_seal(session: Session, mark: Any) -> tuple[int, str] | None:
    """Where an incremental walk starts: the last sealed event must be there, unchanged and
    as the seal recorded it; else (seq, problem)."""
    first = next(walk_chain.batches(session, start=mark.seq, size=1), [])
    row = first[0] if first else None
    if row is None or row[walk_chain.SEQ] != mark.seq:
        return (mark.seq, f"event missing: sealed up to #{mark.seq}")
    if row[walk_chain.HASH] != mark.hash or walk_chain.lean_hash(row) != mark.hash:
        return (
            mark.seq,
            f"event {mark.seq} differs from what seal #{mark.seq} recorded (changed after sealing)",
        )
    return None


def _record(engine: Engine, report: ChainReport, now: datetime) -> None:
    with unit_of_work(engine) as s:
        s.add(
            ChainCheck(
                at=now,
                ok=report.ok,
                checked=report.checked,
                first_broken_seq=report.first_broken_seq,
                problem=report.problem,
                sealed_seq=report.sealed_seq,
                sealed_at=report.sealed_at,
                unsealed=report.unsealed,
                anchor_ok=report.anchor_ok,
            )
        )


def verify_and_record(
    engine: Engine, *, now: datetime, trust: Any = None, full: bool = True, workers: int = 1
) -> ChainReport:
    """Verify the chain (read-only, no write lock held) and keep the result.

    Re-hashing a million events takes tens of seconds, so pages show the last recorded
    check; the scheduled ``audit-verify`` flow and ``gendan audit verify`` record new ones.
    """
    report = verify(reader(engine), trust=trust, full=full, workers=workers)
    _record(engine, report, now)
    return report


def verify_seal_and_record(settings: Any, engine: Engine, *, now: datetime) -> ChainReport:
    """Verify, then (if intact and the key file exists) seal what is not yet sealed, record.

    The hourly flow and the auditor's "verify now" do this; ``gendan audit seal`` too.
    A broken chain is never sealed.
    """
    from gendan import seal as sealing

    trust = sealing.trust_from(settings)
    report = verify(reader(engine), trust=trust)
    key = sealing.load_key(trust.key_file)
    if report.ok and key is not None and report.unsealed:
        made = sealing.make_seals(
            engine, key=key, anchor=trust.anchor, now=now, mail=sealing.mail_to(settings)
        )
        if made:
            sealed = made[-1].seq
            report = replace(
                report,
                sealed_seq=sealed,
                sealed_at=datetime.fromisoformat(made[-1].at),
                seals=report.seals + len(made),
                unsealed=max(report.checked - sealed, 0),
                anchor_ok=True if report.anchor_ok is None else report.anchor_ok,
            )
    _record(engine, report, now)
    return report


def latest_check(session: Session) -> ChainCheck | None:
    return session.exec(select(ChainCheck).order_by(ChainCheck.id.desc()).limit(1)).first()
