"""A test-only procedure whose steps wait on outside parties, for the pausing tests.

It does not depend on the real procedures (being rewritten): ``asking`` waits on the
customer (the sales clerk's task pauses for "customer", 1 WD); ``checking`` has a
production task that waits on no one and a material task that waits on a supplier.
Register it with the ``drill`` fixture (``monkeypatch`` puts it into states.PROCEDURES).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select
from statemachine import State

from gendan.db import unit_of_work
from gendan.models import Instance, Order, Task, User
from gendan.org import Actor, load_actor
from gendan.runtime import Runtime
from gendan.tasks import open_tasks
from gendan.timespec import Deadline
from states.base import Procedure, Step, TaskSpec, Wait, Waiting

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of the week of Monday 2026-11-23, Shanghai wall-clock time."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


class PauseDrill(Procedure):
    key = "pause_drill"
    title_zh = "暂停演练"
    title_en = "Pause drill"
    start_form = "order_intake"
    start_roles = ("sales_clerk",)

    asking = Waiting(
        "询问客户 / Asking the customer",
        initial=True,
        wait=Wait(
            (
                TaskSpec(
                    "sales_clerk",
                    "sales",
                    "与客户确认订单要求",
                    "Confirm the order's requirements with the customer",
                    Deadline.wd(1),
                    pauses_for="customer",
                ),
            )
        ),
    )
    checking = Waiting(
        "核对 / Checking",
        wait=Wait(
            (
                TaskSpec(
                    "production_manager",
                    "production",
                    "核对产能",
                    "Check capacity",
                    Deadline.wd(1),
                ),
                TaskSpec(
                    "material_controller",
                    "material_control",
                    "向供应商确认来料",
                    "Confirm the material with the supplier",
                    Deadline.wd(1),
                    pauses_for="supplier",
                ),
            )
        ),
    )
    done = State("完成 / Done", final=True)

    answered = asking.to(checking)
    checked = checking.to(done)

    steps = {
        "answered": Step("客户已答复", "The customer answered"),
        "checked": Step("已核对", "Checked"),
    }


def start_drill(rt: Runtime, now: datetime, order_no: str = "SO-P1") -> int:
    """An order and a drill instance in ``asking`` with its task open (no start form)."""
    with unit_of_work(rt.db) as s:
        clerk = s.exec(select(User).where(User.username == "clerk")).one()
        s.add(
            Order(
                order_no=order_no,
                customer="宁波华东机电有限公司",
                product="配电柜",
                quantity=12,
                delivery_date=date(2027, 1, 29),
                kind="regular",
                created_at=now,
            )
        )
        inst = Instance(
            procedure=PauseDrill.key,
            order_no=order_no,
            state="asking",
            data={"order": {"order_no": order_no, "customer": "宁波华东机电有限公司"}},
            created_by_id=clerk.id,
            created_at=now,
            updated_at=now,
        )
        s.add(inst)
        s.flush()
        open_tasks(s, inst=inst, proc=PauseDrill, now=now, calendar=rt.calendar)
        assert inst.id is not None
        return inst.id


def actor(rt: Runtime, username: str) -> Actor:
    with Session(rt.db) as s:
        return load_actor(s, s.exec(select(User.id).where(User.username == username)).one())


def task_of(rt: Runtime, iid: int, role: str) -> Task:
    with Session(rt.db) as s:
        return s.exec(
            select(Task).where(Task.instance_id == iid, Task.role == role).order_by(Task.id)
        ).all()[-1]
