"""Domain work a move does in its own transaction (``Step.effect``, ``Procedure.start_effect``;
issue 10): a receipt checked against its PO and written as rows, stock moved after IQC, a
PO's lines written — work on tables, not only on the instance's form JSON.

The declaration names a function ``"<module>:<function>"``; the transition service calls it
as ``f(session, inst, values, *, event, actor, now, calendar) -> dict | None`` (changes for
the move's audit) after the instance entered its new state. A refusal is an ``InvalidForm``
(422 at the field or row): the whole move rolls back and nothing is written.

Choice: a dotted name resolved on use instead of a registry, because the procedures stay pure
declarations (no import of the domain code) and no module has to be loaded first.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

from sqlmodel import Session

from gendan.calendar import BusinessCalendar
from gendan.models import Instance


def resolve(name: str) -> Any:
    """The function a ``"<module>:<function>"`` name points to (ValueError if malformed)."""
    module, sep, attr = name.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"an effect is '<module>:<function>', not {name!r}")
    return getattr(importlib.import_module(module), attr)


def run(
    name: str | None,
    session: Session,
    inst: Instance,
    values: dict[str, Any],
    *,
    event: str,
    actor: Any,
    now: datetime,
    calendar: BusinessCalendar,
) -> dict[str, Any]:
    """Call the effect ``name`` names, if any; its changes go into the move's audit."""
    if not name:
        return {}
    fn = resolve(name)
    return fn(session, inst, values, event=event, actor=actor, now=now, calendar=calendar) or {}
