"""The admin page for master data: customers, lines and teams, settings, and file imports.

Entering a record goes through ``gendan.masterdata.save`` (validated like an imported row,
audited with old and new values). An import posts the file (multipart): a dry run, or a file
with bad rows, shows every bad row (row, column, reason) and writes nothing (200 for the dry
run, 422 for a refused import); a clean import writes, is audited, and returns 303.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import Db, Now, Rt
from api.routes_admin.common import DONE, Admin, back_to, page, router, submit
from api.web import PageUser, form_with_csrf
from gendan import masterdata
from gendan.db import unit_of_work
from gendan.masterdata_materials import MATERIAL_KINDS
from gendan.runtime import Runtime

BACK = "/admin/master"
TEMPLATE = "admin_master.html"

DONE.update(
    {
        "master_saved": ("已保存主数据", "Master data saved"),
        "master_imported": ("已导入主数据", "Master data imported"),
    }
)

KIND_LABELS = {
    "customers": ("客户", "Customers"),
    "lines": ("生产线", "Production lines"),
    "teams": ("班组", "Teams"),
    "settings": ("参数设置", "Settings"),
    **{k: kind.label for k, kind in MATERIAL_KINDS.items()},  # issue 10: /admin/materials
}


def _ctx(db: Session, me: PageUser, report: Any = None) -> dict[str, Any]:
    return {
        "me": me,
        "customers": masterdata.customers(db),
        "lines": masterdata.lines_with_teams(db),
        "settings": masterdata.settings_view(db),
        "kinds": KIND_LABELS,
        "headers": {k: v.headers for k, v in masterdata.KINDS.items()},
        "classes": masterdata.CUSTOMER_CLASSES,
        "team_kinds": masterdata.TEAM_KINDS,
        "report": report,
    }


@router.get("/admin/master", response_class=HTMLResponse)
def master_page(request: Request, me: Admin, db: Db) -> Response:
    return page(request, TEMPLATE, _ctx(db, me))


async def _save(
    request: Request, me: PageUser, db: Session, rt: Runtime, now: Any, kind: str
) -> Response:
    def change(s: Session, data: Any) -> str:
        masterdata.save(s, kind=kind, values=dict(data), actor=me.actor, now=now)
        return "master_saved"

    return await submit(
        request, rt, change, form=kind, back=BACK, template=TEMPLATE, ctx=lambda: _ctx(db, me)
    )


@router.post("/admin/master/customers")
async def save_customer(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    return await _save(request, me, db, rt, now, "customers")


@router.post("/admin/master/lines")
async def save_line(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    return await _save(request, me, db, rt, now, "lines")


@router.post("/admin/master/teams")
async def save_team(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    return await _save(request, me, db, rt, now, "teams")


@router.post("/admin/master/settings")
async def save_setting(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    return await _save(request, me, db, rt, now, "settings")


@router.post("/admin/master/import")
async def import_file(request: Request, me: Admin, db: Db, rt: Rt, now: Now) -> Response:
    data = await form_with_csrf(request)
    kind = str(data.get("kind") or "")
    upload = data.get("file")
    dry_run = bool(data.get("dry_run"))
    errors: dict[str, str] = {}
    if kind not in masterdata.KINDS:
        errors["kind"] = "请选择主数据类型 / choose what the file holds"
    name = getattr(upload, "filename", "") or ""
    if not name.lower().endswith((".csv", ".xlsx")):
        errors["file"] = "请选择 CSV 或 XLSX 文件 / choose a CSV or XLSX file"
    if errors:
        return page(request, TEMPLATE, _ctx(db, me), errors={"import": errors}, status=422)
    content = await upload.read()  # type: ignore[union-attr]
    with unit_of_work(rt.db) as s:
        report = masterdata.import_file(
            s, kind=kind, file_name=name, content=content, actor=me.actor, now=now,
            dry_run=dry_run, calendar=rt.calendar,
        )  # fmt: skip
    if report.written:
        return back_to(BACK, "master_imported")
    status = 422 if report.errors else 200
    return page(request, TEMPLATE, _ctx(db, me, report), status=status)
