"""Registering a delivery (§5h, 003 5.6.1): MC enters the 送货单 against its PO — one page and
one API call; the three-way match refuses a delivery without a PO or above a PO line's open
quantity with a 422 at the field or row, and writes nothing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

import forms
from api.decided import form_error_links
from api.deps import ApiActor, Db, Now, Rt
from api.errors import API_ERRORS
from api.web import Me, form_with_csrf, render, require_role
from gendan.db import unit_of_work
from gendan.errors import InvalidForm, NotAllowed
from gendan.prefill import typed_in_company_time
from gendan.receiving import receipts_of
from gendan.receiving_steps import register_delivery
from states import get_procedure

router = APIRouter()
MC = ("material_controller",)


@router.post("/api/receipts", tags=["receiving"], responses=API_ERRORS)
def register_api(
    actor: ApiActor, rt: Rt, now: Now, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Register a delivery: supplier, delivery note, PO, arrival time and rows [line_no,
    item_code, note_qty, qty, weight]. 422 names each bad field or row; nothing is written."""
    with unit_of_work(rt.db) as s:
        inst = register_delivery(s, actor=actor, values=body, now=now, calendar=rt.calendar)
        return {
            "instance_id": inst.id,
            "receipt_no": inst.subject_key,
            "state": inst.state,
            "receipt": inst.data.get("receipt", {}),
        }


#: The arrival's fields on the page (the PO and the note are typed once, in the registration).
ARRIVAL_SHOWN = ("supplier", "received_at")


#: Who reads receipts and PO lines (material control, purchasing, warehouse, quality, finance).
READERS = ("material_controller", "mc_section_head", "pmc_manager", "buyer", "purchasing_lead",
           "warehouse_keeper", "qc_inspector", "qa_lead", "finance")  # fmt: skip


@router.get("/api/purchase-orders/{po_no}/receipts", tags=["receiving"], responses=API_ERRORS)
def receipts_api(
    actor: ApiActor, db: Db, po_no: Annotated[str, Path(min_length=1, max_length=100)]
) -> dict[str, Any]:
    """A PO's lines (ordered, received, accepted, rejected, open, completed) and its receipts
    with their lines (count, weight, IQC's verdict) — the tables the measures count."""
    if not any(actor.has_role(r) for r in READERS):
        raise NotAllowed("receipts are read by material control, purchasing, warehouse, "
                         "quality and finance / 无权查看收货记录")  # fmt: skip
    return receipts_of(db, po_no)


def _context(me: Any, values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """Each part of the page shows its own fields' errors; the summary links each to its input
    (a row's cell: ``#f-receipt_registration-rows-0-qty``)."""
    lang = me.user.language
    arrival = {k: v for k, v in errors.items() if k in ARRIVAL_SHOWN}
    registration = {k: v for k, v in errors.items() if k not in ARRIVAL_SHOWN}
    summary = form_error_links(arrival, "delivery_arrival", lang) + form_error_links(
        registration, "receipt_registration", lang
    )
    return {"me": me, "proc": get_procedure("receipt"), "forms": forms, "values": values,
            "errors": errors, "arrival_errors": arrival, "registration_errors": registration,
            "summary": summary}  # fmt: skip


@router.get("/receipts/new", response_class=HTMLResponse, include_in_schema=False)
def register_page(request: Request, me: Me) -> Response:
    require_role(me, *MC)
    return render(request, "receipt_new.html", _context(me, {}, {}))


@router.post("/receipts/new", include_in_schema=False)
async def register_submit(request: Request, me: Me, rt: Rt, now: Now) -> Response:
    require_role(me, *MC)
    data = await form_with_csrf(request)
    values = {k: v for k, v in data.items() if k != "csrf_token" and str(v).strip()}
    try:
        typed = typed_in_company_time("delivery_arrival", values, rt.calendar.zone)
        with unit_of_work(rt.db) as s:
            inst = register_delivery(s, actor=me.actor, values=typed, now=now,
                                     calendar=rt.calendar)  # fmt: skip
            iid = inst.id
    except InvalidForm as exc:
        return render(request, "receipt_new.html", _context(me, values, exc.errors), 422)
    return RedirectResponse(f"/instances/{iid}", status_code=303)
