"""Words for the raw keys people would otherwise read (``non_regular``, ``released``,
``order_change``, ``open``…), in Chinese and English.

One place, so pages, exports and messages say the same thing. ``label(group, key, lang)``
answers the word, or the key itself when the group does not know it (a new key shows as
itself instead of breaking a page). Procedure-scoped keys (states, decisions) take
``procedure=``; without it every procedure is searched and the first match wins.

Choice: states, decisions, procedures, forms and roles are read from their declarations
(``states/``, ``forms``, ``gendan.admin.ROLES``) rather than copied here, because a copy
would drift when a procedure changes; only words that live nowhere else are listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

Pair = tuple[str, str]

ORDER_KINDS: dict[str, Pair] = {
    "regular": ("常规订单", "regular"),
    "non_regular": ("非常规订单", "non-regular"),
    "repeat": ("返单", "repeat order"),
    "stock": ("生产库存订单", "make-to-stock"),
}

ORDER_STATUSES: dict[str, Pair] = {
    "reviewing": ("评审中", "in review"),
    "contracted": ("已签约", "contracted"),
    "released": ("已下达生产", "released to production"),
    "ready_to_ship": ("库存发货", "ready to ship from stock"),
    "declined": ("不接订单", "declined"),
    "cancelled": ("已取消", "cancelled"),
    "shipped": ("已发运", "shipped"),
    "delivered": ("已到货", "delivered"),
    "paid": ("货款已收回", "paid"),
}

TASK_STATUSES: dict[str, Pair] = {
    "scheduled": ("待开启", "scheduled"),
    "open": ("待办", "open"),
    "done": ("已完成", "done"),
    "cancelled": ("已取消", "cancelled"),
}

INSTANCE_STATUSES: dict[str, Pair] = {
    "running": ("进行中", "running"),
    "closed": ("已结束", "closed"),
}

DOCUMENT_STATUSES: dict[str, Pair] = {
    "issued": ("有效", "issued"),
    "recalled": ("已收回", "recalled"),
}

TIMER_STATUSES: dict[str, Pair] = {
    "pending": ("待触发", "pending"),
    "fired": ("已触发", "fired"),
    "cancelled": ("已取消", "cancelled"),
    "paused": ("已暂停", "paused"),
}

COPY_REASONS: dict[str, Pair] = {
    "informed": ("通知领导", "heads informed"),
    "mention": ("@提及", "mentioned"),
}

SIGNATURE_MEANINGS: dict[str, Pair] = {
    "approved": ("批准", "approved"),
    "reviewed": ("审核", "reviewed"),
    "rejected": ("驳回", "rejected"),
}

AUDIT_ACTIONS: dict[str, Pair] = {
    "start": ("发起", "started"),
    "transition": ("办理", "decided"),
    "countersign": ("会签意见", "countersign opinion"),
    "claim": ("认领", "claimed"),
    "unclaim": ("退回队列", "given back"),
    "delegate": ("转交", "delegated"),
    "reassign": ("改派", "reassigned"),
    "pause": ("暂停计时", "clock paused"),
    "resume": ("恢复计时", "clock resumed"),
    "waiting_reminder": ("等待提醒", "waiting reminder"),
    "remind": ("提醒", "reminder"),
    "urge": ("催办", "urged"),
    "act_on_escalation": ("按升级代为办理", "acted on escalation"),
    "escalate": ("升级", "escalated"),
    "breach": ("超期", "deadline missed"),
    "acknowledged": ("已确认收到", "acknowledged"),
    "ack_missed": ("未确认收到", "acknowledgement missed"),
    "stop": ("终止", "stopped"),
    "child_started": ("启动子流程", "sub-procedure started"),
    "child_closed": ("子流程结束", "sub-procedure closed"),
    "child_skipped": ("子流程未启动（该订单已有进行中的）", "sub-procedure not started (one runs)"),
    "job_failed": ("自动步骤失败（将重试）", "automatic step failed (will retry)"),
    "job_incident": ("自动步骤多次失败，转人工处理", "automatic step failed, handed to a person"),
    "notification_sent": ("通知已发送", "notification sent"),
    "notification_failed": ("通知发送失败", "notification failed"),
    "notification_dropped": ("过期提醒未发送", "stale reminder not sent"),
    "login": ("登录", "logged in"),
    "login_failed": ("登录失败", "login failed"),
    "login_failed_unknown": ("未知用户登录失败", "login failed (unknown user)"),
    "refused": ("请求被拒绝", "request refused"),
    "comment": ("评论", "comment"),
    "attachment_added": ("上传附件", "attachment added"),
    "copied": ("抄送", "copied"),
    "deadline_moved": ("期限调整（日历或业务日期）", "deadline moved (calendar or date)"),
    "dates_shifted": ("计划日期随交期顺移", "plan dates moved with the delivery date"),
    "task_opened": ("按业务日期开启任务", "task opened on its date"),
    "window_closed": ("异议期届满（无异议视为接受）", "window closed (silence is consent)"),
    "admin.create_user": ("新建用户", "user created"),
    "admin.update_user": ("修改用户", "user changed"),
    "admin.reset_password": ("重置密码", "password reset"),
    "admin.grant_role": ("授予岗位", "role granted"),
    "admin.revoke_role": ("撤销岗位", "role revoked"),
    "admin.create_department": ("新建部门", "department created"),
    "admin.update_department": ("修改部门", "department changed"),
    "admin.set_department_head": ("设置部门领导", "department head set"),
    "admin.set_calendar_day": ("设置日历日", "calendar day set"),
    "admin.remove_calendar_day": ("删除日历日", "calendar day removed"),
    "admin.set_channel": ("设置通知渠道", "channel set"),
    "admin.send_test": ("发送测试消息", "test message sent"),
    "admin.master_import": ("导入主数据", "master data imported"),
    "admin.master_customers_created": ("新建客户", "customer created"),
    "admin.master_customers_updated": ("修改客户", "customer changed"),
    "admin.master_lines_created": ("新建生产线", "production line created"),
    "admin.master_lines_updated": ("修改生产线", "production line changed"),
    "admin.master_teams_created": ("新建班组", "team created"),
    "admin.master_teams_updated": ("修改班组", "team changed"),
    "admin.master_settings_created": ("设置主数据参数", "setting entered"),
    "admin.master_settings_updated": ("修改主数据参数", "setting changed"),
}

#: Deadline kinds (``Task.deadline_kind``, ``gendan.timespec.BASIS``).
DEADLINE_KINDS: dict[str, Pair] = {
    "WM": ("工作分钟", "working minutes"),
    "WH": ("工作小时", "working hours"),
    "WD": ("工作日", "working days"),
    "day-hours": ("24小时=1工作日", "day-hours (24 h = 1 working day)"),
    "days": ("天数（取上限）", "days (upper bound)"),
    "calendar date": ("日历日期", "calendar date"),
    "same day": ("当天", "same day"),
    "date-anchored": ("按业务日期倒排", "counted back from a business date"),
    "immediate": ("立即（30工作分钟）", "immediate (30 working minutes)"),
    "vague": ("及时（1工作日）", "prompt (1 working day)"),
    "default": ("未规定（默认）", "not set by the seed (default)"),
}

#: Words of deadlines and lateness that pages assemble.
DEADLINE_WORDS: dict[str, Pair] = {
    "due": ("期限", "due"),
    "overdue": ("已超期", "overdue"),
    "on_time": ("按时", "on time"),
    "late": ("超期", "late"),
    "met": ("按时完成", "met"),
    "missed": ("超期完成", "missed"),
    "no_deadline": ("无期限", "no deadline"),
    "not_yet_due": ("未到期", "not yet due"),
    "scheduled": ("待开启", "opens later"),
    "paused": ("暂停计时", "paused"),
    "minute": ("工作分钟", "working minute"),
    "minutes": ("工作分钟", "working minutes"),
    "hour": ("工作小时", "working hour"),
    "hours": ("工作小时", "working hours"),
    "working_day": ("个工作日", "working day"),
    "working_days": ("个工作日", "working days"),
}

CUSTOMER_CLASSES: dict[str, Pair] = {
    "A": ("A类客户", "class A"),
    "B": ("B类客户", "class B"),
    "C": ("C类客户", "class C"),
}

_STATIC: dict[str, Mapping[str, Pair]] = {
    "order_kind": ORDER_KINDS,
    "order_status": ORDER_STATUSES,
    "task_status": TASK_STATUSES,
    "instance_status": INSTANCE_STATUSES,
    "document_status": DOCUMENT_STATUSES,
    "timer_status": TIMER_STATUSES,
    "copy_reason": COPY_REASONS,
    "signature": SIGNATURE_MEANINGS,
    "action": AUDIT_ACTIONS,
    "deadline_kind": DEADLINE_KINDS,
    "deadline": DEADLINE_WORDS,
    "customer_class": CUSTOMER_CLASSES,
}


def _split(name: str) -> Pair:
    """ "中文 / English" (how states are named) → the pair; a bare name serves both."""
    zh, sep, en = str(name).partition(" / ")
    return (zh, en) if sep else (zh, zh)


@cache
def _procedures() -> dict[str, Pair]:
    from states import PROCEDURES

    return {k: (p.title_zh, p.title_en) for k, p in PROCEDURES.items()}


@cache
def _states() -> dict[str, dict[str, Pair]]:
    from states import PROCEDURES

    return {k: {s.id: _split(s.name) for s in p.states} for k, p in PROCEDURES.items()}


@cache
def _decisions() -> dict[str, dict[str, Pair]]:
    from states import PROCEDURES

    out: dict[str, dict[str, Pair]] = {}
    for k, p in PROCEDURES.items():
        out[k] = {e: (s.label_zh, s.label_en) for e, s in p.steps.items()}
        out[k].setdefault("opinion", ("会签意见", "opinion"))
    return out


@cache
def _forms() -> dict[str, Pair]:
    import forms

    return {k: (m.title_zh, m.title_en) for k, m in forms.REGISTRY.items()}


def _roles() -> Mapping[str, tuple[str, ...]]:
    from gendan.admin import ROLES

    return ROLES


def pair(group: str, key: str | None, *, procedure: str | None = None) -> Pair | None:
    """The (zh, en) words of ``key`` in ``group``, or None when the group does not know it."""
    if key is None or key == "":
        return None
    if group in _STATIC:
        return _STATIC[group].get(key)
    if group == "procedure":
        return _procedures().get(key)
    if group in ("document", "form", "document_kind"):
        return _forms().get(key)
    if group == "role":
        found = _roles().get(key)
        return (found[0], found[1] if len(found) > 1 else found[0]) if found else None
    scoped = {"state": _states, "decision": _decisions}.get(group)
    if scoped is None:
        raise KeyError(f"unknown label group {group!r}")
    table = scoped()
    if procedure is not None and procedure in table:
        return table[procedure].get(key)
    for words in table.values():
        if key in words:
            return words[key]
    return None


def label(group: str, key: str | None, lang: str = "zh", *, procedure: str | None = None) -> str:
    """The word for ``key`` in ``lang`` ("zh" or "en"); the key itself if it is unknown."""
    found = pair(group, key, procedure=procedure)
    if found is None:
        return "" if key is None else str(key)
    zh, en = found
    return zh if lang == "zh" else (en or zh)


def both(group: str, key: str | None, *, procedure: str | None = None) -> str:
    """ "中文 / English" for exports read in either language (CSV, XLSX)."""
    found = pair(group, key, procedure=procedure)
    if found is None:
        return "" if key is None else str(key)
    zh, en = found
    return zh if zh == en else f"{zh} / {en}"


#: A stored field (the last part of its path) → the label group of its values, so the audit
#: record reads "order.status: 评审中 / in review → 已签约 / contracted".
VALUE_GROUPS = {
    "status": "order_status",
    "kind": "order_kind",
    "procedure": "procedure",
    "parent_procedure": "procedure",  # a linked sub-procedure's start names its parent's
    "decision": "decision",
    "customer_class": "customer_class",
}


def value_words(path: str, value: object) -> object:
    """A stored value of the field ``path`` in both languages when it is a known key."""
    group = VALUE_GROUPS.get(path.rsplit(".", 1)[-1])
    if group and isinstance(value, str) and pair(group, value) is not None:
        return both(group, value)
    return value


def labelled_changes(changes: dict) -> dict:
    """An audit event's changes (or detail) with known key values in words; field paths stay
    as recorded (Choice: they name the record's own fields, which the auditor searches by)."""
    out: dict = {}
    for key, val in changes.items():
        if isinstance(val, dict) and "old" in val and "new" in val:
            out[key] = {
                **val,
                "old": value_words(key, val["old"]),
                "new": value_words(key, val["new"]),
            }
        elif isinstance(val, dict):
            out[key] = {k: value_words(f"{key}.{k}", v) for k, v in val.items()}
        else:
            out[key] = value_words(key, val)
    return out


def groups() -> tuple[str, ...]:
    """Every group ``label`` knows (for tests that sweep pages for raw keys)."""
    return (*_STATIC, "procedure", "form", "document", "document_kind", "role", "state", "decision")


def labeller(lang: str):  # noqa: ANN201 - a Jinja helper
    """``L(group, key, procedure=None)`` bound to a page's language, for templates."""

    def L(group: str, key: str | None, procedure: str | None = None) -> str:  # noqa: N802
        return label(group, key, lang, procedure=procedure)

    return L
