"""Every deadline of §8a (customer service), §8b (transit damage) and §9's daily check sends
its reminder (deadlines of a working day or more) and its escalation by real e-mail to the
loopback SMTP sink, each exactly once though the sweep and the delivery run twice at every
instant (``tests.flows.test_plan_deadline_mail.Deadlines``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlmodel import Session, select

from gendan import schedules
from gendan.db import unit_of_work
from gendan.demo import Driver, order_form
from gendan.models import Task, Timer
from tests.engine.plan_driver import local, released, state, tasks_of
from tests.engine.test_after_sales import damage, feedback
from tests.engine.test_quality_exception import record
from tests.flows.test_plan_deadline_mail import Deadlines, walk  # noqa: F401 - the fixture

Walk = Callable[[], tuple[Driver, Deadlines]]


def reminded_once(d: Driver, dl: Deadlines, iid: int) -> int:
    """Each task of the instance with a reminder (level 0) got exactly one 【提醒】 per
    recipient; how many tasks had one."""
    with Session(d.rt.db) as s:
        tasks = s.exec(select(Task).where(Task.instance_id == iid)).all()
        long = [
            t
            for t in tasks
            if s.exec(select(Timer).where(Timer.task_id == t.id, Timer.level == 0)).first()
        ]
    for task in long:
        mine = [m for m in dl.sink.messages if f"/tasks/{task.id}" in m.body]
        reminders = [m.to for m in mine if m.subject.startswith("【提醒】")]
        assert reminders and len(reminders) == len(set(reminders)), (task.title_zh, reminders)
    return len(long)


def test_customer_service_deadlines_mail_once(walk: Walk) -> None:  # noqa: F811
    d, dl = walk()
    released(d, "SO-KM1")
    iid = d.start("customer_service", "clerk",
                  feedback("SO-KM1", d.now - timedelta(minutes=20)))  # fmt: skip
    dl.run(iid)  # to after-sales: 60 WM from receipt
    d.act(iid, "clerk", "pass_to_after_sales")
    dl.run(iid)  # the customer contacted: 2 WH from the form's receipt
    d.act(iid, "service", "customer_contacted", {"contacted_at": d.now.isoformat(),
                                         "contact_record": "约定上门"})  # fmt: skip
    dl.run(iid)  # cause and countermeasure with the merchandising lead: 1 WD*
    analysis = {"cause": "堆码过高", "countermeasure": "木箱包装"}
    d.act(iid, "service", "opinion", analysis)
    d.act(iid, "merch_lead", "opinion", analysis)
    dl.run(iid)  # the outcome: 1 WD*
    d.act(iid, "sales_head", "accept_as_is", {"details": "客户同意让步接收"})
    assert state(d, iid) == "closed"
    assert reminded_once(d, dl, iid) == 4  # analysis ×2, outcome ×2
    escalated = {t for _, t in dl.checked}
    assert len(escalated) >= 5


def test_site_installation_deadlines_mail_once(walk: Walk) -> None:  # noqa: F811
    d, dl = walk()
    released(d, "SO-KM2")
    form = feedback("SO-KM2", d.now - timedelta(minutes=5), site_installation=True)
    iid = d.start("customer_service", "sales", form)
    d.act(iid, "sales", "pass_to_after_sales")
    d.act(iid, "service", "customer_contacted", {"contacted_at": d.now.isoformat(),
                                         "contact_record": "工程未完"})  # fmt: skip
    dl.run(iid)  # the salesperson follows the project: 1 WD (及时)
    day = (d.now + timedelta(days=10)).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    d.act(iid, "sales", "set_service_date", {"project_status": "完工", "site": "北仑",
                                              "service_date": day.isoformat()})  # fmt: skip
    dl.run(iid)  # the installation: opens on the service date, due that day
    assert [t.role for t in tasks_of(d, iid)] == ["after_sales"]
    d.act(iid, "service", "service_done", {"done_on": day.isoformat(), "record": "完成"})
    assert state(d, iid) == "closed"
    assert reminded_once(d, dl, iid) >= 1


def test_transit_damage_deadlines_mail_once(walk: Walk) -> None:  # noqa: F811
    d, dl = walk()
    released(d, "SO-TM1")
    iid = d.start("transit_damage", "clerk", damage("SO-TM1", d.now - timedelta(minutes=30)))
    dl.run(iid)  # the service decided: 1 WD (及时) from the report's receipt
    d.act(iid, "service", "service_decided", {"service": "换壳", "answer_to_customer": "三日内"})
    dl.run(iid)  # the claim: 1 WD*
    d.act(iid, "logistics", "claim_made", {"cause": "装卸不当", "claim_against": "德邦",
                                         "claim_amount": 100})  # fmt: skip
    assert state(d, iid) == "closed"
    assert reminded_once(d, dl, iid) == 2
    assert len(dl.checked) == 2


def test_quality_daily_check_deadline_mails_once(walk: Walk) -> None:  # noqa: F811
    d, dl = walk()
    d.start("order_review", "clerk", order_form("SO-QM1", "regular", now=d.now))
    d.start("quality_exception", "iqc", record("SO-QM1", d.now))
    d.now = local(2026, 11, 24, 8, 5)
    with unit_of_work(d.rt.db) as s:
        [run] = schedules.run_due(s, d.now, d.rt.calendar, only="quality_daily_check")
    [iid] = run.instance_ids
    dl.run(iid)  # same day (当天): escalated past the end of the day, once
    assert [state for state, _ in dl.checked] == ["daily_check"]
