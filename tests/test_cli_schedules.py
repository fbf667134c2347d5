"""``gendan schedules run --at`` and ``gendan schedules list`` in-process, on a SQLite file:
the month's start after a downtime runs once, whatever instant it is run at again."""

from __future__ import annotations

from pathlib import Path

from gendan.db import make_engine, unit_of_work
from gendan.demo import seed_organisation
from tests.test_cli import Gendan, db_path, gendan  # noqa: F401 - the fixtures


def test_schedules_run_catches_up_once_and_list_shows_it(
    gendan: Gendan,  # noqa: F811
    db_path: Path,  # noqa: F811
) -> None:
    assert gendan("migrate").exit_code == 0
    engine = make_engine(f"sqlite:///{db_path}")
    with unit_of_work(engine) as s:  # the company: departments, the MC and the manager
        seed_organisation(s)
    engine.dispose()
    first = gendan("schedules", "run", "--at", "2026-10-02T09:00", "--schedule", "purchase_on_time")
    assert first.exit_code == 0, first.output
    assert "schedule purchase_on_time (purchase_on_time) period 2026-10: started" in first.output

    # down over Nov 1 08:00; back on Nov 3: November's period starts, once
    back = gendan("schedules", "run", "--at", "2026-11-03T09:00", "--schedule", "purchase_on_time")
    assert back.exit_code == 0, back.output
    assert "period 2026-11: started" in back.output
    for again in ("2026-11-03T09:00", "2026-11-20T16:00"):
        result = gendan("schedules", "run", "--at", again, "--schedule", "purchase_on_time")
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "0 period(s) started, 0 recorded or tried"

    listed = gendan("schedules", "list")
    assert listed.exit_code == 0, listed.output
    assert "purchase_on_time  purchase_on_time  cron '0 8 1 * *' (Asia/Shanghai)" in listed.output
    assert "last: 2026-11 started, 2026-10 started" in listed.output
