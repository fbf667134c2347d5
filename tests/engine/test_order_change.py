"""Order change 合同订单更改 (§2) through the engine and a real SQLite file.

Intake, one open change per order, the minor and delivery rows. The structural,
cancel and engineering rows are in ``test_order_change_paths.py``; deadlines and
escalation in ``test_order_change_deadlines.py``. The helpers here serve all three.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from gendan.demo import Driver, acknowledge, order_form, review_to_notice, review_to_release
from gendan.errors import Conflict, InvalidForm
from gendan.models import AuditEvent, Document, Notification, Task, User
from gendan.runtime import Runtime
from tests.engine.helpers import docs, events, instance, open_tasks, order, snapshot

# -- helpers ------------------------------------------------------------------------------


def released(driver: Driver, order_no: str) -> dict[str, Any]:
    """A regular order reviewed and released: SC-<order>-01 issued, order status released."""
    form = order_form(order_no, "regular", now=driver.now)
    review_to_release(driver, driver.start("order_review", "clerk", form), form)
    return form


def contracted(driver: Driver, order_no: str) -> int:
    """A regular order signed and paid, its review waiting for the production notice."""
    form = order_form(order_no, "regular", now=driver.now)
    iid = driver.start("order_review", "clerk", form)
    review_to_notice(driver, iid, form)
    return iid


def request(
    order_no: str, received_at: datetime, source: str = "customer", **extra: Any
) -> dict[str, Any]:
    """客户更改通知登记: the change request as it arrived."""
    return {
        "order_no": order_no,
        "received_at": received_at.isoformat(),
        "requested_by": "陈经理",
        "source": source,
        "change_description": "改为 380V / voltage change",
        "written_request": "FAX-0917",
        **extra,
    }


def start_change(
    driver: Driver,
    order_no: str,
    *,
    who: str = "clerk",
    source: str = "customer",
    received_at: datetime | None = None,
) -> int:
    form = request(order_no, received_at or driver.now, source)
    return driver.start("order_change", who, form)


def notice(driver: Driver, order_no: str, **extra: Any) -> dict[str, Any]:
    """合同订单更改通知单 as the clerk types it (the category is fixed by the event)."""
    return {
        "order_no": order_no,
        "received_at": driver.now.isoformat(),
        "requested_by": "陈经理",
        "change_description": "改为 380V / voltage change",
        **extra,
    }


def iso(d: date) -> str:
    return d.isoformat()


def state(rt: Runtime, iid: int) -> str:
    return instance(rt, iid).state


def roles(rt: Runtime, iid: int) -> list[str]:
    return sorted(t.role for t in open_tasks(rt, iid))


def only_task(rt: Runtime, iid: int) -> Task:
    (task,) = open_tasks(rt, iid)
    return task


def informed(rt: Runtime, iid: int, state_id: str) -> set[str]:
    """Heads told (报告部门领导) on entering ``state_id``: usernames of the outbox rows."""
    with Session(rt.db) as s:
        rows = s.exec(
            select(Notification.cause, User.username, Notification.channel)
            .join(User, User.id == Notification.user_id)
            .where(Notification.template == "inform")
        ).all()
    told = {
        (u, ch)
        for cause, u, ch in rows
        if cause.startswith(f"inform:{iid}:") and cause.endswith(f":{state_id}")
    }
    # every head gets an e-mail and an SMS
    assert {ch for _, ch in told} <= {"email", "sms"}
    assert len(told) == 2 * len({u for u, _ in told})
    return {u for u, _ in told}


def document(rt: Runtime, doc_no: str) -> Document:
    with Session(rt.db) as s:
        return s.exec(select(Document).where(Document.doc_no == doc_no)).one()


def production_notices(rt: Runtime, order_no: str) -> list[Document]:
    with Session(rt.db) as s:
        return list(
            s.exec(
                select(Document)
                .where(Document.order_no == order_no, Document.kind == "production_notice")
                .order_by(Document.revision)
            ).all()
        )


def confirm_and_acknowledge(
    rt: Runtime, driver: Driver, iid: int, *, engineering: bool = False
) -> None:
    """The superseding revision: production checks and signs, the departments sign for it
    (engineering too after a structural or technical change)."""
    assert state(rt, iid) == "revision_confirm"
    assert roles(rt, iid) == ["production_manager"]
    driver.act(iid, "prod_mgr", "confirm_notice", {"details_checked": True, "remarks": "已核对"})
    assert state(rt, iid) == "acknowledging"
    expected = ["buyer", "material_controller", "production_planner", "qa_lead", "warehouse_keeper"]
    if engineering:
        expected = sorted([*expected, "engineering"])
    assert roles(rt, iid) == expected
    acknowledge(driver, iid, extra=("engineer",) if engineering else ())
    assert state(rt, iid) == "done"
    assert instance(rt, iid).closed_at == driver.now


def assert_superseded(rt: Runtime, order_no: str, *, date_: str) -> None:
    """SC-…-01 recalled in favour of SC-…-02 (revision 2), which carries the order's date."""
    first, second = production_notices(rt, order_no)
    assert (first.doc_no, first.status, first.superseded_by) == (
        f"SC-{order_no}-01",
        "recalled",
        f"SC-{order_no}-02",
    )
    assert first.recalled_at is not None
    assert (second.doc_no, second.status, second.revision) == (f"SC-{order_no}-02", "issued", 2)
    assert second.recalled_at is None and second.superseded_by is None
    assert second.data["delivery_date"] == date_
    assert second.data["order_no"] == order_no


def move(rt: Runtime, iid: int, from_state: str, to_state: str | None = None) -> AuditEvent:
    """The audit event of the transition out of ``from_state`` (into ``to_state``)."""
    return next(
        e
        for e in events(rt, iid)
        if e.action == "transition"
        and e.from_state == from_state
        and (to_state is None or e.to_state == to_state)
    )


def refused_without_a_trace(rt: Runtime, before: dict[str, Any]) -> None:
    assert snapshot(rt) == before


# -- intake ------------------------------------------------------------------------------


def test_intake_opens_the_sales_classification_only(rt: Runtime, driver: Driver) -> None:
    released(driver, "SO-C01")
    iid = start_change(driver, "SO-C01")
    inst = instance(rt, iid)
    assert (inst.procedure, inst.state, inst.order_no) == ("order_change", "received", "SO-C01")
    assert inst.data["request"]["source"] == "customer"
    task = only_task(rt, iid)
    assert (task.role, task.decisions) == (
        "sales_clerk",
        ["classify_minor", "classify_delivery", "classify_structural", "classify_cancel"],
    )
    assert task.due_at == driver.now + timedelta(minutes=30)
    assert task.deadline_kind == "WM"


def test_received_at_in_the_future_is_refused_and_nothing_written(
    rt: Runtime, driver: Driver
) -> None:
    released(driver, "SO-C02")
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as exc:
        start_change(driver, "SO-C02", received_at=driver.now + timedelta(minutes=5))
    assert list(exc.value.errors) == ["received_at"]
    refused_without_a_trace(rt, before)


def test_a_change_needs_an_order_in_performance(rt: Runtime, driver: Driver) -> None:
    driver.start("order_review", "clerk", order_form("SO-C03", "regular", now=driver.now))
    assert order(rt, "SO-C03").status == "reviewing"
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as exc:
        start_change(driver, "SO-C03")
    assert list(exc.value.errors) == ["order_no"]
    assert "reviewing" in exc.value.errors["order_no"]
    with pytest.raises(InvalidForm) as exc:
        start_change(driver, "NOPE-1")
    assert exc.value.errors == {"order_no": "no order NOPE-1"}
    refused_without_a_trace(rt, before)


def test_one_open_change_per_order(rt: Runtime, driver: Driver) -> None:
    released(driver, "SO-C04")
    first = start_change(driver, "SO-C04")
    before = snapshot(rt)
    with pytest.raises(Conflict, match="already has an open order_change"):
        start_change(driver, "SO-C04")
    with pytest.raises(Conflict):  # engineering shares the group
        start_change(driver, "SO-C04", who="engineer", source="engineering")
    refused_without_a_trace(rt, before)
    minor_to_done(rt, driver, first, "SO-C04")
    second = start_change(driver, "SO-C04")
    assert second != first and state(rt, second) == "received"


# -- (1) minor ------------------------------------------------------------------------------


def adjust(driver: Driver, iid: int) -> None:
    driver.act(
        iid,
        "prod_mgr",
        "adjusted",
        {"departments_adjusted": "装配车间, 采购部", "adjusted_at": driver.now.isoformat()},
    )


def minor_to_done(rt: Runtime, driver: Driver, iid: int, order_no: str) -> None:
    driver.act(iid, "clerk", "classify_minor", notice(driver, order_no))
    adjust(driver, iid)
    confirm_and_acknowledge(rt, driver, iid)


def test_minor_change_notice_adjust_supersede_confirm_acknowledge(
    rt: Runtime, driver: Driver
) -> None:
    form = released(driver, "SO-M01")
    assert docs(rt, "SO-M01") == {"SC-SO-M01-01": "issued"}
    iid = start_change(driver, "SO-M01")
    # the clerk cannot pick another category: the event decides it
    driver.act(iid, "clerk", "classify_minor", notice(driver, "SO-M01", category="structural"))
    assert instance(rt, iid).data["forms"]["classify_minor"]["category"] == "minor"
    assert docs(rt, "SO-M01") == {"SC-SO-M01-01": "issued", "GG-SO-M01-01": "issued"}
    gg = document(rt, "GG-SO-M01-01")
    assert (gg.kind, gg.instance_id, gg.data["category"]) == ("change_notice", iid, "minor")

    assert state(rt, iid) == "production_adjust"
    task = only_task(rt, iid)
    assert (task.role, task.deadline_kind, task.sla) == (
        "production_manager",
        "immediate",
        "30 minutes",
    )
    assert task.due_at == driver.now + timedelta(minutes=30)

    adjust(driver, iid)
    assert_superseded(rt, "SO-M01", date_=form["delivery_date"])
    superseded = move(rt, iid, "production_adjust", "revision_confirm").changes
    assert superseded["documents.superseded"] == {"old": ["SC-SO-M01-01"], "new": "SC-SO-M01-02"}
    confirm_and_acknowledge(rt, driver, iid)
    assert order(rt, "SO-M01").delivery_date.isoformat() == form["delivery_date"]
    assert order(rt, "SO-M01").status == "released"


def test_minor_change_with_a_new_date_is_refused(rt: Runtime, driver: Driver) -> None:
    form = released(driver, "SO-M02")
    iid = start_change(driver, "SO-M02")
    later = iso(date.fromisoformat(form["delivery_date"]) + timedelta(days=10))
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as exc:
        driver.act(
            iid, "clerk", "classify_minor", notice(driver, "SO-M02", new_delivery_date=later)
        )
    assert list(exc.value.errors) == ["new_delivery_date"]
    refused_without_a_trace(rt, before)
    assert state(rt, iid) == "received"


# -- (2) delivery ------------------------------------------------------------------------------


def classify_delivery(driver: Driver, iid: int, order_no: str, wanted: date) -> None:
    driver.act(
        iid, "clerk", "classify_delivery", notice(driver, order_no, new_delivery_date=iso(wanted))
    )


def propose(driver: Driver, iid: int, feasible: date) -> None:
    driver.act(
        iid,
        "prod_mgr",
        "propose_date",
        {"feasible_delivery_date": iso(feasible), "impact": "装配顺延 / assembly later"},
    )


def answer(driver: Driver, iid: int, what: str) -> None:
    driver.act(
        iid, "clerk", "record_customer_answer", {"answer": what, "contact_record": "电话 陈经理"}
    )


def issue_change_notice(driver: Driver, iid: int, order_no: str, **extra: Any) -> None:
    driver.act(iid, "clerk", "issue_change_notice", notice(driver, order_no, **extra))


def asked_the_customer(rt: Runtime, driver: Driver, order_no: str) -> tuple[int, date, date]:
    """The customer wants the order earlier; production can only make a later date."""
    form = released(driver, order_no)
    contract = date.fromisoformat(form["delivery_date"])
    wanted, feasible = contract - timedelta(days=10), contract - timedelta(days=4)
    iid = start_change(driver, order_no)
    classify_delivery(driver, iid, order_no, wanted)
    propose(driver, iid, feasible)
    assert state(rt, iid) == "customer_confirmation"
    return iid, contract, feasible


def test_delivery_change_informs_heads_and_production_rereviews(
    rt: Runtime, driver: Driver
) -> None:
    form = released(driver, "SO-D01")
    iid = start_change(driver, "SO-D01")
    wanted = date.fromisoformat(form["delivery_date"]) - timedelta(days=10)
    classify_delivery(driver, iid, "SO-D01", wanted)
    assert state(rt, iid) == "delivery_rereview"
    assert informed(rt, iid, "delivery_rereview") == {"sales_head", "prod_mgr"}
    task = only_task(rt, iid)
    assert (task.role, task.sla) == ("production_manager", "4 hours")
    assert order(rt, "SO-D01").delivery_date.isoformat() == form["delivery_date"]  # not yet

    propose(driver, iid, wanted + timedelta(days=6))
    assert state(rt, iid) == "customer_confirmation"
    task = only_task(rt, iid)
    assert (task.role, task.pauses_for) == ("sales_clerk", "customer")
    assert instance(rt, iid).data["agreed"] == {
        "category": "delivery",
        "delivery_date": iso(wanted + timedelta(days=6)),
    }


def test_delivery_change_needs_the_new_date(rt: Runtime, driver: Driver) -> None:
    released(driver, "SO-D02")
    iid = start_change(driver, "SO-D02")
    before = snapshot(rt)
    with pytest.raises(InvalidForm) as exc:
        driver.act(iid, "clerk", "classify_delivery", notice(driver, "SO-D02"))
    assert list(exc.value.errors) == ["new_delivery_date"]
    refused_without_a_trace(rt, before)


def test_customer_accepts_the_later_date_and_the_notice_carries_exactly_it(
    rt: Runtime, driver: Driver
) -> None:
    iid, contract, feasible = asked_the_customer(rt, driver, "SO-D03")
    answer(driver, iid, "accepts")
    assert state(rt, iid) == "notice_issue"
    assert roles(rt, iid) == ["sales_clerk"]

    before = snapshot(rt)
    for other in (feasible + timedelta(days=1), contract):
        with pytest.raises(InvalidForm) as exc:
            issue_change_notice(
                driver, iid, "SO-D03", category="delivery", new_delivery_date=iso(other)
            )
        assert list(exc.value.errors) == ["new_delivery_date"]
        assert iso(feasible) in exc.value.errors["new_delivery_date"]
    with pytest.raises(InvalidForm) as exc:  # the path decided the category
        issue_change_notice(
            driver, iid, "SO-D03", category="structural", new_delivery_date=iso(feasible)
        )
    assert list(exc.value.errors) == ["category"]
    refused_without_a_trace(rt, before)

    issue_change_notice(driver, iid, "SO-D03", category="delivery", new_delivery_date=iso(feasible))
    assert order(rt, "SO-D03").delivery_date == feasible
    gg = document(rt, "GG-SO-D03-01")
    assert (gg.data["category"], gg.data["new_delivery_date"]) == ("delivery", iso(feasible))
    assert move(rt, iid, "notice_issue").changes["order.delivery_date"] == {
        "old": iso(contract),
        "new": iso(feasible),
    }
    assert_superseded(rt, "SO-D03", date_=iso(feasible))
    confirm_and_acknowledge(rt, driver, iid)
    assert order(rt, "SO-D03").delivery_date == feasible
    moves = [(e.from_state, e.to_state) for e in events(rt, iid) if e.action == "transition"]
    assert moves == [
        ("received", "delivery_rereview"),
        ("delivery_rereview", "customer_confirmation"),
        ("customer_confirmation", "notice_issue"),
        ("notice_issue", "revision_confirm"),
        ("revision_confirm", "acknowledging"),
        ("acknowledging", "done"),
    ]


def test_customer_refuses_the_gm_keeps_the_contract_date(rt: Runtime, driver: Driver) -> None:
    iid, contract, feasible = asked_the_customer(rt, driver, "SO-D04")
    answer(driver, iid, "refuses")
    assert state(rt, iid) == "change_decision"
    task = only_task(rt, iid)
    assert (task.role, task.sla) == ("general_manager", "4 hours")

    with pytest.raises(InvalidForm) as exc:  # a reason and the GM's signature
        driver.act(iid, "gm", "keep_contract_date", password="wrong")
    assert set(exc.value.errors) == {"reason", "password"}
    driver.act(iid, "gm", "keep_contract_date", reason="加班赶工 / overtime")
    assert move(rt, iid, "change_decision").detail["signature"]["meaning"] == "approved"
    # the change is taken at the contract date: the notice names that date, locked
    assert instance(rt, iid).data["agreed"] == {
        "category": "delivery",
        "delivery_date": iso(contract),
    }
    assert state(rt, iid) == "notice_issue"

    before = snapshot(rt)
    for wrong in (feasible, None):  # neither the refused date nor none at all
        with pytest.raises(InvalidForm) as exc:
            extra = {"new_delivery_date": iso(wrong)} if wrong else {}
            issue_change_notice(driver, iid, "SO-D04", category="delivery", **extra)
        assert list(exc.value.errors) == ["new_delivery_date"]
    refused_without_a_trace(rt, before)
    issue_change_notice(driver, iid, "SO-D04", category="delivery", new_delivery_date=iso(contract))
    assert document(rt, "GG-SO-D04-01").data["new_delivery_date"] == iso(contract)
    assert "order.delivery_date" not in move(rt, iid, "notice_issue").changes
    assert order(rt, "SO-D04").delivery_date == contract
    assert_superseded(rt, "SO-D04", date_=iso(contract))
    confirm_and_acknowledge(rt, driver, iid)


def test_customer_refuses_the_gm_refuses_the_change(rt: Runtime, driver: Driver) -> None:
    iid, contract, _ = asked_the_customer(rt, driver, "SO-D05")
    answer(driver, iid, "refuses")
    driver.act(iid, "gm", "refuse_change", reason="无法满足 / cannot be done")
    assert state(rt, iid) == "refused"
    assert instance(rt, iid).closed_at == driver.now
    assert open_tasks(rt, iid) == []
    assert order(rt, "SO-D05").delivery_date == contract
    assert docs(rt, "SO-D05") == {"SC-SO-D05-01": "issued"}


def test_customer_withdraws_and_the_order_is_unchanged(rt: Runtime, driver: Driver) -> None:
    iid, contract, _ = asked_the_customer(rt, driver, "SO-D06")
    answer(driver, iid, "withdraws")
    assert state(rt, iid) == "withdrawn"
    assert instance(rt, iid).closed_at == driver.now
    assert order(rt, "SO-D06").delivery_date == contract
    assert order(rt, "SO-D06").status == "released"
    assert docs(rt, "SO-D06") == {"SC-SO-D06-01": "issued"}


def test_feasible_by_the_requested_date_goes_straight_to_the_notice(
    rt: Runtime, driver: Driver
) -> None:
    form = released(driver, "SO-D07")
    contract = date.fromisoformat(form["delivery_date"])
    wanted = contract + timedelta(days=20)
    iid = start_change(driver, "SO-D07")
    classify_delivery(driver, iid, "SO-D07", wanted)
    propose(driver, iid, wanted - timedelta(days=5))  # production could do even earlier
    assert state(rt, iid) == "notice_issue"
    assert instance(rt, iid).data["agreed"] == {
        "category": "delivery",
        "delivery_date": iso(wanted),
    }
    with pytest.raises(InvalidForm) as exc:
        issue_change_notice(
            driver,
            iid,
            "SO-D07",
            category="delivery",
            new_delivery_date=iso(wanted - timedelta(days=5)),
        )
    assert list(exc.value.errors) == ["new_delivery_date"]
    issue_change_notice(driver, iid, "SO-D07", category="delivery", new_delivery_date=iso(wanted))
    assert order(rt, "SO-D07").delivery_date == wanted
    assert_superseded(rt, "SO-D07", date_=iso(wanted))
    confirm_and_acknowledge(rt, driver, iid)


def test_two_changes_started_at_once_leave_one_open(rt: Runtime, driver: Driver) -> None:
    """One open change per order also under concurrency: the order row is locked at start."""
    import threading

    released(driver, "SO-RACE")
    outcomes: list[str] = []

    def start() -> None:
        try:
            start_change(driver, "SO-RACE")
            outcomes.append("started")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "started"]
