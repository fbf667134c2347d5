"""Server-rendered pages: login, the inbox, a task with its form, an instance, documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

import forms
from api.decided import decided_view, decision_groups, error_links, form_error_links
from api.deps import Db, Now, Rt, client_source
from api.facts import deadline_view, order_facts, stock_view
from api.page_counts import page_counts
from api.web import Me, PageUser, form_with_csrf, render
from forms.base import number_problem
from gendan import sessions
from gendan.accounts import login as check_login
from gendan.assignment import claim_task, may_reassign
from gendan.db import unit_of_work
from gendan.decisions import task_decisions
from gendan.errors import InvalidForm, NotAllowed, NotFound
from gendan.group_commit import complete_grouped
from gendan.links import page_context
from gendan.models import Department, Document, Instance, Task, User
from gendan.org import role_holders
from gendan.pausing import CHANNELS, pause_task, resume_task
from gendan.prefill import prefill, typed_in_company_time
from gendan.queries import InboxFilter, can_view, get_task_for, instance_view, lean_inbox
from gendan.transitions import COUNTERSIGN_DECISION, start_instance
from states import PROCEDURES, get_procedure
from states.base import OUTSIDE_PARTIES
from states.diagram import render_svg

router = APIRouter(include_in_schema=False)


def time_left(
    rt: Any, now: Any, due: Any, created: Any = None, paused_at: Any = None
) -> dict[str, Any]:
    """Working time left before ``due``: ok; soon (amber: last quarter of the SLA or last
    hour); overdue (red); paused (the clock stopped at ``paused_at``: what was left then)."""
    if due is None:
        return {"text": "—", "level": "none", "minutes": None, "paused": False}
    minutes = rt.calendar.working_minutes_between(paused_at or now, due)
    total = rt.calendar.working_minutes_between(created, due) if created else 0
    sign = "-" if minutes < 0 else ""
    h, m = divmod(abs(minutes), 60)
    soon = minutes <= 60 or (total > 0 and minutes * 4 <= total)
    level = "overdue" if minutes < 0 else "soon" if soon else "ok"
    if paused_at is not None:
        level = "paused"
    text = f"{sign}{h}h{m:02d}m"
    return {"text": text, "level": level, "minutes": minutes, "paused": paused_at is not None}


def pause_view(rt: Any, now: Any, task: Any) -> dict[str, Any] | None:
    """What the task page says about waiting on an outside party (None: the step does not)."""
    if not task.pauses_for:
        return None
    zh, en = OUTSIDE_PARTIES.get(task.pauses_for, (task.pauses_for, task.pauses_for))
    current = rt.calendar.working_minutes_between(task.paused_at, now) if task.paused_at else 0
    h, m = divmod(task.waited_minutes + current, 60)
    return {
        "party_zh": zh,
        "party_en": en,
        "since": task.paused_at,
        "waited": f"{h}h{m:02d}m" if task.waited_minutes + current else "",
        "channels": CHANNELS,
    }


def _safe_next(nxt: str) -> str:
    return nxt if nxt.startswith("/") and not nxt.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
async def login(request: Request, rt: Rt, now: Now) -> Response:
    data = await form_with_csrf(request)
    nxt = _safe_next(str(data.get("next") or "/"))
    user = await run_in_threadpool(
        check_login,
        rt.db,
        username=str(data.get("username", "")),
        password=str(data.get("password", "")),
        now=now,
        channel="web",
        source=client_source(request),
        settings=rt.settings,
    )
    if user is None or user.id is None:
        ctx = {"next": nxt, "error": "用户名或密码错误 / Wrong username or password"}
        return render(request, "login.html", ctx, status=401)
    with unit_of_work(rt.db) as s:
        sid = sessions.open_session(s, user_id=user.id, now=now, source=client_source(request))
    request.session.clear()
    request.session["sid"] = sid  # the only thing the cookie carries
    return RedirectResponse(nxt, status_code=303)


@router.post("/logout")
async def logout(request: Request, rt: Rt, now: Now) -> Response:
    """End the server-side session: the cookie, if replayed, opens nothing."""
    await form_with_csrf(request)
    sid = request.session.get("sid")
    if isinstance(sid, str):
        with unit_of_work(rt.db) as s:
            sessions.end_session(s, sid=sid, now=now, reason="logout")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def inbox_filter(request: Request) -> tuple[InboxFilter, tuple[datetime, int] | None]:
    """Filters and the page cursor from the query string (``after=<due ISO>~<task id>``)."""
    p = request.query_params
    flt = InboxFilter(
        scope=p.get("scope", "all"),
        procedure=p.get("procedure") or None,
        order_no=p.get("order_no") or None,
        customer=p.get("customer") or None,
        q=p.get("q") or None,
        overdue=p.get("overdue") == "1",
        due_today=p.get("due_today") == "1",
    )
    after = None
    if "~" in p.get("after", ""):
        due, _, tid = p["after"].partition("~")
        try:
            after = (datetime.fromisoformat(due), int(tid))
        except ValueError:
            after = None
    return flt, after


@router.get("/", response_class=HTMLResponse)
def inbox_page(request: Request, me: Me, db: Db, rt: Rt, now: Now) -> Response:
    flt, after = inbox_filter(request)
    page = lean_inbox(db, me.actor, now=now, tz=rt.calendar.zone, flt=flt, after=after)
    page_counts(request, me, db)  # the tab bar's and the badge's, then the connection is free
    rows = [
        (r, time_left(rt, now, r.task.due_at, r.task.created_at, r.task.paused_at))
        for r in page.rows
    ]
    bulk = {
        r.task.id: [e for e in _bulk_events(r.instance.procedure, r.task.state)] for r in page.rows
    }
    bulk_events = sorted({e for events in bulk.values() for e in events})
    next_query = None
    if page.next_cursor:
        params = dict(request.query_params)
        params["after"] = f"{page.next_cursor[0].isoformat()}~{page.next_cursor[1]}"
        next_query = urlencode(params)
    ctx = {
        "me": me,
        "rows": rows,
        "flt": flt,
        "next_query": next_query,
        "bulk": bulk,
        "bulk_steps": [(e, _step_label(e)) for e in bulk_events],
        "procedures": PROCEDURES,
        "startable": [
            p for p in PROCEDURES.values() if any(me.actor.has_role(r) for r in p.start_roles)
        ],
    }
    return render(request, "inbox.html", ctx)


def _bulk_events(procedure: str, state: str) -> list[str]:
    proc = get_procedure(procedure)
    if proc.wait_for(state) is None or proc.wait_for(state).countersign:
        return []
    return [e for e in proc.events_from(state) if proc.steps[e].bulk]


def _step_label(event: str) -> str:
    for proc in PROCEDURES.values():
        if event in proc.steps:
            return f"{proc.steps[event].label_zh} / {proc.steps[event].label_en}"
    return event


def _prefill(inst: Any, form_key: str | None, tz: Any = None) -> dict[str, Any]:
    """Start a form from what the instance already knows (``gendan.prefill``)."""
    return prefill(inst.procedure, inst.data, form_key, tz)


def _form_of(db: Session, task_id: int, decision: str) -> str | None:
    """The form a decision on this task submits (its date-and-time fields are company time)."""
    task = db.get(Task, task_id)
    inst = db.get(Instance, task.instance_id) if task else None
    if task is None or inst is None:
        return None
    proc = get_procedure(inst.procedure)
    wait = proc.wait_for(task.state)
    if decision == COUNTERSIGN_DECISION and wait is not None and wait.countersign is not None:
        return wait.countersign.form
    step = proc.steps.get(decision)
    return step.form if step else None


def _decisions(task: Any, inst: Any, tz: Any = None) -> list[dict[str, Any]]:
    """What the person may decide on this task, each with its form, reason and signature."""
    proc = get_procedure(inst.procedure)
    wait = proc.wait_for(task.state)
    if task.status != "open":
        return []
    if wait and wait.countersign:
        return [
            {
                "event": COUNTERSIGN_DECISION,
                "label": "提交评审意见 / Submit opinion",
                "form": wait.countersign.form,
                "reason": False,
                "signature": None,
                "prefill": {},
            }
        ]
    out = []
    # the list complete_task accepts (the customer's and engineering's classifications of one
    # change are two tasks' lists), as the API's /form and /api/procedures show it
    for event in task_decisions(proc, task.state, task.decisions):
        step = proc.steps[event]
        out.append(
            {
                "event": event,
                "label": f"{step.label_zh} / {step.label_en}",
                "form": step.form,
                "reason": step.reason_required,
                "signature": step.signature,
                "prefill": {**_prefill(inst, step.form, tz), **step.fixed},
            }
        )
    return out


def _task_context(db: Session, rt: Any, now: Any, task_id: int, me: PageUser) -> dict[str, Any]:
    task, inst = get_task_for(db, task_id, me.actor)
    tz = rt.calendar.zone
    proc, lang = get_procedure(inst.procedure), me.user.language
    return {
        "me": me,
        "task": task,
        "inst": inst,
        "proc": proc,
        "decisions": _decisions(task, inst, tz),
        "groups": decision_groups(proc, _decisions(task, inst, tz), lang),
        "decided": decided_view(db, inst, task.state, tz, lang),
        "summary": [],
        "view": instance_view(db, inst.id, me.actor),
        "left": time_left(rt, now, task.due_at, task.created_at, task.paused_at),
        "pause": pause_view(rt, now, task),
        "diagram": Markup(render_svg(get_procedure(inst.procedure), inst.state, me.user.language)),
        "colleagues": [
            u for u in role_holders(db, task.role, task.department_id) if u.id != me.actor.user_id
        ],
        "is_head": may_reassign(db, me.actor, task),  # the department's head field
        "mine": task.assignee_id == me.actor.user_id,
        "forms": forms,
        "dl": deadline_view(task, db.get(Department, task.department_id), inst.procedure, tz),
        "facts": order_facts(inst.data.get("order", {}), tz),
        "stock": stock_view(inst.data) if inst.procedure == "order_review" else None,
    }


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_page(task_id: int, request: Request, me: Me, db: Db, rt: Rt, now: Now) -> Response:
    ctx = _task_context(db, rt, now, task_id, me)
    ctx |= {"errors": {}, "form_errors": {}, "values": {}, "active": None}
    return render(request, "task.html", ctx)


@router.post("/tasks/{task_id}/claim")
async def claim_page(task_id: int, request: Request, me: Me, rt: Rt, now: Now) -> Response:
    await form_with_csrf(request)
    with unit_of_work(rt.db) as s:
        claim_task(s, task_id=task_id, actor=me.actor, now=now)
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


@router.post("/tasks/{task_id}/pause")
async def pause_page(task_id: int, request: Request, me: Me, rt: Rt, now: Now) -> Response:
    data = await form_with_csrf(request)
    with unit_of_work(rt.db) as s:
        pause_task(
            s,
            task_id=task_id,
            actor=me.actor,
            note=str(data.get("note", "")),
            via=str(data.get("via", "")),
            now=now,
            calendar=rt.calendar,
        )
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


@router.post("/tasks/{task_id}/resume")
async def resume_page(task_id: int, request: Request, me: Me, rt: Rt, now: Now) -> Response:
    await form_with_csrf(request)
    with unit_of_work(rt.db) as s:
        resume_task(s, task_id=task_id, actor=me.actor, now=now, calendar=rt.calendar)
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


@router.post("/tasks/{task_id}/complete")
async def complete_page(
    task_id: int, request: Request, me: Me, db: Db, rt: Rt, now: Now
) -> Response:
    data = await form_with_csrf(request)
    decision = str(data.get("decision", ""))
    group = str(data.get("group", "")) or decision  # one form for several decisions
    skip = {"csrf_token", "decision", "reason", "password", "group"}
    form_data = {
        k: (data.getlist(k) if len(data.getlist(k)) > 1 else v)
        for k, v in data.items()
        if k not in skip
    }
    try:
        if not decision:
            raise InvalidForm({"decision": "choose a decision / 请选择决定"})
        form_key = _form_of(db, task_id, decision)
        form_data = typed_in_company_time(form_key, form_data, rt.calendar.zone)
        await run_in_threadpool(  # grouped with other clicks (gendan.group_commit)
            complete_grouped,
            rt,
            task_id=task_id,
            actor=me.actor,
            decision=decision,
            form_data=form_data,
            reason=str(data.get("reason", "")),
            password=data.get("password") or None,
            now=now,
        )
    except InvalidForm as exc:
        ctx = _task_context(db, rt, now, task_id, me)
        # the reason and the signature are shown at their own inputs, not again in the form's
        form_errors = {
            k: v for k, v in exc.errors.items() if k not in ("reason", "password", "decision")
        }
        ctx.update(errors=exc.errors, form_errors=form_errors, values=form_data)
        chosen = next((g for g in ctx["groups"] if group in (g["key"], *g["events"])), None)
        ctx.update(active=chosen["key"] if chosen else None, chosen=decision)
        ctx["summary"] = error_links(exc.errors, chosen, me.user.language)
        return render(request, "task.html", ctx, status=422)
    return RedirectResponse("/", status_code=303)


@router.get("/instances/{instance_id}", response_class=HTMLResponse)
def instance_page(instance_id: int, request: Request, me: Me, db: Db, rt: Rt) -> Response:
    view = instance_view(db, instance_id, me.actor)
    facts = order_facts(view["data"].get("order", {}), rt.calendar.zone)
    stock = stock_view(view["data"]) if view["procedure"] == "order_review" else None
    ctx = {"me": me, "view": view, "facts": facts, "stock": stock}
    ctx.update(page_context(db, instance_id, me.actor))  # linked instances, automatic steps
    return render(request, "instance.html", ctx)


@router.get("/start/{procedure}", response_class=HTMLResponse)
def start_page(procedure: str, request: Request, me: Me) -> Response:
    proc = _startable(procedure, me)
    ctx = {"me": me, "proc": proc, "forms": forms, "errors": {}, "values": {}}
    return render(request, "start.html", ctx)


def _startable(procedure: str, me: PageUser) -> Any:
    if procedure not in PROCEDURES:
        raise NotFound(f"no procedure '{procedure}'")
    proc = get_procedure(procedure)
    if not any(me.actor.has_role(r) for r in proc.start_roles):
        raise NotAllowed(f"starting {procedure} needs one of the roles {proc.start_roles}")
    return proc


@router.post("/start/{procedure}")
async def start_submit(procedure: str, request: Request, me: Me, rt: Rt, now: Now) -> Response:
    data = await form_with_csrf(request)
    values = {k: v for k, v in data.items() if k != "csrf_token"}
    proc = _startable(procedure, me)
    try:
        typed = typed_in_company_time(proc.start_form, values, rt.calendar.zone)
        with unit_of_work(rt.db) as s:
            inst = start_instance(
                s,
                procedure=procedure,
                actor=me.actor,
                form_data=typed,
                now=now,
                calendar=rt.calendar,
            )
            iid = inst.id
    except InvalidForm as exc:
        ctx = {"me": me, "proc": proc, "forms": forms, "errors": exc.errors, "values": values}
        ctx["summary"] = form_error_links(exc.errors, proc.start_form, me.user.language)
        return render(request, "start.html", ctx, 422)
    return RedirectResponse(f"/instances/{iid}", status_code=303)


@router.get("/documents/{doc_no}", response_class=HTMLResponse)
def document_page(doc_no: str, me: Me, db: Db, rt: Rt) -> Response:
    problem = number_problem(doc_no) if len(doc_no) <= 120 else "too long / 过长"
    if problem:  # no document can have such a number (forms.base.OrderNo)
        raise InvalidForm({"doc_no": problem})
    doc = db.exec(select(Document).where(Document.doc_no == doc_no)).first()
    if doc is None:
        raise NotFound(f"no document {doc_no}")
    if not can_view(db, me.actor, doc.instance_id):
        raise NotAllowed("you may not read this document / 无权查看此单据")
    issuer = db.get(User, doc.issued_by_id)
    meta = {
        "doc_no": doc.doc_no,
        "order_no": doc.order_no,
        "issued_by": issuer.display_name if issuer else "",
        "issued_at": doc.issued_at.astimezone(rt.calendar.zone),  # company local time
        "status": _doc_status(doc),
        "revision": doc.revision,
        "superseded_by": doc.superseded_by,
    }
    zone = rt.calendar.zone  # printed times in company time, never UTC
    return HTMLResponse(forms.render_print(doc.kind, doc.data, meta, me.user.language, zone))


def _doc_status(doc: Document) -> str | None:
    """A recalled paper says so, and which revision replaced it."""
    if doc.status != "recalled":
        return None
    if doc.superseded_by:
        new = doc.superseded_by
        return f"已收回，已被 {new} 取代 / recalled, superseded by {new}"
    return "已收回 / recalled"
