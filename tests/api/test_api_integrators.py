"""The API as an integrator meets it (issue 8 item 11), over HTTP on a real uvicorn.

OAuth2 password flow (form-encoded) and bearer in OpenAPI; response schemas; each decision's
JSON Schema from ``GET /api/tasks/{id}/form`` validating a real completion; ``/api/procedures``
listing exactly what the API accepts; pages and API answering a claim alike.

Every decision listed is accepted — proved by construction, not by walking every path: the
catalogue's list of a task *is* ``gendan.decisions.task_decisions``, the function
``complete_task`` checks; every listed event has its step and a transition without a guard
(so the state machine cannot refuse it); the join events are the rest. Over HTTP the engine's
409 names, as allowed, exactly the catalogue's list of that task; and four procedures walk to
their end through HTTP on bodies built from /form alone (schema, prefill, and the few answers
only a person can give).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import jsonschema
import pytest

from api.routes_api import router as api_router
from gendan.decisions import OPINION, task_decisions
from gendan.demo import (
    DEMO_PASSWORD,
    PEOPLE,
    Driver,
    order_form,
    review_to_notice,
    step_forms,
)
from gendan.runtime import Runtime
from states import PROCEDURES
from tests.api.conftest import api_client
from tests.api.test_pages import csrf_of, login
from tests.conftest import MONDAY_10

LATER = (MONDAY_10 + timedelta(days=60)).date().isoformat()


def example(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """The smallest instance of ``schema``: required properties only, first choices."""
    if "$ref" in schema:
        return example(root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("anyOf"):
        branch = next(b for b in schema["anyOf"] if b.get("type") != "null")
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return example({**rest, **branch}, root)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: example(props[k], root) for k in schema.get("required", [])}
    if kind == "string":
        if schema.get("format") == "date":
            return LATER
        if schema.get("format") == "date-time":
            return MONDAY_10.isoformat()
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        low = schema.get("exclusiveMinimum")
        return int(low) + 1 if low is not None else int(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    raise AssertionError(f"no example for {schema}")


def body_for(decision: dict[str, Any]) -> dict[str, Any]:
    """A completion built from the decision's schema; the password is a person's secret."""
    schema = decision["schema"]
    body = example(schema, schema)
    if "password" in body:
        body["password"] = DEMO_PASSWORD
    return body


def validate(decision: dict[str, Any], body: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(decision["schema"]).validate(body)


def open_task(c: httpx.Client, order_no: str) -> dict[str, Any]:
    items = c.get("/api/tasks", params={"order_no": order_no}).json()["items"]
    assert len(items) == 1, items
    return items[0]


# --- OAuth2 password flow and OpenAPI ---------------------------------------------------


def test_oauth2_password_flow_form_encoded_and_the_token_works_as_bearer(server: str) -> None:
    r = httpx.post(
        f"{server}/api/token",
        data={"grant_type": "password", "username": "clerk", "password": DEMO_PASSWORD},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 12 * 3600
    assert body["access_token"] and body["expires_at"]
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    assert httpx.get(f"{server}/api/tasks", headers=auth).status_code == 200

    # what Swagger UI's Authorize sends besides (empty scope, a client id) is accepted
    swagger = {"grant_type": "password", "username": "clerk", "password": DEMO_PASSWORD}
    r = httpx.post(f"{server}/api/token", data={**swagger, "scope": "", "client_id": "docs"})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    # JSON bodies keep working for existing clients
    r = httpx.post(f"{server}/api/token", json={"username": "clerk", "password": DEMO_PASSWORD})
    assert r.status_code == 200 and r.json()["expires_in"] == 12 * 3600

    wrong = httpx.post(
        f"{server}/api/token",
        data={"grant_type": "password", "username": "clerk", "password": "nope"},
    )
    assert wrong.status_code == 401
    grant = httpx.post(
        f"{server}/api/token",
        data={"grant_type": "client_credentials", "username": "clerk", "password": "x"},
    )
    assert grant.status_code == 422 and "grant_type" in grant.json()["errors"]
    missing = httpx.post(f"{server}/api/token", data={"grant_type": "password"})
    assert missing.status_code == 422
    assert {"username", "password"} <= set(missing.json()["errors"])
    garbage = httpx.post(
        f"{server}/api/token", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert garbage.status_code == 422 and "body" in garbage.json()["errors"]


def test_openapi_declares_oauth2_and_bearer_and_a_response_schema_for_every_route(
    server: str,
) -> None:
    spec = httpx.get(f"{server}/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    oauth = next(s for s in schemes.values() if s["type"] == "oauth2")
    assert oauth["flows"]["password"]["tokenUrl"] == "/api/token"
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())
    token_body = spec["paths"]["/api/token"]["post"]["requestBody"]["content"]
    assert {"application/x-www-form-urlencoded", "application/json"} <= set(token_body)

    ours = {(r.path, m) for r in api_router.routes for m in r.methods}  # type: ignore[attr-defined]
    assert len(ours) >= 14
    for path, method in ours:
        op = spec["paths"][path][method.lower()]
        ok = [code for code in op["responses"] if code.startswith("2")]
        assert ok, (path, method)
        for code in ok:
            if code == "204":
                continue
            schema = op["responses"][code]["content"]["application/json"]["schema"]
            assert schema != {} and schema.get("type") != "object" or schema.get("properties"), (
                path,
                method,
                schema,
            )
        if path not in ("/api/token", "/api/procedures"):
            assert op.get("security"), (path, method)
    forms = spec["components"]["schemas"]["TaskForms"]["properties"]
    assert {"decisions", "may_complete"} <= set(forms)


# --- GET /api/tasks/{id}/form -------------------------------------------------------------


def test_form_schema_validates_a_real_completion_and_the_api_takes_it(
    server: str, rt: Runtime
) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-IF-1", "regular", now=MONDAY_10)
    iid = d.start("order_review", "clerk", form)
    clerk = api_client(server, "clerk")

    # requirements: one decision, its form's fields with labels and types
    task = open_task(clerk, "SO-IF-1")
    answer = clerk.get(f"/api/tasks/{task['id']}/form").json()
    assert answer["may_complete"] is True and answer["status"] == "open"
    [confirm] = answer["decisions"]
    assert (confirm["decision"], confirm["form"]) == ("confirm", "requirements_confirmation")
    assert confirm["password_required"] is False and confirm["reason_required"] is False
    fields = confirm["schema"]["properties"]["form"]
    assert set(fields["required"]) == {"model_spec", "quantity", "delivery_date", "confirmed_with"}
    assert fields["properties"]["quantity"]["type"] == "integer"
    date_field = fields["properties"]["delivery_date"]
    assert (date_field["zh"], date_field["en"], date_field["format"]) == (
        "交货日期",
        "Delivery date",
        "date",
    )
    # the form starts from what the intake said (as the task page does)
    start = confirm["prefill"]
    assert (start["model_spec"], start["quantity"]) == (form["model_spec"], form["quantity"])
    assert start["delivery_date"] == form["delivery_date"]
    assert start["technical_requirements"] == form["technical_requirements"]
    body = body_for(confirm)
    body["form"] |= start  # sent back as prefilled: still valid
    validate(confirm, body)
    r = clerk.post(f"/api/tasks/{task['id']}/complete", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "feasibility_review"

    # a countersign: "opinion" with the review form, built from its schema
    for who in ("clerk", "prod_mgr", "mc"):
        c = clerk if who == "clerk" else api_client(server, who)
        t = open_task(c, "SO-IF-1")
        [opinion] = c.get(f"/api/tasks/{t['id']}/form").json()["decisions"]
        assert opinion["decision"] == OPINION and opinion["form"] == "review_opinion"
        body = body_for(opinion) | {"form": {"feasible": True}}
        validate(opinion, body)
        assert c.post(f"/api/tasks/{t['id']}/complete", json=body).status_code == 200

    # the quote: a choice field (enum + labels of each choice)
    task = open_task(clerk, "SO-IF-1")
    [quote] = clerk.get(f"/api/tasks/{task['id']}/form").json()["decisions"]
    basis = quote["schema"]["properties"]["form"]["properties"]["price_basis"]
    assert basis["enum"] == ["price_list", "custom_surcharge"]
    assert basis["choices"]["price_list"] == ["按报价表", "Per price list"]
    body = body_for(quote)
    validate(quote, body)
    assert clerk.post(f"/api/tasks/{task['id']}/complete", json=body).status_code == 200

    # the sales head's check: an electronic signature needs the password; reason optional
    head = api_client(server, "sales_head")
    task = open_task(head, "SO-IF-1")
    decisions = {
        x["decision"]: x for x in head.get(f"/api/tasks/{task['id']}/form").json()["decisions"]
    }
    assert set(decisions) == {"approve_quote", "return_quote"}
    ret = decisions["return_quote"]
    assert ret["reason_required"] and {"reason", "password"} <= set(ret["schema"]["required"])
    approve = decisions["approve_quote"]
    assert approve["password_required"] and approve["signature"] == "reviewed"
    unsigned = {"decision": "approve_quote"}
    with pytest.raises(jsonschema.ValidationError):
        validate(approve, unsigned)  # the schema and the engine agree: no password, no move
    refused = head.post(f"/api/tasks/{task['id']}/complete", json=unsigned)
    assert refused.status_code == 422 and "password" in refused.json()["errors"]
    body = body_for(approve)
    validate(approve, body)
    r = head.post(f"/api/tasks/{task['id']}/complete", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "awaiting_contract"
    assert iid == r.json()["id"]

    # a closed task: nothing to decide
    closed = head.get(f"/api/tasks/{task['id']}/form").json()
    assert closed["status"] == "done" and closed["decisions"] == []
    assert closed["may_complete"] is False


def test_locked_fields_are_constants_of_the_order_and_the_built_body_is_accepted(
    server: str, rt: Runtime
) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-IF-2", "regular", now=MONDAY_10)
    review_to_notice(d, d.start("order_review", "clerk", form), form)  # paid at signing
    clerk = api_client(server, "clerk")
    task = open_task(clerk, "SO-IF-2")
    [notice] = clerk.get(f"/api/tasks/{task['id']}/form").json()["decisions"]
    assert notice["decision"] == "issue_notice"
    props = notice["schema"]["properties"]["form"]["properties"]
    assert props["order_no"]["const"] == "SO-IF-2" and props["order_no"]["readOnly"]
    assert props["delivery_date"]["const"] == form["delivery_date"]
    assert notice["locked"]["quantity"] == 12
    assert notice["prefill"]["quality_requirements"] == form["quality_requirements"]
    assert notice["prefill"]["order_no"] == "SO-IF-2"  # locked values are in the prefill
    body = body_for(notice)
    validate(notice, body)
    other = {**body, "form": {**body["form"], "quantity": 13}}
    with pytest.raises(jsonschema.ValidationError):
        validate(notice, other)
    assert clerk.post(f"/api/tasks/{task['id']}/complete", json=other).status_code == 422
    r = clerk.post(f"/api/tasks/{task['id']}/complete", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "production_confirm"


def test_fixed_values_are_left_to_the_step_and_a_task_lists_only_its_own_decisions(
    server: str, rt: Runtime
) -> None:
    from gendan.demo import change_request, review_to_release

    d = Driver(rt, MONDAY_10)
    form = order_form("SO-IF-3", "regular", now=MONDAY_10)
    review_to_release(d, d.start("order_review", "clerk", form), form)
    d.start("order_change", "clerk", change_request("SO-IF-3", MONDAY_10, "delivery"))
    clerk = api_client(server, "clerk")
    task = open_task(clerk, "SO-IF-3")
    listed = [x["decision"] for x in clerk.get(f"/api/tasks/{task['id']}/form").json()["decisions"]]
    assert listed == [
        "classify_minor",
        "classify_delivery",
        "classify_structural",
        "classify_cancel",
    ]
    catalogue = httpx.get(f"{server}/api/procedures").json()
    received = _state(catalogue, "order_change", "received")
    spec = next(t for t in received["tasks"] if t["role"] == "sales_clerk")
    assert spec["decisions"] == listed
    # engineering's decisions are not this task's: the engine's 409 names the same list
    r = clerk.post(f"/api/tasks/{task['id']}/complete", json={"decision": "tech_minor"})
    assert r.status_code == 409 and r.json()["allowed_events"] == listed
    [minor] = [
        x
        for x in clerk.get(f"/api/tasks/{task['id']}/form").json()["decisions"]
        if x["decision"] == "classify_minor"
    ]
    assert minor["fixed"] == {"category": "minor"}
    assert "category" not in minor["prefill"]  # the step sets it, whatever is sent
    assert "category" not in minor["schema"]["properties"]["form"]["properties"]


# --- /api/procedures lists exactly what the API accepts -----------------------------------


def _state(catalogue: list[dict[str, Any]], procedure: str, state: str) -> dict[str, Any]:
    proc = next(p for p in catalogue if p["key"] == procedure)
    return next(s for s in proc["states"] if s["id"] == state)


def test_every_listed_decision_is_one_the_transition_service_accepts(server: str) -> None:
    """By construction (see the module docstring), for every procedure, state and task."""
    catalogue = httpx.get(f"{server}/api/procedures").json()
    checked = 0
    for listed_proc in catalogue:
        proc = PROCEDURES[listed_proc["key"]]
        for st in listed_proc["states"]:
            wait = proc.wait_for(st["id"])
            union: list[str] = []
            for spec, listed_task in zip(wait.tasks if wait else (), st["tasks"], strict=True):
                decisions = listed_task["decisions"]
                assert decisions == task_decisions(proc, st["id"], spec.decisions)
                for event in decisions:
                    checked += 1
                    if event == OPINION:
                        assert wait is not None and wait.countersign is not None
                        continue
                    assert event in proc.steps, (proc.key, event)
                    ways = [t for t in proc.states_map[st["id"]].transitions if event in t.events]
                    assert any(not list(t.cond) for t in ways), (proc.key, st["id"], event)
                    union += [e for e in [event] if e not in union]
                union += [e for e in decisions if e == OPINION and e not in union]
            assert [e["event"] for e in st["events"]] == union, (proc.key, st["id"])
            assert all(e["person"] for e in st["events"])
            # what no person sends is listed apart, and only there
            joined = [e["event"] for e in st["join_events"]]
            assert not set(joined) & set(union)
            assert sorted(joined + [e for e in union if e != OPINION]) == sorted(
                proc.events_from(st["id"])
            )
    assert checked > 40


def test_a_join_event_is_refused_and_the_answer_names_what_the_catalogue_lists(
    server: str, rt: Runtime
) -> None:
    d = Driver(rt, MONDAY_10)
    form = order_form("SO-IF-4", "regular", now=MONDAY_10)
    iid = d.start("order_review", "clerk", form)
    d.act(iid, "clerk", "confirm", step_forms(form, MONDAY_10)["confirm"])
    clerk = api_client(server, "clerk")
    task = open_task(clerk, "SO-IF-4")
    r = clerk.post(f"/api/tasks/{task['id']}/complete", json={"decision": "feasible"})
    assert r.status_code == 409 and r.json()["allowed_events"] == [OPINION]
    state = _state(httpx.get(f"{server}/api/procedures").json(), "order_review", task["state"])
    assert [e["event"] for e in state["events"]] == [OPINION]
    assert clerk.get(f"/api/instances/{iid}").json()["allowed_events"] == [OPINION]


# --- one claim rule for pages and API -----------------------------------------------------


def test_pages_and_api_answer_a_claim_alike(server: str, rt: Runtime) -> None:
    """Both call ``gendan.assignment.claim_task``: who may claim is decided once."""
    d = Driver(rt, MONDAY_10)
    d.start("order_review", "clerk", order_form("SO-IF-5", "regular", now=MONDAY_10))
    tid = open_task(api_client(server, "clerk"), "SO-IF-5")["id"]

    gm_api = api_client(server, "gm")
    assert gm_api.get(f"/api/tasks/{tid}/form").json()["may_complete"] is False
    assert gm_api.post(f"/api/tasks/{tid}/claim").status_code == 403
    gm_page = login(server, "gm")
    token = csrf_of(gm_page.get("/").text)
    assert gm_page.post(f"/tasks/{tid}/claim", data={"csrf_token": token}).status_code == 403

    clerk_page = login(server, "clerk")
    token = csrf_of(clerk_page.get("/").text)
    assert clerk_page.post(f"/tasks/{tid}/claim", data={"csrf_token": token}).status_code == 303
    clerk_api = api_client(server, "clerk")
    claimed = clerk_api.post(f"/api/tasks/{tid}/claim")
    assert claimed.status_code == 200 and claimed.json()["assignee_id"] is not None
    sales = api_client(server, "sales")  # a salesperson: the clerk's task is not offered
    assert sales.post(f"/api/tasks/{tid}/claim").status_code == 403


def test_an_escalation_target_may_claim_through_pages_and_api_alike(
    server: str, rt: Runtime
) -> None:
    """The sales head is not offered the clerk's task — until it escalates to them."""
    from gendan.escalation import escalate_due

    d = Driver(rt, MONDAY_10)
    for no in ("SO-IF-6", "SO-IF-7"):
        d.start("order_review", "clerk", order_form(no, "regular", now=MONDAY_10))
    clerk = api_client(server, "clerk")
    by_page, by_api = (open_task(clerk, no)["id"] for no in ("SO-IF-6", "SO-IF-7"))
    head = api_client(server, "sales_head")
    assert head.get(f"/api/tasks/{by_api}/form").json()["may_complete"] is False
    assert head.post(f"/api/tasks/{by_api}/claim").status_code == 403

    escalate_due(rt, now=MONDAY_10 + timedelta(days=3))  # past the 1 working day: level 1

    assert head.get(f"/api/tasks/{by_api}/form").json()["may_complete"] is True
    assert head.post(f"/api/tasks/{by_api}/claim").status_code == 200
    page = login(server, "sales_head")
    token = csrf_of(page.get("/").text)
    assert page.post(f"/tasks/{by_page}/claim", data={"csrf_token": token}).status_code == 303
    assert head.get(f"/api/tasks/{by_page}").json()["assignee_id"] is not None


# --- a walk driven by the schemas alone ----------------------------------------------------

#: Who in the demo company holds each role (one person per role there).
HOLDER = {
    roles[0][0]: user for user, (_, roles) in PEOPLE.items() if roles[0][0] != "dept_head"
} | {"dept_head": "sales_head"}


#: Answers a person gives that no schema can: the content of the decision.
WHAT_PEOPLE_DECIDE: dict[str, dict[str, Any]] = {
    "review_opinion": {"feasible": True},
    "contract": {"payment_received": True},
}


def walk(server: str, iid: int) -> tuple[str, list[str]]:
    """Complete the instance's open tasks until it ends, as an integrator reading only /form
    would: the first decision each task offers, its body built from the schema and prefill.
    Returns the final state and the decisions made."""
    clients: dict[str, httpx.Client] = {}
    auditor = api_client(server, "auditor")
    made: list[str] = []
    for _ in range(40):
        inst = auditor.get(f"/api/instances/{iid}").json()
        if inst["closed_at"]:
            return inst["state"], made
        task = next(t for t in inst["tasks"] if t["status"] == "open")
        who = HOLDER[task["role"]]
        c = clients.setdefault(who, api_client(server, who))
        first = c.get(f"/api/tasks/{task['id']}/form").json()["decisions"][0]
        body = body_for(first)
        if "form" in body or first["prefill"]:
            # the shape from the schema, known values from the prefill, and what the person
            # decides (the schema cannot say a reviewer finds the date feasible)
            decided = WHAT_PEOPLE_DECIDE.get(first["form"], {})
            body["form"] = {**body.get("form", {}), **first["prefill"], **decided}
        validate(first, body)
        r = c.post(f"/api/tasks/{task['id']}/complete", json=body)
        assert r.status_code == 200, (first["decision"], body, r.text)
        made.append(first["decision"])
    raise AssertionError(f"instance {iid} did not end: {made}")


def test_procedures_walk_to_their_end_on_bodies_built_from_the_form_schemas(
    server: str, rt: Runtime
) -> None:
    """A regular order to release, a change on it (minor: a new notice revision), a
    make-to-stock order, a design correction — every move through HTTP from /form."""
    from gendan.demo import change_request

    d = Driver(rt, MONDAY_10)
    iid = d.start("order_review", "clerk", order_form("SO-IF-8", "regular", now=MONDAY_10))
    state, made = walk(server, iid)
    assert state == "released", made
    assert {"confirm", OPINION, "submit_quote", "approve_quote", "contract_signed"} <= set(made)
    assert {"issue_notice", "confirm_notice"} <= set(made)

    what = "铭牌改为英文 / English nameplate"
    change = d.start("order_change", "clerk", change_request("SO-IF-8", MONDAY_10, what))
    state, made = walk(server, change)
    assert (state, made[:2]) == ("done", ["classify_minor", "adjusted"]), made

    stock = {
        "order_no": "KC-IF-1",
        "product": "配电柜",
        "model_spec": "GGD-1600",
        "quantity": 20,
        "unit": "台",
        "delivery_date": LATER,
        "stock_basis": "低于最低库存 / below the minimum",
    }
    state, made = walk(server, d.start("stock_order", "merch_lead", stock))
    assert (state, made[0]) == ("released", "approve"), made

    correction = {
        "order_no": "SO-IF-8",
        "drawing_no": "DWG-8",
        "cause": "尺寸标注错误 / wrong dimension",
        "correction": "改为 600 mm / 600 mm",
    }
    state, made = walk(server, d.start("design_correction", "engineer", correction))
    assert (state, made) == ("done", [OPINION] * 3), made
