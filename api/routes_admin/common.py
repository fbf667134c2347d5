"""What every admin page shares: the role check, rendering, and the POST → 303/422 cycle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, select

from api.web import Me, PageUser, form_with_csrf, render, require_role
from gendan import admin
from gendan.db import unit_of_work
from gendan.errors import InvalidForm
from gendan.models import Department
from gendan.runtime import Runtime

#: The routes of every admin page (each page module adds its own).
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


def back_to(url: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?done={done}", status_code=303)


def form_values(data: Any, *skip: str) -> dict[str, str]:
    """What was posted, to refill the form; never the CSRF token or a password."""
    return {
        k: str(v) for k, v in data.items() if k not in {"csrf_token", *skip} and "password" not in k
    }


def page(
    request: Request,
    template: str,
    ctx: dict[str, Any],
    *,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """Render an admin page; after a 303 back, with the message for ``?done=``."""
    ctx = {
        **ctx,
        "errors": errors or {},
        "values": values or {},
        "done": DONE.get(request.query_params.get("done", "")) if status == 200 else None,
        "roles_known": admin.ROLES,
        "languages": admin.LANGUAGES,
        **extra,
    }
    return render(request, template, ctx, status)


def all_departments(db: Session) -> list[Department]:
    return list(db.exec(select(Department).order_by(Department.id)).all())


#: ``change(session, posted)`` makes one change and returns its ``?done=`` code.
Change = Callable[[Session, Any], str]


async def submit(
    request: Request,
    rt: Runtime,
    change: Change,
    *,
    form: str | Callable[[Any], str],
    back: str,
    template: str,
    ctx: Callable[[], dict[str, Any]],
    values: Callable[[Any], dict[str, str]] = form_values,
    after: Callable[[], None] | None = None,
) -> Response:
    """Run ``change`` for the page's form ``form`` in one unit of work: 303 to ``back`` or 422.

    On 422 the page (``template`` with ``ctx()``) shows the errors next to the
    fields of ``form`` (or of ``form(posted)``), refilled with ``values(posted)``. ``after()`` runs
    after a successful commit.
    """
    data = await form_with_csrf(request)
    try:
        with unit_of_work(rt.db) as s:
            done = change(s, data)
    except InvalidForm as exc:
        name = form(data) if callable(form) else form
        return page(
            request,
            template,
            ctx(),
            errors={name: exc.errors},
            values={name: values(data)},
            status=422,
        )
    if after is not None:
        after()
    return back_to(back, done)
