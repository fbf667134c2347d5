"""Engine errors → HTTP status codes, in one place."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from gendan.errors import (
    Conflict,
    EngineError,
    IllegalTransition,
    InvalidForm,
    NotAllowed,
    NotFound,
    TooManyAttempts,
)

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


async def engine_error_handler(request: Request, exc: Exception) -> Response:
    """JSON for the API; the error page for browsers."""
    assert isinstance(exc, EngineError)
    if request.url.path.startswith("/api"):
        return JSONResponse(error_body(exc), status_code=status_of(exc))
    from api.web import render

    return render(request, "error.html", {"error": str(exc)}, status_of(exc))


async def login_required_handler(request: Request, exc: Exception) -> Response:
    from api.web import login_url

    return RedirectResponse(login_url(request), status_code=303)
