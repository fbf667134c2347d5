"""How an administrative act is recorded: its old and new values, and its audit event."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from gendan import audit
from gendan.org import Actor

#: What the pages and the audit trail show instead of a secret.
MASK = "***"


class _Keep:
    """Marks an ``update_*`` argument that was not given: the value stays as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """``{field: {"old": …, "new": …}}`` for each field of ``new`` whose value changed.

    ``old`` None means created (every field of ``new``, old None); ``new`` None
    means removed (every field of ``old``, new None).
    """
    if old is None:
        return {k: {"old": None, "new": v} for k, v in (new or {}).items()}
    if new is None:
        return {k: {"old": v, "new": None} for k, v in old.items()}
    return {k: {"old": old.get(k), "new": v} for k, v in new.items() if old.get(k) != v}


def record(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    what: str,
    changes: dict[str, Any],
    detail: dict[str, Any],
) -> None:
    """Append the audit event ``admin.<what>`` with the administrator as actor."""
    audit.append(
        session,
        action=f"admin.{what}",
        actor_id=actor.user_id,
        actor_name=actor.display_name,
        at=now,
        changes=changes,
        detail=detail,
    )
