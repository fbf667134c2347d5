"""``gendan schedules``: the scheduled starts (``gendan.schedules``) by hand.

``gendan schedules run --at 2026-12-03T09:00`` does what the flow does at that instant (a
catch-up after downtime, a replay); ``gendan schedules list`` shows each schedule, its cron
in company time, its next firing and its last recorded periods.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

import typer

schedules_app = typer.Typer(help="Scheduled starts of the procedures.", no_args_is_help=True)

OnlyOpt = Annotated[
    str | None, typer.Option("--schedule", help="Only this schedule (its key).")
]


@schedules_app.command("run")
def schedules_run(
    at: Annotated[str | None, typer.Option("--at", help="As of this instant (ISO 8601); "
                                           "without offset: company time.")] = None,
    replay: Annotated[bool, typer.Option("--replay", help="Allow --at later than now on "
                                         "real data.")] = False,
    schedule: OnlyOpt = None,
) -> None:  # fmt: skip
    """Start every schedule's due period once (as of --at) and print what happened."""
    from flows.scheduled_starts import line
    from gendan.cli import _instant
    from gendan.db import unit_of_work
    from gendan.runtime import build_runtime
    from gendan.schedules import run_due

    rt = build_runtime()
    now = _instant(at, rt, replay=replay)
    with unit_of_work(rt.db) as session:
        runs = run_due(session, now, rt.calendar, only=schedule)
    for run in runs:
        typer.echo(line(run))
    started = sum(1 for r in runs if r.outcome == "started")
    typer.echo(f"{started} period(s) started, {len(runs)} recorded or tried")
    if any(r.outcome == "failed" for r in runs):
        raise typer.Exit(1)


@schedules_app.command("list")
def schedules_list() -> None:
    """Each schedule: procedure, cron (company time), next firing, last periods."""
    from sqlmodel import Session

    from gendan.db import utcnow
    from gendan.runtime import build_runtime
    from gendan.schedules import declared, next_firing, recent_runs

    rt = build_runtime()
    zone = ZoneInfo(rt.settings.timezone)
    with Session(rt.db) as session:
        for item in declared():
            spec = item.spec
            nxt = next_firing(spec, utcnow(), zone).astimezone(zone).strftime("%Y-%m-%d %H:%M")
            last = ", ".join(f"{r.period} {r.outcome}" for r in recent_runs(session, spec.key))
            fan = f"  each {spec.each}" if spec.each else ""
            typer.echo(
                f"{spec.key}  {item.procedure}  cron '{spec.cron}' ({rt.settings.timezone})"
                f"  per {spec.period}{fan}  next {nxt}  last: {last or '-'}"
            )
            if spec.title_zh:
                typer.echo(f"    {spec.title_zh} / {spec.title_en}")
