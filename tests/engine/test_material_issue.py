"""§5j material issue against quotas through the engine on a real database, time injected:
the weekly plan's shortage check raising one 物料跟催单 per short item, the quota sheet at
plan start −2 WD (tables: quota = BOM quota × plan), kitting at −1 WD, issue against the
quotas (stock moved, IssueLine rows), a whole pack lent (借料单, MC told) and offset at the
next batch's issue, a non-quota 领料单 above the request refused unless the 物控科长 approves,
a shortage at issue, the quota difference fixing the BOM quota (audited), the over-issue via
supervisor and MC, and the batch close as a linked child."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.demo_issue import ensure_masters, plan_form
from gendan.errors import InvalidForm
from gendan.jobs import run_due
from gendan.links import children_of
from gendan.models import (
    AuditEvent,
    BomLine,
    Document,
    Instance,
    IssueLine,
    Notification,
    QuotaLine,
    QuotaSheet,
    Stock,
    Task,
    User,
)
from gendan.runtime import Runtime
from gendan.timespec import Sla
from tests.engine.helpers import instance, open_tasks, snapshot

START = "2026-12-01"  # a Tuesday: the sheet opens Fri 27 Nov, kitting Mon 30 Nov
MINE = ("material_issue", "issue_shortage", "material_return", "batch_close")


@pytest.fixture
def d(driver: Driver) -> Driver:
    with unit_of_work(driver.rt.db) as s:
        ensure_masters(s, driver.now)
    return driver


def on_hand(rt: Runtime, code: str, wh: str = "RM") -> float:
    with Session(rt.db) as s:
        row = s.exec(select(Stock).where(Stock.item_code == code, Stock.warehouse == wh)).first()
        return row.on_hand if row else 0.0


def lines(rt: Runtime, batch: str) -> dict[str, QuotaLine]:
    with Session(rt.db) as s:
        sheet = s.exec(select(QuotaSheet).where(QuotaSheet.batch_no == batch)).one()
        found = s.exec(select(QuotaLine).where(QuotaLine.sheet_id == sheet.id))
        return {q.item_code: q for q in found}


def issue_lines(rt: Runtime, batch: str) -> list[tuple[str, str, float]]:
    with Session(rt.db) as s:
        rows = s.exec(select(IssueLine).where(IssueLine.batch_no == batch).order_by(IssueLine.id))
        return [(r.kind, r.item_code, r.qty) for r in rows]


def shortage_slips(rt: Runtime, iid: int) -> list[Instance]:
    with Session(rt.db) as s:
        return [k for k in children_of(s, iid) if k.procedure == "issue_shortage"]


def to_issuing(d: Driver, batch: str = "WP-48", qty: float = 50) -> int:
    iid = d.start("material_issue", "mc", plan_form(batch, START, qty))
    run_due(d.rt, now=d.now)
    d.now = d.now + timedelta(days=4)  # Friday 27 Nov: the sheet's task is open
    from gendan.escalation import escalate_due

    escalate_due(d.rt, now=d.now)
    d.act(iid, "mc", "prepare_sheet", {"rows": []})
    d.now = d.now + timedelta(days=3)  # Monday 30 Nov: kitting opens
    escalate_due(d.rt, now=d.now)
    d.act(iid, "keeper", "materials_prepared", {})
    assert instance(d.rt, iid).state == "issuing"
    return iid


def test_weekly_plan_checks_shortages_and_opens_the_sheet_two_days_ahead(d: Driver) -> None:
    iid = d.start("material_issue", "mc", plan_form("WP-48", START, 50))
    assert instance(d.rt, iid).state == "checking"
    [run] = run_due(d.rt, now=d.now)
    inst = instance(d.rt, iid)
    assert inst.state == "preparing_sheet" and inst.subject_key == "WP-48"
    # quota × plan: BD-18 2.1 × 50 = 105 (400 on hand), GL-5 50 (30), CT-01 50 (120)
    assert inst.data["forms"]["shortage_checked"]["rows"] == [
        {"item_code": "GL-5", "required": 50.0, "on_hand": 30.0, "short": 20.0}
    ]
    [slip] = shortage_slips(d.rt, iid)
    assert slip.data["slip"]["item_code"] == "GL-5" and slip.data["slip"]["short_qty"] == 20
    [task] = open_tasks(d.rt, slip.id)
    assert task.role == "material_controller" and task.deadline_kind == "WH"
    assert task.due_at == d.rt.calendar.add(d.now, Sla.hours(4))  # working hours
    with Session(d.rt.db) as s:
        sheet_task = s.exec(select(Task).where(Task.instance_id == iid)).one()
    assert sheet_task.status == "scheduled"
    # 2 WD before Tue 1 Dec: opens Fri 27 Nov 08:30 Shanghai (00:30 UTC), due Fri's end
    assert sheet_task.opens_at.date().isoformat() == "2026-11-27"
    d.act(slip.id, "mc", "reply", {"arrival_date": "2026-11-30", "plan_adjusted": False})
    assert instance(d.rt, slip.id).state == "answered"


def test_quota_sheet_in_tables_and_issue_against_it(d: Driver) -> None:
    iid = to_issuing(d)
    q = lines(d.rt, "WP-48")
    with Session(d.rt.db) as s:  # the printable 定额领料登记表, numbered by the batch
        [doc] = s.exec(select(Document).where(Document.instance_id == iid)).all()
    assert (doc.doc_no, doc.kind) == ("DE-WP-48-01", "quota_sheet")
    assert [r["item_code"] for r in doc.data["rows"]] == ["BD-18", "CT-01", "GL-5"]
    assert {k: v.quota for k, v in q.items()} == {"BD-18": 105.0, "CT-01": 50.0, "GL-5": 50.0}
    d.act(iid, "keeper", "issue", {"rows": [{"item_code": "BD-18", "qty": 60}]})
    assert on_hand(d.rt, "BD-18") == 340 and lines(d.rt, "WP-48")["BD-18"].issued == 60
    before = snapshot(d.rt)
    with pytest.raises(InvalidForm) as err:  # 60 + 50 > 105 and not a whole pack
        d.act(iid, "keeper", "issue", {"rows": [{"item_code": "BD-18", "qty": 50}]})
    assert "rows.0.qty" in err.value.errors
    with pytest.raises(InvalidForm) as err:  # not on the sheet: a 领料单
        d.act(iid, "keeper", "issue", {"rows": [{"item_code": "SC-M4", "qty": 5}]})
    assert "rows.0.item_code" in err.value.errors
    assert snapshot(d.rt) == before and on_hand(d.rt, "BD-18") == 340
    # a whole pack above the quota: 45 on the quota, 5 lent on a 借料单, MC told
    d.act(iid, "keeper", "issue", {"rows": [{"item_code": "BD-18", "qty": 50, "whole_pack": True}]})
    line = lines(d.rt, "WP-48")["BD-18"]
    assert (line.issued, line.borrowed) == (105, 5) and on_hand(d.rt, "BD-18") == 290
    assert issue_lines(d.rt, "WP-48") == [
        ("quota", "BD-18", 60), ("quota", "BD-18", 45), ("borrow", "BD-18", 5)
    ]
    with Session(d.rt.db) as s:
        mc = s.exec(select(User).where(User.username == "mc")).one()
        told = s.exec(
            select(Notification).where(
                Notification.user_id == mc.id, Notification.template == "inform"
            )
        ).all()
    assert told
    # the next batch's issue offsets the borrowed 5 first: only 15 leave the store
    nxt = to_issuing_again(d)
    d.act(nxt, "keeper", "issue", {"rows": [{"item_code": "BD-18", "qty": 20}]})
    assert on_hand(d.rt, "BD-18") == 275
    assert lines(d.rt, "WP-49")["BD-18"].issued == 20
    assert lines(d.rt, "WP-48")["BD-18"].settled == 5
    assert issue_lines(d.rt, "WP-49") == [("offset", "BD-18", 5), ("quota", "BD-18", 15)]


def to_issuing_again(d: Driver) -> int:
    from gendan.escalation import escalate_due

    iid = d.start("material_issue", "mc", plan_form("WP-49", "2026-12-08", 10))
    run_due(d.rt, now=d.now)
    d.now = d.now + timedelta(days=4)  # Friday 4 Dec: 2 WD before Tuesday 8 Dec
    escalate_due(d.rt, now=d.now)
    d.act(iid, "mc", "prepare_sheet", {"rows": [{"item_code": "BD-18", "quota": 22}]})
    assert lines(d.rt, "WP-49")["BD-18"].quota == 22  # MC's board quota wins over the BOM's
    d.now = d.now + timedelta(days=3)
    escalate_due(d.rt, now=d.now)
    d.act(iid, "keeper", "materials_prepared", {})
    return iid


def test_non_quota_requisition_above_the_request_needs_the_section_head(d: Driver) -> None:
    iid = to_issuing(d)
    slip = {"department": "车间一组", "item_code": "SC-M4", "requested": 100, "qty": 100}
    d.act(iid, "keeper", "issue_non_quota", slip)
    assert on_hand(d.rt, "SC-M4") == 4900
    with pytest.raises(InvalidForm) as err:
        d.act(iid, "keeper", "issue_non_quota", {**slip, "qty": 150})
    assert "qty" in err.value.errors and on_hand(d.rt, "SC-M4") == 4900
    with pytest.raises(InvalidForm) as err:  # within the request: no approval needed
        d.act(iid, "keeper", "request_above", slip)
    assert "qty" in err.value.errors
    d.act(iid, "keeper", "request_above", {**slip, "qty": 150})
    [task] = open_tasks(d.rt, iid)
    assert (task.role, task.deadline_kind) == ("mc_section_head", "default")
    d.act(iid, "mc_head", "approve_above", {"note": "特殊情况"})
    assert on_hand(d.rt, "SC-M4") == 4750 and instance(d.rt, iid).state == "issuing"
    assert [k for k, _, _ in issue_lines(d.rt, "WP-48")] == ["non_quota", "non_quota"]


def test_over_issue_goes_to_the_supervisor_then_mc(d: Driver) -> None:
    iid = to_issuing(d)
    d.act(iid, "workshop", "request_over_issue", {
        "rows": [{"item_code": "GL-5", "qty": 2}], "reason": "defect", "explanation": "碎裂"})
    [task] = open_tasks(d.rt, iid)
    assert (task.role, task.deadline_kind) == ("dept_head", "default")
    d.act(iid, "workshop", "supervisor_approves", {})
    [task] = open_tasks(d.rt, iid)
    assert task.role == "material_controller"
    d.act(iid, "mc", "mc_approves_over", {})
    assert on_hand(d.rt, "GL-5") == 28
    assert issue_lines(d.rt, "WP-48") == [("over_issue", "GL-5", 2)]


def test_shortage_at_issue_holds_the_batch_until_mc_answers(d: Driver) -> None:
    iid = to_issuing(d)
    for slip in shortage_slips(d.rt, iid):  # the plan check's slip (GL-5) answered first
        d.act(slip.id, "mc", "reply", {"arrival_date": "2026-12-02"})
    d.act(iid, "keeper", "report_shortage",
          {"rows": [{"item_code": "GL-5", "needed": 50, "on_hand": 30}]})  # fmt: skip
    assert instance(d.rt, iid).state == "short_at_issue"
    slip = shortage_slips(d.rt, iid)[-1]
    assert slip.data["slip"]["reason"] == "at_issue"
    d.act(slip.id, "mc", "date_affected", {"arrival_date": "2026-12-10"})
    [task] = open_tasks(d.rt, slip.id)
    assert task.role == "pmc_manager"
    d.act(slip.id, "pmc", "coordinated", {"outcome": "与营销中心协调，客户同意延期"})
    assert instance(d.rt, iid).state == "issuing"


def test_quota_difference_fixes_the_bom_quota_audited(d: Driver) -> None:
    iid = to_issuing(d)
    d.act(iid, "keeper", "report_quota_difference", {"rows": [
        {"product_code": "CAB-100", "item_code": "BD-18", "quota": 2.1, "actual": 2.2}]})
    [task] = open_tasks(d.rt, iid)
    assert (task.role, task.deadline_kind) == ("mc_section_head", "default")
    assert task.due_at == d.rt.calendar.add(task.clock_start, Sla.working_days(1))
    with pytest.raises(InvalidForm):
        d.act(iid, "mc_head", "fix_standard",
              {"rows": [{"product_code": "CAB-100", "item_code": "XX", "quota": 2.2}]})  # fmt: skip
    d.act(iid, "mc_head", "fix_standard",
          {"rows": [{"product_code": "CAB-100", "item_code": "BD-18", "quota": 2.2}]})  # fmt: skip
    with Session(d.rt.db) as s:
        bom = s.exec(select(BomLine).where(BomLine.component_code == "BD-18")).one()
        ev = s.exec(select(AuditEvent).where(AuditEvent.instance_id == iid)
                    .order_by(AuditEvent.seq.desc())).first()  # fmt: skip
    assert bom.quota == 2.2
    assert ev.changes["bom.CAB-100.BD-18.quota"] == {"old": 2.1, "new": 2.2}


def test_batch_completed_starts_the_batch_close_which_returns_borrowed_packs(d: Driver) -> None:
    iid = to_issuing(d)
    d.act(iid, "keeper", "issue",
          {"rows": [{"item_code": "CT-01", "qty": 60, "whole_pack": True}]})  # fmt: skip
    assert on_hand(d.rt, "CT-01") == 60
    d.act(iid, "workshop", "batch_completed", {"completed_at": d.now.isoformat()})
    with Session(d.rt.db) as s:
        [close] = [k for k in children_of(s, iid) if k.procedure == "batch_close"]
    [task] = open_tasks(d.rt, close.id)
    assert (task.role, task.deadline_kind) == ("workshop_director", "day-hours")
    d.act(close.id, "workshop", "list_leftovers", {"rows": [{"item_code": "BD-18", "qty": 3}]})
    d.act(close.id, "qa_lead", "qa_judges", {"usable": True})
    d.act(close.id, "mc", "mc_accepts", {})
    assert on_hand(d.rt, "CT-01") == 70 and on_hand(d.rt, "BD-18") == 403
    assert instance(d.rt, close.id).state == "closed"
    assert instance(d.rt, iid).state == "closed"
    kinds = [k for k, _, _ in issue_lines(d.rt, "WP-48")]
    assert kinds[-2:] == ["leftover", "borrow_return"]
    with Session(d.rt.db) as s:
        assert s.exec(select(QuotaSheet)).one().closed_at is not None


def test_demo_stages_load_once(d: Driver) -> None:
    from gendan.demo_issue import issue_stages

    issue_stages(d)
    issue_stages(d)  # a second load changes nothing
    with Session(d.rt.db) as s:
        states = sorted(
            (i.procedure, i.state)
            for i in s.exec(select(Instance).where(Instance.closed_at.is_(None)))
            # other procedures joining the weekly plan (§5g's 物料追催表) are tested by theirs
            if i.procedure in MINE
        )
    assert states == [
        ("batch_close", "qa_judging"),
        ("issue_shortage", "replying"),
        ("material_issue", "issuing"),
        ("material_issue", "preparing_sheet"),
        ("material_return", "qc_check"),
    ]
    assert lines(d.rt, "WP-2026-47")["CT-01"].borrowed == 2


def test_shortage_moving_the_delivery_starts_a_delivery_change(d: Driver) -> None:
    from tests.engine.plan_driver import released

    released(d, "SO-SH1")
    slip = {"batch_no": "WP-50", "order_nos": "SO-SH1", "item_code": "GL-5", "on_hand": 30,
            "quota_qty": 50, "short_qty": 20, "reason": "at_issue",
            "received_at": d.now.isoformat()}  # fmt: skip
    sid = d.start("issue_shortage", "keeper", slip)  # the keeper's slip at issue, by hand
    assert instance(d.rt, sid).order_no == "SO-SH1"  # the slip serves the plan's order
    d.act(sid, "mc", "date_affected", {"arrival_date": "2026-12-20"})
    d.act(sid, "pmc", "coordinated", {"outcome": "客户同意顺延", "new_delivery_date": "2027-01-20"})
    with Session(d.rt.db) as s:
        [change] = children_of(s, sid)
    assert change.procedure == "order_change" and change.order_no == "SO-SH1"
    assert "GL-5" in change.data["request"]["change_description"]


def test_bad_plan_and_issue_beyond_stock_write_nothing(d: Driver) -> None:
    before = snapshot(d.rt)
    with pytest.raises(InvalidForm) as err:  # planned completion before the start
        d.start("material_issue", "mc", {**plan_form("WP-X", START), "plan_end": "2026-11-30"})
    assert "plan_end" in err.value.errors and snapshot(d.rt) == before
    iid = to_issuing(d)
    before = snapshot(d.rt)
    with pytest.raises(InvalidForm) as err:  # within GL-5's quota (50), but only 30 in store
        d.act(iid, "keeper", "issue", {"rows": [{"item_code": "BD-18", "qty": 10},
                                                {"item_code": "GL-5", "qty": 40}]})  # fmt: skip
    assert "rows.1.qty" in err.value.errors and "30" in err.value.errors["rows.1.qty"]
    assert snapshot(d.rt) == before and on_hand(d.rt, "BD-18") == 400
    assert issue_lines(d.rt, "WP-48") == []
