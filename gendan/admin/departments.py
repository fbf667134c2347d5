"""Departments: create and rename them, and name the head who gets level-1 escalations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from gendan.admin.changes import diff, record
from gendan.admin.validation import (
    DEPT_KEY,
    REQUIRED,
    check_text,
    clean,
    parse_id,
    raise_errors,
)
from gendan.errors import NotFound
from gendan.models import Department, User
from gendan.org import Actor


def find_department(
    session: Session, dep_id: int | None, field: str, errors: dict[str, str]
) -> Department | None:
    """The department ``dep_id`` (None for None); a field error if there is no such one."""
    if dep_id is None:
        return None
    dep = session.get(Department, dep_id)
    if dep is None:
        errors[field] = "没有这个部门 / no such department"
    return dep


def get_department(session: Session, department_id: Any) -> Department:
    """The department with id ``department_id`` (as posted); ``NotFound`` if there is none."""
    errors: dict[str, str] = {}
    dep_id = parse_id(department_id, "department_id", errors)
    dep = session.get(Department, dep_id) if dep_id is not None else None
    if dep is None:
        raise NotFound(f"no department {department_id}")
    return dep


def _check_names(errors: dict[str, str], name_zh: Any, name_en: Any) -> tuple[str, str]:
    zh, en = clean(name_zh), clean(name_en)
    check_text(errors, "name_zh", zh, required=True)
    check_text(errors, "name_en", en, required=True)
    return zh, en


def create_department(
    session: Session, *, actor: Actor, now: datetime, key: Any, name_zh: Any, name_en: Any
) -> int:
    """A new department; its key is permanent (procedures refer to departments by key)."""
    errors: dict[str, str] = {}
    k = clean(key, max_len=40)
    if not k:
        errors["key"] = REQUIRED
    elif not DEPT_KEY.match(k):
        errors["key"] = (
            "小写字母开头，2–40 个小写字母、数字或 _ / "
            "2–40 lower-case letters, digits or '_', starting with a letter"
        )
    elif session.exec(select(Department.id).where(Department.key == k)).first():
        errors["key"] = "部门代码已存在 / key already used"
    zh, en = _check_names(errors, name_zh, name_en)
    raise_errors(errors)
    dep = Department(key=k, name_zh=zh, name_en=en)
    session.add(dep)
    session.flush()
    assert dep.id is not None
    record(
        session,
        actor=actor,
        now=now,
        what="department_created",
        changes=diff(None, {"key": k, "name_zh": zh, "name_en": en}),
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
    dep = get_department(session, department_id)
    errors: dict[str, str] = {}
    zh, en = _check_names(errors, name_zh, name_en)
    raise_errors(errors)
    changes = diff({"name_zh": dep.name_zh, "name_en": dep.name_en}, {"name_zh": zh, "name_en": en})
    if not changes:
        return
    dep.name_zh, dep.name_en = zh, en
    session.add(dep)
    record(
        session,
        actor=actor,
        now=now,
        what="department_renamed",
        changes=changes,
        detail={"department_id": dep.id, "department": dep.key},
    )


def _active_user(session: Session, uid: int | None, errors: dict[str, str]) -> User | None:
    """The person ``uid`` (None for None); a field error if missing or deactivated."""
    head = session.get(User, uid) if uid is not None else None
    if uid is not None and "head_user_id" not in errors:
        if head is None:
            errors["head_user_id"] = "没有这个用户 / no such user"
        elif not head.is_active:
            errors["head_user_id"] = "该用户已停用 / this user is not active"
    return head


def set_department_head(
    session: Session, *, actor: Actor, now: datetime, department_id: Any, user_id: Any
) -> None:
    """Who gets this department's level-1 escalations (部门领导); empty clears it."""
    dep = get_department(session, department_id)
    errors: dict[str, str] = {}
    uid = parse_id(user_id, "head_user_id", errors)
    if not errors and uid == dep.head_user_id:
        return  # unchanged (even if that person has since been deactivated)
    head = _active_user(session, uid, errors)
    raise_errors(errors)
    old = session.get(User, dep.head_user_id) if dep.head_user_id else None
    dep.head_user_id = uid
    session.add(dep)
    record(
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
