"""The FastAPI application: JSON API, server-rendered pages, sessions, security headers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from api.docs import ASSETS, ASSETS_URL
from api.docs import router as docs_router
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
from api.routes_bulk import router as bulk_router
from api.routes_counts import api as counts_api_router
from api.routes_discussion import api as discussion_api_router
from api.routes_discussion import pages as discussion_router
from api.routes_discussion import upload_limits
from api.routes_escalations import api as escalations_api_router
from api.routes_escalations import pages as escalations_router
from api.routes_issue import router as issue_api_router
from api.routes_master import router as master_router
from api.routes_master_materials import router as materials_master_router
from api.routes_measures import api as measures_api_router
from api.routes_measures import pages as measures_router
from api.routes_orders import api as orders_api_router
from api.routes_orders import pages as orders_router
from api.routes_outsourcing import api as outsourcing_api_router
from api.routes_pages import router as pages_router
from api.routes_purchasing import api as purchasing_api_router
from api.routes_purchasing import pages as purchasing_router
from api.routes_receiving import router as receiving_router
from api.routes_rows import router as rows_router
from api.routes_tasks import router as tasks_router
from api.web import LoginRequired
from gendan.db import utcnow
from gendan.errors import EngineError
from gendan.runtime import Runtime, build_runtime
from gendan.sessions import cookies_secure, hsts_max_age

SECURITY_HEADERS = {
    # pages and API answers carry personal and order data: never kept by a browser or proxy
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
}


UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def foreign_origin(request: Request, base_origin: str) -> str | None:
    """A page POST's Origin (else its Referer's origin) when it is neither this server's (as
    the request addressed it) nor the base URL's; None when it matches — or when the browser
    sent neither header, in which case the CSRF token alone decides, as before."""
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if not referer:
            return None
        origin = origin_of(referer)
    own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    return None if origin.lower() in (own, base_origin) else origin


def create_app(rt: Runtime | None = None, clock: Callable[[], datetime] = utcnow) -> FastAPI:
    rt = rt or build_runtime()
    app = FastAPI(
        title="gendan 跟单",
        description="Order-to-delivery procedures: tasks, SLAs, escalations, audit trail.",
        version="0.1.0",
        docs_url=None,  # served by api.docs from this server (no CDN, our CSP)
        redoc_url=None,
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
        https_only=cookies_secure(rt.settings),  # Secure unless plain HTTP on loopback
        max_age=rt.settings.session_max_hours * 3600,  # the record decides; see gendan.sessions
    )
    headers = dict(SECURITY_HEADERS)
    if hsts := hsts_max_age(rt.settings):
        headers["Strict-Transport-Security"] = f"max-age={hsts}; includeSubDomains"
    base_origin = origin_of(rt.settings.base_url)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        if request.method in UNSAFE_METHODS and not request.url.path.startswith("/api"):
            foreign = foreign_origin(request, base_origin)
            if foreign is not None:
                response: Response = PlainTextResponse(
                    f"cross-site request from {foreign[:100]} refused / 拒绝跨站请求", 403
                )
                for k, v in headers.items():
                    response.headers.setdefault(k, v)
                return response
        response = await call_next(request)
        for k, v in headers.items():
            response.headers.setdefault(k, v)
        return response

    # outermost: body size, NUL characters and out-of-range ids before anything reads them
    app.add_middleware(RequestGuard, large_bodies=upload_limits(rt.settings))

    app.mount(ASSETS_URL, ASSETS, name="docs-assets")
    app.include_router(docs_router)
    app.include_router(api_router)
    app.include_router(escalations_api_router)
    app.include_router(escalations_router)
    app.include_router(measures_api_router)
    app.include_router(measures_router)
    app.include_router(counts_api_router)
    app.include_router(outsourcing_api_router)
    app.include_router(issue_api_router)
    app.include_router(purchasing_api_router)
    app.include_router(purchasing_router)
    app.include_router(tasks_router)
    app.include_router(bulk_router)
    app.include_router(receiving_router)
    app.include_router(pages_router)
    app.include_router(audit_router)
    app.include_router(admin_router)
    app.include_router(ack_router)
    app.include_router(discussion_api_router)
    app.include_router(discussion_router)
    app.include_router(orders_api_router)
    app.include_router(orders_router)
    app.include_router(rows_router)
    app.include_router(master_router)
    app.include_router(materials_master_router)
    return app
