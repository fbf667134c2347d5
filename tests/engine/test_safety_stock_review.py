"""§5a safety-stock review (003 5.1.1) through the engine, real DB, time injected: started by
its schedule on the 1st (monthly, or quarterly by the master setting), prefilled from the items
master with the formula computed per row; the MC's task opens 10 WD before the 25th; the
countersign (an objection sends it back), the PMC manager's confirmation and the director's
approval write the approved quantities to the items; each step's reminder and escalation
e-mails reach the loopback SMTP sink once after sweeping twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from gendan import stock
from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.errors import InvalidForm
from gendan.escalation import escalate_due
from gendan.models import Instance, Item, MasterSetting, Notification, Task, User
from gendan.runtime import Runtime
from gendan.schedules import run_due
from gendan.settings import get_settings
from gendan.stock import move
from tests.conftest import make_runtime
from tests.engine.helpers import open_tasks, snapshot
from tests.engine.measures_data import at
from tests.engine.plan_driver import tasks_of
from tests.flows.test_plan_deadline_mail import Deadlines
from tests.support.servers import SmsGateway, SmtpSink

#: M-001: (10 + 3) × 5 = 65; M-002: (5 + 2) × 10 = 70 (the master's figures, both seasons).
PREFILLED = {("M-001", "peak"): 65.0, ("M-001", "off"): 65.0,
             ("M-002", "peak"): 70.0, ("M-002", "off"): 70.0}  # fmt: skip


def items(rt: Runtime) -> None:
    with unit_of_work(rt.db) as s:
        s.add(
            Item(
                code="M-001",
                name="冷轧板",
                requisition_class="safety",
                lead_days=10,
                emergency_days=3,
                daily_use=5,
                safety_peak=40,
                safety_off=30,
            )
        )
        s.add(
            Item(
                code="M-002",
                name="封边条",
                requisition_class="safety",
                lead_days=5,
                emergency_days=2,
                daily_use=10,
            )
        )
        s.add(Item(code="M-003", name="五金件（按单）", requisition_class="order"))  # fmt: skip


def start(rt: Runtime, when: Any) -> list:
    with unit_of_work(rt.db) as s:
        return run_due(s, when, rt.calendar, only="safety_stock_review")


def table(rows: list[tuple[str, str, int, int, float]]) -> dict[str, Any]:
    return {"period": "2026-12", "rows": [
        {"item": i, "season": s, "lead_days": lead, "emergency_days": em, "daily_use": use,
         "safety_qty": 1}  # typed: replaced by the formula
        for i, s, lead, em, use in rows]}  # fmt: skip


REVISED = table([("M-001", "peak", 10, 3, 8), ("M-001", "off", 10, 3, 4),
                 ("M-002", "peak", 5, 2, 10), ("M-002", "off", 5, 2, 6)])  # fmt: skip


def countersign(d: Driver, iid: int, purchasing_agrees: bool = True) -> None:
    d.act(iid, "keeper", "opinion", {"agree": True})
    d.act(iid, "prod_mgr", "opinion", {"agree": True})
    opinion = {"agree": True} if purchasing_agrees else {"comment": "M-002 淡季用量偏高"}
    d.act(iid, "purch_lead", "opinion", opinion)


def state(rt: Runtime, iid: int) -> str:
    with Session(rt.db) as s:
        return s.get(Instance, iid).state


def test_review_prefilled_countersigned_approved_and_written_back(rt: Runtime) -> None:
    items(rt)
    [run] = start(rt, at(12, 1, 8, 5))
    [iid] = run.instance_ids
    with Session(rt.db) as s:
        data = s.get(Instance, iid).data["table"]
    assert data["due_date"] == "2026-12-25"
    assert {(r["item"], r["season"]): r["safety_qty"] for r in data["rows"]} == PREFILLED
    [mc_task] = tasks_of(Driver(rt, at(12, 1)), iid, "scheduled")
    assert mc_task.opens_at == at(12, 11, 8)  # 08:00, the start of the day 10 WD before the 25th

    d = Driver(rt, at(12, 11, 9))
    escalate_due(rt, now=d.now)  # the sweep opens the date-anchored task
    before = snapshot(rt)
    bad = table([("M-001", "peak", 10, 3, 8), ("X-404", "off", 1, 1, 1)])
    with pytest.raises(InvalidForm) as refused:
        d.act(iid, "mc", "submit_table", bad)
    assert set(refused.value.errors) == {"rows.1.item"}
    assert snapshot(rt) == before  # nothing written

    d.act(iid, "mc", "submit_table", REVISED)
    countersign(d, iid, purchasing_agrees=False)
    assert state(rt, iid) == "preparing"  # the objection sends it back to the MC
    d.act(iid, "mc", "submit_table", REVISED)
    countersign(d, iid)
    d.act(iid, "pmc", "confirm")
    [task] = open_tasks(rt, iid)
    assert (task.role, task.due_at) == ("deputy_gm", at(12, 25, 18))
    with unit_of_work(rt.db) as s:  # 90 on hand: above the old safety stock (40), no slip yet
        stock.move(s, item_code="M-001", qty=90, kind="receipt", now=d.now, calendar=rt.calendar)
    d.act(iid, "deputy", "approve")
    assert state(rt, iid) == "approved"
    with Session(rt.db) as s:  # §5b: the stock on file is now under M-001's new peak (104)
        slips = s.exec(select(Instance).where(Instance.procedure == "reorder_chase")).all()
    assert [(i.subject_key, i.data["slip"]["safety_qty"]) for i in slips] == [("M-001", 104.0)]
    with Session(rt.db) as s:
        got = {i.code: (i.safety_peak, i.safety_off) for i in s.exec(select(Item))}
    # (10 + 3) × 8 = 104, × 4 = 52; (5 + 2) × 10 = 70, × 6 = 42; M-003 untouched
    assert got == {"M-001": (104.0, 52.0), "M-002": (70.0, 42.0), "M-003": (0.0, 0.0)}
    with Session(rt.db) as s:  # [A] 派发至相关单位: the heads of warehouse, purchasing, production
        told = s.exec(
            select(User.username)
            .join(Notification, Notification.user_id == User.id)
            .where(Notification.cause.like(f"inform:{iid}:%"), Notification.channel == "email")
        ).all()
    assert set(told) == {"keeper", "purch_lead", "prod_mgr"}


def test_quarterly_review_runs_in_the_quarters_last_month(rt: Runtime) -> None:
    items(rt)
    with unit_of_work(rt.db) as s:
        s.add(MasterSetting(key="safety_review_months", value="3"))
    [nov] = start(rt, at(11, 1, 9))
    assert (nov.period, nov.outcome, nov.instance_ids) == ("2026-11", "gated", [])
    [dec] = start(rt, at(12, 1, 9))
    assert (dec.period, dec.outcome, len(dec.instance_ids)) == ("2026-12", "started", 1)
    assert start(rt, at(12, 2, 9)) == []


@pytest.fixture
def walk(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> Iterator[Callable[[], tuple[Driver, Deadlines]]]:
    def make() -> tuple[Driver, Deadlines]:
        rt = make_runtime(tmp_path / "s.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
        d = Driver(rt, at(12, 1, 8, 5))
        return d, Deadlines(d, smtp_sink)

    yield make
    get_settings.cache_clear()


def test_review_deadlines_mail_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:
    d, dl = walk()
    items(d.rt)
    [run] = start(d.rt, d.now)
    [iid] = run.instance_ids
    dl.until_open(iid, "material_controller")
    dl.run(iid)  # MC: 2 WD from the opening
    d.act(iid, "mc", "submit_table", REVISED)
    dl.run(iid)  # countersign: 2 WD each
    countersign(d, iid)
    dl.run(iid)  # PMC manager: 2 WD
    d.act(iid, "pmc", "confirm")
    dl.run(iid)  # director: the 25th
    assert len(dl.checked) == 6
    with Session(d.rt.db) as s:
        assert s.exec(select(Task).where(Task.instance_id == iid)).all()


def test_daily_use_prefilled_from_the_last_three_months_of_issues(rt: Runtime) -> None:
    """[A] 月平均使用量: M-001 issued 640 and got 40 back from production in Sep-Nov (company
    time; an issue on Aug 31 23:30 and one on Dec 1 are outside) → 600 per working day of those
    months; M-002 issued nothing: the master's daily use."""
    items(rt)
    moves = [(at(8, 25), 1000, "receipt"), (at(8, 31, 23, 30), -50, "issue"),
             (at(9, 10), -300, "issue"), (at(10, 20), -240, "issue"), (at(11, 5), 40, "return"),
             (at(11, 27), -100, "borrow"), (at(12, 1, 0, 30), -70, "issue")]  # fmt: skip
    with unit_of_work(rt.db) as s:
        for when, qty, kind in moves:
            move(s, item_code="M-001", qty=qty, kind=kind, now=when, calendar=rt.calendar)
    days = sum(1 for n in range(91) if rt.calendar.is_working_day(date(2026, 9, 1) + timedelta(n)))
    [run] = start(rt, at(12, 1, 8, 5))
    with Session(rt.db) as s:
        rows = s.get(Instance, run.instance_ids[0]).data["table"]["rows"]
    daily = {(r["item"], r["season"]): r["daily_use"] for r in rows}
    assert daily[("M-001", "peak")] == daily[("M-001", "off")] == round(600 / days, 3)
    assert daily[("M-002", "peak")] == 10
