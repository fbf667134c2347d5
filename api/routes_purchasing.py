"""The 采购单未下单明细表 (PROCEDURES.md §5f; 003 5.5.1): the page MC reports to the superior
from, and its JSON twin.

Page ``GET /purchasing/unplaced``; API ``GET /api/purchasing/unplaced``. Readers:
``gendan.unplaced_report.READERS``; anyone else gets 403.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import ApiActor, Db, Now, Rt
from api.errors import API_ERRORS
from api.web import Me, render
from gendan import unplaced_report as report
from gendan.errors import NotAllowed
from gendan.org import Actor

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["purchasing"], responses=API_ERRORS)


def _require(actor: Actor) -> None:
    if not any(actor.has_role(r) for r in report.READERS):
        raise NotAllowed("the unplaced-PO list is for material control, purchasing and "
                         "management / 仅物控、采购与管理层可见")  # fmt: skip


@pages.get("/purchasing/unplaced", response_class=HTMLResponse)
def unplaced_page(request: Request, me: Me, db: Db, rt: Rt, now: Now) -> Response:
    _require(me.actor)
    ctx = {
        "me": me,
        "rows": report.open_rows(db, now, rt.calendar.zone),
        "months": report.monthly(db, now, rt.calendar.zone),
        "kinds": report.KIND_LABELS,
    }
    return render(request, "purchasing_unplaced.html", ctx)


@api.get("/purchasing/unplaced")
def unplaced_api(actor: ApiActor, db: Db, rt: Rt, now: Now) -> dict[str, Any]:
    """Requirements with purchasing and no PO yet (overdue first), and the monthly counts."""
    _require(actor)
    return {
        "open": [asdict(r) for r in report.open_rows(db, now, rt.calendar.zone)],
        "months": [asdict(m) for m in report.monthly(db, now, rt.calendar.zone)],
    }
