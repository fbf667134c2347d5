"""JSON API under /api: tokens, instances, the task list, claim, pause and complete."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import ApiActor, BearerHeader, Db, Now, Rt, bearer_of, client_source
from api.errors import API_ERRORS
from api.guard import ObjectId
from gendan import sessions
from gendan.accounts import login
from gendan.assignment import claim_task, unclaim_task
from gendan.db import unit_of_work
from gendan.describe import procedure_catalogue
from gendan.limits import MAX_ID, MAX_SEARCH, MAX_TEXT
from gendan.models import User
from gendan.pausing import pause_task, resume_task
from gendan.queries import InboxFilter, check_cursor, get_task_for, inbox, instance_view
from gendan.transitions import complete_task, start_instance

router = APIRouter(prefix="/api", tags=["api"], responses=API_ERRORS)

#: A search term in the task list's query string.
Search = Annotated[str | None, Query(max_length=MAX_SEARCH)]


class TokenRequest(BaseModel):
    username: str = Field(max_length=150)
    password: str = Field(max_length=1024)


class StartRequest(BaseModel):
    procedure: str = Field(examples=["order_review"], max_length=100)
    form: dict[str, Any]


class CompleteRequest(BaseModel):
    decision: str = Field(
        description="an event allowed in the instance's state, or 'opinion'", max_length=100
    )
    form: dict[str, Any] | None = None
    reason: str = Field("", max_length=MAX_TEXT)
    password: str | None = Field(
        None, description="re-entered for an electronic signature", max_length=1024
    )


@router.post("/token")
def token(body: TokenRequest, request: Request, rt: Rt, now: Now) -> dict[str, Any]:
    """A bearer token for ``token_hours`` (``expires_at``); throttled per account and source."""
    user = login(
        rt.db,
        username=body.username,
        password=body.password,
        now=now,
        channel="api",
        source=client_source(request),
        settings=rt.settings,
    )
    if user is None or user.id is None:
        raise HTTPException(401, "wrong username or password")
    with unit_of_work(rt.db) as s:
        tok = sessions.issue_token(s, user_id=user.id, now=now, settings=rt.settings)
    expires = now + timedelta(hours=rt.settings.token_hours)
    return {"access_token": tok, "token_type": "bearer", "expires_at": expires}


@router.post("/token/revoke", status_code=204)
@router.delete("/token", status_code=204)
def revoke(actor: ApiActor, rt: Rt, now: Now, authorization: BearerHeader) -> Response:
    """Revoke the bearer token of this request (log out of the API)."""
    with unit_of_work(rt.db) as s:
        sessions.revoke_token(s, token=bearer_of(authorization), now=now)
    return Response(status_code=204)


@router.get("/procedures")
def procedures() -> list[dict[str, Any]]:
    """Every procedure with its states, the events a person fires in each (with the step's
    labels), and each task's deadline (kind, start, seed), escalation chain, outside party,
    decisions and seed reference."""
    return procedure_catalogue()


@router.post("/instances", status_code=201)
def start(body: StartRequest, actor: ApiActor, rt: Rt, now: Now, db: Db) -> dict[str, Any]:
    with unit_of_work(rt.db) as s:
        inst = start_instance(
            s,
            procedure=body.procedure,
            actor=actor,
            form_data=body.form,
            now=now,
            calendar=rt.calendar,
        )
        iid = inst.id
    assert iid is not None
    return instance_view(db, iid, actor)


@router.get("/instances/{instance_id}")
def read_instance(instance_id: ObjectId, actor: ApiActor, db: Db) -> dict[str, Any]:
    return instance_view(db, instance_id, actor)


@router.get("/tasks")
def my_tasks(
    actor: ApiActor,
    db: Db,
    rt: Rt,
    now: Now,
    scope: Annotated[str, Query(max_length=MAX_SEARCH)] = "all",
    procedure: Search = None,
    order_no: Search = None,
    customer: Search = None,
    q: Search = None,
    overdue: bool = False,
    due_today: bool = False,
    after_due: Annotated[datetime | None, Query(description="with its zone, as returned")] = None,
    after_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    """My claimed tasks and my roles' unclaimed ones, earliest due first, keyset-paginated:
    pass the returned ``next`` (after_due, after_id) to get the following page."""
    flt = InboxFilter(
        scope=scope,
        procedure=procedure,
        order_no=order_no,
        customer=customer,
        q=q,
        overdue=overdue,
        due_today=due_today,
    )
    after = None
    if after_due is not None and after_id is not None:
        after = check_cursor(after_due, after_id)
    page = inbox(db, actor, now=now, tz=rt.calendar.zone, flt=flt, after=after, limit=limit)
    reader = db.get(User, actor.user_id)
    zh = reader is None or reader.language == "zh"
    items = [
        {
            **r.task.model_dump(exclude={"form_data"}),
            # the deadline with its kind and start, in the reader's language
            "deadline": r.task.deadline_zh if zh else r.task.deadline_en,
            "order_no": r.instance.order_no,
            "procedure": r.instance.procedure,
            "department": r.department.key,
            "mine": r.mine,
            "customer": r.customer,
        }
        for r in page.rows
    ]
    nxt = page.next_cursor
    return {"items": items, "next": {"after_due": nxt[0], "after_id": nxt[1]} if nxt else None}


@router.get("/tasks/{task_id}")
def read_task(task_id: ObjectId, actor: ApiActor, db: Db) -> dict[str, Any]:
    task, inst = get_task_for(db, task_id, actor)
    return {**task.model_dump(), "instance": instance_view(db, inst.id, actor)}


@router.post("/tasks/{task_id}/claim")
def claim(task_id: ObjectId, actor: ApiActor, rt: Rt, now: Now) -> dict[str, Any]:
    with unit_of_work(rt.db) as s:
        return claim_task(s, task_id=task_id, actor=actor, now=now).model_dump()


@router.post("/tasks/{task_id}/unclaim")
def unclaim(task_id: ObjectId, actor: ApiActor, rt: Rt, now: Now) -> dict[str, Any]:
    with unit_of_work(rt.db) as s:
        return unclaim_task(s, task_id=task_id, actor=actor, now=now).model_dump()


@router.post("/tasks/{task_id}/complete")
def complete(
    task_id: ObjectId, body: CompleteRequest, actor: ApiActor, rt: Rt, now: Now, db: Db
) -> dict[str, Any]:
    with unit_of_work(rt.db) as s:
        inst = complete_task(
            s,
            task_id=task_id,
            actor=actor,
            decision=body.decision,
            form_data=body.form,
            reason=body.reason,
            password=body.password,
            now=now,
            calendar=rt.calendar,
        )
        iid = inst.id
    assert iid is not None
    return instance_view(db, iid, actor)


class PauseRequest(BaseModel):
    #: Required, but checked by the engine after who may pause (so a stranger gets 403).
    note: str = Field(
        "", description="what was asked of the outside party, and how", max_length=MAX_TEXT
    )
    via: str = Field("", description="phone | fax | email | other (optional)", max_length=20)


@router.post("/tasks/{task_id}/pause")
def pause(
    task_id: ObjectId, body: PauseRequest, actor: ApiActor, rt: Rt, now: Now
) -> dict[str, Any]:
    """Stop the clock of my claimed task while the outside party's answer is awaited."""
    with unit_of_work(rt.db) as s:
        task = pause_task(
            s,
            task_id=task_id,
            actor=actor,
            note=body.note,
            via=body.via,
            now=now,
            calendar=rt.calendar,
        )
        return task.model_dump(exclude={"form_data"})


@router.post("/tasks/{task_id}/resume")
def resume(task_id: ObjectId, actor: ApiActor, rt: Rt, now: Now) -> dict[str, Any]:
    """Restart the clock: every deadline moves later by the working time paused."""
    with unit_of_work(rt.db) as s:
        task = resume_task(s, task_id=task_id, actor=actor, now=now, calendar=rt.calendar)
        return task.model_dump(exclude={"form_data"})
