"""Migrations: from nothing and from a database release 0.1 made (with its data) to today's
schema, on SQLite and PostgreSQL, nothing lost, and the old work goes on."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url

from gendan import audit, migrate
from gendan.db import make_engine
from gendan.escalation import escalate_due
from gendan.runtime import Runtime, build_runtime
from gendan.settings import Settings
from tests.conftest import POSTGRES, postgres_database

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
#: Tables of release 0.1 (commit 89b63a4); their rows must all survive the upgrade.
OLD_TABLES = (
    "department",
    "user",
    "userrole",
    "apitoken",
    "order",
    "instance",
    "task",
    "timer",
    "document",
    "audithead",
    "auditevent",
    "notification",
    "deliveryattempt",
    "calendarday",
    "channelsetting",
    "chaincheck",
)


@contextmanager
def database(tmp_path: Path, *, release_0_1: bool) -> Iterator[str]:
    """An empty database, or one holding what release 0.1's `gendan demo` wrote."""
    if not POSTGRES:
        path = tmp_path / "g.db"
        if release_0_1:
            shutil.copy(FIXTURES / "release-0.1.sqlite", path)
        yield f"sqlite:///{path}"
        return
    with postgres_database() as url:
        if release_0_1:
            dump = (FIXTURES / "release-0.1.postgresql.sql").read_text(encoding="utf-8")
            libpq = make_url(url).set(drivername="postgresql").render_as_string(False)
            with psycopg.connect(libpq, autocommit=True) as conn:
                conn.execute(dump)
                conn.execute("SELECT pg_catalog.set_config('search_path', 'public', false)")
        yield url


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in OLD_TABLES
        }


def test_every_migration_from_nothing_reaches_the_models(tmp_path: Path) -> None:
    with database(tmp_path, release_0_1=False) as url:
        engine = make_engine(url)
        migrate.upgrade(engine, create_fresh=False)
        assert migrate.current(engine) == migrate.head()
        assert migrate.differences(engine) == []
        engine.dispose()


def test_a_fresh_database_is_created_at_head(tmp_path: Path) -> None:
    with database(tmp_path, release_0_1=False) as url:
        engine = make_engine(url)
        assert migrate.upgrade(engine) is None
        assert migrate.current(engine) == migrate.head()
        assert migrate.differences(engine) == []
        engine.dispose()


def test_a_release_0_1_database_is_upgraded_and_keeps_every_row(tmp_path: Path) -> None:
    with database(tmp_path, release_0_1=True) as url:
        engine = make_engine(url)
        assert "alembic_version" not in inspect(engine).get_table_names()
        before = counts(engine)
        assert before["auditevent"] > 0 and before["instance"] > 0
        assert audit.verify(engine).ok
        rt: Runtime = build_runtime(Settings(database_url=url))  # upgrades at start
        assert migrate.current(rt.db) == migrate.head()
        assert migrate.differences(rt.db) == []
        assert counts(rt.db) == before
        assert audit.verify(rt.db).ok
        with rt.db.connect() as conn:
            chains = conn.execute(text("SELECT chain FROM task WHERE status = 'open'")).all()
            periods = conn.execute(
                text("SELECT min(period_minutes) FROM task WHERE status = 'open' AND sla <> ''")
            ).scalar_one()
        assert chains and all(_json(c) == ["head", "gm_office"] for (c,) in chains)
        assert periods >= 30  # from the old "30 minutes" / "1 working day" texts
        # the old open work goes on: the sweep runs over the old timers
        escalate_due(rt, now=_far_future())
        assert audit.verify(rt.db).ok
        rt.db.dispose()
        engine.dispose()


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def _far_future():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(2030, 1, 1, tzinfo=UTC)


def test_the_fixtures_are_what_release_0_1_made() -> None:
    """Guard against regenerating the fixtures with today's code by mistake (read-only)."""
    path = FIXTURES / "release-0.1.sqlite"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(task)")}
    assert "chain" not in columns and "sla" in columns
    dump = (FIXTURES / "release-0.1.postgresql.sql").read_text(encoding="utf-8")
    task_table = dump.split("CREATE TABLE public.task (")[1].split(");")[0]
    assert "chain" not in task_table and "sla" in task_table


def test_processes_starting_together_upgrade_one_after_another(tmp_path: Path) -> None:
    """Replicas and workers start at once: on PostgreSQL the advisory lock serialises their
    upgrades (without it, two CREATE TABLE of one table collide)."""
    import threading

    with database(tmp_path, release_0_1=False) as url:
        errors: list[str] = []

        def start() -> None:
            engine = make_engine(url)
            try:
                migrate.upgrade(engine)
            except Exception as exc:  # noqa: BLE001 - reported below, with its text
                errors.append(repr(exc))
            finally:
                engine.dispose()

        threads = [threading.Thread(target=start) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        engine = make_engine(url)
        assert errors == []
        assert migrate.current(engine) == migrate.head()
        assert migrate.differences(engine) == []
        engine.dispose()
