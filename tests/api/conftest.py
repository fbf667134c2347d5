"""The app served by a real uvicorn on loopback, with an injected clock."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
import uvicorn

from api.app import create_app
from gendan.demo import DEMO_PASSWORD
from gendan.runtime import Runtime
from tests.conftest import MONDAY_10


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_10)


@pytest.fixture
def server(rt: Runtime, clock: Clock) -> Iterator[str]:
    port = free_port()
    srv = uvicorn.Server(
        uvicorn.Config(
            create_app(rt, clock=clock), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:  # server start-up, not SLA time
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


def api_client(base: str, username: str) -> httpx.Client:
    token = httpx.post(f"{base}/api/token", json={"username": username, "password": DEMO_PASSWORD})
    token.raise_for_status()
    return httpx.Client(
        base_url=base,
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        timeout=30,
    )
