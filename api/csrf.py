"""CSRF tokens for the pages: one per session, checked on every POST form.

Signed in, the token is derived from the session id (HMAC with the secret key), so the
cookie carries nothing but the session id; before logging in (the login form) it is a random
value kept in the signed cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request


class CsrfRefused(HTTPException):
    """403: the form's CSRF token is missing or wrong (audited as a refusal, ``kind="csrf"``)."""


def _session_token(request: Request, sid: str) -> str:
    key = request.app.state.rt.settings.secret_key.encode()
    return hmac.new(key, b"csrf:" + sid.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    sid = request.session.get("sid")
    if isinstance(sid, str):
        return _session_token(request, sid)
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    sid = request.session.get("sid")
    expected = _session_token(request, sid) if isinstance(sid, str) else request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(expected, str(submitted)):
        raise CsrfRefused(403, "CSRF token missing or wrong; reload the page")
