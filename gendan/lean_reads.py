"""Who is asking, in two statements: the page session with its person, then their roles.

Every page request resolves its login before anything else. Through the ORM that was four
statements and three mapped objects (the session row, the user twice over, each role row,
each headed department); here it is one join and one UNION ALL of plain rows, giving the
same ``User`` and ``Actor`` as ``sessions.find`` + ``load_actor``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import literal, select, union_all
from sqlmodel import Session

from gendan.models import Department, User, UserRole, UserSession
from gendan.org import HEAD_ROLE, Actor
from gendan.security import token_digest

#: What ``sessions.expiry_reason`` and ``sessions.live_user`` read of a session row.
SESSION_COLUMNS = (
    UserSession.id,
    UserSession.user_id,
    UserSession.created_at,
    UserSession.last_seen_at,
    UserSession.ended_at,
    UserSession.end_reason,
)
USER_COLUMNS = tuple(User.__table__.c)  # type: ignore[attr-defined]


def session_user(session: Session, sid: str) -> tuple[Any, User | None]:
    """The live-or-not session row of a cookie's id and its person (None, None: unknown).

    The session row comes back as plain attributes (``sessions.live_user`` reads them); the
    person as a detached ``User``, as the pages used it before.
    """
    row = session.execute(
        select(*SESSION_COLUMNS, *USER_COLUMNS)
        .join_from(UserSession, User, User.id == UserSession.user_id)
        .where(UserSession.sid_hash == token_digest(sid))
    ).first()
    if row is None:
        return None, None
    values = tuple(row)
    n = len(SESSION_COLUMNS)
    rec = SimpleNamespace(**{c.key: v for c, v in zip(SESSION_COLUMNS, values[:n], strict=True)})
    user = User(**{c.key: v for c, v in zip(USER_COLUMNS, values[n:], strict=True)})
    return rec, user


def actor_of(session: Session, user: User) -> Actor:
    """``load_actor`` for a person already read: roles held (a ``dept_head`` row counts only
    through the department's head field) and the departments they head, in one statement."""
    assert user.id is not None
    held = select(UserRole.role, UserRole.department_id).where(
        UserRole.user_id == user.id, UserRole.role != HEAD_ROLE
    )
    heads = select(literal(HEAD_ROLE).label("role"), Department.id).where(
        Department.head_user_id == user.id
    )
    rows = session.execute(union_all(held, heads)).all()
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=frozenset((role, dep) for role, dep in rows if dep is not None),
        password_hash=user.password_hash,
    )
