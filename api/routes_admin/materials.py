"""The admin page for the materials master data (issue 10): items, suppliers (the approved
list), the price file, subcontractors, BOM lines with quotas, stock per warehouse.

Each kind has its table and an entry form (``gendan.masterdata.save``: validated like an
imported row, audited with old and new values; a stock record moves stock through
``gendan.stock`` as an adjustment, so the stock triggers run). A file import of any material
kind checks the whole file first: a dry run or a file with bad rows shows every bad row (row,
column, reason) and writes nothing (200 for the dry run, 422 refused); a clean import writes,
is audited and returns 303. The stock table shows each item's level against the season's
safety stock and the maximum, with the open 物料跟催单 / 异常预警报告 raised for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from api.deps import Db, Now, Rt
from api.routes_admin.common import DONE, Admin, back_to, page, router, submit
from api.web import PageUser, form_with_csrf
from gendan import masterdata
from gendan.calendar import BusinessCalendar
from gendan.db import unit_of_work
from gendan.errors import InvalidForm
from gendan.masterdata_materials import ABC, MATERIAL_KINDS, REQUISITION_CLASSES, rows_of
from gendan.models import Instance, Item
from gendan.runtime import Runtime
from gendan.stock_triggers import SEASONS, season

BACK = "/admin/materials"
TEMPLATE = "admin_materials.html"
YES_NO = {"true": ("是", "Yes"), "false": ("否", "No")}
#: Fields entered by choosing, with their words (the rest are typed).
CHOICES = {
    "abc_class": ABC,
    "requisition_class": REQUISITION_CLASSES,
    "urgent": YES_NO,
    "active": YES_NO,
    "approved": YES_NO,
}
ALERTS = ("reorder_chase", "overstock_warning")

DONE.update({"materials_saved": ("已保存物料主数据", "Materials master data saved")})


def stock_view(db: Session, now: datetime, calendar: BusinessCalendar) -> list[dict[str, Any]]:
    """Each stock row with its item's safety stock of the season, maximum and open alerts."""
    items = {i.code: i for i in db.exec(select(Item)).all()}
    open_alerts = db.exec(
        select(Instance).where(Instance.procedure.in_(ALERTS), Instance.closed_at.is_(None))
    ).all()
    peak = season(db, now, calendar) == "peak"
    out = []
    for row in rows_of(db, "stock"):
        item = items.get(row.item_code)
        safety = (item.safety_peak if peak else item.safety_off) if item else 0.0
        out.append(
            {
                "row": row,
                "item": item,
                "safety": safety,
                "low": bool(item and safety and row.on_hand <= safety),
                "high": bool(item and item.max_qty and row.on_hand >= item.max_qty),
                "alerts": [a for a in open_alerts if a.subject_key == row.item_code],
            }
        )
    return out


def _ctx(db: Session, me: PageUser, now: datetime, rt: Runtime, report: Any = None) -> dict:
    return {
        "me": me,
        "kinds": {k: v.label for k, v in MATERIAL_KINDS.items()},
        "headers": {k: v.headers for k, v in MATERIAL_KINDS.items()},
        "records": {k: rows_of(db, k) for k in MATERIAL_KINDS if k != "stock"},
        "stock": stock_view(db, now, rt.calendar),
        "season": SEASONS[season(db, now, rt.calendar)],
        "choices": CHOICES,
        "report": report,
    }


@router.get("/admin/materials", response_class=HTMLResponse)
def materials_page(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    return page(request, TEMPLATE, _ctx(db, me, now, rt))


@router.post("/admin/materials/save")
async def save_record(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    """One record of the kind the form's hidden ``kind`` names."""

    def change(s: Session, data: Any) -> str:
        kind = str(data.get("kind") or "")
        if kind not in MATERIAL_KINDS:
            raise InvalidForm({"kind": "unknown master data / 未知的主数据"})
        values = {k: v for k, v in data.items() if k not in ("kind", "csrf_token")}
        masterdata.save(
            s, kind=kind, values=values, actor=me.actor, now=now, calendar=rt.calendar
        )
        return "materials_saved"

    return await submit(
        request, rt, change, form=lambda data: str(data.get("kind") or "items"), back=BACK,
        template=TEMPLATE, ctx=lambda: _ctx(db, me, now, rt),
    )  # fmt: skip


@router.post("/admin/materials-import")
async def import_materials(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    data = await form_with_csrf(request)
    kind = str(data.get("kind") or "")
    upload = data.get("file")
    errors: dict[str, str] = {}
    if kind not in MATERIAL_KINDS:
        errors["kind"] = "请选择主数据类型 / choose what the file holds"
    name = getattr(upload, "filename", "") or ""
    if not name.lower().endswith((".csv", ".xlsx")):
        errors["file"] = "请选择 CSV 或 XLSX 文件 / choose a CSV or XLSX file"
    if errors:
        ctx = _ctx(db, me, now, rt)
        return page(request, TEMPLATE, ctx, errors={"import": errors}, status=422)
    content = await upload.read()  # type: ignore[union-attr]
    with unit_of_work(rt.db) as s:
        report = masterdata.import_file(
            s, kind=kind, file_name=name, content=content, actor=me.actor, now=now,
            dry_run=bool(data.get("dry_run")), calendar=rt.calendar,
        )  # fmt: skip
    if report.written:
        return back_to(BACK, "materials_saved")
    status = 422 if report.errors else 200
    return page(request, TEMPLATE, _ctx(db, me, now, rt, report), status=status)
