"""Shared fixtures: a real SQLite file per test with the demo organisation, and real servers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gendan.db import unit_of_work
from gendan.demo import Driver, seed_organisation
from gendan.runtime import Runtime, build_runtime
from gendan.settings import Settings
from tests.support.fixtures import sms_gateway, smtp_sink  # noqa: F401

#: Monday 2026-11-23 10:00 in Shanghai.
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def make_runtime(path: Path, **settings: object) -> Runtime:
    rt = build_runtime(Settings(database_url=f"sqlite:///{path}", **settings))  # type: ignore[arg-type]
    with unit_of_work(rt.db) as s:
        seed_organisation(s)
    return rt


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    runtime = make_runtime(tmp_path / "gendan.db")
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def driver(rt: Runtime) -> Driver:
    return Driver(rt, MONDAY_10)
