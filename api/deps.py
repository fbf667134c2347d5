"""FastAPI dependencies: the runtime, the clock, a database session, the acting person."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from sqlmodel import Session, select

from gendan.db import reader
from gendan.models import ApiToken
from gendan.org import Actor, load_actor
from gendan.runtime import Runtime
from gendan.security import token_digest


def get_rt(request: Request) -> Runtime:
    return request.app.state.rt


def get_now(request: Request) -> datetime:
    """The clock is injected (``app.state.clock``) so tests and replays control time."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def get_session(rt: Annotated[Runtime, Depends(get_rt)]) -> Iterator[Session]:
    """A read session; writes go through ``unit_of_work`` in the route."""
    with Session(reader(rt.db)) as session:
        yield session


def api_actor(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    authorization: Annotated[str | None, Header()] = None,
) -> Actor:
    """Bearer token from ``POST /api/token``; the account is noted on ``request.state.actor_id``
    (a refusal of this request is audited under it, ``api.errors``)."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    digest = token_digest(authorization.split(" ", 1)[1].strip())
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    if token is None:
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})
    request.state.actor_id = token.user_id  # before load_actor: a deactivated account too
    actor = load_actor(session, token.user_id)
    session.rollback()  # end the read snapshot: the route may write, then read its own write
    return actor


def page_user_id(request: Request) -> int | None:
    return request.session.get("user_id")


Rt = Annotated[Runtime, Depends(get_rt)]
Now = Annotated[datetime, Depends(get_now)]
Db = Annotated[Session, Depends(get_session)]
ApiActor = Annotated[Actor, Depends(api_actor)]
