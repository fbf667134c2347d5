"""Bilingual (Chinese/English) texts of reminders and escalations, for mail and SMS.

Level 0 is a reminder to the assignee (提醒), level 1 an escalation to the
department head (部门负责人), level 2 an escalation to the GM office (总经办).
Pure functions, no I/O.
"""

from __future__ import annotations

__all__ = ["SMS_MAX_CHARS", "escalation_message", "sms_text"]

SMS_MAX_CHARS = 140

_TAG_ZH = {0: "【提醒】", 1: "【升级 L1】", 2: "【升级 L2】"}
_TAG_EN = {0: "[Reminder]", 1: "[Escalation L1]", 2: "[Escalation L2]"}
_WHO_ZH = {0: "请您处理", 1: "已升级至部门负责人", 2: "已升级至总经办"}
_WHO_EN = {
    0: "Please handle it",
    1: "Escalated to the department head",
    2: "Escalated to the GM office",
}


def _state(level: int, due: str) -> tuple[str, str]:
    """Short status in both languages: due time for reminders, overdue otherwise."""
    if level == 0:
        return f"请于 {due} 前完成", f"due {due}"
    return "已超时", "overdue"


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
) -> tuple[str, str]:
    """Return ``(subject, body)`` of a reminder (level 0) or escalation (1, 2).

    Subject and body carry both languages; ``lang`` ("zh" or "en") says which
    comes first. Example subject (level 1, zh):
    ``【升级 L1】订单 SO-001 生产通知单 已超时 / [Escalation L1] Order SO-001
    Production notice overdue``.
    """
    if level not in _TAG_ZH:
        raise ValueError(f"level must be 0, 1 or 2, got {level!r}")
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    state_zh, state_en = _state(level, due_at_local)
    subject_zh = f"{_TAG_ZH[level]}订单 {order_no} {task_title_zh} {state_zh}"
    subject_en = f"{_TAG_EN[level]} Order {order_no} {task_title_en} {state_en}"
    body_zh = "\n".join(
        [
            f"{_TAG_ZH[level]}订单 {order_no} 的任务「{task_title_zh}」{state_zh}。"
            f"{_WHO_ZH[level]}。",
            f"流程：{procedure_zh}",
            f"截止时间：{due_at_local}",
            f"处理链接：{link}",
        ]
    )
    body_en = "\n".join(
        [
            f'{_TAG_EN[level]} Task "{task_title_en}" of order {order_no} is {state_en}. '
            f"{_WHO_EN[level]}.",
            f"Procedure: {procedure_zh}",
            f"Due: {due_at_local}",
            f"Link: {link}",
        ]
    )
    if lang == "zh":
        return f"{subject_zh} / {subject_en}", f"{body_zh}\n\n{body_en}\n"
    return f"{subject_en} / {subject_zh}", f"{body_en}\n\n{body_zh}\n"


def sms_text(subject: str, link: str) -> str:
    """Short SMS text ``"<subject> <link>"`` of at most 140 characters.

    The link is kept whole. If the subject does not fit, its first language
    part (before `` / ``) is tried, then it is cut and ends with "…".
    """
    link = link.strip()
    room = SMS_MAX_CHARS - len(link) - 1  # one space between subject and link
    if room < 2:
        raise ValueError(f"link is too long for an SMS ({len(link)} characters)")
    subject = " ".join(subject.split())
    if len(subject) > room and " / " in subject:
        subject = subject.split(" / ", 1)[0]
    if len(subject) > room:
        subject = subject[: room - 1].rstrip() + "…"
    return f"{subject} {link}" if subject else link
