"""The demo company (``gendan demo``, ``gendan up``): one order on every path, loaded once."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from gendan.demo import load_demo
from gendan.models import FinishedStock, Instance, Order, Task
from gendan.runtime import build_runtime
from gendan.settings import Settings
from tests.conftest import MONDAY_10


def test_demo_has_an_order_on_every_path_and_loads_once(tmp_path: Path) -> None:
    rt = build_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}"))  # type: ignore[arg-type]
    load_demo(rt, now=MONDAY_10)

    with Session(rt.db) as s:
        # an instance with its own subject (issue 10: an item, a PO) by its key
        where = {
            (i.procedure, i.order_no or i.subject_key): i.state for i in s.exec(select(Instance))
        }
        orders = {o.order_no: o for o in s.exec(select(Order))}
        paused = s.exec(select(Task).where(Task.paused_at.is_not(None))).all()
        stock = s.exec(select(FinishedStock)).all()
    assert where == {
        ("order_review", "SO-2026-0001"): "feasibility_review",  # non-regular at the board
        ("order_review", "SO-2026-0002"): "released",
        ("order_change", "SO-2026-0002"): "customer_confirmation",  # delivery change
        ("order_review", "SO-2026-0003"): "gm_signoff",  # repeat
        ("order_review", "SO-2026-0004"): "special_signoff",  # special
        ("order_review", "SO-2026-0005"): "awaiting_payment",  # signed, unpaid
        ("order_review", "SO-2026-0006"): "ship_from_stock",
        ("stock_order", "KC-2026-0001"): "gm_approval",  # make to stock
        ("order_review", "SO-2026-0007"): "released",
        ("order_change", "SO-2026-0007"): "received",  # raised by engineering
        ("quality_exception", "SO-2026-0002"): "rework",  # ①
        ("quality_exception", "SO-2026-0007"): "cross_company",  # ②
        ("quality_exception", "SO-2026-0004"): "purchased_general",  # ③ buyer
        ("quality_exception", "SO-2026-0005"): "purchased_serious",  # ③ < 95 %
        ("quality_exception", "SO-2026-0003"): "gm_decides",  # ④ referred to the GM
        # §3: waiting for the plan, objection window, in production, awaiting payment
        ("order_review", "SO-2026-0010"): "released",
        ("production_plan", "SO-2026-0010"): "planning",
        ("order_review", "SO-2026-0011"): "released",
        ("production_plan", "SO-2026-0011"): "objection_window",
        ("order_review", "SO-2026-0012"): "released",
        ("production_plan", "SO-2026-0012"): "in_production",
        ("order_review", "SO-2026-0013"): "released",
        ("production_plan", "SO-2026-0013"): "delivered",
        # §4: an urgent order pushed in front; two released orders moved, each through §2
        ("order_review", "SO-2026-0008"): "released",
        ("order_review", "SO-2026-0009"): "released",
        ("urgent_order", "UR-2026-0001"): "in_production",
        ("order_review", "UR-2026-0001"): "urgent_feasible",  # §1's urgent review, a child
        ("order_change", "SO-2026-0008"): "received",
        ("order_change", "SO-2026-0009"): "received",
        ("production_plan", "UR-2026-0001"): "planning",  # §3, started flagged urgent
        # §3 started by each confirmed notice (states.notice.CONFIRMED), waiting for its plan
        ("production_plan", "SO-2026-0002"): "planning",
        ("production_plan", "SO-2026-0007"): "planning",
        ("production_plan", "SO-2026-0008"): "planning",
        ("production_plan", "SO-2026-0009"): "planning",
        # §7: the month-end count organising, class A in its recount round, class B awaiting
        # the GM, class C posted; last year's ABC result awaiting the PMC manager
        ("stock_count", "PD-20261130-RM-ABC"): "organising",
        ("stock_count", "PD-20261123-RM-A"): "counting",
        ("stock_count", "PD-20261123-RM-B"): "approval",
        ("stock_count", "PD-20261123-RM-C"): "done",
        ("abc_classification", "2025"): "reviewing",
        # §5b/§5i raised by the imported stock: the busbar under safety, the paint at its max
        ("reorder_chase", "BUS-TMY60"): "answering",
        ("overstock_warning", "PAINT-7035"): "finding_cause",
        # §5j: a plan waiting for its quota sheet (glass short: a 物料跟催单), a batch issuing;
        # §8d a return slip at QC; §8e a batch close at QA
        ("material_issue", "WP-2026-48"): "preparing_sheet",
        ("issue_shortage", "WP-2026-48/GL-5"): "replying",
        ("material_issue", "WP-2026-47"): "issuing",
        # §5g: each weekly plan's 物料追催表, started with it for MC (003 5.5.3)
        ("material_chase", "ZC-000036"): "making",
        ("material_chase", "ZC-000038"): "making",
        ("material_return", "TB-WP-2026-47-1123-0200"): "qc_check",
        ("batch_close", "WP-2026-40"): "qa_judging",
        # §5h: a delivery waiting for MC, a partial one at IQC, a mismatch, an urgent lot partly
        # bad, one in stock, rejects returned (§8c at the buyer); 5.6.7 a count difference
        ("receipt", "GRN-000049"): "arrived",
        ("receipt", "GRN-000050"): "inspecting",
        ("receipt", "GRN-000051"): "mismatch",
        ("receipt", "GRN-000052"): "failed",
        ("receipt", "GRN-000053"): "stocked",
        ("receipt", "GRN-000054"): "disposed",
        ("supplier_return", "RTV-000055"): "replacing",
        ("storage_anomaly", "CAB-SHEET"): "replenishing",
        # §6: a request for the group GM, material-level at the subcontractor, operation-level
        # waiting for its issue batch (each serving a §3 order); a pick-up list under review
        ("outsourcing", "SO-2026-0012"): "approval",
        ("outsourcing", "SO-2026-0010"): "processing",
        ("outsourcing", "SO-2026-0011"): "op_batch",
        ("subcon_pickup", "WX01-1124"): "reviewing",
        # §8a: a complaint with after-sales, one remade (the 补单 at §1 as a repeat order);
        # §8b: transit damage at the claim; §9: the QA head's check of the day
        ("customer_service", "SO-2026-0010"): "customer_contact",
        ("customer_service", "SO-2026-0011"): "remake_running",
        ("order_review", "SO-2026-0011-BD1"): "requirements",
        ("transit_damage", "SO-2026-0013"): "claim_analysis",
        ("quality_daily_check", "2026-11-23"): "daily_check",
        # §5k/§5l: October's on-time rate approved (80 %), its QDPS sheets approved, its
        # material report read by the GM; §5a: this month's safety-stock table in its
        # countersign, December's PPE usage with the workshop, this week's PPE order with the MC
        ("purchase_on_time", "2026-10"): "approved",
        ("qdps", "2026-10-S001"): "approved",
        ("qdps", "2026-10-S002"): "approved",
        ("material_report", "2026-10"): "done",
        ("safety_stock_review", "2026-11"): "countersigning",
        ("ppe_usage", "2026-12"): "listing",
        ("ppe_order", "2026-W48"): "ordering",
        # §5f/§5g: POs at MC's check, at the price check, placed and chased; §5c a requirement
        # plan at the PMC manager; §5d a requisition before its route; §5g production's list
        ("purchase_order", "SO-2026-0010"): "mc_check",
        ("purchase_order", "SO-2026-0011"): "price_check",
        ("purchase_order", "SO-2026-0012"): "placed",
        ("requirement_plan", "SO-2026-0008"): "approval",
        ("requisition", "SO-2026-0009"): "received",
        ("shortage_list", "SO-2026-0002"): "answering",
    }
    assert orders["SO-2026-0001"].kind == "non_regular" and orders["SO-2026-0004"].special
    assert orders["SO-2026-0003"].repeat_of == "SO-2025-0001"
    assert orders["KC-2026-0001"].kind == "stock"
    assert [(t.role, t.pauses_for) for t in paused] == [("sales_clerk", "customer")]
    assert [(f.model_spec, f.on_hand) for f in stock] == [(orders["SO-2026-0006"].model_spec, 30)]

    load_demo(rt, now=MONDAY_10)  # a database with data is left alone
    with Session(rt.db) as s:
        assert len(s.exec(select(Instance)).all()) == len(where)
    rt.db.dispose()
