"""Test-only procedures for the engine's links and automatic steps (registered per test).

They use the real declarations (``Child``, ``Wait.children``, ``Automatic``) and real forms,
so the engine's mechanisms are tested without depending on the production procedures.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session
from statemachine import State

from gendan.jobs import job
from gendan.models import Instance
from gendan.timespec import Deadline
from states.base import (
    Automatic,
    Child,
    OnEnter,
    Procedure,
    Step,
    TaskSpec,
    Wait,
    Waiting,
)

#: Directory where the blocking job leaves its marks (set by the test, read by the worker).
FLAG_DIR = "GENDAN_TEST_JOB_DIR"


def _task(title_en: str, role: str = "sales_clerk", department: str = "sales") -> TaskSpec:
    return TaskSpec(role, department, f"测试：{title_en}", title_en, Deadline.wh(4), seed="test")


class LinkChild(Procedure):
    """A sub-procedure: one task, then done (or it cancels the whole order)."""

    key = "test_link_child"
    title_zh, title_en = "测试子流程", "Test child"
    start_form = "notice_receipt"
    start_roles = ("sales_clerk",)

    working = Waiting("子流程办理 / Child at work", wait=Wait((_task("Finish the child"),)),
                      initial=True)  # fmt: skip
    finished = State("子流程完成 / Child finished", final=True)
    cancelled = State("订单取消 / Order cancelled", final=True)

    finish = working.to(finished)
    cancel_order = working.to(cancelled)

    steps = {
        "finish": Step("完成", "Finish"),
        "cancel_order": Step("取消订单", "Cancel the order", reason_required=True),
    }
    entering = {
        "cancelled": OnEnter(
            order_status="cancelled", stop_order_procedures=True, recall_documents=True
        ),  # fmt: skip
    }


class LinkParent(Procedure):
    """Starts the child (urgent) on entering ``waiting`` and resumes when it has closed."""

    key = "test_link_parent"
    title_zh, title_en = "测试父流程", "Test parent"
    start_form = "order_intake"
    start_roles = ("sales_clerk",)
    creates_order = True

    drafting = Waiting("起草 / Drafting", wait=Wait((_task("Launch the children"),)),
                       initial=True)  # fmt: skip
    waiting = Waiting(
        "等待子流程 / Waiting for the child",
        wait=Wait(
            (_task("Cancel the order if needed"),),
            children=("test_link_child", "test_not_registered"),
            when_done="children_done",
        ),
    )
    done = State("完成 / Done", final=True)
    cancelled = State("订单取消 / Order cancelled", final=True)

    launch = drafting.to(waiting)
    children_done = waiting.to(done)
    cancel_order = waiting.to(cancelled)

    steps = {
        "launch": Step("启动子流程", "Launch"),
        "children_done": Step("子流程均已结束", "Children done"),
        "cancel_order": Step("取消订单", "Cancel the order", reason_required=True),
    }
    entering = {
        "waiting": OnEnter(
            starts=(
                Child("test_link_child", urgent=True, data=lambda d: {"remarks": "from parent"}),
                Child("test_not_registered"),  # skipped: no such procedure (yet)
            )
        ),
        "cancelled": OnEnter(order_status="cancelled", stop_order_procedures=True),
    }


class AutoStep(Procedure):
    """An automatic state between two people's steps; its job's name comes from the order."""

    key = "test_auto"
    title_zh, title_en = "测试自动步骤", "Test automatic step"
    start_form = "order_intake"
    start_roles = ("sales_clerk",)
    creates_order = True

    drafting = Waiting("起草 / Drafting", wait=Wait((_task("Hand over to the machine"),)),
                       initial=True)  # fmt: skip
    computing = Waiting(
        "自动计算 / Computing",
        wait=Wait(automatic=Automatic(job="test_echo", outcomes=("computed", "rejected"))),
    )
    failing = Waiting(
        "总是失败 / Always failing",
        wait=Wait(automatic=Automatic(job="test_fail", outcomes=("computed",), attempts=3,
                                      owner_role="production_manager",
                                      owner_department="production")),
    )  # fmt: skip
    blocking = Waiting(
        "等待标志 / Blocking",
        wait=Wait(automatic=Automatic(job="test_block", outcomes=("computed",))),
    )
    checking = Waiting("人工核对 / Check", wait=Wait((_task("Check the result"),)))
    refused = State("驳回 / Refused", final=True)
    closed = State("结束 / Closed", final=True)

    go = drafting.to(computing)
    go_fail = drafting.to(failing)
    go_block = drafting.to(blocking)
    computed = computing.to(checking) | failing.to(checking) | blocking.to(checking)
    rejected = computing.to(refused)
    close = checking.to(closed)

    steps = {
        "go": Step("交自动计算", "Hand over"),
        "go_fail": Step("交自动计算（失败）", "Hand over (failing)"),
        "go_block": Step("交自动计算（阻塞）", "Hand over (blocking)"),
        "computed": Step("已计算", "Computed", form="notice_receipt"),
        "rejected": Step("已驳回", "Rejected"),
        "close": Step("结束", "Close"),
    }


PROCEDURES: tuple[type[Procedure], ...] = (LinkChild, LinkParent, AutoStep)


def register(procedures: dict[str, type[Procedure]]) -> None:
    """Add the test procedures to a registry (``states.PROCEDURES``)."""
    for proc in PROCEDURES:
        procedures[proc.key] = proc


@job("test_echo")
def echo(session: Session, inst: Instance, now: datetime) -> tuple[str, dict[str, Any]]:
    """Computes "from the database": the order's quantity decides the outcome."""
    quantity = int(inst.data["order"]["quantity"])
    return ("computed" if quantity < 1000 else "rejected"), {"remarks": f"qty {quantity}"}


@job("test_fail")
def fail(session: Session, inst: Instance, now: datetime) -> tuple[str, dict[str, Any]]:
    raise RuntimeError("the ERP export is unreachable")


@job("test_block")
def block(session: Session, inst: Instance, now: datetime) -> tuple[str, dict[str, Any]]:
    """Says it started (a file per attempt), then waits for ``release`` before answering: the
    test kills the runner while it waits, holding the lease."""
    flags = Path(os.environ[FLAG_DIR])
    (flags / f"started-{os.getpid()}").write_text(now.isoformat(), encoding="utf-8")
    for _ in range(600):  # at most a minute: a test that forgot to kill us must not hang
        if (flags / "release").exists():
            return "computed", {"remarks": f"finished by {os.getpid()}"}
        time.sleep(0.1)
    raise TimeoutError("never released")
