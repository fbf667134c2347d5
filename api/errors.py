"""Engine errors → HTTP status codes, in one place."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from gendan.errors import (
    Conflict,
    EngineError,
    IllegalTransition,
    InvalidForm,
    NotAllowed,
    NotFound,
)

STATUS = {NotFound: 404, NotAllowed: 403, InvalidForm: 422, IllegalTransition: 409, Conflict: 409}


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


async def engine_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EngineError)
    return JSONResponse(error_body(exc), status_code=status_of(exc))
