"""Small helpers shared by the loopback test servers: free ports, waiting for arrivals."""

from __future__ import annotations

import socket
import threading
import time
from typing import TypeVar

T = TypeVar("T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    lock: threading.Lock, items: list[T], count: int, timeout: float, what: str
) -> list[T]:
    """Poll ``items`` until it holds ``count`` entries (I/O arrival, not SLA time)."""
    deadline = time.monotonic() + timeout
    while True:
        with lock:
            if len(items) >= count:
                return list(items)
        if time.monotonic() >= deadline:
            raise AssertionError(f"expected {count} {what} within {timeout}s, got {len(items)}")
        time.sleep(0.02)
