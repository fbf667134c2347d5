"""The admin page for the company calendar: announced days and a preview of the days ahead."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from api.deps import Db, Now, Rt
from api.routes_admin.common import Admin, Change, page, router, submit
from api.web import PageUser
from gendan import admin
from gendan.models import CalendarDay
from gendan.runtime import Runtime

PREVIEW_DAYS = 60


def _calendar_ctx(db: Session, me: PageUser, rt: Runtime, now: datetime) -> dict[str, Any]:
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
    return page(request, "admin_calendar.html", _calendar_ctx(db, me, rt, now))


async def _calendar_change(
    request: Request,
    me: PageUser,
    db: Session,
    rt: Runtime,
    now: datetime,
    form: str,
    change: Change,
) -> Response:
    return await submit(
        request,
        rt,
        change,
        form=form,
        back="/admin/calendar",
        template="admin_calendar.html",
        ctx=lambda: _calendar_ctx(db, me, rt, now),
        after=rt.reload_calendar,  # due times computed from now on use the new days
    )


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
