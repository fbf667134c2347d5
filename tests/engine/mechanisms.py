"""Small procedures for the engine mechanisms of issue 9 (date-anchored tasks, windows,
run-time participants), declared exactly as a real procedure would, and registered for a
test with ``use(monkeypatch)``. The real procedures (§3, §4, §9) are tested on their own."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, model_validator
from statemachine import State

import forms
import states
from forms.base import FormModel, OrderNo, label
from forms.errors import rule_error
from gendan.timespec import Deadline
from states.base import OpensAt, Procedure, Step, TaskSpec, Wait, Waiting, Window


class RefForm(FormModel):
    """A request about an existing order."""

    key = "test_ref"
    title_zh, title_en = "测试单", "Test request"
    order_no: OrderNo = label("订单号", "Order No.")


class InviteForm(FormModel):
    """Who is asked (usernames or department keys) and by when."""

    key = "test_invite"
    title_zh, title_en = "邀请", "Invitation"
    order_no: OrderNo = label("订单号", "Order No.")
    invitees: list[str] = label("参加人员", "Invitees", default_factory=list)
    due: datetime | None = label("要求答复时间", "Answer due", default=None)


class NewDate(FormModel):
    key = "test_new_date"
    title_zh, title_en = "新交期", "New date"
    new_date: date = label("新交期", "New date")


FOLLOW_UP = TaskSpec(
    "merchandiser",
    "merchandising",
    "跟单：核对进度与计划",
    "Follow-up: progress against the plan",
    Deadline.before_date("order.delivery_date", 3, 2, seed="提前2-3天"),
    chain=("head:production", "role:general_manager"),
    opens=OpensAt("order.delivery_date", days_before=3),
    seed="001M 2.2.1",
)
PACKING = TaskSpec(
    "production_manager",
    "production",
    "包装通知",
    "Packing notice",
    Deadline.before_date("stock_order.delivery_date", 1),
    opens=OpensAt("stock_order.delivery_date", days_before=3),
    seed="001M 2.2.2(5)",
)


class DatedFollowUp(Procedure):
    """A made-to-stock order followed up before its date (as §3's follow-up and packing)."""

    key = "test_dated"
    title_zh, title_en = "跟单测试", "Follow-up test"
    start_form = "stock_order"
    start_roles = ("merchandising_lead",)
    start_key = "stock_order"
    creates_order = True
    start_fixed = {"customer": "库存 / stock", "kind": "stock"}

    making = Waiting("生产中 / In production", initial=True, wait=Wait((FOLLOW_UP, PACKING)))
    done = State("完成 / Done", final=True)
    finish = making.to(done)
    steps = {"finish": Step("完成", "Finished")}


class Redate(Procedure):
    """A change of the order's delivery date (as §2 would make it)."""

    key = "test_redate"
    title_zh, title_en = "交期变更测试", "Redate test"
    start_form = "test_ref"
    start_roles = ("merchandising_lead",)
    start_key = "ref"

    deciding = Waiting(
        "定新交期 / New date",
        initial=True,
        wait=Wait((TaskSpec("production_planner", "production", "定新交期", "Set the new date",
                            Deadline.default_work(), seed="test"),)),  # fmt: skip
    )
    done = State("完成 / Done", final=True)
    apply = deciding.to(done)
    steps = {
        "apply": Step("交期变更", "Date moved", form="test_new_date",
                      order_fields={"new_date": "delivery_date"}),  # fmt: skip
    }


def _recipient(department: str) -> TaskSpec:
    return TaskSpec(
        "dept_head",
        department,
        "计划异议期：如有异议请提出",
        "Objection window: object if you must",
        seed="001M 2.1.5",
    )


class Objections(Procedure):
    """A plan sent out with a 1-WD objection window (as §3's, 001M 2.1.5)."""

    key = "test_window"
    title_zh, title_en = "异议期测试", "Window test"
    start_form = "test_ref"
    start_roles = ("production_manager",)
    start_key = "ref"

    window = Waiting(
        "异议期 / Objection window",
        initial=True,
        wait=Wait(
            (_recipient("engineering"), _recipient("purchasing")),
            window=Window(Deadline.wd(1, seed="001M 2.1.5"), "accepted", "objected"),
        ),
    )
    accepted_plan = State("计划生效 / Plan in force", final=True)
    settling = Waiting(
        "异议协调 / Settling",
        wait=Wait((TaskSpec("production_manager", "production", "协调异议", "Settle the objection",
                            Deadline.default_work(), seed="001M 2.1.5"),)),  # fmt: skip
    )
    settled_plan = State("已协调 / Settled", final=True)
    accepted = window.to(accepted_plan)
    objected = window.to(settling)
    settled = settling.to(settled_plan)
    steps = {
        "accepted": Step("无异议，计划生效", "No objection: the plan stands"),
        "objected": Step("提出异议", "Objection raised", reason_required=True),
        "settled": Step("异议已协调", "Objection settled"),
    }


class Meeting(Procedure):
    """The organiser names who attends (as §3's non-regular planning meeting) and a
    liaison sheet names its addressee and due time (跨部门工作联系单)."""

    key = "test_meeting"
    title_zh, title_en = "会议测试", "Meeting test"
    start_form = "test_invite"
    start_roles = ("production_manager",)
    start_key = "invite"

    meeting = Waiting(
        "计划会签 / Planning meeting",
        initial=True,
        wait=Wait((TaskSpec("engineering", "engineering", "参加计划会议并会签",
                            "Attend the planning meeting and countersign",
                            Deadline.default_work(), participants="form:invitees",
                            seed="001M 2.1.1"),)),  # fmt: skip
    )
    liaison = Waiting(
        "联系单答复 / Liaison answer",
        wait=Wait((TaskSpec("dept_head", "production", "答复跨部门工作联系单",
                            "Answer the liaison sheet", participants="form:invitees",
                            due="form:due", seed="001M 2.2.2(1)"),)),  # fmt: skip
    )
    done = State("完成 / Done", final=True)
    signed = meeting.to(liaison)
    answered = liaison.to(done)
    steps = {
        "signed": Step("会签", "Countersigned", form="test_invite"),
        "answered": Step("已答复", "Answered"),
    }


def use(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the test forms and procedures for one test."""
    for form in (RefForm, InviteForm, NewDate):
        monkeypatch.setitem(forms.REGISTRY, form.key, form)
    for proc in (DatedFollowUp, Redate, Objections, Meeting):
        monkeypatch.setitem(states.PROCEDURES, proc.key, proc)


class LineRow(BaseModel):
    """A plan line as a repeating row (the shape of the 生产计划表's)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    line: Literal["design", "assembly", "packing"] = label(
        "计划项目", "Line",
        choices={"design": ("设计", "Design"), "assembly": ("装配", "Assembly"),
                 "packing": ("包装", "Packing")},
    )  # fmt: skip
    start: date = label("开始日期", "Start")
    finish: date = label("完成日期", "Finish")
    qty: int = label("数量", "Qty", gt=0, le=100000)
    signer: str = label("负责人", "Signed by", max_length=40)

    @model_validator(mode="after")
    def _finish_after_start(self) -> LineRow:
        if self.finish < self.start:
            raise rule_error("finish", "不得早于开始日期 / must not be before the start")
        return self


class LinesForm(FormModel):
    key = "test_lines"
    title_zh, title_en = "计划明细测试", "Lines test"
    rows: list[LineRow] = label("计划明细", "Plan lines", min_length=1, max_length=20)
    remarks: str | None = label("备注", "Remarks", default=None, max_length=200)


class Lines(Procedure):
    """A step whose form has repeating rows."""

    key = "test_lines"
    title_zh, title_en = "明细测试", "Lines test"
    start_form = "test_ref"
    start_roles = ("production_manager",)
    start_key = "ref"

    planning = Waiting(
        "编制计划 / Planning",
        initial=True,
        wait=Wait((TaskSpec("production_manager", "production", "编制计划", "Plan",
                            Deadline.default_work(), seed="test"),)),  # fmt: skip
    )
    making = Waiting(
        "生产中 / In production",
        wait=Wait((TaskSpec("production_manager", "production", "包装通知", "Packing notice",
                            Deadline.before_date("plan.rows.packing.start", 1),
                            opens=OpensAt("plan.rows.packing.start", days_before=3),
                            seed="001M 2.2.2(5)"),)),  # fmt: skip
    )
    done = State("完成 / Done", final=True)
    plan = planning.to(making)
    finish = making.to(done)
    steps = {
        "plan": Step("提交计划", "Submit the plan", form="test_lines"),
        "finish": Step("完成", "Finished"),
    }


def use_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the rows form and the procedure whose step uses it."""
    use(monkeypatch)
    monkeypatch.setitem(forms.REGISTRY, LinesForm.key, LinesForm)
    monkeypatch.setitem(states.PROCEDURES, Lines.key, Lines)


class UrgentCheck(Procedure):
    """A step declared urgent (as every §4 state is): its heads are reached day or night."""

    key = "test_urgent"
    title_zh, title_en = "急单测试", "Urgent test"
    start_form = "test_ref"
    start_roles = ("production_manager",)
    start_key = "ref"

    checking = Waiting(
        "急单确认 / Urgent check",
        initial=True,
        wait=Wait((TaskSpec("merchandiser", "merchandising", "急单确认", "Confirm the urgent order",
                            Deadline.wm(30), seed="test"),), urgent=True),  # fmt: skip
    )
    done = State("完成 / Done", final=True)
    confirm = checking.to(done)
    steps = {"confirm": Step("已确认", "Confirmed")}


def use_urgent(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch)
    monkeypatch.setitem(states.PROCEDURES, UrgentCheck.key, UrgentCheck)
