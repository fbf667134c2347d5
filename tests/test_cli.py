"""The ``gendan`` command in-process (typer's CliRunner), each test on its own SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from gendan.cli import app
from gendan.demo import DEMO_PASSWORD
from gendan.settings import get_settings

Gendan = Callable[..., Result]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


@pytest.fixture
def gendan(db_path: Path) -> Iterator[Gendan]:
    """Run ``gendan ARGS`` with GENDAN_DATABASE_URL set, as a fresh process would read it."""
    runner = CliRunner()
    env = {"GENDAN_DATABASE_URL": f"sqlite:///{db_path}", "GENDAN_BASE_URL": "http://gendan.test"}

    def run(*args: str) -> Result:
        get_settings.cache_clear()  # settings are cached per process; each call is a "process"
        return runner.invoke(app, list(args), env=env)

    yield run
    get_settings.cache_clear()


def test_demo_prints_the_logins_password_and_url(gendan: Gendan) -> None:
    result = gendan("demo")

    assert result.exit_code == 0, result.output
    assert "Demo company loaded" in result.output
    for expected in ("clerk", "王丽 (销售内勤)", "sales_clerk@sales", "gm", "auditor"):
        assert expected in result.output
    assert DEMO_PASSWORD in result.output
    assert "http://gendan.test" in result.output

    again = gendan("demo")
    assert again.exit_code == 0
    assert "already has data" in again.output


def test_sweep_at_prints_each_escalation_and_the_count(gendan: Gendan) -> None:
    assert gendan("demo").exit_code == 0
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()

    result = gendan("sweep", "--at", later)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    escalations = [line for line in lines if line.startswith("task ")]
    assert any(
        "level 1" in line and "SO-2026-0001" in line and "sales_head" in line
        for line in escalations
    )
    # 30 days late, no reminder says "finish before …": only escalations are sent
    assert not any("level 0 (reminder)" in line for line in escalations)
    assert lines[-1].startswith(f"{len(escalations)} escalation(s) as of ")


def test_sweep_reads_a_naive_instant_as_company_local_time(gendan: Gendan) -> None:
    result = gendan("sweep", "--at", "2026-01-01T09:30")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0 escalation(s) as of 2026-01-01 09:30 CST"


def test_sweep_rejects_an_instant_that_is_not_iso(gendan: Gendan) -> None:
    result = gendan("sweep", "--at", "tomorrow")

    assert result.exit_code == 2
    assert "not an ISO-8601" in result.output


def test_deliver_prints_counts(gendan: Gendan) -> None:
    result = gendan("deliver")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 0, failed 0, postponed 0"


def test_audit_verify_passes_then_names_the_tampered_event(gendan: Gendan, db_path: Path) -> None:
    assert gendan("demo").exit_code == 0

    intact = gendan("audit", "verify")
    assert intact.exit_code == 0, intact.output
    assert intact.output.startswith("audit chain intact: ")
    assert int(intact.output.split(":")[1].split()[0]) > 3

    with sqlite3.connect(db_path) as conn:
        conn.execute("DROP TRIGGER auditevent_read_only_u")  # the read-only guard, removed
        conn.execute("UPDATE auditevent SET reason='x' WHERE seq=3")

    broken = gendan("audit", "verify")
    assert broken.exit_code == 1
    assert "event 3" in broken.output
    assert "altered" in broken.output
