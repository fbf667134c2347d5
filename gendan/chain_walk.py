"""Reading the audit chain lean and re-hashing it, in one process or in ranges read by
worker processes (issue 11: ``gendan audit verify``).

One process reads plain DBAPI rows of the hashed columns (no ORM objects, no SQLAlchemy
result processing) in keyset batches on the caller's own connection. With ``workers`` > 1
and a database another process can open, each worker reads and re-hashes its own ranges of
``seq`` (``gendan.chain_ranges``), because reading, not hashing, is most of the cost. Either
way the links (each ``prev_hash``) are checked in order by the caller. The encoding is the
one :func:`gendan.audit.event_hash` uses, byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from gendan import chain_ranges
from gendan.chain_ranges import FIELDS, HASH, PREV, SEQ, Row, hash_fields

__all__ = ["FIELDS", "HASH", "PREV", "SEQ", "Batches", "Row", "batches", "lean_hash"]


def lean_hash(row: Row) -> str:
    """The hash of a lean row; equal to ``gendan.audit.event_hash`` of the same event.
    ``at`` may be a datetime or already in the hash's encoding (as :func:`batches` gives it)."""
    at = row[1]
    if isinstance(at, datetime):
        at = at.astimezone(UTC).isoformat() if at.tzinfo else at.isoformat()
        return hash_fields((row[0], at, *row[2:HASH]))
    return hash_fields(row)


def hash_rows(rows: Sequence[Row]) -> list[str]:
    """Recomputed hashes of ``rows``."""
    return [lean_hash(r) for r in rows]


class Batches:
    """Lean rows from ``seq >= start`` in seq order, ``size`` at a time (keyset paging on the
    session's own DBAPI connection, inside its transaction). An iterator; :func:`with_hashes`
    reads it in worker processes instead when it can."""

    def __init__(self, session: Session, *, start: int, size: int) -> None:
        self.session, self.start, self.size = session, start, size
        self._rows: Iterator[list[Row]] | None = None

    def __iter__(self) -> Batches:
        return self

    def __next__(self) -> list[Row]:
        if self._rows is None:
            self._rows = chain_ranges.read_batches(
                self._dbapi(), self._dialect(), start=self.start, size=self.size
            )
        return next(self._rows)

    def raw(self) -> Iterator[list[Row]]:
        """The same rows as read (``changes`` and ``detail`` as JSON text, ``at`` as the
        driver gives it), for :func:`gendan.chain_ranges.hash_raw`."""
        return chain_ranges.read_batches(
            self._dbapi(), self._dialect(), start=self.start, size=self.size, lean=False
        )

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _dbapi(self) -> Any:
        return self.session.connection().connection  # the pool's DBAPI connection

    def scalar(self, sql: str) -> Any:
        cur = self._dbapi().cursor()
        try:
            cur.execute(sql)
            return cur.fetchone()[0]
        finally:
            cur.close()

    def target(self) -> chain_ranges.Target | None:
        """Where a worker process reads the same rows; None: nowhere (an in-memory SQLite
        database, another driver)."""
        url, dialect = self.session.get_bind().url, self._dialect()
        if dialect == "sqlite":
            path = url.database or ""
            if not path or path == ":memory:" or url.query.get("mode") == "memory":
                return None
            return chain_ranges.Target("sqlite", path)
        if dialect == "postgresql":
            snapshot = self.scalar("SELECT pg_export_snapshot()")
            address = url.set(drivername="postgresql").render_as_string(hide_password=False)
            return chain_ranges.Target("postgresql", address, snapshot)
        return None


def batches(session: Session, *, start: int, size: int) -> Batches:
    """Lean rows from ``seq >= start`` in seq order, ``size`` at a time (keyset paging)."""
    return Batches(session, start=start, size=size)


def with_hashes(
    source: Iterator[list[Row]], *, workers: int
) -> Iterator[tuple[list[Row], list[str]]]:
    """Each batch with its recomputed hashes, in seq order. With ``workers`` > 1, a
    :class:`Batches` source longer than one batch and a database other processes can open,
    that many processes read and re-hash ranges of ``size`` seqs each
    (:func:`gendan.chain_ranges.in_ranges`; its rows carry seq, prev_hash and hash only);
    otherwise this process reads and hashes."""
    ranged = _in_ranges(source, workers) if workers > 1 else None
    if ranged is not None:
        yield from ranged
        return
    if isinstance(source, Batches):  # raw rows, hashed without building lean ones
        for raw in source.raw():
            yield raw, [chain_ranges.hash_raw(r) for r in raw]
        return
    for rows in source:
        yield rows, hash_rows(rows)


def _in_ranges(
    source: Iterator[list[Row]], workers: int
) -> Iterator[tuple[list[Row], list[str]]] | None:
    if not isinstance(source, Batches):
        return None
    last = source.scalar("SELECT max(seq) FROM auditevent")
    if last is None or last - source.start + 1 <= source.size:
        return None  # one batch: starting processes costs more than it saves
    target = source.target()
    if target is None:
        return None
    ranges = -(-(last - source.start + 1) // source.size)
    return chain_ranges.in_ranges(
        target, start=source.start, last=last, size=source.size, workers=min(workers, ranges)
    )
