"""The organisation as one unit of work sees it: departments by key and id, their heads,
and who holds which role — read once per transaction instead of once per task.

A move that opens three tasks used to look the same department up three times, and the
people holding each task's role again for its e-mail and its escalation targets. The cache
lives in ``session.info`` and is dropped when the session's transaction ends (commit,
rollback) and whenever the session flushes or bulk-updates a ``Department``, ``User`` or
``UserRole`` (an administrator changing the organisation; a test seeding people), so what it
answers is what a SELECT at that moment would have answered.

Choice: per unit of work rather than per process, because several processes (uvicorn
workers, the flows' runner) write the same database and a per-process copy would need a
shared version counter (a schema change) to notice another process's edits; one SELECT of
the (small) department table per transaction is what it costs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, tuple_
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from gendan.models import Department, User, UserRole

_KEY = "gendan.org_cache"
#: The models whose rows the cache copies: a change to any of them drops it.
ORG_MODELS = (Department, User, UserRole)


@dataclass
class OrgCache:
    """Departments (kept referenced, so ``session.get(Department, id)`` needs no SELECT
    either) and the active holders of (role, department id) pairs, filled on demand."""

    by_key: dict[str, Department]
    by_id: dict[int, Department]
    holders: dict[tuple[str, int], list[User]] = field(default_factory=dict)
    holders_anywhere: dict[str, list[User]] = field(default_factory=dict)


def org(session: Session) -> OrgCache:
    """This transaction's cache; the departments are read on first use (one SELECT).

    Pending (unflushed) changes to the organisation are flushed first, as the SELECT this
    replaces would have autoflushed them: a change made earlier in the session is seen.
    """
    if session.autoflush and (
        _touches_org(session.new) or _touches_org(session.dirty) or _touches_org(session.deleted)
    ):
        session.flush()
    cache = session.info.get(_KEY)
    if cache is None:
        deps = session.exec(select(Department).order_by(Department.id)).all()
        cache = OrgCache(
            by_key={d.key: d for d in reversed(deps)},  # the first row of a key wins
            by_id={d.id: d for d in deps if d.id is not None},
        )
        session.info[_KEY] = cache
    return cache


def department_by_key(session: Session, key: str) -> Department | None:
    return org(session).by_key.get(key)


def department(session: Session, department_id: int | None) -> Department | None:
    return org(session).by_id.get(department_id) if department_id is not None else None


def holders(session: Session, role: str, department_id: int) -> list[User]:
    """Active people holding ``role`` in the department, by username (a copy of the list)."""
    prefetch_holders(session, [(role, department_id)])
    return list(org(session).holders[(role, department_id)])


def prefetch_holders(session: Session, pairs: Iterable[tuple[str, int]]) -> None:
    """Read the holders of every pair not read yet in one SELECT (a move opening several
    tasks asks for all their queues at once)."""
    cache = org(session)
    missing = list(dict.fromkeys(p for p in pairs if p not in cache.holders))
    if not missing:
        return
    stmt = (
        select(User, UserRole.role, UserRole.department_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(tuple_(UserRole.role, UserRole.department_id).in_(missing))
        .where(User.is_active == True)  # noqa: E712
        .order_by(User.username, User.id)
    )
    for pair in missing:
        cache.holders[pair] = []
    for user, role, dep_id in session.exec(stmt).all():
        found = cache.holders[(role, dep_id)]
        if user not in found:
            found.append(user)


def holders_anywhere(session: Session, role: str) -> list[User]:
    """Active people holding ``role`` in any department, by username (a copy)."""
    cache = org(session)
    if role not in cache.holders_anywhere:
        stmt = (
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, User.is_active == True)  # noqa: E712
            .order_by(User.username)
        )
        cache.holders_anywhere[role] = list(session.exec(stmt).unique().all())
    return list(cache.holders_anywhere[role])


def forget(session: OrmSession) -> None:
    """Drop the cache: the next question reads the organisation again."""
    session.info.pop(_KEY, None)


def _touches_org(objects: Iterable[Any]) -> bool:
    return any(isinstance(o, ORG_MODELS) for o in objects)


@event.listens_for(OrmSession, "after_flush")
def _forget_on_org_flush(session: OrmSession, _ctx: Any) -> None:
    if _KEY in session.info and (
        _touches_org(session.new) or _touches_org(session.dirty) or _touches_org(session.deleted)
    ):
        forget(session)


@event.listens_for(OrmSession, "do_orm_execute")
def _forget_on_org_bulk(state: Any) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and _KEY in state.session.info:
        mapper = state.bind_mapper
        if mapper is not None and mapper.class_ in ORG_MODELS:
            forget(state.session)


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_at_transaction_end(session: OrmSession, transaction: Any) -> None:
    """Committed or rolled back (a savepoint too: what it changed may be gone; a flush's
    internal subtransaction is neither)."""
    if transaction.parent is None or transaction.nested:
        forget(session)
