"""Every deadline of §6 (outsourcing, the pick-up list, the subcontractor's month) sends its
reminder and its escalation by real e-mail to the loopback SMTP sink, each exactly once though
the sweep and the delivery run twice at every instant: the group GM's approval, the plan, the
contract, purchasing, both levels' steps (the subcontractor's waits included: their internal
act keeps its 1 WD*), the 当天 review and preparation of a pick-up list and the pick-up day,
and the 挂账单 and leftover list by 次月5日前*."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from gendan import demo_outsourcing as demo
from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.settings import get_settings
from gendan.system_starts import start_by_system
from states.outsourcing_statement import month_form
from tests.conftest import MONDAY_10, make_runtime
from tests.engine.plan_driver import state
from tests.flows.test_plan_deadline_mail import Deadlines
from tests.support.servers import SmsGateway, SmtpSink

NEED = demo.date(2026, 12, 20)


@pytest.fixture
def walk(tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway) -> Iterator[Deadlines]:
    rt = make_runtime(tmp_path / "g.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
    d = Driver(rt, MONDAY_10)
    with unit_of_work(rt.db) as s:
        demo.seed_master(s, now=d.now, calendar=rt.calendar)
    yield Deadlines(d, smtp_sink)
    get_settings.cache_clear()


def step(dl: Deadlines, iid: int, who: str, event: str, form: dict | None = None) -> None:
    """Let the state's deadlines pass (mails checked once each), then act."""
    dl.run(iid)
    dl.d.act(iid, who, event, form)


def test_material_level_deadlines_mail_once(walk: Deadlines) -> None:
    dl, d = walk, walk.d
    iid = d.start("outsourcing", "gm", demo.request("material"))
    step(dl, iid, "group_gm", "approve")
    step(dl, iid, "planner", "plan", demo.plan("material", NEED))
    step(dl, iid, "gm", "sign_contract", demo.CONTRACT)
    step(dl, iid, "buyer", "execute")
    step(dl, iid, "planner", "place_order", demo.order(NEED))
    step(dl, iid, "outsource", "subcontractor_confirmed", {"confirmed_on": d.now.date().isoformat(),
                                             "contact": "王厂长"})  # fmt: skip
    step(dl, iid, "keeper", "issue_material", {"rows": [{"item_code": demo.SHEET, "qty": 20}]})
    step(dl, iid, "outsource", "arrived", {"rows": [{"item_code": demo.CASE, "qty": 10}]})
    step(dl, iid, "iqc", "failed", {"rows": [{"item_code": demo.CASE, "good": 0, "loss": 10}]})
    step(dl, iid, "outsource", "return_goods", {"rows": [{"item_code": demo.CASE, "qty": 10}],
                                                "reason": "尺寸超差"})  # fmt: skip
    d.act(iid, "outsource", "arrived", {"rows": [{"item_code": demo.CASE, "qty": 10}]})
    step(dl, iid, "iqc", "inspection_passed", {"rows": [{"item_code": demo.CASE, "good": 10}]})
    step(dl, iid, "keeper", "stock_in", {"rows": [{"item_code": demo.CASE, "qty": 10}]})
    step(dl, iid, "outsource", "invoice", {"invoice_no": "FP-1", "amount": 125})
    assert state(d, iid) == "done"
    assert len({s for s, _ in dl.checked}) == 12  # every waiting state of the path


def test_operation_level_deadlines_mail_once(walk: Deadlines) -> None:
    dl, d = walk, walk.d
    iid = demo.to_execution(d, "operation", NEED)
    step(dl, iid, "buyer", "execute")
    step(dl, iid, "outsource", "process_order", {**demo.PROCESS_ORDER, "issue_batch": 10})
    step(dl, iid, "workshop", "report_done", {"done_qty": 10})
    step(dl, iid, "outsource", "issue_batch", {"rows": [{"item_code": demo.FRAME, "qty": 10}]})
    step(dl, iid, "outsource", "received", {"rows": [{"item_code": demo.FRAME, "qty": 10}]})
    step(dl, iid, "iqc", "inspected", {"rows": [{"item_code": demo.FRAME, "good": 10}]})
    step(dl, iid, "outsource", "invoice", {"invoice_no": "FP-2", "amount": 30})
    assert state(d, iid) == "done"
    assert {s for s, _ in dl.checked} >= {"op_batch", "op_calling", "op_processing",
                                          "op_inspecting", "op_invoicing"}  # fmt: skip


def test_pickup_and_month_deadlines_mail_once(walk: Deadlines) -> None:
    dl, d = walk, walk.d
    iid = d.start("subcon_pickup", "outsource",
                  demo.pickup_list(d.now, d.now.date() + timedelta(days=1)))  # fmt: skip
    step(dl, iid, "outsource", "transfer", {"rows": [{"item_code": demo.SHEET, "qty": 10}]})
    step(dl, iid, "keeper", "prepared")
    step(dl, iid, "keeper", "picked_up")
    assert state(d, iid) == "done"
    assert {s for s, _ in dl.checked} == {"reviewing", "preparing", "pickup"}
    d.now = demo.datetime(2026, 12, 1, 0, 0, tzinfo=MONDAY_10.tzinfo)  # 08:00 in Shanghai
    form = {**month_form("2026-12", d.now), "subcontractor_code": demo.SUB}
    with unit_of_work(d.rt.db) as s:
        month = start_by_system(s, procedure="outsourcing_statement", form_data=form,
                                now=d.now, calendar=d.rt.calendar,
                                cause={"schedule": "outsourcing_statement", "period": "2026-12"})
        mid = month.id
    assert mid is not None
    step(dl, mid, "outsource", "issue_statement", {"rows": []})
    step(dl, mid, "outsource", "check_leftovers",
         {"reported": [{"item_code": demo.SHEET, "qty": 10}]})  # fmt: skip
    assert state(d, mid) == "closed"
    assert {s for s, _ in dl.checked} >= {"statement", "leftovers"}
