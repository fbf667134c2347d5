"""Server-side page sessions and API token lifetimes (OWASP ASVS L2, V3).

A page session is a ``usersession`` row; the signed cookie carries only its random id (the
row keeps the id's SHA-256, so a copy of the database opens no session). A session ends —
``ended_at`` and a reason — at logout, when the person's password is reset (or changed), when
they are deactivated, after ``session_idle_minutes`` without a request and
``session_max_hours`` after the login, whatever happens. The same events revoke the person's
API tokens, which also expire ``token_hours`` after they were issued.

Cookies are ``Secure`` unless the base URL is plain ``http://`` on a loopback host (the
development and test setup) or ``GENDAN_SECURE_COOKIES=false`` says so explicitly; HSTS is
sent when the base URL is https (or ``GENDAN_HSTS_SECONDS`` is set).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gendan.db import unit_of_work
from gendan.models import ApiToken, UserSession
from gendan.security import new_token, token_digest
from gendan.settings import Settings

#: Hosts whose plain-HTTP base URL keeps cookies without ``Secure`` by default.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

#: ``last_seen_at`` is written at most this often per session (one write a minute, not one
#: per click); the idle timeout is therefore exact to within this.
TOUCH_EVERY = timedelta(seconds=60)

#: HSTS max-age when the base URL is https and nothing else is configured: one year.
HSTS_DEFAULT = 365 * 24 * 3600


def is_loopback_http(base_url: str) -> bool:
    parts = urlsplit(base_url)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def cookies_secure(settings: Settings) -> bool:
    """The rule: explicit setting wins; else Secure unless plain HTTP on loopback."""
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    return not is_loopback_http(settings.base_url)


def hsts_max_age(settings: Settings) -> int:
    """Strict-Transport-Security max-age; 0: no header."""
    if settings.hsts_seconds is not None:
        return max(settings.hsts_seconds, 0)
    return HSTS_DEFAULT if urlsplit(settings.base_url).scheme == "https" else 0


def open_session(session: Session, *, user_id: int, now: datetime, source: str) -> str:
    """A new session for a person who just logged in; returns the id for the cookie."""
    sid = new_token()
    session.add(
        UserSession(
            sid_hash=token_digest(sid),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            source=source[:100],
        )
    )
    return sid


def find(session: Session, sid: str) -> UserSession | None:
    return session.exec(
        select(UserSession).where(UserSession.sid_hash == token_digest(sid))
    ).first()


def expiry_reason(rec: UserSession, *, now: datetime, settings: Settings) -> str | None:
    """Why the session no longer holds (ended, idle, absolute), or None if it does."""
    if rec.ended_at is not None:
        return rec.end_reason or "ended"
    if now - rec.created_at >= timedelta(hours=settings.session_max_hours):
        return "absolute"
    if now - rec.last_seen_at >= timedelta(minutes=settings.session_idle_minutes):
        return "idle"
    return None


def live_user(
    engine: Engine, rec: UserSession | None, *, now: datetime, settings: Settings
) -> int | None:
    """The session's person if it still holds; ends a timed-out one, notes activity."""
    if rec is None or rec.id is None:
        return None
    reason = expiry_reason(rec, now=now, settings=settings)
    if reason is not None:
        if rec.ended_at is None:
            with unit_of_work(engine) as s:
                _end(s, UserSession.id == rec.id, now=now, reason=reason)
        return None
    if now - rec.last_seen_at >= TOUCH_EVERY:
        with unit_of_work(engine) as s:
            s.connection().execute(
                update(UserSession)
                .where(UserSession.id == rec.id, UserSession.ended_at.is_(None))  # type: ignore[union-attr]
                .values(last_seen_at=now)
            )
    return rec.user_id


def _end(session: Session, cond: object, *, now: datetime, reason: str) -> int:
    result = session.connection().execute(
        update(UserSession)
        .where(cond, UserSession.ended_at.is_(None))  # type: ignore[union-attr,arg-type]
        .values(ended_at=now, end_reason=reason)
    )
    return result.rowcount or 0


def end_session(session: Session, *, sid: str, now: datetime, reason: str = "logout") -> int:
    """End one session (logout); 1 if it was live."""
    return _end(session, UserSession.sid_hash == token_digest(sid), now=now, reason=reason)


def end_all_for(session: Session, *, user_id: int, now: datetime, reason: str) -> dict[str, int]:
    """End every live session of a person and revoke their API tokens (password reset or
    change, deactivation): the counts, for the audit event."""
    sessions = _end(session, UserSession.user_id == user_id, now=now, reason=reason)
    tokens = session.connection().execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=now, revoked_reason=reason)
    )
    return {"sessions_ended": sessions, "api_tokens_revoked": tokens.rowcount or 0}


def issue_token(session: Session, *, user_id: int, now: datetime, settings: Settings) -> str:
    """A bearer token valid for ``token_hours``; only its SHA-256 is stored."""
    token = new_token()
    session.add(
        ApiToken(
            user_id=user_id,
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + timedelta(hours=settings.token_hours),
        )
    )
    return token


def token_problem(token: ApiToken | None, *, now: datetime) -> str | None:
    """Why a bearer token does not work (None: it does)."""
    if token is None:
        return "invalid token"
    if token.revoked_at is not None:
        return "token revoked"
    if token.expires_at is None or token.expires_at <= now:
        return "token expired"
    return None


def revoke_token(session: Session, *, token: str, now: datetime, reason: str = "revoked") -> int:
    """Revoke one bearer token (its holder's ``POST /api/token/revoke``); 1 if it was live."""
    result = session.connection().execute(
        update(ApiToken)
        .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=now, revoked_reason=reason)
    )
    return result.rowcount or 0
