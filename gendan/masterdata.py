"""Master data planning reads (PROCEDURES.md "Master data"): customers, lines and teams, settings.

Entered on the admin pages or imported from CSV/XLSX (an ERP export); never hard-coded. An
import is checked whole first: every bad row is reported (row, column, reason) and nothing is
written until the file is clean. A written import is one audit event naming the file, its
SHA-256, who imported it and how many rows were created and updated; an entered record is
audited with its old and new values, like every administrative change.

Choice: rows are matched by their natural key (customer code, line key, line + team key,
setting key) and updated in place, because an ERP export is re-imported whole and a repeated
import must not duplicate anything. Choice: a team names its line by the line's key, and the
line must already be on file (import lines first), because a team without a line means
nothing to planning.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from sqlmodel import Session, select

from gendan.admin.changes import diff, record
from gendan.calendar import BusinessCalendar
from gendan.errors import InvalidForm
from gendan.models import Customer, MasterSetting, ProductionLine, ProductionTeam
from gendan.org import Actor
from gendan.settings import get_settings

#: Team kinds (班组类型): 001W 3.4.3 names the sample team and dedicated teams.
TEAM_KINDS = {
    "sample": ("样品组", "Sample team"),
    "dedicated": ("专线/专用班组", "Dedicated team"),
    "regular": ("普通班组", "Regular team"),
}
CUSTOMER_CLASSES = {"A": ("A 类", "Class A"), "B": ("B 类", "Class B"), "C": ("C 类", "Class C")}

#: The settings planning reads: key → (zh, en, default from the environment's settings).
SETTINGS: dict[str, tuple[str, str, Callable[[], int]]] = {
    "urgent_small_order_max": (
        "紧急订单小批量上限（A 类客户走样品组）",
        "Urgent-order size threshold (an A customer's order up to it goes to the sample team)",
        lambda: int(getattr(get_settings(), "urgent_small_order_max", 50)),
    ),
    # §5e (gendan.requisitions): another company's requisition process, chosen per factory
    "requisition_variant_002": (
        "申购流程采用 002 变体（1 = 是，0 = 003 原流程）",
        "Requisitions follow the 002 variant (1 = yes, 0 = 003's paths)",
        lambda: 0,
    ),
}

#: Bounds of a setting's value where it has them (a month is 1-12).
SETTING_RANGES: dict[str, tuple[int, int]] = {"requisition_variant_002": (0, 1)}

_KEY = r"^[a-z][a-z0-9_]{1,39}$"


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CustomerRow(_Row):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    customer_class: Literal["A", "B", "C"]
    credit_terms: str = Field(default="", max_length=200)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    contact_email: str = Field(default="", max_length=200)

    @field_validator("customer_class", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and ("@" not in value or " " in value):
            raise ValueError("not an e-mail address / 邮箱格式不对")
        return value


class LineRow(_Row):
    key: str = Field(pattern=_KEY)
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    department_key: str = Field(default="", max_length=40)


class TeamRow(_Row):
    line: str = Field(min_length=1, max_length=40)
    key: str = Field(pattern=_KEY)
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    kind: Literal["sample", "dedicated", "regular"] = "regular"


class SettingRow(_Row):
    key: str = Field(min_length=1, max_length=60)
    value: str = Field(min_length=1, max_length=200)

    @field_validator("key")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in SETTINGS:
            raise ValueError(f"unknown setting / 未知设置 (known: {', '.join(SETTINGS)})")
        return value

    @field_validator("value")
    @classmethod
    def _whole_number(cls, value: str, info: ValidationInfo) -> str:
        if not value.isdigit() or int(value) < 1:
            raise ValueError("a whole number of at least 1 / 须为正整数")
        low, high = SETTING_RANGES.get(str(info.data.get("key")), (1, 10**9))
        if not low <= int(value) <= high:
            raise ValueError(f"between {low} and {high} / 须在 {low} 到 {high} 之间")
        return value


@dataclass(frozen=True)
class WriteContext:
    """What a kind's own writer needs: when, who, the business calendar (the stock triggers
    compute deadlines), the reference written on stock movements, import or entry."""

    now: datetime
    actor: Actor
    calendar: BusinessCalendar
    ref: str
    source: Literal["import", "entry"]


@dataclass(frozen=True)
class Kind:
    """One kind of master data: its row model, its columns' headers and its natural key.

    Materials (issue 10, ``gendan.masterdata_materials``) add: ``model``, the table a row is
    written to, matched by the natural key; ``check``, checks against what is on file
    ((session, [(row number, row)]) → errors, e.g. a price naming an unknown item);
    ``write``, a writer of its own ((session, row, ctx) → created; stock goes through
    ``gendan.stock``); ``after``, run once after a written import or entry ((session, rows,
    ctx); an item import re-runs the stock triggers); the page's ``label``.
    """

    row: type[_Row]
    headers: Mapping[str, tuple[str, str]]
    natural_key: tuple[str, ...]
    model: type[Any] | None = None
    check: Callable[[Session, list[tuple[int, dict[str, Any]]]], list[RowError]] | None = None
    write: Callable[[Session, dict[str, Any], WriteContext], bool] | None = None
    after: Callable[[Session, list[dict[str, Any]], WriteContext], None] | None = None
    label: tuple[str, str] = ("", "")


KINDS: dict[str, Kind] = {
    "customers": Kind(
        CustomerRow,
        {
            "code": ("客户编码", "Code"),
            "name": ("客户名称", "Name"),
            "customer_class": ("客户等级", "Class"),
            "credit_terms": ("信用条件", "Credit terms"),
            "contact_name": ("联系人", "Contact"),
            "contact_phone": ("联系电话", "Phone"),
            "contact_email": ("邮箱", "E-mail"),
        },
        ("code",),
    ),
    "lines": Kind(
        LineRow,
        {
            "key": ("生产线代码", "Line key"),
            "name_zh": ("中文名称", "Chinese name"),
            "name_en": ("英文名称", "English name"),
            "department_key": ("所属部门", "Department"),
        },
        ("key",),
    ),
    "teams": Kind(
        TeamRow,
        {
            "line": ("生产线代码", "Line key"),
            "key": ("班组代码", "Team key"),
            "name_zh": ("中文名称", "Chinese name"),
            "name_en": ("英文名称", "English name"),
            "kind": ("班组类型", "Kind"),
        },
        ("line", "key"),
    ),
    "settings": Kind(
        SettingRow, {"key": ("设置项", "Setting"), "value": ("值", "Value")}, ("key",)
    ),
}


@dataclass(frozen=True)
class RowError:
    """One bad cell: the file's row number (the header is row 1), the column, the reason."""

    row: int
    column: str
    reason: str


@dataclass
class ImportReport:
    kind: str
    file_name: str
    sha256: str
    rows: int
    errors: list[RowError] = field(default_factory=list)
    written: bool = False
    created: int = 0
    updated: int = 0


# -- reading a file ------------------------------------------------------------------------


def read_table(file_name: str, content: bytes) -> list[list[str]]:
    """The cells of a CSV (UTF-8, with or without BOM; GB18030 as the fallback Excel users
    save) or the first sheet of an XLSX, as text; blank rows dropped."""
    if file_name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = [
            ["" if c is None else _cell(c) for c in r] for r in sheet.iter_rows(values_only=True)
        ]
        book.close()
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("gb18030")
        rows = [list(r) for r in csv.reader(io.StringIO(text))]
    return [[c.strip() for c in r] for r in rows]


def _cell(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


#: A bad cell's reason in both languages, by pydantic's error type (a person reads it).
_REASONS: dict[str, str] = {
    "missing": "必填 / required",
    "string_too_short": "必填 / required",
    "string_too_long": "太长（最多 {max_length} 个字符）/ too long (at most {max_length})",
    "string_pattern_mismatch": "格式不符 / not in the required form ({pattern})",
    "int_parsing": "须为整数 / must be a whole number",
    "int_from_float": "须为整数 / must be a whole number",
    "float_parsing": "须为数字 / must be a number",
    "finite_number": "须为数字 / must be a number",
    "bool_parsing": "须为 是/否 / must be yes or no",
    "greater_than": "须大于 {gt} / must be greater than {gt}",
    "greater_than_equal": "不能小于 {ge} / must be at least {ge}",
    "less_than": "须小于 {lt} / must be less than {lt}",
    "less_than_equal": "不能大于 {le} / must be at most {le}",
    "literal_error": "须为以下之一 / must be one of: {expected}",
}


def reason(err: Any) -> str:
    """Why a cell is bad, in both languages (a rule of our own keeps its own words)."""
    template = _REASONS.get(err["type"])
    if template is None:
        return str(err["msg"]).removeprefix("Value error, ")
    try:
        return template.format(**(err.get("ctx") or {}))
    except (KeyError, IndexError):
        return str(err["msg"])


def _columns(kind: Kind, header: list[str]) -> tuple[dict[int, str], list[RowError]]:
    """Header cell index → field; a header may be the field name or its zh/en label."""
    names: dict[str, str] = {}
    for name, (zh, en) in kind.headers.items():
        for alias in (name, zh, en):
            names[alias.lower()] = name
    columns: dict[int, str] = {}
    errors: list[RowError] = []
    for i, cell in enumerate(header):
        if not cell:
            continue
        name = names.get(cell.lower())
        if name is None:
            errors.append(RowError(1, cell, "unknown column / 未知的列"))
        elif name in columns.values():
            errors.append(RowError(1, cell, "column given twice / 列重复"))
        else:
            columns[i] = name
    for name, field_info in kind.row.model_fields.items():
        if field_info.is_required() and name not in columns.values():
            errors.append(RowError(1, name, "required column missing / 缺少必需的列"))
    return columns, errors


def check_rows(
    session: Session, kind_key: str, table: list[list[str]]
) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Validate every row; return the clean rows and every error (row, column, reason)."""
    kind = KINDS[kind_key]
    rows = [r for r in table if any(r)]
    if not rows:
        return [], [RowError(1, "", "the file is empty / 文件为空")]
    columns, errors = _columns(kind, rows[0])
    clean: list[dict[str, Any]] = []
    numbers: list[int] = []
    seen: dict[tuple[Any, ...], int] = {}
    lines = {ln.key for ln in session.exec(select(ProductionLine)).all()}
    for number, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        raw = {name: cells[i] for i, name in columns.items() if i < len(cells) and cells[i]}
        try:
            row = kind.row.model_validate(raw).model_dump()
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else ""
                errors.append(RowError(number, column, reason(err)))
            continue
        key = tuple(row[k] for k in kind.natural_key)
        if key in seen:
            where = kind.natural_key[-1]
            errors.append(
                RowError(number, where, f"same as row {seen[key]} / 与第 {seen[key]} 行重复")
            )
            continue
        seen[key] = number
        if kind_key == "teams" and row["line"] not in lines:
            errors.append(RowError(number, "line", "no such line on file / 没有这条生产线"))
            continue
        clean.append(row)
        numbers.append(number)
    if kind_key == "customers":
        errors += _duplicate_names(clean, table)
    if kind.check is not None:
        errors += kind.check(session, list(zip(numbers, clean, strict=True)))
    errors.sort(key=lambda e: e.row)
    return clean, errors


def _duplicate_names(rows: list[dict[str, Any]], table: list[list[str]]) -> list[RowError]:
    """Two customers may not share a name: intake finds the class by the order's name."""
    seen: dict[str, str] = {}
    out: list[RowError] = []
    for row in rows:
        if row["name"] in seen and seen[row["name"]] != row["code"]:
            out.append(RowError(_row_of(table, row["code"]), "name", "name used twice / 名称重复"))
        seen[row["name"]] = row["code"]
    return out


def _row_of(table: list[list[str]], code: str) -> int:
    for number, cells in enumerate(table, start=1):
        if code in cells:
            return number
    return 0


# -- writing -------------------------------------------------------------------------------


def import_file(
    session: Session,
    *,
    kind: str,
    file_name: str,
    content: bytes,
    actor: Actor,
    now: datetime,
    dry_run: bool = False,
    calendar: BusinessCalendar | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Check the whole file; write it (and audit it) only when every row is clean and this is
    not a dry run. An unreadable file is one error on row 1. ``calendar``: the stock
    triggers' (a stock or item import re-runs them). ``progress(phase, done, total)`` is
    called as rows are written (the command line's progress bar)."""
    if kind not in KINDS:
        raise InvalidForm({"kind": f"unknown master data / 未知的主数据 ({', '.join(KINDS)})"})
    digest = hashlib.sha256(content).hexdigest()
    try:
        table = read_table(file_name, content)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, not raised
        report = ImportReport(kind, file_name, digest, 0)
        report.errors.append(RowError(1, "", f"cannot read the file / 无法读取文件: {exc}"))
        return report
    rows, errors = check_rows(session, kind, table)
    report = ImportReport(kind, file_name, digest, len(rows) + len({e.row for e in errors} - {1}))
    report.errors = errors
    if errors or dry_run:
        return report
    ctx = WriteContext(
        now, actor, calendar or BusinessCalendar(), f"import:{digest[:12]}", "import"
    )
    for done, row in enumerate(rows, start=1):
        created = _upsert(session, kind, row, now, ctx)
        report.created += created
        report.updated += not created
        if progress is not None:
            progress("write", done, len(rows))
    after = KINDS[kind].after
    if after is not None:
        after(session, rows, ctx)
    report.written = True
    record(
        session,
        actor=actor,
        now=now,
        what="master_import",
        changes={"rows": {"old": None, "new": len(rows)}},
        detail={
            "kind": kind,
            "file_name": file_name,
            "sha256": digest,
            "rows": len(rows),
            "created": report.created,
            "updated": report.updated,
            "by": actor.username,
        },
    )
    return report


def _upsert(
    session: Session, kind: str, row: dict[str, Any], now: datetime, ctx: WriteContext
) -> bool:
    """Write one clean row; True when it created a record."""
    current: Any
    spec = KINDS[kind]
    if spec.write is not None:
        return spec.write(session, row, ctx)
    if spec.model is not None:
        current = on_file(session, spec, row)
        target = current or spec.model(**row)
    elif kind == "customers":
        current = session.exec(select(Customer).where(Customer.code == row["code"])).first()
        target = current or Customer(code=row["code"], name=row["name"])
    elif kind == "lines":
        current = session.exec(
            select(ProductionLine).where(ProductionLine.key == row["key"])
        ).first()
        target = current or ProductionLine(**row)
    elif kind == "teams":
        line = session.exec(select(ProductionLine).where(ProductionLine.key == row["line"])).one()
        current = session.exec(
            select(ProductionTeam).where(
                ProductionTeam.line_id == line.id, ProductionTeam.key == row["key"]
            )
        ).first()
        target = current or ProductionTeam(line_id=line.id, key=row["key"], name_zh="", name_en="")
        row = {k: v for k, v in row.items() if k != "line"}
    else:
        current = session.get(MasterSetting, row["key"])
        target = current or MasterSetting(key=row["key"], value=row["value"])
    for name, value in row.items():
        setattr(target, name, value)
    target.updated_at = now
    session.add(target)
    session.flush()
    return current is None


def on_file(session: Session, spec: Kind, row: dict[str, Any]) -> Any:
    """The record of a table-backed kind with the row's natural key, or None."""
    assert spec.model is not None
    where = [getattr(spec.model, k) == row[k] for k in spec.natural_key]
    return session.exec(select(spec.model).where(*where)).first()


def save(
    session: Session,
    *,
    kind: str,
    values: Mapping[str, Any],
    actor: Actor,
    now: datetime,
    calendar: BusinessCalendar | None = None,
) -> None:
    """One record entered on the admin page or sent to the API: validated like an imported
    row (422 naming the field), written, and audited with its old and new values."""
    if kind not in KINDS:
        raise InvalidForm({"kind": "unknown master data / 未知的主数据"})
    spec = KINDS[kind]
    raw = {k: v for k, v in values.items() if k in spec.row.model_fields and v not in (None, "")}
    try:
        row = spec.row.model_validate(raw).model_dump()
    except ValidationError as exc:
        raise InvalidForm(
            {str(e["loc"][0]) if e["loc"] else "__all__": reason(e) for e in exc.errors()}
        ) from None
    if (
        kind == "teams"
        and not session.exec(
            select(ProductionLine).where(ProductionLine.key == row["line"])
        ).first()
    ):
        raise InvalidForm({"line": "no such line / 没有这条生产线"})
    if kind == "customers":
        other = session.exec(select(Customer).where(Customer.name == row["name"])).first()
        if other is not None and other.code != row["code"]:
            raise InvalidForm({"name": f"used by customer {other.code} / 名称已被使用"})
    if spec.check is not None:
        problems = spec.check(session, [(0, row)])
        if problems:
            raise InvalidForm({e.column or "__all__": e.reason for e in problems})
    old = _current(session, kind, row)
    ctx = WriteContext(now, actor, calendar or BusinessCalendar(), f"entry:{actor.username}",
                       "entry")  # fmt: skip
    created = _upsert(session, kind, row, now, ctx)
    if spec.after is not None:
        spec.after(session, [row], ctx)
    record(
        session,
        actor=actor,
        now=now,
        what=f"master_{kind}_{'created' if created else 'updated'}",
        changes=diff(old, row),
        detail={"kind": kind, "key": "/".join(str(row[k]) for k in spec.natural_key)},
    )


def _current(session: Session, kind: str, row: dict[str, Any]) -> dict[str, Any] | None:
    names = list(KINDS[kind].row.model_fields)
    spec = KINDS[kind]
    if spec.model is not None:
        found: Any = on_file(session, spec, row)
    elif kind == "customers":
        found = session.exec(select(Customer).where(Customer.code == row["code"])).first()
    elif kind == "lines":
        found = session.exec(select(ProductionLine).where(ProductionLine.key == row["key"])).first()
    elif kind == "teams":
        line = session.exec(select(ProductionLine).where(ProductionLine.key == row["line"])).first()
        found = (
            line
            and session.exec(
                select(ProductionTeam).where(
                    ProductionTeam.line_id == line.id, ProductionTeam.key == row["key"]
                )
            ).first()
        )
        return (
            {**{n: getattr(found, n) for n in names if n != "line"}, "line": row["line"]}
            if found
            else None
        )
    else:
        found = session.get(MasterSetting, row["key"])
    return {n: getattr(found, n) for n in names} if found else None


# -- reading -------------------------------------------------------------------------------


def customers(session: Session) -> list[Customer]:
    return list(session.exec(select(Customer).order_by(Customer.code)).all())


def lines_with_teams(session: Session) -> list[tuple[ProductionLine, list[ProductionTeam]]]:
    lines = session.exec(select(ProductionLine).order_by(ProductionLine.key)).all()
    teams = session.exec(select(ProductionTeam).order_by(ProductionTeam.key)).all()
    return [(ln, [t for t in teams if t.line_id == ln.id]) for ln in lines]


def setting(session: Session, key: str) -> int:
    """A setting's value: the master data's if entered, else the environment's default."""
    row = session.get(MasterSetting, key)
    return int(row.value) if row is not None else SETTINGS[key][2]()


def settings_view(session: Session) -> list[tuple[str, str, str, int, bool]]:
    """(key, zh, en, value, entered) of every known setting."""
    return [
        (key, zh, en, setting(session, key), session.get(MasterSetting, key) is not None)
        for key, (zh, en, _) in SETTINGS.items()
    ]


def customer_class_of(session: Session, name: str) -> str | None:
    """The class of the customer named ``name`` on file, or None when the customer is unknown."""
    found = session.exec(select(Customer).where(Customer.name == name.strip())).first()
    return found.customer_class if found else None


def kind_of_file(file_name: str) -> str | None:
    """The kind a file's name says (``customers.xlsx``, ``teams-2026.csv``), or None."""
    stem = file_name.rsplit("/", 1)[-1].lower()
    return next((k for k in KINDS if stem.startswith(k)), None)


def report_lines(report: ImportReport) -> list[str]:
    """The report as the command line prints it: every bad row, then the outcome."""
    lines = [f"row {e.row}  {e.column or '-'}: {e.reason}" for e in report.errors]
    if report.written:
        outcome = f"imported: {report.created} created, {report.updated} updated"
    elif report.errors:
        outcome = f"{len(report.errors)} error(s): nothing written"
    else:
        outcome = "dry run: the file is clean, nothing written"
    lines.append(
        f"{report.kind} {report.file_name} sha256={report.sha256[:12]} "
        f"rows={report.rows}  {outcome}"
    )
    return lines


# Materials (issue 10): items, suppliers, prices, subcontractors, BOM lines, stock register
# themselves in KINDS (a plain import: either module may be imported first).
import gendan.masterdata_materials  # noqa: E402,F401
import gendan.safety_review  # noqa: E402,F401 - its setting safety_review_months (§5a)
