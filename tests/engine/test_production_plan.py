"""Production planning and follow-up (PROCEDURES.md §3) through the engine on a real database,
time injected: both variants, the countersign, the objection window, settlement up to the GM,
capacity conflicts, the pre-start check and its 联系单, the follow-up and its remedies, 催促单
and 交期延误报告, plan changes, outsourcing, packing, short shipment and make-good, the
shipping notice, dispatch with a slip, receipt and "not received", payment chased weekly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from gendan.demo import Driver
from gendan.errors import InvalidForm
from gendan.models import Document, Instance
from gendan.settings import get_settings
from tests.engine.helpers import events, instance, order
from tests.engine.plan_driver import (
    FG_RECEIPT,
    PRESTART_OK,
    PURCHASES,
    SIGNOFF,
    act,
    local,
    plan_form,
    plan_instance,
    released,
    ship_notice,
    state,
    sweep,
    tasks_of,
)

START, PACKING, DISPATCH = date(2026, 12, 1), date(2026, 12, 15), date(2026, 12, 17)


@pytest.fixture
def pmc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GENDAN_PLANNING_VARIANT", "pmc")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def received(driver: Driver, iid: int) -> datetime:
    """When the notice reached planning: its received-at, else the plan's start (the confirmed
    notice started it as a linked sub-procedure at that instant)."""
    inst = instance(driver.rt, iid)
    at = inst.data["plan_start"].get("received_at")
    if at:
        return datetime.fromisoformat(at)
    made = inst.created_at
    return made if made.tzinfo else made.replace(tzinfo=UTC)


def planned(driver: Driver, no: str, **extra: object) -> int:
    """Released, planned, countersigned: the objection window is open."""
    released(driver, no, **extra)
    iid = plan_instance(driver, no)
    act(driver, iid, "prod_mgr", "plan", plan_form(START, packing=PACKING, dispatch=DISPATCH))
    act(driver, iid, "workshop", "opinion", SIGNOFF)
    act(driver, iid, "purch_lead", "opinion", PURCHASES)
    assert state(driver, iid) == "objection_window"
    return iid


def in_production(driver: Driver, no: str, **extra: object) -> int:
    iid = planned(driver, no, **extra)
    sweep(driver, local(2026, 11, 24, 10, 1))  # the window closed: accepted by silence
    sweep(driver, local(2026, 11, 27, 8))  # start −2 WD: the pre-start check opens
    act(driver, iid, "prod_mgr", "prestart_ok", PRESTART_OK)
    assert state(driver, iid) == "in_production"
    return iid


def test_single_variant_walks_from_plan_to_payment(driver: Driver) -> None:
    released(driver, "SO-P1")
    iid = plan_instance(driver, "SO-P1")
    [task] = tasks_of(driver, iid)
    assert task.role == "production_manager" and task.deadline_kind == "WH"
    # 4 WH from the notice's receipt (10:00 or 09:50): the lunch hour 12-13 does not count
    assert task.due_at == received(driver, iid) + timedelta(hours=5)
    act(driver, iid, "prod_mgr", "plan", plan_form(START, packing=PACKING, dispatch=DISPATCH))
    signers = sorted(t.role for t in tasks_of(driver, iid))
    assert signers == ["purchasing_lead", "workshop_director"]  # regular: no design, no QA
    act(driver, iid, "workshop", "opinion", SIGNOFF)
    act(driver, iid, "purch_lead", "opinion", PURCHASES)
    assert state(driver, iid) == "objection_window"
    recipients = sorted(t.role for t in tasks_of(driver, iid))
    assert recipients == [
        "finance",
        "purchasing_lead",
        "qc_inspector",
        "sales_clerk",
        "warehouse_keeper",
    ]
    sweep(driver, local(2026, 11, 24, 9, 59))
    assert state(driver, iid) == "objection_window"
    sweep(driver, local(2026, 11, 24, 10, 1))
    assert state(driver, iid) == "prestart"  # nobody objected within 1 WD: accepted
    trail = events(driver.rt, iid)
    silence = [e for e in trail if e.action == "transition" and e.detail.get("event") == "accepted"]
    assert len(silence) == 1 and silence[0].detail.get("by_silence")
    assert silence[0].actor_id is None  # the system closed it: silence is consent
    [check] = tasks_of(driver, iid, "scheduled")
    assert check.opens_at == local(2026, 11, 27, 8)  # planned start 12-01 − 2 WD
    sweep(driver, local(2026, 11, 27, 8))
    [check] = tasks_of(driver, iid)
    assert check.due_at == local(2026, 11, 30, 18)  # − 1 WD, end of day
    act(driver, iid, "prod_mgr", "prestart_ok", PRESTART_OK)
    open_roles = sorted(t.role for t in tasks_of(driver, iid))
    assert open_roles == ["workshop_director"]  # the daily report; the rest wait for dates
    scheduled = {t.role: t.opens_at for t in tasks_of(driver, iid, "scheduled")}
    assert scheduled == {
        "production_manager": local(2026, 12, 14, 8),  # packing −1 WD (not a complete set)
        "merchandiser": local(2026, 12, 18, 8),  # delivery 12-23 −3 WD
    }
    report = {"day": "2026-11-27", "rows": [{"order": "SO-P1", "planned": 12, "done": 0}]}
    act(driver, iid, "workshop", "daily_report", report)
    [daily] = tasks_of(driver, iid)
    assert daily.due_at == local(2026, 11, 30, 8)  # reported Fri 08:00: the next one by Mon
    sweep(driver, local(2026, 12, 14, 8))
    act(driver, iid, "prod_mgr", "packing_notice")
    act(driver, iid, "packer", "packed", FG_RECEIPT)
    assert state(driver, iid) == "stocked"
    sweep(driver, local(2026, 12, 16, 8))  # dispatch −1 WD
    act(driver, iid, "merch", "notify_shipping", ship_notice(local(2026, 12, 18, 14)))
    sweep(driver, local(2026, 12, 17, 8))  # the dispatch date
    act(driver, iid, "fg_keeper", "goods_confirmed", {"quantity": 12, "labelled": True,
                                                        "packed": True})  # fmt: skip
    carrier = {"carrier": "德邦物流", "waybill": "DB-1", "sent_at": driver.now.isoformat(),
               "eta": "2026-12-18"}  # fmt: skip
    act(driver, iid, "logistics", "dispatch", carrier)
    assert order(driver.rt, "SO-P1").status == "shipped"
    [phone] = tasks_of(driver, iid, "scheduled")  # the customer is phoned on the arrival day
    assert phone.role == "sales_clerk" and phone.opens_at == local(2026, 12, 18, 8)
    sweep(driver, local(2026, 12, 18, 8))
    confirm = {"received_on": "2026-12-18", "payment_due": "2027-01-15", "ledger_posted": True,
               "salesperson_reminded": True}  # fmt: skip
    act(driver, iid, "clerk", "receipt_confirmed", confirm)
    assert order(driver.rt, "SO-P1").status == "delivered"
    [chase] = tasks_of(driver, iid, "scheduled")
    assert chase.role == "finance" and chase.opens_at == local(2027, 1, 15, 8)
    sweep(driver, local(2027, 1, 15, 8))
    act(driver, iid, "finance", "chase_payment", {"salesperson": "李强", "invoice_checked": True})
    [weekly] = tasks_of(driver, iid)
    assert weekly.due_at == local(2027, 1, 22, 8)  # a week (5 WD) later, until paid
    act(driver, iid, "finance", "record_payment", {"amount": "100000", "received_on":
        "2027-01-20", "paid_in_full": False})  # fmt: skip
    assert state(driver, iid) == "delivered"
    act(driver, iid, "finance", "record_payment", {"amount": "122000", "received_on":
        "2027-01-21", "paid_in_full": True})  # fmt: skip
    assert state(driver, iid) == "paid" and order(driver.rt, "SO-P1").status == "paid"
    with Session(driver.rt.db) as s:
        kinds = {d.kind for d in s.exec(select(Document).where(Document.order_no == "SO-P1"))}
    assert {"production_plan", "fg_receipt", "shipping_notice"} <= kinds


def test_complete_set_plans_in_a_day_and_packs_three_days_ahead(driver: Driver) -> None:
    released(driver, "SO-P2", complete_set=True, project="华东变电站")
    iid = plan_instance(driver, "SO-P2")
    [task] = tasks_of(driver, iid)
    assert task.deadline_kind == "day-hours"  # 24小时 = 1 WD
    assert task.due_at == received(driver, iid) + timedelta(days=1)  # Tuesday, same time
    act(driver, iid, "prod_mgr", "plan", plan_form(START, packing=PACKING, dispatch=DISPATCH))
    act(driver, iid, "workshop", "opinion", SIGNOFF)
    act(driver, iid, "purch_lead", "opinion", PURCHASES)
    sweep(driver, local(2026, 11, 24, 10, 1))
    sweep(driver, local(2026, 11, 27, 8))
    act(driver, iid, "prod_mgr", "prestart_ok", PRESTART_OK)
    pm = [t for t in tasks_of(driver, iid, "scheduled") if t.role == "production_manager"]
    assert [t.opens_at for t in pm] == [local(2026, 12, 10, 8)]  # packing 12-15 − 3 WD


def test_pmc_variant_copies_mc_distributes_and_the_pmc_manager_approves(
    driver: Driver, pmc: None
) -> None:
    released(driver, "SO-P3")
    iid = plan_instance(driver, "SO-P3")
    [task] = tasks_of(driver, iid)
    assert task.role == "production_planner" and task.deadline_kind == "WM"
    assert task.due_at == received(driver, iid) + timedelta(minutes=30)  # 30 WM from receipt
    act(driver, iid, "planner", "plan", plan_form(START, packing=PACKING, dispatch=DISPATCH))
    assert state(driver, iid) == "distributing"
    copied = [e for e in events(driver.rt, iid) if e.detail.get("event") == "plan"]
    assert copied[0].changes["copied"]["new"] == ["mc"]  # MC has the plan
    [dist] = tasks_of(driver, iid)
    assert dist.due_at == received(driver, iid) + timedelta(days=3)  # 3 WD from receipt
    papers = {"kind": "plant", "recipients": "二分厂", "operations": "钣金、喷涂",
              "due_date": "2026-11-30", "drawings_attached": True}  # fmt: skip
    act(driver, iid, "planner", "distribute", papers)
    act(driver, iid, "pmc", "return_plan", reason="外委单缺图纸 / drawings missing")
    assert state(driver, iid) == "distributing"
    act(driver, iid, "planner", "distribute", papers)
    act(driver, iid, "pmc", "approve_plan")
    assert state(driver, iid) == "signing"


def test_objection_is_settled_by_planning_else_the_gm_and_a_moved_date_goes_to_merchandising(
    driver: Driver,
) -> None:
    iid = planned(driver, "SO-P4")
    objection = {"line": "packing", "problem": "包装材料 12-15 前不到 / crates arrive late"}
    act(driver, iid, "keeper", "objected", objection)
    assert state(driver, iid) == "settlement"
    [task] = tasks_of(driver, iid)
    assert task.chain == ["role:general_manager"]
    act(driver, iid, "prod_mgr", "refer_to_gm", reason="仓库与车间意见不一 / no agreement")
    decision = {"decision": "包装顺延 3 天，交期顺延", "moved_delivery_date": "2026-12-28"}
    act(driver, iid, "gm", "gm_decides", decision)
    assert state(driver, iid) == "date_referral"
    with Session(driver.rt.db) as s:  # [A] a §2 delivery change raised for sales, linked
        change = s.exec(
            select(Instance).where(
                Instance.order_no == "SO-P4", Instance.procedure == "order_change"
            )
        ).one()
    assert (
        change.state == "received" and "2026-12-28" in change.data["request"]["change_description"]
    )
    assert [
        e.detail.get("child_id") for e in events(driver.rt, iid) if e.action == "child_started"
    ] == [change.id]
    act(driver, iid, "merch_lead", "refer_change", reason="已转销售内勤 / to the sales clerk")
    assert state(driver, iid) == "prestart"
    iid2 = planned(driver, "SO-P5")
    act(driver, iid2, "clerk", "objected", objection)
    act(driver, iid2, "prod_mgr", "settle", {"decision": "改用木箱 / wooden crates instead"})
    assert state(driver, iid2) == "prestart"


def test_a_cooperation_line_brings_the_cooperation_company_into_the_countersign(
    driver: Driver,
) -> None:
    released(driver, "SO-P13")
    iid = plan_instance(driver, "SO-P13")
    form = plan_form(START, packing=PACKING, dispatch=DISPATCH)
    crates = {"line": "cooperation", "department": "outsourcing", "signer": "宋佳"}
    form["rows"].append({**crates, "start": "2026-11-25", "finish": "2026-11-30"})
    act(driver, iid, "prod_mgr", "plan", form)
    assert "outsourcing_coordinator" in {t.role for t in tasks_of(driver, iid)}


def test_capacity_conflict_is_countersigned_then_planning_resumes(driver: Driver) -> None:
    released(driver, "SO-P6")
    iid = plan_instance(driver, "SO-P6")
    act(driver, iid, "prod_mgr", "capacity_conflict", reason="与 SO-P1 同线 / same line")
    assert sorted(t.role for t in tasks_of(driver, iid)) == [
        "merchandising_lead",
        "production_manager",
    ]
    agree = {"sequence": "SO-P1 先，SO-P6 后 / SO-P1 first", "agrees": True}
    act(driver, iid, "prod_mgr", "opinion", agree)
    act(driver, iid, "merch_lead", "opinion", agree)
    assert state(driver, iid) == "planning"


def test_prestart_problem_goes_by_liaison_sheet_to_its_addressee_by_its_due_time(
    driver: Driver,
) -> None:
    iid = planned(driver, "SO-P7")
    sweep(driver, local(2026, 11, 24, 10, 1))
    sweep(driver, local(2026, 11, 27, 8))
    with pytest.raises(InvalidForm) as bad:
        act(driver, iid, "prod_mgr", "prestart_ok", {**PRESTART_OK, "purchases": False})
    assert "purchases" in bad.value.errors
    sheet = {"addressee": "purchasing", "problem": "断路器未到 / breakers missing",
             "due": local(2026, 11, 27, 16).isoformat()}  # fmt: skip
    act(driver, iid, "prod_mgr", "raise_liaison", sheet)
    [task] = tasks_of(driver, iid)
    assert task.due_at == local(2026, 11, 27, 16)
    act(driver, iid, "purch_lead", "answer_liaison", {"answer": "明日到货 / arrive tomorrow"})
    assert state(driver, iid) == "prestart"


def test_follow_up_deviation_remedy_and_remedies_exhausted_replan_moves_the_dates(
    driver: Driver,
) -> None:
    iid = in_production(driver, "SO-P8")
    sweep(driver, local(2026, 12, 14, 8))
    act(driver, iid, "prod_mgr", "remedies_exhausted", reason="产能不足 / capacity short")
    sweep(driver, local(2026, 12, 18, 8))
    assert state(driver, iid) == "plan_adjust"
    later = plan_form(START, packing=date(2026, 12, 21), dispatch=date(2026, 12, 22))
    act(driver, iid, "prod_mgr", "plan", later)
    assert state(driver, iid) == "in_production"
    [pm] = [t for t in tasks_of(driver, iid) if t.role == "production_manager"]
    assert pm.due_at == local(2026, 12, 18, 18)  # the new packing date 12-21 − 1 WD
    [follow] = [t for t in tasks_of(driver, iid) if t.role == "merchandiser"]
    assert follow.chain == ["role:production_manager", "role:general_manager"]
    assert follow.due_at == local(2026, 12, 21, 18)  # delivery 12-23 − 2 WD
    act(driver, iid, "merch", "deviation", {"deviation": "装配落后 2 天", "measures": "加班"})
    act(driver, iid, "prod_mgr", "remedied", {"deviation": "装配落后 2 天", "measures": "周末加班"})
    assert state(driver, iid) == "in_production"
    act(driver, iid, "merch", "follow_up_ok")
    assert "merchandiser" not in {t.role for t in tasks_of(driver, iid)}  # followed up once


def test_unmeetable_date_urging_note_and_delay_report(driver: Driver) -> None:
    iid = in_production(driver, "SO-P9")
    sweep(driver, local(2026, 12, 18, 8))
    act(driver, iid, "merch", "date_unmeetable", reason="外购件延误 / parts late")
    with pytest.raises(InvalidForm) as bad:
        act(driver, iid, "merch", "issue_urge", {"final_deadline": "2026-12-21",
                                                  "content": "装配"})  # fmt: skip
    assert "customer_told" in bad.value.errors
    act(driver, iid, "merch", "issue_urge", {"final_deadline": "2026-12-21", "content": "装配",
                                             "customer_told": True})  # fmt: skip
    assert state(driver, iid) == "delay_reporting"
    urged = [e for e in events(driver.rt, iid) if e.detail.get("event") == "issue_urge"]
    # to the production manager and the 生产副总 (the GM, told of the plan, holds it already);
    # [A] the salesperson warned
    assert {"prod_mgr", "deputy", "sales"} <= set(urged[0].changes["copied"]["new"])
    act(driver, iid, "merch_lead", "report_delay", {"cause": "外购件延误", "new_date":
        "2026-12-28", "report_to": "sales_head"})  # fmt: skip
    assert state(driver, iid) == "in_production"
    with Session(driver.rt.db) as s:
        kinds = [d.kind for d in s.exec(select(Document).where(Document.order_no == "SO-P9"))]
    assert {"urge_note", "delay_report"} <= set(kinds)


def test_plan_change_outsourcing_and_late_design(driver: Driver) -> None:
    iid = in_production(driver, "SO-P10")
    change = {"line": "assembly", "reason": "设备故障 / machine down", "new_finish": "2026-12-16"}
    act(driver, iid, "workshop", "request_plan_change", change)
    act(driver, iid, "dispatcher", "endorse_change")
    act(driver, iid, "prod_mgr", "approve_change")
    assert state(driver, iid) == "plan_adjust"
    act(driver, iid, "prod_mgr", "plan", plan_form(START, packing=PACKING, dispatch=DISPATCH))
    act(driver, iid, "workshop", "request_plan_change", change)
    act(driver, iid, "dispatcher", "reject_change", reason="可加班赶上 / overtime suffices")
    assert state(driver, iid) == "in_production"
    sweep(driver, local(2026, 12, 14, 8))
    act(driver, iid, "prod_mgr", "cannot_make_in_time", reason="喷涂线满 / paint line full")
    act(driver, iid, "gm", "propose_outsourcing", {"work": "喷涂", "reason": "产能不足"})
    act(driver, iid, "group_gm", "approve_outsourcing")
    assert state(driver, iid) == "in_production"
    act(driver, iid, "prod_mgr", "design_late", reason="客户未确认柜体颜色 / colour")  # told
    [chase] = tasks_of(driver, iid)
    assert chase.role == "sales_clerk" and chase.pauses_for == "customer"
    act(driver, iid, "clerk", "design_confirmed")
    assert state(driver, iid) == "plan_adjust"


def test_short_shipment_with_consent_then_make_good_slip_and_not_received(
    driver: Driver,
) -> None:
    iid = in_production(driver, "SO-P11")
    sweep(driver, local(2026, 12, 14, 8))
    act(driver, iid, "prod_mgr", "packing_notice")
    act(driver, iid, "packer", "short_shipment", {"rows": [{"item": "仪表", "qty": 2}],
                                                  "follow_up": "purchasing"})  # fmt: skip
    [consent] = tasks_of(driver, iid)
    assert consent.role == "sales_clerk" and consent.due_at == local(2026, 12, 17, 18)
    act(driver, iid, "clerk", "customer_consents", {"consents": True, "contact": "陈经理"})
    act(driver, iid, "packer", "packed", FG_RECEIPT)
    sweep(driver, local(2026, 12, 17, 8))
    act(driver, iid, "merch", "notify_shipping", ship_notice(local(2026, 12, 18, 14)))
    act(driver, iid, "fg_keeper", "goods_confirmed", {"quantity": 12, "labelled": True,
                                                        "packed": True})  # fmt: skip
    slip = {"reason": "车辆故障 / truck broke down", "new_time": local(2026, 12, 18, 10)
            .isoformat(), "eta": "2026-12-19"}  # fmt: skip
    act(driver, iid, "logistics", "report_slip", slip)
    [again] = tasks_of(driver, iid)
    assert again.due_at == local(2026, 12, 18, 10)  # due at the reported new time
    act(driver, iid, "logistics", "dispatch", {"carrier": "德邦", "waybill": "DB-2",
        "sent_at": driver.now.isoformat(), "eta": "2026-12-19"})  # fmt: skip
    sweep(driver, local(2026, 12, 18, 8))  # ETA Saturday 12-19: phoned on Friday
    act(driver, iid, "clerk", "not_received", reason="客户称未到货 / customer says not received")
    act(driver, iid, "logistics", "answered", {"finding": "物流中转滞留", "answer_to_customer":
        "明日送达"})  # fmt: skip
    assert state(driver, iid) == "dispatched"
    confirm = {"received_on": "2026-12-21", "payment_due": "2027-01-15", "ledger_posted": True}
    act(driver, iid, "clerk", "receipt_confirmed", confirm)
    [make_good] = tasks_of(driver, iid)
    assert make_good.role == "production_manager"
    act(driver, iid, "prod_mgr", "make_good", {"sent_on": "2026-12-24", "waybill": "DB-3"})
    assert tasks_of(driver, iid) == []  # the payment chase waits for its date
    assert [t.role for t in tasks_of(driver, iid, "scheduled")] == ["finance"]


def test_a_delivery_change_moves_the_follow_up_audited(driver: Driver) -> None:
    """A §2 delivery change to a later date moves the scheduled follow-up with it."""
    from tests.engine.test_order_change import classify_delivery, issue_change_notice, propose

    iid = in_production(driver, "SO-P12")
    [follow] = [t for t in tasks_of(driver, iid, "scheduled") if t.role == "merchandiser"]
    assert follow.opens_at == local(2026, 12, 18, 8)  # delivery 12-23 − 3 WD
    change = driver.start(
        "order_change",
        "clerk",
        {"order_no": "SO-P12", "received_at": driver.now.isoformat(), "requested_by": "陈经理",
         "source": "customer", "change_description": "延期交货 / later delivery"},
    )  # fmt: skip
    later = date(2027, 1, 6)
    classify_delivery(driver, change, "SO-P12", later)
    propose(driver, change, later)
    issue_change_notice(driver, change, "SO-P12", category="delivery",
                        new_delivery_date=later.isoformat())  # fmt: skip
    assert order(driver.rt, "SO-P12").delivery_date == later
    [moved] = [t for t in tasks_of(driver, iid, "scheduled") if t.role == "merchandiser"]
    # 01-06 − 3 WD: 01-05, 01-04, then 12-31 (New Year's Day and the weekend are off)
    assert moved.id == follow.id and moved.opens_at == local(2026, 12, 31, 8)
    trail = [e for e in events(driver.rt, iid) if e.action == "deadline_moved"]
    # once; the packing notice moves with the plan's dates too (tests/engine/test_delivery_follow)
    assert [e.task_id for e in trail].count(follow.id) == 1


def test_engineering_delivers_the_design_line_or_reports_the_customer_late(
    driver: Driver,
) -> None:
    """A plan with a design line: engineering's task opens on the line's start and is due on
    its finish; the customer not confirming the design goes to sales (paused), then re-plan."""
    released(driver, "SO-P14")
    iid = plan_instance(driver, "SO-P14")
    form = plan_form(START, packing=PACKING, dispatch=DISPATCH)
    design = {"line": "design", "department": "engineering", "signer": "冯涛"}
    form["rows"].insert(0, {**design, "start": "2026-12-02", "finish": "2026-12-04"})
    act(driver, iid, "prod_mgr", "plan", form)
    act(driver, iid, "workshop", "opinion", SIGNOFF)
    act(driver, iid, "purch_lead", "opinion", PURCHASES)
    act(driver, iid, "engineer", "opinion", SIGNOFF)  # a design line: engineering signs too
    sweep(driver, local(2026, 11, 24, 10, 1))
    sweep(driver, local(2026, 11, 27, 8))
    act(driver, iid, "prod_mgr", "prestart_ok", PRESTART_OK)
    [eng] = [t for t in tasks_of(driver, iid, "scheduled") if t.role == "engineering"]
    assert eng.opens_at == local(2026, 12, 2, 8)
    sweep(driver, local(2026, 12, 2, 8))
    [eng] = [t for t in tasks_of(driver, iid) if t.role == "engineering"]
    assert eng.due_at == local(2026, 12, 4, 18)
    act(driver, iid, "engineer", "design_late", reason="客户未确认柜体颜色 / colour unconfirmed")
    assert state(driver, iid) == "design_chase"
    act(driver, iid, "clerk", "design_confirmed")
    act(driver, iid, "prod_mgr", "plan", form)
    act(driver, iid, "engineer", "design_done")
    assert "engineering" not in {t.role for t in tasks_of(driver, iid)}


def test_cancelling_the_order_stops_the_plan_and_recalls_its_papers(driver: Driver) -> None:
    from tests.engine.test_order_change_paths import classify_cancel, start_change

    iid = in_production(driver, "SO-P15")
    assert tasks_of(driver, iid, "scheduled")  # packing notice and follow-up waiting
    change = start_change(driver, "SO-P15")
    classify_cancel(driver, change, "SO-P15")
    driver.act(change, "sales_head", "sign_cancel", reason="同意取消 / agreed")
    assert instance(driver.rt, iid).closed_at is not None  # §3 stopped with the order
    assert tasks_of(driver, iid) == [] and tasks_of(driver, iid, "scheduled") == []
    with Session(driver.rt.db) as s:
        plan = s.exec(select(Document).where(Document.kind == "production_plan")).one()
    assert plan.order_no == "SO-P15" and plan.status == "recalled"
