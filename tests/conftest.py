"""Shared fixtures: a real SQLite file per test with the demo organisation, and real servers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from gendan.db import unit_of_work
from gendan.demo import Driver, seed_organisation
from gendan.runtime import Runtime, build_runtime
from gendan.settings import Settings
from tests.support.fixtures import sms_gateway, smtp_sink  # noqa: F401

#: Monday 2026-11-23 10:00 in Shanghai.
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def make_runtime(path: Path, **settings: object) -> Runtime:
    """A runtime with the demo organisation on the SQLite file ``path`` — or, when the suite
    runs on PostgreSQL, on a fresh database named after it (dropped when the session ends)."""
    # the seal key and the anchor beside the file, on PostgreSQL too (never the project's var/)
    settings.setdefault("seal_key_file", str(path.with_name("audit-seal.key")))
    settings.setdefault("seal_anchor", str(path.with_name("audit-anchor.jsonl")))
    rt = build_runtime(Settings(database_url=database_for(path), **settings))  # type: ignore[arg-type]
    with unit_of_work(rt.db) as s:
        seed_organisation(s)
    return rt


#: PostgreSQL databases made for SQLite paths in this session, dropped at its end.
_PG_FOR_PATH: dict[str, str] = {}


def database_for(path: Path) -> str:
    """The database URL tests use for the file ``path``: the file itself on SQLite; on
    PostgreSQL one fresh database per path (several runtimes on one path share it)."""
    if not POSTGRES:
        return f"sqlite:///{path}"
    key = str(path)
    if key not in _PG_FOR_PATH:
        name = f"gendan_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        _PG_FOR_PATH[key] = name
    url = make_url(POSTGRES).set(database=_PG_FOR_PATH[key])
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def _drop_path_databases() -> Iterator[None]:
    yield
    if not _PG_FOR_PATH:
        return
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in _PG_FOR_PATH.values():
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


#: Set to a PostgreSQL server URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)
#: to run every test that uses ``rt`` against PostgreSQL: one fresh database per test.
POSTGRES = os.environ.get("GENDAN_TEST_POSTGRES_URL", "")


@contextmanager
def postgres_database() -> Iterator[str]:
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"gendan_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    if not POSTGRES:
        runtime = make_runtime(tmp_path / "gendan.db")
        yield runtime
        runtime.db.dispose()
        return
    with postgres_database() as url:
        runtime = build_runtime(
            Settings(  # type: ignore[call-arg]
                database_url=url,
                seal_key_file=str(tmp_path / "audit-seal.key"),
                seal_anchor=str(tmp_path / "audit-anchor.jsonl"),
            )
        )
        with unit_of_work(runtime.db) as s:
            seed_organisation(s)
        yield runtime
        runtime.db.dispose()


@pytest.fixture
def driver(rt: Runtime) -> Driver:
    return Driver(rt, MONDAY_10)
