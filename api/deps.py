"""FastAPI dependencies: the runtime, the clock, a database session, the acting person."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import HTTPBearer, OAuth2PasswordBearer
from sqlmodel import Session, select

from gendan import sessions
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


BearerHeader = Annotated[str | None, Header(alias="Authorization")]

#: The two ways OpenAPI (and the Authorize button of /docs) learns a bearer token: the OAuth2
#: password flow against ``POST /api/token``, or a token pasted in. Neither refuses anything
#: itself (``auto_error=False``): ``api_actor`` checks the token and answers 401.
OAUTH2 = OAuth2PasswordBearer(tokenUrl="/api/token", auto_error=False)
BEARER = HTTPBearer(auto_error=False, description="a token from POST /api/token")


def bearer_of(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer …`` header (401 if there is none)."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    return authorization.split(" ", 1)[1].strip()


def client_source(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: run uvicorn with
    ``--proxy-headers --forwarded-allow-ips`` so this is the real client's)."""
    return request.client.host if request.client else "unknown"


def api_actor(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    _oauth2: Annotated[str | None, Depends(OAUTH2)] = None,
    _bearer: Annotated[object, Depends(BEARER)] = None,
) -> Actor:
    """Bearer token from ``POST /api/token``, neither expired nor revoked; the account is noted
    on ``request.state.actor_id`` (a refusal of this request is audited under it)."""
    digest = token_digest(bearer_of(request.headers.get("authorization")))
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    problem = sessions.token_problem(token, now=get_now(request))
    if token is None or problem is not None:
        raise HTTPException(401, problem, headers={"WWW-Authenticate": "Bearer"})
    request.state.actor_id = token.user_id  # before load_actor: a deactivated account too
    actor = load_actor(session, token.user_id)
    session.rollback()  # end the read snapshot: the route may write, then read its own write
    return actor


Rt = Annotated[Runtime, Depends(get_rt)]
Now = Annotated[datetime, Depends(get_now)]
Db = Annotated[Session, Depends(get_session)]
ApiActor = Annotated[Actor, Depends(api_actor)]
