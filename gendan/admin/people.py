"""People who can log in: create them, change their details, activate them, reset passwords.

Password hashes never leave this module (functions return ``UserInfo``, which
has none) and passwords are audited as ``***``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from gendan import audit
from gendan.admin.changes import KEEP, MASK, diff, record
from gendan.admin.departments import find_department
from gendan.admin.validation import (
    REQUIRED,
    USERNAME,
    check_contact,
    check_text,
    clean,
    parse_bool,
    parse_id,
    raise_errors,
)
from gendan.errors import NotFound
from gendan.models import Instance, Task, User
from gendan.org import Actor
from gendan.security import hash_password
from gendan.sessions import end_all_for

LANGUAGES: dict[str, tuple[str, str]] = {"zh": ("中文", "Chinese"), "en": ("英文", "English")}
MIN_PASSWORD_LENGTH = 10


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


def get_user(session: Session, user_id: Any) -> User:
    """The person with id ``user_id`` (as posted); ``NotFound`` if there is none."""
    errors: dict[str, str] = {}
    uid = parse_id(user_id, "user", errors)
    user = session.get(User, uid) if uid is not None else None
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def check_password(errors: dict[str, str], password: Any, username: str = "") -> str:
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


def _check_language(errors: dict[str, str], language: str) -> None:
    if language not in LANGUAGES:
        errors["language"] = "zh 或 en / zh or en"


def _check_username(session: Session, username: Any, errors: dict[str, str]) -> str:
    uname = clean(username, max_len=40)
    if not uname:
        errors["username"] = REQUIRED
    elif not USERNAME.match(uname):
        errors["username"] = "2–40 个字母、数字、. _ - / 2–40 letters, digits, '.', '_' or '-'"
    elif session.exec(select(User.id).where(func.lower(User.username) == uname.lower())).first():
        errors["username"] = "用户名已存在 / username already taken"
    return uname


def _new_user(
    session: Session,
    username: Any,
    display_name: Any,
    password: Any,
    email: Any,
    phone: Any,
    department_id: Any,
    language: Any,
) -> User:
    """The checked person, not yet added (``InvalidForm`` naming every bad field)."""
    errors: dict[str, str] = {}
    uname = _check_username(session, username, errors)
    name = clean(display_name)
    check_text(errors, "display_name", name, required=True)
    mail, tel = clean(email, max_len=200), clean(phone, max_len=40)
    check_contact(errors, mail, tel)
    dep_id = parse_id(department_id, "department_id", errors)
    find_department(session, dep_id, "department_id", errors)
    lang = clean(language, max_len=5) or "zh"
    _check_language(errors, lang)
    pw = check_password(errors, password, uname)
    raise_errors(errors)
    return User(
        username=uname,
        display_name=name,
        password_hash=hash_password(pw),
        email=mail,
        phone=tel,
        department_id=dep_id,
        language=lang,
        is_active=True,
    )


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
    user = _new_user(
        session, username, display_name, password, email, phone, department_id, language
    )
    session.add(user)
    session.flush()
    info = UserInfo.of(user)
    fields = {k: v for k, v in vars(info).items() if k != "id"}
    record(
        session,
        actor=actor,
        now=now,
        what="user_created",
        changes=diff(None, fields),
        detail={"user_id": info.id, "username": info.username},
    )
    return info


def _new_details(
    session: Session,
    old: UserInfo,
    errors: dict[str, str],
    *,
    display_name: Any,
    email: Any,
    phone: Any,
    department_id: Any,
    language: Any,
) -> dict[str, Any]:
    """``old``'s fields with the given ones replaced (``KEEP``: not given), checked."""
    new = dict(vars(old))
    if display_name is not KEEP:
        new["display_name"] = clean(display_name)
        check_text(errors, "display_name", new["display_name"], required=True)
    if email is not KEEP:
        new["email"] = clean(email, max_len=200)
    if phone is not KEEP:
        new["phone"] = clean(phone, max_len=40)
    check_contact(
        errors,
        new["email"] if email is not KEEP else "",
        new["phone"] if phone is not KEEP else "",
    )
    if department_id is not KEEP:
        new["department_id"] = parse_id(department_id, "department_id", errors)
        find_department(session, new["department_id"], "department_id", errors)
    if language is not KEEP:
        new["language"] = clean(language, max_len=5)
        _check_language(errors, new["language"])
    return new


def _new_active(old: UserInfo, is_active: Any, actor: Actor, errors: dict[str, str]) -> bool:
    """The active flag as posted (unchanged if unreadable); nobody deactivates themselves."""
    active = parse_bool(is_active, "is_active", errors)
    if active is None:
        active = old.is_active
    if not active and old.id == actor.user_id:
        errors["is_active"] = "不能停用自己的账号 / you cannot deactivate yourself"
    return active


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
    user = get_user(session, user_id)
    old = UserInfo.of(user)
    errors: dict[str, str] = {}
    new = _new_details(
        session,
        old,
        errors,
        display_name=display_name,
        email=email,
        phone=phone,
        department_id=department_id,
        language=language,
    )
    if is_active is not KEEP:
        new["is_active"] = _new_active(old, is_active, actor, errors)
    raise_errors(errors)
    changes = diff(vars(old), new)
    if not changes:
        return old
    for field, change in changes.items():
        setattr(user, field, change["new"])
    session.add(user)
    session.flush()
    what = "user_updated"
    if set(changes) == {"is_active"}:
        what = "user_activated" if new["is_active"] else "user_deactivated"
    detail = {"user_id": old.id, "username": old.username}
    record(session, actor=actor, now=now, what=what, changes=changes, detail=detail)
    if "is_active" in changes and not new["is_active"]:
        release_claimed_tasks(session, user_id=old.id, actor=actor, now=now)
        end_all_for(session, user_id=old.id, now=now, reason="deactivated")  # sessions, tokens
    return UserInfo.of(user)


def release_claimed_tasks(session: Session, *, user_id: int, actor: Actor, now: datetime) -> None:
    """A deactivated person's claimed tasks (and those assigned to open later) go back to
    their role's queue, so none is stuck."""
    tasks = session.exec(
        select(Task).where(Task.assignee_id == user_id, Task.status.in_(("open", "scheduled")))
    ).all()
    for task in tasks:
        task.assignee_id = None
        session.add(task)
        inst = session.get(Instance, task.instance_id)
        assert inst is not None
        audit.on_instance(
            session,
            inst,
            action="unclaim",
            actor=actor,
            at=now,
            task_id=task.id,
            reason="person deactivated / 人员已停用",
            changes={"assignee_id": {"old": user_id, "new": None}},
        )


def reset_password(
    session: Session, *, actor: Actor, now: datetime, user_id: Any, password: Any
) -> None:
    """Set a new password; the person's page sessions end and API tokens are revoked (they
    must log in again, ``gendan.sessions``)."""
    user = get_user(session, user_id)
    errors: dict[str, str] = {}
    pw = check_password(errors, password, user.username)
    raise_errors(errors)
    user.password_hash = hash_password(pw)
    session.add(user)
    session.flush()
    assert user.id is not None
    ended = end_all_for(session, user_id=user.id, now=now, reason="password")
    record(
        session,
        actor=actor,
        now=now,
        what="password_reset",
        changes={"password": {"old": MASK, "new": MASK}},
        detail={"user_id": user.id, "username": user.username, **ended},
    )
