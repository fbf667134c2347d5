"""Rendering the outbox rows about tasks: escalation, digest, new task, urge.

The row's context holds facts (``gendan.message_context``: UTC instants, working minutes);
here they become company-time text and links, at delivery. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from notifications.messages import (
    digest_message,
    escalation_message,
    new_task_message,
    ref_words,
    stale_reminder,
    urge_message,
)

#: Templates this module renders.
TASK_TEMPLATES = frozenset({"escalation", "digest", "new_task", "urge"})


def local_text(value: Any, tz: ZoneInfo) -> str:
    """An ISO instant as company wall-clock time, e.g. ``2026-11-24 10:00``; "—" if none."""
    if not value:
        return "—"
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _iso(now: datetime | None) -> str:
    return now.astimezone(UTC).isoformat() if now else ""


def live_items(template: str, context: Mapping[str, Any], now: datetime | None) -> list[dict]:
    """The items still worth sending at ``now``: reminders past their deadline are left out."""
    items = list(context.get("items", [])) if template == "digest" else [dict(context)]
    if now is None:
        return items
    return [i for i in items if not stale_reminder(_utc_item(i), _iso(now))]


def _utc_item(item: dict[str, Any]) -> dict[str, Any]:
    due = item.get("due_at")
    if due:
        instant = datetime.fromisoformat(str(due))
        instant = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
        item = {**item, "due_at": instant.astimezone(UTC).isoformat()}
    return item


def is_stale(template: str, context: Mapping[str, Any], now: datetime) -> bool:
    """Nothing left to say at ``now`` (a lone reminder, or a digest of reminders, past due)."""
    if template not in ("escalation", "digest"):
        return False
    return not live_items(template, context, now)


def facts_for(context: Mapping[str, Any], tz: ZoneInfo) -> dict[str, object]:
    """The order and task facts of another template's context (``fact_lines`` shows them);
    the task's due time is ``task_due_at`` there (``due_at`` may be another deadline)."""
    keys = ("customer", "product", "delivery_date", "holder_zh", "holder_en", "late_minutes")
    facts: dict[str, object] = {k: context[k] for k in keys if context.get(k)}
    if context.get("task_due_at"):
        facts["due_local"] = local_text(context["task_due_at"], tz)
    return facts


def _shown(item: dict[str, Any], base: str, tz: ZoneInfo) -> dict[str, Any]:
    return {
        **item,
        "due_local": local_text(item.get("due_at"), tz),
        "link": f"{base}/tasks/{item.get('task_id')}",
    }


def render_task_message(
    template: str,
    context: Mapping[str, Any],
    *,
    base_url: str,
    tz: ZoneInfo,
    lang: str = "zh",
    now: datetime | None = None,
) -> tuple[str, str, str]:
    """``(subject, body, link)`` of one of :data:`TASK_TEMPLATES`."""
    base = base_url.rstrip("/")
    if template == "digest":
        items = [_shown(i, base, tz) for i in live_items(template, context, now)]
        if len(items) == 1:  # the others went stale: a plain message for the one left
            return render_task_message("escalation", items[0], base_url=base, tz=tz, lang=lang)
        link = f"{base}/escalations"
        subject, body = digest_message(items=items, link=link, lang=lang)
        return subject, body, link
    item = _shown(dict(context), base, tz)
    link = item["link"]
    if template == "new_task":
        subject, body = new_task_message(
            item=item, queue=bool(context.get("queue")), link=link, lang=lang
        )
        return subject, body, link
    if template == "urge":
        subject, body = urge_message(
            item=item,
            by=str(context.get("by_name", "")),
            note=str(context.get("note", "")),
            link=link,
            lang=lang,
        )
        return subject, body, link
    subject, body = escalation_message(
        level=int(context["level"]),
        task_title_zh=str(context.get("task_title_zh", "")),
        task_title_en=str(context.get("task_title_en", "")),
        order_no=str(context.get("order_no", "")),
        procedure_zh=str(context.get("procedure_zh", "")),
        procedure_en=str(context.get("procedure_en", "")),
        due_at_local=item["due_local"],
        customer=str(context.get("customer", "")),
        product=str(context.get("product", "")),
        delivery_date=str(context.get("delivery_date", "")),
        holder_zh=str(context.get("holder_zh", "")),
        holder_en=str(context.get("holder_en", "")),
        late_minutes=int(context.get("late_minutes") or 0),
        overdue=bool(context.get("overdue")),
        link=link,
        lang=lang,
        ref=ref_words(context),
    )
    return subject, body, link
