"""The quota issue register through the API (§5j): a batch's 定额领料登记表 as it stands —
each line's quota, issued, open, borrowed and settled — and every issue-side movement of the
batch (``IssueLine``), read from the tables, not from form JSON.

``GET /api/quota-sheets/{batch_no}``. Readers: material control, the warehouse, production,
management and the auditor; others get 403; an unknown batch is a 404.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlmodel import select

from api.deps import ApiActor, Db
from api.errors import API_ERRORS
from gendan.errors import NotAllowed, NotFound
from gendan.issue_register import sheet_lines
from gendan.models import IssueLine, QuotaSheet

router = APIRouter(prefix="/api/quota-sheets", tags=["materials"], responses=API_ERRORS)
READERS = ("material_controller", "mc_section_head", "pmc_manager", "warehouse_keeper",
           "workshop_director", "production_manager", "general_manager", "deputy_gm",
           "auditor")  # fmt: skip


class QuotaLineOut(BaseModel):
    item_code: str
    quota: float
    issued: float
    open: float
    borrowed: float
    settled: float


class IssueLineOut(BaseModel):
    kind: str
    item_code: str
    qty: float
    reason: str
    at: datetime


class QuotaSheetOut(BaseModel):
    batch_no: str
    instance_id: int | None
    plan_start: date
    closed_at: datetime | None
    lines: list[QuotaLineOut]
    issues: list[IssueLineOut]


@router.get("/{batch_no}", response_model=QuotaSheetOut)
def quota_sheet(batch_no: str, actor: ApiActor, db: Db) -> QuotaSheetOut:
    """The batch's quota lines (open = quota − issued) and its issue lines, oldest first."""
    if not any(actor.has_role(r) for r in READERS):
        raise NotAllowed("the quota register is for material control, the warehouse, "
                         "production and management / 仅物控、仓库、生产与管理层可见")  # fmt: skip
    sheet = db.exec(select(QuotaSheet).where(QuotaSheet.batch_no == batch_no)).first()
    if sheet is None:
        raise NotFound(f"no quota sheet for batch {batch_no} / 无此批号的定额领料登记表")
    lines = [
        QuotaLineOut(item_code=q.item_code, quota=q.quota, issued=q.issued,
                     open=round(q.quota - q.issued, 3), borrowed=q.borrowed,
                     settled=q.settled)  # fmt: skip
        for q in sheet_lines(db, batch_no)
    ]
    issues = [
        IssueLineOut(kind=r.kind, item_code=r.item_code, qty=r.qty, reason=r.reason, at=r.at)
        for r in db.exec(
            select(IssueLine).where(IssueLine.batch_no == batch_no).order_by(IssueLine.id)
        )
    ]
    return QuotaSheetOut(batch_no=sheet.batch_no, instance_id=sheet.instance_id,
                         plan_start=sheet.plan_start, closed_at=sheet.closed_at, lines=lines,
                         issues=issues)  # fmt: skip
