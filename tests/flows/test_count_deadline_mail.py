"""Every deadline of §7 (stocktaking) and of the ABC classification sends its reminder and its
escalation by real e-mail to the loopback SMTP sink, each exactly once though the sweep and the
delivery run twice at every instant: organising and finance's agreement (count day −2/−1 WD),
the lists issued by the set time, the count and its supervision (当天), the finance director's
review (4 WH*), the variance report (1 WD*), the GM's approval (4 WH*) and the PMC manager's
confirmation of the ABC result (4 WH*)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gendan import jobs
from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.settings import get_settings
from gendan.system_starts import start_by_system
from tests.conftest import make_runtime
from tests.engine.count_driver import (
    PLAN,
    SET_TIME,
    items_in_stock,
    local,
    round_form,
    start_count,
)
from tests.engine.plan_driver import state
from tests.flows.test_plan_deadline_mail import Deadlines
from tests.support.servers import SmsGateway, SmtpSink

COUNTED = {"RM-BOLT": 500, "RM-PAINT": 39, "RM-STEEL": 100}


@pytest.fixture
def walk(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> Iterator[Callable[[], tuple[Driver, Deadlines]]]:
    made: list[object] = []

    def make() -> tuple[Driver, Deadlines]:
        rt = make_runtime(
            tmp_path / f"c{len(made)}.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url
        )
        made.append(rt)
        d = Driver(rt, local(2026, 11, 23, 10))
        items_in_stock(d, d.now)
        return d, Deadlines(d, smtp_sink)

    yield make
    get_settings.cache_clear()


def test_every_count_deadline_mails_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:
    d, dl = walk()
    iid = start_count(d)
    dl.run(iid)  # organising: opens count day −2 WD, due −1 WD (reminder, L1, L2)
    d.act(iid, "keeper", "organise", PLAN)
    dl.run(iid)  # finance agrees: the same window, already passed
    d.act(iid, "finance", "agree_plan", {"snapshot_at": SET_TIME.isoformat()})
    jobs.run_due(d.rt, now=d.now)  # [A] the lists
    dl.run(iid)  # the lists, due at the set time
    d.act(iid, "keeper", "issue_lists")
    dl.run(iid)  # round 1 on the count day (当天)
    d.act(iid, "wh_staff", "count_round", round_form(1, COUNTED))
    dl.run(iid)  # finance supervises (当天)
    d.act(iid, "finance", "supervise")
    jobs.run_due(d.rt, now=d.now)
    assert state(d, iid) == "counting"  # the full second round
    d.act(iid, "keeper", "count_round", round_form(2, COUNTED, counter="keeper"))
    d.act(iid, "finance", "supervise")
    jobs.run_due(d.rt, now=d.now)
    assert state(d, iid) == "sheet_review"
    dl.run(iid)  # 盘点单审核: 4 WH*
    d.act(iid, "fin_dir", "review_sheet")
    dl.run(iid)  # variance report: 1 WD*
    d.act(iid, "finance", "report_variance", {"reconciled": True, "analysis": "无差异 / none"})
    dl.run(iid)  # the GM approves: 4 WH* (no level above the GM: the breach reminds him)
    assert {s for s, _ in dl.checked} == {
        "organising", "plan_check", "issuing", "counting", "supervising", "sheet_review",
        "reconciling", "approval",
    }  # fmt: skip


def test_the_abc_confirmation_deadline_mails_once(
    walk: Callable[[], tuple[Driver, Deadlines]],
) -> None:
    d, dl = walk()
    with unit_of_work(d.rt.db) as s:
        inst = start_by_system(s, procedure="abc_classification",
                               form_data={"year": "2026", "until": "2026-11-22"}, now=d.now,
                               calendar=d.rt.calendar, cause={"test": True})  # fmt: skip
        iid = inst.id
    assert iid is not None
    jobs.run_due(d.rt, now=d.now)
    assert state(d, iid) == "reviewing"
    dl.run(iid)
    assert dl.checked == [("reviewing", "审核 ABC 分类结果并确认")]
