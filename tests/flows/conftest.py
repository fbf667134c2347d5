"""Fixtures for the flows tests: loopback SMTP/SMS servers, runtimes on SQLite files, Prefect.

Prefect's settings are read when prefect is first imported, so its quiet-offline
switches are set here, before any test module imports a flow.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gendan.runtime import Runtime, build_runtime
from gendan.settings import Settings, get_settings
from tests.conftest import database_for
from tests.support.fixtures import sms_gateway, smtp_sink  # noqa: F401

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")

#: Links in messages point here, so tests can recognise them.
BASE_URL = "https://gendan.factory.example"

MakeRuntime = Callable[..., Runtime]


@pytest.fixture
def make_runtime(tmp_path: Path) -> MakeRuntime:
    """Build runtimes on one database (a SQLite file, or PostgreSQL when the suite runs there);
    several calls = several workers on one database."""
    url = database_for(tmp_path / "gendan.db")

    def make(*, smtp_url: str, sms_url: str = "http://127.0.0.1:1/sms") -> Runtime:
        settings = Settings(database_url=url, smtp_url=smtp_url, sms_url=sms_url, base_url=BASE_URL)
        return build_runtime(settings)

    return make


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect API for the whole session: starting one costs about 15 s."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture
def gendan_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the process's settings (as flows and the CLI read them) at a fresh database."""
    url = database_for(tmp_path / "env.db")
    monkeypatch.setenv("GENDAN_DATABASE_URL", url)
    monkeypatch.setenv("GENDAN_SEAL_KEY_FILE", str(tmp_path / "audit-seal.key"))
    monkeypatch.setenv("GENDAN_SEAL_ANCHOR", str(tmp_path / "audit-anchor.jsonl"))
    get_settings.cache_clear()
    try:
        yield url
    finally:
        get_settings.cache_clear()
