"""Acknowledging an urgent SMS (004R 四): the link in the SMS, and the sender's phone record.

``GET /ack/{token}`` and ``POST /ack/{token}`` need no login: whoever holds the
link holds the SMS, and that is what is being confirmed. The JSON twin is
``POST /api/acks/{token}``. The task's holder (or the SMS's recipient), logged
in, may instead record that a phone call confirmed it arrived:
``POST /tasks/{task_id}/acks/{ack_id}/phone`` (page, CSRF-checked) or
``POST /api/acks/{ack_id}/phone`` (bearer token); ``GET /tasks/{task_id}/acks``
and ``GET /api/tasks/{task_id}/acks`` list a task's urgent SMS.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ApiActor, Db, Now, Rt
from api.errors import API_ERRORS
from api.guard import ObjectId
from api.web import Me, form_with_csrf, render
from gendan.acknowledgements import (
    AckOutcome,
    acknowledge,
    confirm_by_phone,
    describe,
    find_by_token,
    task_acks,
)
from gendan.db import unit_of_work
from gendan.errors import NotFound
from gendan.queries import get_task_for

router = APIRouter()

#: The token is in the URL: keep the page out of caches, search engines and Referer headers.
_PRIVATE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


def _private(response: Response) -> Response:
    response.headers.update(_PRIVATE)
    return response


@router.get("/ack/{token}", response_class=HTMLResponse, include_in_schema=False)
def ack_page(token: str, request: Request, db: Db) -> Response:
    """Show what the SMS was about and a button; reading changes nothing.

    SMS apps, link previewers and mail scanners fetch links on their own, so
    a GET must never count as the person's acknowledgement.
    """
    ack = describe(db, find_by_token(db, token))
    return _private(render(request, "ack.html", {"ack": ack, "token": token}))


@router.post("/ack/{token}", include_in_schema=False)
def ack_post(token: str, rt: Rt, now: Now) -> Response:
    """Record the acknowledgement, then show the page again (POST, redirect, GET).

    No session and no CSRF token on purpose: the recipient's phone has no
    login, and the unguessable token in the path (128 random bits, sent only
    in that SMS, stored only as a hash) is the proof. A forged cross-site
    POST would have to know it, and could then only do what its holder may
    do anyway: confirm the SMS arrived. The token is single-use in effect:
    the first POST records the acknowledgement, any later one changes
    nothing (idempotent), and an unknown token is a 404.
    """
    with unit_of_work(rt.db) as s:
        acknowledge(s, token, now=now)
    return _private(RedirectResponse(f"/ack/{token}", status_code=303))


@router.post("/api/acks/{token}", tags=["api"], responses=API_ERRORS)
def ack_api(token: str, rt: Rt, now: Now, response: Response) -> dict[str, Any]:
    """Acknowledge an urgent SMS by the token of its link (no login: the token is the proof).

    Idempotent: ``recorded`` is false when it had been acknowledged before.
    """
    with unit_of_work(rt.db) as s:
        out = _answer(s, acknowledge(s, token, now=now))
    response.headers.update(_PRIVATE)
    return out


@router.post("/api/acks/{ack_id}/phone", tags=["api"], responses=API_ERRORS)
def phone_api(ack_id: ObjectId, actor: ApiActor, rt: Rt, now: Now) -> dict[str, Any]:
    """Record that a phone call confirmed the SMS arrived (the task's holder or the recipient)."""
    with unit_of_work(rt.db) as s:
        return _answer(s, confirm_by_phone(s, ack_id, actor=actor, now=now))


@router.get("/api/tasks/{task_id}/acks", tags=["api"], responses=API_ERRORS)
def task_acks_api(task_id: ObjectId, actor: ApiActor, db: Db) -> list[dict[str, Any]]:
    """The urgent SMS of a task and whether each was acknowledged."""
    get_task_for(db, task_id, actor)  # 404 / 403
    return [describe(db, a) for a in task_acks(db, task_id)]


@router.get("/tasks/{task_id}/acks", response_class=HTMLResponse, include_in_schema=False)
def task_acks_page(task_id: int, request: Request, me: Me, db: Db) -> Response:
    task, inst = get_task_for(db, task_id, me.actor)
    acks = [describe(db, a) for a in task_acks(db, task_id)]
    ctx = {"me": me, "task": task, "inst": inst, "acks": acks}
    return render(request, "ack_task.html", ctx)


@router.post("/tasks/{task_id}/acks/{ack_id}/phone", include_in_schema=False)
async def phone_page(
    task_id: int, ack_id: int, request: Request, me: Me, rt: Rt, now: Now
) -> Response:
    await form_with_csrf(request)
    with unit_of_work(rt.db) as s:
        get_task_for(s, task_id, me.actor)  # 404 / 403 on the task before the acknowledgement
        outcome = confirm_by_phone(s, ack_id, actor=me.actor, now=now)
        if outcome.ack.task_id != task_id:
            raise NotFound(f"no SMS acknowledgement {ack_id} on task {task_id}")
    return RedirectResponse(f"/tasks/{task_id}/acks", status_code=303)


def _answer(session: Any, outcome: AckOutcome) -> dict[str, Any]:
    view = describe(session, outcome.ack)
    return {
        "id": view["id"],
        "task_id": view["task_id"],
        "order_no": view["order_no"],
        "status": view["status"],
        "sent_at": view["sent_at"],
        "due_at": view["due_at"],
        "acked_at": view["acked_at"],
        "acked_how": view["acked_how"],
        "acked_by": view["acked_by"],
        "recorded": outcome.recorded,
    }
