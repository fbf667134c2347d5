"""The administrator's start page: counts, departments without a head, channels in effect."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import func, select

from api.deps import Db, Rt
from api.routes_admin.common import Admin, all_departments, page, router
from gendan import admin
from gendan.models import CalendarDay, User


@router.get("/admin", response_class=HTMLResponse)
def admin_index(request: Request, me: Admin, db: Db, rt: Rt) -> Response:
    users = db.exec(select(func.count()).select_from(User)).one()
    active = db.exec(
        select(func.count()).select_from(User).where(User.is_active == True)  # noqa: E712
    ).one()
    deps = all_departments(db)
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
    return page(request, "admin_index.html", ctx)
