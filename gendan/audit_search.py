"""The ISO 9001 auditor's read side: search events and instances, flatten a trail, export it.

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

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from gendan.errors import NotFound
from gendan.models import AuditEvent, Document, Instance, Order, User
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
    "remind",
    "escalate",
    "stop",
    "notification_sent",
    "notification_failed",
    "login",
    "login_failed",
)

#: Meanings of an electronic signature (``Step.signature``), in both languages.
SIGNATURE_MEANINGS = {
    "approved": "批准 / approved",
    "reviewed": "审核 / reviewed",
    "rejected": "不同意 / rejected",
}

#: The trail's columns: row key, Chinese and English header.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("seq", "序号", "Seq"),
    ("time", "时间", "Time"),
    ("actor", "人员", "Person"),
    ("action", "动作", "Action"),
    ("event", "事件", "Event"),
    ("transition", "状态变化", "State change"),
    ("changes", "变更内容 (原值 → 新值)", "Changes (old → new)"),
    ("reason", "理由", "Reason"),
    ("signature", "电子签名", "Signature"),
    ("document", "单据", "Document"),
    ("hash", "哈希", "Hash"),
)

#: Column widths (characters) for the spreadsheet, by row key.
XLSX_WIDTHS = {
    "seq": 8,
    "time": 20,
    "actor": 20,
    "action": 13,
    "event": 30,
    "transition": 34,
    "changes": 60,
    "reason": 36,
    "signature": 36,
    "document": 18,
    "hash": 68,
}

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


# --------------------------------------------------------------------------- search


def day_bounds(
    date_from: date | None, date_to: date | None, tz: str | ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """UTC instants ``[start, end)`` covering company-local days ``date_from``..``date_to``."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    start = end = None
    if date_from is not None:
        start = datetime.combine(date_from, time.min, tzinfo=zone).astimezone(UTC)
    if date_to is not None:
        end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


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


@dataclass(frozen=True)
class InstanceRecord:
    """What the trail page shows above the events: the instance, its order, its documents."""

    instance: Instance
    order: Order | None
    documents: list[Document]
    procedure_zh: str
    procedure_en: str
    state_name: str


def instance_record(session: Session, instance_id: int) -> InstanceRecord:
    """The instance with its order and the order's documents; NotFound if there is none."""
    inst = session.get(Instance, instance_id)
    if inst is None:
        raise NotFound(f"no instance {instance_id}")
    order = session.exec(select(Order).where(Order.order_no == inst.order_no)).first()
    docs = session.exec(
        select(Document).where(Document.order_no == inst.order_no).order_by(Document.id)
    ).all()
    proc = PROCEDURES.get(inst.procedure)
    return InstanceRecord(
        instance=inst,
        order=order,
        documents=list(docs),
        procedure_zh=proc.title_zh if proc else inst.procedure,
        procedure_en=proc.title_en if proc else inst.procedure,
        state_name=state_name(inst.procedure, inst.state),
    )


def _text(value: Any) -> str:
    """A stored value as an auditor reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是 / yes" if value else "否 / no"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value) if value else "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def flatten_changes(changes: dict[str, Any]) -> list[str]:
    """One line per changed value.

    ``{"old": a, "new": b}`` entries become ``"field: a → b"`` (with any extra keys, such
    as recalled document numbers, in brackets). Recorded forms (``form``, ``opinion``, the
    start form) have no old value: each field becomes ``"form.field: value"``.
    """
    lines: list[str] = []
    for key, val in changes.items():
        if isinstance(val, dict) and "old" in val and "new" in val:
            extra = {k: v for k, v in val.items() if k not in ("old", "new")}
            line = f"{key}: {_text(val['old'])} → {_text(val['new'])}"
            if extra:
                line += " (" + "; ".join(f"{k}: {_text(v)}" for k, v in extra.items()) + ")"
            lines.append(line)
        elif isinstance(val, dict):
            for k, v in val.items():
                if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                    lines.extend(f"{key}.{k}[{i}]: {_text(x)}" for i, x in enumerate(v, 1))
                else:
                    lines.append(f"{key}.{k}: {_text(v)}")
        else:
            lines.append(f"{key}: {_text(val)}")
    return lines


def local_time(value: datetime | str | None, zone: str | ZoneInfo) -> str:
    """A stored UTC time (or ISO text) as company-local ``YYYY-MM-DD HH:MM:SS``; "" if none."""
    zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone).strftime(TIME_FORMAT)


def _signature(sig: Any, zone: ZoneInfo) -> str:
    if not isinstance(sig, dict) or not sig:
        return ""
    meaning = str(sig.get("meaning", ""))
    parts = [str(sig.get("name", "")), local_time(sig.get("at"), zone)]
    parts.append(SIGNATURE_MEANINGS.get(meaning, meaning))
    return ", ".join(p for p in parts if p)


_DETAIL_SHOWN_ELSEWHERE = {"event", "step_zh", "step_en", "signature", "document"}


def _event_text(detail: dict[str, Any]) -> str:
    if detail.get("event"):
        label = " / ".join(str(detail[k]) for k in ("step_zh", "step_en") if detail.get(k))
        return f"{detail['event']} ({label})" if label else str(detail["event"])
    rest = {k: v for k, v in detail.items() if k not in _DETAIL_SHOWN_ELSEWHERE}
    return "; ".join(f"{k}: {_text(v)}" for k, v in rest.items())


def event_row(ev: AuditEvent, *, procedure: str | None, tz: str | ZoneInfo) -> dict[str, Any]:
    """One audit event flattened for the page and the exports (see ``COLUMNS``)."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    detail = ev.detail or {}
    from_name = state_name(procedure, ev.from_state)
    to_name = state_name(procedure, ev.to_state)
    changes = flatten_changes(ev.changes or {})
    return {
        "seq": ev.seq,
        "time": local_time(ev.at, zone),
        "actor": ev.actor_name,
        "actor_id": ev.actor_id,
        "action": ev.action,
        "event": _event_text(detail),
        "order_no": ev.order_no or "",
        "instance_id": ev.instance_id,
        "from_state": ev.from_state or "",
        "to_state": ev.to_state or "",
        "transition": f"{from_name or '—'} → {to_name or '—'}" if from_name or to_name else "",
        "change_lines": changes,
        "changes": "\n".join(changes),
        "reason": ev.reason or "",
        "signature": _signature(detail.get("signature"), zone),
        "document": str(detail.get("document", "")),
        "hash": ev.hash,
    }


def trail_rows(session: Session, instance_id: int, *, tz: str | ZoneInfo) -> list[dict[str, Any]]:
    """Every audit event of one instance, oldest first, flattened (times local to ``tz``).

    Each row has: seq, time, actor, action, event, from_state → to_state (``transition``,
    with the states' names), changes (one ``"field: old → new"`` line each, also as the list
    ``change_lines``), reason, signature (name, time, meaning), document, hash, order_no.
    """
    inst = session.get(Instance, instance_id)
    if inst is None:
        raise NotFound(f"no instance {instance_id}")
    events = session.exec(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.seq)
    ).all()
    return [event_row(ev, procedure=inst.procedure, tz=tz) for ev in events]


# --------------------------------------------------------------------------- exports


def headers() -> list[str]:
    """The export's header row, bilingual."""
    return [f"{zh} / {en}" for _, zh, en in COLUMNS]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (CSV only)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def trail_csv(rows: list[dict[str, Any]]) -> str:
    """The trail as CSV text, starting with a UTF-8 BOM so Excel reads the Chinese right.

    Encode the result as UTF-8. Cells that start like a formula (``=``, ``+``, ``-``, ``@``)
    are prefixed with ``'`` so a spreadsheet shows them instead of running them.
    """
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers())
    for row in rows:
        writer.writerow([_csv_safe(row.get(key, "")) for key, _, _ in COLUMNS])
    return buf.getvalue()


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_title(order_no: str) -> str:
    """A worksheet title (at most 31 characters, no ``[]:*?/\\``) naming the order."""
    title = _SHEET_FORBIDDEN.sub("-", f"审计轨迹 {order_no}".strip())
    return title[:31] or "审计轨迹"


def trail_xlsx(rows: list[dict[str, Any]], *, order_no: str | None = None) -> bytes:
    """The trail as an Excel workbook: bold frozen header, column widths, sheet titled by order.

    ``order_no`` defaults to the rows' order number. Text is always stored as text (never
    as a formula), with characters Excel cannot hold removed.
    """
    order_no = order_no or next((r.get("order_no") for r in rows if r.get("order_no")), "")
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(order_no or "")
    wb.properties.title = f"审计轨迹 / Audit trail {order_no}".strip()
    ws.append(headers())
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    for r, row in enumerate(rows, start=2):
        for c, (key, _, _) in enumerate(COLUMNS, start=1):
            value = row.get(key, "")
            cell = ws.cell(row=r, column=c)
            if isinstance(value, int) and not isinstance(value, bool):
                cell.value = value
            else:
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
                cell.data_type = "s"  # "=..." stays text, never a formula
            cell.alignment = wrap
    for c, (key, _, _) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = XLSX_WIDTHS.get(key, 16)
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(rows) + 1}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
