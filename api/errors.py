"""Engine errors → HTTP status codes, in one place; every 403 to a signed-in person is audited."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.csrf import CsrfRefused
from api.deps import get_now
from gendan import refusals, sessions
from gendan.db import reader
from gendan.errors import (
    Conflict,
    EngineError,
    IllegalTransition,
    InvalidForm,
    NotAllowed,
    NotFound,
    TooLarge,
    TooManyAttempts,
)

log = logging.getLogger(__name__)

STATUS = {
    TooManyAttempts: 429,
    TooLarge: 413,
    NotFound: 404,
    NotAllowed: 403,
    InvalidForm: 422,
    IllegalTransition: 409,
    Conflict: 409,
}


class ErrorBody(BaseModel):
    """Every error answer of the API: what went wrong, for the person."""

    detail: str


class InvalidBody(ErrorBody):
    """422: the engine's ``InvalidForm`` and FastAPI's own request validation, one shape."""

    errors: dict[str, str] = Field(description="field → reason")


class ConflictBody(ErrorBody):
    """409: the task is no longer open, someone else moved first, or an illegal event."""

    state: str | None = None
    event: str | None = None
    allowed_events: list[str] | None = None


#: The error answers of every API route, for OpenAPI (``APIRouter(responses=...)``).
API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "a body that cannot be parsed"},
    401: {"model": ErrorBody, "description": "no, invalid or expired bearer token"},
    403: {"model": ErrorBody, "description": "not allowed for this person (audited)"},
    404: {"model": ErrorBody, "description": "no such object"},
    409: {"model": ConflictBody, "description": "conflict with the object's current state"},
    413: {"model": ErrorBody, "description": "request body larger than 1 MB"},
    422: {"model": InvalidBody, "description": "invalid input: each field with its reason"},
    429: {"model": ErrorBody, "description": "too many attempts"},
}


def status_of(exc: EngineError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_body(exc: EngineError) -> dict:
    body: dict = {"detail": str(exc)}
    if isinstance(exc, InvalidForm):
        body["errors"] = exc.errors
    if isinstance(exc, IllegalTransition):
        body.update(state=exc.state, event=exc.event, allowed_events=exc.allowed)
    return body


def refused_actor_id(request: Request) -> int | None:
    """The signed-in account a refusal is about: the bearer token's (``api.deps.api_actor``
    notes it) or, on the pages, the session's. None: anonymous, nothing to record."""
    actor_id = getattr(request.state, "actor_id", None)
    sid = request.session.get("sid") if "session" in request.scope else None
    if actor_id is None and not request.url.path.startswith("/api") and isinstance(sid, str):
        with Session(reader(request.app.state.rt.db)) as s:  # e.g. a logout with a bad token
            rec = sessions.find(s, sid)
        actor_id = rec.user_id if rec is not None and rec.ended_at is None else None
    return actor_id if isinstance(actor_id, int) else None


async def note_refusal(request: Request, message: str, kind: str) -> None:
    """Audit a refusal (``gendan.refusals``) in its own transaction, at the injected clock.

    Called after the request's own unit of work has rolled back. A failure to record is
    logged, never turned into another answer: the person still gets the 403.
    """
    actor_id = refused_actor_id(request)
    if actor_id is None:
        return
    url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        await run_in_threadpool(
            refusals.record,
            request.app.state.rt.db,
            actor_id=actor_id,
            at=get_now(request),
            method=request.method,
            url=url,
            message=message,
            kind=kind,
        )
    except Exception:
        log.exception(
            "could not record the refusal of %s %s for user %s", request.method, url, actor_id
        )


async def engine_error_handler(request: Request, exc: Exception) -> Response:
    """JSON for the API; the error page for browsers. A 403 (NotAllowed) is audited first."""
    assert isinstance(exc, EngineError)
    if status_of(exc) == 403:
        await note_refusal(request, str(exc), kind=type(exc).__name__)
    if request.url.path.startswith("/api"):
        return JSONResponse(error_body(exc), status_code=status_of(exc))
    from api.web import render

    return render(request, "error.html", {"error": str(exc)}, status_of(exc))


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """FastAPI's usual answer; a 403 (e.g. a wrong CSRF token) is audited first."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 403:
        kind = "csrf" if isinstance(exc, CsrfRefused) else "http"
        await note_refusal(request, str(exc.detail), kind=kind)
    return await http_exception_handler(request, exc)


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("query", "after_id")`` → ``after_id``; ``("body", "form")`` → ``form``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie") and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts) or "body"


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    """FastAPI's request validation in our 422 shape: ``{"detail", "errors": {field: reason}}``."""
    assert isinstance(exc, RequestValidationError)
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = _field_of(error.get("loc", ()))
        reason = str(error.get("msg", "invalid"))
        errors[name] = f"{errors[name]}; {reason}" if name in errors else reason
    detail = "; ".join(f"{k}: {v}" for k, v in errors.items()) or "invalid request"
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


async def login_required_handler(request: Request, exc: Exception) -> Response:
    from api.web import login_url

    return RedirectResponse(login_url(request), status_code=303)
