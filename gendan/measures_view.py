"""What /measures shows and exports: the monthly purchase on-time rate and the suppliers'
QDPS grades (PROCEDURES.md "Measures", §5k, §5l), with a chart per month.

Choice: the charts are SVG drawn on the server (bars with their numbers written on them),
because the Content-Security-Policy forbids inline scripts and the factory's network may have
no CDN; an SVG prints and reads without JavaScript. Who reads: the roles that compile,
approve or are measured by them (``READERS``), management and the auditor.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from gendan.measures import GRADES, ON_TIME, QDPS, measures
from gendan.models import Supplier, User

READERS = (
    "material_controller", "mc_section_head", "pmc_manager", "buyer", "purchasing_lead",
    "qa_lead", "production_manager", "production_director", "deputy_gm", "general_manager",
    "group_gm", "auditor",
)  # fmt: skip
KIND_LABELS = {ON_TIME: ("采购准时交货率 %", "Purchase on-time rate %"),
               QDPS: ("QDPS 得分", "QDPS score")}  # fmt: skip
STATUS_LABELS = {"computed": ("已计算待审批", "computed, awaiting approval"),
                 "approved": ("已审批", "approved")}  # fmt: skip
COLUMNS = ("kind", "period", "subject", "subject_name", "value", "grade", "status",
           "approved_by", "approved_at", "lines_due", "lines_on_time")  # fmt: skip


@dataclass(frozen=True)
class MeasureRow:
    kind: str
    period: str
    subject: str
    subject_name: str
    value: float
    grade: str
    status: str
    approved_by: str
    approved_at: str
    lines_due: int | None
    lines_on_time: int | None
    #: The instance that computed and approved it (the page links to it; not exported).
    instance_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {c: getattr(self, c) for c in COLUMNS}


def rows(session: Session, zone: ZoneInfo) -> list[MeasureRow]:
    names = {s.code: s.name for s in session.exec(select(Supplier)).all()}
    users = session.exec(select(User)).all()
    people = {u.id: u.display_name for u in users}
    by_username = {u.username: u.display_name for u in users}
    out = []
    for m in measures(session):
        at = m.approved_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if m.approved_at else ""
        out.append(MeasureRow(
            kind=m.kind, period=m.period, subject=m.subject,
            subject_name=(names if m.kind == QDPS else by_username).get(m.subject, ""),
            value=m.value, grade=str(m.detail.get("grade", "")) if m.kind == QDPS else "",
            status=m.status, approved_by=people.get(m.approved_by_id, "") if m.approved_by_id
            else "", approved_at=at,
            lines_due=m.detail.get("lines_due") if m.kind == ON_TIME else None,
            lines_on_time=m.detail.get("lines_on_time") if m.kind == ON_TIME else None,
            instance_id=m.instance_id,
        ))  # fmt: skip
    return out


# -- charts ----------------------------------------------------------------------------------

BAR_W, GAP, HEIGHT, TOP, BOTTOM, LEFT = 46, 18, 180, 20, 34, 36
GRADE_COLOURS = {"A": "#2e7d32", "B": "#1565c0", "C": "#ef6c00", "D": "#c62828"}


def on_time_chart(items: list[MeasureRow], title: str) -> str:
    """Bars of the company's on-time rate per month (0-100 %), oldest left; an approved
    month solid, a computed one hatched-light."""
    months = sorted((r for r in items if r.kind == ON_TIME and not r.subject),
                    key=lambda r: r.period)  # fmt: skip
    width = LEFT + len(months) * (BAR_W + GAP) + GAP
    parts = [_frame(width, title)]
    for i, r in enumerate(months):
        x = LEFT + GAP + i * (BAR_W + GAP)
        h = (HEIGHT - TOP - BOTTOM) * max(0.0, min(r.value, 100.0)) / 100
        y = HEIGHT - BOTTOM - h
        fill = "#1565c0" if r.status == "approved" else "#90caf9"
        parts.append(f'<rect x="{x}" y="{y:.1f}" width="{BAR_W}" height="{h:.1f}" fill="{fill}">'
                     f"<title>{escape(r.period)}: {r.value:.1f}% ({r.status})</title></rect>")
        parts.append(_text(x + BAR_W / 2, y - 4, f"{r.value:.1f}%"))
        parts.append(_text(x + BAR_W / 2, HEIGHT - BOTTOM + 14, r.period))
    parts.append("</svg>")
    return "".join(parts)


def qdps_chart(items: list[MeasureRow], title: str) -> str:
    """Per month, the number of suppliers in each grade A-D (stacked bar, counts written)."""
    by_month: dict[str, dict[str, int]] = {}
    for r in items:
        if r.kind == QDPS:
            by_month.setdefault(r.period, {}).setdefault(r.grade, 0)
            by_month[r.period][r.grade] += 1
    months = sorted(by_month)
    most = max((sum(v.values()) for v in by_month.values()), default=1)
    width = LEFT + len(months) * (BAR_W + GAP) + GAP + 60
    parts = [_frame(width, title, axis=False)]
    for i, month in enumerate(months):
        x = LEFT + GAP + i * (BAR_W + GAP)
        y = float(HEIGHT - BOTTOM)
        for g, _ in GRADES:
            n = by_month[month].get(g, 0)
            if not n:
                continue
            h = (HEIGHT - TOP - BOTTOM) * n / most
            y -= h
            parts.append(f'<rect x="{x}" y="{y:.1f}" width="{BAR_W}" height="{h:.1f}" '
                         f'fill="{GRADE_COLOURS[g]}"><title>{month} {g}: {n}</title></rect>')
            parts.append(_text(x + BAR_W / 2, y + h / 2 + 4, f"{g} {n}", fill="#fff"))
        parts.append(_text(x + BAR_W / 2, HEIGHT - BOTTOM + 14, month))
    for j, (g, low) in enumerate(GRADES):  # legend
        lx = width - 56
        parts.append(f'<rect x="{lx}" y="{TOP + j * 18}" width="12" height="12" '
                     f'fill="{GRADE_COLOURS[g]}"/>')
        words = f"{g} ≥{low:g}" if low else f"{g} <{GRADES[-2][1]:g}"
        parts.append(_text(lx + 30, TOP + j * 18 + 10, words))
    parts.append("</svg>")
    return "".join(parts)


def _frame(width: int, title: str, *, axis: bool = True) -> str:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{max(width, 200)}" '
            f'height="{HEIGHT}" viewBox="0 0 {max(width, 200)} {HEIGHT}" '
            f'font-family="sans-serif" font-size="11"><title>{escape(title)}</title>'
            f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{max(width, 200)}" '
            f'y2="{HEIGHT - BOTTOM}" stroke="#555"/>')  # fmt: skip
    if axis:
        for pct in (0, 50, 100):
            y = HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * pct / 100
            head += _text(LEFT - 4, y + 4, f"{pct}%", anchor="end")
    return head


def _text(x: float, y: float, text: str, *, anchor: str = "middle", fill: str = "#222") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}">'
            f"{escape(text)}</text>")  # fmt: skip


# -- exports ---------------------------------------------------------------------------------


def to_csv(items: list[MeasureRow]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(COLUMNS)
    for r in items:
        w.writerow([_cell(v) for v in r.as_dict().values()])
    return "\ufeff" + out.getvalue()  # a BOM: Excel opens the Chinese names right


def to_xlsx(items: list[MeasureRow]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "measures"
    ws.append(list(COLUMNS))
    for r in items:
        ws.append([_cell(v) for v in r.as_dict().values()])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is quoted (CSV/XLSX injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


def exported_at(now: datetime, zone: ZoneInfo) -> str:
    return now.astimezone(zone).strftime("%Y%m%d-%H%M")
