"""The escalation view: "escalated to me / my department overdue" for heads and the GM office,
with urge, reassign and act; its JSON twin; and the inbox badge count.

Page: ``GET /escalations``; actions ``POST /escalations/{task_id}/urge|reassign|claim``.
API: ``GET /api/escalations``, ``POST /api/escalations/{task_id}/urge``.
Badge: ``GET /inbox/count`` → ``{"todo": n}``, polled by ``/static/inbox-count.js``
(an external script: the Content-Security-Policy allows no inline script).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, select

from api.deps import ApiActor, Db, Now, Rt
from api.errors import API_ERRORS
from api.guard import ObjectId
from api.page_counts import page_counts
from api.web import Me, PageUser, form_with_csrf, render, templates
from gendan.assignment import claim_task, reassign_task, urge_task
from gendan.db import unit_of_work
from gendan.errors import InvalidForm, NotAllowed
from gendan.escalation_view import (
    EscalationRow,
    actor_sees_escalations,
    escalation_view,
    sees_escalations,
)
from gendan.inbox_tabs import PAGE_COUNT_CAP, bounded_counts, shown_count, todo_condition
from gendan.limits import MAX_TEXT, parse_id
from gendan.models import Task
from gendan.org import Actor
from notifications.messages import lateness

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["escalations"], responses=API_ERRORS)

#: ``?done=`` codes of the view → the message shown after an action.
DONE = {
    "urged": ("已发送催办提醒", "Reminder sent"),
    "reassigned": ("已改派", "Task reassigned"),
}

#: How often the page asks for the to-do count (milliseconds), in the script below.
POLL_MS = 60_000

INBOX_COUNT_JS = f"""// gendan: refresh the to-do badge in the navigation, no page reload.
(function () {{
  var badge = document.getElementById("todo-badge");
  if (!badge || !window.fetch) return;
  function refresh() {{
    fetch("/inbox/count", {{credentials: "same-origin", headers: {{"Accept": "application/json"}}}})
      .then(function (r) {{ return r.ok ? r.json() : null; }})
      .then(function (data) {{
        if (!data || typeof data.todo !== "number") return;
        badge.textContent = data.todo > {PAGE_COUNT_CAP} ? "{PAGE_COUNT_CAP}+" : String(data.todo);
        badge.hidden = data.todo === 0;
        badge.setAttribute("data-count", String(data.todo));
      }})
      .catch(function () {{}});
  }}
  window.setInterval(refresh, {POLL_MS});
  document.addEventListener("visibilitychange", function () {{
    if (!document.hidden) refresh();
  }});
}})();
"""


# --- shared by the page and the API ---------------------------------------------------------


def _require_view(session: Session, actor: Actor) -> None:
    if not sees_escalations(session, actor.user_id):
        raise NotAllowed(
            "the escalation view is for department heads and the GM office / 仅部门领导与总经办可见"
        )


def todo_count(session: Session, actor: Actor) -> int:
    """The inbox's "to do" count (``gendan.inbox_tabs.todo_condition``: mine or my queues)."""
    return int(session.exec(select(func.count(Task.id)).where(todo_condition(actor))).one())


def _note(value: object) -> str:
    text = str(value or "")
    if len(text) > MAX_TEXT:
        raise InvalidForm({"note": f"at most {MAX_TEXT} characters / 不超过 {MAX_TEXT} 个字符"})
    return text


# --- template helpers (the navigation in base.html) -------------------------------------------


def _nav_sees_escalations(request: Request, me: PageUser | None) -> bool:
    """Whether the navigation shows "升级 / Escalations" (heads and the GM office): read
    off the actor the request already holds (``actor_sees_escalations``), no statement."""
    return me is not None and actor_sees_escalations(me.actor)


def _nav_todo_count(request: Request, me: PageUser | None) -> int:
    """The badge's first value, before the script refreshes it (bounded: "99+")."""
    if me is None:
        return 0
    return page_counts(request, me)["todo"]


templates.env.globals["nav_sees_escalations"] = _nav_sees_escalations
templates.env.globals["nav_todo_count"] = _nav_todo_count
templates.env.filters["shown_count"] = shown_count


# --- pages -----------------------------------------------------------------------------------


@pages.get("/escalations", response_class=HTMLResponse)
def escalations_page(request: Request, me: Me, db: Db, rt: Rt, now: Now) -> Response:
    _require_view(db, me.actor)
    view = escalation_view(db, me.actor, now=now, calendar=rt.calendar)
    done = DONE.get(request.query_params.get("done", ""))
    ctx = {"me": me, "view": view, "done": done, "late_words": lateness}
    return render(request, "escalations.html", ctx)


@pages.post("/escalations/{task_id}/urge")
async def urge_page(task_id: int, request: Request, me: Me, rt: Rt, now: Now) -> Response:
    data = await form_with_csrf(request)
    with unit_of_work(rt.db) as s:
        urge_task(
            s,
            task_id=task_id,
            actor=me.actor,
            note=_note(data.get("note")),
            now=now,
            calendar=rt.calendar,
        )
    return RedirectResponse("/escalations?done=urged", status_code=303)


@pages.post("/escalations/{task_id}/reassign")
async def reassign_page(task_id: int, request: Request, me: Me, rt: Rt, now: Now) -> Response:
    data = await form_with_csrf(request)
    try:
        to_user_id = parse_id(data.get("to_user_id"), "to_user_id")
    except InvalidForm:
        raise InvalidForm({"to_user_id": "choose a person / 请选择人员"}) from None
    with unit_of_work(rt.db) as s:
        reassign_task(
            s,
            task_id=task_id,
            actor=me.actor,
            to_user_id=to_user_id,
            now=now,
            reason=_note(data.get("reason")),
            calendar=rt.calendar,  # the new holder is told by e-mail
        )
    return RedirectResponse("/escalations?done=reassigned", status_code=303)


@pages.post("/escalations/{task_id}/claim")
async def claim_page(task_id: int, request: Request, me: Me, rt: Rt, now: Now) -> Response:
    """Act on the escalation: take the task, then decide it on its page."""
    await form_with_csrf(request)
    with unit_of_work(rt.db) as s:
        claim_task(s, task_id=task_id, actor=me.actor, now=now)
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


@pages.get("/inbox/count")
def inbox_count(me: Me, db: Db) -> JSONResponse:
    """The badge's count, bounded like the page's: 100 reads "more than 99" ("99+")."""
    return JSONResponse({"todo": bounded_counts(db, me.actor, tabs=("todo",))["todo"]})


@pages.get("/static/inbox-count.js")
def inbox_count_script() -> Response:
    return Response(INBOX_COUNT_JS, media_type="text/javascript; charset=utf-8")


# --- API -------------------------------------------------------------------------------------


class EscalationOut(BaseModel):
    """One task in the escalation view."""

    task_id: int
    order_no: str
    customer: str
    product: str
    title_zh: str
    title_en: str
    department_zh: str
    department_en: str
    holder_zh: str = Field(description="the assignee, or the unclaimed queue")
    holder_en: str
    due_at: datetime | None = Field(description="UTC")
    escalation_level: int = Field(description="how far the task's escalation went")
    my_level: int = Field(description="the level naming me; 0: overdue in my department only")
    late_working_minutes: int
    may_reassign: bool


class EscalationsOut(BaseModel):
    escalated: list[EscalationOut] = Field(description="escalated to me")
    overdue: list[EscalationOut] = Field(description="overdue in the departments I head")


class UrgeIn(BaseModel):
    #: Required (422 when blank), checked by the engine after who may urge (403 first).
    note: str = Field(default="", max_length=MAX_TEXT, description="what you ask the holder")


class UrgeOut(BaseModel):
    task_id: int
    recipients: list[str]


def _out(row: EscalationRow) -> dict[str, Any]:
    t = row.task
    return {
        "task_id": t.id,
        "order_no": row.order_no,
        "customer": row.customer,
        "product": row.product,
        "title_zh": t.title_zh,
        "title_en": t.title_en,
        "department_zh": row.department_zh,
        "department_en": row.department_en,
        "holder_zh": row.holder_zh,
        "holder_en": row.holder_en,
        "due_at": t.due_at,
        "escalation_level": t.escalation_level,
        "my_level": row.my_level,
        "late_working_minutes": row.late_minutes,
        "may_reassign": row.may_reassign,
    }


@api.get("/escalations", response_model=EscalationsOut)
def escalations_json(actor: ApiActor, db: Db, rt: Rt, now: Now) -> dict[str, Any]:
    """Tasks escalated to me, and (for a head) my departments' overdue open tasks."""
    _require_view(db, actor)
    view = escalation_view(db, actor, now=now, calendar=rt.calendar)
    return {
        "escalated": [_out(r) for r in view.escalated],
        "overdue": [_out(r) for r in view.overdue],
    }


@api.post("/escalations/{task_id}/urge", response_model=UrgeOut)
def urge_json(task_id: ObjectId, body: UrgeIn, actor: ApiActor, rt: Rt, now: Now) -> dict[str, Any]:
    """A reminder with a note to the task's holder(s) (the head, or an escalation target)."""
    with unit_of_work(rt.db) as s:
        told = urge_task(
            s, task_id=task_id, actor=actor, note=body.note, now=now, calendar=rt.calendar
        )
        names = [u.username for u in told]
    return {"task_id": task_id, "recipients": names}
