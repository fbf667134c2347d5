"""The automatic-steps flow as real Prefect flow runs: done steps, and a step failing every
time that ends as an incident — each run in Prefect's run history, the failing ones Failed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

import states
from flows.automatic_steps import automatic_steps
from flows.common import runtime
from gendan.db import unit_of_work
from gendan.demo import Driver, order_form, seed_organisation
from gendan.models import Instance, Job, Task
from tests.engine.linked_procedures import register

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


@pytest.fixture(autouse=True)
def test_procedures(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    registry = dict(states.PROCEDURES)
    register(registry)
    for key, proc in registry.items():
        monkeypatch.setitem(states.PROCEDURES, key, proc)
    yield


def _runs_in_history(name: str) -> list[tuple[str, str]]:
    """(state type, message) of every run of the flow the Prefect API holds, oldest first."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[name])),
            sort=FlowRunSort.START_TIME_ASC,
            limit=50,  # prefect 3.8.8's client sends limit=null otherwise, which its server refuses
        )
    return [(r.state.type.value, r.state.message or "") for r in runs if r.state]


def test_automatic_steps_flow_runs_show_done_and_failing_steps(
    prefect_harness: None, gendan_env: str
) -> None:
    rt = runtime()
    assert rt.settings.database_url == gendan_env
    with unit_of_work(rt.db) as s:
        seed_organisation(s)
    driver = Driver(rt, T0)
    ok = driver.start("test_auto", "clerk", order_form("SO-F1", "regular", now=T0))
    driver.act(ok, "clerk", "go")
    bad = driver.start("test_auto", "clerk", order_form("SO-F2", "regular", now=T0))
    driver.act(bad, "clerk", "go_fail")

    first = automatic_steps(at=T0.isoformat(), return_state=True)
    assert first.is_failed()  # one step failed; the other was still done in the same run
    assert "automatic step test_fail" in (first.message or "")
    second = automatic_steps(at=(T0 + timedelta(minutes=1)).isoformat(), return_state=True)
    third = automatic_steps(at=(T0 + timedelta(minutes=6)).isoformat(), return_state=True)
    quiet = automatic_steps(at=(T0 + timedelta(hours=2)).isoformat(), return_state=True)
    assert second.is_failed() and third.is_failed()
    assert quiet.is_completed() and quiet.result() == {
        "done": 0, "retry": 0, "incident": 0, "lost": 0,
    }  # fmt: skip

    with Session(rt.db) as s:
        assert s.get(Instance, ok).state == "checking"  # type: ignore[union-attr]
        [job] = s.exec(select(Job).where(Job.instance_id == bad)).all()
        assert (job.status, job.attempts) == ("incident", 3)
        [task] = s.exec(select(Task).where(Task.instance_id == bad, Task.status == "open")).all()
        assert task.role == "production_manager"

    history = _runs_in_history("automatic-steps")
    assert [state for state, _ in history] == ["FAILED", "FAILED", "FAILED", "COMPLETED"]
    assert "test_fail" in history[0][1] and "failed (attempt 1), will retry" in history[0][1]
    assert "failed 3 times, incident task opened" in history[2][1]
    assert "the ERP export is unreachable" in history[2][1]
