"""§9 "Also": the QA head checks daily and moves inspectors when overtime is not enough
(001M 2.2.5(1)) — one check per working day while quality exceptions are open, started by the
schedule, due the same day; through the engine, a real database and injected time."""

from __future__ import annotations

import pytest

from gendan import schedules
from gendan.db import unit_of_work
from gendan.demo import Driver, order_form
from gendan.errors import InvalidForm
from tests.engine.helpers import instance, open_tasks
from tests.engine.plan_driver import local
from tests.engine.test_after_sales import informed
from tests.engine.test_quality_exception import record


def run(d: Driver) -> list[schedules.PeriodRun]:
    with unit_of_work(d.rt.db) as s:
        return schedules.run_due(s, d.now, d.rt.calendar, only="quality_daily_check")


def test_one_check_per_working_day_while_exceptions_are_open(driver: Driver) -> None:
    d = driver
    d.now = local(2026, 11, 23, 8, 5)  # Monday: nothing open, no check
    [quiet] = run(d)
    assert (quiet.outcome, quiet.instance_ids) == ("gated", [])
    d.start("order_review", "clerk", order_form("SO-QD1", "regular", now=d.now))
    d.now = local(2026, 11, 23, 9, 10)
    d.start("quality_exception", "iqc", record("SO-QD1", local(2026, 11, 23, 9)))
    d.now = local(2026, 11, 24, 8, 5)  # Tuesday 08:05
    [started] = run(d)
    assert (started.outcome, started.period) == ("started", "2026-11-24")
    assert run(d) == []  # once a day, however often the runner comes
    [iid] = started.instance_ids
    inst = instance(d.rt, iid)
    assert (inst.subject_kind, inst.subject_key) == ("qa_day", "2026-11-24")
    (task,) = open_tasks(d.rt, iid)
    assert (task.role, task.due_at) == ("qa_lead", local(2026, 11, 24, 18))  # 当天
    with pytest.raises(InvalidForm) as bad:  # overtime not enough: name the moves
        d.act(iid, "qa_lead", "record_check", {"open_reviewed": True, "overtime_enough": False})
    assert "moves" in bad.value.errors
    move = {"inspector": "罗琳", "from_post": "成品检验", "to_post": "来料检验"}
    d.act(iid, "qa_lead", "record_check",
          {"open_reviewed": True, "overtime_enough": False, "moves": [move]})  # fmt: skip
    assert instance(d.rt, iid).state == "check_recorded"
    assert instance(d.rt, iid).data["forms"]["record_check"]["moves"] == [move]
    assert informed(d, iid) == ["iqc"]  # the inspectors hear of the move


def test_overtime_enough_moves_nobody(driver: Driver) -> None:
    d = driver
    d.start("order_review", "clerk", order_form("SO-QD3", "regular", now=d.now))
    d.start("quality_exception", "iqc", record("SO-QD3", d.now))
    iid = d.start("quality_daily_check", "qa_lead", {"day": d.now.date().isoformat()})
    d.act(iid, "qa_lead", "record_check", {"open_reviewed": True, "overtime_enough": True})
    assert instance(d.rt, iid).state == "check_recorded" and informed(d, iid) == []


def test_no_check_on_a_day_off(driver: Driver) -> None:
    d = driver
    d.start("order_review", "clerk", order_form("SO-QD2", "regular", now=d.now))
    d.start("quality_exception", "iqc", record("SO-QD2", d.now))
    d.now = local(2026, 11, 28, 8, 5)  # Saturday
    [sat] = run(d)
    assert (sat.outcome, sat.instance_ids) == ("gated", [])
