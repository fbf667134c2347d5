"""The app served by a real uvicorn on loopback, with an injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from api.app import create_app
from gendan.demo import DEMO_PASSWORD
from gendan.runtime import Runtime
from tests.conftest import MONDAY_10
from tests.support.app_server import serve_app


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_10)


@pytest.fixture
def server(rt: Runtime, clock: Clock) -> Iterator[str]:
    with serve_app(create_app(rt, clock=clock)) as base:
        yield base


def api_client(base: str, username: str) -> httpx.Client:
    token = httpx.post(f"{base}/api/token", json={"username": username, "password": DEMO_PASSWORD})
    token.raise_for_status()
    return httpx.Client(
        base_url=base,
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        timeout=30,
    )
