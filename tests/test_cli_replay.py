"""``--at`` later than now is refused on a database with real data unless ``--replay`` (issue 8
item 9): the audit trail never holds future events. The real ``gendan`` command, in-process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from gendan.cli import app
from gendan.db import utcnow
from gendan.demo import Driver, load_demo, order_form
from gendan.models import AuditEvent, Order
from gendan.replay import DEMO_ORDER_NOS
from gendan.runtime import build_runtime
from gendan.settings import Settings, get_settings

Gendan = Callable[..., Result]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "replay.db"


@pytest.fixture
def gendan(db_path: Path) -> Iterator[Gendan]:
    runner = CliRunner()
    env = {"GENDAN_DATABASE_URL": f"sqlite:///{db_path}", "GENDAN_BASE_URL": "http://gendan.test"}

    def run(*args: str) -> Result:
        get_settings.cache_clear()
        return runner.invoke(app, list(args), env=env)

    yield run
    get_settings.cache_clear()


def _real_order(db_path: Path) -> None:
    """A demo company in which someone has entered an order of their own, overdue later."""
    rt = build_runtime(Settings(database_url=f"sqlite:///{db_path}"))
    now = utcnow() - timedelta(hours=1)
    load_demo(rt, now=now)
    Driver(rt, now).start("order_review", "clerk", order_form("SO-REAL-1", "regular", now=now))
    rt.db.dispose()


def _trail(db_path: Path) -> tuple[int, datetime]:
    rt = build_runtime(Settings(database_url=f"sqlite:///{db_path}"))
    with Session(rt.db) as s:
        count = s.exec(select(func.count()).select_from(AuditEvent)).one()
        latest = s.exec(select(func.max(AuditEvent.at))).one()
    rt.db.dispose()
    latest = latest if latest.tzinfo else latest.replace(tzinfo=UTC)
    return count, latest


def test_future_at_is_refused_on_real_data_and_nothing_is_written(
    gendan: Gendan, db_path: Path
) -> None:
    _real_order(db_path)
    before = _trail(db_path)
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()

    for command in ("sweep", "deliver"):
        result = gendan(command, "--at", later)
        assert result.exit_code == 1, result.output
        assert "later than now" in result.output and "--replay" in result.output
        assert "SO-REAL-1" in result.output  # which data counts as real, named
    assert _trail(db_path) == before

    # as of now or earlier: as before
    earlier = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    assert gendan("sweep", "--at", earlier).exit_code == 0
    assert gendan("sweep").exit_code == 0
    assert _trail(db_path)[1] <= datetime.now(UTC)


def test_replay_allows_a_future_instant_on_real_data(gendan: Gendan, db_path: Path) -> None:
    _real_order(db_path)
    later = datetime.now(UTC) + timedelta(days=30)

    result = gendan("sweep", "--at", later.isoformat(), "--replay")

    assert result.exit_code == 0, result.output
    assert "SO-REAL-1" in result.output  # its tasks escalated, as of then
    assert _trail(db_path)[1] > datetime.now(UTC)  # a replay's trail holds that future


def test_demo_database_may_jump_ahead_without_replay(gendan: Gendan) -> None:
    assert gendan("demo").exit_code == 0
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()

    result = gendan("sweep", "--at", later)

    assert result.exit_code == 0, result.output
    assert "escalation(s) as of" in result.output


def test_demo_order_numbers_are_the_ones_the_demo_makes(db_path: Path) -> None:
    rt = build_runtime(Settings(database_url=f"sqlite:///{db_path}"))
    load_demo(rt)
    with Session(rt.db) as s:
        made = set(s.exec(select(Order.order_no)).all())
    rt.db.dispose()
    assert made == DEMO_ORDER_NOS
