"""The scheduled-starts flow as real Prefect flow runs, its deployments (one per schedule with
its cron, in ``gendan serve`` and ``prefect.yaml``), and the §5k deadlines: the on-time rate's
reminder and escalation e-mails reach the loopback SMTP sink once each though the sweep and
the delivery run twice at every instant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from flows.common import runtime
from flows.scheduled_starts import scheduled_starts
from gendan.db import unit_of_work
from gendan.demo import Driver, seed_organisation
from gendan.models import Instance
from gendan.schedules import declared, run_due
from gendan.settings import PROJECT_DIR, get_settings
from tests.conftest import make_runtime
from tests.engine.measures_data import at, build
from tests.flows.test_plan_deadline_mail import Deadlines
from tests.support.servers import SmsGateway, SmtpSink

#: Schedules of the "schedules" part of issue 10 (the others' are tested with their procedures).
MINE = ("purchase_on_time", "qdps", "material_report", "safety_stock_review", "ppe_order",
        "ppe_usage")  # fmt: skip


def test_scheduled_starts_flow_starts_a_period_once(prefect_harness: None, gendan_env: str) -> None:
    rt = runtime()
    with unit_of_work(rt.db) as s:
        seed_organisation(s)
    first = scheduled_starts(at="2026-11-03T09:00", schedule="purchase_on_time")
    again = scheduled_starts(at="2026-11-03T09:00", schedule="purchase_on_time")
    assert first["started"] == 1 and again == dict.fromkeys(again, 0)
    with Session(rt.db) as s:
        keys = s.exec(select(Instance.subject_key).where(Instance.procedure == "purchase_on_time"))
        assert keys.all() == ["2026-10"]


def test_each_schedule_is_deployed_with_its_cron() -> None:
    from flows.serve import SCHEDULED_STARTS_DEPLOYMENT, scheduled_start_deployments

    served = {d.name: d for d in scheduled_start_deployments()}
    assert SCHEDULED_STARTS_DEPLOYMENT in served
    config = yaml.safe_load((PROJECT_DIR / "prefect.yaml").read_text(encoding="utf-8"))
    in_yaml = {d["name"]: d for d in config["deployments"]}
    assert in_yaml[SCHEDULED_STARTS_DEPLOYMENT]["schedules"] == [{"interval": 300}]
    for item in declared():
        name = f"scheduled-{item.spec.key}"
        assert served[name].parameters == {"schedule": item.spec.key}
        assert served[name].schedules[0].schedule.cron == item.spec.cron
        assert name in in_yaml, f"prefect.yaml lacks the deployment {name} (issue 10 contract)"
        assert in_yaml[name]["parameters"] == {"schedule": item.spec.key}
        assert in_yaml[name]["schedules"] == [{"cron": item.spec.cron, "timezone": "Asia/Shanghai"}]
    assert {d.spec.key for d in declared()} >= set(MINE)


@pytest.fixture
def walk(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> Iterator[Callable[[], tuple[Driver, Deadlines]]]:
    def make() -> tuple[Driver, Deadlines]:
        rt = make_runtime(tmp_path / "m.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url)
        d = Driver(rt, at(12, 1, 8, 5))
        return d, Deadlines(d, smtp_sink)

    yield make
    get_settings.cache_clear()


def test_on_time_rate_deadlines_mail_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:
    d, dl = walk()
    build(d.rt)
    with unit_of_work(d.rt.db) as s:
        [run] = run_due(s, d.now, d.rt.calendar, only="purchase_on_time")
    [iid] = run.instance_ids
    dl.run(iid)  # the MC: by the 3rd (reminder, then the MC head, then the GM office)
    mails = [m for m in dl.sink.messages if "采购准时交货率" in m.subject]
    assert any("mc_head@" in m.to and "升级" in m.subject for m in mails), [
        (m.to, m.subject) for m in mails
    ]
    d.act(iid, "mc", "submit", {"analysis": "PO-T2/1 供应商产能不足"})
    dl.run(iid)  # the PMC manager: by the 3rd as well (already past: escalated at once)
    assert len(dl.checked) == 2
    subjects = [(m.to.split("@")[0], m.subject) for m in dl.sink.messages]
    reminders = [s for s in subjects if "提醒" in s[1] and "采购准时交货率" in s[1]]
    assert reminders and len(reminders) == len(set(reminders)), subjects


def test_qdps_deadlines_mail_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:
    """§5l: QA, the buyer and the purchasing lead, each by the 5th* (a Saturday: Friday)."""
    d, dl = walk()
    build(d.rt)
    with unit_of_work(d.rt.db) as s:
        [run] = run_due(s, d.now, d.rt.calendar, only="qdps")
    iid = run.instance_ids[0]
    dl.run(iid)
    d.act(iid, "qa_lead", "score_service", {"service": 12})
    dl.run(iid)
    d.act(iid, "buyer", "score_buyer", {"price": "normal", "cooperation": 4, "support": 4})
    dl.run(iid)
    assert len(dl.checked) == 3
    late = {m.to.split("@")[0] for m in dl.sink.messages if "升级 L1" in m.subject}
    assert "purch_lead" in late, [m.subject for m in dl.sink.messages]  # the buyer's head
