"""``GET /static/rows.js``: the add/remove-row buttons of repeating rows (forms/rows.py).

A file, not inline script: the Content-Security-Policy allows scripts from this server only.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Response

router = APIRouter(include_in_schema=False)

ROWS_JS = (Path(__file__).resolve().parent / "static" / "rows.js").read_text(encoding="utf-8")


@router.get("/static/rows.js")
def rows_script() -> Response:
    return Response(
        ROWS_JS,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )
