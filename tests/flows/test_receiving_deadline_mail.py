"""Every deadline of §5h (receipt, IQC) and §8c (supplier return) and the storage anomaly
sends its reminder and escalation by real e-mail to the loopback SMTP sink exactly once,
though the sweep and the delivery run twice at every instant: MC's registration 30 WM from the
arrival, MC's mismatch measures (及时), IQC 4 WH* from the receipt, MC's failed-lot decision,
the keeper's return, the buyer's replacement (3-5 days: reminded at 3 WD, due at 5, then MC
and the purchasing lead) and MC's replenishment 30 WM from the finding."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from gendan.demo import Driver
from gendan.models import Task
from gendan.runtime import Runtime
from gendan.settings import get_settings
from tests.conftest import make_runtime
from tests.engine.plan_driver import local
from tests.engine.receiving_driver import (
    STEEL,
    arrival,
    children,
    iqc,
    match,
    registration,
    seed_po,
    steel,
)
from tests.flows.test_plan_deadline_mail import Deadlines
from tests.support.servers import SmsGateway, SmtpSink

MONDAY_10 = local(2026, 11, 23, 10)


@pytest.fixture
def walk(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> Iterator[Callable[[], tuple[Driver, Deadlines]]]:
    made: list[Runtime] = []

    def make() -> tuple[Driver, Deadlines]:
        rt = make_runtime(tmp_path / f"r{len(made)}.db", smtp_url=smtp_sink.url,
                          sms_url=sms_gateway.url)  # fmt: skip
        made.append(rt)
        seed_po(rt, MONDAY_10)
        d = Driver(rt, MONDAY_10)
        return d, Deadlines(d, smtp_sink)

    yield make
    get_settings.cache_clear()


def mails_of(dl: Deadlines, d: Driver, iid: int) -> list[tuple[str, str]]:
    with Session(d.rt.db) as s:
        ids = [t.id for t in s.exec(select(Task).where(Task.instance_id == iid)).all()]
    return [
        (m.to.split("@")[0], m.subject[: m.subject.index("】") + 1])
        for m in dl.sink.messages
        if any(f"/tasks/{i}" in m.body for i in ids) and not m.subject.startswith("【新任务】")
    ]


def test_receipt_deadlines_mail_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:
    d, dl = walk()
    iid = arrival(d, minutes_ago=0)
    dl.run(iid)  # MC registers: 30 WM from the arrival → MC's head, then the GM office
    assert [to for to, _ in mails_of(dl, d, iid)] == ["mc_head", "gm"]
    d.act(iid, "mc", "register", registration("PO-T1", steel(60, weight=1800)))
    match(d)
    dl.run(iid)  # the weight is off the factor: MC's measures, 1 WD (及时), reminded first
    d.act(iid, "mc", "measures_taken", {"measures": "按实称重量结算", "buyer_told": True})
    dl.run(iid)  # IQC: 4 WH* from the receipt
    d.act(iid, "iqc", "inspect", iqc((1, STEEL, 50, 10)))
    dl.run(iid)  # MC decides on the failed lot: 4 WH*
    d.act(iid, "mc", "return_rejected", {"buyer_told": True})
    assert [s for _, s in mails_of(dl, d, iid)].count("【提醒】") == 1  # the 1 WD step only
    [ret] = children(d.rt, "supplier_return")
    dl.run(ret.id)  # the keeper sends the goods back: 1 WD (及时) from the report
    d.act(ret.id, "keeper", "goods_returned", {"returned_at": d.now.isoformat(),
                                               "slip_to_mc": True})  # fmt: skip
    before = len(mails_of(dl, d, ret.id))
    dl.run(ret.id)  # the buyer: reminded at 3 WD, due at 5 WD, then MC, then the purchasing lead
    late = mails_of(dl, d, ret.id)[before:]
    assert late == [("buyer", "【提醒】"), ("mc", "【升级 L1】"), ("purch_lead", "【升级 L2】")]
    assert len(dl.checked) == 6


def test_storage_anomaly_deadline_mails_once(
    walk: Callable[[], tuple[Driver, Deadlines]],
) -> None:
    d, dl = walk()
    form = {"item_code": STEEL, "received_at": (d.now - timedelta(minutes=10)).isoformat(),
            "kind": "quality", "qty": 3, "description": "受潮生锈"}  # fmt: skip
    iid = d.start("storage_anomaly", "keeper", form)
    dl.run(iid)
    assert [to for to, _ in mails_of(dl, d, iid)] == ["mc_head", "gm"]
