"""The FastAPI application: JSON API, server-rendered pages, sessions, security headers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from api.errors import (
    engine_error_handler,
    http_error_handler,
    login_required_handler,
    validation_error_handler,
)
from api.guard import RequestGuard
from api.routes_ack import router as ack_router
from api.routes_admin import router as admin_router
from api.routes_api import router as api_router
from api.routes_audit import router as audit_router
from api.routes_pages import router as pages_router
from api.routes_tasks import router as tasks_router
from api.web import LoginRequired
from gendan.db import utcnow
from gendan.errors import EngineError
from gendan.runtime import Runtime, build_runtime

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
}


def create_app(rt: Runtime | None = None, clock: Callable[[], datetime] = utcnow) -> FastAPI:
    rt = rt or build_runtime()
    app = FastAPI(
        title="gendan 跟单",
        description="Order-to-delivery procedures: tasks, SLAs, escalations, audit trail.",
        version="0.1.0",
    )
    app.state.rt = rt
    app.state.clock = clock
    app.add_exception_handler(EngineError, engine_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(LoginRequired, login_required_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_middleware(
        SessionMiddleware,
        secret_key=rt.settings.secret_key,
        session_cookie="gendan_session",
        same_site="lax",
        https_only=rt.settings.secure_cookies,
        max_age=12 * 3600,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    # outermost: body size, NUL characters and out-of-range ids before anything reads them
    app.add_middleware(RequestGuard)

    app.include_router(api_router)
    app.include_router(tasks_router)
    app.include_router(pages_router)
    app.include_router(audit_router)
    app.include_router(admin_router)
    app.include_router(ack_router)
    return app
