"""Short write transactions for long sweeps: give the lock back, retry when it is busy.

SQLite has one writer at a time. A sweep of thousands of timers must not keep it:
each batch is its own ``unit_of_work`` (``BEGIN IMMEDIATE`` … ``COMMIT``) of a few
rows, and after each commit the sweep pauses a moment so that a person's click,
waiting in SQLite's busy handler, gets the lock before the next batch (SQLite's
lock is not fair: a writer that commits and begins again at once wins almost
every time against waiters that poll). A batch that meets a locked database
("database is locked" once the busy timeout ran out) is rolled back and tried
again after a back-off, a bounded number of times, instead of ending the sweep.

On one SQLite file, one sweep at a time (``one_at_a_time``): the pauses of ten overlapping
sweeps would not add up to any free time for a click. A sweep that finds another running
leaves the work to it.

PostgreSQL locks rows, not the database: batches stay larger, nobody pauses, and several
sweeps share the work (``SKIP LOCKED``).
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from gendan.db import unit_of_work

__all__ = [
    "BATCH",
    "RETRY_WAITS",
    "SQLITE_BATCH",
    "batch_size",
    "is_locked",
    "one_at_a_time",
    "write_batch",
]

T = TypeVar("T")

#: Rows per transaction on PostgreSQL (row locks, SKIP LOCKED: nobody waits on a batch).
BATCH = 50
#: Rows per transaction on SQLite: about 15-20 ms of lock each (a timer costs ~3-4 ms).
SQLITE_BATCH = 5
#: After a SQLite batch, pause this fraction of the time the lock was held (at least
#: ``MIN_PAUSE``): a waiting click's busy handler polls every few to 100 ms.
PAUSE_RATIO = 0.5
MIN_PAUSE = 0.005
#: Seconds to wait before each retry of a batch that found the database locked.
RETRY_WAITS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)

BusyHook = Callable[[int, BaseException], None]


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def batch_size(engine: Engine, batch: int | None) -> int:
    """``batch`` if given, else the default for the engine's database."""
    if batch is not None:
        if batch < 1:
            raise ValueError(f"batch must be positive, got {batch}")
        return batch
    return SQLITE_BATCH if is_sqlite(engine) else BATCH


def is_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked"/"busy" (the busy timeout ran out), nothing else."""
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


def write_batch(
    engine: Engine,
    work: Callable[[Session], T],
    *,
    retry_waits: Sequence[float] | None = None,
    on_busy: BusyHook | None = None,
    pause: bool | Callable[[T], bool] = True,
) -> T:
    """``work(session)`` in its own unit of work; retried while the database is locked.

    Everything ``work`` did is rolled back before a retry, so it must build its result
    from the session only (a retried batch re-reads what is due). After the commit on
    SQLite it pauses (``pause``, or ``pause(result)``: only when another batch follows) so
    that waiting writers get the lock.
    ``on_busy(attempt, error)`` is told of each lock met (for logs and tests).
    """
    waits = RETRY_WAITS if retry_waits is None else retry_waits
    attempt = 0
    while True:
        started = time.monotonic()
        try:
            with unit_of_work(engine) as session:
                result = work(session)
        except OperationalError as exc:
            if not is_locked(exc) or attempt >= len(waits):
                raise
            if on_busy is not None:
                on_busy(attempt + 1, exc)
            time.sleep(waits[attempt])
            attempt += 1
            continue
        if is_sqlite(engine) and (pause(result) if callable(pause) else pause):
            time.sleep(max(MIN_PAUSE, (time.monotonic() - started) * PAUSE_RATIO))
        return result


def lock_path(engine: Engine, name: str) -> Path | None:
    """``<database file>.<name>.lock`` for a SQLite file, else None (PostgreSQL, memory)."""
    database = engine.url.database if is_sqlite(engine) else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{database}.{name}.lock")


@contextmanager
def one_at_a_time(engine: Engine, name: str) -> Iterator[bool]:
    """True while this process alone runs ``name`` on this SQLite file; False at once if
    another process (or thread) does. Always True on PostgreSQL.

    An OS lock (``flock``) on a file beside the database, so a crashed holder frees it.
    """
    path = lock_path(engine, name)
    if path is None:
        yield True
        return
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
