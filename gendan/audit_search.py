"""The ISO 9001 auditor's searches: audit events and procedure instances (read-only).

Everything here only reads. Searches use keyset pagination (newest first) on indexed
columns so a page costs the same on the first day and after millions of events:

- events: ``seq`` (cursor and order), ``order_no``, ``at``, ``actor_id``, ``action`` and
  ``instance_id`` (the procedure filter goes through the instance);
- instances: ``id`` (cursor and order), ``order_no``, ``procedure``.

Date ranges are **company-local days**: ``date_from`` is the start of that day in the
company's time zone (``settings.timezone``, passed in as ``tz``) and ``date_to`` includes the
whole of its day. Both are turned into UTC instants, so the ``at`` index does the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from gendan.errors import InvalidForm
from gendan.limits import MAX_ID, MAX_SEARCH, check_text
from gendan.models import AuditEvent, Instance, Order, User
from states import PROCEDURES

#: Actions the engine writes (a datalist for the search form; any other value is searchable).
KNOWN_ACTIONS = (
    "start",
    "transition",
    "countersign",
    "claim",
    "unclaim",
    "delegate",
    "reassign",
    "pause",
    "resume",
    "waiting_reminder",
    "remind",
    "escalate",
    "acknowledged",
    "ack_missed",
    "stop",
    "notification_sent",
    "notification_failed",
    "login",
    "login_failed",
    "refused",
    "comment",
    "attachment_added",
)

# --------------------------------------------------------------------------- search


def day_bounds(
    date_from: date | None, date_to: date | None, tz: str | ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """UTC instants ``[start, end)`` covering company-local days ``date_from``..``date_to``."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    start = end = None
    # The first and last days of the calendar bound nothing (and would overflow in UTC).
    if date_from is not None and date_from > date.min + timedelta(days=1):
        start = datetime.combine(date_from, time.min, tzinfo=zone).astimezone(UTC)
    if date_to is not None and date_to < date.max - timedelta(days=1):
        end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def _check_terms(**terms: str | None) -> None:
    """Search terms are short: a 422 naming the field (SQLite refuses LIKE patterns over
    50,000 bytes; no order number, name or action is anywhere near ``MAX_SEARCH``)."""
    errors: dict[str, str] = {}
    for name, value in terms.items():
        check_text(errors, name, value, MAX_SEARCH)
    if errors:
        raise InvalidForm(errors)


def _cursor(value: int | None) -> int | None:
    """A keyset cursor beyond every id (or seq) the columns can hold means "from the newest"."""
    return None if value is None or value > MAX_ID else value


def matching_user_ids(session: Session, person: str) -> list[int]:
    """People whose username is ``person`` (any case) or whose display name contains it."""
    needle = person.strip()
    rows = session.exec(
        select(User.id).where(
            or_(
                func.lower(User.username) == needle.lower(),
                User.display_name.contains(needle, autoescape=True),
            )
        )
    ).all()
    return [i for i in rows if i is not None]


#: How many of the newest events (below the cursor) the first, cheap pass looks at.
WINDOW_ROWS = 5000


def _event_conditions(
    ev: Any,
    *,
    order_no: str | None,
    person: str | None,
    person_ids: list[int],
    action: str | None,
    start: datetime | None,
    end: datetime | None,
) -> list[Any]:
    conds: list[Any] = []
    if order_no and order_no.strip():
        conds.append(ev.order_no == order_no.strip())
    if action and action.strip():
        conds.append(ev.action == action.strip())
    if person and person.strip():
        by_system = and_(
            ev.actor_id.is_(None), ev.actor_name.contains(person.strip(), autoescape=True)
        )
        conds.append(or_(ev.actor_id.in_(person_ids), by_system) if person_ids else by_system)
    if start is not None:
        conds.append(ev.at >= start)
    if end is not None:
        conds.append(ev.at < end)
    return conds


def search_events(
    session: Session,
    *,
    order_no: str | None = None,
    person: str | None = None,
    procedure: str | None = None,
    action: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    tz: str | ZoneInfo = "UTC",
    limit: int = 100,
    before_seq: int | None = None,
) -> list[AuditEvent]:
    """Audit events matching every given filter, newest first, at most ``limit``.

    ``person`` is a username (exact, any case) or part of a display name; events written by
    the system (no actor id) match on their recorded name. ``procedure`` keeps the events of
    that procedure's instances. ``date_from``/``date_to`` are company-local days in ``tz``
    (inclusive). The next page: ``before_seq`` = the last returned event's ``seq``.

    Two passes keep every page cheap whatever the filters' selectivity: first the newest
    ``WINDOW_ROWS`` events below the cursor are filtered (a short walk down the ``seq``
    index; if it finds ``limit`` matches they are exactly the answer, because every event
    outside the window is older); otherwise the filters' own indexes answer (few matches).
    """
    limit = max(1, limit)
    _check_terms(order_no=order_no, person=person, procedure=procedure, action=action)
    before_seq = _cursor(before_seq)
    start, end = day_bounds(date_from, date_to, tz)
    filters: dict[str, Any] = {
        "order_no": order_no,
        "person": person,
        "action": action,
        "start": start,
        "end": end,
    }
    ids = matching_user_ids(session, person) if person and person.strip() else []
    proc = procedure.strip() if procedure and procedure.strip() else None

    def query(ev: Any) -> Any:
        stmt = select(ev)
        conds = _event_conditions(ev, person_ids=ids, **filters)
        if proc:
            stmt = stmt.join(Instance, Instance.id == ev.instance_id)
            conds.append(Instance.procedure == proc)
        if before_seq is not None:
            conds.append(ev.seq < before_seq)
        return stmt.where(*conds).order_by(ev.seq.desc()).limit(limit)

    if not any(filters.values()) and not proc:
        return list(session.exec(query(AuditEvent)).all())
    newest = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(WINDOW_ROWS)
    if before_seq is not None:
        newest = newest.where(AuditEvent.seq < before_seq)
    found = list(session.exec(query(aliased(AuditEvent, newest.subquery("newest")))).all())
    if len(found) >= limit:
        return found
    return list(session.exec(query(AuditEvent)).all())


@dataclass(frozen=True)
class InstanceHit:
    """One instance found by ``search_instances``, with its order (None if it has none)."""

    instance: Instance
    order: Order | None


def search_instances(
    session: Session,
    *,
    order_no: str | None = None,
    procedure: str | None = None,
    state: str | None = None,
    customer: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[InstanceHit]:
    """Procedure instances matching every given filter, newest first, at most ``limit``.

    ``customer`` is part of the order's customer name. The next page: ``before_id`` = the last
    returned instance's id.
    """
    _check_terms(order_no=order_no, procedure=procedure, state=state, customer=customer)
    before_id = _cursor(before_id)
    stmt = select(Instance, Order).join(Order, Order.order_no == Instance.order_no, isouter=True)
    conds: list[Any] = []
    if before_id is not None:
        conds.append(Instance.id < before_id)
    if order_no and order_no.strip():
        conds.append(Instance.order_no == order_no.strip())
    if procedure and procedure.strip():
        conds.append(Instance.procedure == procedure.strip())
    if state and state.strip():
        conds.append(Instance.state == state.strip())
    if customer and customer.strip():
        conds.append(Order.customer.contains(customer.strip(), autoescape=True))
    stmt = stmt.where(*conds).order_by(Instance.id.desc()).limit(max(1, limit))
    return [InstanceHit(i, o) for i, o in session.exec(stmt).all()]


def procedures_of(session: Session, instance_ids: list[int | None]) -> dict[int, str]:
    """Instance id → procedure key, for a page of events (one query)."""
    ids = sorted({i for i in instance_ids if i is not None})
    if not ids:
        return {}
    rows = session.exec(select(Instance.id, Instance.procedure).where(Instance.id.in_(ids)))
    return {i: p for i, p in rows.all() if i is not None}


# --------------------------------------------------------------------------- one trail


def state_name(procedure: str | None, state: str | None) -> str:
    """A state's bilingual name, or its id when the procedure does not know it."""
    if not state:
        return ""
    proc = PROCEDURES.get(procedure or "")
    st = proc.states_map.get(state) if proc else None
    return str(st.name) if st is not None else state
