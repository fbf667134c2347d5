"""§5a PPE (003 5.1.1E) through the engine, real DB, time injected: the monthly usage (the
workshop lists, the plant confirms, the director approves) feeding the weekly orders; one
order per ISO week started by the Monday schedule (once, also when run again), the MC's order
(1 WD*), the keeper's issue task opening on the week's Saturday (a rest-day Saturday: the
working day before); each deadline's mails once after sweeping twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.errors import InvalidForm
from gendan.escalation import escalate_due
from gendan.models import Instance
from gendan.runtime import Runtime
from gendan.schedules import run_due
from gendan.settings import get_settings
from tests.conftest import make_runtime
from tests.engine.measures_data import at
from tests.engine.plan_driver import tasks_of
from tests.flows.test_plan_deadline_mail import Deadlines
from tests.support.servers import SmsGateway, SmtpSink

ORDER = {"week": "2026-W49", "rows": [
    {"item": "劳保手套", "department": "workshop", "qty": 120},
    {"item": "防尘口罩", "department": "workshop", "qty": 200},
]}  # fmt: skip


def start(rt: Runtime, when) -> list:  # noqa: ANN001
    with unit_of_work(rt.db) as s:
        return run_due(s, when, rt.calendar, only="ppe_order")


def test_weekly_order_and_saturday_issue(rt: Runtime) -> None:
    [run] = start(rt, at(11, 30, 8, 5))  # Monday of 2026-W49
    assert (run.period, run.outcome) == ("2026-W49", "started")
    assert start(rt, at(12, 2, 9)) == []  # the same week: nothing more
    [iid] = run.instance_ids
    with Session(rt.db) as s:
        assert s.get(Instance, iid).data["ppe"]["issue_date"] == "2026-12-05"  # Saturday
    d = Driver(rt, at(11, 30, 10))
    with pytest.raises(InvalidForm) as wrong:
        d.act(iid, "mc", "place_order", {**ORDER, "week": "2026-W50"})
    assert set(wrong.value.errors) == {"week"}
    d.act(iid, "mc", "place_order", ORDER)
    [issue] = tasks_of(d, iid, "scheduled")
    saturday = date(2026, 12, 5)
    day = saturday if rt.calendar.is_working_day(saturday) else date(2026, 12, 4)
    assert issue.opens_at.astimezone(rt.calendar.zone).date() == day
    d.now = issue.opens_at
    escalate_due(rt, now=d.now)  # the sweep opens the date-anchored task
    d.act(iid, "keeper", "issue", {"issued_all": True})
    with Session(rt.db) as s:
        assert s.get(Instance, iid).state == "issued"


@pytest.fixture
def walk(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> Iterator[Callable[[], tuple[Driver, Deadlines]]]:
    def make() -> tuple[Driver, Deadlines]:
        rt = make_runtime(tmp_path / "p.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
        d = Driver(rt, at(11, 30, 8, 5))
        return d, Deadlines(d, smtp_sink)

    yield make
    get_settings.cache_clear()


def test_ppe_deadlines_mail_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:
    d, dl = walk()
    [run] = start(d.rt, d.now)
    [iid] = run.instance_ids
    dl.run(iid)  # the MC's order: 1 WD*
    d.act(iid, "mc", "place_order", ORDER)
    dl.until_open(iid, "warehouse_keeper")
    dl.run(iid)  # the keeper: that Saturday (or the working day before)
    assert len(dl.checked) == 2


USAGE = {"month": "2026-12", "rows": [
    {"item": "劳保手套", "department": "workshop", "qty": 400},
    {"item": "防尘口罩", "department": "workshop", "qty": 900},
]}  # fmt: skip


def approved_usage(rt: Runtime) -> int:
    with unit_of_work(rt.db) as s:
        [run] = run_due(s, at(11, 20, 8, 5), rt.calendar, only="ppe_usage")
    [iid] = run.instance_ids
    d = Driver(rt, at(11, 20, 9))
    with pytest.raises(InvalidForm) as wrong:
        d.act(iid, "workshop", "submit_usage", {**USAGE, "month": "2027-01"})
    assert set(wrong.value.errors) == {"month"}
    d.act(iid, "workshop", "submit_usage", USAGE)
    d.act(iid, "prod_mgr", "plant_confirms", {})
    d.act(iid, "deputy", "approve", {"remark": "同意"})
    return iid


def test_monthly_usage_approved_feeds_the_weekly_orders(rt: Runtime) -> None:
    iid = approved_usage(rt)
    with Session(rt.db) as s:
        assert s.get(Instance, iid).state == "approved"
        assert s.get(Instance, iid).subject_key == "2026-12"
    [run] = start(rt, at(12, 7, 8, 5))  # Monday of 2026-W50, in December
    with Session(rt.db) as s:
        rows = s.get(Instance, run.instance_ids[0]).data["ppe"]["rows"]
    # December 2026 has four Mondays (7, 14, 21, 28): 400 / 4 = 100, 900 / 4 = 225
    assert [(r["item"], r["qty"]) for r in rows] == [("劳保手套", 100.0), ("防尘口罩", 225.0)]


def test_usage_deadlines_mail_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:
    d, dl = walk()
    d.now = at(11, 20, 8, 5)
    with unit_of_work(d.rt.db) as s:
        [run] = run_due(s, d.now, d.rt.calendar, only="ppe_usage")
    [iid] = run.instance_ids
    dl.run(iid)  # the workshop's usage: 1 WD*
    d.act(iid, "workshop", "submit_usage", USAGE)
    dl.run(iid)  # plant: 4 WH*
    d.act(iid, "prod_mgr", "plant_confirms", {})
    dl.run(iid)  # director: 4 WH*
    assert len(dl.checked) == 3


def test_a_week_started_by_hand_is_left_alone(rt: Runtime) -> None:
    """The MC started 2026-W49 on Sunday: Monday's schedule records the week existing and
    starts nothing (no one-open-per-week refusal, no second order)."""
    Driver(rt, at(11, 29, 16)).start("ppe_order", "mc", {"week": "2026-W49"})
    [run] = start(rt, at(11, 30, 8, 5))
    assert (run.period, run.outcome, run.instance_ids) == ("2026-W49", "existing", [])
    assert start(rt, at(11, 30, 9)) == []
