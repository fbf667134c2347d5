"""Server-rendered pages: login, the inbox, a task with its form, an instance, documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import Session, select

import forms
from api.csrf import check_csrf, csrf_token
from api.deps import Db, Now, Rt
from api.errors import status_of
from gendan.accounts import authenticate
from gendan.db import unit_of_work
from gendan.errors import EngineError, InvalidForm, NotAllowed
from gendan.models import Document, User
from gendan.org import Actor, load_actor
from gendan.queries import can_view, get_task_for, inbox, instance_view
from gendan.transitions import COUNTERSIGN_DECISION, claim_task, complete_task, start_instance
from states import PROCEDURES, get_procedure

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _user(request: Request, db: Session) -> tuple[User, Actor] | None:
    uid = request.session.get("user_id")
    user = db.get(User, uid) if uid else None
    if user is None or not user.is_active:
        return None
    actor = load_actor(db, uid)
    db.expunge(user)
    db.rollback()  # end the read snapshot: the route may write, then read its own write
    return user, actor


def _login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def _render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    user = ctx.get("user")
    lang = user.language if user else request.session.get("lang", "zh")
    base = {
        "request": request,
        "csrf": csrf_token(request),
        "lang": lang,
        "t": lambda zh, en: zh if lang == "zh" else en,
    }
    return templates.TemplateResponse(request, name, {**base, **ctx}, status_code=status)


def _time_left(rt: Any, now: Any, due: Any) -> dict[str, Any]:
    if due is None:
        return {"text": "—", "level": "none"}
    minutes = rt.calendar.working_minutes_between(now, due)
    sign = "-" if minutes < 0 else ""
    h, m = divmod(abs(minutes), 60)
    level = "overdue" if minutes < 0 else "soon" if minutes <= 60 else "ok"
    return {"text": f"{sign}{h}h{m:02d}m", "level": level}


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return _render(request, "login.html", {"next": next, "error": None})


@router.post("/login")
async def login(request: Request, rt: Rt, now: Now) -> Response:
    data = await request.form()
    check_csrf(request, data.get("csrf_token"))
    nxt = str(data.get("next") or "/")
    if not nxt.startswith("/") or nxt.startswith("//"):
        nxt = "/"
    with unit_of_work(rt.db) as s:
        user = authenticate(
            s,
            username=str(data.get("username", "")),
            password=str(data.get("password", "")),
            now=now,
            channel="web",
        )
        uid = user.id if user else None
    if uid is None:
        ctx = {"next": nxt, "error": "用户名或密码错误 / Wrong username or password"}
        return _render(request, "login.html", ctx, status=401)
    request.session.clear()
    request.session["user_id"] = uid
    return RedirectResponse(nxt, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    check_csrf(request, (await request.form()).get("csrf_token"))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/", response_class=HTMLResponse)
def inbox_page(request: Request, db: Db, rt: Rt, now: Now) -> Response:
    who = _user(request, db)
    if who is None:
        return _login_redirect(request)
    user, actor = who
    rows = [(r, _time_left(rt, now, r.task.due_at)) for r in inbox(db, actor)]
    startable = [p for p in PROCEDURES.values() if any(actor.has_role(r) for r in p.start_roles)]
    return _render(request, "inbox.html", {"user": user, "rows": rows, "startable": startable})


def _prefill(inst: Any, form_key: str | None) -> dict[str, Any]:
    """Start a form from what the instance already knows: the order, the request, earlier forms."""
    if not form_key:
        return {}
    fields = forms.get_form(form_key).model_fields
    known: dict[str, Any] = {**inst.data.get("order", {}), **inst.data.get("request", {})}
    for earlier in inst.data.get("forms", {}).values():
        known.update(earlier)
    return {k: v for k, v in known.items() if k in fields and v not in (None, "")}


def _task_context(db: Session, rt: Any, now: Any, task_id: int, user: User, actor: Actor) -> dict:
    task, inst = get_task_for(db, task_id, actor)
    proc = get_procedure(inst.procedure)
    wait = proc.wait_for(task.state)
    if task.status != "open":
        decisions = []
    elif wait and wait.countersign:
        decisions = [
            {
                "event": COUNTERSIGN_DECISION,
                "label": "提交评审意见 / Submit opinion",
                "form": wait.countersign.form,
                "reason": False,
                "signature": None,
                "prefill": {},
            }
        ]
    else:
        decisions = [
            {
                "event": e,
                "label": f"{s.label_zh} / {s.label_en}",
                "form": s.form,
                "reason": s.reason_required,
                "signature": s.signature,
                "prefill": {**_prefill(inst, s.form), **s.fixed},
            }
            for e in proc.events_from(task.state)
            if (s := proc.steps[e])
        ]
    return {
        "user": user,
        "task": task,
        "inst": inst,
        "proc": proc,
        "decisions": decisions,
        "view": instance_view(db, inst.id, actor),
        "left": _time_left(rt, now, task.due_at),
        "mine": task.assignee_id == actor.user_id,
        "forms": forms,
    }


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_page(task_id: int, request: Request, db: Db, rt: Rt, now: Now) -> Response:
    who = _user(request, db)
    if who is None:
        return _login_redirect(request)
    try:
        ctx = _task_context(db, rt, now, task_id, *who)
    except EngineError as exc:
        return _render(request, "error.html", {"user": who[0], "error": str(exc)}, status_of(exc))
    return _render(request, "task.html", {**ctx, "errors": {}, "values": {}, "active": None})


@router.post("/tasks/{task_id}/claim")
async def claim_page(task_id: int, request: Request, db: Db, rt: Rt, now: Now) -> Response:
    who = _user(request, db)
    if who is None:
        return _login_redirect(request)
    check_csrf(request, (await request.form()).get("csrf_token"))
    try:
        with unit_of_work(rt.db) as s:
            claim_task(s, task_id=task_id, actor=who[1], now=now)
    except EngineError as exc:
        return _render(request, "error.html", {"user": who[0], "error": str(exc)}, status_of(exc))
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


@router.post("/tasks/{task_id}/complete")
async def complete_page(task_id: int, request: Request, db: Db, rt: Rt, now: Now) -> Response:
    who = _user(request, db)
    if who is None:
        return _login_redirect(request)
    data = await request.form()
    check_csrf(request, data.get("csrf_token"))
    decision = str(data.get("decision", ""))
    skip = {"csrf_token", "decision", "reason", "password"}
    form_data = {
        k: (data.getlist(k) if len(data.getlist(k)) > 1 else v)
        for k, v in data.items()
        if k not in skip
    }
    try:
        with unit_of_work(rt.db) as s:
            complete_task(
                s,
                task_id=task_id,
                actor=who[1],
                decision=decision,
                form_data=form_data,
                reason=str(data.get("reason", "")),
                password=data.get("password") or None,
                now=now,
                calendar=rt.calendar,
            )
    except InvalidForm as exc:
        ctx = _task_context(db, rt, now, task_id, *who)
        return _render(
            request,
            "task.html",
            {**ctx, "errors": exc.errors, "values": form_data, "active": decision},
            status=422,
        )
    except EngineError as exc:
        return _render(request, "error.html", {"user": who[0], "error": str(exc)}, status_of(exc))
    return RedirectResponse("/", status_code=303)


@router.get("/instances/{instance_id}", response_class=HTMLResponse)
def instance_page(instance_id: int, request: Request, db: Db) -> Response:
    who = _user(request, db)
    if who is None:
        return _login_redirect(request)
    try:
        view = instance_view(db, instance_id, who[1])
    except EngineError as exc:
        return _render(request, "error.html", {"user": who[0], "error": str(exc)}, status_of(exc))
    return _render(request, "instance.html", {"user": who[0], "view": view})


@router.get("/start/{procedure}", response_class=HTMLResponse)
def start_page(procedure: str, request: Request, db: Db) -> Response:
    who = _user(request, db)
    if who is None:
        return _login_redirect(request)
    proc = get_procedure(procedure)
    return _render(
        request,
        "start.html",
        {"user": who[0], "proc": proc, "forms": forms, "errors": {}, "values": {}},
    )


@router.post("/start/{procedure}")
async def start_submit(procedure: str, request: Request, db: Db, rt: Rt, now: Now) -> Response:
    who = _user(request, db)
    if who is None:
        return _login_redirect(request)
    data = await request.form()
    check_csrf(request, data.get("csrf_token"))
    values = {k: v for k, v in data.items() if k != "csrf_token"}
    proc = get_procedure(procedure)
    try:
        with unit_of_work(rt.db) as s:
            inst = start_instance(
                s,
                procedure=procedure,
                actor=who[1],
                form_data=values,
                now=now,
                calendar=rt.calendar,
            )
            iid = inst.id
    except InvalidForm as exc:
        return _render(
            request,
            "start.html",
            {"user": who[0], "proc": proc, "forms": forms, "errors": exc.errors, "values": values},
            422,
        )
    except EngineError as exc:
        return _render(request, "error.html", {"user": who[0], "error": str(exc)}, status_of(exc))
    return RedirectResponse(f"/instances/{iid}", status_code=303)


@router.get("/documents/{doc_no}", response_class=HTMLResponse)
def document_page(doc_no: str, request: Request, db: Db) -> Response:
    who = _user(request, db)
    if who is None:
        return _login_redirect(request)
    doc = db.exec(select(Document).where(Document.doc_no == doc_no)).first()
    if doc is None or not can_view(db, who[1], doc.instance_id):
        raise_for = NotAllowed("you may not read this document") if doc else None
        msg = str(raise_for) if raise_for else "no such document"
        return _render(request, "error.html", {"user": who[0], "error": msg}, 403 if doc else 404)
    issuer = db.get(User, doc.issued_by_id)
    meta = {
        "doc_no": doc.doc_no,
        "order_no": doc.order_no,
        "issued_by": issuer.display_name if issuer else "",
        "issued_at": doc.issued_at,
        "status": "已收回 / recalled" if doc.status == "recalled" else None,
    }
    return HTMLResponse(forms.render_print(doc.kind, doc.data, meta, lang=who[0].language))
