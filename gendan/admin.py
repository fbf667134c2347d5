"""Administration: people, roles, departments and their heads, the company calendar, channels.

Each change function is one administrative act inside the caller's transaction:
it validates its input (``InvalidForm`` naming the field, before anything is
written), makes the change, and appends an audit event ``admin.<what>`` whose
``changes`` hold the old and new values, with the administrator as actor.

What never leaves this module: password hashes (functions return ``UserInfo``,
which has none) and passwords (audited as ``***``). Channel URLs are stored in
full, because delivery needs them, but are shown and audited masked
(``smtp://user:***@host``).

Values arrive as the forms post them (strings); ids, dates and flags are
parsed here so that a bad value is a field error, not a server error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import holidays
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gendan import audit
from gendan.calendar import BusinessCalendar
from gendan.db import reader, unit_of_work
from gendan.errors import InvalidForm, NotFound
from gendan.models import ApiToken, CalendarDay, ChannelSetting, Department, User, UserRole
from gendan.org import Actor
from gendan.security import hash_password
from gendan.settings import Settings
from notifications import channels
from notifications.channels import DeliveryResult, Message

__all__ = [
    "CHANNEL_KEYS",
    "LANGUAGES",
    "MASK",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "ChannelView",
    "DayView",
    "UserInfo",
    "calendar_preview",
    "channel_views",
    "create_department",
    "create_user",
    "effective_channels",
    "grant_role",
    "mask_secrets",
    "mask_url",
    "remove_calendar_day",
    "reset_password",
    "revoke_role",
    "send_test",
    "set_calendar_day",
    "set_channel",
    "set_department_head",
    "channel_test_message",
    "update_department",
    "update_user",
]

#: Role key → (Chinese, English): PROCEDURES.md "Roles", plus the system's own two.
ROLES: dict[str, tuple[str, str]] = {
    "sales_clerk": ("销售内勤", "Sales clerk"),
    "salesperson": ("业务员", "Salesperson"),
    "merchandiser": ("跟单员", "Merchandiser"),
    "merchandising_lead": ("跟单主管", "Merchandising lead"),
    "production_planner": ("生产计划员 (PC)", "Production planner (PC)"),
    "material_controller": ("物控计划员 (MC)", "Material controller (MC)"),
    "production_manager": ("生产部经理", "Production manager"),
    "workshop_director": ("车间主任", "Workshop director"),
    "engineering": ("技术部", "Engineering"),
    "buyer": ("采购员", "Buyer"),
    "purchasing_lead": ("采购主管", "Purchasing lead"),
    "warehouse_keeper": ("仓管员", "Warehouse keeper"),
    "qc_inspector": ("品管检验员", "QC inspector"),
    "qa_lead": ("质管部领导", "QA lead"),
    "outsourcing_coordinator": ("外协员", "Outsourcing coordinator"),
    "finance": ("财务", "Finance"),
    "after_sales": ("售后服务", "After-sales"),
    "logistics": ("储运", "Logistics"),
    "dept_head": ("部门领导", "Department head"),
    "general_manager": ("总经理", "General manager"),
    "auditor": ("审核员", "Auditor"),
    "admin": ("系统管理员", "Administrator"),
}
LANGUAGES: dict[str, tuple[str, str]] = {"zh": ("中文", "Chinese"), "en": ("英文", "English")}
#: The settings an administrator may override, with their labels.
CHANNEL_KEYS: dict[str, tuple[str, str]] = {
    "smtp_url": ("邮件服务器 (SMTP)", "Mail server (SMTP)"),
    "sms_url": ("短信网关", "SMS gateway"),
}
MIN_PASSWORD_LENGTH = 10
MASK = "***"

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$")
_DEPT_KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,30}[0-9]$")
#: Query parameters whose value is a secret (masked like a URL password).
_SECRET_PARAMS = re.compile(r"(pass|pwd|secret|token|key|auth|sign)", re.IGNORECASE)
_USERINFO_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:@/?#\s]*):[^@/?#\s]*@")

REQUIRED = "必填 / required"


class _Keep:
    """Marks an ``update_*`` argument that was not given: the value stays as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


@dataclass(frozen=True)
class UserInfo:
    """A person as the admin pages show them: everything but the password hash."""

    id: int
    username: str
    display_name: str
    email: str
    phone: str
    department_id: int | None
    language: str
    is_active: bool

    @classmethod
    def of(cls, user: User) -> UserInfo:
        assert user.id is not None
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            email=user.email,
            phone=user.phone,
            department_id=user.department_id,
            language=user.language,
            is_active=user.is_active,
        )


# --- validation helpers ------------------------------------------------------------------


def _text(value: Any, *, max_len: int = 100) -> str:
    return "" if value is None else str(value).strip()[: max_len + 1]


def _check_text(
    errors: dict[str, str], field: str, value: str, *, required: bool, max_len: int = 100
) -> None:
    if required and not value:
        errors[field] = REQUIRED
    elif len(value) > max_len:
        errors[field] = f"最多 {max_len} 个字符 / at most {max_len} characters"


def _parse_id(value: Any, field: str, errors: dict[str, str]) -> int | None:
    """An id from a form: None for empty, an error for anything but digits."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if not text.isdigit():
        errors[field] = "无效的选择 / invalid choice"
        return None
    return int(text)


def _parse_day(value: Any, errors: dict[str, str], field: str = "day") -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value, max_len=20)
    if not text:
        errors[field] = REQUIRED
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = "日期格式 YYYY-MM-DD / date as YYYY-MM-DD"
        return None


def _parse_bool(value: Any, field: str, errors: dict[str, str]) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value, max_len=10).lower()
    if text in {"1", "true", "yes", "on", "working"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    errors[field] = "无效的选择 / invalid choice"
    return None


def _check_password(errors: dict[str, str], password: Any, username: str = "") -> str:
    pw = "" if password is None else str(password)
    if len(pw) < MIN_PASSWORD_LENGTH:
        errors["password"] = (
            f"至少 {MIN_PASSWORD_LENGTH} 个字符 / at least {MIN_PASSWORD_LENGTH} characters"
        )
    elif len(pw) > 256:
        errors["password"] = "最多 256 个字符 / at most 256 characters"
    elif username and pw.strip().lower() == username.lower():
        errors["password"] = "不能与用户名相同 / must not be the username"
    return pw


def _check_contact(errors: dict[str, str], email: str, phone: str) -> None:
    if email and (len(email) > 200 or not _EMAIL.match(email)):
        errors["email"] = "无效的电子邮件地址 / not a valid e-mail address"
    if phone and not _PHONE.match(phone):
        errors["phone"] = "无效的手机号 / not a valid phone number"


def _department(session: Session, dep_id: int | None, field: str, errors: dict[str, str]) -> Any:
    if dep_id is None:
        return None
    dep = session.get(Department, dep_id)
    if dep is None:
        errors[field] = "没有这个部门 / no such department"
    return dep


def _user(session: Session, user_id: Any) -> User:
    errors: dict[str, str] = {}
    uid = _parse_id(user_id, "user", errors)
    user = session.get(User, uid) if uid is not None else None
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise InvalidForm(errors)


def _audit(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    what: str,
    changes: dict[str, Any],
    detail: dict[str, Any],
) -> None:
    audit.append(
        session,
        action=f"admin.{what}",
        actor_id=actor.user_id,
        actor_name=actor.display_name,
        at=now,
        changes=changes,
        detail=detail,
    )


def _diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: {"old": old[k], "new": new[k]} for k in new if old.get(k) != new[k]}


def _role_labels(session: Session, user_id: int) -> list[str]:
    rows = session.exec(
        select(UserRole.role, Department.key)
        .join(Department, Department.id == UserRole.department_id)
        .where(UserRole.user_id == user_id)
    ).all()
    return sorted(f"{role}@{dep}" for role, dep in rows)


# --- people ------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    username: Any,
    display_name: Any,
    password: Any,
    email: Any = "",
    phone: Any = "",
    department_id: Any = None,
    language: Any = "zh",
) -> UserInfo:
    """A new person who can log in with ``password`` (argon2-hashed, never stored plain)."""
    errors: dict[str, str] = {}
    uname = _text(username, max_len=40)
    if not uname:
        errors["username"] = REQUIRED
    elif not _USERNAME.match(uname):
        errors["username"] = "2–40 个字母、数字、. _ - / 2–40 letters, digits, '.', '_' or '-'"
    elif session.exec(select(User.id).where(func.lower(User.username) == uname.lower())).first():
        errors["username"] = "用户名已存在 / username already taken"
    name = _text(display_name)
    _check_text(errors, "display_name", name, required=True)
    mail, tel = _text(email, max_len=200), _text(phone, max_len=40)
    _check_contact(errors, mail, tel)
    dep_id = _parse_id(department_id, "department_id", errors)
    _department(session, dep_id, "department_id", errors)
    lang = _text(language, max_len=5) or "zh"
    if lang not in LANGUAGES:
        errors["language"] = "zh 或 en / zh or en"
    pw = _check_password(errors, password, uname)
    _raise(errors)
    user = User(
        username=uname,
        display_name=name,
        password_hash=hash_password(pw),
        email=mail,
        phone=tel,
        department_id=dep_id,
        language=lang,
        is_active=True,
    )
    session.add(user)
    session.flush()
    info = UserInfo.of(user)
    fields = {k: v for k, v in vars(info).items() if k != "id"}
    _audit(
        session,
        actor=actor,
        now=now,
        what="user_created",
        changes={k: {"old": None, "new": v} for k, v in fields.items()},
        detail={"user_id": info.id, "username": info.username},
    )
    return info


def update_user(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    user_id: Any,
    display_name: Any = KEEP,
    email: Any = KEEP,
    phone: Any = KEEP,
    department_id: Any = KEEP,
    language: Any = KEEP,
    is_active: Any = KEEP,
) -> UserInfo:
    """Change a person's details or active flag; arguments not given stay as they are."""
    user = _user(session, user_id)
    old = UserInfo.of(user)
    new = dict(vars(old))
    errors: dict[str, str] = {}
    if display_name is not KEEP:
        new["display_name"] = _text(display_name)
        _check_text(errors, "display_name", new["display_name"], required=True)
    if email is not KEEP:
        new["email"] = _text(email, max_len=200)
    if phone is not KEEP:
        new["phone"] = _text(phone, max_len=40)
    _check_contact(
        errors,
        new["email"] if email is not KEEP else "",
        new["phone"] if phone is not KEEP else "",
    )
    if department_id is not KEEP:
        new["department_id"] = _parse_id(department_id, "department_id", errors)
        _department(session, new["department_id"], "department_id", errors)
    if language is not KEEP:
        new["language"] = _text(language, max_len=5)
        if new["language"] not in LANGUAGES:
            errors["language"] = "zh 或 en / zh or en"
    if is_active is not KEEP:
        active = _parse_bool(is_active, "is_active", errors)
        new["is_active"] = old.is_active if active is None else active
        if not new["is_active"] and old.id == actor.user_id:
            errors["is_active"] = "不能停用自己的账号 / you cannot deactivate yourself"
    _raise(errors)
    changes = _diff(vars(old), new)
    if not changes:
        return old
    for field, change in changes.items():
        setattr(user, field, change["new"])
    session.add(user)
    session.flush()
    what = "user_updated"
    if set(changes) == {"is_active"}:
        what = "user_activated" if new["is_active"] else "user_deactivated"
    _audit(
        session,
        actor=actor,
        now=now,
        what=what,
        changes=changes,
        detail={"user_id": old.id, "username": old.username},
    )
    return UserInfo.of(user)


def reset_password(
    session: Session, *, actor: Actor, now: datetime, user_id: Any, password: Any
) -> None:
    """Set a new password; the person's API tokens stop working (they must log in again)."""
    user = _user(session, user_id)
    errors: dict[str, str] = {}
    pw = _check_password(errors, password, user.username)
    _raise(errors)
    user.password_hash = hash_password(pw)
    session.add(user)
    tokens = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    for token in tokens:
        session.delete(token)
    _audit(
        session,
        actor=actor,
        now=now,
        what="password_reset",
        changes={"password": {"old": MASK, "new": MASK}},
        detail={"user_id": user.id, "username": user.username, "api_tokens_revoked": len(tokens)},
    )


def grant_role(
    session: Session, *, actor: Actor, now: datetime, user_id: Any, role: Any, department_id: Any
) -> int:
    """Give a person a role in a department (岗位); returns the grant's id."""
    user = _user(session, user_id)
    assert user.id is not None
    errors: dict[str, str] = {}
    key = _text(role, max_len=40)
    if key not in ROLES:
        errors["role"] = "未知的岗位 / unknown role"
    dep_id = _parse_id(department_id, "department_id", errors)
    if dep_id is None and "department_id" not in errors:
        errors["department_id"] = REQUIRED
    dep = _department(session, dep_id, "department_id", errors)
    if (
        not errors
        and session.exec(
            select(UserRole.id).where(
                UserRole.user_id == user.id, UserRole.role == key, UserRole.department_id == dep_id
            )
        ).first()
    ):
        errors["role"] = "已有此岗位 / already holds this role in this department"
    _raise(errors)
    before = _role_labels(session, user.id)
    grant = UserRole(user_id=user.id, role=key, department_id=dep.id)
    session.add(grant)
    session.flush()
    assert grant.id is not None
    _audit(
        session,
        actor=actor,
        now=now,
        what="role_granted",
        changes={"roles": {"old": before, "new": _role_labels(session, user.id)}},
        detail={
            "user_id": user.id,
            "username": user.username,
            "role": key,
            "department": dep.key,
        },
    )
    return grant.id


def revoke_role(
    session: Session, *, actor: Actor, now: datetime, user_id: Any, role_id: Any
) -> None:
    """Take a role back; an administrator cannot take their own admin role (no lock-out)."""
    user = _user(session, user_id)
    assert user.id is not None
    errors: dict[str, str] = {}
    rid = _parse_id(role_id, "role", errors)
    grant = session.get(UserRole, rid) if rid is not None else None
    if grant is None or grant.user_id != user.id:
        raise NotFound(f"user {user.username} has no role grant {role_id}")
    if grant.role == "admin" and user.id == actor.user_id:
        errors["role"] = "不能撤销自己的管理员岗位 / you cannot revoke your own administrator role"
    _raise(errors)
    dep = session.get(Department, grant.department_id)
    before = _role_labels(session, user.id)
    session.delete(grant)
    session.flush()
    _audit(
        session,
        actor=actor,
        now=now,
        what="role_revoked",
        changes={"roles": {"old": before, "new": _role_labels(session, user.id)}},
        detail={
            "user_id": user.id,
            "username": user.username,
            "role": grant.role,
            "department": dep.key if dep else grant.department_id,
        },
    )


# --- departments -------------------------------------------------------------------------


def create_department(
    session: Session, *, actor: Actor, now: datetime, key: Any, name_zh: Any, name_en: Any
) -> int:
    """A new department; its key is permanent (procedures refer to departments by key)."""
    errors: dict[str, str] = {}
    k = _text(key, max_len=40)
    if not k:
        errors["key"] = REQUIRED
    elif not _DEPT_KEY.match(k):
        errors["key"] = (
            "小写字母开头，2–40 个小写字母、数字或 _ / "
            "2–40 lower-case letters, digits or '_', starting with a letter"
        )
    elif session.exec(select(Department.id).where(Department.key == k)).first():
        errors["key"] = "部门代码已存在 / key already used"
    zh, en = _text(name_zh), _text(name_en)
    _check_text(errors, "name_zh", zh, required=True)
    _check_text(errors, "name_en", en, required=True)
    _raise(errors)
    dep = Department(key=k, name_zh=zh, name_en=en)
    session.add(dep)
    session.flush()
    assert dep.id is not None
    _audit(
        session,
        actor=actor,
        now=now,
        what="department_created",
        changes={
            f: {"old": None, "new": v} for f, v in (("key", k), ("name_zh", zh), ("name_en", en))
        },
        detail={"department_id": dep.id, "department": k},
    )
    return dep.id


def update_department(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    department_id: Any,
    name_zh: Any,
    name_en: Any,
) -> None:
    """Rename a department (both languages)."""
    dep = _get_department(session, department_id)
    errors: dict[str, str] = {}
    zh, en = _text(name_zh), _text(name_en)
    _check_text(errors, "name_zh", zh, required=True)
    _check_text(errors, "name_en", en, required=True)
    _raise(errors)
    changes = _diff(
        {"name_zh": dep.name_zh, "name_en": dep.name_en}, {"name_zh": zh, "name_en": en}
    )
    if not changes:
        return
    dep.name_zh, dep.name_en = zh, en
    session.add(dep)
    _audit(
        session,
        actor=actor,
        now=now,
        what="department_renamed",
        changes=changes,
        detail={"department_id": dep.id, "department": dep.key},
    )


def set_department_head(
    session: Session, *, actor: Actor, now: datetime, department_id: Any, user_id: Any
) -> None:
    """Who gets this department's level-1 escalations (部门领导); empty clears it."""
    dep = _get_department(session, department_id)
    errors: dict[str, str] = {}
    uid = _parse_id(user_id, "head_user_id", errors)
    if not errors and uid == dep.head_user_id:
        return  # unchanged (even if that person has since been deactivated)
    head = session.get(User, uid) if uid is not None else None
    if uid is not None and "head_user_id" not in errors:
        if head is None:
            errors["head_user_id"] = "没有这个用户 / no such user"
        elif not head.is_active:
            errors["head_user_id"] = "该用户已停用 / this user is not active"
    _raise(errors)
    old = session.get(User, dep.head_user_id) if dep.head_user_id else None
    dep.head_user_id = uid
    session.add(dep)
    _audit(
        session,
        actor=actor,
        now=now,
        what="department_head_set",
        changes={
            "head": {
                "old": old.username if old else None,
                "new": head.username if head else None,
            }
        },
        detail={
            "department_id": dep.id,
            "department": dep.key,
            "old_user_id": old.id if old else None,
            "new_user_id": uid,
        },
    )


def _get_department(session: Session, department_id: Any) -> Department:
    errors: dict[str, str] = {}
    dep_id = _parse_id(department_id, "department_id", errors)
    dep = session.get(Department, dep_id) if dep_id is not None else None
    if dep is None:
        raise NotFound(f"no department {department_id}")
    return dep


# --- company calendar --------------------------------------------------------------------


def set_calendar_day(
    session: Session, *, actor: Actor, now: datetime, day: Any, working: Any, note: Any = ""
) -> date:
    """Announce a company day off or working day (overrides weekends and statutory days).

    The caller reloads the business calendar (``Runtime.reload_calendar``) after commit.
    """
    errors: dict[str, str] = {}
    d = _parse_day(day, errors)
    flag = _parse_bool(working, "working", errors)
    text = _text(note, max_len=200)
    _check_text(errors, "note", text, required=False, max_len=200)
    _raise(errors)
    assert d is not None and flag is not None
    row = session.get(CalendarDay, d)
    old = {"working": row.working, "note": row.note} if row else {"working": None, "note": None}
    changes = _diff(old, {"working": flag, "note": text})
    if not changes:
        return d
    if row is None:
        row = CalendarDay(day=d, working=flag, note=text)
    else:
        row.working, row.note = flag, text
    session.add(row)
    _audit(
        session,
        actor=actor,
        now=now,
        what="calendar_day_set",
        changes=changes,
        detail={"day": d.isoformat()},
    )
    return d


def remove_calendar_day(session: Session, *, actor: Actor, now: datetime, day: Any) -> date:
    """Withdraw an announced day: the statutory calendar and weekends apply again."""
    errors: dict[str, str] = {}
    d = _parse_day(day, errors)
    row = session.get(CalendarDay, d) if d else None
    if d and row is None:
        errors["day"] = "该日期没有公司安排 / no company entry for this day"
    _raise(errors)
    assert d is not None and row is not None
    session.delete(row)
    _audit(
        session,
        actor=actor,
        now=now,
        what="calendar_day_removed",
        changes={
            "working": {"old": row.working, "new": None},
            "note": {"old": row.note, "new": None},
        },
        detail={"day": d.isoformat()},
    )
    return d


@dataclass(frozen=True)
class DayView:
    """One day as the calendar page shows it: working or not, and why."""

    day: date
    working: bool
    reason_zh: str
    reason_en: str
    company: bool


_WEEKDAYS_ZH = "一二三四五六日"


def calendar_preview(
    calendar: BusinessCalendar,
    company_days: Iterable[CalendarDay],
    *,
    start: date,
    days: int = 60,
) -> list[DayView]:
    """``days`` days from ``start`` as ``calendar`` sees them, each with its reason."""
    company = {c.day: c for c in company_days}
    years = {start.year + i for i in range((start + timedelta(days=days)).year - start.year + 2)}
    cn_zh = holidays.China(years=years, language="zh_CN")
    cn_en = holidays.China(years=years, language="en_US")
    adjusted = set(getattr(cn_zh, "weekend_workdays", None) or ())
    out: list[DayView] = []
    for i in range(days):
        d = start + timedelta(days=i)
        working = calendar.is_working_day(d)
        wd_zh, wd_en = f"周{_WEEKDAYS_ZH[d.weekday()]}", d.strftime("%a")
        entry = company.get(d)
        if entry is not None:
            kind_zh, kind_en = (
                ("公司安排上班", "company working day")
                if entry.working
                else (
                    "公司放假",
                    "company day off",
                )
            )
            zh, en = f"{kind_zh} {entry.note}".strip(), f"{kind_en} {entry.note}".strip()
        elif d in calendar.extra_holidays:
            zh, en = "配置的休息日", "configured day off"
        elif d in calendar.extra_workdays:
            zh, en = "配置的工作日", "configured working day"
        elif calendar.use_statutory and d in cn_zh:
            zh, en = f"法定假日 {cn_zh.get(d)}", f"statutory holiday: {cn_en.get(d)}"
        elif calendar.use_statutory and d in adjusted:
            zh, en = "调休上班", "adjusted working day (调休)"
        elif d.weekday() in calendar.weekend:
            zh, en = "周末", "weekend"
        else:
            zh, en = "", ""
        out.append(
            DayView(
                day=d,
                working=working,
                reason_zh=f"{wd_zh} {zh}".strip(),
                reason_en=f"{wd_en} {en}".strip(),
                company=entry is not None,
            )
        )
    return out


# --- notification channels ---------------------------------------------------------------


def mask_url(url: str) -> str:
    """``url`` fit to show: the password (and secret-looking query values) as ``***``."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return _USERINFO_PASSWORD.sub(rf"\1:{MASK}@", text)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _pw = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{hostport}" if sep else netloc
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAMS.search(k) for k, _ in pairs):
            query = urlencode(
                [(k, MASK if _SECRET_PARAMS.search(k) and v else v) for k, v in pairs],
                safe="@*",
            )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_secrets(text: str, *urls: str) -> str:
    """``text`` (an error message) with every password of ``urls`` and in any URL masked."""
    out = _USERINFO_PASSWORD.sub(rf"\1:{MASK}@", text or "")
    for url in urls:
        for secret in _secrets_of(url):
            if len(secret) >= 3:
                out = out.replace(secret, MASK)
    return out


def _secrets_of(url: str) -> list[str]:
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return []
    found: list[str] = []
    if parts.password:
        found += [parts.password, unquote(parts.password), quote(unquote(parts.password), safe="")]
    for k, v in parse_qsl(parts.query, keep_blank_values=True):
        if v and _SECRET_PARAMS.search(k):
            found += [v, quote(v, safe="")]
    return found


def effective_channels(session: Session, settings: Settings) -> tuple[str, str]:
    """``(smtp_url, sms_url)`` for sending now: the administrator's, else the environment's."""
    rows = {r.key: r.value for r in session.exec(select(ChannelSetting)).all()}
    return (
        rows.get("smtp_url") or settings.smtp_url,
        rows.get("sms_url") or settings.sms_url,
    )


@dataclass(frozen=True)
class ChannelView:
    key: str
    label_zh: str
    label_en: str
    masked: str
    #: "database" (set on the admin page) or "environment" (GENDAN_SMTP_URL / GENDAN_SMS_URL)
    source: str
    updated_at: datetime | None


def channel_views(session: Session, settings: Settings) -> list[ChannelView]:
    rows = {r.key: r for r in session.exec(select(ChannelSetting)).all()}
    out = []
    for key, (zh, en) in CHANNEL_KEYS.items():
        row = rows.get(key)
        value = row.value if row else str(getattr(settings, key))
        out.append(
            ChannelView(
                key=key,
                label_zh=zh,
                label_en=en,
                masked=mask_url(value),
                source="database" if row else "environment",
                updated_at=row.updated_at if row else None,
            )
        )
    return out


def _validate_channel(key: str, value: str) -> None:
    """Parse ``value`` as the delivery code will: a malformed URL raises ValueError."""
    if key == "smtp_url":
        probe = Message("email", "probe@example.com", "probe", "probe")
        channels.apprise_url_for(probe, smtp_url=value, sms_url="")
    else:
        probe = Message("sms", "13800000000", "", "probe")
        channels.apprise_url_for(probe, smtp_url="", sms_url=value)


def _keep_masked_secrets(value: str, current: str) -> str:
    """The page shows the URL masked; a ``***`` posted back means "keep the stored secret".

    Only for the same scheme, user, host and port: a secret is never sent to a
    server it was not configured for.
    """
    if MASK not in value:
        return value
    try:
        new, cur = urlsplit(value), urlsplit(current)
        same = (new.scheme, new.username, new.hostname, new.port) == (
            cur.scheme,
            cur.username,
            cur.hostname,
            cur.port,
        )
    except ValueError:
        same = False
    if not same:
        raise InvalidForm(
            {
                "value": "服务器已更改，请重新输入密码 / "
                "the server changed: type the password again instead of ***"
            }
        )
    netloc = new.netloc
    if new.password == MASK and cur.password is not None:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:{cur.password}@{hostport}"
    query = new.query
    if MASK in query:
        old_params = dict(parse_qsl(cur.query, keep_blank_values=True))
        pairs = [
            (k, old_params[k] if v == MASK and k in old_params else v)
            for k, v in parse_qsl(new.query, keep_blank_values=True)
        ]
        query = urlencode(pairs, safe="@")
    out = urlunsplit((new.scheme, netloc, new.path, query, new.fragment))
    if MASK in out:
        raise InvalidForm({"value": "请输入完整的密码 / type the full password instead of ***"})
    return out


def set_channel(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings,
    key: Any,
    value: Any,
) -> None:
    """Override ``smtp_url`` or ``sms_url``; an empty value goes back to the environment's."""
    k = _text(key, max_len=20)
    if k not in CHANNEL_KEYS:
        raise InvalidForm({"key": "未知的通道 / unknown channel"})
    text = _text(value, max_len=2000)
    if len(text) > 2000:
        raise InvalidForm({"value": "最多 2000 个字符 / at most 2000 characters"})
    row = session.get(ChannelSetting, k)
    current = row.value if row else str(getattr(settings, k))
    if text:
        text = _keep_masked_secrets(text, current)
        try:
            _validate_channel(k, text)
        except ValueError as exc:
            raise InvalidForm({"value": mask_secrets(str(exc), text)}) from None
    old_value = row.value if row else None
    env = str(getattr(settings, k))
    if text == (old_value or "") or (old_value is None and text == env):
        return  # unchanged (saving the environment's value as shown does not pin it)
    if text:
        if row is None:
            row = ChannelSetting(key=k, value=text, updated_at=now)
        else:
            row.value, row.updated_at = text, now
        session.add(row)
    elif row is not None:
        session.delete(row)
    _audit(
        session,
        actor=actor,
        now=now,
        what="channel_set",
        changes={
            k: {
                "old": mask_url(old_value) if old_value else None,
                "new": mask_url(text) if text else None,
            }
        },
        detail={
            "channel": k,
            "effective": mask_url(text or env),
            "source": "database" if text else "environment",
        },
    )


def channel_test_message(address: Any, *, actor: Actor, now: datetime) -> Message:
    """The test message for ``address``: an e-mail address gets a mail, a phone an SMS."""
    addr = _text(address, max_len=200)
    if not addr:
        raise InvalidForm({"address": REQUIRED})
    if "@" in addr:
        if not _EMAIL.match(addr):
            raise InvalidForm({"address": "无效的电子邮件地址 / not a valid e-mail address"})
        channel = "email"
    elif _PHONE.match(addr):
        channel = "sms"
    else:
        raise InvalidForm(
            {"address": "请输入电子邮件地址或手机号 / enter an e-mail address or a phone number"}
        )
    when = now.strftime("%Y-%m-%d %H:%M UTC")
    subject = "gendan 跟单 测试消息 / test message"
    body = (
        f"这是 {actor.display_name} 于 {when} 发送的测试消息。\n"
        f"This is a test message sent by {actor.display_name} at {when}.\n"
    )
    return Message(channel, addr, subject, body)  # type: ignore[arg-type]


SendFn = Callable[..., DeliveryResult]


def send_test(
    db: Engine,
    settings: Settings,
    *,
    actor: Actor,
    now: datetime,
    address: Any,
    send: SendFn = channels.send,
) -> tuple[Message, DeliveryResult]:
    """Send one test message now through the effective channel and audit the outcome.

    Reads the channels, sends outside any transaction (no write lock held during
    the network call), then records ``admin.channel_test`` with the result.
    """
    message = channel_test_message(address, actor=actor, now=now)
    with Session(reader(db)) as s:
        smtp_url, sms_url = effective_channels(s, settings)
    url = smtp_url if message.channel == "email" else sms_url
    try:
        result = send(message, smtp_url=smtp_url, sms_url=sms_url)
    except ValueError as exc:  # a malformed setting from the environment
        result = DeliveryResult(ok=False, error=str(exc))
    if result.error:
        result = DeliveryResult(ok=result.ok, error=mask_secrets(result.error, url))
    with unit_of_work(db) as s:
        _audit(
            s,
            actor=actor,
            now=now,
            what="channel_test",
            changes={},
            detail={
                "channel": message.channel,
                "address": message.address,
                "url": mask_url(url),
                "ok": result.ok,
                "error": result.error,
            },
        )
    return message, result
