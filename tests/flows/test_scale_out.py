"""Scale-out on one machine, small: bench/scale_out.py's machinery with 200 timers.

A throwaway PostgreSQL (``bin/pg-throwaway``, as CI starts one) holds the Prefect server's
database and gendan's; ``prefect deploy --all`` deploys every deployment of prefect.yaml;
two workers of the ``gendan`` pool run sweep and delivery deployments (to a loopback mail
server and SMS gateway); two ``gendan serve --no-flows`` processes take completions over
HTTP. Asserts exactly-once and that every worker and API process did work; never timings.
Runs in the SQLite phase of the suite too (it brings its own PostgreSQL); skipped only where
PostgreSQL's server binaries are missing.
"""

from __future__ import annotations

import glob
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not glob.glob("/usr/lib/postgresql/*/bin/initdb"),
    reason="PostgreSQL server binaries not installed (apt-get install postgresql)",
)


def _bench() -> Any:
    path = PROJECT / "bench" / "scale_out.py"
    spec = importlib.util.spec_from_file_location("bench_scale_out", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_two_workers_and_two_apis_do_every_escalation_and_completion_once(
    tmp_path: Path,
) -> None:
    bench = _bench()
    result = bench.run(
        tmp_path, pg_port=54407, timers=200, completions=24, clients=4, one_first=False
    )

    # Every deployment of prefect.yaml deployed (no 422 after the first).
    assert result["deployments"] == bench._expected_deployments()

    (ph,) = result["phases"]
    assert (ph["apis"], ph["workers"]) == (2, 2)
    comp, sweep = ph["completions"], ph["sweep"]
    assert comp["check"] == {"tasks": 24, "once": 24, "twice_or_more": 0, "still_open": 0}
    # Both API processes answered (clients alternate between them), every answer a 200.
    assert len(comp["answers"]) == 2 and sum(comp["answers"].values()) == 24, comp["answers"]
    assert all(k.endswith(" 200") for k in comp["answers"]), comp["answers"]

    check = sweep["check"]
    assert check["timers"] == check["fired"] == check["escalated_once"] == 200
    assert check["escalated_twice_or_more"] == 0
    assert check["outbox_items"] == check["outbox_items_expected"] > 0
    assert check["outbox_items_once"] == check["outbox_items_expected"]
    assert check["outbox_items_twice_or_more"] == 0
    # Both workers ran a sweep run; what the runs logged adds up: none fired a timer twice.
    assert [r["state"] for r in sweep["runs"]] == ["COMPLETED", "COMPLETED"]
    assert {r["worker"] for r in sweep["runs"]} == {"worker-1", "worker-2"}
    assert sum(r["escalations"] for r in sweep["runs"]) == 200
    # Delivery by two runs on the workers: every message sent, each e-mail received once.
    delivery = ph["delivery"]
    assert [r["state"] for r in delivery["runs"]] == ["COMPLETED", "COMPLETED"]
    sent = delivery["check"]
    assert sent["rows"] == sent["sent"] == sum(r["sent"] for r in delivery["runs"]) > 0
    assert sent["emails"] == sent["emails_received_once"] > 0
    assert sent["emails_received_twice_or_more"] == 0
    assert sent["sms"] == sent["sms_received"]
    assert result["audit_chain_intact"]
