"""Engine errors → HTTP status codes, in one place; every 403 to a signed-in person is audited."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.csrf import CsrfRefused
from api.deps import get_now
from gendan import refusals
from gendan.errors import (
    Conflict,
    EngineError,
    IllegalTransition,
    InvalidForm,
    NotAllowed,
    NotFound,
    TooManyAttempts,
)

log = logging.getLogger(__name__)

STATUS = {
    TooManyAttempts: 429,
    NotFound: 404,
    NotAllowed: 403,
    InvalidForm: 422,
    IllegalTransition: 409,
    Conflict: 409,
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
    if actor_id is None and not request.url.path.startswith("/api"):
        actor_id = request.session.get("user_id")
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


async def login_required_handler(request: Request, exc: Exception) -> Response:
    from api.web import login_url

    return RedirectResponse(login_url(request), status_code=303)
