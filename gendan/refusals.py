"""Refused requests on the audit trail: one ``refused`` event per account and minute, with a tally.

A request refused with 403 by a signed-in person (someone else's task, instance or
document, an auditor or admin page without the role, a four-eyes or role rule of the
engine, a wrong CSRF token) is recorded by :func:`record` in its **own** transaction,
after the request's own work has been rolled back, so the refusal survives it.

Choice: the first refusal of an account in a minute writes the hash-chained ``refused``
event at once (who, method and URL, when, the refusal message); every refusal of that
account in that minute, the first included, is counted in ``refusalcount`` (one row per
account and minute, unique, upserted in the same own transaction; the row names the event's
``seq``, its first and last URL and time). Because: the event is on the tamper-evident trail
the moment the first refusal happens (no sweep has to "close" a minute, nothing waits in
memory, a crash loses nothing), a flood of refusals costs the trail one event per account
and minute, and the auditor sees the event and its tally side by side (the audit search
shows "refused N times in this minute" on the event). Writing the event only when the
minute closes would have kept the count inside the chain, but would leave a refusal
invisible on the trail until a sweep ran and need one more scheduled job; the trade-off is
that the tally, a row that must grow, cannot itself be hash-chained (audit events are
append-only) — it is the auditor's count next to a chained record, not a record.

Minutes are UTC minutes of the injected clock (``app.state.clock``). Every time zone's
offset is whole minutes (the company's Asia/Shanghai: +08:00), so a UTC minute is exactly
one company-local minute too; the pages show it in company time.

Only authenticated accounts are recorded: an anonymous 401 or a CSRF failure without a
session has nobody to name (and failed logins are audited by ``accounts.authenticate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

from gendan import audit
from gendan.db import UTCDateTime, unit_of_work
from gendan.models import User

#: The audit action of a refused request (searchable on the auditor's page).
ACTION = "refused"

#: Longest URL kept (path and query) on the event and the tally.
MAX_URL = 500


class RefusalCount(SQLModel, table=True):
    """How often one account was refused within one (UTC) minute; the tally beside its event."""

    __table_args__ = (UniqueConstraint("actor_id", "minute"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="user.id")
    #: The minute, UTC, seconds cut off.
    minute: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    count: int = 1
    #: ``seq`` of the ``refused`` audit event written by the minute's first refusal.
    event_seq: int | None = Field(default=None, index=True)
    first_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    first_url: str
    last_url: str


@dataclass(frozen=True)
class Refusal:
    """What :func:`record` did: the minute's tally so far, and the event if this one wrote it."""

    minute: datetime
    count: int
    event_seq: int | None


def minute_of(at: datetime) -> datetime:
    """The UTC minute an instant falls in."""
    if at.tzinfo is None:
        raise ValueError("naive datetime given for a refusal; use aware UTC")
    return at.astimezone(UTC).replace(second=0, microsecond=0)


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"refusal tally on {dialect}")


def record(
    engine: Engine,
    *,
    actor_id: int,
    at: datetime,
    method: str,
    url: str,
    message: str,
    kind: str,
) -> Refusal:
    """Count a refusal of ``actor_id`` in its own transaction; the minute's first writes the event.

    The upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING count``) is atomic on SQLite
    (the unit of work begins IMMEDIATE) and on PostgreSQL (a concurrent second insert waits
    for the first and updates), so exactly one request per account and minute sees count 1
    and appends the audit event.
    """
    minute = minute_of(at)
    url = url[:MAX_URL]
    table = RefusalCount.__table__  # type: ignore[attr-defined]
    with unit_of_work(engine) as s:
        stmt = _insert(s)(table).values(
            actor_id=actor_id,
            minute=minute,
            count=1,
            first_at=at,
            last_at=at,
            first_url=url,
            last_url=url,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.actor_id, table.c.minute],
            set_={
                "count": table.c.count + 1,
                "last_at": stmt.excluded.last_at,
                "last_url": stmt.excluded.last_url,
            },
        ).returning(table.c.id, table.c.count)
        row_id, count = s.connection().execute(stmt).one()
        if count != 1:
            return Refusal(minute, count, None)
        user = s.get(User, actor_id)
        ev = audit.append(
            s,
            action=ACTION,
            actor_id=actor_id,
            actor_name=user.display_name if user else f"user {actor_id}",
            at=at,
            reason=message,
            detail={
                "method": method,
                "url": url,
                "status": 403,
                "kind": kind,
                "minute": minute,
                "tally": "refusalcount",
            },
        )
        s.connection().execute(table.update().where(table.c.id == row_id).values(event_seq=ev.seq))
        return Refusal(minute, 1, ev.seq)


def tallies(session: Session, event_seqs: list[int]) -> dict[int, RefusalCount]:
    """The tally of each given ``refused`` event (by its ``seq``), for the auditor's pages."""
    if not event_seqs:
        return {}
    rows = session.exec(select(RefusalCount).where(RefusalCount.event_seq.in_(event_seqs)))  # type: ignore[union-attr]
    return {r.event_seq: r for r in rows if r.event_seq is not None}


def tally(session: Session, actor_id: int, at: datetime) -> RefusalCount | None:
    """The tally of one account in the minute of ``at`` (None: no refusal then)."""
    return session.exec(
        select(RefusalCount).where(
            RefusalCount.actor_id == actor_id, RefusalCount.minute == minute_of(at)
        )
    ).first()
