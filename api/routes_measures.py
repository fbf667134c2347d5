"""The measures page (PROCEDURES.md "Measures"; §5k, §5l): the monthly purchase on-time rate
and the suppliers' QDPS grades, a chart per month, exported as CSV and XLSX; its JSON twin.

Page ``GET /measures`` (+ ``/measures.csv``, ``/measures.xlsx``); API ``GET /api/measures``.
Readers: ``gendan.measures_view.READERS``; anyone else gets 403.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, Field

from api.deps import ApiActor, Db, Now, Rt
from api.errors import API_ERRORS
from api.web import Me, PageUser, lang_of, render, templates
from gendan import measures_view as view
from gendan.errors import NotAllowed
from gendan.org import Actor

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["measures"], responses=API_ERRORS)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def reads_measures(actor: Actor) -> bool:
    return any(actor.has_role(r) for r in view.READERS)


def _require(actor: Actor) -> None:
    if not reads_measures(actor):
        raise NotAllowed("the measures are for material control, purchasing, quality and "
                         "management / 仅物控、采购、品质与管理层可见")  # fmt: skip


def _nav_reads_measures(request: Request, me: PageUser | None) -> bool:
    return me is not None and reads_measures(me.actor)


templates.env.globals["nav_reads_measures"] = _nav_reads_measures


@pages.get("/measures", response_class=HTMLResponse)
def measures_page(request: Request, me: Me, db: Db, rt: Rt) -> Response:
    _require(me.actor)
    items = view.rows(db, rt.calendar.zone)
    lang_zh = lang_of(request, me.user) == "zh"
    on_time_title = "采购准时交货率（按月）" if lang_zh else "Purchase on-time rate by month"
    qdps_title = "供应商QDPS等级（按月）" if lang_zh else "Supplier QDPS grades by month"
    ctx = {
        "me": me,
        "on_time": [r for r in items if r.kind == view.ON_TIME],
        "qdps": [r for r in items if r.kind == view.QDPS],
        "on_time_svg": Markup(view.on_time_chart(items, on_time_title)),
        "qdps_svg": Markup(view.qdps_chart(items, qdps_title)),
        "status_labels": view.STATUS_LABELS,
    }
    return render(request, "measures.html", ctx)


def _download(body: bytes, media: str, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(body, media_type=media, headers=headers)


@pages.get("/measures.csv")
def measures_csv(me: Me, db: Db, rt: Rt, now: Now) -> Response:
    _require(me.actor)
    body = view.to_csv(view.rows(db, rt.calendar.zone)).encode("utf-8")
    stamp = view.exported_at(now, rt.calendar.zone)
    return _download(body, "text/csv; charset=utf-8", f"measures-{stamp}.csv")


@pages.get("/measures.xlsx")
def measures_xlsx(me: Me, db: Db, rt: Rt, now: Now) -> Response:
    _require(me.actor)
    body = view.to_xlsx(view.rows(db, rt.calendar.zone))
    return _download(body, XLSX_TYPE, f"measures-{view.exported_at(now, rt.calendar.zone)}.xlsx")


class MeasureOut(BaseModel):
    """One monthly measure: the company's on-time rate, or one supplier's QDPS score."""

    kind: str = Field(description="purchase_on_time | qdps")
    period: str = Field(description="the month measured, YYYY-MM")
    subject: str = Field(description="'' for the company, else the supplier code")
    subject_name: str
    value: float = Field(description="rate in percent, or the QDPS total")
    grade: str = Field(description="QDPS grade A-D ('' for the on-time rate)")
    status: str = Field(description="computed | approved")
    approved_by: str
    approved_at: str = Field(description="company time, YYYY-MM-DD HH:MM")
    lines_due: int | None = None
    lines_on_time: int | None = None


@api.get("/measures", response_model=list[MeasureOut])
def measures_api(actor: ApiActor, db: Db, rt: Rt) -> list[MeasureOut]:
    """Every measure, newest month first (readers only: 403 otherwise)."""
    _require(actor)
    return [MeasureOut(**r.as_dict()) for r in view.rows(db, rt.calendar.zone)]
