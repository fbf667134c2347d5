"""JSON API under /api: tokens, instances, the task list, claim, pause and complete."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import select

from api.deps import ApiActor, Db, Now, Rt, bearer_of, client_source
from api.errors import API_ERRORS
from api.guard import ObjectId
from api.schemas import (
    InstanceOut,
    ProcedureOut,
    TaskDetail,
    TaskForms,
    TaskPage,
    TaskRow,
    TokenOut,
)
from gendan import sessions
from gendan.accounts import login
from gendan.assignment import claim_task, unclaim_task
from gendan.db import unit_of_work
from gendan.decision_forms import task_forms
from gendan.describe import procedure_catalogue
from gendan.group_commit import complete_grouped
from gendan.limits import MAX_ID, MAX_SEARCH, MAX_TEXT
from gendan.models import Order, User
from gendan.org import may_act_on
from gendan.pausing import pause_task, resume_task
from gendan.queries import InboxFilter, check_cursor, get_task_for, instance_view, lean_inbox
from gendan.transitions import locked_facts, start_instance
from states import get_procedure

router = APIRouter(prefix="/api", tags=["api"], responses=API_ERRORS)

#: A search term in the task list's query string.
Search = Annotated[str | None, Query(max_length=MAX_SEARCH)]


class TokenRequest(BaseModel):
    """The JSON body of ``POST /api/token`` (kept for existing clients)."""

    username: str = Field(max_length=150)
    password: str = Field(max_length=1024)


class PasswordGrant(BaseModel):
    """The form-encoded body of the OAuth2 password flow (RFC 6749 4.3), as /docs sends it.

    Choice: ``grant_type`` may be left out but, if sent, must be "password", because
    FastAPI's own ``OAuth2PasswordRequestForm`` reads it so and hand-written clients omit it;
    scope and client credentials are accepted and ignored (one kind of token, no clients).
    """

    grant_type: Literal["password"] | None = None
    username: str = Field(max_length=150)
    password: str = Field(max_length=1024)
    scope: str = Field("", max_length=1000)
    client_id: str | None = Field(None, max_length=200)
    client_secret: str | None = Field(None, max_length=1024)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

#: Both bodies in OpenAPI: the route reads the body itself (``credentials``).
TOKEN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": PasswordGrant.model_json_schema()},
            "application/json": {"schema": TokenRequest.model_json_schema()},
        },
    }
}


async def credentials(request: Request) -> TokenRequest:
    """Username and password from a form-encoded (OAuth2) or a JSON body; 422 otherwise."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind in FORM_TYPES:
            form = await request.form()
            grant = PasswordGrant.model_validate(
                {k: v for k, v in form.items() if isinstance(v, str)}
            )
            return TokenRequest(username=grant.username, password=grant.password)
        try:
            body = await request.json()
        except ValueError:
            raise RequestValidationError(
                [{"loc": ("body",), "msg": "send a form-encoded or JSON body", "type": "body"}]
            ) from None
        return TokenRequest.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


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


@router.post("/token", openapi_extra=TOKEN_BODY)
async def token(request: Request, rt: Rt, now: Now) -> TokenOut:
    """A bearer token for ``token_hours`` (``expires_in`` seconds, ``expires_at``): the OAuth2
    password flow (form-encoded: grant_type=password, username, password — what the Authorize
    button of /docs sends) or a JSON body; throttled per account and source."""
    body = await credentials(request)
    return await run_in_threadpool(_issue, body, client_source(request), rt, now)


def _issue(body: TokenRequest, source: str, rt: Any, now: datetime) -> TokenOut:
    user = login(
        rt.db,
        username=body.username,
        password=body.password,
        now=now,
        channel="api",
        source=source,
        settings=rt.settings,
    )
    if user is None or user.id is None:
        raise HTTPException(401, "wrong username or password")
    with unit_of_work(rt.db) as s:
        tok = sessions.issue_token(s, user_id=user.id, now=now, settings=rt.settings)
    hours = rt.settings.token_hours
    return TokenOut(
        access_token=tok,
        token_type="bearer",
        expires_in=hours * 3600,
        expires_at=now + timedelta(hours=hours),
    )


@router.post("/token/revoke", status_code=204)
@router.delete("/token", status_code=204)
def revoke(actor: ApiActor, request: Request, rt: Rt, now: Now) -> Response:
    """Revoke the bearer token of this request (log out of the API)."""
    with unit_of_work(rt.db) as s:
        token = bearer_of(request.headers.get("authorization"))
        sessions.revoke_token(s, token=token, now=now)
    return Response(status_code=204)


@router.get("/procedures", response_model=list[ProcedureOut])
def procedures() -> list[dict[str, Any]]:
    """Every procedure with its states, the decisions a person sends in each (exactly what
    the tasks of the state accept, with the step's labels), and each task's deadline (kind,
    start, seed), escalation chain, outside party, decisions and seed reference."""
    return procedure_catalogue()


@router.post("/instances", status_code=201, response_model=InstanceOut)
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


@router.get("/instances/{instance_id}", response_model=InstanceOut)
def read_instance(instance_id: ObjectId, actor: ApiActor, db: Db) -> dict[str, Any]:
    return instance_view(db, instance_id, actor)


@router.get("/tasks", response_model=TaskPage)
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
    page = lean_inbox(db, actor, now=now, tz=rt.calendar.zone, flt=flt, after=after, limit=limit)
    language = db.execute(select(User.language).where(User.id == actor.user_id)).scalar()
    zh = language is None or language == "zh"
    items = [
        {
            **vars(r.task),  # every column but form_data (gendan.queries.LEAN_TASK)
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


@router.get("/tasks/{task_id}", response_model=TaskDetail)
def read_task(task_id: ObjectId, actor: ApiActor, db: Db) -> dict[str, Any]:
    task, inst = get_task_for(db, task_id, actor)
    return {**task.model_dump(), "instance": instance_view(db, inst.id, actor)}


@router.get("/tasks/{task_id}/form", response_model=TaskForms)
def task_form(task_id: ObjectId, actor: ApiActor, db: Db) -> dict[str, Any]:
    """Each decision this task accepts with the JSON Schema of its completion body (fields,
    types, required, labels zh/en, choices, reason and password), locked fields as the
    values the order holds. The same list ``POST /api/tasks/{id}/complete`` checks."""
    task, inst = get_task_for(db, task_id, actor)
    decisions: list[dict[str, Any]] = []
    if task.status == "open":
        order = db.exec(select(Order).where(Order.order_no == inst.order_no)).first()
        proc = get_procedure(inst.procedure)
        facts = locked_facts(order, inst)
        decisions = task_forms(proc, task.state, task.decisions, facts, inst.data)
    return {
        "task_id": task.id,
        "state": task.state,
        "status": task.status,
        # the claim and completion rule of the engine (offered, assigned, or escalated to me)
        "may_complete": task.status == "open"
        and may_act_on(db, actor, task)[0]
        and task.assignee_id in (None, actor.user_id),
        "decisions": decisions,
    }


@router.post("/tasks/{task_id}/claim", response_model=TaskRow)
def claim(task_id: ObjectId, actor: ApiActor, rt: Rt, now: Now) -> dict[str, Any]:
    with unit_of_work(rt.db) as s:
        return claim_task(s, task_id=task_id, actor=actor, now=now).model_dump()


@router.post("/tasks/{task_id}/unclaim", response_model=TaskRow)
def unclaim(task_id: ObjectId, actor: ApiActor, rt: Rt, now: Now) -> dict[str, Any]:
    with unit_of_work(rt.db) as s:
        return unclaim_task(s, task_id=task_id, actor=actor, now=now).model_dump()


@router.post("/tasks/{task_id}/complete", response_model=InstanceOut)
def complete(
    task_id: ObjectId, body: CompleteRequest, actor: ApiActor, rt: Rt, now: Now, db: Db
) -> dict[str, Any]:
    # committed together with the completions waiting at that moment, each its own move
    # with its own answer (gendan.group_commit)
    iid = complete_grouped(
        rt,
        task_id=task_id,
        actor=actor,
        decision=body.decision,
        form_data=body.form,
        reason=body.reason,
        password=body.password,
        now=now,
    )
    return instance_view(db, iid, actor)


class PauseRequest(BaseModel):
    #: Required, but checked by the engine after who may pause (so a stranger gets 403).
    note: str = Field(
        "", description="what was asked of the outside party, and how", max_length=MAX_TEXT
    )
    via: str = Field("", description="phone | fax | email | other (optional)", max_length=20)


@router.post("/tasks/{task_id}/pause", response_model=TaskRow)
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


@router.post("/tasks/{task_id}/resume", response_model=TaskRow)
def resume(task_id: ObjectId, actor: ApiActor, rt: Rt, now: Now) -> dict[str, Any]:
    """Restart the clock: every deadline moves later by the working time paused."""
    with unit_of_work(rt.db) as s:
        task = resume_task(s, task_id=task_id, actor=actor, now=now, calendar=rt.calendar)
        return task.model_dump(exclude={"form_data"})
