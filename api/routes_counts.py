"""Stock counts through the API (§7): a count with its lines per round, and its corrections
as the ERP takes them — 其他入库单 / 其他出库单 as CSV or XLSX (``gendan.count_export``).

``GET /api/counts/{count_no}``, ``…/postings.csv``, ``…/postings.xlsx``. Readers: the
warehouse, finance, management, material control and the auditor; anyone else gets 403.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.deps import ApiActor, Db
from api.errors import API_ERRORS
from gendan import count_export, counts
from gendan.errors import NotAllowed, NotFound
from gendan.models import StockCount
from gendan.org import Actor

api = APIRouter(prefix="/api/counts", tags=["stock counts"], responses=API_ERRORS)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
READERS = ("warehouse_keeper", "finance", "finance_director", "general_manager", "deputy_gm",
           "pmc_manager", "material_controller", "auditor")  # fmt: skip


def _count(actor: Actor, db: Session, count_no: str) -> StockCount:
    if not any(actor.has_role(r) for r in READERS):
        raise NotAllowed("stock counts are for the warehouse, finance, material control and "
                         "management / 仅仓库、财务、物控与管理层可见")  # fmt: skip
    count = count_export.find_count(db, count_no)
    if count is None:
        raise NotFound(f"no stock count {count_no}")
    return count


class LineOut(BaseModel):
    item_code: str
    location: str
    round: int
    book_qty: float | None = Field(description="the book at the snapshot (None until taken)")
    counted_qty: float | None = Field(description="None: on this round's list, not counted yet")
    counter: str


class CountOut(BaseModel):
    count_no: str
    instance_id: int
    kind: str
    warehouses: list[str]
    abc_classes: list[str]
    count_date: str
    snapshot_at: str | None = Field(description="the set time the book is frozen at (UTC)")
    status: str = Field(description="planned | snapshotted | counting | counted | posted")
    current_round: int
    lines: list[LineOut]


@api.get("/{count_no}", response_model=CountOut)
def count_api(count_no: str, actor: ApiActor, db: Db) -> CountOut:
    """The count and every line of every round (readers only)."""
    count = _count(actor, db, count_no)
    assert count.id is not None
    return CountOut(
        count_no=count.count_no, instance_id=count.instance_id, kind=count.kind,
        warehouses=count.warehouses, abc_classes=count.abc_classes,
        count_date=count.count_date.isoformat(),
        snapshot_at=count.snapshot_at.isoformat() if count.snapshot_at else None,
        status=count.status, current_round=counts.current_round(db, count.id),
        lines=[LineOut(**ln.model_dump(include=set(LineOut.model_fields)))
               for ln in counts.lines(db, count.id)],
    )  # fmt: skip


def _download(body: bytes, media: str, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(body, media_type=media, headers=headers)


@api.get("/{count_no}/postings.csv")
def postings_csv(count_no: str, actor: ApiActor, db: Db) -> Response:
    """The count's gains (其他入库单) and losses (其他出库单), CSV (UTF-8 with BOM)."""
    count = _count(actor, db, count_no)
    body = count_export.as_csv(db, count)
    return _download(body, "text/csv; charset=utf-8", f"{count.count_no}-postings.csv")


@api.get("/{count_no}/postings.xlsx")
def postings_xlsx(count_no: str, actor: ApiActor, db: Db) -> Response:
    """The same as a workbook, one sheet per document kind."""
    count = _count(actor, db, count_no)
    return _download(count_export.as_xlsx(db, count), XLSX_TYPE, f"{count.count_no}-postings.xlsx")
