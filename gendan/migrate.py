"""Schema migrations with Alembic: a fresh database gets today's schema at once, an existing
one is upgraded in place, and a database made before migrations existed is adopted.

- fresh (no gendan tables): ``create_all`` and stamp head — fast, and the test
  ``tests/engine/test_migrations.py`` proves the migrations reach the same schema;
- made by release 0.1 (tables, no ``alembic_version``): stamped ``0001`` (its schema),
  then upgraded;
- anything else: upgraded to head.

``gendan migrate`` runs it explicitly; every process runs it at start (``build_runtime``).
On PostgreSQL an advisory lock makes processes that start together upgrade one after
another; still, run ``gendan migrate`` once before starting several replicas, so a long
upgrade happens once and visibly.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

#: The schema of release 0.1, the last made without migrations.
BASELINE = "0001"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: PostgreSQL advisory lock key held while upgrading ("gendan" in ASCII, as a number).
UPGRADE_LOCK = 0x67656E64616E


def import_models() -> None:
    """Register every table with SQLModel's metadata (the modules that declare tables)."""
    from gendan import acknowledgements, models, refusals  # noqa: F401


def _config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    rev = script.get_current_head()
    assert rev is not None
    return rev


def differences(engine: Engine) -> list[object]:
    """What the database's schema lacks or has beyond the models (empty when in step)."""
    from alembic.autogenerate import compare_metadata

    import_models()
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head", *, create_fresh: bool = True) -> str | None:
    """Bring the database to ``revision``; return the revision it was at before.

    ``create_fresh=False`` builds even an empty database by running every migration (the
    test that proves the migrations reach the models' schema).
    """
    from gendan.db import writer

    import_models()
    # SQLite: BEGIN IMMEDIATE, so processes starting together queue for the write lock
    # instead of failing to upgrade a read lock.
    with writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            # Processes starting together (API replicas, workers) upgrade one after another;
            # the lock ends with this transaction.
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({UPGRADE_LOCK})")
        tables = set(inspect(conn).get_table_names())
        was = MigrationContext.configure(conn).get_current_revision()
        cfg = _config(conn)
        if not tables - {"alembic_version"} and not create_fresh:
            command.upgrade(cfg, revision)
            return None
        if not tables - {"alembic_version"}:
            SQLModel.metadata.create_all(conn)
            command.stamp(cfg, "head")
            return None
        if was is None:
            command.stamp(cfg, BASELINE)  # made by release 0.1, before migrations
            was = BASELINE
        command.upgrade(cfg, revision)
        return was
