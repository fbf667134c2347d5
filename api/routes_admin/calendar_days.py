"""The admin page for the company calendar: announced days and a preview of the days ahead."""

from __future__ import annotations

from datetime import date, datetime, timedelta
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


def _moved(request: Request) -> int | None:
    """``?moved=N`` after a change: how many open tasks' due times moved."""
    raw = request.query_params.get("moved", "")
    return int(raw) if raw.isdigit() else None


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
        "moved": None,
    }


@router.get("/admin/calendar", response_class=HTMLResponse)
def calendar_page(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    ctx = _calendar_ctx(db, me, rt, now) | {"moved": _moved(request)}
    return page(request, "admin_calendar.html", ctx)


async def _calendar_change(
    request: Request,
    me: PageUser,
    db: Session,
    rt: Runtime,
    now: datetime,
    form: str,
    change: Change,
) -> Response:
    """Make the change, move the open tasks' deadlines with it, and say how many moved."""
    moved: list[int] = []

    def change_and_move(s: Session, data: Any) -> str:
        done = change(s, data)
        day = admin_day(data.get("day"))
        if day is not None:
            moved.append(
                admin.move_deadlines(s, actor=me.actor, now=now, settings=rt.settings, day=day)
            )
        return done

    response = await submit(
        request,
        rt,
        change_and_move,
        form=form,
        back="/admin/calendar",
        template="admin_calendar.html",
        ctx=lambda: _calendar_ctx(db, me, rt, now),
        after=rt.reload_calendar,  # due times computed from now on use the new days
    )
    if response.status_code == 303 and moved:
        response.headers["location"] += f"&moved={moved[0]}"
    return response


def admin_day(value: Any) -> date | None:
    """The posted day, already validated by the change (None if it did not parse)."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


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
