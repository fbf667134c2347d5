"""Pages for the ISO auditor (read-only trail, search, export).

Every page needs the role ``auditor`` (403 otherwise; not logged in: to the login page).
Every route is a GET that changes nothing, except ``POST /audit/verify`` ("verify now", with
the CSRF token): it records a chain verification and seals the events not yet sealed, which
changes no audit event.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.deps import Db, Now, Rt
from api.web import Me, form_with_csrf, render, require_role
from forms.base import number_problem
from gendan import audit_order, audit_search, audit_trail, refusals
from gendan.audit import latest_check, verify_seal_and_record
from gendan.db import reader
from gendan.errors import InvalidForm
from gendan.runtime import Runtime
from states import PROCEDURES

router = APIRouter(prefix="/audit", include_in_schema=False)

#: Rows per page of search results (the ``limit`` parameter may ask for 1..500).
PAGE_SIZE = 50

#: The search form's text fields, in the order of the form.
SEARCH_FIELDS = ("order_no", "person", "procedure", "action", "state", "customer")


def chain_status(rt: Runtime) -> dict[str, Any]:
    """The last recorded verification of the chain (the hourly flow or "verify now")."""
    with Session(reader(rt.db)) as s:
        check = latest_check(s)
    if check is None:
        return {"ok": None, "checked": 0, "seq": None, "problem": "", "at": None, "seal": None}
    zone = rt.calendar.zone
    seal = None
    if check.sealed_seq is not None and check.sealed_at is not None:
        seal = {
            "seq": check.sealed_seq,
            "at": check.sealed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "anchor_ok": check.anchor_ok,
        }
    return {
        "ok": check.ok,
        "checked": check.checked,
        "seq": check.first_broken_seq,
        "problem": check.problem,
        "at": check.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "seal": seal,
        "unsealed": check.unsealed or 0,
    }


@router.post("/verify")
async def verify_now(request: Request, me: Me, rt: Rt, now: Now) -> Response:
    """Re-hash the whole chain now, seal what is not yet sealed, record the result."""
    require_role(me, "auditor")
    data = await form_with_csrf(request)
    await run_in_threadpool(verify_seal_and_record, rt.settings, rt.db, now=now)
    back = str(data.get("back") or "/audit")
    target = (
        back if back.startswith("/audit") and not back.startswith("/audit/verify") else "/audit"
    )
    return RedirectResponse(target, status_code=303)


def _parse_day(raw: str, field: str, errors: dict[str, str]) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = "请输入日期 YYYY-MM-DD / enter a date as YYYY-MM-DD"
        return None


def _page_link(params: dict[str, Any], **changes: Any) -> str:
    query = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return "/audit?" + urlencode(query)


def _states() -> list[dict[str, Any]]:
    """Every procedure's states for the state filter, grouped by procedure."""
    return [
        {
            "key": p.key,
            "title_zh": p.title_zh,
            "title_en": p.title_en,
            "states": [(s.id, str(s.name)) for s in p.states],
        }
        for p in PROCEDURES.values()
    ]


@router.get("", response_class=HTMLResponse)
def audit_search_page(
    request: Request,
    me: Me,
    db: Db,
    rt: Rt,
    order_no: str = "",
    person: str = "",
    procedure: str = "",
    action: str = "",
    state: str = "",
    customer: str = "",
    date_from: str = "",
    date_to: str = "",
    before_seq: int | None = Query(None, ge=1),
    before_id: int | None = Query(None, ge=1),
    limit: int = Query(PAGE_SIZE, ge=1, le=500),
) -> Response:
    """Search form, chain status, instances and events found (newest first, keyset pages)."""
    require_role(me, "auditor")
    errors: dict[str, str] = {}
    day_from = _parse_day(date_from, "date_from", errors)
    day_to = _parse_day(date_to, "date_to", errors)
    if procedure and procedure not in PROCEDURES:
        errors["procedure"] = "未知程序 / unknown procedure"
    if day_from and day_to and day_from > day_to:
        errors["date_to"] = "结束日期早于开始日期 / the end is before the start"
    params = {
        "order_no": order_no,
        "person": person,
        "procedure": procedure,
        "action": action,
        "state": state,
        "customer": customer,
        "date_from": date_from,
        "date_to": date_to,
        "limit": limit if limit != PAGE_SIZE else None,
        "before_seq": before_seq,
        "before_id": before_id,
    }
    tz = rt.settings.timezone
    events: list[dict[str, Any]] = []
    hits: list[audit_search.InstanceHit] = []
    older_events = older_instances = None
    if not errors:
        found = audit_search.search_events(
            db,
            order_no=order_no,
            person=person,
            procedure=procedure,
            action=action,
            date_from=day_from,
            date_to=day_to,
            tz=tz,
            limit=limit + 1,
            before_seq=before_seq,
        )
        procs = audit_search.procedures_of(db, [e.instance_id for e in found[:limit]])
        events = [
            {
                **audit_trail.event_row(
                    e, procedure=procs.get(e.instance_id or 0), tz=ZoneInfo(tz)
                ),
                "procedure": procs.get(e.instance_id or 0, ""),
            }
            for e in found[:limit]
        ]
        counted = refusals.tallies(db, [e.seq for e in found[:limit] if e.action == "refused"])
        for row in events:
            if row["seq"] in counted:
                c = counted[row["seq"]]
                row["refusals"] = {
                    "count": c.count,
                    "last_url": c.last_url,
                    "last_at": audit_trail.local_time(c.last_at, tz),
                }
        if len(found) > limit:
            older_events = _page_link(params, before_seq=found[limit - 1].seq)
        hits = audit_search.search_instances(
            db,
            order_no=order_no,
            procedure=procedure,
            state=state,
            customer=customer,
            limit=limit + 1,
            before_id=before_id,
        )
        if len(hits) > limit:
            hits = hits[:limit]
            older_instances = _page_link(params, before_id=hits[-1].instance.id)
    ctx = {
        "me": me,
        "chain": chain_status(rt),
        "params": params,
        "errors": errors,
        "events": events,
        "hits": hits,
        "older_events": older_events,
        "older_instances": older_instances,
        "newest_events": _page_link(params, before_seq=None) if before_seq else None,
        "newest_instances": _page_link(params, before_id=None) if before_id else None,
        "procedures": list(PROCEDURES.values()),
        "state_groups": _states(),
        "actions": audit_search.KNOWN_ACTIONS,
        "state_name": audit_search.state_name,
        "local_time": audit_trail.local_time,
        "tz": tz,
    }
    return render(request, "audit_search.html", ctx, status=422 if errors else 200)


def _trail_context(rt: Runtime, db: Any, instance_id: int) -> dict[str, Any]:
    record = audit_trail.instance_record(db, instance_id)
    rows = audit_trail.trail_rows(db, instance_id, tz=rt.settings.timezone)
    return {
        "rec": record,
        "rows": rows,
        "tz": rt.settings.timezone,
        "local_time": audit_trail.local_time,
    }


@router.get("/instances/{instance_id}", response_class=HTMLResponse)
def audit_trail_page(instance_id: int, request: Request, me: Me, db: Db, rt: Rt) -> Response:
    """One instance's full trail: order facts, every event's changes, reasons, signatures."""
    require_role(me, "auditor")
    ctx = _trail_context(rt, db, instance_id)
    ctx.update(me=me, chain=chain_status(rt), columns=audit_trail.COLUMNS)
    return render(request, "audit_trail.html", ctx)


def _attachment(order_no: str, instance_id: int, ext: str) -> str:
    """Content-Disposition naming the order: ASCII fallback plus the exact UTF-8 name."""
    name = f"audit-trail-{order_no}-{instance_id}.{ext}"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get("/instances/{instance_id}/trail.csv")
def audit_trail_csv(instance_id: int, me: Me, db: Db, rt: Rt) -> Response:
    """The trail as CSV (UTF-8 with BOM, for Excel)."""
    require_role(me, "auditor")
    ctx = _trail_context(rt, db, instance_id)
    body = audit_trail.trail_csv(ctx["rows"]).encode("utf-8")
    headers = {
        "Content-Disposition": _attachment(ctx["rec"].instance.order_no, instance_id, "csv"),
        "Cache-Control": "no-store",
    }
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/instances/{instance_id}/trail.xlsx")
def audit_trail_xlsx(instance_id: int, me: Me, db: Db, rt: Rt) -> Response:
    """The trail as an Excel workbook."""
    require_role(me, "auditor")
    ctx = _trail_context(rt, db, instance_id)
    order_no = ctx["rec"].instance.order_no
    body = audit_trail.trail_xlsx(ctx["rows"], order_no=order_no)
    headers = {
        "Content-Disposition": _attachment(order_no, instance_id, "xlsx"),
        "Cache-Control": "no-store",
    }
    return Response(body, media_type=XLSX_TYPE, headers=headers)


@router.get("/instances/{instance_id}/print", response_class=HTMLResponse)
def audit_trail_print(
    instance_id: int, request: Request, me: Me, db: Db, rt: Rt, now: Now
) -> Response:
    """A printable trail (A4): title, order, generation time, chain status, the table."""
    require_role(me, "auditor")
    ctx = _trail_context(rt, db, instance_id)
    generated: datetime = now.astimezone(ZoneInfo(rt.settings.timezone))
    ctx.update(
        me=me,
        chain=chain_status(rt),
        columns=audit_trail.COLUMNS,
        generated=generated.strftime(audit_trail.TIME_FORMAT),
    )
    return render(request, "audit_print.html", ctx)


# --------------------------------------------------------------------------- one order


def _order_context(rt: Runtime, db: Any, order_no: str) -> dict[str, Any]:
    problem = number_problem(order_no) if len(order_no) <= 120 else "too long / 过长"
    if problem:  # no order can have such a number (forms.base.OrderNo)
        raise InvalidForm({"order_no": problem})
    record = audit_order.order_record(db, order_no)
    rows = audit_order.order_trail_rows(db, record, tz=rt.settings.timezone)
    return {
        "orec": record,
        "rows": rows,
        "tz": rt.settings.timezone,
        "local_time": audit_trail.local_time,
        "columns": audit_order.ORDER_COLUMNS,
    }


@router.get("/orders/{order_no}", response_class=HTMLResponse)
def audit_order_page(order_no: str, request: Request, me: Me, db: Db, rt: Rt) -> Response:
    """One order's trail across every procedure run of it (review, changes …), chain order."""
    require_role(me, "auditor")
    ctx = _order_context(rt, db, order_no)
    ctx.update(me=me, chain=chain_status(rt))
    return render(request, "audit_order.html", ctx)


def _order_attachment(order_no: str, ext: str) -> str:
    name = f"audit-trail-{order_no}.{ext}"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get("/orders/{order_no}/trail.csv")
def audit_order_csv(order_no: str, me: Me, db: Db, rt: Rt) -> Response:
    """The order's trail as CSV (UTF-8 with BOM), with the procedure of each event."""
    require_role(me, "auditor")
    ctx = _order_context(rt, db, order_no)
    body = audit_trail.trail_csv(ctx["rows"], ctx["columns"]).encode("utf-8")
    headers = {
        "Content-Disposition": _order_attachment(order_no, "csv"),
        "Cache-Control": "no-store",
    }
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/orders/{order_no}/trail.xlsx")
def audit_order_xlsx(order_no: str, me: Me, db: Db, rt: Rt) -> Response:
    """The order's trail as an Excel workbook."""
    require_role(me, "auditor")
    ctx = _order_context(rt, db, order_no)
    body = audit_trail.trail_xlsx(ctx["rows"], order_no=order_no, columns=ctx["columns"])
    headers = {
        "Content-Disposition": _order_attachment(order_no, "xlsx"),
        "Cache-Control": "no-store",
    }
    return Response(body, media_type=XLSX_TYPE, headers=headers)


#: The hash column's copy button (pages allow scripts from this server only, no inline ones).
COPY_HASH_JS = """document.addEventListener("click", function (ev) {
  var b = ev.target.closest ? ev.target.closest("button[data-copy]") : null;
  if (!b) return;
  var done = function () { b.textContent = "\u2713"; b.setAttribute("data-copied", "yes"); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(b.getAttribute("data-copy")).then(done, function () {});
  } else {
    var t = document.createElement("textarea");
    t.value = b.getAttribute("data-copy"); document.body.appendChild(t); t.select();
    try { document.execCommand("copy"); done(); } finally { t.remove(); }
  }
});
"""


@router.get("/copy-hash.js")
def copy_hash_js(me: Me) -> Response:
    """The small script behind the trail's "copy the full hash" buttons."""
    require_role(me, "auditor")
    return Response(COPY_HASH_JS, media_type="text/javascript; charset=utf-8")
