"""Logging in: throttled password checks, each attempt on the audit trail (aggregated for
unknown usernames), sessions and API tokens through ``gendan.sessions``.

Choice (throttling): every attempt first reserves itself, in its own short transaction, on
three counters (``logincounter``, one row per scope and key, fixed windows of
``login_window_minutes``), each bumped by a single ``INSERT … ON CONFLICT DO UPDATE …
RETURNING attempts``:

* **account + source** (``login_max_account_source``, 5): past it, that source gets 429 for
  that account — the only hard limit a single stranger can reach, and it locks out only the
  stranger's own address;
* **account, from sources it never logged in from** (``login_max_account``, 20): past it,
  only the account's known sources (``knownsource``: addresses it logged in from before) may
  still try — so a stranger spreading guesses over many addresses cannot lock the GM out of
  the GM's own office PC or phone, and gets at most 20 guesses per window;
* **source, over all accounts** (``login_max_source``, 100): past it, that address may only
  try accounts it is known for — password spraying and invented-username floods are bounded
  (each still costs an argon2 check) without blocking the people who work there.

Because: a per-account hard lock (what we had: 5 failures from anyone locked any account,
the GM's and the admin's included, for 15 minutes) hands every stranger a denial-of-service
on any account, while a per-source limit alone lets a botnet guess without bound. The
reservation happens *before* the password check and is atomic on PostgreSQL (the upsert
locks the row; a concurrent one waits and sees the new count) and on SQLite (the unit of
work begins IMMEDIATE), so 40 parallel wrong passwords get at most the limit of checks. A
successful login clears its account + source counter and records the source as known. The
trade-off: people behind one NAT address share the source counters, so a colleague at the
same address can stop an account's logins *from that address* for one window (known sources
are exempt from the account-wide and source-wide limits, not from their own 5).

Unknown usernames: the first failure from a source in a (UTC) minute appends one
``login_failed_unknown`` event, every one of that minute is counted in ``unknownlogincount``
(the ``gendan.refusals`` pattern), so a flood costs the trail one event per source and
minute. Known and unknown usernames cost the same: an unknown (or deactivated) name is
checked against a dummy argon2 hash, and both answer "wrong username or password".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from secrets import token_hex
from typing import Any

from sqlalchemy import case, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gendan import audit
from gendan.db import UTCDateTime, reader, unit_of_work
from gendan.errors import TooManyAttempts
from gendan.models import KnownSource, LoginCounter, UnknownLoginCount, User
from gendan.security import hash_password, verify_password
from gendan.settings import Settings

#: Audit action of the aggregated failures with unknown usernames.
UNKNOWN_ACTION = "login_failed_unknown"


@lru_cache
def dummy_hash() -> str:
    """An argon2 hash of a random password, with the same parameters as real ones."""
    return hash_password(token_hex(16))


def _insert(session: Session) -> Any:
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[
        session.get_bind().dialect.name
    ]


def _clean(text: str, n: int = 100) -> str:
    """A key or name as stored: cut, without NUL (PostgreSQL refuses it in text)."""
    return text[:n].replace("\x00", "\ufffd")


def bump(session: Session, *, scope: str, key: str, now: datetime, window: timedelta) -> int:
    """Count one attempt on a counter and return the window's attempts so far, atomically."""
    table = LoginCounter.__table__  # type: ignore[attr-defined]
    stale = table.c.window_start <= literal(now - window, UTCDateTime())
    stmt = _insert(session)(table).values(scope=scope, key=key, window_start=now, attempts=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.scope, table.c.key],
        set_={
            "attempts": case((stale, 1), else_=table.c.attempts + 1),
            "window_start": case((stale, literal(now, UTCDateTime())), else_=table.c.window_start),
        },
    ).returning(table.c.attempts)
    return int(session.connection().execute(stmt).scalar_one())


def _reserve(
    engine: Engine, *, username: str, source: str, now: datetime, settings: Settings
) -> bool:
    """Count this attempt; False if a limit says no password may be checked now."""
    window = timedelta(minutes=settings.login_window_minutes)
    key = _clean(username)
    with unit_of_work(engine) as s:
        user = s.exec(select(User).where(User.username == username)).first()
        known = user is not None and (
            s.exec(
                select(KnownSource).where(
                    KnownSource.user_id == user.id, KnownSource.source == source
                )
            ).first()
            is not None
        )
        pair = bump(s, scope="account_source", key=f"{source}|{key}", now=now, window=window)
        per_source = bump(s, scope="source", key=source, now=now, window=window)
        account = 0 if known else bump(s, scope="account", key=key, now=now, window=window)
    if pair > settings.login_max_account_source:
        return False
    return known or (
        account <= settings.login_max_account and per_source <= settings.login_max_source
    )


def login(
    engine: Engine,
    *,
    username: str,
    password: str,
    now: datetime,
    channel: str,
    source: str,
    settings: Settings,
) -> User | None:
    """The user if the password is right, else None; TooManyAttempts (429) when throttled.

    The password is checked outside any transaction (argon2 takes a while); the outcome is
    then recorded: ``login`` or ``login_failed`` for a real account, the aggregated
    ``login_failed_unknown`` otherwise.
    """
    source = _clean(source or "unknown", 64)
    if not _reserve(engine, username=username, source=source, now=now, settings=settings):
        raise TooManyAttempts(
            "too many login attempts from here; try again later / 登录尝试过多，请稍后再试"
        )
    with Session(reader(engine)) as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is not None:
            s.expunge(user)
    password_ok = verify_password(user.password_hash if user else dummy_hash(), password)
    ok = bool(user is not None and user.is_active and password_ok)
    with unit_of_work(engine) as s:
        if user is None:
            _unknown_failure(s, username=username, source=source, now=now, channel=channel)
            return None
        audit.append(
            s,
            action="login" if ok else "login_failed",
            actor_id=user.id,
            actor_name=user.display_name if ok else _clean(username),
            at=now,
            detail={"channel": channel, "source": source},
        )
        if ok:
            _remember(s, user_id=user.id, username=username, source=source, now=now)  # type: ignore[arg-type]
    return user if ok else None


def _remember(session: Session, *, user_id: int, username: str, source: str, now: datetime) -> None:
    """A successful login: the source is known to the account, its own counter starts over."""
    session.connection().execute(
        update(LoginCounter)
        .where(
            LoginCounter.scope == "account_source",
            LoginCounter.key == f"{source}|{_clean(username)}",
        )
        .values(attempts=0)
    )
    table = KnownSource.__table__  # type: ignore[attr-defined]
    stmt = _insert(session)(table).values(user_id=user_id, source=source, last_login_at=now)
    session.connection().execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.user_id, table.c.source],
            set_={"last_login_at": stmt.excluded.last_login_at},
        )
    )


def _unknown_failure(
    session: Session, *, username: str, source: str, now: datetime, channel: str
) -> None:
    """Count a failure with an unknown username; the source's first in a minute is audited."""
    minute = now.astimezone(UTC).replace(second=0, microsecond=0)
    name = _clean(username)
    table = UnknownLoginCount.__table__  # type: ignore[attr-defined]
    stmt = _insert(session)(table).values(
        source=source, minute=minute, count=1, first_at=now, last_at=now, last_username=name
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.source, table.c.minute],
        set_={
            "count": table.c.count + 1,
            "last_at": stmt.excluded.last_at,
            "last_username": stmt.excluded.last_username,
        },
    ).returning(table.c.id, table.c.count)
    row_id, count = session.connection().execute(stmt).one()
    if count != 1:
        return
    ev = audit.append(
        session,
        action=UNKNOWN_ACTION,
        actor_id=None,
        actor_name=name,
        at=now,
        detail={
            "channel": channel,
            "source": source,
            "minute": minute,
            "tally": "unknownlogincount",
        },
    )
    session.connection().execute(
        table.update().where(table.c.id == row_id).values(event_seq=ev.seq)
    )


def unknown_tally(session: Session, *, source: str, at: datetime) -> UnknownLoginCount | None:
    """The unknown-username tally of one source in the minute of ``at``."""
    minute = at.astimezone(UTC).replace(second=0, microsecond=0)
    return session.exec(
        select(UnknownLoginCount).where(
            UnknownLoginCount.source == source, UnknownLoginCount.minute == minute
        )
    ).first()
