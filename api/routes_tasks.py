"""Task actions from the pages: give back, delegate, reassign, decide several at once, language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Db, Now, Rt
from api.errors import note_refusal
from api.web import Me, PageUser, form_with_csrf, render
from gendan.assignment import delegate_task, reassign_task, unclaim_task
from gendan.db import unit_of_work
from gendan.errors import EngineError, InvalidForm, NotAllowed
from gendan.group_commit import complete_many_grouped
from gendan.limits import MAX_TEXT, parse_id, require_text
from gendan.models import User
from gendan.runtime import Runtime

router = APIRouter(include_in_schema=False)


#: Tasks one bulk decision may cover.
MAX_BULK = 500


def _int(value: object, field: str) -> int:
    try:
        return parse_id(value, field)
    except InvalidForm:
        raise InvalidForm({field: "choose a person / 请选择人员"}) from None


@router.post("/tasks/{task_id}/unclaim")
async def unclaim_page(task_id: int, request: Request, me: Me, rt: Rt, now: Now) -> Response:
    await form_with_csrf(request)
    with unit_of_work(rt.db) as s:
        unclaim_task(s, task_id=task_id, actor=me.actor, now=now)
    return RedirectResponse("/", status_code=303)


async def _hand_over(
    use_case: Any, task_id: int, request: Request, me: PageUser, rt: Runtime, now: datetime
) -> None:
    """Delegate or reassign: the same form (person, reason), different rules in the engine."""
    data = await form_with_csrf(request)
    with unit_of_work(rt.db) as s:
        use_case(
            s,
            task_id=task_id,
            actor=me.actor,
            now=now,
            to_user_id=_int(data.get("to_user_id"), "to_user_id"),
            reason=str(data.get("reason", "")),
            calendar=rt.calendar,  # the new holder is told by e-mail
        )


@router.post("/tasks/{task_id}/delegate")
async def delegate_page(task_id: int, request: Request, me: Me, rt: Rt, now: Now) -> Response:
    await _hand_over(delegate_task, task_id, request, me, rt, now)
    return RedirectResponse("/", status_code=303)


@router.post("/tasks/{task_id}/reassign")
async def reassign_page(task_id: int, request: Request, me: Me, rt: Rt, now: Now) -> Response:
    await _hand_over(reassign_task, task_id, request, me, rt, now)
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


@router.post("/tasks/bulk", response_class=HTMLResponse)
async def bulk_page(request: Request, me: Me, rt: Rt, now: Now) -> Response:
    """One decision (without a per-task form) on several tasks; each is its own unit of work."""
    data = await form_with_csrf(request)
    decision = str(data.get("decision", ""))
    require_text("reason", str(data.get("reason", "")), MAX_TEXT)
    raw_ids = data.getlist("task_id")
    if len(raw_ids) > MAX_BULK:
        raise InvalidForm({"task_id": f"at most {MAX_BULK} tasks at once / 一次最多 {MAX_BULK} 项"})
    task_ids = [parse_id(raw, "task_id") for raw in raw_ids]  # all checked before any is done
    errors = await run_in_threadpool(  # queued together, each its own unit of work
        complete_many_grouped,
        rt,
        task_ids=task_ids,
        actor=me.actor,
        decision=decision,
        reason=str(data.get("reason", "")),
        password=data.get("password") or None,
        now=now,
    )
    results = []
    for task_id, exc in zip(task_ids, errors, strict=True):
        if exc is None:
            results.append((task_id, True, ""))
            continue
        if not isinstance(exc, EngineError):
            raise exc
        if isinstance(exc, NotAllowed):  # refused, though the answer is 207: audited
            await note_refusal(request, f"task {task_id}: {exc}", kind=type(exc).__name__)
        results.append((task_id, False, str(exc)))
    status = 200 if all(ok for _, ok, _ in results) else 207
    return render(request, "bulk_result.html", {"me": me, "results": results}, status)


@router.post("/lang")
async def set_language(request: Request, me: Me, rt: Rt, db: Db) -> Response:
    """Chinese (default) or English, remembered per user."""
    data = await form_with_csrf(request)
    lang = "en" if data.get("lang") == "en" else "zh"
    with unit_of_work(rt.db) as s:
        user = s.get(User, me.user.id)
        if user is not None:
            user.language = lang
            s.add(user)
    back = str(data.get("back") or "/")
    return RedirectResponse(
        back if back.startswith("/") and not back.startswith("//") else "/", 303
    )
