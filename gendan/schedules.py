"""Scheduled starts (issue 10 mechanism 2): each ``states.base.Scheduled`` a procedure declares
starts its instance(s) once per period, also after the system was down.

:func:`run_due` is the whole mechanism (the Prefect flow ``flows/scheduled_starts.py`` and
``gendan schedules run --at`` call it). For every declared schedule it finds the latest
firing of its cron (company time) at or before ``now``; the firing's period (``"2026-11"``)
is started once: a ``ScheduleRun`` row (unique on schedule and period) is inserted in the
same savepoint as the instances, so two runners racing start it once — the loser's insert
fails and its savepoint is rolled back with whatever it began.

Catch-up. Choice: after downtime only the LATEST due period of each schedule runs; periods
missed between the schedule's last recorded run and it are recorded ``skipped`` (visible in
``gendan schedules list`` and the trail of runs), because a scheduled start opens work for
*now* — a safety-stock review, a count, a monthly measure — and the latest period's start
covers the same ground (two stale reviews of the same items, or three counts of one
warehouse on the same day, would be noise people must close by hand). A measure of an
older month can still be started by hand (its start form names the month). A schedule with
no run recorded yet (a fresh install, a new declaration) starts only its latest period and
records nothing before it.

A start whose business key (``Subject.key_field``) already has an instance, open or closed,
is left out (someone started it by hand); a period all of whose starts exist is recorded
``existing``.

Fan-outs: ``@fanout("suppliers")`` registers ``f(session, period, due) -> list[dict]``: one
start per row, each form the schedule's form updated with the row. Gates: ``@gate("name")``
registers ``f(session, due) -> bool`` (a monthly or quarterly review read from the master
settings); a closed gate records the period ``gated``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cronsim import CronSim
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import forms as forms_pkg
from gendan.calendar import BusinessCalendar
from gendan.models import Instance, ScheduleRun, Stock, Subcontractor, Supplier
from gendan.system_starts import start_by_system
from states import PROCEDURES
from states.base import Scheduled

FanoutFn = Callable[[Session, str, datetime], list[dict[str, Any]]]
GateFn = Callable[[Session, datetime], bool]
FANOUTS: dict[str, FanoutFn] = {}
GATES: dict[str, GateFn] = {}
#: Modules that register fan-outs and gates of particular procedures (imported on first run).
PROVIDER_MODULES: tuple[str, ...] = (
    "gendan.measures", "gendan.safety_review", "gendan.quality_daily"
)
#: A cron firing every minute over a long downtime is not walked further back than this.
MAX_MISSED = 2000


def fanout(name: str) -> Callable[[FanoutFn], FanoutFn]:
    """Register ``f(session, period, due) -> [row, ...]`` as the fan-out ``name``."""

    def register(fn: FanoutFn) -> FanoutFn:
        FANOUTS[name] = fn
        return fn

    return register


def gate(name: str) -> Callable[[GateFn], GateFn]:
    """Register ``f(session, due) -> bool`` as the gate ``name`` (False: not this period)."""

    def register(fn: GateFn) -> GateFn:
        GATES[name] = fn
        return fn

    return register


@fanout("suppliers")
def approved_suppliers(session: Session, period: str, due: datetime) -> list[dict[str, Any]]:
    rows = session.exec(select(Supplier.code).where(Supplier.approved).order_by(Supplier.code))
    return [{"supplier_code": code} for code in rows.all()]


@fanout("warehouses")
def warehouses(session: Session, period: str, due: datetime) -> list[dict[str, Any]]:
    rows = session.exec(select(Stock.warehouse).distinct().order_by(Stock.warehouse))
    return [{"warehouse": w} for w in rows.all()]


@fanout("subcontractors")
def subcontractors(session: Session, period: str, due: datetime) -> list[dict[str, Any]]:
    rows = session.exec(select(Subcontractor.code).order_by(Subcontractor.code))
    return [{"subcontractor_code": code} for code in rows.all()]


def load_providers() -> None:
    for name in PROVIDER_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


@dataclass(frozen=True)
class Declared:
    procedure: str
    spec: Scheduled


def declared() -> list[Declared]:
    """Every schedule of the registered procedures; a key declared twice is an error."""
    found: dict[str, Declared] = {}
    for proc in PROCEDURES.values():
        for spec in proc.schedules:
            if spec.key in found:
                raise ValueError(f"schedule {spec.key!r} is declared twice")
            found[spec.key] = Declared(proc.key, spec)
    return sorted(found.values(), key=lambda d: d.spec.key)


def period_label(local: datetime, granularity: str) -> str:
    """The period a firing at company time ``local`` belongs to (``"2026-11"``)."""
    d = local.date()
    if granularity == "day":
        return d.isoformat()
    if granularity == "week":
        year, week, _ = d.isocalendar()
        return f"{year}-W{week:02d}"
    if granularity == "month":
        return f"{d.year}-{d.month:02d}"
    if granularity == "quarter":
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    if granularity == "half":
        return f"{d.year}-H{1 if d.month <= 6 else 2}"
    return str(d.year)


def latest_firing(spec: Scheduled, now: datetime, zone: ZoneInfo) -> datetime:
    """The schedule's last firing at or before ``now`` (aware UTC)."""
    local = _aware(now).astimezone(zone) + timedelta(seconds=1)
    return next(iter(CronSim(spec.cron, local, reverse=True))).astimezone(UTC)


def next_firing(spec: Scheduled, now: datetime, zone: ZoneInfo) -> datetime:
    """The schedule's first firing after ``now`` (aware UTC)."""
    return next(iter(CronSim(spec.cron, _aware(now).astimezone(zone)))).astimezone(UTC)


def firings_between(
    spec: Scheduled, after: datetime, before: datetime, zone: ZoneInfo
) -> list[datetime]:
    """Firings strictly after ``after`` and strictly before ``before`` (aware UTC)."""
    out: list[datetime] = []
    for fire in CronSim(spec.cron, _aware(after).astimezone(zone)):
        fire_utc = fire.astimezone(UTC)
        if fire_utc >= _aware(before) or len(out) >= MAX_MISSED:
            break
        out.append(fire_utc)
    return out


@dataclass
class PeriodRun:
    """What :func:`run_due` did with one period of one schedule."""

    schedule: str
    procedure: str
    period: str
    due_at: datetime
    #: started | skipped | gated | existing (every instance it would start exists) |
    #: taken (another runner had it) | failed
    outcome: str
    instance_ids: list[int] = field(default_factory=list)
    error: str = ""


def run_due(
    session: Session, now: datetime, calendar: BusinessCalendar, *, only: str | None = None
) -> list[PeriodRun]:
    """Start every schedule's latest due period not yet run; record the missed ones skipped.
    The caller commits. ``only``: just that schedule key."""
    load_providers()
    runs: list[PeriodRun] = []
    for item in declared():
        if only is not None and item.spec.key != only:
            continue
        runs.extend(_run_schedule(session, item, _aware(now), calendar))
    return runs


def _run_schedule(
    session: Session, item: Declared, now: datetime, calendar: BusinessCalendar
) -> list[PeriodRun]:
    spec, zone = item.spec, calendar.zone
    due = latest_firing(spec, now, zone)
    period = period_label(due.astimezone(zone), spec.period)
    if _recorded(session, spec.key, period):
        return []
    runs: list[PeriodRun] = []
    last = session.exec(
        select(func.max(ScheduleRun.due_at)).where(ScheduleRun.schedule == spec.key)
    ).one()
    if last is not None:
        seen = {period}
        for fire in firings_between(spec, _aware(last), due, zone):
            label = period_label(fire.astimezone(zone), spec.period)
            if label in seen or _recorded(session, spec.key, label):
                continue
            seen.add(label)
            run = PeriodRun(spec.key, item.procedure, label, fire, "skipped")
            if _claim(session, run, now) is not None:
                runs.append(run)
    runs.append(_start_period(session, item, period, due, now, calendar))
    return runs


def _start_period(
    session: Session,
    item: Declared,
    period: str,
    due: datetime,
    now: datetime,
    calendar: BusinessCalendar,
) -> PeriodRun:
    spec = item.spec
    run = PeriodRun(spec.key, item.procedure, period, due, "started")
    savepoint = session.begin_nested()
    try:
        row = ScheduleRun(schedule=spec.key, period=period, due_at=due, ran_at=now)
        session.add(row)
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        run.outcome = "taken"
        return run
    try:
        if spec.when is not None and not GATES[spec.when](session, due):
            run.outcome = row.outcome = "gated"
        else:
            forms = _forms(session, spec, period, due)
            fresh = [f for f in forms if not _exists(session, item.procedure, f)]
            if forms and not fresh:
                run.outcome = row.outcome = "existing"
            for form in fresh:
                inst = start_by_system(
                    session,
                    procedure=item.procedure,
                    form_data=form,
                    now=now,
                    calendar=calendar,
                    cause={"schedule": spec.key, "period": period, "due": due.isoformat()},
                )
                assert inst.id is not None
                run.instance_ids.append(inst.id)
            row.instance_ids = list(run.instance_ids)
        session.add(row)
        session.flush()
    except Exception as exc:  # noqa: BLE001 - one broken schedule must not block the others
        # A declaration error (a bad start form, an unknown fan-out, a failing form function):
        # nothing is recorded, so the period is tried again on the next run once it is fixed;
        # the run reports it (the flow run ends Failed naming it).
        savepoint.rollback()
        run.outcome, run.instance_ids, run.error = "failed", [], _describe(exc)
        return run
    savepoint.commit()
    return run


def _exists(session: Session, procedure: str, form: dict[str, Any]) -> bool:
    """Whether an instance with this form's business key exists already (open or closed:
    someone started the period by hand, e.g. after a catch-up skipped it). Choice: the
    schedule leaves it alone rather than failing on one-open-per-key or counting twice."""
    proc = PROCEDURES[procedure]
    if proc.subject is None or proc.subject.key_field is None:
        return False
    try:
        values = forms_pkg.validate_form(proc.start_form, form).model_dump()
    except Exception:  # noqa: BLE001 - an invalid form fails later, with its errors
        return False
    key = values.get(proc.subject.key_field)
    if not key:
        return False
    found = session.exec(
        select(Instance.id).where(
            Instance.procedure == procedure, Instance.subject_key == str(key)
        )
    ).first()
    return found is not None


def _forms(session: Session, spec: Scheduled, period: str, due: datetime) -> list[dict]:
    base = spec.form(period, due)
    if base is None:
        return []
    if spec.each is None:
        return [base]
    return [{**base, **row} for row in FANOUTS[spec.each](session, period, due)]


def _claim(session: Session, run: PeriodRun, now: datetime) -> ScheduleRun | None:
    """Record a period without starting anything (skipped); None if another runner had it."""
    savepoint = session.begin_nested()
    row = ScheduleRun(
        schedule=run.schedule, period=run.period, due_at=run.due_at, ran_at=now,
        outcome=run.outcome,
    )  # fmt: skip
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        return None
    savepoint.commit()
    return row


def _recorded(session: Session, schedule: str, period: str) -> bool:
    found = session.exec(
        select(ScheduleRun.id).where(ScheduleRun.schedule == schedule, ScheduleRun.period == period)
    ).first()
    return found is not None


def _describe(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    return f"{type(exc).__name__}: {errors or exc}"


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def recent_runs(session: Session, schedule: str, limit: int = 3) -> list[ScheduleRun]:
    return list(
        session.exec(
            select(ScheduleRun)
            .where(ScheduleRun.schedule == schedule)
            .order_by(ScheduleRun.due_at.desc())  # type: ignore[union-attr]
            .limit(limit)
        ).all()
    )
