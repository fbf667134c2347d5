"""JSON API for master data: customers, lines with their teams, settings; import by file.

Anyone signed in reads (planning and intake use them); only the administrator writes. An
import sends the file as the request body with its name in the query: a dry run answers the
report (every bad row with its column and reason, nothing written); a real run with bad rows
is a 422 naming each as ``row.<n>.<column>`` and writes nothing; a clean one writes and is
audited.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.deps import ApiActor, Db, Now, Rt
from api.errors import API_ERRORS
from gendan import masterdata
from gendan.db import unit_of_work
from gendan.errors import InvalidForm, NotAllowed, TooLarge
from gendan.org import Actor

router = APIRouter(prefix="/api/master", tags=["master data"], responses=API_ERRORS)

#: The largest file an import accepts (an ERP export of a few thousand rows).
MAX_IMPORT_BYTES = 1_000_000

MasterKind = Literal[
    "customers",
    "lines",
    "teams",
    "settings",
    "items",
    "suppliers",
    "prices",
    "subcontractors",
    "bom",
    "stock",
]


class CustomerIn(BaseModel):
    """A customer as entered: the class sales gives it, the head's credit terms, a contact."""

    name: str = Field(min_length=1, max_length=200)
    customer_class: Literal["A", "B", "C"]
    credit_terms: str = Field(default="", max_length=200)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    contact_email: str = Field(default="", max_length=200)


class CustomerOut(CustomerIn):
    code: str


class TeamOut(BaseModel):
    key: str
    name_zh: str
    name_en: str
    kind: str


class LineOut(BaseModel):
    key: str
    name_zh: str
    name_en: str
    department_key: str
    teams: list[TeamOut]


class SettingOut(BaseModel):
    key: str
    label_zh: str
    label_en: str
    value: int
    #: False: the environment's default (nothing entered in the master data).
    entered: bool


class RowErrorOut(BaseModel):
    row: int
    column: str
    reason: str


class ImportOut(BaseModel):
    kind: str
    file_name: str
    sha256: str
    rows: int
    written: bool
    created: int
    updated: int
    errors: list[RowErrorOut]


def _admin(actor: Actor) -> None:
    if not actor.has_role("admin"):
        raise NotAllowed("master data is changed by the administrator / 主数据由系统管理员维护")


def _customer_out(c: object) -> CustomerOut:
    return CustomerOut.model_validate(c, from_attributes=True)


@router.get("/customers", response_model=list[CustomerOut])
def list_customers(actor: ApiActor, db: Db) -> list[CustomerOut]:
    """Every customer on file, by code."""
    return [_customer_out(c) for c in masterdata.customers(db)]


@router.put("/customers/{code}", response_model=CustomerOut)
def put_customer(
    code: Annotated[str, Path(min_length=1, max_length=40)],
    body: CustomerIn,
    actor: ApiActor,
    rt: Rt,
    now: Now,
) -> CustomerOut:
    """Create or change one customer (administrator; audited with old and new values)."""
    _admin(actor)
    with unit_of_work(rt.db) as s:
        values = {**body.model_dump(), "code": code}
        masterdata.save(s, kind="customers", values=values, actor=actor, now=now)
        found = next(c for c in masterdata.customers(s) if c.code == code)
        return _customer_out(found)


@router.get("/lines", response_model=list[LineOut])
def list_lines(actor: ApiActor, db: Db) -> list[LineOut]:
    """Production lines, each with its teams (kind: sample, dedicated, regular)."""
    return [
        LineOut(
            key=ln.key,
            name_zh=ln.name_zh,
            name_en=ln.name_en,
            department_key=ln.department_key,
            teams=[TeamOut.model_validate(t, from_attributes=True) for t in teams],
        )
        for ln, teams in masterdata.lines_with_teams(db)
    ]


@router.get("/settings", response_model=list[SettingOut])
def list_settings(actor: ApiActor, db: Db) -> list[SettingOut]:
    """The settings planning reads, entered or the environment's default."""
    return [
        SettingOut(key=k, label_zh=zh, label_en=en, value=v, entered=entered)
        for k, zh, en, v, entered in masterdata.settings_view(db)
    ]


IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post("/{kind}/import", response_model=ImportOut, openapi_extra=IMPORT_BODY)
async def import_master(
    kind: MasterKind,
    request: Request,
    actor: ApiActor,
    rt: Rt,
    now: Now,
    file_name: Annotated[str, Query(min_length=1, max_length=200, pattern=r"\.(csv|xlsx)$")],
    dry_run: bool = False,
) -> ImportOut:
    """Import a CSV or XLSX file (administrator). ``dry_run``: the report only."""
    _admin(actor)
    content = await request.body()
    if len(content) > MAX_IMPORT_BYTES:
        raise TooLarge("the file is larger than 1 MB / 文件超过 1 MB")
    report = _run_import(rt, kind, file_name, content, actor, now, dry_run)
    if report.errors and not dry_run:
        raise InvalidForm({f"row.{e.row}.{e.column or 'file'}": e.reason for e in report.errors})
    return ImportOut(
        kind=report.kind,
        file_name=report.file_name,
        sha256=report.sha256,
        rows=report.rows,
        written=report.written,
        created=report.created,
        updated=report.updated,
        errors=[RowErrorOut(row=e.row, column=e.column, reason=e.reason) for e in report.errors],
    )


def _run_import(
    rt: object, kind: str, file_name: str, content: bytes, actor: Actor, now: object, dry: bool
) -> masterdata.ImportReport:
    s: Session
    with unit_of_work(rt.db) as s:  # type: ignore[attr-defined]
        return masterdata.import_file(
            s,
            kind=kind,
            file_name=file_name,
            content=content,
            actor=actor,
            now=now,  # type: ignore[arg-type]
            dry_run=dry,
            calendar=rt.calendar,  # type: ignore[attr-defined]
        )
