"""Reading the audit chain lean and hashing it in parallel (issue 11: ``gendan audit verify``).

The walk reads plain rows (SQL Core tuples of the hashed columns, no ORM objects) in keyset
batches; the hashes of a batch are independent of each other, so they are recomputed in
worker processes while the next batch is read, and the links (each ``prev_hash``) are
checked in order by the caller. The encoding is the one :func:`gendan.audit.event_hash`
uses, byte for byte: ``changes`` and ``detail`` come back from their JSON columns already
JSON-native, so only ``at`` needs converting.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from gendan.models import AuditEvent

#: The columns a lean row carries: the hashed fields (``gendan.audit.HASHED_FIELDS``) and the
#: stored hash last.
FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "instance_id",
    "task_id",
    "order_no",
    "from_state",
    "to_state",
    "changes",
    "reason",
    "detail",
    "prev_hash",
)
_TABLE = AuditEvent.__table__  # type: ignore[attr-defined]
_COLUMNS = [_TABLE.c[f] for f in FIELDS] + [_TABLE.c.hash]
SEQ, PREV, HASH = 0, len(FIELDS) - 1, len(FIELDS)

Row = tuple[Any, ...]


def lean_hash(row: Row) -> str:
    """The hash of a lean row; equal to ``gendan.audit.event_hash`` of the same event."""
    payload = dict(zip(FIELDS, row, strict=False))
    at: datetime = payload["at"]
    payload["at"] = at.astimezone(UTC).isoformat() if at.tzinfo else at.isoformat()
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def hash_rows(rows: Sequence[Row]) -> list[str]:
    """Recomputed hashes of ``rows`` (run in a worker process)."""
    return [lean_hash(r) for r in rows]


def batches(session: Session, *, start: int, size: int) -> Iterator[list[Row]]:
    """Lean rows from ``seq >= start`` in seq order, ``size`` at a time (keyset paging)."""
    after = start - 1
    while True:
        rows = [
            tuple(r)
            for r in session.execute(
                select(*_COLUMNS).where(_TABLE.c.seq > after).order_by(_TABLE.c.seq).limit(size)
            )
        ]
        if not rows:
            return
        yield rows
        after = rows[-1][SEQ]


def with_hashes(
    source: Iterator[list[Row]], *, workers: int
) -> Iterator[tuple[list[Row], list[str]]]:
    """Each batch with its recomputed hashes, in order. ``workers`` > 1 hashes in that many
    processes while the next batches are read (at most ``workers`` + 1 batches in flight);
    1 hashes here."""
    if workers <= 1:
        for rows in source:
            yield rows, hash_rows(rows)
        return
    pool: Executor = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"))
    pending: deque[tuple[list[Row], Future[list[str]]]] = deque()
    try:
        for rows in source:
            pending.append((rows, pool.submit(hash_rows, rows)))
            if len(pending) > workers:
                done, fut = pending.popleft()
                yield done, fut.result()
        while pending:
            done, fut = pending.popleft()
            yield done, fut.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
