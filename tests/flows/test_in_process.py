"""``flows.in_process``: a scheduled run of a deployment executes in the serving process (no
interpreter per run), is recorded as that deployment's run, and is taken once by two runners.
"""

from __future__ import annotations

import os
from uuid import UUID

from prefect import flow
from prefect.client.orchestration import get_client

from flows.in_process import InProcessRunner
from flows.serve import FLOWS, deployments

#: Process ids the test flow ran in.
RAN_IN: list[int] = []


@flow(name="gendan-test-where")
def where(tag: str = "") -> int:
    RAN_IN.append(os.getpid())
    return os.getpid()


def _schedule_now(deployment_id: UUID) -> UUID:
    with get_client(sync_client=True) as client:
        return client.create_flow_run_from_deployment(deployment_id).id


def test_a_scheduled_run_executes_in_this_process(prefect_harness: None, gendan_env: str) -> None:
    runner = InProcessRunner({where.name: where}, [where.to_deployment(name="in-process")])
    runner.register()
    [deployment_id] = runner.flow_of
    run_id = _schedule_now(deployment_id)

    assert runner.poll_once() == [run_id]
    runner.wait(120)

    assert RAN_IN == [os.getpid()]
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
    assert run.state is not None and run.state.is_completed()
    assert run.deployment_id == deployment_id
    assert runner.poll_once() == []  # done: not started again


def test_two_runners_take_a_run_once(prefect_harness: None, gendan_env: str) -> None:
    first = InProcessRunner({where.name: where}, [where.to_deployment(name="taken-once")])
    second = InProcessRunner({where.name: where}, [where.to_deployment(name="taken-once")])
    first.register()
    second.register()
    assert first.flow_of.keys() == second.flow_of.keys()
    RAN_IN.clear()
    _schedule_now(next(iter(first.flow_of)))

    started = first.poll_once() + second.poll_once()
    first.wait(120)
    second.wait(120)

    assert len(started) == 1 and len(RAN_IN) == 1


def test_every_served_deployment_has_its_flow() -> None:
    """What ``gendan serve`` registers: each deployment's flow is one the runner can run."""
    served = deployments()
    assert {d.flow_name for d in served} <= FLOWS.keys()
    assert len({d.name for d in served}) == len(served)
