"""Every deadline of §3 (production planning and follow-up) sends its reminder and its
escalation by real e-mail to the loopback SMTP sink, each exactly once though the sweep and
the delivery run twice at every instant: the planning, distribution and approval, the
countersign, the settlement up to the GM, the capacity conflict, the pre-start check and its
联系单, the packing notice and packing, the follow-up (to the production manager, then the
GM), remedies, plan adjustment, 催促单 and 交期延误报告, plan changes, outsourcing, the
customer's design and consent, the shipping notice, the FG store, dispatch, receipt, the
investigation and the payment chase. The objection window's tasks never escalate: it closes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from flows.delivery import deliver_pending
from gendan.demo import Driver
from gendan.escalation import escalate_due
from gendan.models import Task, Timer
from gendan.settings import get_settings
from tests.conftest import make_runtime
from tests.engine.plan_driver import (
    FG_RECEIPT,
    PRESTART_OK,
    PURCHASES,
    SIGNOFF,
    act,
    local,
    plan_form,
    plan_instance,
    released,
    ship_notice,
    state,
    tasks_of,
)
from tests.support.servers import SmsGateway, SmtpSink

START, PACKING, DISPATCH = date(2026, 12, 1), date(2026, 12, 15), date(2026, 12, 17)
MONDAY_10 = local(2026, 11, 23, 10)
NEW_TASK = "【新任务】"


class Deadlines:
    """Sweeps a state's deadlines twice each and checks what reached the sink."""

    def __init__(self, d: Driver, sink: SmtpSink) -> None:
        self.d, self.sink = d, sink
        self.checked: list[tuple[str, str]] = []  # (state, task title) whose mails were checked

    def run(self, iid: int) -> None:
        """Pass every reminder and escalation instant of the state's tasks, opening the
        date-anchored ones on their day, until nothing is left to fire or the state is left;
        each task's mails arrive once per level and recipient, never twice."""
        here = state(self.d, iid)
        seen: dict[int, Task] = {}
        for _ in range(30):
            self._sweep(self.d.now)
            if state(self.d, iid) != here:
                break
            seen.update({t.id: t for t in tasks_of(self.d, iid)})
            scheduled = tasks_of(self.d, iid, "scheduled")
            with Session(self.d.rt.db) as s:
                timers = s.exec(
                    select(Timer).where(
                        Timer.task_id.in_(list(seen)), Timer.status == "pending", Timer.level <= 2
                    )
                ).all()
            upcoming = [t.due_at for t in timers] + [t.opens_at for t in scheduled]
            if not upcoming:
                break
            nxt = min(upcoming)
            assert nxt >= self.d.now, f"{here}: a timer due at {nxt} did not fire"
            self.d.now = nxt + timedelta(minutes=1)
        assert seen, f"{here}: no task opened"
        mails = [m for m in self.sink.messages if not m.subject.startswith(NEW_TASK)]
        for task in seen.values():
            mine = [m for m in mails if f"/tasks/{task.id}" in m.body]
            # one mail per recipient and message (the reminder, each level, a breach with no
            # level left that reminds the holder again as overdue): never the same twice
            tags = Counter((m.to, m.subject) for m in mine)
            assert all(n == 1 for n in tags.values()), (here, task.title_zh, tags)
            if self._escalates(task):  # past due: escalated, or (no level above) the holder told
                assert any("升级" in m.subject or "已超时" in m.subject for m in mine), (
                    here,
                    task.title_zh,
                    [m.subject for m in mine],
                )
            self.checked.append((here, task.title_zh))

    def until_open(self, iid: int, role: str) -> None:
        """Time passes to the day the role's date-anchored task opens."""
        [task] = [t for t in tasks_of(self.d, iid, "scheduled") if t.role == role]
        self._sweep(max(task.opens_at, self.d.now))

    def _escalates(self, task: Task) -> bool:
        with Session(self.d.rt.db) as s:
            fired = s.exec(select(Timer).where(Timer.task_id == task.id, Timer.level >= 1)).all()
        return any(t.status == "fired" for t in fired)

    def _long(self, task: Task) -> bool:
        with Session(self.d.rt.db) as s:
            return (
                s.exec(select(Timer).where(Timer.task_id == task.id, Timer.level == 0)).first()
                is not None
            )

    def _sweep(self, at) -> None:  # noqa: ANN001
        self.d.now = at
        for _ in range(2):
            escalate_due(self.d.rt, now=at)
            deliver_pending(self.d.rt, now=at)


@pytest.fixture
def walk(
    tmp_path: Path, smtp_sink: SmtpSink, sms_gateway: SmsGateway
) -> Iterator[Callable[[], tuple[Driver, Deadlines]]]:
    made: list[object] = []

    def make() -> tuple[Driver, Deadlines]:
        rt = make_runtime(
            tmp_path / f"g{len(made)}.db", smtp_url=smtp_sink.url, sms_url=sms_gateway.url
        )
        made.append(rt)
        d = Driver(rt, MONDAY_10)
        return d, Deadlines(d, smtp_sink)

    yield make
    get_settings.cache_clear()


def to_window(
    d: Driver, dl: Deadlines, no: str, *, cooperation: bool = False, design: bool = False
) -> int:
    released(d, no)
    iid = plan_instance(d, no)
    dl.run(iid)  # planning: 4 WH from receipt
    plan = plan_form(START, packing=PACKING, dispatch=DISPATCH)
    if cooperation:  # crates made by a cooperation company
        plan["rows"].append({"line": "cooperation", "department": "outsourcing", "signer": "宋佳",
                             "start": "2026-11-25", "finish": "2026-11-30"})  # fmt: skip
    if design:  # engineering's design line: its task opens on the start, due on the finish
        plan["rows"].insert(0, {"line": "design", "department": "engineering", "signer": "冯涛",
                                "start": "2026-12-02", "finish": "2026-12-04"})  # fmt: skip
    act(d, iid, "prod_mgr", "plan", plan)
    dl.run(iid)  # countersign (and the cooperation company's plan): 1 WD* from receipt
    act(d, iid, "workshop", "opinion", SIGNOFF)
    act(d, iid, "purch_lead", "opinion", PURCHASES)
    if design:  # a non-regular meeting is not needed: engineering signs for design work
        act(d, iid, "engineer", "opinion", SIGNOFF)
    if cooperation:
        act(d, iid, "outsource", "opinion", SIGNOFF)
    return iid


def test_main_path_deadlines_mail_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:
    d, dl = walk()
    iid = to_window(d, dl, "SO-M1", design=True)
    window = tasks_of(d, iid)
    dl.run(iid)  # the window closes by itself; its tasks do not escalate
    assert state(d, iid) == "prestart"
    assert not any(
        f"/tasks/{t.id}" in m.body and "升级" in m.subject for t in window for m in dl.sink.messages
    )
    dl.run(iid)  # pre-start check: start −2/−1 WD
    act(d, iid, "prod_mgr", "prestart_ok", PRESTART_OK)
    dl.run(iid)  # daily report (same day), packing notice (packing −1), follow-up (delivery −3/−2)
    follow = [m for m in dl.sink.messages if "跟单" in m.subject and "升级" in m.subject]
    assert {m.to for m in follow} >= {"prod_mgr@demo.gendan.local", "gm@demo.gendan.local"}
    act(d, iid, "prod_mgr", "packing_notice")
    dl.run(iid)  # packing lead: packing −1 WD
    act(d, iid, "packer", "packed", FG_RECEIPT)
    dl.run(iid)  # shipping notice: dispatch −1 WD
    act(d, iid, "merch", "notify_shipping", ship_notice(d.now + timedelta(days=2)))
    dl.run(iid)  # FG store: the dispatch date
    act(d, iid, "fg_keeper", "goods_confirmed", {"quantity": 12, "labelled": True, "packed": True})
    dl.run(iid)  # logistics: the dispatch date
    carrier = {
        "carrier": "德邦",
        "waybill": "DB-1",
        "sent_at": d.now.isoformat(),
        "eta": "2027-01-04",
    }
    act(d, iid, "logistics", "dispatch", carrier)
    dl.run(iid)  # the customer phoned on the arrival day
    confirm = {"received_on": "2027-01-04", "payment_due": "2027-01-15", "ledger_posted": True}
    act(d, iid, "clerk", "receipt_confirmed", confirm)
    dl.run(iid)  # payment date
    act(d, iid, "finance", "chase_payment", {"salesperson": "李强"})
    dl.run(iid)  # weekly until paid
    assert len(dl.checked) >= 14


def test_side_path_deadlines_mail_once(walk: Callable[[], tuple[Driver, Deadlines]]) -> None:
    d, dl = walk()
    iid = to_window(d, dl, "SO-M2", cooperation=True)
    act(d, iid, "keeper", "objected", {"line": "packing", "problem": "箱子不够 / crates short"})
    dl.run(iid)  # settlement: 1 WD*, to the GM
    act(d, iid, "prod_mgr", "refer_to_gm", reason="不能协调 / no agreement")
    dl.run(iid)  # the GM decides: 1 WD*
    act(d, iid, "gm", "gm_decides", {"decision": "顺延", "moved_delivery_date": "2027-01-08"})
    dl.run(iid)  # moved date to merchandising: 1 WD*
    act(d, iid, "merch_lead", "refer_change", reason="转销售 / to sales")
    dl.run(iid)  # pre-start check
    due = (d.now + timedelta(hours=3)).isoformat()
    act(d, iid, "prod_mgr", "raise_liaison", {"addressee": "engineering", "problem": "缺图",
                                              "due": due})  # fmt: skip
    dl.run(iid)  # liaison answer: the due time on the sheet
    act(d, iid, "eng_head", "answer_liaison", {"answer": "已补图 / drawings sent"})
    act(d, iid, "prod_mgr", "prestart_ok", PRESTART_OK)
    dl.until_open(iid, "merchandiser")
    act(d, iid, "merch", "deviation", {"deviation": "落后", "measures": "加班"})
    dl.run(iid)  # remedy: 1 WD (及时)
    act(d, iid, "prod_mgr", "remedies_exhausted", reason="用尽 / exhausted")
    dl.run(iid)  # plan adjusted: 1 WD (及时)
    act(d, iid, "prod_mgr", "plan", plan_form(START, packing=PACKING, dispatch=DISPATCH))
    act(d, iid, "merch", "date_unmeetable", reason="来不及 / too late")
    dl.run(iid)  # 催促单: 1 WD*
    act(d, iid, "merch", "issue_urge", {"final_deadline": "2027-01-05", "content": "装配",
                                        "customer_told": True})  # fmt: skip
    dl.run(iid)  # 交期延误报告: 1 WD*
    act(d, iid, "merch_lead", "report_delay", {"cause": "缺料", "new_date": "2027-01-08",
                                               "report_to": "general_manager"})  # fmt: skip
    change = {"line": "assembly", "reason": "设备故障", "new_finish": "2027-01-04"}
    act(d, iid, "workshop", "request_plan_change", change)
    dl.run(iid)  # dispatcher: 4 WH*
    act(d, iid, "dispatcher", "endorse_change")
    dl.run(iid)  # production approves: 4 WH*
    act(d, iid, "prod_mgr", "refuse_change", reason="不变 / no change")
    act(d, iid, "prod_mgr", "cannot_make_in_time", reason="产能 / capacity")
    dl.run(iid)  # the GM proposes outsourcing: 1 WD*
    act(d, iid, "gm", "propose_outsourcing", {"work": "喷涂", "reason": "产能"})
    dl.run(iid)  # the group GM approves: 1 WD*
    act(d, iid, "group_gm", "approve_outsourcing")
    act(d, iid, "prod_mgr", "design_late", reason="颜色未定 / colour")
    dl.run(iid)  # sales chases the customer: 1 WD (及时)
    act(d, iid, "clerk", "design_confirmed")
    act(d, iid, "prod_mgr", "plan", plan_form(START, packing=PACKING, dispatch=DISPATCH))
    act(d, iid, "prod_mgr", "packing_notice")
    act(d, iid, "packer", "short_shipment", {"rows": [{"item": "仪表", "qty": 2}],
                                             "follow_up": "purchasing"})  # fmt: skip
    dl.run(iid)  # the customer's consent: before dispatch
    act(d, iid, "clerk", "customer_consents", {"consents": True, "contact": "陈经理"})
    act(d, iid, "packer", "packed", FG_RECEIPT)
    act(d, iid, "merch", "notify_shipping", ship_notice(d.now + timedelta(days=2)))
    act(d, iid, "fg_keeper", "goods_confirmed", {"quantity": 12, "labelled": True, "packed": True})
    carrier = {
        "carrier": "德邦",
        "waybill": "DB-9",
        "sent_at": d.now.isoformat(),
        "eta": "2027-01-20",
    }
    act(d, iid, "logistics", "dispatch", carrier)
    dl.until_open(iid, "sales_clerk")  # the arrival day
    act(d, iid, "clerk", "not_received", reason="未到 / not received")
    dl.run(iid)  # logistics investigates: 1 WD (及时)
    act(d, iid, "logistics", "answered", {"finding": "滞留", "answer_to_customer": "明日到"})
    confirm = {"received_on": "2027-01-21", "payment_due": "2027-02-26", "ledger_posted": True}
    act(d, iid, "clerk", "receipt_confirmed", confirm)
    dl.run(iid)  # make-good: 1 WD*
    assert len(dl.checked) >= 18


def test_pmc_and_capacity_deadlines_mail_once(
    walk: Callable[[], tuple[Driver, Deadlines]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENDAN_PLANNING_VARIANT", "pmc")
    get_settings.cache_clear()
    d, dl = walk()
    released(d, "SO-M3")
    iid = plan_instance(d, "SO-M3")
    dl.run(iid)  # copy to MC: 30 WM from receipt
    act(d, iid, "planner", "capacity_conflict", reason="同线 / same line")
    dl.run(iid)  # capacity conflict: 1 WD*
    agree = {"sequence": "SO-M3 后 / after", "agrees": True}
    act(d, iid, "prod_mgr", "opinion", agree)
    act(d, iid, "merch_lead", "opinion", agree)
    dl.run(iid)
    act(d, iid, "planner", "plan", plan_form(START, packing=PACKING, dispatch=DISPATCH))
    dl.run(iid)  # distribution: 3 WD from receipt
    papers = {"kind": "outsourced", "recipients": "宁波五金厂", "operations": "钣金",
              "due_date": "2026-11-30"}  # fmt: skip
    act(d, iid, "planner", "distribute", papers)
    dl.run(iid)  # PMC manager: 4 WH*
    act(d, iid, "pmc", "approve_plan")
    assert state(d, iid) == "signing"
