"""The inbox's other tabs (DingTalk's 已处理 / 我发起的 / 抄送我): done by me, started by me,
copied to me — each newest first with keyset pages — and the count of every tab.

Each tab walks its own index: ``ix_task_closed_by`` (closed_by_id, closed_at, id),
``ix_instance_created_by`` (created_by_id, created_at, id) and
``ix_instancecopy_user_created`` (user_id, created_at, id), so a deep page costs the same as
the first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Integer, and_, func, literal, or_, tuple_
from sqlmodel import Session, select

from gendan.db import UTCDateTime
from gendan.errors import InvalidForm
from gendan.labels import label
from gendan.limits import MAX_ID
from gendan.models import Instance, InstanceCopy, Order, Task
from gendan.org import Actor

Tab = Literal["todo", "done", "started", "copied"]
TABS: tuple[str, ...] = ("todo", "done", "started", "copied")

#: Tab → (Chinese, English) title.
TAB_TITLES = {
    "todo": ("待处理", "To do"),
    "done": ("我已处理", "Done by me"),
    "started": ("我发起的", "Started by me"),
    "copied": ("抄送我的", "Copied to me"),
}


class TabRow(BaseModel):
    """One line of a tab: what it is about, when, and where it leads."""

    id: int
    at: datetime
    order_no: str
    customer: str
    product: str
    instance_id: int
    procedure: str
    procedure_zh: str
    procedure_en: str
    title_zh: str
    title_en: str
    state_zh: str
    state_en: str
    #: A task's decision (done), a copy's reason (copied), "" otherwise.
    detail_zh: str
    detail_en: str
    link: str
    #: Copied: not yet opened since copied.
    unseen: bool = False


class TabPage(BaseModel):
    tab: str
    rows: list[TabRow]
    #: ``after`` for the next page (``<ISO time>~<id>``), None on the last page.
    next_after: str | None


def parse_after(raw: str | None) -> tuple[datetime, int] | None:
    """``<ISO instant>~<id>`` as a tab hands it out; 422 naming ``after`` otherwise."""
    if not raw:
        return None
    at, sep, rid = raw.rpartition("~")
    try:
        if not sep:
            raise ValueError
        when, key = datetime.fromisoformat(at), int(rid)
        if when.tzinfo is None or not 1 <= key <= MAX_ID:
            raise ValueError
    except ValueError:
        raise InvalidForm({"after": "not a cursor this tab handed out / 分页游标无效"}) from None
    return when, key


def todo_condition(actor: Actor) -> Any:
    """Open tasks the inbox lists for the actor: claimed by them, or their roles' queue."""
    queue = [
        and_(Task.role == r, Task.department_id == d, Task.assignee_id.is_(None))
        for r, d in sorted(actor.roles)
    ]
    return and_(
        Task.status == "open",
        Task.due_at.is_not(None),
        or_(Task.assignee_id == actor.user_id, *queue),
    )


def tab_counts(session: Session, actor: Actor, *, cap: int | None = None) -> dict[str, int]:
    """How many rows each tab holds (to do: open tasks mine or in my roles' queues).

    With ``cap``, each count stops at ``cap + 1`` (read "more than ``cap``", shown as
    ``99+``): what a page shows on every request stays a few index steps whatever the
    person's history (``bounded_counts``). Without it, the exact counts, as the API gives them.
    """
    if cap is not None:
        return bounded_counts(session, actor, cap=cap)
    uid = actor.user_id

    def count(stmt: Any) -> int:
        return int(session.exec(stmt).one())

    return {
        "todo": count(select(func.count(Task.id)).where(todo_condition(actor))),
        "done": count(select(func.count(Task.id)).where(done_by(uid))),
        "started": count(select(func.count(Instance.id)).where(Instance.created_by_id == uid)),
        "copied": count(select(func.count(InstanceCopy.id)).where(InstanceCopy.user_id == uid)),
    }


#: The counts a page shows stop here: "99+" (``shown_count``).
PAGE_COUNT_CAP = 99

def done_by(user_id: int) -> Any:
    """Tasks the person closed. Choice: the status test is kept off every index (coalesce
    of a NOT NULL column) because without statistics SQLite otherwise walks every done task
    of the factory on ``ix_task_opens`` instead of the person's own ``ix_task_closed_by``."""
    return and_(Task.closed_by_id == user_id, func.coalesce(Task.status, "") == "done")


def shown_count(count: int, cap: int = PAGE_COUNT_CAP) -> str:
    """A bounded count in words: ``99+`` past the cap."""
    return f"{cap}+" if count > cap else str(count)


def _at_most(stmt: Any, n: int) -> Any:
    """``count(*)`` of at most ``n`` rows of ``stmt``, as a scalar subquery."""
    return select(func.count()).select_from(stmt.limit(n).subquery()).scalar_subquery()


def bounded_counts(
    session: Session, actor: Actor, *, cap: int = PAGE_COUNT_CAP, tabs: tuple[str, ...] = TABS
) -> dict[str, int]:
    """Every tab's count in one statement, each stopping at ``cap + 1`` rows.

    Choice: to do is summed over the inbox's branches (mine on ``ix_task_assignee_due``, one
    per role queue on ``ix_task_queue``; they are disjoint), each walking its own index for at
    most ``cap + 1`` rows, because the OR of ``todo_condition`` walks every open task of the
    factory; done, started and copied walk the person's own index likewise.
    """
    uid, n = actor.user_id, cap + 1
    open_due = (Task.status == "open", Task.due_at.is_not(None))
    branches = [select(Task.id).where(Task.assignee_id == uid, *open_due)]
    for role, dep in sorted(actor.roles):
        queue = and_(Task.role == role, Task.department_id == dep, Task.assignee_id.is_(None))
        branches.append(select(Task.id).where(*open_due, queue))
    todo = sum((_at_most(b, n) for b in branches[1:]), _at_most(branches[0], n))
    done = select(Task.id).where(done_by(uid))
    started = select(Instance.id).where(Instance.created_by_id == uid)
    copied = select(InstanceCopy.id).where(InstanceCopy.user_id == uid)
    every = {
        "todo": todo,
        "done": _at_most(done, n),
        "started": _at_most(started, n),
        "copied": _at_most(copied, n),
    }
    row = session.execute(select(*(every[key] for key in tabs))).one()
    return {key: min(int(v), n) for key, v in zip(tabs, row, strict=True)}


def _keyset(at_col: Any, id_col: Any, after: tuple[datetime, int] | None) -> list[Any]:
    if after is None:
        return []
    key = tuple_(literal(after[0], UTCDateTime()), literal(after[1], Integer()))
    return [tuple_(at_col, id_col) < key]


def _words(group: str, key: str, procedure: str | None = None) -> tuple[str, str]:
    return label(group, key, "zh", procedure=procedure), label(
        group, key, "en", procedure=procedure
    )


def _base(inst: Instance, order: Order | None) -> dict[str, Any]:
    proc = _words("procedure", inst.procedure)
    state = _words("state", inst.state, inst.procedure)
    return {
        "order_no": inst.order_no,
        "customer": order.customer if order else "",
        "product": f"{order.product} {order.model_spec}".strip() if order else "",
        "instance_id": inst.id,
        "procedure": inst.procedure,
        "procedure_zh": proc[0],
        "procedure_en": proc[1],
        "state_zh": state[0],
        "state_en": state[1],
    }


def tab_page(
    session: Session,
    actor: Actor,
    tab: str,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> TabPage:
    """One page of the done, started or copied tab, newest first."""
    limit = max(1, min(limit, 200))
    uid = actor.user_id
    rows: list[TabRow] = []
    if tab == "done":
        stmt = (
            select(Task, Instance, Order)
            .join(Instance, Instance.id == Task.instance_id)
            .join(Order, Order.order_no == Instance.order_no, isouter=True)
            .where(Task.closed_by_id == uid, Task.status == "done")
            .where(*_keyset(Task.closed_at, Task.id, after))
            .order_by(Task.closed_at.desc(), Task.id.desc())
            .limit(limit + 1)
        )
        for task, inst, order in session.exec(stmt).all():
            decision = _words("decision", task.decision or "", inst.procedure)
            rows.append(
                TabRow(
                    id=task.id,
                    at=task.closed_at,
                    title_zh=task.title_zh,
                    title_en=task.title_en,
                    detail_zh=decision[0],
                    detail_en=decision[1],
                    link=f"/tasks/{task.id}",
                    **_base(inst, order),
                )
            )
    elif tab == "started":
        stmt = (
            select(Instance, Order)
            .join(Order, Order.order_no == Instance.order_no, isouter=True)
            .where(Instance.created_by_id == uid)
            .where(*_keyset(Instance.created_at, Instance.id, after))
            .order_by(Instance.created_at.desc(), Instance.id.desc())
            .limit(limit + 1)
        )
        for inst, order in session.exec(stmt).all():
            base = _base(inst, order)
            rows.append(
                TabRow(
                    id=inst.id,
                    at=inst.created_at,
                    title_zh=base["procedure_zh"],
                    title_en=base["procedure_en"],
                    detail_zh="",
                    detail_en="",
                    link=f"/instances/{inst.id}",
                    **base,
                )
            )
    elif tab == "copied":
        stmt = (
            select(InstanceCopy, Instance, Order)
            .join(Instance, Instance.id == InstanceCopy.instance_id)
            .join(Order, Order.order_no == Instance.order_no, isouter=True)
            .where(InstanceCopy.user_id == uid)
            .where(*_keyset(InstanceCopy.created_at, InstanceCopy.id, after))
            .order_by(InstanceCopy.created_at.desc(), InstanceCopy.id.desc())
            .limit(limit + 1)
        )
        for copy, inst, order in session.exec(stmt).all():
            base = _base(inst, order)
            reason = _words("copy_reason", copy.reason)
            rows.append(
                TabRow(
                    id=copy.id,
                    at=copy.created_at,
                    title_zh=base["procedure_zh"],
                    title_en=base["procedure_en"],
                    detail_zh=reason[0],
                    detail_en=reason[1],
                    link=f"/instances/{inst.id}",
                    unseen=copy.seen_at is None,
                    **base,
                )
            )
    else:
        raise InvalidForm({"tab": "one of done, started, copied / 未知的分页标签"})
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = f"{rows[-1].at.isoformat()}~{rows[-1].id}" if more and rows else None
    return TabPage(tab=tab, rows=rows, next_after=nxt)
