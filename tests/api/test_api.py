"""The JSON API through HTTP: start, list, claim, complete, and every refusal."""

from __future__ import annotations

import threading

import httpx
from sqlmodel import Session, select

from gendan.demo import order_form, step_forms
from gendan.models import AuditEvent
from gendan.runtime import Runtime
from tests.api.conftest import api_client
from tests.conftest import MONDAY_10
from tests.engine.helpers import snapshot


def start_order(clerk: httpx.Client, order_no: str, kind: str = "regular") -> dict:
    r = clerk.post(
        "/api/instances",
        json={"procedure": "order_review", "form": order_form(order_no, kind, now=MONDAY_10)},
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_token_is_required_and_checked(server: str) -> None:
    assert httpx.get(f"{server}/api/tasks").status_code == 401
    bad = httpx.post(f"{server}/api/token", json={"username": "clerk", "password": "nope"})
    assert bad.status_code == 401
    assert (
        httpx.get(f"{server}/api/tasks", headers={"Authorization": "Bearer x"}).status_code == 401
    )


def test_start_list_claim_complete(server: str, rt: Runtime) -> None:
    clerk = api_client(server, "clerk")
    inst = start_order(clerk, "SO-40")
    assert inst["state"] == "requirements" and inst["audit"][0]["action"] == "start"
    tasks = clerk.get("/api/tasks").json()["items"]
    (task,) = [t for t in tasks if t["order_no"] == "SO-40"]
    assert task["due_at"] and task["sla"] == "1 working day" and not task["mine"]
    assert clerk.post(f"/api/tasks/{task['id']}/claim").json()["assignee_id"] is not None
    form = step_forms(order_form("SO-40", "regular", now=MONDAY_10), MONDAY_10)["confirm"]
    r = clerk.post(f"/api/tasks/{task['id']}/complete", json={"decision": "confirm", "form": form})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "feasibility_review"
    assert {t["role"] for t in body["tasks"] if t["status"] == "open"} == {
        "sales_clerk",
        "production_manager",
        "material_controller",
    }
    mc = api_client(server, "mc")
    assert any(t["order_no"] == "SO-40" for t in mc.get("/api/tasks").json()["items"])
    assert mc.get(f"/api/instances/{inst['id']}").status_code == 200


def test_invalid_form_is_422_with_the_field_and_writes_nothing(server: str, rt: Runtime) -> None:
    clerk = api_client(server, "clerk")
    inst = start_order(clerk, "SO-41")
    task_id = inst["tasks"][0]["id"]
    before = snapshot(rt)
    r = clerk.post(
        f"/api/tasks/{task_id}/complete", json={"decision": "confirm", "form": {"quantity": -3}}
    )
    assert r.status_code == 422
    assert "quantity" in r.json()["errors"] and "delivery_date" in r.json()["errors"]
    assert snapshot(rt) == before
    bad_start = clerk.post(
        "/api/instances",
        json={"procedure": "order_review", "form": {"order_no": "SO-42", "quantity": 0}},
    )
    assert bad_start.status_code == 422 and "quantity" in bad_start.json()["errors"]
    assert snapshot(rt) == before


def test_illegal_event_is_409_naming_state_and_allowed(server: str) -> None:
    clerk = api_client(server, "clerk")
    inst = start_order(clerk, "SO-43")
    r = clerk.post(
        f"/api/tasks/{inst['tasks'][0]['id']}/complete",
        json={"decision": "issue_notice", "form": {}},
    )
    assert r.status_code == 409
    assert r.json()["state"] == "requirements" and r.json()["allowed_events"] == ["confirm"]


def test_not_your_task_is_403(server: str, rt: Runtime) -> None:
    clerk = api_client(server, "clerk")
    inst = start_order(clerk, "SO-44")
    buyer = api_client(server, "buyer")
    before = snapshot(rt)
    task_id = inst["tasks"][0]["id"]
    assert (
        buyer.post(
            f"/api/tasks/{task_id}/complete", json={"decision": "confirm", "form": {}}
        ).status_code
        == 403
    )
    assert buyer.post(f"/api/tasks/{task_id}/claim").status_code == 403
    assert buyer.get(f"/api/tasks/{task_id}").status_code == 403
    assert buyer.get(f"/api/instances/{inst['id']}").status_code == 403
    after = snapshot(rt)
    new_seqs = after.pop("audit")[len(before["audit"]) :]
    assert after == {k: v for k, v in before.items() if k != "audit"}
    with Session(rt.db) as s:  # four refusals in one minute: one audit event, nothing else
        new = s.exec(select(AuditEvent.action).where(AuditEvent.seq.in_(new_seqs))).all()
    assert new == ["refused"]
    assert buyer.get("/api/instances/99999").status_code == 404


def test_two_people_clicking_the_same_task_one_gets_409(server: str, rt: Runtime) -> None:
    clerk = api_client(server, "clerk")
    inst = start_order(clerk, "SO-45")
    task_id = inst["tasks"][0]["id"]
    form = step_forms(order_form("SO-45", "regular", now=MONDAY_10), MONDAY_10)["confirm"]
    clients = [api_client(server, "clerk"), api_client(server, "clerk")]
    barrier, codes = threading.Barrier(2), []

    def click(c: httpx.Client) -> None:
        barrier.wait()
        codes.append(
            c.post(
                f"/api/tasks/{task_id}/complete", json={"decision": "confirm", "form": form}
            ).status_code
        )

    threads = [threading.Thread(target=click, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409]
    view = clerk.get(f"/api/instances/{inst['id']}").json()
    assert view["version"] == 2
    assert [e["action"] for e in view["audit"]].count("transition") == 1


def test_openapi_lists_the_api(server: str) -> None:
    spec = httpx.get(f"{server}/openapi.json").json()
    assert {"/api/instances", "/api/tasks", "/api/tasks/{task_id}/complete"} <= set(spec["paths"])
    assert httpx.get(f"{server}/docs").status_code == 200
