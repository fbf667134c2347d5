"""Count the SQL statements an engine runs, by kind (a behaviour guard, not a timing)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class Statements:
    """What ran: each statement's text, and counts by kind ("SELECT task", "INSERT timer")."""

    sql: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.sql)

    @property
    def by_kind(self) -> Counter[str]:
        return Counter(kind(s) for s in self.sql)


def kind(sql: str) -> str:
    """"UPDATE instance", "SELECT task", "BEGIN": the verb and the first table it names."""
    words = sql.replace('"', " ").replace("(", " ").split()
    verb = words[0].upper() if words else ""
    table = ""
    if verb == "SELECT" and "FROM" in (w.upper() for w in words):
        table = next(words[i + 1] for i, w in enumerate(words) if w.upper() == "FROM")
    elif verb == "INSERT" and len(words) > 2:
        table = words[2]
    elif verb == "UPDATE" and len(words) > 1:
        table = words[1]
    elif verb == "DELETE" and len(words) > 2:
        table = words[2]
    return f"{verb} {table}".strip()


@contextmanager
def counted(engine: Engine) -> Iterator[Statements]:
    """Every statement sent to the driver while the block runs (BEGIN IMMEDIATE included on
    SQLite, where gendan issues it itself; COMMIT is the driver's call, not a statement)."""
    seen = Statements()

    def _count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.sql.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _count)
