"""The 申购单 (PROCEDURES.md §5b 申购单 row, §5d, §5e) through the engine on a real database,
time injected: routed by the automatic step to each path's first reviewer — supervisor and
PMC manager, office supplies straight to the buyer, MC's review of samples and R&D materials,
chemicals confirmed by the department head and the keeper, fixed assets by the top head and
the designated leader — and the configured 002 variant (workshop director, consolidation,
joint review, contract); special paths only by their departments (403); a PO made from it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.demo_purchasing import PO_CHECK, ensure_master, po_form
from gendan.errors import InvalidForm, NotAllowed
from gendan.jobs import run_due
from gendan.models import Job, MasterSetting
from tests.engine.helpers import instance
from tests.engine.plan_driver import act, state

NEED = date(2026, 12, 18)
OK = {"agrees": True}


@pytest.fixture
def d(driver: Driver) -> Driver:
    with unit_of_work(driver.rt.db) as s:
        ensure_master(s, driver.now)
    return driver


def req(path: str = "standard", req_class: str = "temporary", **extra: Any) -> dict[str, Any]:
    return {"req_class": req_class, "path": path, "department": "production",
            "rows": [{"item": "RM-STEEL-1.5", "qty": 20, "need_date": NEED.isoformat()}],
            **extra}  # fmt: skip


def started(d: Driver, who: str, form: dict[str, Any]) -> int:
    """Started and routed (the automatic step run as the flow would)."""
    iid = d.start("requisition", who, form)
    assert state(d, iid) == "received"
    run_due(d.rt, now=d.now)
    return iid


def test_standard_supervisor_manager_buyer_and_po(d: Driver) -> None:
    form = req(req_class="safety", considerations="库容够，在途 0，未领 3 / room, none in transit")
    iid = started(d, "mc", form)
    assert state(d, iid) == "supervisor_review"
    act(d, iid, "mc_head", "reviewed")
    act(d, iid, "pmc", "approve")
    inst = instance(d.rt, iid)
    assert inst.state == "ordering" and inst.data["handover"]["to"] == "purchasing"
    assert inst.subject_key == f"REQ-{iid:06d}"
    po = d.start("purchase_order", "buyer", po_form(NEED, qty=20, requirement=inst.subject_key))
    act(d, po, "mc", "mc_checked", PO_CHECK)
    act(d, po, "purch_lead", "approve")
    [row] = instance(d.rt, iid).data["requisition"]["rows"]
    assert row["po_posted"] == 20
    act(d, iid, "buyer", "pos_placed", {"po_nos": instance(d.rt, po).subject_key})
    assert state(d, iid) == "ordered"


def test_safety_stock_requisition_weighs_capacity_and_transit(d: Driver) -> None:
    with pytest.raises(InvalidForm) as exc:
        d.start("requisition", "mc", req(req_class="safety"))
    assert "considerations" in exc.value.errors
    with pytest.raises(InvalidForm) as exc:
        bad = [{"item": "NOPE", "qty": 1, "need_date": "2026-12-18"}]
        d.start("requisition", "mc", req(rows=bad))
    assert "rows.0.item" in exc.value.errors


def test_office_supplies_go_straight_to_the_buyer_only_from_admin(d: Driver) -> None:
    with pytest.raises(NotAllowed):
        d.start("requisition", "mc", req("office", department="gm_office"))
    iid = started(d, "hr", req("office", department="gm_office"))
    inst = instance(d.rt, iid)
    assert inst.state == "ordering" and "handed_over" in inst.data["at"]


def test_samples_and_rnd_are_reviewed_by_mc(d: Driver) -> None:
    iid = started(d, "mc", req("sample"))
    assert state(d, iid) == "mc_review"
    act(d, iid, "mc", "reject", reason="库存有 / in stock")
    assert state(d, iid) == "rejected"
    with pytest.raises(NotAllowed):
        d.start("requisition", "mc", req("rnd_sample", department="engineering"))
    iid = started(d, "engineer", req("rnd_sample", department="engineering"))
    act(d, iid, "mc", "approve")
    assert state(d, iid) == "ordering"


def test_chemicals_confirmed_by_department_and_keeper_then_pmc(d: Driver) -> None:
    iid = started(d, "prod_mgr", req("chemical"))
    assert state(d, iid) == "user_check"
    act(d, iid, "prod_mgr", "opinion", OK)  # head of production, the using department
    act(d, iid, "keeper", "opinion", OK)
    assert state(d, iid) == "manager_approval"
    act(d, iid, "pmc", "approve")
    assert state(d, iid) == "ordering"
    iid = started(d, "prod_mgr", req("chemical"))
    act(d, iid, "prod_mgr", "opinion", OK)
    act(d, iid, "keeper", "opinion", {"agrees": False, "remarks": "用量过大 / too much"})
    assert state(d, iid) == "rejected"


def test_fixed_assets_top_head_designated_leader_pmc(d: Driver) -> None:
    iid = started(d, "eng_head", req("fixed_asset", department="engineering"))
    assert state(d, iid) == "top_head"
    act(d, iid, "eng_head", "reviewed")
    act(d, iid, "deputy", "approve")
    assert state(d, iid) == "manager_approval"
    act(d, iid, "pmc", "approve")
    assert state(d, iid) == "ordering"


def test_the_002_variant_when_configured(d: Driver) -> None:
    with unit_of_work(d.rt.db) as s:
        s.add(MasterSetting(key="requisition_variant_002", value="1", updated_at=d.now))
    iid = started(d, "workshop", req())
    assert state(d, iid) == "workshop_approval"
    act(d, iid, "workshop", "approve_need")
    act(d, iid, "buyer", "consolidated", {"kind": "temporary", "summary": "本周临时用料"})
    for who in ("purch_lead", "prod_mgr", "planner", "finance"):
        act(d, iid, who, "opinion", OK)
    assert state(d, iid) == "contract_check"
    act(d, iid, "buyer", "sign_contract")
    act(d, iid, "buyer", "contract_signed", {"contract_no": "HT-2026-88",
                                             "supplier_code": "SUP-BAOGANG"})  # fmt: skip
    inst = instance(d.rt, iid)
    assert inst.state == "ordering" and "handed_over" in inst.data["at"]
    with Session(d.rt.db) as s:
        assert {j.status for j in s.exec(select(Job))} == {"done"}
