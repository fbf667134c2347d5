"""The deadlines of §5b and §5i send their reminder and escalation by real e-mail to the
loopback SMTP sink, each exactly once though the sweep and the delivery run twice at every
instant: MC's answer to the 物料跟催单 (24小时 = 1 WD from the slip: a reminder at 75 %, then
the MC head, then the GM office), MC's cause and the section head's review of the
仓库物料异常预警报告 (4 WH from the report, both steps)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from gendan import stock
from gendan.db import unit_of_work
from gendan.demo import Driver
from gendan.demo_materials import ITEMS, as_csv
from gendan.models import Instance
from gendan.settings import get_settings
from tests.conftest import make_runtime
from tests.engine.plan_driver import act, state
from tests.engine.test_stock_triggers import load
from tests.flows.test_plan_deadline_mail import MONDAY_10, Deadlines
from tests.support.servers import SmsGateway, SmtpSink


@pytest.fixture
def walk(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> Iterator[Callable[[], tuple[Driver, Deadlines]]]:
    made: list[object] = []

    def make() -> tuple[Driver, Deadlines]:
        rt = make_runtime(
            tmp_path / f"s{len(made)}.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url
        )
        made.append(rt)
        d = Driver(rt, MONDAY_10)
        load(d.rt, "items", as_csv(ITEMS).decode(), d.now)  # type: ignore[arg-type]
        load(d.rt, "stock", "item_code,on_hand\nBUS-TMY60,200\nPAINT-7035,250\n", d.now)
        return d, Deadlines(d, smtp_sink)

    yield make
    get_settings.cache_clear()


def raised(d: Driver, code: str, qty: float, procedure: str) -> int:
    with unit_of_work(d.rt.db) as s:
        stock.move(s, item_code=code, qty=qty, kind="issue" if qty < 0 else "receipt",
                   now=d.now, calendar=d.rt.calendar)  # fmt: skip
    with Session(d.rt.db) as s:
        [inst] = s.exec(select(Instance).where(Instance.procedure == procedure)).all()
    assert inst.id is not None
    return inst.id


def test_chase_slip_answer_reminded_and_escalated_once(
    walk: Callable[[], tuple[Driver, Deadlines]],
) -> None:
    d, dl = walk()
    iid = raised(d, "BUS-TMY60", -40, "reorder_chase")  # 160 ≤ 180
    dl.run(iid)  # 1 WD from the slip: reminder, MC head, GM office
    mine = [m for m in dl.sink.messages if "/tasks/" in m.body and "【新任务】" not in m.subject]
    reminded = {m.to for m in mine if "提醒" in m.subject}
    escalated = {m.to for m in mine if "升级" in m.subject}
    assert reminded == {"mc@demo.gendan.local"}, [(m.to, m.subject) for m in mine]
    assert escalated >= {"mc_head@demo.gendan.local", "gm@demo.gendan.local"}
    act(d, iid, "mc", "answer", {"analysis": "在途不足，需补", "reorder": True, "qty": 400,
                                 "arrival_date": "2026-12-02"})  # fmt: skip
    assert state(d, iid) == "answered"
    assert dl.checked == [("answering", "24小时内回复物料跟催单（安全存量订料）")]


def test_overstock_cause_and_review_reminded_and_escalated_once(
    walk: Callable[[], tuple[Driver, Deadlines]],
) -> None:
    d, dl = walk()
    iid = raised(d, "PAINT-7035", 60, "overstock_warning")  # 310 ≥ 300
    dl.run(iid)  # MC's cause: 4 WH from the report
    act(d, iid, "mc", "find_cause", {"cause": "重复下单", "action": "暂停收货"})
    dl.run(iid)  # the section head's review: the same 4 WH, already past: escalated at once
    act(d, iid, "mc_head", "approve")
    assert state(d, iid) == "answered"
    assert [here for here, _ in dl.checked] == ["finding_cause", "reviewing"]
    escalated = [m for m in dl.sink.messages if "升级" in m.subject]
    assert {m.to for m in escalated} >= {"mc_head@demo.gendan.local", "gm@demo.gendan.local"}
