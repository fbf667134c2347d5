"""Logging in: password check and API tokens, each attempt on the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from gendan import audit
from gendan.models import ApiToken, User
from gendan.security import new_token, token_digest, verify_password


def authenticate(
    session: Session, *, username: str, password: str, now: datetime, channel: str
) -> User | None:
    """The user if the password is right; a login or failed-login event either way."""
    user = session.exec(select(User).where(User.username == username)).first()
    ok = bool(user and user.is_active and verify_password(user.password_hash, password))
    audit.append(
        session,
        action="login" if ok else "login_failed",
        actor_id=user.id if user else None,
        actor_name=user.display_name if ok and user else username,
        at=now,
        detail={"channel": channel},
    )
    return user if ok else None


def issue_token(session: Session, *, user: User, now: datetime) -> str:
    token = new_token()
    assert user.id is not None
    session.add(ApiToken(user_id=user.id, token_hash=token_digest(token), created_at=now))
    return token
