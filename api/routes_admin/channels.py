"""The admin page for notification channels: override the SMTP/SMS URLs, send a test."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.deps import Db, Now, Rt
from api.routes_admin.common import Admin, form_values, page, router, submit
from api.web import PageUser, form_with_csrf
from gendan import admin
from gendan.errors import InvalidForm
from gendan.runtime import Runtime


def _channels_ctx(db: Session, me: PageUser, rt: Runtime) -> dict[str, Any]:
    return {
        "me": me,
        "channels": admin.channel_views(db, rt.settings),
        "tz": ZoneInfo(rt.settings.timezone),
        "test": None,
    }


@router.get("/admin/channels", response_class=HTMLResponse)
def channels_page(request: Request, me: Admin, db: Db, rt: Rt) -> Response:
    return page(request, "admin_channels.html", _channels_ctx(db, me, rt))


def _masked_value(data: Any) -> dict[str, str]:
    """The posted URL to refill the form: never echo a typed password."""
    return {"value": admin.mask_url(str(data.get("value", "")))}


def _channel_form(data: Any) -> str:
    key = str(data.get("key", ""))
    return f"channel-{key}" if key in admin.CHANNEL_KEYS else "channel"


@router.post("/admin/channels")
async def set_channel(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    def change(s: Session, data: Any) -> str:
        admin.set_channel(
            s,
            actor=me.actor,
            now=now,
            settings=rt.settings,
            key=str(data.get("key", "")),
            value=data.get("value"),
        )
        return "channel_set"

    return await submit(
        request,
        rt,
        change,
        form=_channel_form,
        back="/admin/channels",
        template="admin_channels.html",
        ctx=lambda: _channels_ctx(db, me, rt),
        values=_masked_value,
    )


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
        return page(
            request,
            "admin_channels.html",
            _channels_ctx(db, me, rt),
            errors={"test": exc.errors},
            values={"test": form_values(data)},
            status=422,
        )
    ctx = _channels_ctx(db, me, rt)
    ctx["test"] = {
        "ok": result.ok,
        "error": result.error,
        "channel": message.channel,
        "address": message.address,
    }
    return page(request, "admin_channels.html", ctx, values={"test": form_values(data)})
