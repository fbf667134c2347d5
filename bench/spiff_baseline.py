"""SpiffWorkflow persisting the same instance: the engine baseline of issue 11's table.

The workflow has the shape of gendan's order review at its first move: a user task
("requirements", the sales clerk confirming) whose completion makes three parallel user
tasks ready (the feasibility review of sales, production and material control). Each
completion is as durable as gendan's: in one transaction it reads the instance's JSON,
deserializes the workflow, completes the ready task with the confirm form (the order facts
are the workflow's data), runs the engine steps, serializes the workflow to JSON and
writes it back; one commit per completion, on SQLite (WAL, synchronous=NORMAL, as gendan)
or PostgreSQL (the row locked, as gendan locks its instance).

Choice: the workflow is read back from the database on every completion, not kept in
memory, because gendan loads its instance per request too (a web process holds nothing).

Used by ``bench/write_path.py``; needs the ``bench`` extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from transitions import MONDAY_10, TRACED, RawDB, Steps, drain

from gendan.demo import order_form, step_forms

#: start -> requirements -> (split) -> 3 feasibility reviews -> (join) -> end
BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="defs" targetNamespace="http://gendan.local/bench">
  <bpmn:process id="order_review" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="requirements"/>
    <bpmn:userTask id="requirements" name="Confirm the order's requirements"/>
    <bpmn:sequenceFlow id="f2" sourceRef="requirements" targetRef="split"/>
    <bpmn:parallelGateway id="split"/>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="review_sales"/>
    <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="review_production"/>
    <bpmn:sequenceFlow id="f5" sourceRef="split" targetRef="review_material"/>
    <bpmn:userTask id="review_sales" name="Review feasibility (sales)"/>
    <bpmn:userTask id="review_production" name="Review feasibility (production)"/>
    <bpmn:userTask id="review_material" name="Review feasibility (material control)"/>
    <bpmn:sequenceFlow id="f6" sourceRef="review_sales" targetRef="join"/>
    <bpmn:sequenceFlow id="f7" sourceRef="review_production" targetRef="join"/>
    <bpmn:sequenceFlow id="f8" sourceRef="review_material" targetRef="join"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:sequenceFlow id="f9" sourceRef="join" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""

TABLE = {
    "sqlite": "CREATE TABLE spiff_workflow (id INTEGER PRIMARY KEY, state TEXT NOT NULL)",
    "postgresql": "CREATE TABLE spiff_workflow (id SERIAL PRIMARY KEY, state TEXT NOT NULL)",
}


class Spiff:
    """The parsed spec and a serializer, built once (as gendan builds its machines once)."""

    def __init__(self) -> None:
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.util.task import TaskState

        parser = BpmnParser()
        parser.add_bpmn_str(BPMN.encode("utf-8"))
        self.spec = parser.get_spec("order_review")
        self.workflow_cls, self.ready = BpmnWorkflow, TaskState.READY
        self.serializer = BpmnWorkflowSerializer()

    def started(self, order: dict[str, Any]) -> str:
        wf = self.workflow_cls(self.spec)
        wf.data["order"] = order
        wf.do_engine_steps()
        return self.serializer.serialize_json(wf)

    def complete(self, state: str | Any, form: dict[str, Any]) -> tuple[str, int]:
        """Complete the ready 'requirements' task; return the new JSON and the ready count.

        state is the workflow's JSON, or the workflow itself when it is kept in memory.
        """
        wf = self.serializer.deserialize_json(state) if isinstance(state, str) else state
        task = next(t for t in wf.get_tasks(state=self.ready, manual=True))
        if task.task_spec.name != "requirements":
            raise SystemExit(f"spiff: {task.task_spec.name} ready, not requirements")
        task.data["forms"] = {"confirm": form}
        task.run()
        wf.do_engine_steps()
        return self.serializer.serialize_json(wf), len(wf.get_tasks(state=self.ready, manual=True))


def run_spiff(db: RawDB, n: int, *, in_memory: bool = False) -> dict[str, Any]:
    """n timed completions, each: BEGIN, read + deserialize, run, serialize + write, COMMIT."""
    return drain(spiff_steps(db, n, in_memory=in_memory))


def spiff_steps(db: RawDB, n: int, *, block: int = 0, in_memory: bool = False) -> Steps:
    """As run_spiff, yielding after the setup and after every block of completions.

    With in_memory the workflows stay deserialized between requests (the read is skipped):
    a lower bound for Spiff's own cost, for reference only.
    """
    spiff = Spiff()
    order = order_form("SO-SPIFF", "regular", now=MONDAY_10)
    confirm = step_forms(order, MONDAY_10)["confirm"]
    table = "spiff_workflow_mem" if in_memory else "spiff_workflow"
    db.x(f"DROP TABLE IF EXISTS {table}")
    db.x(TABLE[db.dialect].replace("spiff_workflow", table))
    first = spiff.started({**json.loads(json.dumps(order, default=str)), "status": "reviewing"})
    db.begin()
    ids = [
        db.x(f"INSERT INTO {table} (state) VALUES (?) RETURNING id", (first,)).fetchone()[0]
        for _ in range(n + TRACED)
    ]
    db.commit()
    form = json.loads(json.dumps(confirm, default=str))
    kept = {wid: spiff.serializer.deserialize_json(first) for wid in ids} if in_memory else {}

    def one(wid: int) -> None:
        db.begin()
        if in_memory:
            state = kept[wid]
        else:
            (state,) = db.x(
                f"SELECT state FROM {table} WHERE id = ?" + db.lock(), (wid,)
            ).fetchone()
        new_state, ready = spiff.complete(state, form)
        if ready != 3:
            raise SystemExit(f"spiff: {ready} tasks ready after the confirm, not 3")
        db.x(f"UPDATE {table} SET state = ? WHERE id = ?", (new_state, wid))
        db.commit()

    yield
    lat: list[float] = []
    for i, wid in enumerate(ids[:n]):
        if block and i and i % block == 0:
            yield
        t1 = time.perf_counter()
        one(wid)
        lat.append(time.perf_counter() - t1)
    for wid in ids[n:]:
        one(wid)
    (size,) = db.x(f"SELECT length(state) FROM {table} WHERE id = ?", (ids[-1],)).fetchone()
    return {
        "n": n,
        "per_s": n / sum(lat),
        "p50_ms": 1000 * statistics.median(lat),
        "json_bytes": size,
        "kinds": {"UPDATE": 1.0} if in_memory else {"SELECT": 1.0, "UPDATE": 1.0},
    }
