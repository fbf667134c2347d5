"""Scheduled starts (issue 10 mechanism 2) and the purchase on-time rate (§5k, 003 5.5.7),
through the engine against a real database with time injected.

"Done when": a scheduled start missed during downtime runs once after restart — the
catch-up is run as of two instants (and twice at the same instant); and the month's rate
matches the hand count in ``measures_data`` and is approved by the PMC manager.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.errors import InvalidForm
from gendan.models import Instance, Measure, ScheduleRun, Task
from gendan.runtime import Runtime
from gendan.schedules import (
    Declared,
    _start_period,
    declared,
    latest_firing,
    period_label,
    run_due,
)
from tests.engine.helpers import events, open_tasks, snapshot
from tests.engine.measures_data import HAND_COUNT, at, build


def run(rt: Runtime, now: datetime) -> list:
    with unit_of_work(rt.db) as s:
        return run_due(s, now, rt.calendar, only="purchase_on_time")


def runs(rt: Runtime) -> list[tuple[str, str, int]]:
    with Session(rt.db) as s:
        rows = s.exec(select(ScheduleRun).order_by(ScheduleRun.period)).all()
        return [(r.period, r.outcome, len(r.instance_ids)) for r in rows]


def instances(rt: Runtime) -> list[tuple[str, str]]:
    with Session(rt.db) as s:
        rows = s.exec(select(Instance).where(Instance.procedure == "purchase_on_time")).all()
        return sorted((i.subject_key, i.state) for i in rows)


def test_cron_in_company_time() -> None:
    [item] = [d for d in declared() if d.spec.key == "purchase_on_time"]
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")
    # 08:00 Shanghai on the 1st is 00:00 UTC; a minute before, the firing is last month's
    assert latest_firing(item.spec, at(12, 1, 8), zone) == datetime(2026, 12, 1, 0, tzinfo=UTC)
    assert latest_firing(item.spec, at(12, 1, 7, 59), zone) == datetime(2026, 11, 1, 0, tzinfo=UTC)
    assert period_label(datetime(2026, 12, 28), "week") == "2026-W53"
    assert period_label(datetime(2026, 11, 30), "quarter") == "2026-Q4"


def test_missed_start_runs_once_after_downtime(rt: Runtime) -> None:
    """Up on Nov 2 (October's rate starts), down over Dec 1, back on Dec 3: November's
    start runs once — at the first instant and never again at it or a later one."""
    first = run(rt, at(11, 2, 9))
    assert [(r.period, r.outcome) for r in first] == [("2026-11", "started")]
    assert instances(rt) == [("2026-10", "compiling")]
    assert run(rt, at(11, 20, 9)) == []  # same period: nothing
    back = run(rt, at(12, 3, 9))  # restart after the downtime
    assert [(r.period, r.outcome) for r in back] == [("2026-12", "started")]
    assert run(rt, at(12, 3, 9)) == []  # twice at the same instant
    assert run(rt, at(12, 3, 15)) == []  # and at a later one
    assert instances(rt) == [("2026-10", "compiling"), ("2026-11", "compiling")]
    assert runs(rt) == [("2026-11", "started", 1), ("2026-12", "started", 1)]
    with Session(rt.db) as s:  # no PO line was due in October or November: no rate at all
        assert s.exec(select(Measure)).all() == []
    with Session(rt.db) as s:
        inst = s.exec(select(Instance).where(Instance.subject_key == "2026-11")).one()
    [start] = [e for e in events(rt, inst.id) if e.to_state == "compiling"]
    assert start.detail["started_by_system"]["schedule"] == "purchase_on_time"
    assert start.detail["started_by_system"]["period"] == "2026-12"


def test_catch_up_starts_only_the_latest_period(rt: Runtime) -> None:
    """Down from Nov 2 to Feb 2: December's and January's firings were missed; January's
    (the latest) starts, December's is recorded skipped — once, however often it runs."""
    run(rt, at(11, 2, 9))
    back = run(rt, datetime(2027, 2, 2, 1, tzinfo=UTC))
    assert [(r.period, r.outcome) for r in back] == [
        ("2026-12", "skipped"),
        ("2027-01", "skipped"),
        ("2027-02", "started"),
    ]
    assert run(rt, datetime(2027, 2, 2, 1, tzinfo=UTC)) == []
    assert runs(rt) == [
        ("2026-11", "started", 1),
        ("2026-12", "skipped", 0),
        ("2027-01", "skipped", 0),
        ("2027-02", "started", 1),
    ]
    assert instances(rt) == [("2026-10", "compiling"), ("2027-01", "compiling")]


def test_two_runners_start_a_period_once(rt: Runtime) -> None:
    """The second runner's insert of the same (schedule, period) fails: its savepoint rolls
    back and nothing is started twice."""
    [item] = [d for d in declared() if d.spec.key == "purchase_on_time"]
    due, now = datetime(2026, 12, 1, tzinfo=UTC), at(12, 1, 9)
    with Session(rt.db) as a:
        won = _start_period(a, item, "2026-12", due, now, rt.calendar)
        a.commit()
    with Session(rt.db) as b:
        lost = _start_period(b, Declared(item.procedure, item.spec), "2026-12", due, now,
                             rt.calendar)  # fmt: skip
        b.commit()
    assert (won.outcome, len(won.instance_ids)) == ("started", 1)
    assert (lost.outcome, lost.instance_ids) == ("taken", [])
    assert instances(rt) == [("2026-11", "compiling")]


def test_on_time_rate_matches_hand_count_and_is_approved(rt: Runtime) -> None:
    build(rt)
    [started] = run(rt, at(12, 1, 8, 5))
    [iid] = started.instance_ids
    with Session(rt.db) as s:
        inst = s.get(Instance, iid)
        report = inst.data["report"]
        measure = s.exec(
            select(Measure).where(Measure.kind == "purchase_on_time", Measure.subject == "")
        ).one()
    assert {k: report[k] for k in HAND_COUNT} == HAND_COUNT
    assert report["due_date"] == "2026-12-03"
    late = {(r["po_no"], r["line_no"]) for r in report["rows"] if not r["on_time"]}
    assert late == {("PO-T1", 3), ("PO-T2", 1)}
    assert (measure.period, measure.value, measure.status) == ("2026-11", 50.0, "computed")
    [task] = open_tasks(rt, iid)
    assert task.role == "material_controller"
    assert task.due_at == at(12, 3, 18)  # 次月3日前: the end of working hours on Dec 3
    d = Driver(rt, at(12, 2, 10))
    d.act(iid, "mc", "submit", {"analysis": "PO-T1/3 分批到货；PO-T2/1 供应商产能不足"})
    d.act(iid, "pmc", "approve")
    with Session(rt.db) as s:
        measure = s.exec(
            select(Measure).where(Measure.kind == "purchase_on_time", Measure.subject == "")
        ).one()
        assert s.get(Instance, iid).state == "approved"
        still_open = select(Task).where(Task.instance_id == iid, Task.status == "open")
        assert s.exec(still_open).all() == []
    assert (measure.value, measure.status) == (50.0, "approved")
    with Session(rt.db) as s:  # the buyers' KPI (003 5.5.7): PO-T1's buyer, 2 of 3 on time
        mine = s.exec(select(Measure).where(Measure.subject == "buyer")).one()
    assert (mine.value, mine.detail["lines_due"], mine.status) == (66.7, 3, "approved")
    assert measure.approved_by_id is not None


def test_a_failing_schedule_blocks_nothing_and_is_tried_again(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A form function that raises: its period is not recorded (tried again on the next run),
    the other schedules due at the same instant still start."""
    from states.purchase_on_time import PurchaseOnTime, last_month

    def broken(period: str, due: datetime) -> dict:
        raise RuntimeError("the form function is broken")

    spec = PurchaseOnTime.schedules[0]
    monkeypatch.setattr(PurchaseOnTime, "schedules", (replace(spec, form=broken),))
    with unit_of_work(rt.db) as s:
        done = run_due(s, at(12, 1, 8, 5), rt.calendar)
    outcome = {r.schedule: (r.outcome, r.error) for r in done}
    assert outcome["purchase_on_time"] == ("failed", "RuntimeError: the form function is broken")
    assert outcome["material_report"][0] == "started"
    assert runs(rt) and ("2026-12", "started", 1) in runs(rt)
    monkeypatch.setattr(PurchaseOnTime, "schedules", (replace(spec, form=last_month),))
    assert [(r.period, r.outcome) for r in run(rt, at(12, 1, 9))] == [("2026-12", "started")]


def test_every_declared_gate_and_fanout_is_registered() -> None:
    """A schedule naming a gate or fan-out whose module ``run_due`` does not import would fail
    every run (``gendan.schedules.PROVIDER_MODULES``)."""
    from gendan.schedules import FANOUTS, GATES, load_providers

    load_providers()
    for item in declared():
        assert item.spec.when is None or item.spec.when in GATES, item.spec.key
        assert item.spec.each is None or item.spec.each in FANOUTS, item.spec.key


def test_a_month_started_by_hand_is_not_started_again(rt: Runtime) -> None:
    """The MC counted November by hand: the schedule on Dec 1 records the period gated; an
    approved month is final (a new instance for it is refused on the month, nothing written)."""
    build(rt)
    d = Driver(rt, at(11, 30, 17))
    iid = d.start("purchase_on_time", "mc", {"month": "2026-11"})
    [gated] = run(rt, at(12, 1, 8, 5))
    assert (gated.period, gated.outcome, gated.instance_ids) == ("2026-12", "gated", [])
    d.now = at(12, 1, 9)
    d.act(iid, "mc", "submit", {"analysis": "—"})
    d.act(iid, "pmc", "approve")
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as refused:
        d.start("purchase_on_time", "mc", {"month": "2026-11"})
    assert set(refused.value.errors) == {"month"}
    assert snapshot(rt) == before
