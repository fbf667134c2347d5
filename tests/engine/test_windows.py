"""A window that closes by itself (Window): silence is consent after 1 WD; an objection
fires at once and closes the other recipients' tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from gendan.demo import Driver, order_form
from gendan.errors import IllegalTransition
from gendan.escalation import escalate_due
from gendan.models import Task
from gendan.runtime import Runtime
from tests.engine import mechanisms
from tests.engine.helpers import events, instance

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Shanghai 10:00
TUESDAY_10 = MONDAY_10 + timedelta(days=1)


@pytest.fixture(autouse=True)
def _procedures(monkeypatch: pytest.MonkeyPatch) -> None:
    mechanisms.use(monkeypatch)


def window(rt: Runtime, no: str) -> tuple[Driver, int]:
    d = Driver(rt, MONDAY_10)
    d.start("order_review", "clerk", order_form(no, "regular", now=MONDAY_10))
    return d, d.start("test_window", "prod_mgr", {"order_no": no})


def tasks(rt: Runtime, iid: int) -> list[Task]:
    with Session(rt.db) as s:
        return list(s.exec(select(Task).where(Task.instance_id == iid).order_by(Task.id)).all())


def test_every_recipient_may_object_until_the_window_closes(rt: Runtime) -> None:
    _, iid = window(rt, "SO-W1")
    ts = tasks(rt, iid)
    assert [(t.status, t.decisions, t.chain) for t in ts] == [("open", ["objected"], [])] * 2
    assert {t.due_at for t in ts} == {TUESDAY_10}  # 1 WD from entering the window
    assert all("silence is consent" in t.deadline_en for t in ts)


def test_silence_closes_the_window_as_accepted_once(rt: Runtime) -> None:
    _, iid = window(rt, "SO-W2")
    escalate_due(rt, now=TUESDAY_10 - timedelta(minutes=1))  # (the order's review reminds)
    assert instance(rt, iid).state == "window"
    escalate_due(rt, now=TUESDAY_10)
    escalate_due(rt, now=TUESDAY_10)  # twice: fired once
    inst = instance(rt, iid)
    assert inst.state == "accepted_plan" and inst.closed_at == TUESDAY_10
    assert {t.status for t in tasks(rt, iid)} == {"cancelled"}
    trail = events(rt, iid)
    closed = [e for e in trail if e.action == "window_closed"]
    moves = [e for e in trail if e.action == "transition"]
    assert len(closed) == 1 and len(moves) == 1
    assert closed[0].actor_name == "system" and closed[0].detail["by_silence"] is True
    assert closed[0].reason == "无异议视为接受 / no objection: accepted by silence"
    assert sorted(closed[0].detail["silent"]) == ["dept_head@engineering", "dept_head@purchasing"]
    assert moves[0].actor_id is None and moves[0].detail["event"] == "accepted"
    assert moves[0].detail["by_silence"] is True and moves[0].to_state == "accepted_plan"


def test_an_objection_fires_at_once_and_closes_the_others(rt: Runtime) -> None:
    d, iid = window(rt, "SO-W3")
    d.now = MONDAY_10 + timedelta(hours=1)
    d.act(iid, "purch_lead", "objected", reason="到货日期排不下 / the purchase date is too early")
    assert instance(rt, iid).state == "settling"
    assert sorted(t.status for t in tasks(rt, iid) if t.state == "window") == [
        "cancelled",
        "done",
    ]
    escalate_due(rt, now=TUESDAY_10)  # the window's close passes: nothing fires
    assert instance(rt, iid).state == "settling"
    assert not [e for e in events(rt, iid) if e.action == "window_closed"]


def test_a_recipient_cannot_accept_for_everyone(rt: Runtime) -> None:
    d, iid = window(rt, "SO-W4")
    with pytest.raises(IllegalTransition):
        d.act(iid, "eng_head", "accepted")
    assert instance(rt, iid).state == "window"
    assert {t.status for t in tasks(rt, iid)} == {"open"}


def test_a_day_off_announced_moves_the_windows_close(rt: Runtime) -> None:
    from datetime import date

    from tests.engine.test_calendar_moves import announce

    _, iid = window(rt, "SO-W5")
    announce(rt, date(2026, 11, 24), False, MONDAY_10 + timedelta(minutes=30))  # Tuesday off
    wednesday_10 = TUESDAY_10 + timedelta(days=1)
    assert {t.due_at for t in tasks(rt, iid)} == {wednesday_10}
    moved = [e for e in events(rt, iid) if e.action == "deadline_moved"]
    assert len(moved) == 2 and all(e.detail["window"] for e in moved)
    escalate_due(rt, now=TUESDAY_10)
    assert instance(rt, iid).state == "window"
    escalate_due(rt, now=wednesday_10)
    assert instance(rt, iid).state == "accepted_plan"


def test_the_catalogue_describes_the_window_and_its_tasks() -> None:
    from gendan.describe import procedure_catalogue

    proc = next(p for p in procedure_catalogue() if p["key"] == "test_window")
    window = next(s for s in proc["states"] if s["id"] == "window")
    assert window["window"]["on_silence"] == "accepted"
    assert window["window"]["objection"] == "objected"
    assert window["window"]["deadline"]["kind"] == "WD"
