"""CSRF tokens for the pages: one per session, checked on every POST form."""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request


class CsrfRefused(HTTPException):
    """403: the form's CSRF token is missing or wrong (audited as a refusal, ``kind="csrf"``)."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfRefused(403, "CSRF token missing or wrong; reload the page")
