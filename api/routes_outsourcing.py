"""Outsourcing quantities through the API (§6): a subcontractor's month of lines for the
ERP's 核销 and 结算 (CSV or XLSX, ``gendan.outsourcing_export``) and its book leftovers.

``GET /api/outsourcing/{code}/{period}.csv`` / ``.xlsx``, ``GET /api/outsourcing/{code}/
leftovers``. Readers: outsourcing, MC, finance, management and the auditor; others get 403.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import ApiActor, Db, Rt
from api.errors import API_ERRORS
from gendan import outsourcing, outsourcing_export
from gendan.errors import InvalidForm, NotAllowed
from gendan.org import Actor

api = APIRouter(prefix="/api/outsourcing", tags=["outsourcing"], responses=API_ERRORS)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
READERS = ("outsourcing_coordinator", "subcon_material_clerk", "material_controller",
           "finance", "finance_director", "general_manager", "deputy_gm", "auditor")  # fmt: skip
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"


def _check(actor: Actor, db: Db, code: str) -> None:
    if not any(actor.has_role(r) for r in READERS):
        raise NotAllowed("outsourcing quantities are for outsourcing, MC, finance and "
                         "management / 仅外协、物控、财务与管理层可见")  # fmt: skip
    outsourcing.check_subcontractor(db, code, "code")


def _period(period: str) -> str:
    if not re.fullmatch(PERIOD, period):
        raise InvalidForm({"period": "a month like 2026-11 / 月份格式如 2026-11"})
    return period


def _download(body: bytes, media: str, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(body, media_type=media, headers=headers)


@api.get("/{code}/{period}.csv")
def month_csv(code: str, period: str, actor: ApiActor, db: Db, rt: Rt) -> Response:
    """The subcontractor's issued and received lines of the month, CSV (UTF-8 with BOM)."""
    _check(actor, db, code)
    rows = outsourcing_export.month_lines(db, code, _period(period), rt.calendar.zone)
    return _download(outsourcing_export.as_csv(rows), "text/csv; charset=utf-8",
                     f"{code}-{period}.csv")  # fmt: skip


@api.get("/{code}/{period}.xlsx")
def month_xlsx(code: str, period: str, actor: ApiActor, db: Db, rt: Rt) -> Response:
    """The same as a workbook."""
    _check(actor, db, code)
    rows = outsourcing_export.month_lines(db, code, _period(period), rt.calendar.zone)
    return _download(outsourcing_export.as_xlsx(rows, f"{code} {period}"), XLSX_TYPE,
                     f"{code}-{period}.xlsx")  # fmt: skip


class LeftoverOut(BaseModel):
    item_code: str
    qty: float = Field(description="issued less what the receipts used (BOM qty_per; 1:1)")


@api.get("/{code}/leftovers", response_model=list[LeftoverOut])
def leftovers(code: str, actor: ApiActor, db: Db) -> list[LeftoverOut]:
    """What the subcontractor should hold now (the book of the 余料明细清单)."""
    _check(actor, db, code)
    book = outsourcing.book_leftovers(db, code, datetime(2999, 1, 1, tzinfo=UTC))
    return [LeftoverOut(item_code=i, qty=q) for i, q in book.items()]
