"""The admin page for departments: create, rename, and set the head (部门领导)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from api.deps import Db, Now, Rt
from api.routes_admin.common import Admin, Change, all_departments, page, router, submit
from api.web import PageUser
from gendan import admin
from gendan.models import User
from gendan.runtime import Runtime


def _departments_ctx(db: Session, me: PageUser) -> dict[str, Any]:
    deps = all_departments(db)
    users = {u.id: admin.UserInfo.of(u) for u in db.exec(select(User)).all()}
    active = sorted((u for u in users.values() if u.is_active), key=lambda u: u.username)
    members: dict[int | None, int] = {}
    for u in users.values():
        members[u.department_id] = members.get(u.department_id, 0) + 1
    return {"me": me, "deps": deps, "users": users, "active": active, "members": members}


@router.get("/admin/departments", response_class=HTMLResponse)
def departments_page(request: Request, me: Admin, db: Db) -> Response:
    return page(request, "admin_departments.html", _departments_ctx(db, me))


async def _department_change(
    request: Request, me: PageUser, db: Session, rt: Runtime, form: str, change: Change
) -> Response:
    return await submit(
        request,
        rt,
        change,
        form=form,
        back="/admin/departments",
        template="admin_departments.html",
        ctx=lambda: _departments_ctx(db, me),
    )


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
