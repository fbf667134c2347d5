"""The flows' process of ``gendan serve``: the local Prefect server and every flow run, in one.

``python -m flows.host --port N`` serves Prefect's API and UI on 127.0.0.1:N (its scheduler
and other services included, as ``prefect server start`` does) and runs the scheduled flow
runs of gendan's deployments in this same process (``flows.in_process``). Without
``--port`` it uses the Prefect API named by ``PREFECT_API_URL`` (a server elsewhere).

Choice: one process for the Prefect server and the flows, because both import Prefect
(its models, client and settings are most of either's memory); the web workers never
import Prefect. SIGTERM (or SIGINT) stops it cleanly: no new runs, the runs in progress get
a few seconds, the schedules are paused while the server still answers, then the server stops.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from types import FrameType

#: Runs in progress get this long to finish on SIGTERM (the parent SIGKILLs after 15 s).
STOP_GRACE = 5.0


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    server = thread = None
    if args.port:
        os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{args.port}/api"
        server, thread = _start_server(args.port)
        if not _wait_started(server, thread, stop):
            return 0 if stop.is_set() else 1
    runner = None
    try:
        runner = _runner(args.sweep_interval, args.delivery_interval)
        while not stop.is_set():  # the server may still be migrating its database
            try:
                runner.register()
                break
            except Exception as exc:  # noqa: BLE001 - retried until stopped
                print(f"registering the deployments failed ({exc}); retrying", flush=True)
                stop.wait(2)
        runner.run(stop)
    finally:
        stopping = time.monotonic()
        print("flows: stopping", flush=True)
        if runner is not None:
            runner.wait(STOP_GRACE)
            runner.pause()
            _flush_to_api()
            print(f"flows: schedules paused, logs sent "
                  f"({time.monotonic() - stopping:.1f} s)", flush=True)  # fmt: skip
        if server is not None and thread is not None:
            server.should_exit = True  # type: ignore[attr-defined]
            thread.join(timeout=5)
            print(f"flows: Prefect server stopped ({time.monotonic() - stopping:.1f} s)",
                  flush=True)  # fmt: skip
    return 0


def _flush_to_api() -> None:
    """Send the flow runs' last log lines while the server still answers (at most a second):
    Prefect flushes them at interpreter exit, when the server has already stopped."""
    from prefect.logging.handlers import APILogWorker

    try:
        APILogWorker.drain_all(timeout=1)
    except Exception:  # noqa: BLE001 - best effort while stopping
        pass


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m flows.host", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="serve a Prefect server here")
    parser.add_argument("--sweep-interval", type=int, default=60)
    parser.add_argument("--delivery-interval", type=int, default=30)
    return parser.parse_args(argv)


def _start_server(port: int) -> tuple[object, threading.Thread]:
    """Prefect's server app (API, UI, scheduler and services) under uvicorn, in a thread."""
    import uvicorn
    from prefect.server.api.server import create_app

    config = uvicorn.Config(create_app(final=True), host="127.0.0.1", port=port, log_level="info")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="prefect-server", daemon=True)
    thread.start()
    return server, thread


def _wait_started(server: object, thread: threading.Thread, stop: threading.Event) -> bool:
    while not getattr(server, "started", False):
        if stop.is_set() or not thread.is_alive():
            server.should_exit = True  # type: ignore[attr-defined]
            thread.join(timeout=5)
            return False
        time.sleep(0.1)
    return True


def _runner(sweep_interval: int, delivery_interval: int):  # type: ignore[no-untyped-def]
    from flows.in_process import InProcessRunner
    from flows.serve import FLOWS, deployments

    return InProcessRunner(FLOWS, deployments(sweep_interval, delivery_interval))


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Prefect's exit hooks would talk to the server this process just stopped: leave now.
    os._exit(code)
