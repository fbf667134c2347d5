"""Completions over HTTP at the same moment (grouped by gendan.group_commit): each request
gets its own answer — the valid ones land, an invalid form is its own 422 naming the field
with nothing of it written, a second click on one task is its own 409."""

from __future__ import annotations

import threading

import httpx

from gendan.demo import order_form, step_forms
from gendan.runtime import Runtime
from tests.api.conftest import api_client
from tests.api.test_api import start_order
from tests.conftest import MONDAY_10


def test_concurrent_completions_each_get_their_own_answer(server: str, rt: Runtime) -> None:
    clerk = api_client(server, "clerk")
    numbers = [f"SO-H{i}" for i in range(6)]
    insts = [start_order(clerk, no) for no in numbers]
    forms = [step_forms(order_form(no, "regular", now=MONDAY_10), MONDAY_10)["confirm"]
             for no in numbers]  # fmt: skip
    forms[2] = {**forms[2], "quantity": -3}  # invalid: its own 422
    clicks = [(inst["tasks"][0]["id"], form) for inst, form in zip(insts, forms, strict=True)]
    clicks.append(clicks[4])  # the same task clicked twice: one wins, the other is a 409
    clients = [api_client(server, "clerk") for _ in clicks]
    barrier = threading.Barrier(len(clicks))
    answers: dict[int, httpx.Response] = {}

    def click(i: int) -> None:
        task_id, form = clicks[i]
        barrier.wait()
        answers[i] = clients[i].post(
            f"/api/tasks/{task_id}/complete", json={"decision": "confirm", "form": form}
        )

    threads = [threading.Thread(target=click, args=(i,)) for i in range(len(clicks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in (0, 1, 3, 5):
        assert answers[i].status_code == 200, answers[i].text
        assert answers[i].json()["state"] == "feasibility_review"
    assert answers[2].status_code == 422 and "quantity" in answers[2].json()["errors"]
    assert sorted([answers[4].status_code, answers[6].status_code]) == [200, 409]
    invalid = clerk.get(f"/api/instances/{insts[2]['id']}").json()
    assert invalid["state"] == "requirements" and invalid["version"] == 1
    assert [e["action"] for e in invalid["audit"]] == ["start"]
    twice = clerk.get(f"/api/instances/{insts[4]['id']}").json()
    assert twice["version"] == 2
    assert [e["action"] for e in twice["audit"]].count("transition") == 1
