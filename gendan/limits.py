"""Bounds on what a request may carry, shared by the API, the pages and the engine.

Every id column is an ``integer`` on PostgreSQL (and a 64-bit integer on SQLite), so an id
outside ``1..MAX_ID`` can name nothing: it is refused before it reaches the database. Free
texts (reasons, notes, comments) and searches have a length limit, and a request body as a
whole has one (``api.guard``); searches stay far below SQLite's 50,000-byte LIKE pattern limit.
"""

from __future__ import annotations

from gendan.errors import InvalidForm

#: The largest id any table can hold on every database (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1

#: A reason, a note, a comment: the forms' long fields allow the same.
MAX_TEXT = 4000

#: A search term (inbox, audit search).
MAX_SEARCH = 200

#: A request body (JSON or form) in bytes; larger is a 413.
MAX_BODY = 1024 * 1024


def check_text(errors: dict[str, str], field: str, value: str | None, limit: int) -> None:
    """Note in ``errors`` when ``value`` is longer than ``limit`` characters."""
    if value is not None and len(value) > limit:
        errors[field] = f"at most {limit} characters / 不超过 {limit} 个字符"


def require_text(field: str, value: str | None, limit: int = MAX_TEXT) -> None:
    """422 (``InvalidForm``) naming ``field`` when ``value`` is longer than ``limit``."""
    errors: dict[str, str] = {}
    check_text(errors, field, value, limit)
    if errors:
        raise InvalidForm(errors)


def parse_id(value: object, field: str) -> int:
    """A posted id (a string from a page form): 422 naming ``field`` unless 1..MAX_ID."""
    raw = str(value).strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and 1 <= int(raw) <= MAX_ID):
        raise InvalidForm({field: f"must be a whole number from 1 to {MAX_ID} / 须为有效编号"})
    return int(raw)
