"""Group commit: the completions waiting at one moment share one transaction, each its own move.

Under concurrency every click used to open its own write transaction: on SQLite the writers
queued on the file's lock (sleeping in the busy handler, so p95 grew to seconds), on
PostgreSQL each paid its own commit. Here the callers of one process queue; the caller at the
head of the queue (the leader) takes every unit of work waiting at that moment (up to
``MAX_GROUP``), runs each in its own SAVEPOINT inside ONE transaction (on SQLite one
``BEGIN IMMEDIATE`` for the group), commits once and hands each caller its own result or its
own error. A unit of work that fails (InvalidForm, IllegalTransition, Conflict, NotAllowed, a
database error) rolls back to its savepoint only: nothing of it is written, the others land.

Each unit of work gets a fresh ``Session`` joined to the group's connection
(``join_transaction_mode="create_savepoint"``): its own identity map, ``commit()`` releases
its savepoint, ``rollback()`` returns to it — exactly what ``unit_of_work`` gives one click,
so the service code does not know it is grouped. A unit of work returns plain values (ids),
not ORM objects: its session is closed before the group commits.

Choice: leader/follower instead of a writer thread, because the caller's own thread does the
work while the others wait (no thread to start, stop or leak per engine, one group at a time
per process, nothing waits for a timer to fill a group: a group is whatever queued while the
previous one was being written).

Choice: if the group's COMMIT (or its BEGIN) fails, every member of the group gets that error
and nothing of the group is written; no retry, because a failed COMMIT can leave its outcome
unknown (the connection lost after the server committed) and a retry could then make a move
twice — the same answer one click got before from its own failed COMMIT (a 500).

Work that must not run while the group holds the write lock runs before queueing, in the
request's thread: argon2 password verification (~0.1 s, ``password_check``).

Where it is used: the completions of the API, the task page and the bulk page
(``complete_grouped``, ``complete_many_grouped``), on SQLite unless the setting
``group_commit`` says otherwise (``grouping``).
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from gendan.db import unit_of_work, writer
from gendan.org import Actor
from gendan.runtime import Runtime
from gendan.security import verify_password
from gendan.transitions import complete_task

T = TypeVar("T")

#: The most units of work one group takes: a group holds the write lock for all of them
#: (about 10 ms each), so a bound keeps the wait of the last in a group short.
MAX_GROUP = 32


class _Member(Generic[T]):
    """One caller's unit of work, its outcome, and the event its caller waits on."""

    def __init__(self, work: Callable[[Session], T]) -> None:
        self.work = work
        self.result: T | None = None
        self.error: BaseException | None = None
        self.finished = False
        self.woken = threading.Event()

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class GroupCommitter:
    """The group-commit queue of one engine in one process (``committer_for``)."""

    def __init__(self, engine: Engine, *, max_group: int = MAX_GROUP) -> None:
        self.engine = engine
        self.max_group = max_group
        self._lock = threading.Lock()
        self._waiting: deque[_Member[Any]] = deque()
        self._busy = False  # a leader is writing a group

    def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` as its own all-or-nothing unit of work, grouped with whatever
        else is waiting; return its result or raise its error once its group is committed."""
        return self.run_many([work])[0].outcome()

    def run_many(self, works: list[Callable[[Session], T]]) -> list[_Member[T]]:
        """Several units of work of one caller (a bulk decision), queued together in order,
        each its own unit of work; each member's ``outcome()`` is its result or its error."""
        members: list[_Member[T]] = [_Member(work) for work in works]
        if not members:
            return members
        with self._lock:
            self._waiting.extend(members)
            leads = not self._busy  # nobody is writing: the first of these leads at once
            self._busy = True
        for i, member in enumerate(members):  # consecutive in the queue: in order
            if not (i == 0 and leads):
                member.woken.wait()  # done by a leader, or handed the lead (not finished)
            if not member.finished:
                self._lead()
        return members

    def _lead(self) -> None:
        """Write the group at the head of the queue, wake its members, pass the lead on."""
        with self._lock:
            size = min(len(self._waiting), self.max_group)
            group = [self._waiting.popleft() for _ in range(size)]
        try:
            self._write(group)
        finally:
            with self._lock:
                heir = self._waiting[0] if self._waiting else None
                self._busy = heir is not None
            for m in group:
                m.finished = True
                m.woken.set()
            if heir is not None:
                heir.woken.set()

    def _write(self, group: list[_Member[Any]]) -> None:
        """One transaction; each member in its own savepoint; one COMMIT."""
        try:
            with writer(self.engine).connect() as conn, conn.begin():
                for m in group:
                    _run_in_savepoint(conn, m)
        except BaseException as exc:  # BEGIN or COMMIT failed: nothing of the group is written
            for m in group:
                if m.error is None:
                    m.result, m.error = None, exc
        for m in group:
            if _lock_victim(m.error):  # rolled back to its savepoint: nothing of it written
                _run_alone(self.engine, m)


def _run_in_savepoint(conn: Any, member: _Member[Any]) -> None:
    """``unit_of_work`` for one member, on a savepoint of the group's transaction."""
    with Session(bind=conn, join_transaction_mode="create_savepoint",
                 expire_on_commit=False) as session:  # fmt: skip
        try:
            member.result = member.work(session)
            session.commit()  # flushes, RELEASE SAVEPOINT
        except Exception as exc:
            session.rollback()  # ROLLBACK TO SAVEPOINT: nothing of this member
            member.result, member.error = None, exc


def _lock_victim(exc: BaseException | None) -> bool:
    """A PostgreSQL deadlock or serialization failure (SQLSTATE 40P01 / 40001).

    Choice: such a member is run once more, alone in its own transaction, after its group,
    because its savepoint was rolled back (nothing of it is written, so the retry cannot
    make the move twice) and the cycle came from grouping itself: a group holds the locks of
    its earlier members (the audit chain's head, their instances) while a later member waits
    for a row another transaction holds — an order of locks one click alone never takes.
    """
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return sqlstate in ("40P01", "40001")


def _run_alone(engine: Engine, member: _Member[Any]) -> None:
    """The member in its own ``unit_of_work``, as one click without group commit."""
    try:
        with unit_of_work(engine) as session:
            member.result, member.error = member.work(session), None
    except Exception as exc:
        member.result, member.error = None, exc


_COMMITTERS: weakref.WeakKeyDictionary[Engine, GroupCommitter] = weakref.WeakKeyDictionary()
_COMMITTERS_LOCK = threading.Lock()


def committer_for(engine: Engine) -> GroupCommitter:
    """The one group-commit queue of this engine in this process."""
    with _COMMITTERS_LOCK:
        found = _COMMITTERS.get(engine)
        if found is None:
            found = _COMMITTERS[engine] = GroupCommitter(engine)
        return found


def run_grouped(engine: Engine, work: Callable[[Session], T], *, enabled: bool = True) -> T:
    """``work`` through the engine's group committer, or (``enabled=False``, the setting
    ``GENDAN_GROUP_COMMIT=0``) in its own ``unit_of_work`` as before."""
    if enabled:
        return committer_for(engine).run(work)
    with unit_of_work(engine) as session:
        return work(session)


def grouping(rt: Runtime) -> bool:
    """Whether clicks are grouped: the setting ``group_commit``; unset, on SQLite only.

    Choice: unset means SQLite only, because there the writers queue on the file's lock
    anyway (grouping removes the busy handler's sleeps: in ``bench/http_completions.py`` p95
    2-2.7× lower at 8-16 clients, the rate 0.9-1.2×), while PostgreSQL runs single clicks
    side by side until the audit head's row lock, overlapping their statements' round trips,
    and a group runs its members one after another (measured: 0.67-0.98× the rate, p95 no
    better).
    """
    if rt.settings.group_commit is not None:
        return rt.settings.group_commit
    return rt.db.dialect.name == "sqlite"


def complete_grouped(
    rt: Runtime,
    *,
    task_id: int,
    actor: Actor,
    decision: str,
    form_data: dict[str, Any] | None,
    reason: str,
    password: str | None,
    now: datetime,
) -> int:
    """``complete_task`` for one click, through the group committer; the instance's id.
    The password is verified here, before the queue, not while the group holds the lock."""
    ok = password_check(actor.password_hash, password)

    def work(session: Session) -> int:
        inst = complete_task(session, task_id=task_id, actor=actor, decision=decision,
                             form_data=form_data, reason=reason, password=password, now=now,
                             calendar=rt.calendar, password_ok=ok)  # fmt: skip
        assert inst.id is not None
        return inst.id

    return run_grouped(rt.db, work, enabled=grouping(rt))


def complete_many_grouped(
    rt: Runtime,
    *,
    task_ids: list[int],
    actor: Actor,
    decision: str,
    reason: str,
    password: str | None,
    now: datetime,
) -> list[BaseException | None]:
    """One decision (no form) on several tasks, each its own unit of work, queued together
    (the bulk page): per task None (done) or its error. The password is verified once."""
    ok = password_check(actor.password_hash, password)

    def work_on(task_id: int) -> Callable[[Session], None]:
        def work(session: Session) -> None:
            complete_task(session, task_id=task_id, actor=actor, decision=decision,
                          form_data=None, reason=reason, password=password, now=now,
                          calendar=rt.calendar, password_ok=ok)  # fmt: skip

        return work

    works = [work_on(task_id) for task_id in task_ids]
    if grouping(rt):
        return [m.error for m in committer_for(rt.db).run_many(works)]
    errors: list[BaseException | None] = []
    for work in works:  # as before issue 11: one transaction each
        try:
            run_grouped(rt.db, work, enabled=False)
            errors.append(None)
        except Exception as exc:
            errors.append(exc)
    return errors


def password_check(password_hash: str, password: str | None) -> bool:
    """What ``complete_task`` computes from a re-entered password, before the queue:
    ``password_ok=`` of ``complete_task``."""
    return bool(password) and verify_password(password_hash, password or "")
