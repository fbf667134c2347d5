"""The admin pages for people: the list, creating a person, one person's details and roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from api.deps import Db, Now, Rt
from api.routes_admin.common import (
    Admin,
    Change,
    all_departments,
    back_to,
    form_values,
    page,
    router,
    submit,
)
from api.web import PageUser, form_with_csrf
from gendan import admin
from gendan.db import unit_of_work
from gendan.errors import InvalidForm, NotFound
from gendan.models import User, UserRole
from gendan.runtime import Runtime


def _users_ctx(db: Session, me: PageUser) -> dict[str, Any]:
    deps = {d.id: d for d in all_departments(db)}
    roles: dict[int, list[str]] = {}
    for grant in db.exec(select(UserRole).order_by(UserRole.id)).all():
        dep = deps.get(grant.department_id)
        roles.setdefault(grant.user_id, []).append(f"{grant.role}@{dep.key if dep else '?'}")
    users = [admin.UserInfo.of(u) for u in db.exec(select(User).order_by(User.username)).all()]
    return {"me": me, "users": users, "deps": deps, "user_roles": roles}


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, me: Admin, db: Db) -> Response:
    return page(request, "admin_users.html", _users_ctx(db, me))


_ROLE_FIELDS = {"department_id": "role_department_id"}


def _grant_first_role(s: Session, me: PageUser, now: datetime, user_id: int, data: Any) -> None:
    """The new person's first role, in the chosen or the person's department."""
    try:
        admin.grant_role(
            s,
            actor=me.actor,
            now=now,
            user_id=user_id,
            role=data.get("role"),
            department_id=data.get("role_department_id") or data.get("department_id"),
        )
    except InvalidForm as exc:  # the role's department has its own field here
        raise InvalidForm({_ROLE_FIELDS.get(k, k): v for k, v in exc.errors.items()}) from None


@router.post("/admin/users")
async def create_user(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    data = await form_with_csrf(request)
    try:
        with unit_of_work(rt.db) as s:
            info = admin.create_user(
                s,
                actor=me.actor,
                now=now,
                username=data.get("username"),
                display_name=data.get("display_name"),
                password=data.get("password"),
                email=data.get("email"),
                phone=data.get("phone"),
                department_id=data.get("department_id"),
                language=data.get("language"),
            )
            if data.get("role"):
                _grant_first_role(s, me, now, info.id, data)
    except InvalidForm as exc:
        return page(
            request,
            "admin_users.html",
            _users_ctx(db, me),
            errors={"create_user": exc.errors},
            values={"create_user": form_values(data)},
            status=422,
        )
    return back_to(f"/admin/users/{info.id}", "user_created")


def _user_ctx(db: Session, me: PageUser, user_id: int) -> dict[str, Any]:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    deps = all_departments(db)
    grants = db.exec(
        select(UserRole).where(UserRole.user_id == user_id).order_by(UserRole.id)
    ).all()
    return {
        "me": me,
        "u": admin.UserInfo.of(user),
        "deps": deps,
        "dep_by_id": {d.id: d for d in deps},
        "grants": grants,
        "heads_of": [d for d in deps if d.head_user_id == user_id],
        "min_password": admin.MIN_PASSWORD_LENGTH,
    }


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(user_id: int, request: Request, me: Admin, db: Db) -> Response:
    return page(request, "admin_user.html", _user_ctx(db, me, user_id))


async def _user_change(
    request: Request,
    me: PageUser,
    db: Session,
    rt: Runtime,
    user_id: int,
    form: str,
    change: Change,
) -> Response:
    """Run ``change`` for the user page's form ``form``; 303 or 422."""
    return await submit(
        request,
        rt,
        change,
        form=form,
        back=f"/admin/users/{user_id}",
        template="admin_user.html",
        ctx=lambda: _user_ctx(db, me, user_id),
    )


@router.post("/admin/users/{user_id}")
async def update_user(
    user_id: int, request: Request, me: Admin, db: Db, rt: Rt, now: Now
) -> Response:
    def change(s: Session, data: Any) -> str:
        admin.update_user(
            s,
            actor=me.actor,
            now=now,
            user_id=user_id,
            display_name=data.get("display_name"),
            email=data.get("email"),
            phone=data.get("phone"),
            department_id=data.get("department_id"),
            language=data.get("language"),
        )
        return "user_updated"

    return await _user_change(request, me, db, rt, user_id, "details", change)


@router.post("/admin/users/{user_id}/active")
async def set_active(
    user_id: int, request: Request, me: Admin, db: Db, rt: Rt, now: Now
) -> Response:
    def change(s: Session, data: Any) -> str:
        info = admin.update_user(
            s, actor=me.actor, now=now, user_id=user_id, is_active=data.get("is_active")
        )
        return "user_activated" if info.is_active else "user_deactivated"

    return await _user_change(request, me, db, rt, user_id, "active", change)


@router.post("/admin/users/{user_id}/password")
async def reset_password(
    user_id: int, request: Request, me: Admin, db: Db, rt: Rt, now: Now
) -> Response:
    def change(s: Session, data: Any) -> str:
        if data.get("password") != data.get("password_repeat"):
            raise InvalidForm({"password_repeat": "两次输入不一致 / the passwords differ"})
        admin.reset_password(
            s, actor=me.actor, now=now, user_id=user_id, password=data.get("password")
        )
        return "password_reset"

    return await _user_change(request, me, db, rt, user_id, "password", change)


@router.post("/admin/users/{user_id}/roles")
async def grant_role(
    user_id: int, request: Request, me: Admin, db: Db, rt: Rt, now: Now
) -> Response:
    def change(s: Session, data: Any) -> str:
        admin.grant_role(
            s,
            actor=me.actor,
            now=now,
            user_id=user_id,
            role=data.get("role"),
            department_id=data.get("department_id"),
        )
        return "role_granted"

    return await _user_change(request, me, db, rt, user_id, "grant", change)


@router.post("/admin/users/{user_id}/roles/{role_id}/revoke")
async def revoke_role(
    user_id: int, role_id: int, request: Request, me: Admin, db: Db, rt: Rt, now: Now
) -> Response:
    def change(s: Session, data: Any) -> str:
        admin.revoke_role(s, actor=me.actor, now=now, user_id=user_id, role_id=role_id)
        return "role_revoked"

    return await _user_change(request, me, db, rt, user_id, "revoke", change)
