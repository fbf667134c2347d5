"""Reading the audit chain with plain DBAPI cursors, and re-hashing it in ranges of ``seq``
that worker processes read with connections of their own (issue 11: ``gendan audit verify``).

Reading dominates a walk of the chain (measured: a million events cost 21 s read through
SQLAlchemy in one process, 10 s read raw), so splitting only the hashing gained nothing on
two cores. Here each worker reads a contiguous range of ``seq`` itself, re-hashes each event
and checks the links inside its range; the caller gets back, per range, the first
``prev_hash``, the stored hashes, and the details only where something is off. The caller
(``gendan.audit.verify``) then checks every link again in order, so the boundaries between
ranges and the first bad event come out exactly as in one process.

Every value is decoded as SQLAlchemy decodes it for the ORM (``str_to_datetime`` for
SQLite's timestamps, then UTC; ``json.loads`` for the JSON columns), so the hash is the one
:func:`gendan.audit.event_hash` computes, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from typing import Any, NamedTuple

from sqlalchemy.engine import processors

#: The hashed fields (``gendan.audit.HASHED_FIELDS``, in that order); rows carry the stored
#: hash after them.
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
SEQ, PREV, HASH = 0, len(FIELDS) - 1, len(FIELDS)
assert (SEQ, PREV, HASH) == (0, 13, 14)  # the positions rows_of's tuple literal fills
Row = tuple[Any, ...]

#: ``json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`` without
#: building a new encoder per event (``json.dumps`` does exactly this encoder's ``encode``).
_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
_SCAN = json.JSONDecoder().scan_once


def loads(text: str | None) -> Any:
    """``json.loads`` as the JSON column's result processing does it (None stays None), via
    the C scanner directly: ``json.loads`` itself only adds whitespace handling around it, so
    anything but a bare JSON text goes through ``json.loads`` (same value, same errors)."""
    if text is None:
        return None
    try:
        value, end = _SCAN(text, 0)
    except StopIteration:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def iso_at(value: datetime | str | None) -> str | None:
    """The hash's encoding of ``at`` from what the driver returns: SQLite's text is parsed by
    SQLAlchemy's own ``str_to_datetime``; the stored time is UTC (``gendan.db.UTCDateTime``)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = processors.str_to_datetime(value)
    return value.replace(tzinfo=UTC).isoformat()


def hash_fields(row: Sequence[Any]) -> str:
    """SHA-256 of the canonical JSON of the 14 hashed values (``at`` already encoded)."""
    (seq, at, actor_id, actor_name, action, instance_id, task_id, order_no, from_state,
     to_state, changes, reason, detail, prev_hash) = row[:HASH]  # fmt: skip
    payload = {
        "seq": seq, "at": at, "actor_id": actor_id, "actor_name": actor_name,
        "action": action, "instance_id": instance_id, "task_id": task_id,
        "order_no": order_no, "from_state": from_state, "to_state": to_state,
        "changes": changes, "reason": reason, "detail": detail, "prev_hash": prev_hash,
    }  # fmt: skip
    return hashlib.sha256(_ENCODE(payload).encode("utf-8")).hexdigest()


def _select(dialect: str, where: str) -> str:
    """The hashed columns and the stored hash, JSON as its text (decoded here, as the ORM
    does), in the driver's parameter style."""
    cols = [f"{c}::text" if dialect == "postgresql" and c in ("changes", "detail") else c
            for c in (*FIELDS, "hash")]  # fmt: skip
    mark = "%s" if dialect == "postgresql" else "?"
    return f"SELECT {', '.join(cols)} FROM auditevent WHERE {where.format(p=mark)} ORDER BY seq"


def decode(raw: Sequence[Any]) -> Row:
    """A lean row from a raw one: ``at`` in the hash's encoding, the JSON columns parsed."""
    row = list(raw)
    row[1] = iso_at(row[1])
    row[10] = loads(row[10])
    row[12] = loads(row[12])
    return tuple(row)


def hash_raw(raw: Sequence[Any]) -> str:
    """The hash of a raw row (as :func:`_select` reads it), decoding as it goes: the same as
    ``hash_fields(decode(raw))`` without building the lean row."""
    (seq, at, actor_id, actor_name, action, instance_id, task_id, order_no, from_state,
     to_state, changes, reason, detail, prev_hash) = raw[:HASH]  # fmt: skip
    payload = {
        "seq": seq, "at": iso_at(at), "actor_id": actor_id, "actor_name": actor_name,
        "action": action, "instance_id": instance_id, "task_id": task_id,
        "order_no": order_no, "from_state": from_state, "to_state": to_state,
        "changes": loads(changes), "reason": reason, "detail": loads(detail),
        "prev_hash": prev_hash,
    }  # fmt: skip
    return hashlib.sha256(_ENCODE(payload).encode("utf-8")).hexdigest()


def read_batches(
    dbapi_conn: Any, dialect: str, *, start: int, size: int, lean: bool = True
) -> Iterator[list[Row]]:
    """Rows from ``seq >= start`` in seq order, ``size`` at a time (keyset paging on the
    caller's own connection, so inside its transaction and snapshot): lean rows, or with
    ``lean=False`` the raw ones (for :func:`hash_raw`)."""
    sql = _select(dialect, "seq > {p}") + (" LIMIT %s" if dialect == "postgresql" else " LIMIT ?")
    after = start - 1
    while True:
        cur = dbapi_conn.cursor()
        try:
            cur.execute(sql, (after, size))
            rows = cur.fetchall()
        finally:
            cur.close()
        if not rows:
            return
        yield [decode(r) for r in rows] if lean else rows
        after = rows[-1][SEQ]


# --- ranges read by worker processes -------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """How a worker process reaches the database: an SQLite file or a psycopg conninfo, and
    (PostgreSQL) the caller's exported snapshot, so every worker reads what the caller sees."""

    dialect: str
    address: str
    snapshot: str | None = None


class Range(NamedTuple):
    """One range's outcome. ``seqs``, ``prevs`` and ``recomputed`` are None when they say
    nothing new: the seqs run on from ``first_seq``, each ``prev_hash`` is the hash before it,
    each recomputed hash equals the stored one. ``first_bad`` is the first seq where one of
    these fails (None: the range is intact inside)."""

    first_seq: int
    first_prev: str | None
    hashes: list[str]
    seqs: list[int] | None
    prevs: list[str] | None
    recomputed: list[str] | None
    first_bad: int | None

    @property
    def last_hash(self) -> str | None:
        return self.hashes[-1] if self.hashes else None


_CONN: Any = None
_DIALECT = ""


def _connect(target: Target) -> None:
    """Worker initializer: one connection for all the ranges this process reads."""
    global _CONN, _DIALECT
    _DIALECT = target.dialect
    if target.dialect == "sqlite":
        _CONN = sqlite3.connect(target.address, timeout=30, isolation_level=None)
        _CONN.execute("PRAGMA query_only = ON")
        return
    import psycopg
    from psycopg import sql

    _CONN = psycopg.connect(target.address)
    _CONN.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    _CONN.read_only = True
    if target.snapshot:
        _CONN.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(target.snapshot)))


def walk_range(lo: int, hi: int) -> Range:
    """Read ``lo <= seq <= hi`` on this worker's connection, re-hash each event and check the
    links inside the range."""
    cur = _CONN.cursor()
    cur.execute(_select(_DIALECT, "seq BETWEEN {p} AND {p}"), (lo, hi))
    seqs: list[int] = []
    prevs: list[str] = []
    hashes: list[str] = []
    recomputed: list[str] = []
    while batch := cur.fetchmany(5000):
        for raw in batch:
            seqs.append(raw[SEQ])
            prevs.append(raw[PREV])
            hashes.append(raw[HASH])
            recomputed.append(hash_raw(raw))
    cur.close()
    if not seqs:
        return Range(lo, None, [], [], [], None, None)
    first = seqs[0]
    runs_on = seqs[-1] - first == len(seqs) - 1  # seq is unique, so no gaps
    linked = prevs[1:] == hashes[:-1]
    same = recomputed == hashes
    first_bad = None
    if not (runs_on and linked and same):
        first_bad = next(
            s for i, s in enumerate(seqs)
            if s != first + i or (i and prevs[i] != hashes[i - 1]) or recomputed[i] != hashes[i]
        )  # fmt: skip
    return Range(
        first_seq=first,
        first_prev=prevs[0],
        hashes=hashes,
        seqs=None if runs_on else seqs,
        prevs=None if linked else prevs,
        recomputed=None if same else recomputed,
        first_bad=first_bad,
    )


def rows_of(result: Range) -> tuple[list[Row], list[str]]:
    """The rows a range stands for (seq, prev_hash and hash only: the worker re-hashed the
    rest) and their recomputed hashes, rebuilt exactly from what the worker reported."""
    n = len(result.hashes)
    seqs = result.seqs if result.seqs is not None else range(result.first_seq, result.first_seq + n)
    prevs = result.prevs if result.prevs is not None else [result.first_prev, *result.hashes[:-1]]
    rows = [
        (s, None, None, None, None, None, None, None, None, None, None, None, None, p, h)
        for s, p, h in zip(seqs, prevs, result.hashes, strict=True)
    ]
    return rows, (result.recomputed if result.recomputed is not None else result.hashes)


def in_ranges(
    target: Target, *, start: int, last: int, size: int, workers: int
) -> Iterator[tuple[list[Row], list[str]]]:
    """Each range of ``size`` seqs from ``start`` to ``last``, read and re-hashed by one of
    ``workers`` processes, yielded in seq order (at most two ranges per worker in flight).

    Choice: the processes are forked, because they take nothing from the caller but the
    target (each opens its own connection) and a fresh interpreter would spend about half a
    second importing before it reads anything.
    """
    bounds = ((lo, min(lo + size - 1, last)) for lo in range(start, last + 1, size))
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("fork"), initializer=_connect,
        initargs=(target,),
    )  # fmt: skip
    pending: deque[Future[Range]] = deque()
    try:
        for lo, hi in bounds:
            pending.append(pool.submit(walk_range, lo, hi))
            if len(pending) > 2 * workers:
                yield rows_of(pending.popleft().result())
        while pending:
            yield rows_of(pending.popleft().result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
