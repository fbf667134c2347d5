"""Nothing typed is lost: what was typed at intake stays on the instance and the order, a later
form that leaves a field blank does not erase it, and the production notice — prefilled the
way the task page prefills it — prints the technical and quality requirements, the complete
set and the penalty clause (issue 8: it printed "技术要求 —")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

import forms
from gendan.demo import Driver, order_form, step_forms
from gendan.models import Document
from gendan.prefill import prefill
from gendan.runtime import Runtime
from gendan.transitions import ENGINE_KEYS
from states import PROCEDURES
from tests.conftest import MONDAY_10
from tests.engine.helpers import instance, order

TECH = "按客户图纸 HT-7 / per customer drawing HT-7"
QUALITY = "GB 7251.1；出厂试验报告 / factory test report"
PROJECT = "华东变电站二期 / East China substation, phase 2"


def _intake(order_no: str) -> dict[str, Any]:
    return {
        **order_form(order_no, "regular", now=MONDAY_10),
        "technical_requirements": TECH,
        "quality_requirements": QUALITY,
        "complete_set": True,
        "project": PROJECT,
        "penalty_clause": True,
    }


def _to_notice(d: Driver, iid: int, form: dict[str, Any]) -> None:
    """Confirmation leaves the requirements blank (as the demo's does), then on to the notice."""
    f = step_forms(form, MONDAY_10)
    confirm = {**f["confirm"], "technical_requirements": "", "quality_requirements": None}
    d.act(iid, "clerk", "confirm", confirm)
    for who in ("clerk", "prod_mgr", "mc"):
        d.act(iid, who, "opinion", f["feasible"])
    d.act(iid, "clerk", "submit_quote", f["quote"])
    d.act(iid, "sales_head", "approve_quote")
    d.act(iid, "clerk", "contract_signed", f["contract"])


def _printed(rt: Runtime, order_no: str) -> str:
    with Session(rt.db) as s:
        doc = s.exec(
            select(Document).where(
                Document.order_no == order_no, Document.kind == "production_notice"
            )
        ).one()
    meta = {"doc_no": doc.doc_no, "order_no": doc.order_no, "issued_at": doc.issued_at}
    return str(forms.render_print(doc.kind, doc.data, meta, "zh"))


def test_intake_facts_survive_to_the_printed_production_notice(rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    form = _intake("SO-K1")
    iid = d.start("order_review", "clerk", form)
    _to_notice(d, iid, form)
    inst = instance(rt, iid)
    assert inst.state == "production_notice"
    # kept on the instance (the intake as typed) and on the order
    assert inst.data["intake"]["technical_requirements"] == TECH
    assert inst.data["intake"]["penalty_clause"] is True
    kept = order(rt, "SO-K1")
    assert (kept.technical_requirements, kept.quality_requirements) == (TECH, QUALITY)
    assert (kept.complete_set, kept.project, kept.penalty_clause) == (True, PROJECT, True)
    # the notice starts from them, although the confirmation left the requirements blank
    offered = prefill(inst.procedure, inst.data, "production_notice")
    assert offered["technical_requirements"] == TECH
    assert offered["quality_requirements"] == QUALITY
    assert (offered["complete_set"], offered["project"]) == (True, PROJECT)
    assert offered["penalty_clause"] is True
    d.act(iid, "clerk", "issue_notice", offered)  # submitted as the page offered it
    page = _printed(rt, "SO-K1")
    assert TECH in page and QUALITY in page and PROJECT in page
    assert "技术要求 —" not in page.replace("</span></th>\n      <td>", " ")
    for word in ("成套产品", "含违约罚款条款"):
        row = page[page.index(word) :]
        assert "是 / Yes" in row[: row.index("</tr>")], f"{word} not printed as yes"


def test_later_forms_are_prefilled_from_the_order_as_it_now_stands(rt: Runtime) -> None:
    """A negotiated date is the order's: the notice offers it, not the confirmation's date
    (the notice's date is locked to the order, so the stale one was a 422)."""
    d = Driver(rt, MONDAY_10)
    form = _intake("SO-K2")
    f = step_forms(form, MONDAY_10)
    iid = d.start("order_review", "clerk", form)
    d.act(iid, "clerk", "confirm", f["confirm"])
    for who in ("clerk", "prod_mgr", "mc"):
        d.act(iid, who, "opinion", f["infeasible"])
    later = f["infeasible"]["earliest_delivery_date"]
    d.act(
        iid,
        "clerk",
        "record_negotiation",
        {"customer_accepts": True, "new_delivery_date": later, "contact_record": "同意延期"},
    )
    d.act(iid, "clerk", "submit_quote", f["quote"])
    d.act(iid, "sales_head", "approve_quote")
    d.act(iid, "clerk", "contract_signed", f["contract"])
    inst = instance(rt, iid)
    offered = prefill(inst.procedure, inst.data, "production_notice")
    assert offered["delivery_date"] == later != f["confirm"]["delivery_date"]
    assert offered["technical_requirements"] == TECH
    d.act(iid, "clerk", "issue_notice", offered)
    assert instance(rt, iid).state == "production_confirm"


def test_a_change_form_starts_from_the_change_request(rt: Runtime) -> None:
    """For a procedure about an existing order its own start form wins: a change's received-at
    is the change's, not the order's."""
    from gendan.demo import change_request, review_to_release

    d = Driver(rt, MONDAY_10)
    form = _intake("SO-K3")
    review_to_release(d, d.start("order_review", "clerk", form), form)
    at = MONDAY_10 + timedelta(hours=1)
    change = Driver(rt, at).start(
        "order_change", "clerk", change_request("SO-K3", at, "改为 380V / voltage change")
    )
    inst = instance(rt, change)
    offered = prefill(inst.procedure, inst.data, "change_notice")
    assert datetime.fromisoformat(offered["received_at"]) == at
    local = prefill(inst.procedure, inst.data, "change_notice", ZoneInfo("Asia/Shanghai"))
    assert local["received_at"] == datetime(2026, 11, 23, 11, 0)  # company time on the page
    assert offered["change_description"] == "改为 380V / voltage change"


def test_no_procedure_keeps_its_start_form_where_the_engine_writes() -> None:
    for proc in PROCEDURES.values():
        assert proc.start_key not in ENGINE_KEYS, proc.key
