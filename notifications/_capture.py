"""Capture apprise's log records for one send, so a failure carries its real reason.

apprise reports delivery problems by logging, not by raising; the useful
detail (``[Errno 111] Connection refused``, the HTTP status) is often logged
at DEBUG level. ``capture_apprise_log()`` collects the records emitted by the
*current thread* while it is active, lowering the apprise logger's level to
DEBUG for that time. A logger filter keeps the extra DEBUG records away from
the application's own handlers, so capturing adds no log noise elsewhere.
Concurrent sends from several threads each get only their own records.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from apprise.logger import LOGGER_NAME

# DEBUG records worth showing to an operator; the rest is apprise chatter.
_USEFUL_DEBUG_PREFIXES = ("Socket Exception", "Response Details")
_MAX_PART = 300


class _ThreadCapture(logging.Filter):
    """Logger filter: copies records of capturing threads, passes on the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.buffers: dict[int, list[logging.LogRecord]] = {}
        self.pass_level = logging.NOTSET

    def filter(self, record: logging.LogRecord) -> bool:
        buffer = self.buffers.get(record.thread or 0)
        if buffer is not None:
            buffer.append(record)
        # Only records the logger would have emitted without us reach handlers.
        return record.levelno >= self.pass_level


_lock = threading.Lock()
_capture = _ThreadCapture()
_saved_level = logging.NOTSET


@contextmanager
def capture_apprise_log() -> Iterator[list[logging.LogRecord]]:
    """Collect this thread's apprise log records (DEBUG and up) while active."""
    global _saved_level
    logger = logging.getLogger(LOGGER_NAME)
    records: list[logging.LogRecord] = []
    thread_id = threading.get_ident()
    with _lock:
        if not _capture.buffers:
            _saved_level = logger.level
            _capture.pass_level = logger.getEffectiveLevel()
            logger.addFilter(_capture)
            logger.setLevel(logging.DEBUG)
        _capture.buffers[thread_id] = records
    try:
        yield records
    finally:
        with _lock:
            _capture.buffers.pop(thread_id, None)
            if not _capture.buffers:
                logger.removeFilter(_capture)
                logger.setLevel(_saved_level)


def describe_failure(records: list[logging.LogRecord]) -> str:
    """Condense captured records into one operator-readable error message."""
    parts: list[str] = []
    for record in records:
        text = record.getMessage().strip()
        useful = record.levelno >= logging.WARNING or text.startswith(_USEFUL_DEBUG_PREFIXES)
        if not useful or not text:
            continue
        if record.exc_info and record.exc_info[1] is not None:
            text = f"{text}: {record.exc_info[1]!r}"
        text = " ".join(text.split()).rstrip(".")
        if len(text) > _MAX_PART:
            text = text[: _MAX_PART - 1] + "…"
        if text not in parts:
            parts.append(text)
    return "; ".join(parts) if parts else "apprise reported a failure without giving a reason"
