"""The set-based sweep's reads: claim a batch of due timers in one statement, and resolve
escalation targets for the whole batch with a few queries (``gendan.org``'s rules).

``gendan.org`` answers one task at a time (a department, a head, a queue per call); a sweep
of 10,000 due timers would ask it tens of thousands of times. :class:`BatchOrg` reads the
departments, the people the batch's tasks name (assignees, heads) and the queues the batch
needs once per batch, and answers ``candidates`` / ``holders`` / ``escalation_targets``
with the same rules and the same order of people as ``gendan.org``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Row
from sqlmodel import Session, select

from gendan.models import Department, Instance, Order, Task, Timer, User, UserRole
from gendan.org import HEAD_ROLE, gm_office


def claim_due(session: Session, *, now: datetime, size: int) -> list[Row[Any]]:
    """Mark up to ``size`` due pending timers fired, in one ``UPDATE … RETURNING``; their
    (id, task_id, level, due_at) in due order.

    Choice: the due rows are picked in a ``MATERIALIZED`` CTE with ``FOR UPDATE SKIP LOCKED``
    on PostgreSQL (the planner may not re-run it: never more than ``size`` rows, and a row
    another sweep holds is left to it), because a plain ``IN (subquery … LIMIT)`` carries no
    such promise. SQLite has one writer: the same statement without the lock clause.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    due = (
        select(Timer.id)
        .where(Timer.status == "pending", Timer.due_at <= now)
        .order_by(Timer.due_at, Timer.id)  # type: ignore[arg-type]
        .limit(size)
    )
    if postgres:
        due = due.with_for_update(skip_locked=True)
    picked = due.cte("due")
    if postgres:
        picked = picked.prefix_with("MATERIALIZED")
    rows = session.execute(
        update(Timer)
        .where(Timer.id.in_(select(picked.c.id)))  # type: ignore[union-attr]
        .values(status="fired", fired_at=now)
        .returning(Timer.id, Timer.task_id, Timer.level, Timer.due_at)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(rows, key=lambda r: (r.due_at, r.id))


def load_batch(
    session: Session, task_ids: Iterable[int]
) -> tuple[dict[int, Task], dict[int, Instance], dict[str, Order]]:
    """The batch's tasks, their instances and the orders they serve: three SELECTs."""
    ids = sorted(set(task_ids))
    tasks = {t.id: t for t in session.exec(select(Task).where(Task.id.in_(ids))).all()}  # type: ignore[union-attr]
    inst_ids = sorted({t.instance_id for t in tasks.values()})
    insts = {
        i.id: i
        for i in session.exec(select(Instance).where(Instance.id.in_(inst_ids))).all()  # type: ignore[union-attr]
    }
    order_nos = sorted({i.order_no for i in insts.values()})
    orders: dict[str, Order] = {}
    for order in session.exec(select(Order).where(Order.order_no.in_(order_nos))).all():  # type: ignore[attr-defined]
        orders.setdefault(order.order_no, order)
    return tasks, insts, orders  # type: ignore[return-value]


class BatchOrg:
    """``gendan.org``'s escalation rules for one batch of tasks, read in a few queries."""

    def __init__(self, session: Session, tasks: Sequence[Task]) -> None:
        self._session = session
        self._deps = list(session.exec(select(Department).order_by(Department.id)).all())  # type: ignore[arg-type]
        self._by_id = {d.id: d for d in self._deps}
        self._by_key: dict[str, Department] = {}
        for dep in self._deps:
            self._by_key.setdefault(dep.key, dep)
        wanted = {t.assignee_id for t in tasks if t.assignee_id is not None}
        wanted |= {d.head_user_id for d in self._deps if d.head_user_id is not None}
        self._users = {
            u.id: u
            for u in session.exec(select(User).where(User.id.in_(sorted(wanted)))).all()  # type: ignore[union-attr]
        }
        queues = {
            (t.role, t.department_id)
            for t in tasks
            if t.assignee_id is None and t.role != HEAD_ROLE
        }
        self._queues: dict[tuple[str, int], list[User]] = {q: [] for q in queues}
        if queues:
            rows = session.exec(
                select(User, UserRole.role, UserRole.department_id)
                .join(UserRole, UserRole.user_id == User.id)  # type: ignore[arg-type]
                .where(
                    UserRole.role.in_(sorted({r for r, _ in queues})),  # type: ignore[attr-defined]
                    UserRole.department_id.in_(sorted({d for _, d in queues})),  # type: ignore[attr-defined]
                    User.is_active == True,  # noqa: E712
                )
                .order_by(User.username)
            ).all()
            for user, role, dep_id in rows:
                queue = self._queues.get((role, dep_id))
                if queue is not None and user not in queue:
                    queue.append(user)
        self._gm: list[User] | None = None
        self._by_role: dict[str, list[User]] = {}

    def candidates(self, task: Task) -> list[User]:
        """``gendan.org.candidates``: the assignee, or everyone holding the task's role there."""
        if task.assignee_id is not None:
            user = self._users.get(task.assignee_id)
            return [user] if user and user.is_active else []
        if task.role == HEAD_ROLE:
            return self._head_of(self._by_id.get(task.department_id))
        return list(self._queues.get((task.role, task.department_id), []))

    def holders(self, task: Task) -> set[int]:
        return {u.id for u in self.candidates(task) if u.id is not None}

    def escalation_targets(self, task: Task, level: int) -> list[User]:
        """``gendan.org.escalation_targets``: level 0 the candidates, n the chain at n."""
        if level == 0:
            return self.candidates(task)
        chain = task.chain or ["head", "gm_office"]
        if level > len(chain):
            return []
        return self._level_targets(task, chain[level - 1])

    def _level_targets(self, task: Task, level: str) -> list[User]:
        kind, _, arg = level.partition(":")
        if kind == "head":
            dep = self._by_key.get(arg) if arg else self._by_id.get(task.department_id)
            return self._head_of(dep)
        if kind == "role" and arg == HEAD_ROLE:
            return [u for dep in self._deps for u in self._head_of(dep)]
        if kind == "role":
            if arg not in self._by_role:
                stmt = (
                    select(User)
                    .join(UserRole, UserRole.user_id == User.id)  # type: ignore[arg-type]
                    .where(UserRole.role == arg, User.is_active == True)  # noqa: E712
                    .order_by(User.username)
                )
                self._by_role[arg] = list(self._session.exec(stmt).unique().all())
            return list(self._by_role[arg])
        if self._gm is None:
            self._gm = gm_office(self._session)
        return list(self._gm)

    def _head_of(self, dep: Department | None) -> list[User]:
        head = self._users.get(dep.head_user_id) if dep and dep.head_user_id else None
        return [head] if head and head.is_active else []
