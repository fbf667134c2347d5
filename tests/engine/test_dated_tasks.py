"""Date-anchored tasks (OpensAt): scheduled at state entry, opened by the sweep at the
business date − N working days, escalated by their chain, moved when the date moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from flows.delivery import deliver_pending
from gendan.demo import Driver
from gendan.escalation import escalate_due
from gendan.inbox_tabs import tab_counts
from gendan.models import AuditEvent, Task, Timer
from gendan.org import load_actor
from gendan.runtime import Runtime
from tests.conftest import make_runtime
from tests.engine import mechanisms
from tests.engine.helpers import events
from tests.support.servers import SmtpSink

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Shanghai 10:00


def sh(m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """Shanghai wall-clock time in 2026 as a UTC instant."""
    return datetime(2026, m, d, hh, mm, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture(autouse=True)
def _procedures(monkeypatch: pytest.MonkeyPatch) -> None:
    mechanisms.use(monkeypatch)


def stock_order(no: str, delivery: str) -> dict[str, object]:
    return {
        "order_no": no,
        "product": "离心泵",
        "model_spec": "IS80-65-160",
        "quantity": 10,
        "delivery_date": delivery,
        "stock_basis": "成品库存量控制明细表",
    }


def tasks_of(rt: Runtime, iid: int) -> dict[str, Task]:
    with Session(rt.db) as s:
        rows = s.exec(select(Task).where(Task.instance_id == iid).order_by(Task.id)).all()
        return {t.title_en: t for t in rows}


def timers(rt: Runtime, task_id: int | None) -> dict[int, tuple[datetime, str]]:
    with Session(rt.db) as s:
        rows = s.exec(select(Timer).where(Timer.task_id == task_id)).all()
        return {t.level: (t.due_at, t.status) for t in rows}


def test_created_scheduled_then_opened_by_the_sweep_at_delivery_minus_3_wd(rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    iid = d.start("test_dated", "merch_lead", stock_order("SO-D1", "2026-12-04"))  # a Friday
    follow = tasks_of(rt, iid)["Follow-up: progress against the plan"]
    assert follow.status == "scheduled"
    assert follow.opens_at == sh(12, 1, 8)  # Tue: 3 WD before Fri, at the start of the day
    assert follow.due_at == sh(12, 2, 18)  # due at the end of Wed (2 WD before)
    assert timers(rt, follow.id) == {}  # no clock yet
    with Session(rt.db) as s:  # nobody's inbox holds it yet
        assert tab_counts(s, load_actor(s, _uid(s, "merch")))["todo"] == 0

    assert escalate_due(rt, now=sh(12, 1, 7, 59)) == []
    assert tasks_of(rt, iid)["Follow-up: progress against the plan"].status == "scheduled"
    escalate_due(rt, now=sh(12, 1, 8))
    escalate_due(rt, now=sh(12, 1, 8))  # twice: opened once
    follow = tasks_of(rt, iid)["Follow-up: progress against the plan"]
    assert follow.status == "open" and follow.clock_start == sh(12, 1, 8)
    levels = timers(rt, follow.id)
    assert levels[1] == (sh(12, 2, 18), "pending")
    assert levels[0][0] == sh(12, 2, 13, 30)  # 75 % of the 18 working hours Tue 08:00 → Wed
    opened = [e for e in events(rt, iid) if e.action == "task_opened"]
    packing = tasks_of(rt, iid)["Packing notice"]  # same date, same day: both open, once
    assert sorted(e.task_id for e in opened) == sorted([follow.id, packing.id])
    with Session(rt.db) as s:
        assert tab_counts(s, load_actor(s, _uid(s, "merch")))["todo"] == 1


def test_a_sweep_long_after_the_opening_opens_and_escalates_at_once(rt: Runtime) -> None:
    """The clock starts at the opening instant, not at a late sweep: overdue at once."""
    d = Driver(rt, MONDAY_10)
    iid = d.start("test_dated", "merch_lead", stock_order("SO-D2", "2026-12-04"))
    late = sh(12, 3, 9)
    done = escalate_due(rt, now=late)
    follow = tasks_of(rt, iid)["Follow-up: progress against the plan"]
    assert follow.clock_start == sh(12, 1, 8)
    assert [(e.task_id, e.level, e.recipients) for e in done if e.task_id == follow.id] == [
        (follow.id, 1, ("prod_mgr",))
    ]


def test_an_opening_already_past_at_entry_opens_at_once(rt: Runtime) -> None:
    d = Driver(rt, sh(12, 2, 9))
    iid = d.start("test_dated", "merch_lead", stock_order("SO-D3", "2026-12-04"))
    follow = tasks_of(rt, iid)["Follow-up: progress against the plan"]
    assert follow.status == "open" and follow.clock_start == sh(12, 2, 9)
    assert follow.due_at == sh(12, 2, 18)


def test_a_form_date_anchors_too(rt: Runtime) -> None:
    """``stock_order.delivery_date``: a date of the start form (the packing notice, −3 WD)."""
    d = Driver(rt, MONDAY_10)
    iid = d.start("test_dated", "merch_lead", stock_order("SO-D4", "2026-12-10"))  # a Thursday
    packing = tasks_of(rt, iid)["Packing notice"]
    assert packing.status == "scheduled"
    assert packing.opens_at == sh(12, 7, 8) and packing.due_at == sh(12, 9, 18)


def test_moving_the_delivery_date_moves_scheduled_and_open_tasks_audited(rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    iid = d.start("test_dated", "merch_lead", stock_order("SO-D5", "2026-12-04"))
    # §2-like change on the same order, before the follow-up opened: Fri 12-04 → Fri 12-11
    change = d.start("test_redate", "merch_lead", {"order_no": "SO-D5"})
    d.act(change, "planner", "apply", {"new_date": "2026-12-11"})
    follow = tasks_of(rt, iid)["Follow-up: progress against the plan"]
    assert follow.status == "scheduled"
    assert (follow.opens_at, follow.due_at) == (sh(12, 8, 8), sh(12, 9, 18))
    moved = [e for e in events(rt, iid) if e.action == "deadline_moved"]
    assert len(moved) == 1 and moved[0].task_id == follow.id
    assert moved[0].changes["opens_at"] == {
        "old": sh(12, 1, 8).isoformat(), "new": sh(12, 8, 8).isoformat()
    }  # fmt: skip
    assert moved[0].detail["date"]["event"] == "apply"
    assert moved[0].actor_name != "system"  # the planner's move did it
    # the packing notice counts from the start form's date, which did not move
    assert tasks_of(rt, iid)["Packing notice"].opens_at == sh(12, 1, 8)
    assert escalate_due(rt, now=sh(12, 1, 8)) == []
    assert tasks_of(rt, iid)["Follow-up: progress against the plan"].status == "scheduled"

    # opened on Tue 12-08; then the date moves again, two days earlier: its timers move
    escalate_due(rt, now=sh(12, 8, 8))
    follow = tasks_of(rt, iid)["Follow-up: progress against the plan"]
    assert follow.status == "open" and timers(rt, follow.id)[1][0] == sh(12, 9, 18)
    d.now = sh(12, 8, 9)
    again = d.start("test_redate", "merch_lead", {"order_no": "SO-D5"})
    d.act(again, "planner", "apply", {"new_date": "2026-12-15"})  # Tue
    follow = tasks_of(rt, iid)["Follow-up: progress against the plan"]
    assert follow.status == "open"  # an open task stays open
    assert follow.due_at == sh(12, 11, 18)  # 2 WD before Tue 12-15: Fri 12-11
    assert timers(rt, follow.id)[1] == (sh(12, 11, 18), "pending")
    moved = [e for e in events(rt, iid) if e.action == "deadline_moved"]
    assert len(moved) == 2
    assert moved[1].changes["due_at"] == {
        "old": sh(12, 9, 18).isoformat(), "new": sh(12, 11, 18).isoformat()
    }  # fmt: skip
    # no move, no event: another change to the same date writes nothing
    third = d.start("test_redate", "merch_lead", {"order_no": "SO-D5"})
    d.act(third, "planner", "apply", {"new_date": "2026-12-15"})
    assert len([e for e in events(rt, iid) if e.action == "deadline_moved"]) == 2


def test_leaving_the_state_cancels_scheduled_tasks(rt: Runtime) -> None:
    d = Driver(rt, MONDAY_10)
    iid = d.start("test_dated", "merch_lead", stock_order("SO-D6", "2026-12-04"))
    with Session(rt.db) as s:
        s.exec(select(Task).where(Task.instance_id == iid)).all()
    _finish(rt, iid)
    assert {t.status for t in tasks_of(rt, iid).values()} == {"cancelled"}
    assert escalate_due(rt, now=sh(12, 3, 9)) == []


def test_opens_and_escalates_by_its_chain_each_mail_once(
    tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    rt = make_runtime(tmp_path / "g.db", smtp_url=smtp_sink.url)
    d = Driver(rt, MONDAY_10)
    iid = d.start("test_dated", "merch_lead", stock_order("SO-D7", "2026-12-04"))
    deliver_pending(rt, now=MONDAY_10)
    assert not [m for m in smtp_sink.messages if m.to == "merch@demo.gendan.local"]

    def sweep_twice(at: datetime) -> None:
        for _ in range(2):
            escalate_due(rt, now=at)
            deliver_pending(rt, now=at)

    sweep_twice(sh(12, 1, 8))  # opens: the merchandiser hears of the task once
    to_merch = [m for m in smtp_sink.messages if m.to == "merch@demo.gendan.local"]
    assert len(to_merch) == 1 and "SO-D7" in to_merch[0].subject
    sweep_twice(sh(12, 2, 13, 30))  # the 75 % reminder
    sweep_twice(sh(12, 2, 18))  # due: L1 the production manager
    level2 = sh(12, 4, 18)  # one deadline-length (18 working hours) later: L2 the GM
    sweep_twice(level2)
    escalations = [m.to for m in smtp_sink.messages if not m.subject.startswith("【新任务】")]
    assert escalations == [
        "merch@demo.gendan.local",
        "prod_mgr@demo.gendan.local",
        "gm@demo.gendan.local",
    ]
    with Session(rt.db) as s:
        esc = s.exec(
            select(AuditEvent)
            .where(AuditEvent.action.in_(("remind", "escalate")))
            .order_by(AuditEvent.seq)
        ).all()
        follow = s.exec(select(Task).where(Task.instance_id == iid, Task.role == "merchandiser"))
        follow_id = follow.one().id
        assert [(e.detail["level"], e.detail["target"]) for e in esc if e.task_id == follow_id] == [
            (0, "reminder"),
            (1, "head:production"),
            (2, "role:general_manager"),
        ]
    gm_mail = [m for m in smtp_sink.messages if m.to == "gm@demo.gendan.local"]
    assert len(gm_mail) == 1 and f"/tasks/{follow_id}" in gm_mail[0].body
    rt.db.dispose()


def _finish(rt: Runtime, iid: int) -> None:
    from gendan.db import unit_of_work
    from gendan.transitions import fire_system

    with unit_of_work(rt.db) as s:
        from gendan.models import Instance

        inst = s.get(Instance, iid)
        assert inst is not None
        fire_system(s, inst, "finish", {}, now=MONDAY_10, calendar=rt.calendar, detail={})


def _uid(s: Session, username: str) -> int:
    from gendan.models import User

    user = s.exec(select(User).where(User.username == username)).one()
    assert user.id is not None
    return user.id


def test_the_task_page_of_a_scheduled_task_says_when_it_opens(rt: Runtime) -> None:
    from api.app import create_app
    from tests.api.conftest import Clock
    from tests.api.test_pages import login
    from tests.support.app_server import serve_app

    d = Driver(rt, MONDAY_10)
    iid = d.start("test_dated", "merch_lead", stock_order("SO-D8", "2026-12-04"))
    follow = tasks_of(rt, iid)["Follow-up: progress against the plan"]
    with serve_app(create_app(rt, clock=Clock(MONDAY_10))) as base:
        merch = login(base, "merch")
        page = merch.get(f"/tasks/{follow.id}")
        order = merch.get("/orders/SO-D8")
    assert page.status_code == 200
    assert 'id="scheduled"' in page.text and "2026-12-01 08:00" in page.text
    assert "/complete" not in page.text  # nothing to decide yet
    # the order page's deadlines: not yet open, with its opening (company time)
    row = order.text.split(f'<tr data-task="{follow.id}" data-outcome="scheduled">')[1]
    row = row.split("</tr>")[0]
    assert "待开启" in row and "开启于 2026-12-01 08:00" in row


def test_a_day_off_announced_moves_a_scheduled_opening(rt: Runtime) -> None:
    from datetime import date

    from tests.engine.test_calendar_moves import announce

    d = Driver(rt, MONDAY_10)
    iid = d.start("test_dated", "merch_lead", stock_order("SO-D9", "2026-12-04"))
    announce(rt, date(2026, 12, 1), False, MONDAY_10)  # the opening day becomes a day off
    follow = tasks_of(rt, iid)["Follow-up: progress against the plan"]
    assert follow.status == "scheduled"
    assert (follow.opens_at, follow.due_at) == (sh(11, 30, 8), sh(12, 2, 18))  # 3 WD: Mon
    moved = [e for e in events(rt, iid) if e.action == "deadline_moved" and e.task_id == follow.id]
    assert len(moved) == 1 and moved[0].detail["scheduled"] and "calendar" in moved[0].detail


def test_a_date_in_a_plan_row_anchors_a_task(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """``plan.rows.packing.start``: the packing line's start in the plan's rows."""
    from gendan.demo import order_form
    from tests.engine.plan_driver import act

    mechanisms.use_rows(monkeypatch)
    d = Driver(rt, MONDAY_10)
    d.start("order_review", "clerk", order_form("SO-D10", "regular", now=MONDAY_10))
    iid = d.start("test_lines", "prod_mgr", {"order_no": "SO-D10"})
    rows = [
        {"line": "assembly", "start": "2026-12-01", "finish": "2026-12-07", "qty": 5,
         "signer": "周勇"},
        {"line": "packing", "start": "2026-12-10", "finish": "2026-12-10", "qty": 5,
         "signer": "孔亮"},
    ]  # fmt: skip
    act(d, iid, "prod_mgr", "plan", {"rows": rows})
    packing = tasks_of(rt, iid)["Packing notice"]
    assert packing.status == "scheduled"
    assert (packing.opens_at, packing.due_at) == (sh(12, 7, 8), sh(12, 9, 18))  # Thu −3, −1 WD
