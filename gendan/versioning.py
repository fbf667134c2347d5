"""The instance's optimistic lock, folded into the move's own UPDATE.

A move (``gendan.transitions``) reads the instance, changes its state and data, and must
count only if nobody moved the instance since it was read. It used to write the changes
with one UPDATE, raise the version with a second (``WHERE version = <read>``) and read the
row back with a SELECT. Now ``begin`` notes the version read, and the first flush that
writes the instance writes everything in one statement::

    UPDATE instance SET state = …, data = …, version = <read> + 1, updated_at = …
    WHERE id = … AND version = <read>

0 rows there is the same Conflict as before. A move that leaves the instance unchanged (a
countersign opinion while others are still open) raises the version alone in ``finish``.
Tasks opened during the move keep the version it began from as their round
(``entry_round``), as when the version was raised at the very end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from gendan.errors import Conflict
from gendan.models import Instance

#: ``session.info`` key: instance id → the move in progress on it.
_MOVES = "gendan.moves"
CONFLICT = "the instance was changed by someone else; reload and try again"


@dataclass
class Move:
    version: int
    now: datetime
    written: bool = False


def begin(session: Session, inst: Instance, now: datetime) -> int:
    """A move on ``inst`` starts: its version (as read) is what the write will check."""
    assert inst.id is not None
    session.info.setdefault(_MOVES, {})[inst.id] = Move(inst.version, now)
    return inst.version


def entry_round(session: Session, inst: Instance) -> int:
    """The round of tasks opened now: the version the move in progress began from, else
    the instance's version."""
    move = session.info.get(_MOVES, {}).get(inst.id)
    return move.version if move is not None else inst.version


def finish(session: Session, inst: Instance) -> None:
    """The move ends: write what is left of it; a move that changed nothing else still
    raises the version (one UPDATE, checked the same way)."""
    session.flush()
    move = session.info.get(_MOVES, {}).pop(inst.id, None)
    if move is None or move.written:
        return
    _write(session, inst, move, {})


def _write(session: Session, inst: Instance, move: Move, changes: dict[str, Any]) -> None:
    bumped = session.connection().execute(
        update(Instance)
        .where(Instance.id == inst.id, Instance.version == move.version)
        .values(**changes, version=move.version + 1, updated_at=move.now)
    )
    if bumped.rowcount != 1:
        raise Conflict(CONFLICT)
    for name, value in {**changes, "version": move.version + 1, "updated_at": move.now}.items():
        set_committed_value(inst, name, value)
    move.written = True


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_moves(session: OrmSession, transaction: Any) -> None:
    if transaction.parent is None:  # committed or rolled back: no move is in progress
        session.info.pop(_MOVES, None)


@event.listens_for(OrmSession, "before_flush")
def _fold_version_into_update(session: OrmSession, _ctx: Any, _instances: Any) -> None:
    """The first flush of a moving instance: its changes, the version and the time in one
    checked UPDATE (then the ORM has nothing left to write for it)."""
    moves = session.info.get(_MOVES)
    if not moves:
        return
    for obj in list(session.dirty):
        move = moves.get(getattr(obj, "id", None)) if isinstance(obj, Instance) else None
        if move is None or move.written:
            continue
        state = inspect(obj)
        changes = {
            attr.key: getattr(obj, attr.key)
            for attr in state.attrs
            if attr.history.has_changes()
        }
        if changes:
            _write(session, obj, move, changes)  # type: ignore[arg-type]
