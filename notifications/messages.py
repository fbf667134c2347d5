"""Bilingual (Chinese/English) texts of reminders and escalations, for mail and SMS.

Level 0 is a reminder to the assignee (提醒), level 1 an escalation to the
department head (部门负责人), level 2 an escalation to the GM office (总经办).
Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ACK_LABEL",
    "SMS_MAX_CHARS",
    "ack_missed_message",
    "mention_message",
    "ref_words",
    "audit_seal_message",
    "digest_message",
    "escalation_message",
    "fact_lines",
    "lateness",
    "new_task_message",
    "message_id",
    "sms_text",
    "urge_message",
    "waiting_reminder_message",
]

SMS_MAX_CHARS = 140
#: Put before the acknowledgement link of an urgent SMS ("confirm receipt").
ACK_LABEL = "确认收到/Ack:"
#: An urgent SMS keeps the task link too only if the subject still gets this many characters.
_MIN_SUBJECT_WITH_TWO_LINKS = 24

_TAG_ZH = {0: "【提醒】", 1: "【升级 L1】", 2: "【升级 L2】"}
_TAG_EN = {0: "[Reminder]", 1: "[Escalation L1]", 2: "[Escalation L2]"}
_WHO_ZH = {0: "请您处理", 1: "已升级至部门负责人", 2: "已升级至总经办"}
_WHO_EN = {
    0: "Please handle it",
    1: "Escalated to the department head",
    2: "Escalated to the GM office",
}


def ref_words(context: Mapping[str, Any]) -> tuple[str, str]:
    """What a message is about (zh, en): an order, or the subject of an instance that serves
    none (采购单 PO-000042, issue 10); the context's ``ref_zh``/``ref_en``."""
    zh, en = str(context.get("ref_zh") or "订单"), str(context.get("ref_en") or "Order")
    return zh, en[:1].upper() + en[1:]


def lateness(minutes: int) -> tuple[str, str]:
    """Working time late, in both languages: ``("超时 2 工作小时 15 分", "2 working hours
    15 min late")``; ``("", "")`` when not late."""
    if minutes <= 0:
        return "", ""
    h, m = divmod(minutes, 60)
    hours = f"{h} working hour{'s' if h != 1 else ''}"
    if h and m:
        return f"超时 {h} 工作小时 {m} 分", f"{hours} {m} min late"
    if h:
        return f"超时 {h} 工作小时", f"{hours} late"
    return f"超时 {m} 工作分钟", f"{m} working min late"


def _item_facts(item: dict[str, object]) -> tuple[str, str]:
    """Customer, product and delivery date of a message item, in both languages."""
    values = [str(item.get(k) or "") for k in ("customer", "product", "delivery_date")]
    return _facts_zh(*values), _facts_en(*values)


def _state(
    level: int, due: str, *, overdue: bool = False, late_minutes: int = 0
) -> tuple[str, str]:
    """Short status in both languages: due time for reminders, overdue (and how late) else."""
    if level == 0 and not overdue:
        return f"请于 {due} 前完成", f"due {due}"
    late_zh, late_en = lateness(late_minutes)
    if late_zh:
        return f"已{late_zh}", late_en
    return "已超时", "overdue"


def _facts_zh(customer: str, product: str, delivery_date: str) -> str:
    parts = [f"客户：{customer}" if customer else "", f"产品：{product}" if product else ""]
    parts.append(f"交期：{delivery_date}" if delivery_date else "")
    return "；".join(p for p in parts if p)


def _facts_en(customer: str, product: str, delivery_date: str) -> str:
    parts = [f"Customer: {customer}" if customer else "", f"Product: {product}" if product else ""]
    parts.append(f"Delivery: {delivery_date}" if delivery_date else "")
    return "; ".join(p for p in parts if p)


def escalation_message(
    *,
    level: int,
    task_title_zh: str,
    task_title_en: str,
    order_no: str,
    procedure_zh: str,
    due_at_local: str,
    link: str,
    lang: str = "zh",
    procedure_en: str = "",
    customer: str = "",
    product: str = "",
    delivery_date: str = "",
    holder_zh: str = "",
    holder_en: str = "",
    late_minutes: int = 0,
    overdue: bool = False,
    ref: tuple[str, str] = ("订单", "Order"),
) -> tuple[str, str]:
    """Return ``(subject, body)`` of a reminder (level 0) or escalation (1, 2).

    The body names the customer, product, delivery date and who holds the task (a person or
    the unclaimed queue) when given; an overdue task says how late in working time.

    Subject and body carry both languages; ``lang`` ("zh" or "en") says which
    comes first. Example subject (level 1, zh):
    ``【升级 L1】订单 SO-001 生产通知单 已超时 / [Escalation L1] Order SO-001
    Production notice overdue``.
    """
    if level not in _TAG_ZH:
        raise ValueError(f"level must be 0, 1 or 2, got {level!r}")
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    state_zh, state_en = _state(level, due_at_local, overdue=overdue, late_minutes=late_minutes)
    subject_zh = f"{_TAG_ZH[level]}{ref[0]} {order_no} {task_title_zh} {state_zh}"
    subject_en = f"{_TAG_EN[level]} {ref[1]} {order_no} {task_title_en} {state_en}"
    who_zh = _WHO_ZH[level] if level or not overdue else "请尽快处理"
    who_en = _WHO_EN[level] if level or not overdue else "Please handle it now"
    facts_zh = _facts_zh(customer, product, delivery_date)
    facts_en = _facts_en(customer, product, delivery_date)
    late_zh, late_en = lateness(late_minutes)
    body_zh = "\n".join(
        line
        for line in [
            f"{_TAG_ZH[level]}{ref[0]} {order_no} 的任务「{task_title_zh}」{state_zh}。{who_zh}。",
            facts_zh,
            f"流程：{procedure_zh}",
            f"当前处理人：{holder_zh}" if holder_zh else "",
            f"截止时间：{due_at_local}（公司时间）",
            late_zh and f"超时：{late_zh.removeprefix('超时 ')}（按工作时间计）",
            f"处理链接：{link}",
        ]
        if line
    )
    body_en = "\n".join(
        line
        for line in [
            f'{_TAG_EN[level]} Task "{task_title_en}" of {ref[1].lower()} {order_no} '
            f"is {state_en}. {who_en}.",
            facts_en,
            f"Procedure: {procedure_en or procedure_zh}",
            f"Held by: {holder_en}" if holder_en else "",
            f"Due: {due_at_local} (company time)",
            late_en and f"Late: {late_en.removesuffix(' late')} (working time)",
            f"Link: {link}",
        ]
        if line
    )
    if lang == "zh":
        return f"{subject_zh} / {subject_en}", f"{body_zh}\n\n{body_en}\n"
    return f"{subject_en} / {subject_zh}", f"{body_en}\n\n{body_zh}\n"


def sms_text(subject: str, link: str, ack_link: str = "") -> str:
    """Short SMS text ``"<subject> <link>"`` of at most 140 characters.

    The link is kept whole. If the subject does not fit, its first language
    part (before `` / ``) is tried, then it is cut and ends with "…".

    With ``ack_link`` (an urgent SMS the recipient must acknowledge, 004R 四)
    the text is ``"<subject> <link> 确认收到/Ack: <ack_link>"``; the
    acknowledgement link always stays whole, and the task link is left out
    when keeping it would leave the subject fewer than 24 characters (the
    acknowledgement page links to the task).
    """
    link = link.strip()
    ack_link = ack_link.strip()
    if ack_link:
        ack = f"{ACK_LABEL} {ack_link}"
        both = f"{link} {ack}" if link else ack
        tail = both if SMS_MAX_CHARS - len(both) - 1 >= _MIN_SUBJECT_WITH_TWO_LINKS else ack
    else:
        tail = link
    room = SMS_MAX_CHARS - len(tail) - 1  # one space between subject and link
    if room < 2:
        raise ValueError(f"link is too long for an SMS ({len(tail)} characters)")
    subject = " ".join(subject.split())
    if len(subject) > room and " / " in subject:
        subject = subject.split(" / ", 1)[0]
    if len(subject) > room:
        subject = subject[: room - 1].rstrip() + "…"
    return f"{subject} {tail}" if subject else tail


def fact_lines(facts: dict[str, object] | None) -> tuple[list[str], list[str]]:
    """Lines naming the order's customer, product and delivery date, the task's holder, its
    due time (company time, ``due_local``) and lateness in working time, in both languages;
    empty for what ``facts`` does not know."""
    if not facts:
        return [], []
    zh, en = _item_facts(facts)
    late_zh, late_en = lateness(int(facts.get("late_minutes") or 0))  # type: ignore[call-overload]
    due = str(facts.get("due_local") or "")
    lines_zh = [
        zh,
        f"当前处理人：{facts['holder_zh']}" if facts.get("holder_zh") else "",
        f"任务截止：{due}（公司时间）" if due else "",
        f"超时：{late_zh.removeprefix('超时 ')}（按工作时间计）" if late_zh else "",
    ]
    lines_en = [
        en,
        f"Held by: {facts['holder_en']}" if facts.get("holder_en") else "",
        f"Task due: {due} (company time)" if due else "",
        f"Late: {late_en.removesuffix(' late')} (working time)" if late_en else "",
    ]
    return [line for line in lines_zh if line], [line for line in lines_en if line]


def ack_missed_message(
    *,
    order_no: str,
    task_title_zh: str,
    task_title_en: str,
    recipient: str,
    sent_at_local: str,
    due_at_local: str,
    link: str,
    lang: str = "zh",
    facts: dict[str, object] | None = None,
    ref: tuple[str, str] = ("订单", "Order"),
) -> tuple[str, str]:
    """``(subject, body)`` telling the GM office that an urgent SMS was not acknowledged.

    004R 四: "在无法联系另一方时，必须上报总经办批示" — the head concerned could
    not be reached; the GM office decides. Both languages, ``lang`` first.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    who = recipient or "—"
    more_zh, more_en = fact_lines(facts)
    subject_zh = f"【未确认】{ref[0]} {order_no} {task_title_zh} 紧急短信未获确认"
    subject_en = f"[Unacknowledged] {ref[1]} {order_no} {task_title_en}: urgent SMS not confirmed"
    body_zh = "\n".join(
        [
            f"发给 {who} 的紧急短信（{ref[0]} {order_no}「{task_title_zh}」）"
            f"在 30 分钟内未确认收到，请总经办批示。",
            *more_zh,
            f"发送时间：{sent_at_local}",
            f"确认期限：{due_at_local}",
            f"处理链接：{link}",
        ]
    )
    body_en = "\n".join(
        [
            f'The urgent SMS to {who} about "{task_title_en}" of {ref[1].lower()} {order_no} '
            "was not acknowledged within 30 minutes; the GM office decides.",
            *more_en,
            f"Sent: {sent_at_local}",
            f"Acknowledgement due: {due_at_local}",
            f"Link: {link}",
        ]
    )
    if lang == "en":
        return f"{subject_en} / {subject_zh}", f"{body_en}\n\n{body_zh}\n"
    return f"{subject_zh} / {subject_en}", f"{body_zh}\n\n{body_en}\n"


def waiting_reminder_message(
    *,
    task_title_zh: str,
    task_title_en: str,
    order_no: str,
    procedure_zh: str,
    procedure_en: str,
    party_zh: str,
    party_en: str,
    since_local: str,
    waited_minutes: int,
    link: str,
    lang: str = "zh",
    facts: dict[str, object] | None = None,
    ref: tuple[str, str] = ("订单", "Order"),
) -> tuple[str, str]:
    """``(subject, body)`` reminding the holder of a paused task that an answer is awaited.

    The task's clock stopped when it was paused on an outside party (the customer,
    a supplier, a subcontractor); once a working day the holder is asked to chase
    the answer. Both languages, ``lang`` first. ``waited_minutes`` is working time.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    h, m = divmod(max(waited_minutes, 0), 60)
    subject_zh = (
        f"【等待答复】{ref[0]} {order_no} {task_title_zh}：自 {since_local} 起等待{party_zh}答复"
    )
    subject_en = (
        f"[Waiting] {ref[1]} {order_no} {task_title_en}: "
        f"awaiting {party_en}'s answer since {since_local}"
    )
    body_zh = "\n".join(
        [
            f"{ref[0]} {order_no} 的任务「{task_title_zh}」自 {since_local} 起暂停计时，"
            f"等待{party_zh}答复，已等待 {h} 小时 {m:02d} 分（工作时间）。",
            f"请跟进{party_zh}；收到答复后恢复计时或直接处理任务。",
            *fact_lines(facts)[0],
            f"流程：{procedure_zh}",
            f"处理链接：{link}",
        ]
    )
    body_en = "\n".join(
        [
            f'Task "{task_title_en}" of {ref[1].lower()} {order_no} has been paused since '
            f"{since_local}, "
            f"waiting for {party_en}'s answer: {h}h{m:02d}m of working time so far.",
            f"Please chase {party_en}; once the answer is in, resume the clock or decide the task.",
            *fact_lines(facts)[1],
            f"Procedure: {procedure_en or procedure_zh}",
            f"Link: {link}",
        ]
    )
    if lang == "en":
        return f"{subject_en} / {subject_zh}", f"{body_en}\n\n{body_zh}\n"
    return f"{subject_zh} / {subject_en}", f"{body_zh}\n\n{body_en}\n"


def message_id(*, notification_id: int, cause: str, address: str, host: str) -> str:
    """The e-mail ``Message-ID`` of one outbox row, the same on every (re-)send of it.

    ``<gendan.n42.3f1c9a0b5e7d2c41@gendan.factory.example>``: the row's id, a hash
    of what it is about (cause and recipient, so IDs of two databases do not
    collide) and gendan's host. A copy sent again after a crash between the SMTP
    server's "250 accepted" and our commit of "sent" carries the same ID, so mail
    systems and readers can recognise it as the same message.
    """
    digest = hashlib.sha256(f"{cause}\x1f{address}".encode()).hexdigest()[:16]
    domain = re.sub(r"[^A-Za-z0-9.-]", "", host).strip(".") or "gendan.invalid"
    return f"<gendan.n{notification_id}.{digest}@{domain}>"


def audit_seal_message(*, seq: int, sealed_at_local: str, line: str, link: str) -> tuple[str, str]:
    """``(subject, body)`` carrying one seal of the audit trail to the auditors: the anchor
    line exactly as written, so the mailbox is one more copy of the anchor outside gendan."""
    subject = (
        f"【审计封存】审计记录已封存至第 {seq} 条 / [Audit seal] trail sealed up to event {seq}"
    )
    body = "\n".join(
        [
            f"审计记录已封存至第 {seq} 条（{sealed_at_local}）。"
            "请保留本邮件：下面一行是签名的封存记录，核对时与系统中的记录比较。",
            f"The audit trail was sealed up to event {seq} ({sealed_at_local}). Keep this e-mail: "
            "the line below is the signed seal, to compare with gendan's copy when verifying.",
            "",
            line,
            "",
            link,
        ]
    )
    return subject, body + "\n"


def mention_message(
    *,
    order_no: str,
    author: str,
    procedure_zh: str,
    procedure_en: str,
    excerpt: str,
    at_local: str,
    link: str,
    lang: str = "zh",
    ref: tuple[str, str] = ("订单", "Order"),
) -> tuple[str, str]:
    """``(subject, body)`` telling a colleague they were @mentioned in a comment (and so copied
    on the instance): who, on which order and procedure, when (company time), what was said.
    Both languages, ``lang`` first."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    subject_zh = f"【@提及】{author} 在{ref[0]} {order_no} 的{procedure_zh}中提到了您"
    subject_en = f"[Mention] {author} mentioned you on order {order_no} ({procedure_en})"
    body_zh = "\n".join(
        [
            f"{author} 于 {at_local} 在{ref[0]} {order_no}「{procedure_zh}」的评论中提到了您，"
            "您已被抄送此流程：",
            f"“{excerpt}”",
            f"查看并回复：{link}",
        ]
    )
    body_en = "\n".join(
        [
            f"{author} mentioned you in a comment on order {order_no} ({procedure_en}) at "
            f"{at_local}; you are now copied on it:",
            f'"{excerpt}"',
            f"Read and answer: {link}",
        ]
    )
    if lang == "en":
        return f"{subject_en} / {subject_zh}", f"{body_en}\n\n{body_zh}\n"
    return f"{subject_zh} / {subject_en}", f"{body_zh}\n\n{body_en}\n"


def _item_line_zh(item: dict[str, object]) -> str:
    level = int(item.get("level") or 0)  # type: ignore[call-overload]
    late_zh, _ = lateness(int(item.get("late_minutes") or 0))  # type: ignore[call-overload]
    tag = f"L{level}" if level else "提醒"
    state = late_zh or f"截止 {item.get('due_local', '—')}"
    facts = "，".join(str(item[k]) for k in ("customer", "product") if item.get(k))
    return (
        f"- [{tag}] {ref_words(item)[0]} {item.get('order_no', '')}（{facts}）"
        f"「{item.get('task_title_zh', '')}」"
        f" 处理人：{item.get('holder_zh', '—')}；截止 {item.get('due_local', '—')}；{state}\n"
        f"  {item.get('link', '')}"
    )


def _item_line_en(item: dict[str, object]) -> str:
    level = int(item.get("level") or 0)  # type: ignore[call-overload]
    _, late_en = lateness(int(item.get("late_minutes") or 0))  # type: ignore[call-overload]
    tag = f"L{level}" if level else "reminder"
    state = late_en or f"due {item.get('due_local', '—')}"
    facts = ", ".join(str(item[k]) for k in ("customer", "product") if item.get(k))
    return (
        f"- [{tag}] {ref_words(item)[1]} {item.get('order_no', '')} ({facts})"
        f" \"{item.get('task_title_en', '')}\""
        f" held by {item.get('holder_en', '—')}; due {item.get('due_local', '—')}; {state}\n"
        f"  {item.get('link', '')}"
    )


def digest_message(
    *, items: list[dict[str, object]], link: str, lang: str = "zh"
) -> tuple[str, str]:
    """``(subject, body)`` of one sweep's reminders and escalations for one person.

    Each item names order, customer, product, step, holder, due time (company time, already
    formatted as ``due_local``), lateness in working time and its task link (``link``); the
    message links to the escalation view (``link``). Both languages, ``lang`` first.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    n = len(items)
    orders = sorted({str(i.get("order_no", "")) for i in items})
    shown = "、".join(orders[:3]) + ("…" if len(orders) > 3 else "")
    all_orders = all(ref_words(i)[0] == "订单" for i in items)
    word_zh, word_en = ("订单 ", "orders ") if all_orders else ("", "")
    subject_zh = f"【升级汇总】{n} 项任务需要您关注（{word_zh}{shown}）"
    subject_en = f"[Escalations] {n} tasks need your attention ({word_en}{', '.join(orders[:3])}"
    subject_en += "…)" if len(orders) > 3 else ")"
    body_zh = "\n".join(
        [f"本次检查有 {n} 项任务超时或临近截止（截止时间为公司时间，超时按工作时间计）："]
        + [_item_line_zh(i) for i in items]
        + [f"升级视图：{link}"]
    )
    body_en = "\n".join(
        [
            f"This check found {n} tasks overdue or close to their deadline "
            "(due times in company time, lateness in working time):"
        ]
        + [_item_line_en(i) for i in items]
        + [f"Escalations: {link}"]
    )
    if lang == "en":
        return f"{subject_en} / {subject_zh}", f"{body_en}\n\n{body_zh}\n"
    return f"{subject_zh} / {subject_en}", f"{body_zh}\n\n{body_en}\n"


def new_task_message(*, item: dict[str, object], queue: bool, link: str, lang: str = "zh"
                     ) -> tuple[str, str]:
    """``(subject, body)`` telling a person a task arrived for them (``queue``: for their role,
    to claim). ``item`` as in :func:`digest_message`."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    order_no = item.get("order_no", "")
    rz, ren = ref_words(item)
    subject_zh = f"【新任务】{rz} {order_no} {item.get('task_title_zh', '')}"
    subject_en = f"[New task] {ren} {order_no} {item.get('task_title_en', '')}"
    facts_zh, facts_en = _item_facts(item)
    body_zh = "\n".join(
        line
        for line in [
            f"{rz} {order_no} 有一项新任务「{item.get('task_title_zh', '')}」"
            + ("待您的岗位认领。" if queue else "交由您处理。"),
            facts_zh,
            f"流程：{item.get('procedure_zh', '')}",
            f"当前处理人：{item.get('holder_zh', '')}",
            f"截止时间：{item.get('due_local', '—')}（公司时间）",
            f"处理链接：{link}",
        ]
        if line
    )
    body_en = "\n".join(
        line
        for line in [
            f'{ren} {order_no} has a new task "{item.get("task_title_en", "")}"'
            + (" for your role to claim." if queue else " for you."),
            facts_en,
            f"Procedure: {item.get('procedure_en') or item.get('procedure_zh', '')}",
            f"Held by: {item.get('holder_en', '')}",
            f"Due: {item.get('due_local', '—')} (company time)",
            f"Link: {link}",
        ]
        if line
    )
    if lang == "en":
        return f"{subject_en} / {subject_zh}", f"{body_en}\n\n{body_zh}\n"
    return f"{subject_zh} / {subject_en}", f"{body_zh}\n\n{body_en}\n"


def urge_message(
    *, item: dict[str, object], by: str, note: str, link: str, lang: str = "zh"
) -> tuple[str, str]:
    """``(subject, body)`` of a head's (or the GM office's) reminder to the holder, with their
    note. ``item`` as in :func:`digest_message`."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    order_no = item.get("order_no", "")
    late_zh, late_en = lateness(int(item.get("late_minutes") or 0))  # type: ignore[call-overload]
    rz, ren = ref_words(item)
    subject_zh = f"【催办】{by}：{rz} {order_no} {item.get('task_title_zh', '')}"
    subject_en = f"[Reminder from {by}] {ren} {order_no} {item.get('task_title_en', '')}"
    facts_zh, facts_en = _item_facts(item)
    body_zh = "\n".join(
        line
        for line in [
            f"{by} 催办{rz} {order_no} 的任务「{item.get('task_title_zh', '')}」：{note}",
            facts_zh,
            f"当前处理人：{item.get('holder_zh', '')}",
            f"截止时间：{item.get('due_local', '—')}（公司时间）",
            late_zh,
            f"处理链接：{link}",
        ]
        if line
    )
    body_en = "\n".join(
        line
        for line in [
            f'{by} asks about task "{item.get("task_title_en", "")}" of {ren.lower()} {order_no}: '
            f"{note}",
            facts_en,
            f"Held by: {item.get('holder_en', '')}",
            f"Due: {item.get('due_local', '—')} (company time)",
            late_en and f"{late_en} (working time)",
            f"Link: {link}",
        ]
        if line
    )
    if lang == "en":
        return f"{subject_en} / {subject_zh}", f"{body_en}\n\n{body_zh}\n"
    return f"{subject_zh} / {subject_en}", f"{body_zh}\n\n{body_en}\n"


def stale_reminder(item: dict[str, object], now_iso: str) -> bool:
    """A reminder (level 0, not an overdue notice) whose deadline has passed by ``now_iso``:
    not worth sending ("finish before …" after the time)."""
    if int(item.get("level") or 0) != 0 or item.get("overdue"):  # type: ignore[call-overload]
        return False
    due = item.get("due_at")
    return bool(due) and str(due) <= now_iso
