"""/docs (Swagger UI) and /redoc served from this server, so Authorize works under our CSP.

FastAPI's own pages load their scripts from a CDN and start them with an inline script; the
Content-Security-Policy (``default-src 'self'``, no inline scripts) blocks both, and a
factory's network may not reach the CDN at all. Here the assets come from the
``fastapi-offline`` package (Swagger UI 5, which reads OpenAPI 3.1) and the start-up code is
a script of its own URL.

Choice: ``fastapi-offline`` is used for its files only (not its app factory), because our
app keeps its own construction and headers; it adds no dependency beyond FastAPI.
"""

from __future__ import annotations

import json
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
ASSETS = StaticFiles(directory=Path(fastapi_offline.__file__).parent / "static")

router = APIRouter(include_in_schema=False)

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="{assets}/favicon.png">{css}</head>
<body><div id="{dom}"></div>
<script src="{assets}/{bundle}"></script>
<script src="{start}"></script>
</body></html>"""

#: Swagger UI's start: the OpenAPI of this server; Authorize offers the OAuth2 password flow
#: (POST /api/token, form-encoded) and a bearer token.
_SWAGGER_START = {
    "url": "/openapi.json",
    "dom_id": "#swagger-ui",
    "deepLinking": True,
    "persistAuthorization": False,
    "showExtensions": True,
}


@router.get("/docs", response_class=HTMLResponse)
def swagger_page() -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(
            title="gendan API - Swagger UI",
            assets=ASSETS_URL,
            css=f'<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">',
            dom="swagger-ui",
            bundle="swagger-ui-bundle.js",
            start="/docs-start.js",
        )
    )


@router.get("/docs-start.js")
def swagger_start() -> Response:
    body = f"window.ui = SwaggerUIBundle({json.dumps(_SWAGGER_START)});\n"
    return Response(body, media_type="text/javascript")


@router.get("/redoc", response_class=HTMLResponse)
def redoc_page() -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(
            title="gendan API - ReDoc",
            assets=ASSETS_URL,
            css="",
            dom="redoc",
            bundle="redoc.standalone.js",
            start="/redoc-start.js",
        )
    )


@router.get("/redoc-start.js")
def redoc_start() -> Response:
    body = 'Redoc.init("/openapi.json", {}, document.getElementById("redoc"));\n'
    return Response(body, media_type="text/javascript")
