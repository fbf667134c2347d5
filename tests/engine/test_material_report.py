"""§5k monthly material in/out report (003 5.12) through the engine, real DB, time injected:
started by the schedule on the 1st with the month's movements per item (company-time month,
counted by hand below), prepared by the MC, approved by the PMC manager, read by the GM; the
three deadlines (次月5日前*) mail their reminder and escalation once after sweeping twice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import Session

from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.models import Instance, Item
from gendan.runtime import Runtime
from gendan.schedules import run_due
from gendan.settings import get_settings
from gendan.stock import move
from tests.conftest import make_runtime
from tests.engine.helpers import open_tasks
from tests.engine.measures_data import at
from tests.flows.test_plan_deadline_mail import Deadlines
from tests.support.servers import SmsGateway, SmtpSink

MOVES = [  # (instant, qty, kind)
    (at(10, 31, 23, 30), 50, "receipt"),  # October in company time (15:30 UTC)
    (at(11, 5), 100, "receipt"),
    (at(11, 10), -30, "issue"),
    (at(11, 12), 5, "return"),
    (at(11, 20), -10, "supplier_return"),
    (at(11, 25), -2, "adjust"),
    (at(12, 1, 0, 30), -7, "issue"),  # December in company time (Nov 30 16:30 UTC)
]
#: By hand: received 100, issued 30, returns +5 −10 = −5, adjusted −2, net 100−30+5−10−2 = 63.
NOVEMBER = {"item": "M-001", "received": 100.0, "issued": 30.0, "returned": -5.0,
            "adjusted": -2.0, "net": 63.0}  # fmt: skip


def load(rt: Runtime) -> None:
    with unit_of_work(rt.db) as s:
        s.add(Item(code="M-001", name="冷轧板 1.0mm"))
        s.flush()
        for when, qty, kind in MOVES:
            move(s, item_code="M-001", qty=qty, kind=kind, now=when, calendar=rt.calendar)


def start(rt: Runtime) -> int:
    with unit_of_work(rt.db) as s:
        [run] = run_due(s, at(12, 1, 8, 5), rt.calendar, only="material_report")
    [iid] = run.instance_ids
    return iid


def test_report_counts_the_month_and_goes_to_management(rt: Runtime) -> None:
    load(rt)
    iid = start(rt)
    with Session(rt.db) as s:
        report = s.get(Instance, iid).data["report"]
    assert (report["month"], report["due_date"]) == ("2026-11", "2026-12-05")
    assert report["rows"] == [NOVEMBER]
    [task] = open_tasks(rt, iid)
    assert (task.role, task.due_at) == ("material_controller", at(12, 4, 18))  # Sat → Fri
    d = Driver(rt, at(12, 2, 10))
    d.act(iid, "mc", "submit", {"note": "冷轧板退供应商 10 张"})
    d.act(iid, "pmc", "approve", {"note": "同意"})
    [gm_task] = open_tasks(rt, iid)
    assert gm_task.role == "general_manager"
    d.act(iid, "gm", "read", {})
    with Session(rt.db) as s:
        assert s.get(Instance, iid).state == "done"


@pytest.fixture
def walk(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> Callable[[], tuple[Driver, Deadlines]]:
    def make() -> tuple[Driver, Deadlines]:
        rt = make_runtime(tmp_path / "r.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
        d = Driver(rt, at(12, 1, 8, 5))
        return d, Deadlines(d, smtp_sink)

    yield make  # type: ignore[misc]
    get_settings.cache_clear()


def test_report_deadlines_mail_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:
    d, dl = walk()
    load(d.rt)
    iid = start(d.rt)
    dl.run(iid)
    d.act(iid, "mc", "submit", {})
    dl.run(iid)
    d.act(iid, "pmc", "approve", {})
    dl.run(iid)
    assert len(dl.checked) == 3
    told = {m.to.split("@")[0] for m in dl.sink.messages if "升级 L1" in m.subject}
    assert "mc_head" in told, [m.subject for m in dl.sink.messages]
