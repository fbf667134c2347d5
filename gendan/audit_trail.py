"""One instance's audit trail for the auditor: flattened rows, CSV and XLSX exports."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from gendan.audit_search import state_name
from gendan.errors import NotFound
from gendan.labels import both, labelled_changes
from gendan.models import AuditEvent, Document, Instance, Order
from notifications import times
from states import PROCEDURES

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
    "procedure": 26,
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
    # an instance with its own key and no order: its own papers, not every order-less one
    mine = Document.order_no == inst.order_no if inst.order_no else Document.instance_id == inst.id
    docs = session.exec(select(Document).where(mine).order_by(Document.id)).all()
    proc = PROCEDURES.get(inst.procedure)
    return InstanceRecord(
        instance=inst,
        order=order,
        documents=list(docs),
        procedure_zh=proc.title_zh if proc else inst.procedure,
        procedure_en=proc.title_en if proc else inst.procedure,
        state_name=state_name(inst.procedure, inst.state),
    )


#: A stored instant with its offset (``2026-11-23T12:09:00+00:00``): shown in company time.
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def _text(value: Any, zone: ZoneInfo | None = None) -> str:
    """A stored value as an auditor reads it; with ``zone``, a stored UTC instant in company
    time (a time typed into a form, without an offset, stays as typed)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是 / yes" if value else "否 / no"
    if zone is not None and (
        isinstance(value, datetime) or (isinstance(value, str) and _INSTANT.match(value))
    ):
        return local_time(value, zone)
    if isinstance(value, list | tuple):
        return ", ".join(_text(v, zone) for v in value) if value else "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def flatten_changes(changes: dict[str, Any], zone: ZoneInfo | None = None) -> list[str]:
    """One line per changed value (instants in company time when ``zone`` is given).

    ``{"old": a, "new": b}`` entries become ``"field: a → b"`` (with any extra keys, such
    as recalled document numbers, in brackets). Recorded forms (``form``, ``opinion``, the
    start form) have no old value: each field becomes ``"form.field: value"``.
    """
    lines: list[str] = []
    for key, val in changes.items():
        if isinstance(val, dict) and "old" in val and "new" in val:
            extra = {k: v for k, v in val.items() if k not in ("old", "new")}
            line = f"{key}: {_text(val['old'], zone)} → {_text(val['new'], zone)}"
            if extra:
                line += " (" + "; ".join(f"{k}: {_text(v, zone)}" for k, v in extra.items()) + ")"
            lines.append(line)
        elif isinstance(val, dict):
            for k, v in val.items():
                if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                    lines.extend(f"{key}.{k}[{i}]: {_text(x)}" for i, x in enumerate(v, 1))
                else:
                    lines.append(f"{key}.{k}: {_text(v, zone)}")
        else:
            lines.append(f"{key}: {_text(val, zone)}")
    return lines


def local_time(value: datetime | str | None, zone: str | ZoneInfo) -> str:
    """A stored UTC time (or ISO text) as company-local ``YYYY-MM-DD HH:MM:SS``; "" if none
    (``notifications.times.local``: one formatter for pages, printouts, messages, exports)."""
    return times.local(value, zone, TIME_FORMAT, empty="")


def _signature(sig: Any, zone: ZoneInfo) -> str:
    if not isinstance(sig, dict) or not sig:
        return ""
    meaning = str(sig.get("meaning", ""))
    parts = [str(sig.get("name", "")), local_time(sig.get("at"), zone)]
    parts.append(SIGNATURE_MEANINGS.get(meaning, meaning))
    return ", ".join(p for p in parts if p)


_DETAIL_SHOWN_ELSEWHERE = {"event", "step_zh", "step_en", "signature", "document"}


def _event_text(detail: dict[str, Any], zone: ZoneInfo | None = None) -> str:
    if detail.get("event"):
        label = " / ".join(str(detail[k]) for k in ("step_zh", "step_en") if detail.get(k))
        return f"{detail['event']} ({label})" if label else str(detail["event"])
    rest = {k: v for k, v in detail.items() if k not in _DETAIL_SHOWN_ELSEWHERE}
    return "; ".join(f"{k}: {_text(v, zone)}" for k, v in rest.items())


def event_row(ev: AuditEvent, *, procedure: str | None, tz: str | ZoneInfo) -> dict[str, Any]:
    """One audit event flattened for the page and the exports (see ``COLUMNS``)."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    detail = ev.detail or {}
    from_name = state_name(procedure, ev.from_state)
    to_name = state_name(procedure, ev.to_state)
    changes = flatten_changes(labelled_changes(ev.changes or {}), zone)
    return {
        "seq": ev.seq,
        "time": local_time(ev.at, zone),
        "actor": ev.actor_name,
        "actor_id": ev.actor_id,
        #: The action in words for exports ("办理 / decided"); ``action_key`` the stored key.
        "action": both("action", ev.action),
        "action_key": ev.action,
        "event_key": str(detail.get("event") or ""),
        "step_zh": str(detail.get("step_zh") or ""),
        "step_en": str(detail.get("step_en") or ""),
        "event": _event_text(labelled_changes(detail), zone),
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


def headers(columns: tuple[tuple[str, str, str], ...] = COLUMNS) -> list[str]:
    """The export's header row, bilingual."""
    return [f"{zh} / {en}" for _, zh, en in columns]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (CSV only)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def trail_csv(
    rows: list[dict[str, Any]], columns: tuple[tuple[str, str, str], ...] = COLUMNS
) -> str:
    """The trail as CSV text, starting with a UTF-8 BOM so Excel reads the Chinese right.

    Encode the result as UTF-8. Cells that start like a formula (``=``, ``+``, ``-``, ``@``)
    are prefixed with ``'`` so a spreadsheet shows them instead of running them.
    """
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers(columns))
    for row in rows:
        writer.writerow([_csv_safe(row.get(key, "")) for key, _, _ in columns])
    return buf.getvalue()


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_title(order_no: str) -> str:
    """A worksheet title (at most 31 characters, no ``[]:*?/\\``) naming the order."""
    title = _SHEET_FORBIDDEN.sub("-", f"审计轨迹 {order_no}".strip())
    return title[:31] or "审计轨迹"


def trail_xlsx(
    rows: list[dict[str, Any]],
    *,
    order_no: str | None = None,
    columns: tuple[tuple[str, str, str], ...] = COLUMNS,
) -> bytes:
    """The trail as an Excel workbook: bold frozen header, column widths, sheet titled by order.

    ``order_no`` defaults to the rows' order number. Text is always stored as text (never
    as a formula), with characters Excel cannot hold removed.
    """
    from openpyxl import Workbook  # here: ~11 MB that a web process needs only for exports
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    order_no = order_no or next((r.get("order_no") for r in rows if r.get("order_no")), "")
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(order_no or "")
    wb.properties.title = f"审计轨迹 / Audit trail {order_no}".strip()
    ws.append(headers(columns))
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    for r, row in enumerate(rows, start=2):
        for c, (key, _, _) in enumerate(columns, start=1):
            value = row.get(key, "")
            cell = ws.cell(row=r, column=c)
            if isinstance(value, int) and not isinstance(value, bool):
                cell.value = value
            else:
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
                cell.data_type = "s"  # "=..." stays text, never a formula
            cell.alignment = wrap
    for c, (key, _, _) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(c)].width = XLSX_WIDTHS.get(key, 16)
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
