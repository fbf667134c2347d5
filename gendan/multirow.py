"""Multi-row INSERTs: ``INSERT … VALUES (…), (…), …`` for many rows at once.

Choice: one ``executemany`` of the statement, which SQLAlchemy sends as multi-row INSERTs
("insertmanyvalues": pages of up to 1,000 rows on PostgreSQL) or the driver's own
``executemany`` (sqlite3, in C), because the statement is compiled once and cached; an
``insert().values([...])`` with thousands of bound parameters is compiled anew each time,
which cost more than the database's work (measured, bench/sweep_set.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Row
from sqlmodel import Session


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: Sequence[Any] = (),
) -> list[Row[Any]]:
    """Insert ``rows`` (all with the same keys) in the session's transaction; the
    ``returning`` columns of the new rows, in the order of ``rows``."""
    if not rows:
        return []
    conn = session.connection()
    if not returning:
        conn.execute(insert(table), list(rows))
        return []
    stmt = insert(table).returning(*returning, sort_by_parameter_order=True)
    return list(conn.execute(stmt, list(rows)).all())
