"""Database engine and sessions for SQLite (default) and PostgreSQL, with the same code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC out; stored naive-UTC so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def make_engine(url: str) -> Engine:
    """Create the engine; on SQLite: WAL, and BEGIN IMMEDIATE for ``unit_of_work``."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            write = conn.get_execution_options().get("gendan_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def writer(engine: Engine) -> Engine:
    """The same database for a business operation: on SQLite its transaction starts with
    BEGIN IMMEDIATE, so concurrent writers queue (busy timeout) instead of failing to upgrade
    a read lock. Plain sessions read without taking the write lock."""
    return engine.execution_options(gendan_write=True)


def reader(engine: Engine) -> Engine:
    """The same database for reading; says so at the call site (reads never take the lock)."""
    return engine.execution_options(gendan_write=False)


#: Audit events are read-only in the database itself; the hash chain catches whoever
#: drops these guards to edit the records anyway.
READ_ONLY_AUDIT = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS auditevent_read_only_u BEFORE UPDATE ON auditevent "
        "BEGIN SELECT RAISE(ABORT, 'audit events are read-only'); END",
        "CREATE TRIGGER IF NOT EXISTS auditevent_read_only_d BEFORE DELETE ON auditevent "
        "BEGIN SELECT RAISE(ABORT, 'audit events are read-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION gendan_audit_read_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit events are read-only'; END $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS auditevent_read_only ON auditevent",
        "CREATE TRIGGER auditevent_read_only BEFORE UPDATE OR DELETE ON auditevent "
        "FOR EACH ROW EXECUTE FUNCTION gendan_audit_read_only()",
    ],
}


#: Seals (``auditseal``) are read-only too, and PostgreSQL refuses TRUNCATE of either table
#: (TRUNCATE fires no row triggers; SQLite has none, its ``DELETE`` fires the guard above).
AUDIT_SEAL_GUARDS = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS auditseal_read_only_u BEFORE UPDATE ON auditseal "
        "BEGIN SELECT RAISE(ABORT, 'audit seals are read-only'); END",
        "CREATE TRIGGER IF NOT EXISTS auditseal_read_only_d BEFORE DELETE ON auditseal "
        "BEGIN SELECT RAISE(ABORT, 'audit seals are read-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION gendan_audit_seal_read_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit seals are read-only'; END $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS auditseal_read_only ON auditseal",
        "CREATE TRIGGER auditseal_read_only BEFORE UPDATE OR DELETE ON auditseal "
        "FOR EACH ROW EXECUTE FUNCTION gendan_audit_seal_read_only()",
        "CREATE OR REPLACE FUNCTION gendan_audit_no_truncate() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit records cannot be truncated'; END $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS auditevent_no_truncate ON auditevent",
        "CREATE TRIGGER auditevent_no_truncate BEFORE TRUNCATE ON auditevent "
        "FOR EACH STATEMENT EXECUTE FUNCTION gendan_audit_no_truncate()",
        "DROP TRIGGER IF EXISTS auditseal_no_truncate ON auditseal",
        "CREATE TRIGGER auditseal_no_truncate BEFORE TRUNCATE ON auditseal "
        "FOR EACH STATEMENT EXECUTE FUNCTION gendan_audit_no_truncate()",
    ],
}


def drop_audit_guards(engine: Engine) -> None:
    """Remove the read-only guards (what a tamperer with database access could do)."""
    stmts = {
        "sqlite": [
            "DROP TRIGGER IF EXISTS auditevent_read_only_u",
            "DROP TRIGGER IF EXISTS auditevent_read_only_d",
            "DROP TRIGGER IF EXISTS auditseal_read_only_u",
            "DROP TRIGGER IF EXISTS auditseal_read_only_d",
        ],
        "postgresql": [
            "DROP TRIGGER IF EXISTS auditevent_read_only ON auditevent",
            "DROP TRIGGER IF EXISTS auditevent_no_truncate ON auditevent",
            "DROP TRIGGER IF EXISTS auditseal_read_only ON auditseal",
            "DROP TRIGGER IF EXISTS auditseal_no_truncate ON auditseal",
        ],
    }[engine.dialect.name]
    with engine.begin() as conn:
        for stmt in stmts:
            conn.exec_driver_sql(stmt)


def create_schema(engine: Engine) -> None:
    """Create missing tables (idempotent), the audit chain's head row and its read-only guard."""
    from gendan import migrate, models

    migrate.upgrade(engine)  # fresh: today's schema at head; older: upgraded (gendan.migrate)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Processes starting together (several flow runs of a worker) replace the guard
            # functions one after another: concurrent CREATE OR REPLACE FUNCTION fails with
            # "tuple concurrently updated". The lock ends with this transaction.
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({migrate.UPGRADE_LOCK})")
        for stmt in READ_ONLY_AUDIT.get(engine.dialect.name, []):
            conn.exec_driver_sql(stmt)
        for stmt in AUDIT_SEAL_GUARDS.get(engine.dialect.name, []):
            conn.exec_driver_sql(stmt)
    with Session(engine) as s:
        if s.get(models.AuditHead, 1) is None:
            s.add(models.AuditHead(id=1, seq=0, hash=models.GENESIS_HASH))
            s.commit()


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One business operation: commits when the block ends normally, rolls back on any error."""
    with Session(writer(engine), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
