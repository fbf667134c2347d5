"""Shared plumbing for the server-rendered pages: who is logged in, rendering, CSRF."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from api.csrf import check_csrf, csrf_token
from api.deps import Db, Now, Rt
from gendan import sessions
from gendan.admin import ROLES
from gendan.audit_search import state_name
from gendan.errors import NotAllowed
from gendan.labels import labeller
from gendan.lean_reads import actor_of, session_user
from gendan.models import User
from gendan.org import Actor
from notifications import times

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def company_time(zone: ZoneInfo) -> Callable[..., str]:
    """``local_time(value, tz=zone, seconds=False)`` for templates: an instant (datetime or
    ISO text, UTC as stored) as the company's wall clock, "—" when there is none."""

    def local_time(value: Any, tz: ZoneInfo | str | None = None, seconds: bool = False) -> str:
        return times.local(value, tz or zone, times.SECONDS if seconds else times.MINUTES)

    return local_time


@pass_context
def _local_filter(ctx: Any, value: Any, seconds: bool = False) -> str:
    return company_time(ctx["tz"])(value, seconds=seconds)


templates.env.filters["local"] = _local_filter


class LoginRequired(Exception):
    """No one is logged in: the app answers with a redirect to /login?next=<this page>."""


@dataclass(frozen=True)
class PageUser:
    user: User
    actor: Actor


def page_user(request: Request, db: Db, rt: Rt, now: Now) -> PageUser:
    """The person of the session cookie's live server-side session (``gendan.sessions``):
    ended, idle or past its absolute limit → the login page."""
    sid = request.session.get("sid")
    # the session row with its person, then their roles: two statements (gendan.lean_reads)
    rec, user = session_user(db, sid) if isinstance(sid, str) else (None, None)
    uid = sessions.live_user(rt.db, rec, now=now, settings=rt.settings)
    if not uid or user is None or not user.is_active:
        raise LoginRequired()
    request.state.actor_id = uid  # whose refusal it is, if this request is refused (403)
    actor = actor_of(db, user)
    db.rollback()  # end the read snapshot: the route may write, then read its own write
    return PageUser(user, actor)


Me = Annotated[PageUser, Depends(page_user)]


def require_role(me: PageUser, *roles: str) -> None:
    """Pages for a role (auditor, admin): anyone else gets 403 (audited, ``api.errors``)."""
    if not any(me.actor.has_role(r) for r in roles):
        raise NotAllowed("this page needs the role " + " / ".join(roles))


async def form_with_csrf(request: Request) -> Any:
    """The posted form, after checking its CSRF token (403 if missing or wrong)."""
    data = await request.form()
    check_csrf(request, data.get("csrf_token"))
    return data


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


def lang_of(request: Request, user: User | None) -> str:
    return user.language if user else request.session.get("lang", "zh")


def _pick(pair: tuple[str, ...], lang: str) -> str:
    zh, en = pair[0], (pair[1] if len(pair) > 1 and pair[1] else pair[0])
    return zh if lang == "zh" else en


def render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    me: PageUser | None = ctx.get("me")
    user = me.user if me else ctx.get("user")
    lang = lang_of(request, user)
    base = {
        "request": request,
        "csrf": csrf_token(request),
        "lang": lang,
        "user": user,
        "me": me,
        "t": lambda zh, en: zh if lang == "zh" else en,
        "tz": request.app.state.rt.calendar.zone,
        #: Company time for any instant shown: ``local_time(x)`` (or ``x|local``), 12:09 UTC
        #: reads 20:09 in Asia/Shanghai (``notifications.times``).
        "local_time": company_time(request.app.state.rt.calendar.zone),
        "role_label": lambda key: _pick(ROLES.get(key, (key, key)), lang),
        #: Raw keys in words: ``L('order_status', o.status)`` (``gendan.labels``).
        "L": labeller(lang),
        "state_label": lambda proc, state: _pick(
            tuple(state_name(proc, state).partition(" / ")[::2]), lang
        ),
    }
    return templates.TemplateResponse(request, name, {**base, **ctx}, status_code=status)
