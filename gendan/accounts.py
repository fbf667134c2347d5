"""Logging in: password check and API tokens, each attempt on the audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from gendan import audit
from gendan.errors import TooManyAttempts
from gendan.models import ApiToken, AuditEvent, User
from gendan.security import new_token, token_digest, verify_password

#: Failed logins allowed per account within the window before logins are refused.
MAX_FAILURES, FAILURE_WINDOW = 5, timedelta(minutes=15)


def recent_failures(session: Session, *, username: str, now: datetime) -> int:
    """Failed logins for the account in the window, from the audit trail (shared by replicas)."""
    return session.exec(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "login_failed",
            AuditEvent.actor_name == username,
            AuditEvent.at > now - FAILURE_WINDOW,
        )
    ).one()


def authenticate(
    session: Session, *, username: str, password: str, now: datetime, channel: str
) -> User | None:
    """The user if the password is right; a login or failed-login event either way.

    After ``MAX_FAILURES`` failures within ``FAILURE_WINDOW`` the account refuses logins
    (TooManyAttempts, 429) until the window has passed, whatever the password.
    """
    if recent_failures(session, username=username, now=now) >= MAX_FAILURES:
        raise TooManyAttempts("too many failed logins; try again in 15 minutes / 登录失败次数过多")
    user = session.exec(select(User).where(User.username == username)).first()
    ok = bool(user and user.is_active and verify_password(user.password_hash, password))
    audit.append(
        session,
        action="login" if ok else "login_failed",
        actor_id=user.id if user else None,
        actor_name=user.display_name if ok and user else username[:100],
        at=now,
        detail={"channel": channel},
    )
    return user if ok else None


def issue_token(session: Session, *, user: User, now: datetime) -> str:
    token = new_token()
    assert user.id is not None
    session.add(ApiToken(user_id=user.id, token_hash=token_digest(token), created_at=now))
    return token
