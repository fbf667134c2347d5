"""[S] The daily digest of open and late plan lines (§3; 001M 2.2.2(2)-2.2.5(1)): one e-mail a
day to each of the production, engineering, purchasing and quality heads at the loopback SMTP
sink, however often it runs; late lines flagged; nothing when nothing is open; and the same as
a real Prefect flow run on the demo."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flows.common import runtime
from flows.delivery import deliver_pending
from flows.production_plan import plan_digest as digest_flow
from gendan.demo import Driver, load_demo
from gendan.plan_digest import plan_digest
from tests.conftest import make_runtime
from tests.engine.plan_driver import (
    PURCHASES,
    SIGNOFF,
    act,
    local,
    plan_form,
    plan_instance,
    released,
)
from tests.support.servers import SmsGateway, SmtpSink

#: Production and quality follow every line, purchasing its purchases; engineering has no
#: design line here, so no digest.
HEADS = {f"{u}@demo.gendan.local" for u in ("prod_mgr", "purch_lead", "qa_lead")}


def test_one_digest_a_day_to_each_head_late_lines_flagged(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> None:
    rt = make_runtime(tmp_path / "g.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
    d = Driver(rt, local(2026, 11, 23, 10))
    released(d, "SO-G1")
    iid = plan_instance(d, "SO-G1")
    start = date(2026, 11, 24)
    act(d, iid, "prod_mgr", "plan", plan_form(start, packing=date(2026, 12, 4),
                                              dispatch=date(2026, 12, 7)))  # fmt: skip
    act(d, iid, "workshop", "opinion", SIGNOFF)
    act(d, iid, "purch_lead", "opinion", PURCHASES)
    assert plan_digest(rt, now=local(2026, 11, 17, 17)) == 0  # nothing started yet: no mail

    evening = local(2026, 11, 25, 17)
    for _ in range(2):  # the flow may run twice: one digest a day
        assert plan_digest(rt, now=evening) == 2  # purchases (late since 11-24) and assembly
        deliver_pending(rt, now=evening)
    digests = [m for m in smtp_sink.messages if "计划日报" in m.subject]
    assert sorted(m.to for m in digests) == sorted(HEADS)
    body = next(m.body for m in digests if m.to.startswith("prod_mgr"))
    assert "【已逾期】SO-G1 采购进货" in body and "[LATE] SO-G1 purchases" in body
    assert "SO-G1 装配" in body and "【已逾期】SO-G1 装配" not in body
    purchasing = next(m.body for m in digests if m.to.startswith("purch_lead"))
    assert "采购进货" in purchasing and "装配" not in purchasing  # its own lines
    assert not [s for s in sms_gateway.received if "计划日报" in s["text"]]  # to read: no SMS

    plan_digest(rt, now=local(2026, 11, 26, 17))  # the next day: a new digest
    deliver_pending(rt, now=local(2026, 11, 26, 17))
    assert len([m for m in smtp_sink.messages if "计划日报" in m.subject]) == 2 * len(HEADS)


def test_plan_digest_flow_runs_on_the_demo(prefect_harness: None, gendan_env: str) -> None:
    rt = runtime()
    load_demo(rt, now=local(2026, 11, 23, 10))
    quiet = digest_flow(at="2026-11-23T17:00", return_state=True)  # naive: company time
    busy = digest_flow(at="2026-11-25T17:00", return_state=True)
    assert quiet.is_completed() and quiet.result() == 0
    assert busy.is_completed() and busy.result() >= 1  # SO-2026-0012's assembly has begun
