"""The inbox counts every page shows (the navigation's badge, the inbox's tab bar): counted
once per request, bounded (``gendan.inbox_tabs.bounded_counts``: "99+")."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlmodel import Session

from gendan.db import reader
from gendan.inbox_tabs import bounded_counts


def page_counts(request: Request, me: Any, db: Session | None = None) -> dict[str, int]:
    """Every tab's bounded count for the person of this page, in one statement per request:
    the badge and the tab bar read the same numbers (kept on ``request.state``).

    Choice: a route passes its own session ``db`` (counted, then its snapshot ended), because
    a second session opened while rendering holds a second pooled connection per request,
    and 40 such requests at once wait on a pool of 15 (timeouts under load, issue 11).
    """
    counts: dict[str, int] | None = getattr(request.state, "inbox_counts", None)
    if counts is None:
        if db is not None:
            counts = bounded_counts(db, me.actor)
            db.rollback()  # a read: give the connection back before rendering
        else:
            with Session(reader(request.app.state.rt.db)) as s:
                counts = bounded_counts(s, me.actor)
        request.state.inbox_counts = counts
    return counts
