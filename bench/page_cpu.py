"""CPU time of one inbox page (GET / as the clerk), in-process, for whichever tree is imported.

Run from the tree to measure, on a file ``bench/inbox.py`` built::

    PYTHONPATH=. /work/main/.venv/bin/python /work/main/bench/page_cpu.py --db /tmp/inbox.db
    (cd /tmp/old && PYTHONPATH=. /work/main/.venv/bin/python /work/main/bench/page_cpu.py \\
        --db /tmp/inbox.db --label before)        # a tree from ``git archive <commit>``

The process's CPU time (every thread: the test client and the app) is what a page costs the
server whatever else the machine runs; wall time is printed beside it. Nothing asserts on it.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
import warnings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", required=True, help="a file built by bench/inbox.py")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--label", default="this tree")
    args = ap.parse_args()
    os.environ["GENDAN_DATABASE_URL"] = f"sqlite:///{args.db}"
    warnings.filterwarnings("ignore")
    from fastapi.testclient import TestClient

    from api.app import create_app
    from gendan.runtime import build_runtime

    client = TestClient(create_app(build_runtime()), base_url="http://127.0.0.1")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token, "no CSRF token on /login"
    form = {"username": "clerk", "password": "gendan-demo", "csrf_token": token[1], "next": "/"}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    for _ in range(3):
        client.get("/")
    cpu, wall = [], []
    for _ in range(args.runs):
        c0, w0 = time.process_time(), time.perf_counter()
        assert client.get("/").status_code == 200
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    print(
        f"{args.label}: GET / in-process, median of {args.runs}: CPU"
        f" {1000 * statistics.median(cpu):.1f} ms, wall {1000 * statistics.median(wall):.1f} ms"
    )


if __name__ == "__main__":
    main()
