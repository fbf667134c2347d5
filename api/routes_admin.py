"""Pages for the administrator (people, roles, departments, calendar, channels).

Every page needs the role ``admin`` (403 otherwise, before the form is even
read). Every POST checks CSRF, calls one ``gendan.admin`` function in one
unit of work (which audits the change), then redirects 303 back with
``?done=<what>``; invalid input re-renders the page with 422 and the reason
next to the field, having written nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, func, select
from starlette.concurrency import run_in_threadpool

from api.deps import Db, Now, Rt
from api.web import Me, PageUser, form_with_csrf, render, require_role
from gendan import admin
from gendan.db import unit_of_work
from gendan.errors import InvalidForm, NotFound
from gendan.models import CalendarDay, Department, User, UserRole
from gendan.runtime import Runtime

router = APIRouter(include_in_schema=False)


def admin_user(me: Me) -> PageUser:
    require_role(me, "admin")
    return me


Admin = Annotated[PageUser, Depends(admin_user)]

#: ``?done=`` codes → the message shown after a successful change.
DONE: dict[str, tuple[str, str]] = {
    "user_created": ("已创建用户", "User created"),
    "user_updated": ("已保存用户信息", "User saved"),
    "user_activated": ("已启用账号", "Account activated"),
    "user_deactivated": ("已停用账号", "Account deactivated"),
    "password_reset": ("已重置密码", "Password reset"),
    "role_granted": ("已授予岗位", "Role granted"),
    "role_revoked": ("已撤销岗位", "Role revoked"),
    "department_created": ("已创建部门", "Department created"),
    "department_renamed": ("已保存部门名称", "Department renamed"),
    "department_head_set": ("已设置部门领导", "Department head set"),
    "calendar_day_set": ("已保存公司日历", "Company day saved"),
    "calendar_day_removed": ("已删除公司日历安排", "Company day removed"),
    "channel_set": ("已保存通知通道", "Channel saved"),
}
PREVIEW_DAYS = 60


def _done(request: Request) -> tuple[str, str] | None:
    return DONE.get(request.query_params.get("done", ""))


def _back(url: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?done={done}", status_code=303)


def _values(data: Any, *skip: str) -> dict[str, str]:
    """What was posted, to refill the form; never the CSRF token or a password."""
    return {
        k: str(v) for k, v in data.items() if k not in {"csrf_token", *skip} and "password" not in k
    }


def _page(
    request: Request,
    template: str,
    ctx: dict[str, Any],
    *,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    ctx = {
        **ctx,
        "errors": errors or {},
        "values": values or {},
        "done": _done(request) if status == 200 else None,
        "roles_known": admin.ROLES,
        "languages": admin.LANGUAGES,
        **extra,
    }
    return render(request, template, ctx, status)


def _departments(db: Session) -> list[Department]:
    return list(db.exec(select(Department).order_by(Department.id)).all())


# --- overview ----------------------------------------------------------------------------


@router.get("/admin", response_class=HTMLResponse)
def admin_index(request: Request, me: Admin, db: Db, rt: Rt) -> Response:
    users = db.exec(select(func.count()).select_from(User)).one()
    active = db.exec(
        select(func.count()).select_from(User).where(User.is_active == True)  # noqa: E712
    ).one()
    deps = _departments(db)
    headless = [d for d in deps if d.head_user_id is None]
    company_days = db.exec(select(func.count()).select_from(CalendarDay)).one()
    ctx = {
        "me": me,
        "users": users,
        "active": active,
        "departments": len(deps),
        "headless": headless,
        "company_days": company_days,
        "channels": admin.channel_views(db, rt.settings),
    }
    return _page(request, "admin_index.html", ctx)


# --- people ------------------------------------------------------------------------------


def _users_ctx(db: Session, me: PageUser) -> dict[str, Any]:
    deps = {d.id: d for d in _departments(db)}
    roles: dict[int, list[str]] = {}
    for grant in db.exec(select(UserRole).order_by(UserRole.id)).all():
        dep = deps.get(grant.department_id)
        roles.setdefault(grant.user_id, []).append(f"{grant.role}@{dep.key if dep else '?'}")
    users = [admin.UserInfo.of(u) for u in db.exec(select(User).order_by(User.username)).all()]
    return {"me": me, "users": users, "deps": deps, "user_roles": roles}


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, me: Admin, db: Db) -> Response:
    return _page(request, "admin_users.html", _users_ctx(db, me))


_ROLE_FIELDS = {"department_id": "role_department_id"}


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
            if data.get("role"):  # the first role, in the chosen or the person's department
                try:
                    admin.grant_role(
                        s,
                        actor=me.actor,
                        now=now,
                        user_id=info.id,
                        role=data.get("role"),
                        department_id=data.get("role_department_id") or data.get("department_id"),
                    )
                except InvalidForm as exc:  # the role's department has its own field here
                    raise InvalidForm(
                        {_ROLE_FIELDS.get(k, k): v for k, v in exc.errors.items()}
                    ) from None
    except InvalidForm as exc:
        return _page(
            request,
            "admin_users.html",
            _users_ctx(db, me),
            errors={"create_user": exc.errors},
            values={"create_user": _values(data)},
            status=422,
        )
    return _back(f"/admin/users/{info.id}", "user_created")


def _user_ctx(db: Session, me: PageUser, user_id: int) -> dict[str, Any]:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    deps = _departments(db)
    by_id = {d.id: d for d in deps}
    grants = db.exec(
        select(UserRole).where(UserRole.user_id == user_id).order_by(UserRole.id)
    ).all()
    heads_of = [d for d in deps if d.head_user_id == user_id]
    return {
        "me": me,
        "u": admin.UserInfo.of(user),
        "deps": deps,
        "dep_by_id": by_id,
        "grants": grants,
        "heads_of": heads_of,
        "min_password": admin.MIN_PASSWORD_LENGTH,
    }


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(user_id: int, request: Request, me: Admin, db: Db) -> Response:
    return _page(request, "admin_user.html", _user_ctx(db, me, user_id))


async def _user_change(
    request: Request,
    me: PageUser,
    db: Session,
    rt: Runtime,
    user_id: int,
    form: str,
    change: Any,
) -> Response:
    """Run ``change(session, data)`` for the user page's form ``form``; 303 or 422."""
    data = await form_with_csrf(request)
    try:
        with unit_of_work(rt.db) as s:
            done = change(s, data)
    except InvalidForm as exc:
        return _page(
            request,
            "admin_user.html",
            _user_ctx(db, me, user_id),
            errors={form: exc.errors},
            values={form: _values(data)},
            status=422,
        )
    return _back(f"/admin/users/{user_id}", done)


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


# --- departments -------------------------------------------------------------------------


def _departments_ctx(db: Session, me: PageUser) -> dict[str, Any]:
    deps = _departments(db)
    users = {u.id: admin.UserInfo.of(u) for u in db.exec(select(User)).all()}
    active = sorted((u for u in users.values() if u.is_active), key=lambda u: u.username)
    members: dict[int | None, int] = {}
    for u in users.values():
        members[u.department_id] = members.get(u.department_id, 0) + 1
    return {"me": me, "deps": deps, "users": users, "active": active, "members": members}


@router.get("/admin/departments", response_class=HTMLResponse)
def departments_page(request: Request, me: Admin, db: Db) -> Response:
    return _page(request, "admin_departments.html", _departments_ctx(db, me))


async def _department_change(
    request: Request, me: PageUser, db: Session, rt: Runtime, form: str, change: Any
) -> Response:
    data = await form_with_csrf(request)
    try:
        with unit_of_work(rt.db) as s:
            done = change(s, data)
    except InvalidForm as exc:
        return _page(
            request,
            "admin_departments.html",
            _departments_ctx(db, me),
            errors={form: exc.errors},
            values={form: _values(data)},
            status=422,
        )
    return _back("/admin/departments", done)


@router.post("/admin/departments")
async def create_department(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    def change(s: Session, data: Any) -> str:
        admin.create_department(
            s,
            actor=me.actor,
            now=now,
            key=data.get("key"),
            name_zh=data.get("name_zh"),
            name_en=data.get("name_en"),
        )
        return "department_created"

    return await _department_change(request, me, db, rt, "create_department", change)


@router.post("/admin/departments/{department_id}")
async def rename_department(
    department_id: int, request: Request, me: Admin, db: Db, rt: Rt, now: Now
) -> Response:
    def change(s: Session, data: Any) -> str:
        admin.update_department(
            s,
            actor=me.actor,
            now=now,
            department_id=department_id,
            name_zh=data.get("name_zh"),
            name_en=data.get("name_en"),
        )
        return "department_renamed"

    return await _department_change(request, me, db, rt, f"rename-{department_id}", change)


@router.post("/admin/departments/{department_id}/head")
async def set_department_head(
    department_id: int, request: Request, me: Admin, db: Db, rt: Rt, now: Now
) -> Response:
    def change(s: Session, data: Any) -> str:
        admin.set_department_head(
            s,
            actor=me.actor,
            now=now,
            department_id=department_id,
            user_id=data.get("head_user_id"),
        )
        return "department_head_set"

    return await _department_change(request, me, db, rt, f"head-{department_id}", change)


# --- company calendar --------------------------------------------------------------------


def _calendar_ctx(db: Session, me: PageUser, rt: Runtime, now: Any) -> dict[str, Any]:
    company = list(db.exec(select(CalendarDay).order_by(CalendarDay.day)).all())
    today = now.astimezone(rt.calendar.zone).date()
    preview = admin.calendar_preview(rt.calendar, company, start=today, days=PREVIEW_DAYS)
    return {
        "me": me,
        "company": company,
        "today": today,
        "recent": today - timedelta(days=31),
        "preview": preview,
        "preview_days": PREVIEW_DAYS,
    }


@router.get("/admin/calendar", response_class=HTMLResponse)
def calendar_page(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    return _page(request, "admin_calendar.html", _calendar_ctx(db, me, rt, now))


async def _calendar_change(
    request: Request, me: PageUser, db: Session, rt: Runtime, now: Any, form: str, change: Any
) -> Response:
    data = await form_with_csrf(request)
    try:
        with unit_of_work(rt.db) as s:
            done = change(s, data)
    except InvalidForm as exc:
        return _page(
            request,
            "admin_calendar.html",
            _calendar_ctx(db, me, rt, now),
            errors={form: exc.errors},
            values={form: _values(data)},
            status=422,
        )
    rt.reload_calendar()  # due times computed from now on use the new days
    return _back("/admin/calendar", done)


@router.post("/admin/calendar")
async def set_calendar_day(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    def change(s: Session, data: Any) -> str:
        admin.set_calendar_day(
            s,
            actor=me.actor,
            now=now,
            day=data.get("day"),
            working=data.get("working"),
            note=data.get("note"),
        )
        return "calendar_day_set"

    return await _calendar_change(request, me, db, rt, now, "set_day", change)


@router.post("/admin/calendar/remove")
async def remove_calendar_day(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    def change(s: Session, data: Any) -> str:
        admin.remove_calendar_day(s, actor=me.actor, now=now, day=data.get("day"))
        return "calendar_day_removed"

    return await _calendar_change(request, me, db, rt, now, "remove_day", change)


# --- notification channels ---------------------------------------------------------------


def _channels_ctx(db: Session, me: PageUser, rt: Runtime) -> dict[str, Any]:
    return {
        "me": me,
        "channels": admin.channel_views(db, rt.settings),
        "tz": ZoneInfo(rt.settings.timezone),
        "test": None,
    }


@router.get("/admin/channels", response_class=HTMLResponse)
def channels_page(request: Request, me: Admin, db: Db, rt: Rt) -> Response:
    return _page(request, "admin_channels.html", _channels_ctx(db, me, rt))


@router.post("/admin/channels")
async def set_channel(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    data = await form_with_csrf(request)
    key = str(data.get("key", ""))
    form = f"channel-{key}" if key in admin.CHANNEL_KEYS else "channel"
    try:
        with unit_of_work(rt.db) as s:
            admin.set_channel(
                s,
                actor=me.actor,
                now=now,
                settings=rt.settings,
                key=key,
                value=data.get("value"),
            )
    except InvalidForm as exc:
        value = admin.mask_url(str(data.get("value", "")))  # never echo a typed password
        return _page(
            request,
            "admin_channels.html",
            _channels_ctx(db, me, rt),
            errors={form: exc.errors},
            values={form: {"value": value}},
            status=422,
        )
    return _back("/admin/channels", "channel_set")


@router.post("/admin/channels/test", response_class=HTMLResponse)
async def channel_test(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    data = await form_with_csrf(request)
    try:
        message, result = await run_in_threadpool(
            lambda: admin.send_test(
                rt.db, rt.settings, actor=me.actor, now=now, address=data.get("address")
            )
        )
    except InvalidForm as exc:
        return _page(
            request,
            "admin_channels.html",
            _channels_ctx(db, me, rt),
            errors={"test": exc.errors},
            values={"test": _values(data)},
            status=422,
        )
    ctx = _channels_ctx(db, me, rt)
    ctx["test"] = {
        "ok": result.ok,
        "error": result.error,
        "channel": message.channel,
        "address": message.address,
    }
    return _page(request, "admin_channels.html", ctx, values={"test": _values(data)})
